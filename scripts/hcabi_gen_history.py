"""The spec's history and manifests, from the registry: what each version added.

One job: the files that describe versions rather than functions. The version history
(spec/generated/history.adoc and CHANGELOG, which scripts/hcabi_changelog_check.py
compares), the "changes between versions" appendix, the document attributes, and the
requirements manifest (spec/generated/requirements.json) the conformance tooling reads.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_registry as hr  # noqa: E402
from hcabi_gen_adoc import GENERATOR, SOURCE, banner, bits, cell, fn_anchor, struct_anchor  # noqa: E402
from hcabi_spec_view import PARTS_FROM, View, parts_of  # noqa: E402


def version_additions(reg: hr.Registry, version: str) -> dict[str, list]:
    """Everything the registry says `version` added, from the `since` fields alone.

    Keys, each a list of registry objects (or tuples) in registry order:
    extensions, extension_versions (ext, number), functions, fields (fn, arg, field) of
    functions older than `version` (new meanings for bits reserved before), new_fn_fields
    (the same for functions new in `version`), structs, struct_fields (struct, field) of
    structures older than `version`, constants, requirements, profiles (name, extension
    list) and deprecated (functions deprecated in `version`).
    """
    v = version
    out: dict[str, list] = {k: [] for k in (
        "extensions", "extension_versions", "functions", "fields", "new_fn_fields", "structs",
        "struct_fields", "constants", "requirements", "profiles", "deprecated")}
    for e in reg.extensions:
        if e.since == v:
            out["extensions"].append(e)
        out["extension_versions"] += [(e, n) for n, since in e.versions if since == v]
        for fn in e.functions:
            if fn.since == v:
                out["functions"].append(fn)
            if fn.deprecated == v:
                out["deprecated"].append(fn)
            for a in fn.args:
                for f in a.fields:
                    if f.since == v:
                        out["new_fn_fields" if fn.since == v else "fields"].append((fn, a, f))
        for st in e.structs:
            if st.since == v:
                out["structs"].append(st)
            else:
                out["struct_fields"] += [(st, f) for f in st.fields if f.since == v and not f.reserved]
    out["constants"] = [c for c in reg.constants + [c for e in reg.extensions for c in e.constants]
                        if c.since == v]
    # in the order of the requirements index: the binding areas, then by function
    ordered = ([r for r in reg.requirements if r.function is None]
               + [r for fn in reg.functions() for r in fn.requirements])
    out["requirements"] = [r for r in ordered if r.since == v]
    for prof in reg.profiles:
        if v in prof["extensions"]:
            out["profiles"].append((prof["name"], prof["extensions"][v]))
    return out



def gen_changes_since(reg: hr.Registry, names: list[str] | None = None) -> str:
    """The spec's "changes between versions" appendix: per version after the first, what
    it added, listed from the registry's `since` fields (nothing hand-written); `names`: the
    versions the document covers, oldest first (default: all)."""
    names = names or reg.version_names()
    o = [banner()]
    if len(names) < 2:
        o.append(f"HCABI {names[0]} is the first version: nothing has changed yet.\n")
        return "\n".join(o)
    ext_anchor = {e.name: f"ext-{e.name.lower()}" for e in reg.extensions}
    for i in range(len(names) - 1, 0, -1):
        v, prev = names[i], names[i - 1]
        add = version_additions(reg, v)
        entry = next(x for x in reg.versions if x["version"] == v)
        o.append(f"[[changes-{v.replace('.', '-')}]]")
        o.append(f"=== HCABI {v} ({entry['date']}), compared with HCABI {prev}\n")
        rows: list[tuple[str, str]] = []

        def row(label: str, items: list[str]) -> None:
            rows.append((label, "; ".join(items) if items else "none"))

        row("Extensions", [f"<<{ext_anchor[e.name]},{e.name}>> (EID `0x{e.eid:04X}`)" for e in add["extensions"]])
        row("Extension versions", [f"<<{ext_anchor[e.name]},{e.name}>> version {n} "
                                   f"(BASE.PROBE_EXTENSION returns {n})" for e, n in add["extension_versions"]])
        row("Functions", [f"<<{fn_anchor(fn)},{fn.qualname}>> (`0x{fn.function_id:08X}`, `{fn.macro}`)"
                          for fn in add["functions"]])
        row("Argument fields on bits reserved before",
            [f"<<{fn_anchor(fn)},{fn.qualname}>> `{a.name}` {bits(f)} `{f.name}`"
             for fn, a, f in add["fields"]])
        row("Argument fields of the new functions",
            [f"<<{fn_anchor(fn)},{fn.qualname}>> `{a.name}` {bits(f)} `{f.name}`"
             for fn, a, f in add["new_fn_fields"]])
        row("Structures", [f"<<{struct_anchor(st.name)},struct hcabi_{st.name}>>" for st in add["structs"]])
        row("Structure fields given a meaning",
            [f"<<{struct_anchor(st.name)},struct hcabi_{st.name}>> `{f.name}`"
             for st, f in add["struct_fields"]])
        row("Constants", [f"`HCABI_{c.name}` = `{c.value}`" for c in add["constants"]])
        row("Requirements", [f"<<{r.id},{r.id}>>" + (f" ({r.function})" if r.function else f" ({r.area})")
                             for r in add["requirements"]])
        row("Profiles", [f"`{name}` requires {', '.join(exts)}" for name, exts in add["profiles"]])
        row("Deprecated functions", [f"<<{fn_anchor(fn)},{fn.qualname}>>" for fn in add["deprecated"]])
        row("Requirements stated as parts",
            [f"<<{r.id},{r.id}>> ({len(parts_of(r))} parts)" for r in reg.requirements
             if v == PARTS_FROM and parts_of(r) and hr.parse_version(r.since) < hr.parse_version(v)])
        row("Texts reworded, meaning unchanged", [_editorial(reg, key) for key in entry.get("editorial", [])])
        o.append("[cols=\"1,4\",options=\"header\"]\n|===\n|Change |What")
        for label, text in rows:
            o.append(f"|{label} |{cell(text)}")
        o.append("|===\n")
    return "\n".join(o)


def _editorial(reg: hr.Registry, key: str) -> str:
    """An `editorial` key (the compatibility checker's) as a reader reads it, linked."""
    if key in {r.id for r in reg.requirements}:
        return f"<<{key},{key}>> (text)"
    if key.startswith("struct."):
        _, st, fld = key.split(".", 2)
        return f"<<{struct_anchor(st)},struct hcabi_{st}>> `{fld}`"
    fns = {fn.qualname: fn for fn in reg.functions()}
    head = ".".join(key.split(".")[:2])
    if head in fns:
        what = key[len(head) + 1:].replace(".field.", " field ").replace("arg.", "argument ").replace(".", " ")
        return f"<<{fn_anchor(fns[head])},{head}>>: {what}"
    return f"`{key}`"


def gen_history(view: View) -> str:
    """Each version of the document and those before it, newest first, with its changes."""
    reg = view.reg
    o = [banner()]
    for v in sorted(reg.versions, key=lambda v: hr.parse_version(v["version"]), reverse=True):
        if not view.has(v["version"]):
            continue
        o.append(f"=== HCABI {v['version']} ({v['date']})\n")
        o.append(v["summary"] + "\n")
        o += [f"* {c}" for c in v["changes"]]
        added = [fn for fn in reg.functions() if fn.since == v["version"]]
        o.append(f"\nFunctions introduced: {', '.join(f'<<{fn_anchor(fn)},{fn.qualname}>>' for fn in added) or 'none'}.\n")
    return "\n".join(o) + "\n"


def gen_attributes(view: View, released: set[str]) -> str:
    """The document attributes: its version, status and counts, and one attribute
    `hcabi-since-X-Y` per version it includes, which hand-written prose tests with
    ifdef::hcabi-since-X-Y[] where it differs by version. `hcabi-parts` is set when the
    document shows requirements as their parts. A comparison also sets `hcabi-diff-from`
    (the older version), and `hcabi-parts-new` when the parts are new in it."""
    entry = view.version_entry()
    reqs = view.requirements()
    o = [banner().rstrip("\n"),
         f":hcabi-version: {entry['version']}",
         f":hcabi-version-date: {entry['date']}",
         f":hcabi-version-code: 0x{hr.version_code(entry['version']):08X}",
         f":hcabi-versions: {', '.join(view.versions())}",
         f":hcabi-status: {'Released' if view.version in released else 'Draft'}",
         f":hcabi-extension-count: {len(view.extensions())}",
         f":hcabi-function-count: {len(view.functions())}",
         f":hcabi-requirement-count: {len(reqs)}",
         f":hcabi-atomic-count: {len(view.atomic_ids())}"]
    o += [f":hcabi-since-{v.replace('.', '-')}:" for v in view.versions()]
    if any(view.split(r) for r in view.requirements()):
        o.append(":hcabi-parts:")  # requirements with parts are shown as their parts
    if view.prev:
        o.append(f":hcabi-diff-from: {view.prev}")
        if any(view.split_is_new(r) for r in view.requirements()):
            o.append(":hcabi-parts-new:")
    return "\n".join(o) + "\n"


def gen_manifest(view: View) -> str:
    """The requirements manifest of the document's version (the committed one: the newest)."""
    reg = view.reg
    reqs = [r for r in reg.requirements if view.has(r.since)
            and (r.function is None or any(fn.qualname == r.function for fn in view.functions()))]
    doc = {
        "generated_by": GENERATOR,
        "source": SOURCE,
        "newest_version": reg.newest_version,
        "versions": [{"version": v["version"], "date": v["date"], "summary": v["summary"]}
                     for v in sorted(reg.versions, key=lambda v: hr.parse_version(v["version"]))
                     if view.has(v["version"])],
        "binding_areas": list(hr.BINDING_AREAS),
        # the requirement areas of each architecture's binding; every other area is neutral
        "architectures": {arch: list(areas) for arch, areas in hr.ARCH_AREAS.items()},
        # per architecture, the C macro of spec/generated/binding_reqs.h -> the requirement ID
        # it holds there (the binding topics a check names)
        "binding_macros": reg.binding_macros(),
        "statuses": [{"name": s["name"], "value": s["value"]} for s in reg.statuses],
        "extensions": [{
            "name": e.name, "eid": e.eid, "since": e.since, "title": e.title,
            "versions": [{"number": n, "since": s} for n, s in e.versions],
            "reserved_fids": [{"fid": fid, "since": since} for fid, since, _ in e.reserved_fids],
            "functions": [{
                "name": fn.name, "fid": fn.fid, "function_id": fn.function_id, "since": fn.since,
                "deprecated": fn.deprecated, "anchor": fn_anchor(fn),
                "statuses": [s.name for s in fn.statuses],
                "args": [a.name for a in fn.args],
            } for fn in view.functions(e)],
        } for e in view.extensions()],
        "profiles": [{"name": p["name"], "since": p["since"], "summary": p["summary"],
                      "extensions": dict(sorted(p["extensions"].items(), key=lambda kv: hr.parse_version(kv[0])))}
                     for p in reg.profiles if view.has(p["since"])],
        "requirements": [{"id": r.id, "text": r.text, "area": r.area, "function": r.function,
                          "since": r.since, "parts": _not_on(reg, parts_of(r))}
                         | ({"applies_with": list(r.applies_with)} if getattr(r, "applies_with", ()) else {})
                         | _not_on_entry(reg, r.id)
                         for r in reqs],
    }
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def _not_on_entry(reg: hr.Registry, rid: str) -> dict[str, list[str]]:
    """{"not_on": [arch...]} for a neutral requirement or part that a binding replaces on
    those architectures (it does not apply there); {} when it applies everywhere."""
    arches = [a for a in hr.ARCHES if not reg.applies_on(rid, a)]
    return {"not_on": arches} if arches and reg.atomic_ids()[rid].arch is None else {}


def _not_on(reg: hr.Registry, parts: list[dict]) -> list[dict]:
    return [p | _not_on_entry(reg, p["id"]) for p in parts]


def gen_changelog(reg: hr.Registry) -> str:
    """CHANGELOG: one section per spec version, from the same history as the spec's appendix."""
    o = ["# HCABI changelog", "",
         f"<!-- DO NOT EDIT. Generated by {GENERATOR} from {SOURCE}: edit the [[version]] entries there. -->", ""]
    for v in sorted(reg.versions, key=lambda v: hr.parse_version(v["version"]), reverse=True):
        o.append(f"## HCABI {v['version']} ({v['date']})")
        o.append("")
        o.append(v["summary"])
        o.append("")
        o += [f"- {c}" for c in v["changes"]]
        added = [fn.qualname for fn in reg.functions() if fn.since == v["version"]]
        o.append(f"- Functions introduced: {', '.join(added) or 'none'}.")
        o.append("")
    return "\n".join(o)

