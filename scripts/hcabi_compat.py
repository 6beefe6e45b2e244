"""Check that an HCABI registry keeps the promises of the versions before it.

`hcabi-compat OLD NEW` compares two registry folders; `hcabi-compat --all` compares
every released snapshot (spec/registry/releases/<X.Y>/) with the next one, and the
newest with the current registry; `hcabi-release X.Y` freezes the current registry as
released version X.Y. docs/compatibility.md states the rules; in short:

* a minor version only adds: extensions, extension version numbers, functions,
  meanings for reserved bits and reserved structure fields, requirements,
  constants, statuses in the table (for new functions), a status of an existing
  function with the new version as its `since` (returned only from that version on),
  profiles for new versions
  (a profile's list for a new version keeps every extension of the list before it);
* a major version may in addition remove a function that an earlier version
  deprecated (and an extension whose every function was deprecated);
* nothing released is ever renumbered, renamed, retyped or given a new meaning,
  and an ID is never reused, not even after a major version removed it;
* a text that states meaning (a function's `returns`, an argument's or bit field's
  `doc`, a status's `when`, a requirement's `text`, a structure field's `doc`) may
  change only if the new version lists it in its `editorial` list.

Exit status: 0 compatible, 1 incompatible (one line per violation), 2 usage,
4 a registry cannot be read or is invalid.
"""
from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hcabi_load as hl  # noqa: E402
import hcabi_registry as hr  # noqa: E402

PROG = "hcabi-compat"
EXIT_OK, EXIT_INCOMPATIBLE, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 4
RELEASES = "releases"
REGISTERS = ("RDI", "RSI", "RDX", "R10", "R8", "R9")
VERSION_RE = re.compile(r"^[1-9][0-9]*\.(0|[1-9][0-9]*)$")
REQ_RE = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]{3}(\.[1-9][0-9]?)?$")  # a requirement or a part of one

PV = hr.parse_version


def _norm(text: object) -> str:
    """Text as compared: runs of white space are one space (re-flowing is no change)."""
    return " ".join(str(text).split())


def _bits(hi: int, lo: int) -> str:
    return f"{hi}" if hi == lo else f"{hi}:{lo}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


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


