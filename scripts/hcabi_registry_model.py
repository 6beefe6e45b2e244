"""The HCABI registry's model: the dataclasses the loader builds and every tool reads.

One job: say what a registry holds (extensions, functions, arguments and their bit
fields, structures, constants, requirements, versions) and answer questions about it
that need no file (a version's code, an argument's valid bits at a version). Reading
and validating the TOML is scripts/hcabi_registry.py's job, which re-exports these
names: the tools import hcabi_registry only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Areas whose requirements bind every implementation, whatever its profile.
BINDING_AREAS = ("X86", "DISC", "STATUS", "GEN", "VER", "ARM64", "RV64")

# The architectures HCABI has a binding for, and the requirement areas of each binding
# (the x86-64 binding's discovery has an area of its own). A requirement of any other
# area is architecture-neutral: it binds an implementation on every architecture.
ARCH_AREAS = {"x86_64": ("X86", "DISC"), "arm64": ("ARM64",), "riscv64": ("RV64",)}
ARCHES = tuple(ARCH_AREAS)
DEFAULT_ARCH = "x86_64"

# What a binding requirement's `topic` may name: the parts of a call that every binding
# states in its own words, each with what it means and, for a topic a check names (one
# requirement per binding), the C macro of the generated spec/generated/binding_reqs.h
# that holds its ID on the architecture compiled for (None: a topic of several
# requirements, which only generated comments cite). A registry that gives any
# requirement a topic gives every binding each of these (scripts/hcabi_registry_check.py).
BINDING_TOPICS: dict[str, tuple[str, str | None]] = {
    "call": ("the instruction and what makes it an HCABI call", None),
    "function_id": ("where the function ID travels", None),
    "arguments": ("where the arguments travel", None),
    "result": ("where the status and the value return", None),
    "value_zero": ("the value is zero with any error status", "HCABI_REQ_VALUE_ZERO"),
    "preserved": ("the registers and state a call preserves", None),
    "discovery": ("how a guest tells that HCABI is there", None),
}


def area_arch(area: str) -> str | None:
    """The architecture whose binding a requirement area belongs to; None: neutral."""
    return next((arch for arch, areas in ARCH_AREAS.items() if area in areas), None)

TYPE_SIZES = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8}
C_TYPES = {
    "u8": "uint8_t", "i8": "int8_t", "u16": "uint16_t", "i16": "int16_t",
    "u32": "uint32_t", "i32": "int32_t", "u64": "uint64_t", "i64": "int64_t",
}


class RegistryError(Exception):
    """A malformed or inconsistent registry. Holds every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def version_code(text: str) -> int:
    major, minor = parse_version(text)
    return (major << 16) | minor


@dataclass
class Part:
    """One condition of a compound requirement; it holds from its parent's `since`."""
    id: str    # the parent's ID, a dot, a number from 1
    text: str
    # the part applies only to an implementation that provides one of these
    # extensions (e.g. a rule about input structures, which only their
    # functions take); empty: it applies to every implementation
    applies_with: tuple[str, ...] = ()


@dataclass
class Requirement:
    id: str
    text: str
    area: str
    since: str
    file: str
    function: str | None = None  # "EXT.FUNC" for function requirements
    section: str | None = None   # binding requirements: spec fragment name
    parts: list[Part] = field(default_factory=list)  # empty: the requirement is atomic itself
    # an atomic requirement that applies only where one of these extensions is
    # provided (a part says so for itself: Part.applies_with)
    applies_with: tuple[str, ...] = ()
    # a binding requirement: the neutral requirements/parts that do not apply on its
    # architecture (it states their counterpart), and the neutral requirements, parts
    # and items (Registry.has_item keys) whose x86-64 words it gives its meaning
    replaces: tuple[str, ...] = ()
    maps: tuple[str, ...] = ()
    topic: str | None = None  # a binding requirement: a key of BINDING_TOPICS

    @property
    def arch(self) -> str | None:
        """The architecture whose binding holds it; None: it applies on every architecture."""
        return area_arch(self.area)

    @property
    def atomic_ids(self) -> list[str]:
        """The IDs tests cite for it: its parts', else its own."""
        return [p.id for p in self.parts] or [self.id]


