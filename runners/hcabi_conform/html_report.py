"""A self-contained HTML page from a report, for people: the failures first
(html_failures.py), then the run, every test and the traceability view with
filters (html_tables.py), then the boots. Inline CSS and one inline script,
no external assets (it is archived by CI and opened offline); everything
that came from a guest, a log or a manifest is escaped.

Requirement links (`spec_links`): `--spec-url URL` links to URL#ID;
`--bundle-spec [DIR]` copies the tested version's rendered spec
(`hcabi-spec-X.Y.html`, from DIR, default BUILD/spec) beside the page and
links to the copy, so the two files work together anywhere (it wins over
`--spec-url` when both are given); with neither,
links go to the build tree's spec when there is one (and the page warns that
they break when the page moves), else to the page's own traceability rows
(and the page says that no spec is linked).
"""

from __future__ import annotations

import os
import shutil
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Optional

from . import code_refs
from .html_assets import CSS, JS, csp
from .html_common import Links, esc, seconds, spec_name, status, table
from .html_failures import failures_section
from .html_tables import tests_section, traceability_section
from .errors import EnvError
from .model import STATUSES, TestResult, claim_text, report_arch
from .provenance import REPO_ROOT
from .report import count_statuses, write_text
from .testlogs import TestLogs, boot_seconds

# where a build puts the rendered spec (scripts/hcabi_specbuild.py), relative to the build directory
BUILD_SPEC_DIR = "spec"


def _provenance(prov: dict[str, Any]) -> str:
    """Runner version, suite version and source commit (null when unknown)."""
    return f"hcabi-conform {prov.get('runner_version', '?')}, suite {prov.get('suite_version') or 'unknown'}, source commit {prov.get('source_commit') or 'unknown'}"


def _overview(report: dict[str, Any]) -> str:
    impl = report.get("implementation") or {}
    sel = report.get("selection") or {}
    items = [
        ("Target", f"{report.get('target')} ({(report.get('target_info') or {}).get('mode', '')})"),
        ("Architecture", report_arch(report)),
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
    return '<dl class="meta">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def _extensions(results: list[TestResult]) -> str:
    counts = count_statuses(results)
    rows = [[esc(ext)] + [str(row.get(s, 0)) for s in STATUSES] for ext, row in counts["by_extension"].items()]
    rows.append(["<b>total</b>"] + [f"<b>{counts['total'].get(s, 0)}</b>" for s in STATUSES])
    return table(["Extension", *STATUSES], rows, numeric=range(1, len(STATUSES) + 1))


def _boots(report: dict[str, Any], links: Links) -> str:
    rows = []
    for boot in report.get("boots") or []:
        ending = boot.get("ending") or {}
        logs = boot.get("logs") or {}
        took, basis = boot_seconds(boot)
        problems = "\n".join(f"{p.get('severity')}: {p.get('message')}" for p in boot.get("problems") or [])
        files = "<br>".join(links.file(logs[k], f"{k}: {str(logs[k]).rsplit('/', 1)[-1]}") for k in ("serial", "stderr", "console_input") if logs.get(k))
        rows.append([esc(boot.get("image")), esc(f"{ending.get('kind')}: {ending.get('detail')}"), f'<span class="nowrap" title="{esc(basis)}">{esc(seconds(took))}</span>', files, f"<pre>{esc(problems)}</pre>"])
    return table(["Image", "Ending", "Time", "Logs", "Problems"], rows)


def _counts(results: list[TestResult]) -> str:
    total = count_statuses(results)["total"]
    return '<p class="counts">' + "".join(f"{status(s)}<b>{total[s]}</b> " for s in STATUSES if total.get(s)) + f" of {len(results)} tests</p>"


def render_html(report: dict[str, Any], spec_url: Optional[str] = None, links: Optional[Links] = None) -> str:
    """The report as one HTML document. Requirement links go to `spec_url`
    (`{version}`: the tested version) when given, else as `links` says
    (`spec_links`), else to the page's own traceability rows, with a warning."""
    if links is None:
        links = spec_links(report, spec_url, None, None, None)
    results = [TestResult.from_dict(r) for r in report.get("results") or []]
    logs = TestLogs(report)
    verdict = str(report.get("verdict"))
    title = f"HCABI {report.get('tested_version')} conformance ({report.get('profile')}, {report_arch(report)}): {verdict}"
    notice = f'<div class="notice {"warn" if links.warn else "info"}" id="spec-links">{links.notice}</div>' if links.notice else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp())}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>HCABI conformance report</h1>"
        f'<p><span class="verdict v-{esc(verdict)}">{esc(verdict)}</span> '
        f"{esc(claim_text(report))}, target {esc(report.get('target'))}</p>"
        f"{_counts(results)}{notice}"
        f"{failures_section(report, results, logs, links)}"
        f"<h2>Run</h2>{_overview(report)}"
        f"<h2>Extensions</h2>{_extensions(results)}"
        f'<h2 id="all-tests">Tests</h2>{tests_section(results, logs, links)}'
        f'<h2 id="traceability-view">Traceability: requirement, tests, results, reference code</h2>'
        f"{traceability_section(report, results, code_refs.scan(), links)}"
        f"<h2>Boots</h2>{_boots(report, links)}"
        f"<script>{JS}</script>"
        "</body></html>\n"
    )