class _Checker:
    """One comparison. Every rule is a method; each violation names its entity."""

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

    def ext_add(self, ext: str, version: str, what: str) -> None:
        self.ext_additions.setdefault(ext, {}).setdefault(version, []).append(what)

    # -- the rules -----------------------------------------------------------

    def run(self) -> Report:
        if self.kind == "backwards":
            self.violation(f"version {self.n_ver}",
                           f"the newest version of NEW is older than {self.o_ver}, the newest version of OLD "
                           "(a registry never goes back a version)")
            return self.rep
        self.check_history()
        self.check_statuses()
        self.check_common_statuses()
        self.check_implementations()
        self.check_extensions()
        self.check_constants()
        self.check_requirements()
        self.check_profiles()
        self.check_extension_numbers()
        self.check_editorial_keys()
        self.check_reuse()
        return self.rep

    def check_history(self) -> None:
        newv = {v["version"]: v for v in self.new.versions}
        oldv = {v["version"]: v for v in self.old.versions}
        why = "(the history of released versions is append-only)"
        for name, ov in sorted(oldv.items(), key=lambda kv: PV(kv[0])):
            ent = f"version {name}"
            nv = newv.get(name)
            if nv is None:
                self.violation(ent, "removed from the history (released versions are never removed)")
                continue
            if ov["date"] != nv["date"]:
                self.violation(ent, f"date changed from {ov['date']} to {nv['date']} {why}")
            if _norm(ov["summary"]) != _norm(nv["summary"]):
                self.violation(ent, f"summary changed {why}")
            if [_norm(c) for c in ov["changes"]] != [_norm(c) for c in nv["changes"]]:
                self.violation(ent, f"changes changed {why}")
            if ov.get("editorial", []) != nv.get("editorial", []):
                self.violation(ent, f"editorial list changed {why}")
        for name in sorted(set(newv) - set(oldv), key=PV):
            if not self.newer(name):
                self.violation(f"version {name}", f"added to the history, but it is not newer than {self.o_ver}")
            else:
                self.add(f"version {name}")

    def check_statuses(self) -> None:
        ob = {s["name"]: s for s in self.old.statuses}
        nb = {s["name"]: s for s in self.new.statuses}
        oval = {s["value"]: s for s in self.old.statuses}
        nval = {s["value"]: s for s in self.new.statuses}
        for name, s in ob.items():
            n = nb.get(name)
            if n is None:
                other = nval.get(s["value"])
                if other is not None and other["name"] not in ob:
                    self.violation(f"status {name}", f"renamed to {other['name']} (value {s['value']}; "
                                   "status codes are never renamed)")
                else:
                    self.violation(f"status {name}", "removed (status codes are never removed)")
            elif n["value"] != s["value"]:
                self.violation(f"status {name}", f"value changed from {s['value']} to {n['value']} "
                               "(status codes are never renumbered)")
        for name, n in nb.items():
            if name in ob:
                continue
            prev = oval.get(n["value"])
            if prev is not None and prev["name"] not in nb:
                continue  # a rename, reported above
            if self.kind == "same":
                self.violation(f"status {name}", f"added to released version {self.o_ver}")
            else:
                self.add(f"status {name} ({n['value']})")

    def check_common_statuses(self) -> None:
        oc, nc = self.old.common_status, self.new.common_status
        why = f"({self.may_not} change a function's statuses)"
        for name in oc:
            if name not in nc:
                self.violation(f"common status {name}", f"removed from the statuses every function may return {why}")
            else:
                self.text_change(f"common status {name}", "text", f"common_status.{name}", oc[name], nc[name])
        for name in nc:
            if name not in oc:
                self.violation(f"common status {name}", f"added to the statuses every function may return {why}")

    def check_implementations(self) -> None:
        oi = {i["id"]: i for i in self.old.implementations}
        ni = {i["id"]: i for i in self.new.implementations}
        for iid, i in oi.items():
            ent = f"implementation {iid}"
            if iid not in ni:
                self.violation(ent, "removed (implementation IDs are never removed or reused)")
                continue
            key = f"implementation.{iid}"
            if _norm(i["name"]) != _norm(ni[iid]["name"]):
                if key in self.editorial:
                    self.note(f"~ editorial change: {key} (version {self.editorial[key]})")
                else:
                    self.violation(ent, f"name changed from \"{i['name']}\" to \"{ni[iid]['name']}\" "
                                   "(implementation IDs are never reused; if it is the same implementation "
                                   f"renamed, list \"{key}\" in the editorial list of version {self.n_ver})")
        for iid in sorted(set(ni) - set(oi)):
            self.add(f"implementation {iid} ({ni[iid]['name']})")

    # extensions, their functions and structures

    def check_extensions(self) -> None:
        oe = {e.name: e for e in self.old.extensions}
        ne = {e.name: e for e in self.new.extensions}
        ne_eid = {e.eid: e for e in self.new.extensions}
        oe_eid = {e.eid: e for e in self.old.extensions}
        for name, o in oe.items():
            n = ne.get(name)
            if n is None:
                other = ne_eid.get(o.eid)
                if other is not None and other.name not in oe and other.since == o.since:
                    self.violation(name, f"extension renamed to {other.name} (EID 0x{o.eid:04X}; "
                                   "extension names are never changed)")
                elif self.kind == "major" and all(f.deprecated for f in o.functions):
                    self.note(f"- extension {name} removed (every function of it was deprecated)")
                    self.removed_exts.add(name)
                    self.removed_fns |= {f.qualname for f in o.functions}
                elif self.kind == "major":
                    self.violation(name, "extension removed, but not every function of it was deprecated "
                                   "(a major version may remove only what an earlier version deprecated)")
                else:
                    self.violation(name, f"extension removed ({self.may_not} remove an extension)")
                continue
            self.extension(o, n)
        for name, n in ne.items():
            if name in oe:
                continue
            prev = oe_eid.get(n.eid)
            if prev is not None:
                if prev.name in ne or prev.name in self.removed_exts or prev.since != n.since:
                    self.violation(name, f"EID 0x{n.eid:04X} reused (it was {prev.name}; EIDs are never reused)")
                continue  # else a rename, reported above
            if not self.newer(n.since):
                self.violation(name, f"new extension with since {self.not_newer(n.since)} "
                               "(an extension added without a version bump)")
                continue
            self.add(f"extension {name} (EID 0x{n.eid:04X}, since {n.since})")
            for fn in n.functions:
                self.add(f"function {fn.qualname} (0x{fn.function_id:08X}, since {fn.since})")
            for st in n.structs:
                self.add(f"struct {st.name} (since {st.since})")

    def extension(self, o: hr.Extension, n: hr.Extension) -> None:
        name = o.name
        if n.eid != o.eid:
            self.violation(name, f"EID changed from 0x{o.eid:04X} to 0x{n.eid:04X} (EIDs are never renumbered)")
        if n.since != o.since:
            self.violation(name, f"since changed from {o.since} to {n.since}")
        nvers = dict(n.versions)
        overs = dict(o.versions)
        for num, since in o.versions:
            if num not in nvers:
                self.violation(name, f"extension version {num} removed (extension version numbers are never removed)")
            elif nvers[num] != since:
                self.violation(name, f"extension version {num}: since changed from {since} to {nvers[num]}")
        for num, since in n.versions:
            if num in overs:
                continue
            if not self.newer(since):
                self.violation(name, f"extension version {num} added with since {self.not_newer(since)}")
            else:
                self.add(f"extension {name} version {num} (since {since})")
        # A reserved FID stays reserved for ever: it exists because some
        # hypervisor answers it outside HCABI.
        nres = {fid: since for fid, since, _ in n.reserved_fids}
        for fid, since, _ in o.reserved_fids:
            if fid not in nres:
                self.violation(name, f"reserved FID 0x{fid:04X} no longer reserved (reserved FIDs are never assigned)")
            elif nres[fid] != since:
                self.violation(name, f"reserved FID 0x{fid:04X}: since changed from {since} to {nres[fid]}")
        ores = {fid for fid, _, _ in o.reserved_fids}
        for fid, since, _ in n.reserved_fids:
            if fid not in ores:
                if any(f.fid == fid for f in o.functions):
                    self.violation(name, f"FID 0x{fid:04X} reserved although a released function has it")
                else:
                    self.add(f"extension {name} reserved FID 0x{fid:04X} (since {since})")
        self.functions(o, n)
        self.structs(o, n)

    def functions(self, o: hr.Extension, n: hr.Extension) -> None:
        of = {f.name: f for f in o.functions}
        nf = {f.name: f for f in n.functions}
        of_fid = {f.fid: f for f in o.functions}
        nf_fid = {f.fid: f for f in n.functions}
        for fname, f in of.items():
            q = f.qualname
            g = nf.get(fname)
            if g is not None:
                self.function(f, g)
                continue
            other = nf_fid.get(f.fid)
            if other is not None and other.name not in of and other.since == f.since:
                self.violation(q, f"renamed to {other.qualname} (function ID 0x{f.function_id:08X}; "
                               "function names are never changed)")
            elif self.kind == "major" and f.deprecated:
                self.note(f"- function {q} removed (deprecated in {f.deprecated})")
                self.removed_fns.add(q)
            elif self.kind == "major":
                self.violation(q, "function removed, but it was not deprecated "
                               "(a major version may remove only what an earlier version deprecated)")
            else:
                extra = "; being deprecated, it may go in the next major version" if f.deprecated else ""
                self.violation(q, f"function removed ({self.may_not} remove a function{extra})")
        for fname, g in nf.items():
            if fname in of:
                continue
            prev = of_fid.get(g.fid)
            if prev is not None:
                if prev.name in nf or prev.qualname in self.removed_fns or prev.since != g.since:
                    self.violation(g.qualname, f"function ID 0x{g.function_id:08X} reused (it was {prev.qualname}; "
                                   "function IDs are never reused)")
                continue  # else a rename, reported above
            if not self.newer(g.since):
                self.violation(g.qualname, f"new function with since {self.not_newer(g.since)} "
                               "(a function added without a version bump)")
                continue
            self.add(f"function {g.qualname} (0x{g.function_id:08X}, since {g.since})")
            self.ext_add(n.name, g.since, f"function {g.name}")

    def function(self, f: hr.Function, g: hr.Function) -> None:
        q = f.qualname
        if g.fid != f.fid:
            self.violation(q, f"FID changed from {f.fid} to {g.fid} (function IDs are never renumbered)")
        if g.since != f.since:
            self.violation(q, f"since changed from {f.since} to {g.since}")
        if f.deprecated:
            if g.deprecated != f.deprecated:
                self.violation(q, f"deprecated changed from {f.deprecated} to {g.deprecated or '(none)'} "
                               "(a released deprecation is never changed or withdrawn)")
        elif g.deprecated:
            if not self.newer(g.deprecated):
                self.violation(q, f"deprecated in {self.not_newer(g.deprecated)} (a deprecation needs a new version)")
            else:
                self.note(f"~ function {q} deprecated in {g.deprecated}")
        if g.batchable != f.batchable:
            self.violation(q, f"batchable changed from {_flag(f.batchable)} to {_flag(g.batchable)}")
        if g.returns_on_success != f.returns_on_success:
            self.violation(q, f"returns_on_success changed from {_flag(f.returns_on_success)} "
                           f"to {_flag(g.returns_on_success)}")
        self.text_change(q, "returns", f"{q}.returns", f.returns, g.returns)
        self.arguments(f, g)
        self.function_statuses(f, g)

    def arguments(self, f: hr.Function, g: hr.Function) -> None:
        q = f.qualname
        on = [a.name for a in f.args]
        nn = [a.name for a in g.args]
        removed = [x for x in on if x not in nn]
        added = [x for x in nn if x not in on]
        pairs: list[tuple[hr.Arg, hr.Arg]] = []
        renamed_from: set[str] = set()
        renamed_to: set[str] = set()
        for r in removed:
            i = on.index(r)
            if i < len(nn) and nn[i] in added:
                self.violation(q, f"argument {r} renamed to {nn[i]} ({REGISTERS[i]})")
                pairs.append((f.args[i], g.args[i]))
                renamed_from.add(r)
                renamed_to.add(nn[i])
        for r in removed:
            if r not in renamed_from:
                self.violation(q, f"argument {r} removed ({self.may_not} remove an argument)")
        for a in added:
            if a not in renamed_to:
                reg = REGISTERS[nn.index(a)]
                self.violation(q, f"argument {a} added to an existing function (it would give meaning to {reg}, "
                               "a register X86-003 requires the hypervisor to ignore)")
        for x in on:
            if x in nn:
                i, j = on.index(x), nn.index(x)
                if i != j:
                    self.violation(q, f"argument {x} reordered: it moved from {REGISTERS[i]} to {REGISTERS[j]} "
                                   "(arguments are never reordered)")
                pairs.append((f.args[i], g.args[j]))
        for a, b in pairs:
            self.argument(f, a, b)

    def argument(self, f: hr.Function, a: hr.Arg, b: hr.Arg) -> None:
        q = f.qualname
        ent = f"argument {a.name}"  # as OLD names it; a rename is reported on its own
        if a.type != b.type:
            self.violation(q, f"{ent}: type changed from {a.type} to {b.type}")
        if a.since != b.since:
            self.violation(q, f"{ent}: since changed from {a.since} to {b.since}")
        if a.gpa != b.gpa:
            self.violation(q, f"{ent}: gpa changed from {_flag(a.gpa)} to {_flag(b.gpa)}")
        if a.align != b.align:
            self.violation(q, f"{ent}: alignment changed from {a.align or 'none'} to {b.align or 'none'}")
        if a.unit != b.unit:
            self.violation(q, f"{ent}: unit changed from {a.unit or 'none'} to {b.unit or 'none'}")
        self.text_change(q, f"{ent}: doc", f"{q}.arg.{b.name}", a.doc, b.doc)
        if not a.fields and b.fields:
            self.violation(q, f"{ent}: bit fields added ({', '.join(x.name for x in b.fields)}), but in "
                           f"{self.o_ver} it had none, so every bit of it already had a meaning")
            return
        of = {x.name: x for x in a.fields}
        nf = {x.name: x for x in b.fields}
        renamed_to: set[str] = set()
        for x in a.fields:
            y = nf.get(x.name)
            if y is None:
                same = [z for z in b.fields if z.name not in of and (z.hi, z.lo) == (x.hi, x.lo)]
                if same:
                    self.violation(q, f"{ent}: field {x.name} renamed to {same[0].name}")
                    renamed_to.add(same[0].name)
                else:
                    self.violation(q, f"{ent}: field {x.name} (bits {_bits(x.hi, x.lo)}) removed "
                                   "(a bit's meaning is never removed)")
                continue
            if (x.hi, x.lo) != (y.hi, y.lo):
                self.violation(q, f"{ent}: field {x.name}: bits changed from {_bits(x.hi, x.lo)} "
                               f"to {_bits(y.hi, y.lo)}")
            if x.since != y.since:
                self.violation(q, f"{ent}: field {x.name}: since changed from {x.since} to {y.since}")
            self.text_change(q, f"{ent}: field {x.name}: doc", f"{q}.arg.{b.name}.field.{x.name}", x.doc, y.doc)
        for y in b.fields:
            if y.name in of or y.name in renamed_to:
                continue
            if not self.newer(y.since):
                self.violation(q, f"{ent}: field {y.name} (bits {_bits(y.hi, y.lo)}) taken with since "
                               f"{self.not_newer(y.since)} (a reserved bit taken without a version bump)")
            else:
                self.add(f"argument field {q}.{b.name}.{y.name} (bits {_bits(y.hi, y.lo)}, since {y.since})")
                self.ext_add(f.extension.name, y.since, f"field {y.name} of {f.name}.{b.name}")

    def function_statuses(self, f: hr.Function, g: hr.Function) -> None:
        q = f.qualname
        why = f"({self.may_not} change a function's statuses)"
        oc, nc = self.old.common_status, self.new.common_status
        os_ = {s.name: s.when for s in f.statuses}
        ns_ = {s.name: s.when for s in g.statuses}
        osince = {s.name: s.since for s in f.statuses}
        nsince = {s.name: s.since for s in g.statuses}
        for name in os_:
            if name not in ns_ and not (name in oc and name not in nc):
                self.violation(q, f"status {name} removed from an existing function {why}")
        for name in ns_:
            if name not in os_ and not (name in nc and name not in oc):
                # A status the function may return only from a new version on
                # (its own `since`): a host pinned to an older version never
                # returns it, so every older version's promise holds.
                if nsince[name] is not None and self.newer(nsince[name]):
                    self.add(f"status {name} of {q} (since {nsince[name]})")
                elif nsince[name] is not None:
                    self.violation(q, f"status {name} added to an existing function with since "
                                   f"{self.not_newer(nsince[name])} {why}")
                else:
                    self.violation(q, f"status {name} added to an existing function {why}")
        for name in os_:
            if name in ns_ and osince[name] != nsince[name]:
                self.violation(q, f"status {name}: since changed from {osince[name] or 'the function'} "
                               f"to {nsince[name] or 'the function'} {why}")
        for name in os_:
            if name in ns_:
                common_both = name in oc and name in nc and os_[name] == oc[name] and ns_[name] == nc[name]
                if not common_both:
                    self.text_change(q, f"status {name}: when", f"{q}.status.{name}", os_[name], ns_[name])

    def structs(self, o: hr.Extension, n: hr.Extension) -> None:
        os_ = {s.name: s for s in o.structs}
        ns_ = {s.name: s for s in n.structs}
        for name, s in os_.items():
            if name not in ns_:
                self.violation(f"struct {name}", f"removed ({self.may_not} remove a structure)")
            else:
                self.struct(o.name, s, ns_[name])
        for name, t in ns_.items():
            if name in os_:
                continue
            if not self.newer(t.since):
                self.violation(f"struct {name}", f"new structure with since {self.not_newer(t.since)}")
            else:
                self.add(f"struct {name} (since {t.since})")
                self.ext_add(n.name, t.since, f"struct {name}")

    def struct(self, ext: str, s: hr.Struct, t: hr.Struct) -> None:
        ent = f"struct {s.name}"
        if s.size != t.size:
            self.violation(ent, f"size changed from {s.size} to {t.size} (a structure's layout is fixed)")
        if s.since != t.since:
            self.violation(ent, f"since changed from {s.since} to {t.since}")
        old_meaningful = {f.name for f in s.fields if not f.reserved}
        nf = {f.name: f for f in t.fields}
        for o in s.fields:
            lo, hi = o.offset, o.offset + o.size
            if not o.reserved:
                n = nf.get(o.name)
                if n is None:
                    same = [f for f in t.fields if (f.offset, f.type, f.count) == (o.offset, o.type, o.count)
                            and not f.reserved]
                    if same:
                        self.violation(ent, f"field {o.name} renamed to {same[0].name}")
                    else:
                        self.violation(ent, f"field {o.name} removed (a field's meaning is never removed)")
                    continue
                if n.offset != o.offset:
                    self.violation(ent, f"field {o.name}: offset changed from {o.offset} to {n.offset}")
                if n.type != o.type:
                    self.violation(ent, f"field {o.name}: type changed from {o.type} to {n.type}")
                if n.count != o.count:
                    self.violation(ent, f"field {o.name}: count changed from {o.count} to {n.count}")
                if n.reserved:
                    self.violation(ent, f"field {o.name}: became reserved (a field's meaning is never removed)")
                if n.since != o.since:
                    self.violation(ent, f"field {o.name}: since changed from {o.since} to {n.since}")
                self.text_change(ent, f"field {o.name}: doc", f"struct.{s.name}.{o.name}", o.doc, n.doc)
                continue
            # A reserved field: its bytes may be split and may take meaning, with a version.
            inside = [f for f in t.fields if f.offset >= lo and f.offset + f.size <= hi]
            cross = [f for f in t.fields if f.offset < hi and f.offset + f.size > lo and f not in inside
                     and f.name not in old_meaningful and f.offset + f.size <= s.size]  # growth: size reported
            for f in cross:
                self.violation(ent, f"field {f.name} (bytes {f.offset}-{f.offset + f.size - 1}) crosses the "
                               f"boundary of reserved field {o.name} (bytes {lo}-{hi - 1})")
            if len(inside) == 1 and inside[0].reserved and not cross:
                f = inside[0]
                if f.name != o.name:
                    self.violation(ent, f"reserved field {o.name} renamed to {f.name}")
                if (f.offset, f.type, f.count) != (o.offset, o.type, o.count):
                    self.violation(ent, f"reserved field {o.name}: type or count changed from "
                                   f"{o.type}[{o.count}] to {f.type}[{f.count}]")
                continue
            for f in inside:
                if f.reserved or f.name in old_meaningful:
                    continue
                if not self.newer(f.since or t.since):
                    took = "reserved field given meaning" if f.name == o.name else \
                        f"takes reserved field {o.name} (bytes {lo}-{hi - 1})"
                    self.violation(ent, f"field {f.name}: {took} without a version bump (its since is "
                                   f"{self.not_newer(f.since or t.since)}; give it since = \"{self.n_ver}\")")
                else:
                    self.add(f"struct field {s.name}.{f.name} (offset {f.offset}, since {f.since})")
                    self.ext_add(ext, f.since or t.since, f"field {f.name} of struct {s.name}")

    def check_constants(self) -> None:
        def consts(reg: hr.Registry) -> dict[str, hr.Constant]:
            out = {c.name: c for c in reg.constants}
            for e in reg.extensions:
                out.update({c.name: c for c in e.constants})
            return out
        oc, nc = consts(self.old), consts(self.new)
        for name, c in oc.items():
            ent = f"constant {name}"
            d = nc.get(name)
            if d is None:
                if c.extension in self.removed_exts:
                    self.note(f"- constant {name} removed with extension {c.extension}")
                else:
                    self.violation(ent, "removed (constants are never removed)")
                continue
            if c.int_value != d.int_value:
                self.violation(ent, f"value changed from {c.value} to {d.value}")
            if c.since != d.since:
                self.violation(ent, f"since changed from {c.since} to {d.since}")
        for name, d in nc.items():
            if name in oc:
                continue
            if not self.newer(d.since):
                self.violation(f"constant {name}", f"new constant with since {self.not_newer(d.since)}")
            else:
                self.add(f"constant {name} = {d.value} (since {d.since})")

    def check_requirements(self) -> None:
        nr = {r.id: r for r in self.new.requirements}
        orq = {r.id: r for r in self.old.requirements}
        for r in self.old.requirements:
            s = nr.get(r.id)
            if s is None:
                if r.function in self.removed_fns:
                    self.note(f"- requirement {r.id} removed with {r.function}")
                else:
                    self.violation(r.id, "removed (requirement IDs are never removed or reused)")
                continue
            self.text_change(r.id, "text", r.id, r.text, s.text)
            if r.since != s.since:
                self.violation(r.id, f"since changed from {r.since} to {s.since}")
            if r.function != s.function:
                self.violation(r.id, f"moved from {r.function or 'the binding'} to {s.function or 'the binding'}")
            self.check_parts(r, s)
        for s in self.new.requirements:
            if s.id in orq:
                continue
            if not self.newer(s.since):
                self.violation(s.id, f"new requirement with since {self.not_newer(s.since)} "
                               "(a requirement added to a released version)")
            else:
                self.add(f"requirement {s.id} (since {s.since})")
                self.add_parts(s, s.parts)

    def check_parts(self, r: hr.Requirement, s: hr.Requirement) -> None:
        """Parts restate their requirement: once released, a part is kept with
        its text like a requirement; a part added later is an addition, made
        only with a new version (the split shows from that version on)."""
        new_parts = {p.id: p for p in s.parts}
        old_ids = {p.id for p in r.parts}
        for p in r.parts:
            q = new_parts.get(p.id)
            if q is None:
                self.violation(p.id, f"part of {r.id} removed (requirement IDs are never removed or reused)")
            else:
                self.text_change(p.id, "text", p.id, p.text, q.text)
        self.add_parts(s, [p for p in s.parts if p.id not in old_ids])

    def add_parts(self, s: hr.Requirement, parts: list) -> None:
        for p in parts:
            if self.newer(self.new.newest_version):
                self.add(f"part {p.id} of requirement {s.id}")
            else:
                self.violation(p.id, f"new part of {s.id} in {self.new.newest_version}, which is not newer than "
                               f"{self.o_ver} (a part is shown from the version that adds it: add it with a new version)")

    def check_profiles(self) -> None:
        np_ = {p["name"]: p for p in self.new.profiles}
        op_ = {p["name"]: p for p in self.old.profiles}
        frozen = "(the profiles of a released version are frozen)"
        for name, p in op_.items():
            ent = f"profile {name}"
            n = np_.get(name)
            if n is None:
                self.violation(ent, "removed (profiles are never removed)")
                continue
            if p["since"] != n["since"]:
                self.violation(ent, f"since changed from {p['since']} to {n['since']}")
            for ver, exts in p["extensions"].items():
                if ver not in n["extensions"]:
                    self.violation(ent, f"extensions for {ver} removed {frozen}")
                elif sorted(exts) != sorted(n["extensions"][ver]):
                    self.violation(ent, f"extensions for {ver} changed from [{', '.join(exts)}] to "
                                   f"[{', '.join(n['extensions'][ver])}] {frozen}")
            for ver in n["extensions"]:
                if ver in p["extensions"]:
                    continue
                if not self.newer(ver):
                    self.violation(ent, f"extensions for {ver} added, but {ver} is a released version {frozen}")
                else:
                    self.add(f"profile {name} for {ver}: [{', '.join(n['extensions'][ver])}]")
        for name, n in np_.items():
            if name in op_:
                continue
            bad = [v for v in [n["since"], *n["extensions"]] if not self.newer(v)]
            if bad:
                self.violation(f"profile {name}", f"new profile for {self.not_newer(bad[0])} {frozen}")
            else:
                self.add(f"profile {name} (since {n['since']})")
        # A minor version only adds, so the extensions a profile requires never shrink
        # within a major version (each step of NEW's history after OLD's newest version).
        for name in sorted(set(op_) & set(np_)):
            prev, want = self.o_ver, self.old.profile_extensions(op_[name], self.o_ver)
            for ver in [v for v in self.new.version_names() if self.newer(v)]:
                have = self.new.profile_extensions(np_[name], ver)
                if PV(ver)[0] == PV(prev)[0]:
                    for ext in (e for e in want if e not in have):
                        self.violation(f"profile {name}", f"{ver} drops extension {ext}, which {prev} requires "
                                       "(a minor version only adds to a profile)")
                prev, want = ver, have

    def check_extension_numbers(self) -> None:
        ne = {e.name: e for e in self.new.extensions}
        for ext, by_ver in self.ext_additions.items():
            sinces = {s for _, s in ne[ext].versions}
            for ver in sorted(by_ver, key=PV):
                if ver not in sinces:
                    self.violation(ext, f"{', '.join(by_ver[ver])} added in {ver}, but the extension has no "
                                   f"version number for {ver} (add an [[extension.version]] with since = \"{ver}\" "
                                   "so that PROBE_EXTENSION tells the versions apart)")

    def check_editorial_keys(self) -> None:
        new = self.new
        fns = {fn.qualname: fn for fn in new.functions()}
        structs = {s.name: s for e in new.extensions for s in e.structs}
        reqs = {r.id for r in new.requirements}
        impls = {str(i["id"]) for i in new.implementations}
        for key, ver in self.editorial.items():
            ok = False
            if REQ_RE.match(key):
                ok = key in reqs or any(p.id == key for r in new.requirements for p in r.parts)
            elif key.startswith("implementation."):
                ok = key.split(".", 1)[1] in impls
            elif key.startswith("common_status."):
                ok = key.split(".", 1)[1] in new.common_status
            elif key.startswith("struct."):
                _, sname, fname = (key.split(".") + ["", ""])[:3]
                ok = sname in structs and any(f.name == fname for f in structs[sname].fields)
            else:
                parts = key.split(".")
                fn = fns.get(".".join(parts[:2]))
                rest = parts[2:]
                if fn is not None:
                    if rest == ["returns"]:
                        ok = True
                    elif len(rest) == 2 and rest[0] == "status":
                        ok = any(s.name == rest[1] for s in fn.statuses)
                    elif len(rest) in (2, 4) and rest[0] == "arg":
                        arg = next((a for a in fn.args if a.name == rest[1]), None)
                        ok = arg is not None and (len(rest) == 2 or (
                            rest[2] == "field" and any(x.name == rest[3] for x in arg.fields)))
            if not ok:
                self.violation(f"version {ver}", f"editorial entry {key} names nothing in the registry")

    def check_reuse(self) -> None:
        """IDs that OLD no longer has but an earlier release had are never given out again."""
        if not self.history:
            return

        def first(items, key):
            """The newest earlier release holding an entry `key` matches, and that entry."""
            for h in reversed(self.history):
                for x in items(h):
                    if key(x):
                        return h.newest_version, x
            return None, None

        old_fns = {fn.function_id for fn in self.old.functions()} | {fn.qualname for fn in self.old.functions()}
        for g in self.new.functions():
            if g.function_id in old_fns or g.qualname in old_fns:
                continue
            hv, prev = first(lambda h: h.functions(),
                             lambda x: x.function_id == g.function_id or x.qualname == g.qualname)
            if prev is not None:
                self.violation(g.qualname, f"function ID or name reused (it was {prev.qualname}, "
                               f"0x{prev.function_id:08X}, in {hv}; function IDs are never reused)")
        old_exts = {e.eid for e in self.old.extensions} | {e.name for e in self.old.extensions}
        for e in self.new.extensions:
            if e.eid in old_exts or e.name in old_exts:
                continue
            hv, prev = first(lambda h: h.extensions, lambda x: x.eid == e.eid or x.name == e.name)
            if prev is not None:
                self.violation(e.name, f"EID or name reused (it was {prev.name}, 0x{prev.eid:04X}, in {hv}; "
                               "EIDs are never reused)")
        old_reqs = {r.id for r in self.old.requirements}
        for r in self.new.requirements:
            if r.id in old_reqs:
                continue
            hv, prev = first(lambda h: h.requirements, lambda x: x.id == r.id)
            if prev is not None:
                self.violation(r.id, f"requirement ID reused (it was a requirement of "
                               f"{prev.function or 'the binding'} in {hv}; requirement IDs are never reused)")
        old_parts = {p.id for r in self.old.requirements for p in r.parts}
        for r in self.new.requirements:
            for p in r.parts:
                if p.id in old_parts:
                    continue
                hv, prev = first(lambda h: [x for q in h.requirements for x in q.parts], lambda x, p=p: x.id == p.id)
                if prev is not None:
                    self.violation(p.id, f"part ID reused (it was a part in {hv}; requirement IDs are never reused)")
        old_impls = {i["id"] for i in self.old.implementations}
        for i in self.new.implementations:
            if i["id"] in old_impls:
                continue
            hv, prev = first(lambda h: h.implementations, lambda x: x["id"] == i["id"])
            if prev is not None:
                self.violation(f"implementation {i['id']}", f"implementation ID reused (it was \"{prev['name']}\" "
                               f"in {hv})")
        old_status = {s["value"] for s in self.old.statuses} | {s["name"] for s in self.old.statuses}
        for s in self.new.statuses:
            if s["value"] in old_status or s["name"] in old_status:
                continue
            hv, prev = first(lambda h: h.statuses, lambda x: x["value"] == s["value"] or x["name"] == s["name"])
            if prev is not None:
                self.violation(f"status {s['name']}", f"status value or name reused (it was {prev['name']} "
                               f"({prev['value']}) in {hv}; status codes are never reused)")


