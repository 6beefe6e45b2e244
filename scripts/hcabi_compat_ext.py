"""The compatibility rules for extensions, their functions, arguments, bit fields and structures.

One job: compare each extension of an older registry with the newer one's
(docs/compatibility.md): what may be added with a new version, what is never
renamed, renumbered, retyped or removed. hcabi_compat_rules.py runs these rules
with the others; hcabi_compat_step.py holds the state and helpers they share.
"""
from __future__ import annotations

import hcabi_registry as hr
from hcabi_compat_step import REGISTERS, Step, _bits, _flag, _or_none


class ExtensionRules(Step):
    """The rules for the extensions' contents; each a method, each violation naming its entity."""

    def check_extensions(self) -> None:
        old_side, new_side = self.by_name(self.old.extensions, self.new.extensions, lambda e: e.eid)
        for o, n, renamed in old_side:
            name = o.name
            if n is None:
                if renamed is not None:
                    self.violation(name, f"extension renamed to {renamed.name} (EID 0x{o.eid:04X}; "
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
        for n, prev in new_side:
            name = n.name
            if prev is not None:
                self.violation(name, f"EID 0x{n.eid:04X} reused (it was {prev.name}; EIDs are never reused)")
                continue
            if not self.fresh(name, "extension", n.since, "(an extension added without a version bump)"):
                continue
            self.add(f"extension {name} (EID 0x{n.eid:04X}, since {n.since})")
            for fn in n.functions:
                self.add(f"function {fn.qualname} (0x{fn.function_id:08X}, since {fn.since})")
            for st in n.structs:
                self.add(f"struct {st.name} (since {st.since})")

    def extension(self, o: hr.Extension, n: hr.Extension) -> None:
        name = o.name
        self.differ(name, "EID", o.eid, n.eid, "(EIDs are never renumbered)", show=lambda v: f"0x{v:04X}")
        self.differ(name, "since", o.since, n.since)
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
        old_side, new_side = self.by_name(o.functions, n.functions, lambda f: f.fid)
        for f, g, renamed in old_side:
            q = f.qualname
            if g is not None:
                self.function(f, g)
                continue
            if renamed is not None:
                self.violation(q, f"renamed to {renamed.qualname} (function ID 0x{f.function_id:08X}; "
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
        for g, prev in new_side:
            if prev is not None:
                self.violation(g.qualname, f"function ID 0x{g.function_id:08X} reused (it was {prev.qualname}; "
                               "function IDs are never reused)")
                continue
            if not self.fresh(g.qualname, "function", g.since, "(a function added without a version bump)"):
                continue
            self.add(f"function {g.qualname} (0x{g.function_id:08X}, since {g.since})")
            self.ext_add(n.name, g.since, f"function {g.name}")

    def function(self, f: hr.Function, g: hr.Function) -> None:
        q = f.qualname
        self.differ(q, "FID", f.fid, g.fid, "(function IDs are never renumbered)")
        self.differ(q, "since", f.since, g.since)
        if f.deprecated:
            if g.deprecated != f.deprecated:
                self.violation(q, f"deprecated changed from {f.deprecated} to {g.deprecated or '(none)'} "
                               "(a released deprecation is never changed or withdrawn)")
        elif g.deprecated:
            if not self.newer(g.deprecated):
                self.violation(q, f"deprecated in {self.not_newer(g.deprecated)} (a deprecation needs a new version)")
            else:
                self.note(f"~ function {q} deprecated in {g.deprecated}")
        self.differ(q, "batchable", f.batchable, g.batchable, show=_flag)
        self.differ(q, "returns_on_success", f.returns_on_success, g.returns_on_success, show=_flag)
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
        self.differ(q, f"{ent}: type", a.type, b.type)
        self.differ(q, f"{ent}: since", a.since, b.since)
        self.differ(q, f"{ent}: gpa", a.gpa, b.gpa, show=_flag)
        self.differ(q, f"{ent}: alignment", a.align, b.align, show=_or_none)
        self.differ(q, f"{ent}: unit", a.unit, b.unit, show=_or_none)
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
            self.differ(q, f"{ent}: field {x.name}: since", x.since, y.since)
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
            if self.fresh(f"struct {name}", "structure", t.since, arch=t.arch):
                self.add(f"struct {name} (since {t.since}{self.binding_note(t.arch, t.since)})")
                if not self.binding_note(t.arch, t.since):  # a new binding's struct needs no extension version
                    self.ext_add(n.name, t.since, f"struct {name}")

    def struct(self, ext: str, s: hr.Struct, t: hr.Struct) -> None:
        ent = f"struct {s.name}"
        self.differ(ent, "size", s.size, t.size, "(a structure's layout is fixed)")
        self.differ(ent, "since", s.since, t.since)
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
                for what in ("offset", "type", "count"):
                    self.differ(ent, f"field {o.name}: {what}", getattr(o, what), getattr(n, what))
                if n.reserved:
                    self.violation(ent, f"field {o.name}: became reserved (a field's meaning is never removed)")
                self.differ(ent, f"field {o.name}: since", o.since, n.since)
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
