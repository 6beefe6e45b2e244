"""The frame of one compatibility comparison (scripts/hcabi_compat.py): the report and the helpers every rule uses.

One job: hold what a comparison of an older registry with a newer one has found
(violations, additions, notes) and the small judgements every rule shares (is a
version newer, has a text changed its meaning, is it listed as editorial). The
rules themselves are in hcabi_compat_ext.py (extensions, functions, arguments,
structures) and hcabi_compat_rules.py (everything else, and the order they run in).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import hcabi_registry as hr

REGISTERS = ("RDI", "RSI", "RDX", "R10", "R8", "R9")

PV = hr.parse_version


def _norm(text: object) -> str:
    """Text as compared: runs of white space are one space (re-flowing is no change)."""
    return " ".join(str(text).split())


def _bits(hi: int, lo: int) -> str:
    return f"{hi}" if hi == lo else f"{hi}:{lo}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _or_none(value: object) -> object:
    return value or "none"


@dataclass
class Report:
    """The outcome of comparing an older registry with a newer one."""
    old_version: str
    new_version: str
    kind: str                                   # minor, major, same, backwards
    violations: list[str] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # deprecations, removals, editorial changes

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self, label: str = "") -> str:
        kind = {"same": "same version", "backwards": "backwards"}.get(self.kind, self.kind)
        head = f"{self.old_version} -> {self.new_version} ({kind}{label})"
        if self.violations:
            n = len(self.violations)
            return f"incompatible: {head}: {n} violation{'s' if n != 1 else ''}"
        n = len(self.additions)
        detail = f"{n} addition{'s' if n != 1 else ''}"
        if not n and not self.notes:
            detail = "identical" if self.kind == "same" else detail
        return f"compatible: {head}: {detail}"

    def lines(self, label: str = "") -> list[str]:
        out = [self.summary(label)]
        if self.violations:
            out += [f"  {v}" for v in self.violations]
        else:
            out += [f"  + {a}" for a in self.additions]
            out += [f"  {n}" for n in self.notes]
        return out


class Step:
    """One comparison's state and shared helpers; each violation names its entity."""

    def __init__(self, old: hr.Registry, new: hr.Registry, history: Sequence[hr.Registry]):
        self.old, self.new = old, new
        self.history = [h for h in history if h is not old]
        self.o_ver, self.n_ver = old.newest_version, new.newest_version
        ov, nv = PV(self.o_ver), PV(self.n_ver)
        if nv == ov:
            kind = "same"
        elif nv < ov:
            kind = "backwards"
        elif nv[0] == ov[0]:
            kind = "minor"
        else:
            kind = "major"
        self.kind = kind
        self.rep = Report(self.o_ver, self.n_ver, kind)
        self.may_not = {"minor": "minor versions may not", "major": "major versions may not",
                        "same": "a released version may not", "backwards": ""}[kind]
        # editorial keys declared by the versions this step introduces
        self.editorial: dict[str, str] = {}
        for v in new.versions:
            if PV(v["version"]) > ov:
                for key in v.get("editorial", []):
                    self.editorial[key] = v["version"]
        # Architectures NEW has a binding for and OLD has not: a binding is an addition per
        # architecture, which may apply from any version, released ones included (its first
        # release freezes it like the rest).
        self.new_arches = new.arches() - old.arches()
        self.removed_fns: set[str] = set()     # legitimately removed (major step, deprecated)
        self.removed_exts: set[str] = set()
        self.ext_additions: dict[str, dict[str, list[str]]] = {}

    # -- helpers -------------------------------------------------------------

    def violation(self, entity: str, message: str) -> None:
        line = f"{entity}: {message}"
        if line not in self.rep.violations:
            self.rep.violations.append(line)

    def add(self, text: str) -> None:
        self.rep.additions.append(text)

    def note(self, text: str) -> None:
        self.rep.notes.append(text)

    def newer(self, version: str) -> bool:
        return PV(version) > PV(self.o_ver)

    def not_newer(self, version: str) -> str:
        return f"{version}, which is not newer than {self.o_ver}"

    def hint(self, key: str) -> str:
        if self.kind == "same":
            return "the text of a released version is frozen"
        return (f"a change of meaning; if it is only editorial, list \"{key}\" in the "
                f"editorial list of version {self.n_ver}")

    def text_change(self, entity: str, what: str, key: str, a: str, b: str) -> None:
        if _norm(a) == _norm(b):
            return
        if key in self.editorial:
            self.note(f"~ editorial change: {key} (version {self.editorial[key]})")
            return
        self.violation(entity, f"{what} changed ({self.hint(key)})")

    def differ(self, entity: str, what: str, a: object, b: object, why: str = "",
               show: Callable[[Any], object] = str) -> None:
        """If `a` (OLD's) and `b` (NEW's) differ: "WHAT changed from A to B", then `why`."""
        if a != b:
            self.violation(entity, f"{what} changed from {show(a)} to {show(b)}" + (f" {why}" if why else ""))

    def fresh(self, entity: str, what: str, since: str, why: str = "", arch: str | None = None) -> bool:
        """Whether an entry that NEW adds comes with a version newer than OLD's, or belongs to
        the binding of an architecture that OLD has none for (`arch`); if not, a violation."""
        if self.newer(since) or arch in self.new_arches:
            return True
        if arch is not None:
            why = (f"(the {arch} binding is in {self.o_ver} already, which froze it: "
                   "an addition to it comes with a new version)")
        self.violation(entity, f"new {what} with since {self.not_newer(since)}" + (f" {why}" if why else ""))
        return False

    def binding_note(self, arch: str | None, since: str) -> str:
        """How an addition of a new architecture's binding to a released version is listed."""
        return f", {arch} binding" if arch in self.new_arches and not self.newer(since) else ""

    @staticmethod
    def by_name(olds: list[Any], news: list[Any], number: Callable[[Any], int]) -> tuple[list[tuple[Any, Any, Any]],
                                                                                         list[tuple[Any, Any]]]:
        """Match OLD's and NEW's entries of one kind that have a name and a number (extensions, functions).

        An entry is renamed when NEW's entry with its number has a name OLD lacks and the same
        `since`. Returns, for each OLD entry in order, (it, NEW's entry of that name or None,
        NEW's entry that is it renamed or None); and for each NEW entry of a name OLD lacks that
        is no rename, (it, OLD's entry whose number it takes or None)."""
        on, nn = {x.name: x for x in olds}, {x.name: x for x in news}
        o_num, n_num = {number(x): x for x in olds}, {number(x): x for x in news}

        def rename(o: Any, n: Any) -> bool:
            return o.name not in nn and n.name not in on and o.since == n.since

        old_side = []
        for o in on.values():
            n = nn.get(o.name)
            other = n_num.get(number(o)) if n is None else None
            old_side.append((o, n, other if other is not None and rename(o, other) else None))
        new_side = []
        for n in nn.values():
            prev = o_num.get(number(n))
            if n.name not in on and not (prev is not None and rename(prev, n)):
                new_side.append((n, prev))
        return old_side, new_side

    def ext_add(self, ext: str, version: str, what: str) -> None:
        self.ext_additions.setdefault(ext, {}).setdefault(version, []).append(what)