def compare(old: hr.Registry, new: hr.Registry, history: Sequence[hr.Registry] = ()) -> Report:
    """Compare `new` with `old`. `history`: earlier released registries, for reuse checks."""
    return _Checker(old, new, history).run()


# ---------------------------------------------------------------------------
# Loading, snapshots and the command line

class LoadError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(path: Path, role: str) -> hr.Registry:
    """Load a registry folder; any failure becomes a LoadError naming `role` (no traceback)."""
    if not path.is_dir():
        raise LoadError([f"{role} registry {_show(path)}: not a folder"])
    try:
        return hr.load(path)
    except hr.RegistryError as e:
        raise LoadError([f"{role} registry {_show(path)}: {p}" for p in e.problems]) from None


def releases(root: Path) -> list[tuple[str, Path]]:
    """The released snapshots under root/releases, oldest first."""
    rel = root / RELEASES
    if not rel.is_dir():
        return []
    out = []
    for p in rel.iterdir():
        if not p.is_dir():
            continue
        if not VERSION_RE.match(p.name):
            raise LoadError([f"{_show(p)}: not a released snapshot: its name is not a version X.Y"])
        out.append((p.name, p))
    return sorted(out, key=lambda vp: PV(vp[0]))


def _load_snapshots(root: Path) -> list[tuple[str, Path, hr.Registry]]:
    snaps = []
    for ver, path in releases(root):
        reg = load(path, f"released {ver}")
        if reg.newest_version != ver:
            raise LoadError([f"released {ver} registry {_show(path)}: its newest version is {reg.newest_version}, "
                             f"not {ver}"])
        snaps.append((ver, path, reg))
    return snaps


