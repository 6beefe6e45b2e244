"""The human-readable summary printed at the end of `run` and `merge`: what
was tested, per-extension counts, each failing requirement with its spec text,
and the verdict with its reasons."""

from __future__ import annotations

import textwrap
from typing import Any

from .model import STATUSES
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
        f"HCABI conformance: target {report.get('target')} ({target.get('mode', '?')}), "
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


def _failing_requirements(report: dict[str, Any]) -> list[str]:
    results = {r["test"]: r for r in report.get("results") or []}
    bad = [(rid, row) for rid, row in sorted((report.get("requirements") or {}).items()) if row.get("status") in BAD_REQ_STATUSES]
    if not bad:
        return []
    out = ["", f"failing requirements ({len(bad)}):"]
    for rid, row in bad[:MAX_LISTED]:
        part_of = f"part of {row['parent']}, " if row.get("parent") else ""
        out.append(f"  {rid} [{row.get('status')}] ({part_of}since {row.get('since')})")
        out.append(_wrap(str(row.get("text", "")), "      "))
        for test in row.get("tests", []):
            res = results.get(test)
            if res and res.get("status") in BAD_REQ_STATUSES:
                out.append(_wrap(f"{test}: {res['status']}: {first_line(res.get('message', ''))}", "      ", "- "))
    if len(bad) > MAX_LISTED:
        out.append(f"  ... and {len(bad) - MAX_LISTED} more (see the reports)")
    return out


def _reasons(report: dict[str, Any]) -> list[str]:
    reasons = report.get("reasons") or {}
    out: list[str] = []
    for key, label in (("errors", "error"), ("failures", "failure"), ("warnings", "warning")):
        items = reasons.get(key) or []
        if items:
            out.append("")
            out += [f"{label}: {first_line(x)}" for x in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                out.append(f"{label}: ... and {len(items) - MAX_LISTED} more")
    return out


def render_summary(report: dict[str, Any]) -> str:
    """The whole summary as text."""
    verdict = str(report.get("verdict")).upper()
    lines = _header(report) + _table(report) + _failing_requirements(report) + _reasons(report)
    absent = ": HCABI not present on this target" if report.get("hcabi_present") is False else ""
    lines += ["", f"verdict: {verdict} (HCABI {report.get('tested_version')}, profile {report.get('profile')}){absent}"]
    return "\n".join(lines) + "\n"
