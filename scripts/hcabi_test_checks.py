"""hcabi_test_checks: which requirements each conformance test's checks name.

A check credits or blames the one requirement it names, so a test must cite
(in its HCABI_TEST header) every requirement its checks can name; the guest
framework enforces that at run time, this module statically, for
scripts/hcabi_tests_scan.py.

Per test, not per file: the requirement IDs a test can name are the
requirement-ID string literals (a whole literal such as "X86-005") in its
body and in every top-level function or table of its image folder that the
body reaches by name, transitively (helpers, tasks passed to
test_run_on_cpu, tables of cases with a `req` field), plus the requirements
the framework's helpers check on the caller's behalf: the HCABI_IMPLIED_<helper>
macros of conformance/guest/lib/include/hcabi_test.h, for every such helper
the reachable code calls (a binding macro there, HCABI_REQ_VALUE_ZERO, is the
requirement of the architecture scanned). The result over-approximates (a table shared by
two tests counts for both; a name is resolved in the test's own file first,
else in every file of the folder that defines it), never under-approximates
for code written in the suite's style: requirement IDs as literals, no
macros that make checks.

Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

IDENT_RE = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
STRING_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
# a requirement ID, or a part of one (IPI-001.2)
REQ_LITERAL_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9][0-9A-Za-z_]*(\.[0-9]+)?$")
# a requirement literal and the message format right after it: check_*(..., "REQ", "fmt" ...)
SITE_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"(?=((?:\s*,\s*(?:"(?:[^"\\\n]|\\.)*"\s*)+)?))')
DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(HCABI_\w+)[ \t]+([^\n]*)$", re.M)
IMPLIED_PREFIX = "HCABI_IMPLIED_"


class ChecksError(Exception):
    """The framework header cannot be read or its implied lists are malformed."""


@dataclass(frozen=True)
class Site:
    """Where a test's check names a requirement: the literal (and the message
    format that follows it), or the call of a helper that checks it."""

    req: str
    path: Path
    line: int
    message: str  # the check's message format, "through HELPER()", or ""


@dataclass
class Item:
    """One top-level definition or declaration of a C file."""

    path: Path
    name: str | None
    body: str  # the text searched for literals and names (a test: its body only)
    test_ident: str | None = None
    line: int = 1  # the line `body` starts on
    refs: set = field(default_factory=set)
    literals: set = field(default_factory=set)

    def sites(self) -> list[Site]:
        """The requirement literals of the body, each with its line and message."""
        out = []
        for m in SITE_RE.finditer(self.body):
            if REQ_LITERAL_RE.match(m.group(1)):
                after = STRING_RE.findall(m.group(2))
                msg = "" if after and REQ_LITERAL_RE.match(after[0]) else "".join(after)
                out.append(Site(m.group(1), self.path, self.line + self.body.count("\n", 0, m.start()), msg))
        return out

    def call_line(self, name: str) -> int:
        m = re.search(rf"\b{re.escape(name)}\b", STRING_RE.sub('""', self.body))
        return self.line + (self.body.count("\n", 0, m.start()) if m else 0)


def blank_preprocessor(text: str) -> str:
    """Blank out preprocessor lines (with their continuations), keeping newlines."""
    out = []
    cont = False
    for line in text.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.endswith("\\")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _skip_literal(text: str, i: int) -> int:
    quote = text[i]
    j = i + 1
    while j < len(text) and text[j] != quote and text[j] != "\n":
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _depth0_idents(head: str) -> list[tuple[str, int]]:
    """Identifiers of `head` outside any (), [] or {}, with their positions,
    and the positions of '(' '[' '=' at depth 0 as pseudo tokens."""
    toks: list[tuple[str, int]] = []
    depth, i = 0, 0
    while i < len(head):
        c = head[i]
        if c in "\"'":
            i = _skip_literal(head, i)
            continue
        if c in "([{":
            if depth == 0:
                toks.append((c, i))
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            if c == "=":
                toks.append(("=", i))
            m = IDENT_RE.match(head, i)
            if m and (i == 0 or not (head[i - 1].isalnum() or head[i - 1] == "_")):
                toks.append((m.group(0), i))
                i = m.end()
                continue
        i += 1
    return toks


def _function_name(head: str) -> str | None:
    """The name of a function definition: the identifier before the last
    depth-0 parenthesis group of its head."""
    toks = _depth0_idents(head)
    last_paren = max((k for k, (t, _) in enumerate(toks) if t == "("), default=None)
    if last_paren is None or last_paren == 0:
        return None
    prev = toks[last_paren - 1][0]
    return prev if IDENT_RE.fullmatch(prev) else None


def _data_name(text: str) -> str | None:
    """The name a declaration declares: the last identifier before the first
    depth-0 '=' (or '[', '(' of a declarator), else the last identifier."""
    name = None
    for tok, _ in _depth0_idents(text):
        if tok in ("=", "[", "("):
            if name is not None:
                return name
            continue
        if tok != "{":
            name = tok
    return name


def split_items(path: Path, text: str) -> list[Item]:
    """Top-level items of comment-stripped C text."""
    text = blank_preprocessor(text)
    items: list[Item] = []
    depth, start, i, n = 0, 0, 0, len(text)
    body_start = -1
    while i < n:
        c = text[i]
        if c in "\"'":
            i = _skip_literal(text, i)
            continue
        if c == "{":
            if depth == 0 and text[start:i].rstrip().endswith(")"):
                body_start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and body_start >= 0:
                item = _function_item(path, text[start:body_start], text[body_start : i + 1])
                item.line = text.count("\n", 0, body_start) + 1
                items.append(item)
                start, body_start = i + 1, -1
        elif c == ";" and depth == 0:
            chunk = text[start : i + 1]
            if chunk.strip():
                items.append(Item(path, _data_name(chunk), chunk, line=text.count("\n", 0, start) + 1))
            start = i + 1
        elif c in "()[]":
            pass
        i += 1
    for item in items:
        item.refs = set(IDENT_RE.findall(STRING_RE.sub(" ", item.body)))
        item.literals = {s for s in STRING_RE.findall(item.body) if REQ_LITERAL_RE.match(s)}
    return items


TEST_HEAD_RE = re.compile(r"\bHCABI_TEST\s*\(\s*([A-Za-z_]\w*)")


def _function_item(path: Path, head: str, body: str) -> Item:
    m = TEST_HEAD_RE.search(head)
    if m:
        # only the body: the header's requirement list is what the test cites
        return Item(path, None, body, test_ident=m.group(1))
    return Item(path, _function_name(head), body)


def read_implied(header: Path, binding: dict | None = None) -> dict[str, list[str]]:
    """helper name -> the requirement IDs it checks on the caller's behalf,
    from the HCABI_IMPLIED_<helper> macros of the framework header; `binding`:
    the binding macros of the architecture scanned (macro -> requirement ID,
    spec/generated/binding_reqs.h), which the header's macros may name."""
    try:
        text = header.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecksError(f"{header}: cannot read the framework header: {exc}") from None
    macros = {name: value for name, value in DEFINE_RE.findall(text)}

    def expand(name: str, seen: frozenset) -> str:
        if name in seen:
            raise ChecksError(f"{header}: {name} is defined through itself")
        value = re.sub(r"/\*.*?\*/|//.*$", "", macros[name]).strip()
        out = []
        for tok in re.findall(r'"[^"\\\n]*"|\S+', value):
            if tok.startswith('"'):
                out.append(tok[1:-1])
            elif tok in macros:
                out.append(expand(tok, seen | {name}))
            elif tok in (binding or {}):
                out.append(binding[tok])
            else:
                raise ChecksError(
                    f"{header}: {name}: {tok!r} is neither a string literal nor a macro of the header "
                    "or a binding macro of the requirements manifest"
                )
        return "".join(out)

    implied: dict[str, list[str]] = {}
    for name in macros:
        if name.startswith(IMPLIED_PREFIX):
            reqs = [r.strip() for r in expand(name, frozenset()).split(",")]
            if not reqs or not all(REQ_LITERAL_RE.match(r) for r in reqs):
                raise ChecksError(f"{header}: {name} must name requirement IDs, comma-separated: {reqs!r}")
            implied[name[len(IMPLIED_PREFIX) :]] = reqs
    if not implied:
        raise ChecksError(f"{header}: no {IMPLIED_PREFIX}<helper> macro (wrong file?)")
    return implied