def check_all(root: Path, current: hr.Registry,
              snaps: list[tuple[str, Path, hr.Registry]]) -> tuple[list[tuple[str, Report]], list[str]]:
    """Each consecutive pair of snapshots, then the newest against `current`.

    Returns the labelled reports and the problems found outside them (a released
    version without its snapshot)."""
    problems = []
    have = {v for v, _, _ in snaps}
    for ver in current.version_names()[:-1]:
        if ver not in have:
            problems.append(f"version {ver}: released (a newer version follows it) but there is no snapshot "
                            f"{_show(root / RELEASES / ver)} (freeze it with scripts/hcabi-release {ver})")
    out = []
    for i, (ver, _path, reg) in enumerate(snaps):
        history = [r for _, _, r in snaps[:i]]
        if i + 1 < len(snaps):
            nxt_ver, _, nxt = snaps[i + 1]
            out.append((f", releases {ver} and {nxt_ver}", compare(reg, nxt, history)))
        else:
            out.append((", current registry", compare(reg, current, history)))
    return out, problems


def _print_errors(problems: Iterable[str]) -> None:
    for p in problems:
        print(f"{PROG}: error: {p}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = hl.Parser(
        prog=PROG,
        description="Check that a registry keeps the compatibility promises of an older one "
                    "(docs/compatibility.md).",
        epilog="Exit status: 0 compatible, 1 incompatible, 2 usage, 4 a registry cannot be read or is invalid.")
    ap.add_argument("old", nargs="?", metavar="OLD", help="registry folder of the older version")
    ap.add_argument("new", nargs="?", metavar="NEW", help="registry folder of the newer version")
    ap.add_argument("--all", action="store_true",
                    help="check every released snapshot under REGISTRY/releases against the next, "
                         "and the newest against REGISTRY (what CI runs)")
    ap.add_argument("--registry", default=str(hr.DEFAULT_REGISTRY), metavar="REGISTRY",
                    help="the current registry, for --all (default: %(default)s)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only violations and errors")
    args = ap.parse_args(argv)
    if args.all == bool(args.old or args.new) or (not args.all and not (args.old and args.new)):
        ap.error("give either OLD and NEW, or --all")
    try:
        if args.all:
            root = Path(args.registry)
            current = load(root, "current")
            snaps = _load_snapshots(root)
            if not snaps:
                raise LoadError([f"{_show(root / RELEASES)}: no released snapshots to check "
                                 "(freeze one with scripts/hcabi-release X.Y)"])
            reports, problems = check_all(root, current, snaps)
        else:
            old = load(Path(args.old), "OLD")
            new = load(Path(args.new), "NEW")
            reports, problems = [("", compare(old, new, [old]))], []
    except LoadError as e:
        _print_errors(e.problems)
        return EXIT_ERROR
    bad = bool(problems)
    for p in problems:
        print(f"incompatible: {p}")
    for label, rep in reports:
        bad |= not rep.ok
        lines = rep.lines(label)
        print("\n".join(lines if not args.quiet or not rep.ok else lines[:1]))
    return EXIT_INCOMPATIBLE if bad else EXIT_OK


