"""Cross-checks of a loaded HCABI registry that its JSON schema cannot express.

One job: given the model (scripts/hcabi_registry_model.py), list every problem of
uniqueness, range, layout and reference, each naming the file and the entry.
scripts/hcabi_registry.py runs it after the schema check.
"""
from __future__ import annotations

import re

import hcabi_load as hl
from hcabi_registry_model import ARCHES, BINDING_AREAS, BINDING_TOPICS, TYPE_SIZES, Function, Registry, Requirement, Struct, parse_version

STRUCT_MAX = 1 << 20  # bytes: no structure of the ABI comes near



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
        if r.applies_with and r.parts:
            p.append(f"{r.file}: requirement {r.id}: applies_with belongs on its parts (it has parts)")
        for what, within in [(f"part {part.id}: ", part.applies_with) for part in r.parts] + [("", r.applies_with)]:
            for name in within:
                if name not in ext_names:
                    p.append(f"{r.file}: requirement {r.id}: {what}applies_with names {name!r}, "
                             "which is not an extension")
            if r.area in within:
                p.append(f"{r.file}: requirement {r.id}: {what}applies_with names its own extension "
                         f"{r.area}, whose requirements apply only where it is provided anyway")
    _check_bindings(p, reg, all_consts)
    _check_topics(p, reg)
    return p


def _check_bindings(p: list[str], reg: Registry, consts: list) -> None:
    """What names an architecture says so (ARM64_ constants, _arm64 structs), and a binding
    requirement's `replaces` and `maps` name neutral things that exist, each replaced once."""
    for c in consts:
        if c.arch and c.arch != "x86_64" and not c.name.startswith(c.arch.upper() + "_"):
            where = next((f for f in reg.files if f.endswith(f"bindings/{c.arch}.toml")), reg.files[0])
            p.append(f"{where}: constant {c.name}: a constant of the {c.arch} binding is named "
                     f"{c.arch.upper()}_...")
    for e in reg.extensions:
        for st in e.structs:
            if st.arch and st.arch != "x86_64" and not st.name.endswith("_" + st.arch):
                p.append(f"{e.file}: struct {st.name}: a structure of the {st.arch} binding is named ..._{st.arch}")
    ids = reg.atomic_ids()
    replaced: dict[tuple[str, str], str] = {}
    for r in reg.requirements:
        if r.arch is None and (r.replaces or r.maps):
            p.append(f"{r.file}: requirement {r.id}: only a requirement of an architecture's binding has "
                     "replaces or maps")
            continue
        for kind in ("replaces", "maps"):
            for key in getattr(r, kind):
                target = ids.get(key)
                if not reg.has_item(key) or (kind == "replaces" and target is None):
                    what = "requirement or part" if kind == "replaces" else "requirement, part or item"
                    p.append(f"{r.file}: requirement {r.id}: {kind} names {key}, which is no {what} of the registry")
                elif target is not None and target.arch is not None:
                    p.append(f"{r.file}: requirement {r.id}: {kind} names {key}, a requirement of the "
                             f"{target.arch} binding; only architecture-neutral ones are replaced or mapped")
                elif kind == "replaces":
                    covered = [k for k in (key, key.rpartition(".")[0]) if (k, r.arch or "") in replaced]
                    if covered:
                        p.append(f"{r.file}: requirement {r.id}: replaces {key}, which "
                                 f"{replaced[(covered[0], r.arch or '')]} already replaces on {r.arch}")
                    replaced[(key, r.arch or "")] = r.id


def _check_topics(p: list[str], reg: Registry) -> None:
    """A `topic` is one of BINDING_TOPICS, on a binding requirement; once any requirement has
    one, every binding gives each topic, a topic a check names to exactly one requirement
    without parts (tests cite atomic IDs)."""
    with_topic = [r for r in reg.requirements if r.topic is not None]
    for r in with_topic:
        if r.topic not in BINDING_TOPICS:
            p.append(f"{r.file}: requirement {r.id}: unknown topic {r.topic!r} (known: {', '.join(BINDING_TOPICS)})")
        elif r.arch is None:
            p.append(f"{r.file}: requirement {r.id}: topic {r.topic!r}: only a requirement of an architecture's "
                     "binding has a topic")
    if not with_topic:
        return  # a registry from before topics (a frozen release)
    for arch in (a for a in ARCHES if a in reg.arches()):
        where = next((f for f in reg.files if f.endswith(f"bindings/{arch}.toml")), reg.files[0])
        for topic, (what, macro) in BINDING_TOPICS.items():
            ids = [r for r in with_topic if r.topic == topic and r.arch == arch]
            if not ids:
                p.append(f"{where}: the {arch} binding has no requirement with topic {topic!r} ({what})")
            elif macro and (len(ids) > 1 or ids[0].parts):
                p.append(f"{ids[0].file}: requirement {ids[0].id}: topic {topic!r} is one atomic requirement's, "
                         f"but the {arch} binding gives it to {', '.join(r.id + (' (parts)' if r.parts else '') for r in ids)}")


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
