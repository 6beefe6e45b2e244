"""The HTML report's two long tables, each with a filter bar (status and
extension; html_assets.JS drives it, and without scripts every row shows):
every test (most severe first), and the traceability view: requirement ->
its tests -> their results -> the reference code that implements it."""

from __future__ import annotations

from typing import Any, Optional

from .code_refs import CodeRef, refs_for
from .html_common import Links, esc, seconds, status, table, test_anchor
from .model import SEVERITY, STATUSES, TestResult
from .testlogs import TestLogs


def filters(table_id: str, statuses: list[str], counts: dict[str, int], extensions: list[str]) -> str:
    """A filter bar for table `table_id` (hidden until the script runs)."""
    boxes = "".join(
        f'<label><input type="checkbox" name="status" value="{esc(s)}" checked> <span class="s-{esc(s)}">{esc(s)}</span> ({counts.get(s, 0)})</label>'
        for s in statuses
    )
    options = '<option value="">every extension</option>' + "".join(f'<option value="{esc(e)}">{esc(e)}</option>' for e in extensions)
    return (
        f'<form class="filters" data-table="{esc(table_id)}" hidden>'
        f"<fieldset><legend>Status:</legend>{boxes}</fieldset>"
        f'<label>Extension: <select name="ext">{options}</select></label><span class="shown"></span></form>'
    )


def tests_section(results: list[TestResult], logs: TestLogs, links: Links) -> str:
    """Every test, most severe first, with its share of its boot's time."""
    ordered = sorted(results, key=lambda r: (-SEVERITY.get(r.status, 0), r.test))
    by_image: dict[str, list[str]] = {}
    for res in results:
        by_image.setdefault(res.image, []).append(res.test)
    rows, attrs = [], []
    for res in ordered:
        share, basis = logs.test_seconds(res.image, res.test, by_image[res.image])
        rows.append([
            f'<a href="#{esc(test_anchor(res.test))}">{esc(res.test)}</a>', esc(res.extension), esc(res.image), status(res.status),
            f'<span class="nowrap" title="{esc(basis)}">{esc(seconds(share))}</span>', ", ".join(links.req(x) for x in res.requirements), f"<pre>{esc(res.message)}</pre>",
        ])  # fmt: skip
        attrs.append(f'id="{esc(test_anchor(res.test))}" data-status="{esc(res.status)}" data-ext="{esc(res.extension)}"')
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    bar = filters("tests", [s for s in STATUSES if counts[s]], counts, sorted({r.extension for r in results}))
    note = "<p>Time: each test's equal share of its boot's time (the guest does not time single tests; hover for the basis).</p>"
    return bar + note + table(["Test", "Extension", "Image", "Status", "Time", "Requirements", "Message"], rows, table_id="tests", row_attrs=attrs)


def _code(refs: Optional[dict[str, list[CodeRef]]], rid: str, parent: Optional[str], links: Links) -> str:
    if refs is None:
        return "<i>sources not available</i>"
    found = refs_for(refs, rid, parent)
    if not found:
        return "<i>none cited</i>"
    out = []
    for ref in found:
        target = str(links.source_root / ref.path) if links.source_root else ref.path
        label = f"{ref.path.rsplit('/', 1)[-1]}:{ref.line}"
        cited = f" <small>({esc(ref.cites)})</small>" if ref.cites != rid else ""
        out.append(f'<span title="{esc(ref.text)}">{links.file(target, label)}{cited}</span>')
    return "<br>".join(out)


def traceability_section(report: dict[str, Any], results: list[TestResult], refs: Optional[dict[str, list[CodeRef]]], links: Links) -> str:
    """One row per atomic requirement: its status, its text, each test that
    checks it with that test's result, and the core's lines that cite it."""
    by_test = {r.test: r for r in results}
    rows, attrs = [], []
    reqs = report.get("requirements") or {}
    for rid, row in sorted(reqs.items()):
        tests = []
        for name in row.get("tests") or []:
            res = by_test.get(name)
            if res is None:  # not selected in this run: no row to link to
                tests.append(f'{esc(name)} <span class="badge s-not-run">not-run</span>')
            else:
                tests.append(f'<a href="#{esc(test_anchor(name))}">{esc(name)}</a> {status(res.status)}')
        parent = row.get("parent") if isinstance(row.get("parent"), str) else None
        rows.append([
            links.req(rid), status(str(row.get("status"))), links.text(str(row.get("text", ""))),
            "<br>".join(tests) or "<i>none</i>", f'<span class="code">{_code(refs, rid, parent, links)}</span>',
        ])  # fmt: skip
        attrs.append(f'id="req-{esc(rid)}" data-status="{esc(row.get("status"))}" data-ext="{esc(row.get("area"))}"')
    found = sorted({str(r.get("status")) for r in reqs.values()}, key=lambda s: (SEVERITY.get(s, -1), s))
    counts = {s: sum(1 for r in reqs.values() if str(r.get("status")) == s) for s in found}
    bar = filters("traceability", found, counts, sorted({str(r.get("area")) for r in reqs.values()}))
    where = "the reference implementation's core (reference-impl/core/*.c), scanned when this report was written"
    note = f"<p>Reference code: the lines of {where} that cite the requirement (or, for a part, its whole requirement); hover for the line.</p>"
    return bar + note + table(["Requirement", "Status", "Text", "Tests and their results", "Reference code"], rows, table_id="traceability", row_attrs=attrs)