def release_main(argv: list[str] | None = None) -> int:
    """`hcabi-release X.Y`: freeze the current registry as released version X.Y."""
    prog = "hcabi-release"
    ap = hl.Parser(
        prog=prog,
        description="Freeze the current registry as released version X.Y under REGISTRY/releases/X.Y.",
        epilog="Exit status: 0 frozen, 1 refused (not the newest version, already released, or incompatible "
               "with the releases before it), 2 usage, 4 the registry cannot be read or is invalid.")
    ap.add_argument("version", metavar="X.Y")
    ap.add_argument("--registry", default=str(hr.DEFAULT_REGISTRY), metavar="REGISTRY",
                    help="the registry to freeze (default: %(default)s)")
    args = ap.parse_args(argv)
    if not VERSION_RE.match(args.version):
        ap.error(f"{args.version}: not a version X.Y")
    root = Path(args.registry)
    dest = root / RELEASES / args.version
    try:
        current = load(root, "current")
        snaps = _load_snapshots(root)
    except LoadError as e:
        for p in e.problems:
            print(f"{prog}: error: {p}", file=sys.stderr)
        return EXIT_ERROR
    if current.newest_version != args.version:
        print(f"{prog}: refused: {args.version} is not the registry's newest version "
              f"({current.newest_version})", file=sys.stderr)
        return EXIT_INCOMPATIBLE
    if dest.exists():
        print(f"{prog}: refused: {_show(dest)} exists: {args.version} is already released, and a release is never "
              "re-frozen", file=sys.stderr)
        return EXIT_INCOMPATIBLE
    if snaps:
        reports, problems = check_all(root, current, snaps)
        lines = [f"  {p}" for p in problems]
        for label, rep in reports:
            if not rep.ok:
                lines += rep.lines(label)
        if lines:
            print(f"{prog}: refused: the registry breaks the promises of the releases before it:", file=sys.stderr)
            print("\n".join(lines), file=sys.stderr)
            return EXIT_INCOMPATIBLE
    files = [root / "hcabi.toml", root / "registry.schema.json", *sorted((root / "extensions").glob("*.toml"))]
    tmp = dest.parent / f".{args.version}.tmp"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "extensions").mkdir(parents=True)
        for f in files:
            shutil.copy2(f, tmp / f.relative_to(root))
        tmp.rename(dest)
        load(dest, f"released {args.version}")
    except (OSError, LoadError) as e:
        msg = e.problems if isinstance(e, LoadError) else [str(hl.os_problem(e, dest, "write"))]
        for p in msg:
            print(f"{prog}: error: {p}", file=sys.stderr)
        return EXIT_ERROR
    print(f"released {args.version}: froze {len(files)} files under {_show(dest)}; commit them, and never edit them")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(hl.run_main(PROG, main))
