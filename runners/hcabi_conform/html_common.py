"""What every part of the HTML report uses: escaping, status badges, tables,
and where links go (`Links`: requirement IDs into the rendered spec, log
files relative to the page)."""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from .adoc_inline import esc, render_inline

# the document of the version a report tested (the build renders one per version)
SPEC_NAME = "hcabi-spec-{version}.html"


def spec_name(report: dict[str, Any], template: str = SPEC_NAME) -> str:
    """`template` with `{version}` replaced by the report's tested version;
    the newest document's name when the report names no valid version."""
    version = str(report.get("tested_version") or "")
    if "{version}" not in template:
        return template
    if not re.fullmatch(r"[0-9]{1,5}\.[0-9]{1,5}", version):
        return template.replace("-{version}", "").replace("{version}", "")
    return template.replace("{version}", version)


@dataclass
class Links:
    """Where the page's links go. `spec` is the rendered spec's address as the
    page reaches it (None: no spec; requirement IDs then lead to the page's
    own traceability rows); `notice` says, visibly on the page, how the links
    work (`warn`: they do not work everywhere, or not at all); `out_dir` the
    page's folder, for relative links to logs and sources (None: absolute)."""

    spec: Optional[str] = None
    notice: str = ""
    warn: bool = True
    out_dir: Optional[Path] = None
    source_root: Optional[Path] = None  # the tree code references are relative to

    def req_href(self, rid: str) -> str:
        if self.spec is None:
            return f"#req-{urllib.parse.quote(rid, safe='.')}"
        return f"{self.spec}#{urllib.parse.quote(rid, safe='.')}"

    def req(self, rid: str) -> str:
        """A requirement ID as a link (into the spec, else to its row here)."""
        return f'<a class="rid" href="{esc(self.req_href(rid))}">{esc(rid)}</a>'

    def file(self, path: str, label: Optional[str] = None) -> str:
        """A link to a local file (a log, a source), relative to the page
        when the page's folder is known, so that a folder moved whole keeps
        working; the path as text when there is none."""
        if not path:
            return "<i>none</i>"
        target = Path(path)
        if self.out_dir is not None and target.is_absolute():
            href = urllib.parse.quote(os.path.relpath(target, self.out_dir))
        elif target.is_absolute():
            href = target.as_uri()
        else:
            href = urllib.parse.quote(path)
        return f'<a href="{esc(href)}">{esc(label or path)}</a>'

    def text(self, adoc: str) -> str:
        """Requirement text (AsciiDoc inline markup) as HTML, with cross
        references linked like requirement IDs."""
        return render_inline(adoc, self.req_href)


def status(value: str) -> str:
    return f'<span class="badge s-{esc(value)}">{esc(value)}</span>'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[int] = (), table_id: str = "", row_attrs: Optional[list[str]] = None) -> str:
    """Cells in `rows` are already-escaped HTML; `row_attrs[i]` (escaped
    attributes) goes into row i's <tr>."""
    nums = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        attrs = f" {row_attrs[index]}" if row_attrs and row_attrs[index] else ""
        cells = "".join(f'<td class="num">{c}</td>' if i in nums else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr{attrs}>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def test_anchor(name: str) -> str:
    return "test-" + urllib.parse.quote(name, safe=".")


def seconds(value: Optional[float]) -> str:
    return "?" if value is None else f"{value:.2f} s" if value >= 0.1 or value == 0 else f"{value * 1000:.0f} ms"
