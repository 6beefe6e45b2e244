"""The compatibility rules for everything outside the extensions, and the order all rules run in.

One job: compare an older registry with a newer one (docs/compatibility.md): the
version history, statuses, implementations, constants, requirements and their
parts, profiles, the editorial list and IDs reused after a removal, with the
extensions' rules of hcabi_compat_ext.py. compare() is the entry point;
scripts/hcabi_compat.py is the command line.
"""
from __future__ import annotations

from typing import Sequence

import hcabi_registry as hr
from hcabi_compat_ext import ExtensionRules
from hcabi_compat_step import PV, Report, _norm


class Checker(ExtensionRules):
    """One comparison: run() applies every rule in turn and returns the report."""

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
            self.differ(ent, "date", ov["date"], nv["date"], why)
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
            self.differ(ent, "since", c.since, d.since)
        for name, d in nc.items():
            if name in oc:
                continue
            if self.fresh(f"constant {name}", "constant", d.since, arch=d.arch):
                self.add(f"constant {name} = {d.value} (since {d.since}{self.binding_note(d.arch, d.since)})")

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
            self.differ(r.id, "since", r.since, s.since)
            if r.function != s.function:
                self.violation(r.id, f"moved from {r.function or 'the binding'} to {s.function or 'the binding'}")
            if sorted(r.replaces) != sorted(s.replaces):  # which neutral requirements apply on its architecture
                self.violation(r.id, f"replaces changed from [{', '.join(r.replaces)}] to [{', '.join(s.replaces)}] "
                               f"(what applies on {r.arch} is part of a released version; a new requirement "
                               "replaces what a new version adds)")
            self.check_parts(r, s)
        for s in self.new.requirements:
            if s.id in orq:
                continue
            if self.fresh(s.id, "requirement", s.since, "(a requirement added to a released version)", s.arch):
                self.add(f"requirement {s.id} (since {s.since}{self.binding_note(s.arch, s.since)})")
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
            if self.newer(self.new.newest_version) or s.arch in self.new_arches:
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
            self.differ(ent, "since", p["since"], n["since"])
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
        for key, ver in self.editorial.items():
            if not self.new.has_item(key):
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
    return Checker(old, new, history).run()
