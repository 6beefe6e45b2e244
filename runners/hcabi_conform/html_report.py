"""A self-contained HTML page from a report: inline CSS, no scripts, no
external assets (it is archived by CI and opened offline). Everything that
came from a guest or a manifest is escaped; requirement IDs link into the
rendered spec at `SPEC_URL#ID`.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import Any, Iterable

from .model import STATUSES, TestResult
from .report import count_statuses

# the document of the version a report tested (the build renders one per version)
DEFAULT_SPEC_URL = "../spec/hcabi-spec-{version}.html"


def spec_url_for(report: dict[str, Any], template: str = DEFAULT_SPEC_URL) -> str:
    """`template` with `{version}` replaced by the report's tested version;
    the newest document's name when the report names no valid version."""
    version = str(report.get("tested_version") or "")
    if "{version}" not in template:
        return template
    if not re.fullmatch(r"[0-9]{1,5}\.[0-9]{1,5}", version):
        return template.replace("-{version}", "").replace("{version}", "")
    return template.replace("{version}", version)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#1d1d1f;max-width:80em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{display:inline-block;padding:.3em .8em;border-radius:.3em;font-weight:bold;color:#fff}
.v-conformant{background:#1a7f37}.v-non-conformant{background:#cf222e}.v-error{background:#9a6700}
.s-pass{color:#1a7f37}.s-fail,.s-timeout,.s-crash{color:#cf222e;font-weight:bold}.s-error{color:#9a6700;font-weight:bold}
.s-skip,.s-untested,.s-not-run,.s-not-applicable{color:#57606a}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
"""


def esc(value: object) -> str:
    """Escape anything for HTML text and attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _req_link(rid: str, spec_url: str) -> str:
    href = f"{spec_url}#{urllib.parse.quote(rid, safe='')}"
    return f'<a href="{esc(href)}">{esc(rid)}</a>'


def _status(status: str) -> str:
    return f'<span class="s-{esc(status)}">{esc(status)}</span>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[int] = ()) -> str:
    """Cells in `rows` are already-escaped HTML."""
    nums = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in nums else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _provenance(prov: dict[str, Any]) -> str:
    """Runner version, suite version and source commit (null when unknown)."""
    return f"hcabi-conform {prov.get('runner_version', '?')}, suite {prov.get('suite_version') or 'unknown'}, source commit {prov.get('source_commit') or 'unknown'}"


def _overview(report: dict[str, Any]) -> str:
    impl = report.get("implementation") or {}
    sel = report.get("selection") or {}
    items = [
        ("Target", f"{report.get('target')} ({(report.get('target_info') or {}).get('mode', '')})"),
        ("Profile", report.get("profile")),
        ("Tested version", report.get("tested_version")),
        ("Claimed version", report.get("spec_version") or "none"),
        ("Implementation", f"id {impl.get('id')} version {impl.get('version')} signature {impl.get('signature')!r}" if impl else "unknown"),
        ("Advertised extensions", ", ".join(f"{k}:{v}" for k, v in (report.get("advertised_extensions") or {}).items()) or "none"),
        ("Selection", "partial" if sel.get("partial") else "complete"),
        ("Timestamp", report.get("timestamp")),
        ("Host", (report.get("host") or {}).get("hostname")),
        ("Requirements manifest", f"{(report.get('manifest') or {}).get('path')} (sha256 {(report.get('manifest') or {}).get('sha256')})"),
        ("Produced by", _provenance(report.get("provenance") or {})),
    ]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def _reasons(report: dict[str, Any]) -> str:
    reasons = report.get("reasons") or {}
    parts = []
    for key, title in (("errors", "Errors"), ("failures", "Failures"), ("warnings", "Warnings")):
        items = reasons.get(key) or []
        if items:
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li><pre>{esc(x)}</pre></li>" for x in items) + "</ul>")
    return "".join(parts)


def _extensions(results: list[TestResult]) -> str:
    counts = count_statuses(results)
    rows = [[esc(ext)] + [str(row.get(s, 0)) for s in STATUSES] for ext, row in counts["by_extension"].items()]
    rows.append(["<b>total</b>"] + [f"<b>{counts['total'].get(s, 0)}</b>" for s in STATUSES])
    return _table(["Extension", *STATUSES], rows, numeric=range(1, len(STATUSES) + 1))


def _requirements(report: dict[str, Any], spec_url: str) -> str:
    rows = []
    for rid, row in sorted((report.get("requirements") or {}).items()):
        tests = ", ".join(esc(t) for t in row.get("tests", [])) or "<i>none</i>"
        rows.append(
            [_req_link(rid, spec_url), esc(row.get("since")), esc(row.get("area")), "yes" if row.get("required") else "no",
             _status(str(row.get("status"))), tests, esc(row.get("text"))]
        )  # fmt: skip
    return _table(["Requirement", "Since", "Area", "Required", "Status", "Tests", "Text"], rows)


def _results(results: list[TestResult], spec_url: str) -> str:
    rows = [
        [esc(r.test), esc(r.image), _status(r.status), ", ".join(_req_link(x, spec_url) for x in r.requirements), f"<pre>{esc(r.message)}</pre>"]
        for r in results
    ]
    return _table(["Test", "Image", "Status", "Requirements", "Message"], rows)


def _boots(report: dict[str, Any]) -> str:
    rows = []
    for boot in report.get("boots") or []:
        ending = boot.get("ending") or {}
        logs = boot.get("logs") or {}
        problems = "\n".join(f"{p.get('severity')}: {p.get('message')}" for p in boot.get("problems") or [])
        rows.append([esc(boot.get("image")), esc(f"{ending.get('kind')}: {ending.get('detail')}"), esc(logs.get("serial", "")), f"<pre>{esc(problems)}</pre>"])
    return _table(["Image", "Ending", "Serial log", "Problems"], rows)


def render_html(report: dict[str, Any], spec_url: str = DEFAULT_SPEC_URL) -> str:
    """The report as one HTML document; requirement links go to `spec_url`
    (`{version}` in it: the tested version)."""
    spec_url = spec_url_for(report, spec_url)
    results = [TestResult.from_dict(r) for r in report.get("results") or []]
    verdict = str(report.get("verdict"))
    title = f"HCABI {report.get('tested_version')} conformance ({report.get('profile')}): {verdict}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>HCABI conformance report</h1>"
        f'<p><span class="verdict v-{esc(verdict)}">{esc(verdict)}</span> '
        f"HCABI {esc(report.get('tested_version'))}, profile {esc(report.get('profile'))}</p>"
        f"{_overview(report)}{_reasons(report)}"
        f"<h2>Extensions</h2>{_extensions(results)}"
        f"<h2>Requirements</h2>{_requirements(report, spec_url)}"
        f"<h2>Tests</h2>{_results(results, spec_url)}"
        f"<h2>Boots</h2>{_boots(report)}"
        "</body></html>\n"
    )
