"""hcabi_coverage: per atomic requirement, the checks that exercise it.

The `coverage` mode of scripts/hcabi_tests_manifest.py. An atomic requirement
is a part of a compound requirement (IPI-001.2) or a requirement without
parts; a check exercises it when a test that cites it has code that names it
(a requirement-ID literal, or a framework helper that checks it for the test:
scripts/hcabi_test_checks.py). Citing a requirement in a test's header covers
nothing by itself, and citing a requirement that has parts is an error: the
parts say which condition a check checks.

Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from hcabi_tests_scan import Loc, Registry, grouped_citations, uncited_checks, write_if_changed


def checks_by_requirement(tests: list, reg: Registry, arch: Optional[str] = None) -> dict:
    """Atomic requirement -> [(test, Site)]: the checks of a test that cites
    the requirement and whose code names it (its own literal, or a helper that
    checks it for the test). With `arch`, only the requirements that apply on
    that architecture (Registry.atomic)."""
    table: dict = {r: [] for r in reg.atomic(arch)}
    for t in tests:
        for site in t.sites:
            if site.req in table and site.req in t.requirements:
                table[site.req].append((t, site))
    return table


def describe(rid: str, reg: Registry) -> str:
    parent = reg.parent.get(rid)
    return f"{rid} ({'part of ' + parent + ', ' if parent else ''}since {reg.requirements[rid]})"


def coverage(tests: list, reg: Registry, out, report: bool = False, json_out: Optional[Path] = None,
             arch: str = "x86_64") -> int:
    """Per atomic requirement that applies on `arch`, the checks that exercise it; 1 if
    one has none, a check names a requirement its test does not cite, or a test cites
    a requirement that has parts."""
    table = checks_by_requirement(tests, reg, arch)
    missing = sorted((r for r, rows in table.items() if not rows), key=req_sort_key)
    if report:
        for rid in sorted(table, key=req_sort_key):
            rows = table[rid]
            print(f"{describe(rid, reg)}: {len(rows)} check(s)" if rows else f"{describe(rid, reg)}: UNCOVERED",
                  file=out)
            for t, site in rows:
                print(f"    {t.name}  {Loc(site.path, site.line)}  {site.message or '-'}", file=out)
    if json_out is not None:
        doc = {"requirements": {rid: {
            "parent": reg.parent.get(rid), "since": reg.requirements[rid],
            "checks": [{"test": t.name, "location": str(Loc(site.path, site.line)), "message": site.message}
                       for t, site in table[rid]]} for rid in sorted(table, key=req_sort_key)}}
        write_if_changed(json_out, json.dumps(doc, indent=1) + "\n")
    total = len(table)
    nparts = len(reg.parent)
    print(f"{total - len(missing)} of {total} atomic requirements are checked by at least one test "
          f"({len(reg.requirements) - nparts} requirements, {len(reg.groups)} of them in {nparts} parts), "
          f"of those that apply on {arch}", file=out)
    for r in missing:
        print(f"  uncovered: {describe(r, reg)}: no check of a test that cites it names it", file=out)
    bad = uncited_checks(tests, out) + grouped_citations(tests, reg, out)
    return 1 if missing or bad else 0


def req_sort_key(rid: str) -> tuple:
    area, _, num = rid.rpartition("-")
    base, _, part = num.partition(".")
    return (area, int(base) if base.isdigit() else 0, int(part) if part.isdigit() else 0, num)
