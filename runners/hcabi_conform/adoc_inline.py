"""The registry's requirement text is AsciiDoc inline markup; render the part
of it the registry uses to HTML, escaping everything else, so that a report
shows `INVALID_PARAM` as code and never a raw backtick.

Rendered: `code` and ``code`` (contents literal), constrained *strong* and
_emphasis_ (a word boundary outside, no space just inside), links
(`https://host/path[text]`, a bare `https://...`, `link:target[text]`) and
cross references (`<<ID>>`, `<<ID,text>>`, to the requirement's anchor in the
spec when a link maker is given). Anything else is text. Only http(s) URLs and
relative link: targets become links (no `javascript:`), and every piece of
text goes through html.escape.
"""

from __future__ import annotations

import html
import re
from typing import Callable, Optional

_TOKEN = re.compile(
    r"(?P<code2>``(?P<c2>.+?)``)"
    r"|(?P<code>`(?P<c1>[^`\n]+)`)"
    r"|(?P<xref><<(?P<xid>[A-Za-z_][\w:.-]*)(?:,\s*(?P<xtext>[^>]+))?>>)"
    r"|(?P<link>link:(?P<ltarget>[^\s\[\]]+)\[(?P<ltext>[^\]]*)\])"
    r"|(?P<url>https?://[^\s\[\]<>\"`]+?(?:\[(?P<utext>[^\]]*)\])?(?=[.,;:!?)]*(?:\s|$)|\[))"
    r"|(?P<strong>(?<![\w*])\*(?P<s>\S(?:[^*\n]*?\S)?)\*(?![\w*]))"
    r"|(?P<em>(?<![\w_])_(?P<e>\S(?:[^_\n]*?\S)?)_(?![\w_]))"
)
_SAFE_TARGET = re.compile(r"^(https?://|[\w./#-])[^\s\"<>]*$")


def esc(value: object) -> str:
    """Escape anything for HTML text and attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _anchor(href: str, text: str) -> str:
    if not _SAFE_TARGET.match(href) or href.lower().startswith(("javascript:", "data:")):
        return esc(text)
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def render_inline(text: str, xref: Optional[Callable[[str], Optional[str]]] = None) -> str:
    """`text` (AsciiDoc inline markup) as safe HTML. `xref(ID)` gives the
    href of a cross reference's target, or None to show its text unlinked."""
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(esc(text[pos : m.start()]))
        pos = m.end()
        if m.group("code2") or m.group("code"):
            out.append(f"<code>{esc(m.group('c2') or m.group('c1'))}</code>")
        elif m.group("xref"):
            target, label = m.group("xid"), (m.group("xtext") or m.group("xid")).strip()
            href = xref(target) if xref else None
            out.append(_anchor(href, label) if href else esc(label))
        elif m.group("link"):
            target = m.group("ltarget")
            out.append(_anchor(target, m.group("ltext") or target))
        elif m.group("url"):
            raw = m.group("url")
            label = m.group("utext")
            target = raw[: raw.index("[")] if label is not None else raw
            out.append(_anchor(target, label or target))
        elif m.group("strong"):
            out.append(f"<strong>{render_inline(m.group('s'), xref)}</strong>")
        elif m.group("em"):
            out.append(f"<em>{render_inline(m.group('e'), xref)}</em>")
    out.append(esc(text[pos:]))
    return "".join(out)