def spec_links(report: dict[str, Any], spec_url: Optional[str], bundle_spec: Optional[str], build_dir: Optional[str], out: Optional[Path]) -> Links:
    """Decide where requirement links go (the module docstring) and say it;
    with `bundle_spec` (a folder, or "" for BUILD/spec) and `out`, copy the
    spec beside `out`."""
    out_dir = out.resolve().parent if out is not None else None
    links = Links(out_dir=out_dir, source_root=REPO_ROOT)
    name = spec_name(report)
    build = Path(build_dir) if build_dir else REPO_ROOT / "build"
    source = (Path(bundle_spec) if bundle_spec else build / BUILD_SPEC_DIR) / name
    how = "pass --bundle-spec (copies the spec beside this page) or --spec-url URL when writing the report"
    if bundle_spec is not None and out_dir is not None:
        try:
            if source.resolve() != (out_dir / name).resolve():
                shutil.copyfile(source, out_dir / name)
        except OSError as exc:
            print(f"hcabi-conform: warning: cannot bundle the spec {source}: {exc.strerror or exc}; the report's requirement links lead to its own traceability table", file=sys.stderr)
            links.notice = f"The spec could not be bundled ({esc(source)}: {esc(exc.strerror or exc)}): requirement IDs lead to this page's traceability table."
            return links
        links.spec, links.warn = name, False
        links.notice = f'Requirement links go to the HCABI {esc(report.get("tested_version"))} spec bundled beside this page (<a href="{esc(name)}">{esc(name)}</a>); keep the two files together.'
        return links
    if spec_url:
        links.spec, links.warn = spec_name(report, spec_url), False
        links.notice = f"Requirement links go to the spec at <code>{esc(links.spec)}</code>."
        return links
    if out_dir is not None and source.is_file():
        links.spec = urllib.parse.quote(Path(os.path.relpath(source.resolve(), out_dir)).as_posix())
        links.notice = f"Requirement links point into the build tree's spec (<code>{esc(source)}</code>): they break when this page is moved or opened on another machine; {how}."
        return links
    links.notice = f"No rendered spec is linked: requirement IDs lead to this page's traceability table; {how}."
    return links


def write_html(path: Path, report: dict[str, Any], spec_url: Optional[str] = None, bundle_spec: Optional[str] = None, build_dir: Optional[str] = None) -> None:
    """Write the HTML report to `path`, bundling the spec beside it when asked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvError(f"cannot write {path}: {exc.strerror or exc}") from None
    write_text(path, render_html(report, links=spec_links(report, spec_url, bundle_spec, build_dir, path)))