@dataclass
class ArgField:
    name: str
    hi: int
    lo: int
    since: str
    doc: str

    @property
    def mask(self) -> int:
        return ((1 << (self.hi - self.lo + 1)) - 1) << self.lo


@dataclass
class Arg:
    name: str
    type: str
    doc: str
    since: str
    gpa: bool
    align: int | None
    unit: str | None
    fields: list[ArgField]

    def valid_mask(self, version: str) -> int | None:
        """Bits that may be set at `version`; None when every bit is meaningful."""
        if not self.fields:
            return None
        mask = 0
        for f in self.fields:
            if parse_version(f.since) <= parse_version(version):
                mask |= f.mask
        return mask


@dataclass
class StatusUse:
    name: str
    when: str
    since: str | None = None  # a status added after its function: from this version on

    def present(self, fn_since: str, version: str) -> bool:
        """Whether the function may return this status at `version`."""
        return parse_version(self.since or fn_since) <= parse_version(version)


@dataclass
class Function:
    extension: "Extension"
    name: str
    fid: int
    since: str
    summary: str
    returns: str
    description: str
    deprecated: str | None
    batchable: bool
    returns_on_success: bool
    args: list[Arg]
    statuses: list[StatusUse]   # declared plus common, SUCCESS first when it can be returned
    requirements: list[Requirement]

    @property
    def qualname(self) -> str:
        return f"{self.extension.name}.{self.name}"

    @property
    def function_id(self) -> int:
        return (self.extension.eid << 16) | self.fid

    @property
    def macro(self) -> str:
        return f"HCABI_FID_{self.extension.name}_{self.name}"


@dataclass
class StructField:
    name: str
    type: str
    offset: int
    count: int
    reserved: bool
    doc: str
    since: str | None = None  # version the field got its meaning; the struct's own when not given

    @property
    def size(self) -> int:
        return TYPE_SIZES[self.type] * self.count


@dataclass
class Struct:
    name: str
    since: str
    size: int
    doc: str
    fields: list[StructField]
    extension: str
    arch: str | None = None  # the binding it belongs to; None: every architecture's


@dataclass
class Constant:
    name: str
    value: str
    since: str
    doc: str
    extension: str | None
    arch: str | None = None  # the binding it belongs to; None: every architecture's

    @property
    def int_value(self) -> int:
        return int(self.value, 0)


@dataclass
class Extension:
    name: str
    eid: int
    since: str
    title: str
    summary: str
    description: str
    versions: list[tuple[int, str]]   # (extension version number, since spec version)
    file: str
    # FIDs never assigned, with the reason (e.g. KVM answers them in-kernel).
    reserved_fids: list[tuple[int, str, str]] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    structs: list[Struct] = field(default_factory=list)
    constants: list[Constant] = field(default_factory=list)

    def number_at(self, version: str) -> int:
        """Extension version number at spec `version`; 0 if absent then."""
        number = 0
        for num, since in self.versions:
            if parse_version(since) <= parse_version(version):
                number = num
        return number


