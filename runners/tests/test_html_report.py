"""The HTML report: self-contained and escaped, the failures first (with
their checks, rendered requirement text and log excerpt), the filters'
markup, the three ways requirement links reach the spec and the warning when
none does, and the traceability rows (requirement -> tests -> results ->
reference code)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import Suite, run_cli
from test_reports import mixed_report  # noqa: F401  (the fixture)

from hcabi_conform import html_report
from hcabi_conform.code_refs import CodeRef
from hcabi_conform.html_report import render_html, write_html


def _row(page: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    return match.group(0)


def test_html_self_contained_and_escaped(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    page = (suite.root / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert page.count("<script") == 1  # the page's own filter script; the guest's markup is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for needle in ('src="http', "href=\"http://", "<link", "@import", "url("):
        assert needle not in page
    assert 'href="https://example.org/spec.html#TIME-002"' in page
    assert "GET_MONOTONIC MUST count nanoseconds." in page
    assert "return the version &lt;exposed&gt;." in page  # manifest text escaped too
    # nothing may be fetched, and only the page's own script may run
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert "default-src &#x27;none&#x27;" in csp and f"script-src &#x27;sha256-{digest}&#x27;" in csp


def test_failures_come_first(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    page = (suite.root / "r.html").read_text()
    assert page.index('id="failures"') < page.index("<h2>Run</h2>") < page.index('id="all-tests"') < page.index('id="traceability-view"')
    cards = re.findall(r'<section class="card[^"]*" id="failure-\d+"><h3><span class="badge s-(\w+)">\w+</span> <a href="#test-([\w.]+)"', page)
    # the most severe first: the test error, the crash, then the failure
    assert cards == [("error", "BASE.get_spec_version"), ("crash", "X86.vmcall"), ("fail", "TIME.monotonic")]
    assert page.index('id="failure-0"') < page.index('id="test-BASE.probe_extension"')  # before any passing test
    statuses = re.findall(r'<tr id="test-[^"]+" data-status="(\w+)"', page)
    assert statuses[0] == "error" and statuses[-1] == "pass"  # the test table is most severe first too
    card = page[page.index('id="failure-2"') :].split("</section>", 1)[0]
    assert "@hcabi test-begin name=TIME.monotonic reqs=TIME-001,TIME-002" in card  # its serial excerpt
    assert "TIME.timer_vector" not in card
    assert '<a href="out/time.serial">serial log (time.serial)</a>' in card  # the full log, relative to the page
    assert "GET_MONOTONIC MUST count nanoseconds." in card  # the requirements it concerns, with their text


def test_failing_checks_and_rendered_requirement_text(mixed_report: dict) -> None:  # type: ignore[type-arg]
    res = next(r for r in mixed_report["results"] if r["test"] == "TIME.monotonic")
    res["failed_checks"] = [{"req": "TIME-002", "msg": "went back by <5> ns"}]
    mixed_report["requirements"]["TIME-002"]["text"] = "GET_MONOTONIC MUST return `SUCCESS` with *nanoseconds*, see <<TIME-001>>."
    page = render_html(mixed_report, "https://example.org/spec.html")
    card = page[page.index("TIME.monotonic</a>") :].split("</section>", 1)[0]
    assert '<li><a class="rid" href="https://example.org/spec.html#TIME-002">TIME-002</a>: went back by &lt;5&gt; ns</li>' in card
    text = 'GET_MONOTONIC MUST return <code>SUCCESS</code> with <strong>nanoseconds</strong>, see <a href="https://example.org/spec.html#TIME-001">TIME-001</a>.'
    assert text in card and "<b>(failing check)</b>" in card
    assert card.index("TIME-002</a> <span") < card.index("TIME-001</a> <span")  # the failing check's requirement first
    assert "`" not in page.split("<script>")[0]


def test_one_card_per_reason(mixed_report: dict) -> None:  # type: ignore[type-arg]
    for res in mixed_report["results"]:
        res.update(status="fail", message="not run: HCABI is not present on this target", failed_checks=[])
    page = render_html(mixed_report)
    assert page.count('<section class="card') == 1
    assert f"{len(mixed_report['results'])} tests, one reason" in page


def test_filters_markup(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    page = (suite.root / "r.html").read_text()
    form = re.search(r'<form class="filters" data-table="tests" hidden>(.*?)</form>', page, re.S).group(1)  # type: ignore[union-attr]
    boxes = re.findall(r'<input type="checkbox" name="status" value="(\w+)" checked>', form)
    assert boxes == ["pass", "skip", "fail", "crash", "error"]  # the statuses present, least severe first
    assert re.findall(r'<option value="(\w*)">', form) == ["", "BASE", "SYSTEM", "TIME", "TLB", "X86"]
    assert '<tr id="test-TLB.flush" data-status="skip" data-ext="TLB">' in page
    assert '<table id="tests">' in page and '<table id="traceability">' in page
    assert '<form class="filters" data-table="traceability" hidden>' in page
    assert '<tr id="req-TIME-001" data-status="fail" data-ext="TIME">' in page


def test_spec_link_modes(mixed_report: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    version = mixed_report["tested_version"]
    name = f"hcabi-spec-{version}.html"
    # --spec-url, with {version}
    page = render_html(mixed_report, "https://x/s-{version}.html")
    assert f'href="https://x/s-{version}.html#BASE-001"' in page and '<div class="notice info" id="spec-links">' in page
    assert 'href="https://x/s.html#BASE-001"' in render_html(dict(mixed_report, tested_version="<b>"), "https://x/s-{version}.html")
    # --bundle-spec: the spec is copied beside the page, links are relative to it
    spec_dir = tmp_path / "spec-src"
    spec_dir.mkdir()
    (spec_dir / name).write_text("<html>spec</html>")
    out = tmp_path / "published" / "report.html"
    write_html(out, mixed_report, bundle_spec=str(spec_dir))
    page = out.read_text()
    assert (out.parent / name).read_text() == "<html>spec</html>"
    assert f'href="{name}#BASE-001"' in page and "bundled beside this page" in page and 'class="notice info"' in page
    write_html(out, mixed_report, spec_url="https://x/s.html", bundle_spec=str(spec_dir))  # the bundle wins
    assert f'href="{name}#BASE-001"' in out.read_text() and "https://x/s.html" not in out.read_text()
    # --bundle-spec, but there is no spec: the page says so and links stay in the page
    write_html(out, mixed_report, bundle_spec=str(tmp_path / "none"))
    page = out.read_text()
    assert "could not be bundled" in page and 'class="notice warn"' in page and 'href="#req-BASE-001"' in page
    # neither, in a build tree: links into it, with a warning that they break when moved
    build = tmp_path / "build"
    (build / "spec").mkdir(parents=True)
    (build / "spec" / name).write_text("spec")
    write_html(build / "conform-out" / "r.html", mixed_report, build_dir=str(build))
    page = (build / "conform-out" / "r.html").read_text()
    assert f'href="../spec/{name}#BASE-001"' in page and "they break when this page is moved" in page and 'class="notice warn"' in page
    # neither, and no spec anywhere: in-page links and a visible warning
    write_html(out, mixed_report, build_dir=str(tmp_path / "nobuild"))
    page = out.read_text()
    assert 'href="#req-BASE-001"' in page and 'class="notice warn"' in page and "No rendered spec is linked" in page
    assert 'href="../spec/' not in page


def test_traceability_rows(mixed_report: dict, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    refs: dict[str, Any] = {"TIME-001": [CodeRef("reference-impl/core/ext_time.c", 33, "res->value = now(); /* TIME-001 */", "TIME-001")]}
    monkeypatch.setattr(html_report.code_refs, "scan", lambda: refs)
    page = render_html(mixed_report, "S")
    row = _row(page, "req-TIME-001")
    assert '<a class="rid" href="S#TIME-001">TIME-001</a>' in row and '<span class="badge s-fail">fail</span>' in row
    assert 'GET_MONOTONIC MUST never go backwards.' in row
    assert '<a href="#test-TIME.monotonic">TIME.monotonic</a> <span class="badge s-fail">fail</span>' in row
    assert '<span title="res-&gt;value = now(); /* TIME-001 */">' in row and ">ext_time.c:33</a>" in row
    assert "reference-impl/core/ext_time.c" in re.search(r'href="([^"]*ext_time\.c)"', row).group(1)  # type: ignore[union-attr]
    assert "<i>none cited</i>" in _row(page, "req-TLB-001")
    assert '<span class="badge s-skip">skip</span>' in _row(page, "req-TLB-001")
    # a test the run did not select has no row to link to
    mixed_report["requirements"]["TIME-001"]["tests"].append("TIME.not_selected")
    assert 'TIME.not_selected <span class="badge s-not-run">not-run</span>' in _row(render_html(mixed_report, "S"), "req-TIME-001")
    monkeypatch.setattr(html_report.code_refs, "scan", lambda: None)
    assert "<i>sources not available</i>" in _row(render_html(mixed_report, "S"), "req-TIME-001")


def test_cli_bundles_the_spec(suite: Suite) -> None:
    """`run --html F --bundle-spec` copies BUILD/spec's document of the tested
    version beside F; `--bundle-spec DIR` takes it from DIR."""
    (suite.build / "spec").mkdir(parents=True)
    (suite.build / "spec" / "hcabi-spec-1.1.html").write_text("<html>1.1</html>")
    html = suite.root / "pub" / "r.html"
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--html", str(html), "--bundle-spec"))
    assert res.rc in (0, 3), res.out + res.err
    assert (html.parent / "hcabi-spec-1.1.html").read_text() == "<html>1.1</html>"
    assert 'href="hcabi-spec-1.1.html#BASE-001"' in html.read_text()
    other = suite.root / "other-spec"
    other.mkdir()
    (other / "hcabi-spec-1.1.html").write_text("<html>other</html>")
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--html", str(html), "--bundle-spec", str(other)))
    assert (html.parent / "hcabi-spec-1.1.html").read_text() == "<html>other</html>"


def test_every_link_of_the_page_resolves(mixed_report: dict, suite: Suite, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """In-page links have their anchor; links to files (logs, sources, the
    bundled spec) name files that exist, relative to the page."""
    import urllib.parse

    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / f"hcabi-spec-{mixed_report['tested_version']}.html").write_text("spec")
    mixed_report["requirements"]["TIME-001"]["tests"].append("TIME.not_selected")
    out = suite.root / "pages" / "r.html"
    write_html(out, mixed_report, bundle_spec=str(tmp_path / "spec"))
    page = out.read_text()
    anchors = set(re.findall(r' id="([^"]+)"', page))
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', page)]
    assert len(hrefs) > 20
    for href in hrefs:
        target, _, fragment = href.partition("#")
        if not target:
            assert urllib.parse.unquote(fragment) in anchors, href
        else:
            assert (out.parent / urllib.parse.unquote(target)).exists(), href


def test_page_elements_nest(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    """Every element the page opens is closed, in order (an unclosed
    <details> or <pre> would swallow the rest of the page)."""
    from html.parser import HTMLParser

    class Nesting(HTMLParser):
        VOID = {"meta", "br", "input"}

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.errors: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not self.stack or self.stack.pop() != tag:
                self.errors.append(f"</{tag}> at {self.getpos()}")

    parser = Nesting()
    parser.feed((suite.root / "r.html").read_text())
    assert not parser.errors and not parser.stack, (parser.errors[:3], parser.stack)
