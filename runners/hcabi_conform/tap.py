"""TAP version 13 output (`--tap FILE`, `--tap -` for standard output): one
test point per test, in the report's order; `skip` is `ok ... # SKIP reason`;
every other status but `pass` is `not ok`, followed by a YAML diagnostic
block (status, message, image, requirements, failing checks). Values are
written as JSON strings, which YAML reads as they are.
https://testanything.org/tap-version-13-specification.html
"""

from __future__ import annotations

import json
from typing import Any

from .model import claim_text
from .verdict import first_line


def _description(text: str) -> str:
    """A test point's description may not hold '#' (it starts a directive)
    or a newline."""
    return first_line(text).replace("\\", "\\\\").replace("#", "\\#")


def _diagnostics(res: dict[str, Any]) -> list[str]:
    out = ["  ---", f"  status: {json.dumps(res.get('status'))}", f"  message: {json.dumps(res.get('message', ''))}"]
    out.append(f"  image: {json.dumps(res.get('image', ''))}")
    out.append(f"  requirements: {json.dumps(list(res.get('requirements') or []))}")
    checks = res.get("failed_checks") or []
    if checks:
        out.append("  failed_checks:")
        out += [f"    - req: {json.dumps(c.get('req', '-'))}\n      msg: {json.dumps(c.get('msg', ''))}" for c in checks]
    out.append("  ...")
    return out


def render_tap(report: dict[str, Any]) -> str:
    results = report.get("results") or []
    lines = ["TAP version 13", f"1..{len(results)}", f"# {claim_text(report)}, target {report.get('target')}"]
    for number, res in enumerate(results, 1):
        name = _description(str(res.get("test", "")))
        status = res.get("status")
        if status == "pass":
            lines.append(f"ok {number} - {name}")
        elif status == "skip":
            lines.append(f"ok {number} - {name} # SKIP {_description(str(res.get('message') or 'skipped'))}")
        else:
            lines.append(f"not ok {number} - {name}")
            lines += _diagnostics(res)
    verdict = str(report.get("verdict"))
    lines.append(f"# verdict: {verdict} ({claim_text(report)})")
    return "\n".join(lines) + "\n"