@dataclass
class Registry:
    title: str
    versions: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    common_status: dict[str, str]
    implementations: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    constants: list[Constant]
    requirements: list[Requirement]      # every requirement, binding and function
    extensions: list[Extension]
    files: list[str]

    @property
    def newest_version(self) -> str:
        return max((v["version"] for v in self.versions), key=parse_version)

    def version_names(self) -> list[str]:
        return sorted((v["version"] for v in self.versions), key=parse_version)

    def status_value(self, name: str) -> int:
        return next(s["value"] for s in self.statuses if s["name"] == name)

    def functions(self) -> list[Function]:
        return [fn for ext in self.extensions for fn in ext.functions]

    def arches(self) -> set[str]:
        """The architectures this registry has a binding for: a requirement of the binding's
        areas, or a constant or structure of that architecture."""
        found = {r.arch for r in self.requirements} | {c.arch for c in self.constants}
        found |= {s.arch for e in self.extensions for s in e.structs}
        return {a for a in found if a is not None}

    def topic_ids(self, arch: str, topic: str) -> list[str]:
        """The IDs of `arch`'s binding requirements with `topic` (BINDING_TOPICS), in
        registry order; RegistryError (one line) if that binding has none."""
        ids = [r.id for r in self.requirements if r.topic == topic and r.arch == arch]
        if not ids:
            raise RegistryError([f"the {arch} binding has no requirement with topic {topic!r} "
                                 f"({BINDING_TOPICS.get(topic, ('not a known topic',))[0]})"])
        return ids

    def binding_macros(self) -> dict[str, dict[str, str]]:
        """arch -> {C macro: requirement ID} for the topics a check names (BINDING_TOPICS),
        for every architecture with a binding; empty where the registry has no topics."""
        if not any(r.topic for r in self.requirements):
            return {}
        return {arch: {macro: self.topic_ids(arch, topic)[0]
                       for topic, (_, macro) in BINDING_TOPICS.items() if macro}
                for arch in ARCHES if arch in self.arches()}

    def atomic_ids(self) -> dict[str, Requirement]:
        """Every requirement and part ID -> the requirement it belongs to."""
        out: dict[str, Requirement] = {}
        for r in self.requirements:
            out[r.id] = r
            out.update({p.id: r for p in r.parts})
        return out

    def has_item(self, key: str) -> bool:
        """Whether `key` names something of this registry: a requirement or part ID,
        EXT.FUNC.returns|description|arg.A[.field.F]|status.S, struct.NAME[.FIELD] or
        common_status.S (the keys of a version's editorial list and of a binding's `maps`)."""
        if key in self.atomic_ids():
            return True
        head, _, rest = key.partition(".")
        if head == "common_status":
            return rest in self.common_status
        if head == "struct":
            sname, _, fname = rest.partition(".")
            st = next((s for e in self.extensions for s in e.structs if s.name == sname), None)
            return st is not None and (not fname or any(f.name == fname for f in st.fields))
        parts = key.split(".")
        fn = next((f for f in self.functions() if f.qualname == ".".join(parts[:2])), None)
        rest_parts = parts[2:]
        if fn is None:
            return False
        if rest_parts in (["returns"], ["description"]):
            return True
        if len(rest_parts) == 2 and rest_parts[0] == "status":
            return any(s.name == rest_parts[1] for s in fn.statuses)
        if len(rest_parts) in (2, 4) and rest_parts[0] == "arg":
            arg = next((a for a in fn.args if a.name == rest_parts[1]), None)
            return arg is not None and (len(rest_parts) == 2 or (
                rest_parts[2] == "field" and any(x.name == rest_parts[3] for x in arg.fields)))
        return False

    def binding_refs(self, key: str) -> dict[str, list[tuple[Requirement, str]]]:
        """arch -> [(binding requirement, "replaces" or "maps")] that name `key` (a requirement,
        a part or an item); a part is also named by its requirement's ID."""
        parent = key.rpartition(".")[0] if "-" in key and "." in key else None
        out: dict[str, list[tuple[Requirement, str]]] = {}
        for r in self.requirements:
            if r.arch is None:
                continue
            for kind in ("replaces", "maps"):
                if key in getattr(r, kind) or (parent is not None and parent in getattr(r, kind)):
                    out.setdefault(r.arch, []).append((r, kind))
        return out

    def applies_on(self, rid: str, arch: str) -> bool:
        """Whether the requirement or part `rid` binds an implementation on `arch`: a binding's
        requirements only on their architecture, a neutral one unless that architecture's
        binding replaces it (or the requirement it is a part of)."""
        r = self.atomic_ids()[rid]
        if r.arch is not None:
            return r.arch == arch
        return not any(kind == "replaces" for b, kind in self.binding_refs(rid).get(arch, []))

    def profile_extensions(self, profile: dict[str, Any], version: str) -> list[str]:
        """Extensions `profile` requires at `version` (latest entry not newer than it)."""
        best: list[str] = []
        for since, exts in sorted(profile["extensions"].items(), key=lambda kv: parse_version(kv[0])):
            if parse_version(since) <= parse_version(version):
                best = exts
        return best
