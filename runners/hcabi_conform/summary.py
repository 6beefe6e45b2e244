"""The human-readable summary printed at the end of `run` and `merge`: what
was tested, per-extension counts, each failing requirement with its spec text,
and the verdict with its reasons; one line per root cause (causes.py) unless
-v asks for every line."""

from __future__ import annotations

import textwrap
from typing import Any

from .causes import NAMED, group_by_cause, known_names
from .colour import PLAIN, Palette
from .model import STATUSES, claim_text, report_arch
from .verdict import first_line

BAD_REQ_STATUSES = ("fail", "timeout", "crash", "error")
MAX_LISTED = 40


def _wrap(text: str, indent: str, hanging: str = "") -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent + hanging, subsequent_indent=indent + " " * len(hanging))


def _header(report: dict[str, Any]) -> list[str]:
    target = report.get("target_info") or {}
    impl = report.get("implementation") or {}
    claimed = report.get("spec_version")
    lines = [
        f"HCABI conformance: architecture {report_arch(report)}, target {report.get('target')} ({target.get('mode', '?')}), "
        f"profile {report.get('profile')}, tested version {report.get('tested_version')}"
        + (" [partial run]" if (report.get("selection") or {}).get("partial") else ""),
    ]
    if report.get("hcabi_present") is False:
        lines.append("implementation: HCABI not present")
    elif impl:
        lines.append(
            f"implementation: claims HCABI {claimed}, id {impl.get('id')} version {impl.get('version')}, "
            f"signature {impl.get('signature')!r}; extensions "
            + (" ".join(f"{k}:{v}" for k, v in (report.get("advertised_extensions") or {}).items()) or "none")
        )
    else:
        lines.append("implementation: unknown (no discovery line)")
    return lines


def _table(report: dict[str, Any]) -> list[str]:
    summary = report.get("summary") or {}
    rows = list((summary.get("by_extension") or {}).items()) + [("total", summary.get("total") or {})]
    width = max([len("extension")] + [len(name) for name, _ in rows])
    out = ["", f"{'extension':<{width}}  " + "  ".join(f"{s:>7}" for s in STATUSES)]
    out += [f"{name:<{width}}  " + "  ".join(f"{row.get(s, 0):>7}" for s in STATUSES) for name, row in rows]
    return out


def _req_cause(row: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    """A failing requirement's cause, if its failing tests all give the same
    one (status and message, the test's name aside); else ''."""
    causes = {
        f"{res['status']}: {first_line(res.get('message', ''))}"
        for res in (results.get(t) for t in row.get("tests", []))
        if res and res.get("status") in BAD_REQ_STATUSES
    }  # fmt: skip
    return causes.pop() if len(causes) == 1 else ""


def _req_lines(rid: str, row: dict[str, Any], results: dict[str, dict[str, Any]]) -> list[str]:
    part_of = f"part of {row['parent']}, " if row.get("parent") else ""
    out = [f"  {rid} [{row.get('status')}] ({part_of}since {row.get('since')})", _wrap(str(row.get("text", "")), "      ")]
    for test in row.get("tests", []):
        res = results.get(test)
        if res and res.get("status") in BAD_REQ_STATUSES:
            out.append(_wrap(f"{test}: {res['status']}: {first_line(res.get('message', ''))}", "      ", "- "))
    return out


def _failing_requirements(report: dict[str, Any], verbose: bool) -> list[str]:
    """Each failing requirement with its text and failing tests; without
    -v, requirements failing for one shared cause are one line (causes.py)."""
    results = {r["test"]: r for r in report.get("results") or []}
    bad = [(rid, row) for rid, row in sorted((report.get("requirements") or {}).items()) if row.get("status") in BAD_REQ_STATUSES]
    if not bad:
        return []
    out = ["", f"failing requirements ({len(bad)}):"]
    if verbose:
        return out + [line for rid, row in bad for line in _req_lines(rid, row, results)]
    by_cause: dict[str, list[str]] = {}
    for rid, row in bad:
        by_cause.setdefault(_req_cause(row, results) or rid, []).append(rid)
    listed = 0
    for cause, rids in by_cause.items():
        if len(rids) > 1:
            named = ", ".join(rids[:NAMED]) + (f", ... and {len(rids) - NAMED} more" if len(rids) > NAMED else "")
            out.append(f"  {len(rids)} requirements: {cause} ({named})")  # one line: one cause
        elif listed < MAX_LISTED:
            out += _req_lines(rids[0], (report.get("requirements") or {})[rids[0]], results)
            listed += 1
    singles = sum(1 for rids in by_cause.values() if len(rids) == 1)
    if singles > MAX_LISTED:
        out.append(f"  ... and {singles - MAX_LISTED} more (see the reports, or -v)")
    return out


def _reasons(report: dict[str, Any], verbose: bool, palette: Palette) -> list[str]:
    reasons = report.get("reasons") or {}
    names = known_names((r.get("test", "") for r in report.get("results") or []), (report.get("requirements") or {}))
    out: list[str] = []
    for key, label in (("errors", "error"), ("failures", "failure"), ("warnings", "warning")):
        items = [first_line(x) for x in reasons.get(key) or []]
        if not verbose:
            items = group_by_cause(items, names)
        if items:
            out.append("")
            shown = items if verbose else items[:MAX_LISTED]
            out += [f"{palette.paint(label, label)}: {x}" for x in shown]
            if len(items) > len(shown):
                out.append(f"{label}: ... and {len(items) - len(shown)} more (see the reports, or -v)")
    return out


def render_summary(report: dict[str, Any], palette: Palette = PLAIN, verbose: bool = False) -> str:
    """The whole summary as text; `verbose` lists every failing requirement
    and reason instead of one line per shared cause."""
    verdict = str(report.get("verdict"))
    lines = _header(report) + _table(report) + _failing_requirements(report, verbose) + _reasons(report, verbose, palette)
    absent = ": HCABI not present on this target" if report.get("hcabi_present") is False else ""
    lines += ["", f"verdict: {palette.paint(verdict.upper(), verdict)} ({claim_text(report)}){absent}"]
    return "\n".join(lines) + "\n"
