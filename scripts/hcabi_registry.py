"""Load, validate and model the HCABI registry (spec/registry/).

The registry is the single source of truth for the ABI. This module is the only
reader of its TOML files: the generator, the coverage and compatibility tools
all take the model it builds. Validation happens in two steps: the JSON schema
(shape and types, via Debian's python3-jsonschema), then cross-checks that a
schema cannot express (uniqueness, ranges, layouts, references). Every error
names the file and the entry.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_load as hl  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = REPO_ROOT / "spec" / "registry"

# Areas whose requirements bind every implementation, whatever its profile.
BINDING_AREAS = ("X86", "DISC", "STATUS", "GEN", "VER")

STRUCT_MAX = 1 << 20  # bytes: no structure of the ABI comes near
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


@dataclass
class Constant:
    name: str
    value: str
    since: str
    doc: str
    extension: str | None

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

    def profile_extensions(self, profile: dict[str, Any], version: str) -> list[str]:
        """Extensions `profile` requires at `version` (latest entry not newer than it)."""
        best: list[str] = []
        for since, exts in sorted(profile["extensions"].items(), key=lambda kv: parse_version(kv[0])):
            if parse_version(since) <= parse_version(version):
                best = exts
        return best


# ---------------------------------------------------------------------------
# Loading

def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        return hl.read_toml(path, _rel(path))
    except hl.InputError as e:
        problems.append(str(e))
    return None


def load_raw(root: Path = DEFAULT_REGISTRY) -> dict[str, Any]:
    """Read the TOML files into one document (the schema's shape)."""
    if not root.is_dir():
        raise RegistryError([f"{_rel(root)}: " + ("not a folder" if root.exists() else "no such folder")])
    if not (root / "hcabi.toml").exists() and not (root / "extensions").exists():
        raise RegistryError([f"{_rel(root)}: not a registry folder (it has no hcabi.toml and no extensions/)"])
    problems: list[str] = []
    top = _read_toml(root / "hcabi.toml", problems)
    ext_dir = root / "extensions"
    exts: list[dict[str, Any]] = []
    if not ext_dir.is_dir():
        problems.append(f"{_rel(ext_dir)}: missing: the registry has no extensions folder")
    else:
        for path in sorted(ext_dir.glob("*.toml")):
            doc = _read_toml(path, problems)
            if doc is not None:
                doc["__file__"] = _rel(path)
                exts.append(doc)
    if problems:
        raise RegistryError(problems)
    assert top is not None
    top["extensions"] = exts
    top["__file__"] = _rel(root / "hcabi.toml")
    return top


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _schema_errors(doc: dict[str, Any], schema_path: Path) -> list[str]:
    try:
        import jsonschema  # Debian: python3-jsonschema
    except ImportError:
        return [f"{schema_path}: cannot validate: the python3-jsonschema package is not installed "
                "(run scripts/setup-debian.sh, and use /usr/bin/python3)"]
    try:
        schema = hl.read_json(schema_path, _rel(schema_path))
        jsonschema.Draft202012Validator.check_schema(schema)
    except hl.InputError as e:
        return [str(e)]
    except jsonschema.SchemaError as e:
        return [f"{_rel(schema_path)}: {hl.loc(list(e.absolute_path))}: not a valid JSON schema: "
                f"{hl.one_line(e.message)[:120]}"]
    top_file = doc.get("__file__", "spec/registry/hcabi.toml")
    body = {k: v for k, v in doc.items() if k != "__file__"}
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        where = top_file
        if len(path) >= 2 and path[0] == "extensions" and isinstance(path[1], int):
            where = doc["extensions"][path[1]].get("__file__", where)
            path = path[2:]
        entry = _describe_path(body, list(err.absolute_path))
        line = f"{where}: {hl.loc(path)}: {hl.schema_message(err)}" + (f" (entry {entry.rstrip(': ')})" if entry else "")
        if line not in out:
            out.append(line)
    return out


def _describe_path(doc: Any, path: list[Any]) -> str:
    """Name the entry a schema error sits in, e.g. "function GET_ID: "."""
    node = doc
    label = ""
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            for key in ("id", "name", "version"):
                if isinstance(node.get(key), str):
                    name = node[key]
                    label = f"{name if len(name) <= 40 else name[:37] + '...'}: "
                    break
    return label


def load(root: Path = DEFAULT_REGISTRY) -> Registry:
    """Load and validate the registry; raise RegistryError listing every problem."""
    doc = load_raw(root)
    problems = _schema_errors(doc, root / "registry.schema.json")
    if problems:
        raise RegistryError(problems)
    reg = _build(doc)
    problems = check(reg)
    if problems:
        raise RegistryError(problems)
    return reg


def _build(doc: dict[str, Any]) -> Registry:
    top_file = doc["__file__"]
    requirements: list[Requirement] = []
    for r in doc["requirement"]:
        requirements.append(Requirement(id=r["id"], text=r["text"].strip(), area=r["area"],
                                        since=r["since"], file=top_file, section=r["section"],
                                        parts=_parts(r)))
    constants = [Constant(c["name"], c["value"], c["since"], c["doc"], None) for c in doc.get("constant", [])]
    common = {k: v for k, v in doc["common_status"].items()}
    extensions: list[Extension] = []
    for e in doc["extensions"]:
        ed = e["extension"]
        ext = Extension(
            name=ed["name"], eid=ed["eid"], since=ed["since"], title=ed["title"], summary=ed["summary"],
            description=ed.get("description", "").strip(),
            versions=[(v["number"], v["since"]) for v in ed["version"]], file=e["__file__"],
            reserved_fids=[(r["fid"], r["since"], r["reason"].strip()) for r in ed.get("reserved_fid", [])])
        for c in e.get("constant", []):
            ext.constants.append(Constant(c["name"], c["value"], c["since"], c["doc"], ext.name))
        for s in e.get("struct", []):
            ext.structs.append(Struct(
                name=s["name"], since=s["since"], size=s["size"], doc=s["doc"], extension=ext.name,
                fields=[StructField(f["name"], f["type"], f["offset"], f.get("count", 1),
                                    f.get("reserved", False), f["doc"], f.get("since", s["since"]))
                        for f in s["field"]]))
        for f in e["function"]:
            args = []
            for a in f.get("arg", []):
                fields = []
                for af in a.get("field", []):
                    hi, _, lo = af["bits"].partition(":")
                    fields.append(ArgField(af["name"], int(hi), int(lo or hi), af["since"], af["doc"]))
                args.append(Arg(a["name"], a["type"], a["doc"], a.get("since", f["since"]),
                                a.get("gpa", False), a.get("align"), a.get("unit"), fields))
            declared = [StatusUse(s["name"], s["when"], s.get("since")) for s in f.get("status", [])]
            names = {s.name for s in declared}
            statuses = declared + [StatusUse(n, w) for n, w in common.items() if n not in names]
            fn = Function(
                extension=ext, name=f["name"], fid=f["fid"], since=f["since"], summary=f["summary"],
                returns=f["returns"], description=f.get("description", "").strip(),
                deprecated=f.get("deprecated"), batchable=f.get("batchable", True),
                returns_on_success=f.get("returns_on_success", True), args=args,
                statuses=statuses, requirements=[])
            for r in f["requirement"]:
                req = Requirement(id=r["id"], text=r["text"].strip(), area=r.get("area", ext.name),
                                  since=r.get("since", fn.since), file=ext.file, function=fn.qualname,
                                  parts=_parts(r))
                fn.requirements.append(req)
                requirements.append(req)
            ext.functions.append(fn)
        extensions.append(ext)
    extensions.sort(key=lambda x: x.eid)
    return Registry(
        title=doc["registry"]["title"], versions=doc["version"], statuses=doc["status"],
        common_status=common, implementations=doc["implementation"], profiles=doc["profile"],
        constants=constants, requirements=requirements, extensions=extensions,
        files=[top_file] + [e["__file__"] for e in doc["extensions"]])


def _parts(r: dict[str, Any]) -> list[Part]:
    return [Part(p["id"], p["text"].strip(), tuple(p.get("applies_with", []))) for p in r.get("part", [])]


# ---------------------------------------------------------------------------
# Cross-checks a schema cannot express

def check(reg: Registry) -> list[str]:
    p: list[str] = []
    top = reg.files[0]
    versions = [v["version"] for v in reg.versions]
    known = set(versions)

    def vcheck(where: str, what: str, v: str) -> None:
        if v not in known:
            p.append(f"{where}: {what}: version {v} is not in the registry's version history")

    _dups(p, top, "version", versions)
    for v in versions:  # the schema allows 5 digits; VER codes hold 16 bits each
        if max(parse_version(v)) > 0xFFFF:
            p.append(f"{top}: version {v}: major and minor must each be at most 65535 (code (major << 16) | minor)")
    _dups(p, top, "status name", [s["name"] for s in reg.statuses])
    _dups(p, top, "status value", [str(s["value"]) for s in reg.statuses])
    if "SUCCESS" not in {s["name"] for s in reg.statuses}:
        p.append(f"{top}: the status table has no SUCCESS")
    status_names = {s["name"] for s in reg.statuses}
    for name in reg.common_status:
        if name not in status_names:
            p.append(f"{top}: common_status {name}: not a status in the status table")
    _dups(p, top, "implementation ID", [str(i["id"]) for i in reg.implementations])

    ext_names = {e.name for e in reg.extensions}
    _dups_at(p, "extension name", [(e.name, e.file, f"extension {e.name}") for e in reg.extensions])
    _dups_at(p, "EID", [(f"0x{e.eid:04X}", e.file, f"extension {e.name}") for e in reg.extensions])
    all_consts = reg.constants + [c for e in reg.extensions for c in e.constants]
    _dups(p, "spec/registry", "constant name", [c.name for c in all_consts])
    ext_files = {e.name: e.file for e in reg.extensions}
    for c in all_consts:
        vcheck(ext_files.get(c.extension or "", top), f"constant {c.name}", c.since)
        if len(c.value) > 24 or not -(1 << 63) <= c.int_value < 1 << 64:  # abi.h writes it as a C literal
            p.append(f"{ext_files.get(c.extension or '', top)}: constant {c.name}: value {hl.short(c.value)} "
                     "does not fit in 64 bits")

    for prof in reg.profiles:
        vcheck(top, f"profile {prof['name']}", prof["since"])
        for since, exts in prof["extensions"].items():
            vcheck(top, f"profile {prof['name']}", since)
            for en in exts:
                ext = next((e for e in reg.extensions if e.name == en), None)
                if ext is None:
                    p.append(f"{top}: profile {prof['name']} ({since}): unknown extension {en}")
                elif since in known and parse_version(ext.since) > parse_version(since):
                    p.append(f"{top}: profile {prof['name']} ({since}): extension {en} appears only in {ext.since}")
    _dups(p, top, "profile name", [pr["name"] for pr in reg.profiles])

    for ext in reg.extensions:
        w = ext.file
        vcheck(w, f"extension {ext.name}", ext.since)
        if ext.eid > 0x7FFF:
            p.append(f"{w}: extension {ext.name}: EID 0x{ext.eid:04X} is outside the standard range 0x0000-0x7FFF")
        nums = [n for n, _ in ext.versions]
        if nums != list(range(1, len(nums) + 1)):
            p.append(f"{w}: extension {ext.name}: version numbers must count 1, 2, 3... in order")
        sinces = [s for _, s in ext.versions]
        for s in sinces:
            vcheck(w, f"extension {ext.name} version", s)
        if sinces and sinces[0] != ext.since:
            p.append(f"{w}: extension {ext.name}: version 1 must be since {ext.since}, the extension's own version")
        if all(s in known for s in sinces) and [parse_version(s) for s in sinces] != sorted({parse_version(s) for s in sinces}):
            p.append(f"{w}: extension {ext.name}: version numbers must map to strictly increasing spec versions")
        _dups(p, w, f"{ext.name} function name", [f.name for f in ext.functions])
        _dups_at(p, "function ID", [(f"0x{f.function_id:08X}", w, f"function {f.qualname}") for f in ext.functions])
        reserved = {fid for fid, _, _ in ext.reserved_fids}
        for fid, since, _ in ext.reserved_fids:
            vcheck(w, f"extension {ext.name} reserved FID 0x{fid:04X}", since)
        _dups(p, w, f"{ext.name} reserved FID", [f"0x{fid:04X}" for fid, _, _ in ext.reserved_fids])
        for fn in ext.functions:
            _check_function(p, reg, fn, status_names, vcheck)
            if fn.fid in reserved:
                p.append(f"{w}: function {fn.qualname}: FID 0x{fn.fid:04X} is reserved and may never be assigned")
        for st in ext.structs:
            _check_struct(p, w, st)
            vcheck(w, f"struct {st.name}", st.since)
            for f in st.fields:
                vcheck(w, f"struct {st.name} field {f.name}", f.since)
                if f.since in known and st.since in known and parse_version(f.since) < parse_version(st.since):
                    p.append(f"{w}: struct {st.name} field {f.name}: since {f.since} is older than its struct ({st.since})")
    _dups_at(p, "struct name", [(s.name, e.file, f"struct {s.name}") for e in reg.extensions for s in e.structs])

    _dups_at(p, "requirement ID", [(r.id, r.file, f"requirement {r.id}" + (f" of function {r.function}" if r.function else ""))
                                   for r in reg.requirements])
    for r in reg.requirements:
        vcheck(r.file, f"requirement {r.id}", r.since)
        prefix = r.id.split("-")[0]
        if prefix != r.area:
            p.append(f"{r.file}: requirement {r.id}: its prefix must name its area {r.area}")
        if r.function is None and r.area not in BINDING_AREAS:
            p.append(f"{r.file}: requirement {r.id}: area {r.area} is not one of {', '.join(BINDING_AREAS)}")
        if r.function is not None and r.area not in ext_names:
            p.append(f"{r.file}: requirement {r.id}: area {r.area} is not an extension")
        if not re.search(r"\b(MUST|SHALL)\b", r.text):
            p.append(f"{r.file}: requirement {r.id}: its text states nothing normative (no MUST or SHALL)")
        _check_parts(p, r)
        for part in r.parts:
            for name in part.applies_with:
                if name not in ext_names:
                    p.append(f"{r.file}: requirement {r.id}: part {part.id}: applies_with names {name!r}, "
                             "which is not an extension")
            if part.applies_with and r.area in part.applies_with:
                p.append(f"{r.file}: requirement {r.id}: part {part.id}: applies_with names its own extension "
                         f"{r.area}, whose requirements apply only where it is provided anyway")
    return p


def _check_parts(p: list[str], r: Requirement) -> None:
    """A part's ID is its parent's, a dot and a number; numbers grow in file
    order (a removed part's number is never given again, so gaps are fine)."""
    last = 0
    for part in r.parts:
        head, dot, num = part.id.rpartition(".")
        if head != r.id or not dot or not num.isdigit():
            p.append(f"{r.file}: requirement {r.id}: part {part.id}: a part's ID is {r.id}.N (its parent's ID, "
                     "a dot, a number from 1)")
            continue
        if int(num) <= last:
            p.append(f"{r.file}: requirement {r.id}: part {part.id}: part numbers must grow in file order "
                     f"(after {r.id}.{last})")
        last = max(last, int(num))
        if not re.search(r"\b(MUST|SHALL)\b", part.text):
            p.append(f"{r.file}: requirement {r.id}: part {part.id}: its text states nothing normative "
                     "(no MUST or SHALL)")


def _dups_at(p: list[str], what: str, entries: list[tuple[str, str, str]]) -> None:
    """Like _dups for (value, file, entry) triples: name both the duplicate and the first use."""
    first: dict[str, tuple[str, str]] = {}
    for value, where, entry in entries:
        if value in first:
            p.append(f"{where}: {entry}: duplicate {what} {value}, already used by {first[value][1]} in {first[value][0]}")
        else:
            first[value] = (where, entry)


def _dups(p: list[str], where: str, what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            p.append(f"{where}: duplicate {what} {v}")
        seen.add(v)


def _check_function(p: list[str], reg: Registry, fn: Function, status_names: set[str], vcheck) -> None:
    w = fn.extension.file
    where = f"function {fn.qualname}"
    vcheck(w, where, fn.since)
    if fn.since in {v["version"] for v in reg.versions} and parse_version(fn.since) < parse_version(fn.extension.since):
        p.append(f"{w}: {where}: since {fn.since} is older than its extension ({fn.extension.since})")
    if fn.deprecated:
        vcheck(w, f"{where} deprecated", fn.deprecated)
    for s in fn.statuses:
        if s.name not in status_names:
            p.append(f"{w}: {where}: status {s.name} is not in the status table")
    _dups(p, w, f"{where} status", [s.name for s in fn.statuses])
    for s in fn.statuses:
        if s.since is not None:
            vcheck(w, f"{where} status {s.name}", s.since)
            if s.since in {v["version"] for v in reg.versions} and parse_version(s.since) <= parse_version(fn.since):
                p.append(f"{w}: {where}: status {s.name}: since {s.since} is not newer than the function ({fn.since}); leave it out")
            if s.name == "SUCCESS":
                p.append(f"{w}: {where}: SUCCESS cannot be added later")
    if not fn.returns_on_success and any(s.name == "SUCCESS" for s in fn.statuses):
        p.append(f"{w}: {where}: it does not return on success, so it cannot list SUCCESS")
    if fn.returns_on_success and not any(s.name == "SUCCESS" for s in fn.statuses):
        p.append(f"{w}: {where}: it returns on success but lists no SUCCESS status")
    _dups(p, w, f"{where} argument", [a.name for a in fn.args])
    for a in fn.args:
        vcheck(w, f"{where} argument {a.name}", a.since)
        if a.align is not None and not a.gpa:
            p.append(f"{w}: {where} argument {a.name}: align is only for guest-physical addresses")
        taken = 0
        for f in a.fields:
            vcheck(w, f"{where} argument {a.name} field {f.name}", f.since)
            if not (0 <= f.lo <= f.hi <= 63):
                p.append(f"{w}: {where} argument {a.name} field {f.name}: bits {f.hi}:{f.lo} are not within 63:0")
                continue
            if taken & f.mask:
                p.append(f"{w}: {where} argument {a.name} field {f.name}: overlaps another field")
            taken |= f.mask
    for r in fn.requirements:
        if r.area != fn.extension.name:
            p.append(f"{w}: {where}: requirement {r.id} must be in area {fn.extension.name}")


def _check_struct(p: list[str], w: str, st: Struct) -> None:
    where = f"struct {st.name}"
    big = [f"{k} is {hl.short(v)}" for k, v in [("size", st.size)] + [(f"field {f.name} {k}", getattr(f, k))
           for f in st.fields for k in ("offset", "count")] if v > STRUCT_MAX]
    if big:  # a shared-memory record is small; and arithmetic on huge numbers would not print
        p.append(f"{w}: {where}: {big[0]}, over the limit of {STRUCT_MAX}")
        return
    pos = 0
    align = 1
    for f in st.fields:
        tsize = TYPE_SIZES[f.type]
        align = max(align, tsize)
        if f.offset % tsize:
            p.append(f"{w}: {where} field {f.name}: offset {f.offset} is not aligned to its size {tsize}")
        if f.offset != pos:
            p.append(f"{w}: {where} field {f.name}: offset {f.offset} leaves a gap or overlaps (expected {pos}); "
                     "declare padding as a reserved field")
        pos = f.offset + f.size
    if pos != st.size:
        p.append(f"{w}: {where}: fields end at {pos} but size is {st.size}")
    if st.size % align:
        p.append(f"{w}: {where}: size {st.size} is not a multiple of its alignment {align}")
    _dups(p, w, f"{where} field", [f.name for f in st.fields])


def main(argv: list[str] | None = None) -> int:
    """`python3 scripts/hcabi_registry.py [DIR]`: validate and summarise."""
    ap = hl.Parser(
        prog="hcabi_registry", description="Validate the HCABI registry.",
        epilog="Exit status: 0 valid, 2 usage, 4 the registry cannot be read or is invalid "
               "(one line per problem, naming the file and the entry).")
    ap.add_argument("registry", nargs="?", default=str(DEFAULT_REGISTRY), help="registry folder")
    args = ap.parse_args(argv)
    try:
        reg = load(Path(args.registry))
    except RegistryError as e:
        for line in e.problems:
            print(f"registry error: {line}", file=sys.stderr)
        return hl.EXIT_ERROR
    nfn = len(reg.functions())
    print(f"registry OK: {len(reg.extensions)} extensions, {nfn} functions, "
          f"{len(reg.requirements)} requirements ({sum(len(r.atomic_ids) for r in reg.requirements)} atomic), versions {', '.join(reg.version_names())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(hl.run_main("hcabi_registry", main))