def checks_per_test(files: dict[Path, str], implied: dict[str, list[str]]) -> dict[tuple[Path, str], list[str]]:
    """For the comment-stripped files of one image folder: (file, test
    identifier) -> sorted requirement IDs its checks can name."""
    return {key: sorted({s.req for s in sites}) for key, sites in sites_per_test(files, implied).items()}


def sites_per_test(files: dict[Path, str], implied: dict[str, list[str]]) -> dict[tuple[Path, str], list[Site]]:
    """For the comment-stripped files of one image folder: (file, test
    identifier) -> the sites of the checks it can reach, in file order."""
    items: list[Item] = []
    for path, text in files.items():
        items.extend(split_items(path, text))
    by_name: dict[str, list[Item]] = {}
    for item in items:
        if item.name:
            by_name.setdefault(item.name, []).append(item)
    result: dict[tuple[Path, str], list[Site]] = {}
    for test in (it for it in items if it.test_ident):
        sites: set[Site] = set()
        seen: set[int] = set()
        to_visit = [test]
        while to_visit:
            item = to_visit.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            sites.update(item.sites())
            for ref in sorted(item.refs):
                for helper_req in implied.get(ref, ()):
                    sites.add(Site(helper_req, item.path, item.call_line(ref), f"through {ref}()"))
                targets = by_name.get(ref, [])
                local = [t for t in targets if t.path == item.path]
                to_visit.extend(local or targets)
        result[(test.path, test.test_ident)] = sorted(sites, key=lambda s: (str(s.path), s.line, s.req, s.message))
    return result
