"""The failures, first on the page: one card per failure (fail, timeout,
crash, error) with its failing checks, the text of the requirements it
concerns, its excerpt of the serial log and links to the full logs. Tests
that failed for one and the same reason (the same status, message and
failing checks: HCABI absent fails every test alike) share one card that
lists them, so one root cause is one card."""

from __future__ import annotations

from typing import Any

from .html_common import Links, esc, status, test_anchor
from .model import SEVERITY, TestResult
from .testlogs import TestLogs

PROBLEM_STATUSES = ("fail", "timeout", "crash", "error")
LIST_OPEN = 12  # a card lists at most this many tests before folding the list


def _key(res: TestResult) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return res.status, res.message, tuple((c.get("req", "-"), c.get("msg", "")) for c in res.failed_checks)


def groups(results: list[TestResult]) -> list[list[TestResult]]:
    """Failed results grouped by reason, most severe first, then by name."""
    by_key: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[TestResult]] = {}
    for res in results:
        if res.status in PROBLEM_STATUSES:
            by_key.setdefault(_key(res), []).append(res)
    return sorted(by_key.values(), key=lambda g: (-SEVERITY.get(g[0].status, 0), g[0].test))


def _requirements(res: TestResult, report: dict[str, Any], links: Links, many: bool) -> str:
    """The requirements a failure concerns, rendered: those its failing
    checks name first, then the rest the test cites."""
    rows = report.get("requirements") or {}
    named = [c.get("req", "-") for c in res.failed_checks if c.get("req", "-") in rows]
    order = list(dict.fromkeys(named + [r for r in res.requirements if r in rows]))
    items = []
    for rid in order:
        row = rows[rid]
        mark = " <b>(failing check)</b>" if rid in named else ""
        items.append(f"<dt>{links.req(rid)} {status(str(row.get('status')))}</dt><dd>{links.text(str(row.get('text', '')))}{mark}</dd>")
    title = f"Requirements of {esc(res.test)}" if many else "Requirements"
    return f'<h4>{title}</h4><dl class="reqs">{"".join(items)}</dl>' if items else ""


def _checks(res: TestResult, links: Links) -> str:
    if not res.failed_checks:
        return ""
    items = []
    for check in res.failed_checks:
        rid = check.get("req", "-")
        where = links.req(rid) if rid != "-" else "<i>no requirement</i>"
        items.append(f"<li>{where}: {esc(check.get('msg', ''))}</li>")
    return f'<h4>Failing checks</h4><ul class="checks">{"".join(items)}</ul>'


def _excerpt(res: TestResult, logs: TestLogs, links: Links, many: bool) -> str:
    excerpt = logs.excerpt(res.image, res.test)
    boot = logs.boot(res.image) or {}
    files = boot.get("logs") or {}
    full = " · ".join(links.file(files[k], f"{k} log ({str(files[k]).rsplit('/', 1)[-1]})") for k in ("serial", "stderr") if files.get(k))
    title = f"Serial log excerpt of {esc(res.test)}" + (" (the first test of this card)" if many else "")
    count = f", {len(excerpt.lines)} line(s)" + (f", {excerpt.omitted} not shown" if excerpt.omitted else "")
    body = f'<pre class="log">{esc(excerpt.text())}</pre>' if excerpt.lines or excerpt.note else "<p><i>no excerpt</i></p>"
    return f"<details open><summary>{title}{count}</summary>{body}</details><p>Full logs: {full or '<i>none recorded</i>'}</p>"


def _card(group: list[TestResult], report: dict[str, Any], logs: TestLogs, links: Links, index: int) -> str:
    first = group[0]
    kind = "k-error" if first.status == "error" else ""
    if len(group) == 1:
        head = f'<a href="#{esc(test_anchor(first.test))}">{esc(first.test)}</a> <span class="where">image {esc(first.image)} · {esc(first.extension)}</span>'
        listing = ""
    else:
        head = f"{len(group)} tests, one reason"
        names = "".join(f'<li><a href="#{esc(test_anchor(r.test))}">{esc(r.test)}</a> <span class="where">({esc(r.image)})</span></li>' for r in group)
        opened = " open" if len(group) <= LIST_OPEN else ""
        listing = f'<details{opened}><summary>the {len(group)} tests</summary><ul class="testlist">{names}</ul></details>'
    return (
        f'<section class="card {kind}" id="failure-{index}">'
        f"<h3>{status(first.status)} {head}</h3>"
        f"<pre>{esc(first.message)}</pre>{listing}"
        f"{_checks(first, links)}{_requirements(first, report, links, len(group) > 1)}{_excerpt(first, logs, links, len(group) > 1)}"
        "</section>"
    )


def run_reasons(report: dict[str, Any], results: list[TestResult]) -> list[str]:
    """The verdict's reasons that are not one test's result (those have a
    card): HCABI absent, a version claim, a boot that did not start."""
    reasons = report.get("reasons") or {}
    prefixes = tuple(f"{r.test}: " for r in results)
    out = []
    for key in ("errors", "failures"):
        out += [str(x) for x in reasons.get(key) or [] if not str(x).startswith(prefixes)]
    return out


def failures_section(report: dict[str, Any], results: list[TestResult], logs: TestLogs, links: Links) -> str:
    """The page's first section: why the verdict is what it is."""
    parts = ["<h2 id=\"failures\">Failures</h2>"]
    reasons = run_reasons(report, results)
    if reasons:
        parts.append('<div class="reasons"><h4>Run-level reasons</h4><ul>' + "".join(f"<li><pre>{esc(x)}</pre></li>" for x in reasons) + "</ul></div>")
    cards = groups(results)
    if not cards and not reasons:
        parts.append('<p class="ok">No test failed, crashed, timed out or hit an error.</p>')
    parts += [_card(g, report, logs, links, i) for i, g in enumerate(cards)]
    warnings = (report.get("reasons") or {}).get("warnings") or []
    if warnings:
        parts.append(f"<details><summary>Warnings ({len(warnings)})</summary><ul>" + "".join(f"<li><pre>{esc(w)}</pre></li>" for w in warnings) + "</ul></details>")
    return "".join(parts)
