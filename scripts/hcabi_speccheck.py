#!/usr/bin/env python3
"""The normative check of the HCABI specification (spec/**/*.adoc).

Normative statements exist only as requirements, which come from the registry
through the generated files. This check enforces that on the AsciiDoc sources:

1. every paragraph, list item, table cell or verbatim block that uses MUST,
   MUST NOT, SHALL, SHALL NOT or REQUIRED (in capitals, outside backticks and
   comments) carries a requirement anchor [[AREA-NNN]];
2. a requirement anchor is never defined twice, in the sources or in the
   rendered document (a fragment included twice);
3. every requirement of the registry is rendered exactly once in the document
   that the main file includes, and the document renders no requirement that
   the registry does not have;
4. a hand-written .adoc file (anything outside spec/generated/) never defines
   a requirement anchor: requirements come only from the generated files;
5. no text outside code uses (C), (R) or (TM), which AsciiDoc replaces with a
   symbol (a title "Finding the base (C)" would read "Finding the base ©"), and a
   hand-written file cites a requirement ID only as a link (<<IPI-001>>);
6. every status a function's requirement names is in that function's status
   table (the registry, read with its loader).

A document is written for one version (--version, default the newest): check 3
expects exactly the requirements of that version, and from 1.2 on (PARTS_FROM) the
parts of a requirement that has parts, each rendered once too.

SHOULD, SHOULD NOT, RECOMMENDED, NOT RECOMMENDED, MAY and OPTIONAL outside a
requirement are reported as warnings (errors with --strict).

Standard library only. Exit status: 0 clean, 1 problems found, 2 usage or
unreadable input. Every problem names file:line.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_load as hl  # noqa: E402
import hcabi_registry as hr  # noqa: E402  (load_raw needs only tomllib)
from hcabi_spec_view import CITED_ID_RE, PARTS_FROM  # noqa: E402
from hcabi_status_check import status_mentions  # noqa: E402

REQ_ID = r"[A-Z][A-Z0-9]*-[0-9]{3}(?:\.[0-9]{1,2})?"  # a requirement, or one of its parts
REQ_ID_RE = re.compile(rf"^{REQ_ID}$")
NORMATIVE_RE = re.compile(r"\b(MUST NOT|MUST|SHALL NOT|SHALL|REQUIRED)\b")
SOFT_RE = re.compile(r"\b(SHOULD NOT|SHOULD|NOT RECOMMENDED|RECOMMENDED|MAY|OPTIONAL)\b")
# Anchors: [[id]], [[id,reftext]], [#id], [#id.role], anchor:id[...]
ANCHOR_RE = re.compile(r"\[\[([A-Za-z_][\w:.-]*)(?:,[^\]]*)?\]\]|\[#([A-Za-z_][\w:-]*)[\].%,]|anchor:([A-Za-z_][\w:.-]*)\[")
BACKTICK_RE = re.compile(r"``.+?``|`[^`\n]*`")
INCLUDE_RE = re.compile(r"^include::(\S+?)\[[^\]]*\]\s*$")
ATTR_ENTRY_RE = re.compile(r"^:(!?[\w][\w-]*!?):(?:\s+(.*))?$")
ATTR_REF_RE = re.compile(r"\{([\w][\w-]*)\}")
SECTION_RE = re.compile(r"^(={1,6}|#{1,6})\s+\S")
BLOCK_ATTR_RE = re.compile(r"^\[.*\]\s*$")
BLOCK_TITLE_RE = re.compile(r"^\.[^.\s]")
LIST_ITEM_RE = re.compile(r"^\s*(\*{1,5}|-|\.{1,5}|\d+\.|[a-zA-Z]\.|<\d+>)\s+\S")
DLIST_RE = re.compile(r"^(?!\s*//).*?\S(::|;;|:::|::::)(\s+\S.*)?$")
XREF_RE = re.compile(r"<<[^>\n]*>>|\[\[[^\]\n]*\]\]|xref:\S+\[[^\]\n]*\]")
REPLACEMENT_RE = re.compile(r"(?<![\\+])\((C|R|TM)\)")
DIRECTIVE_RE = re.compile(r"^(ifdef|ifndef|ifeval|endif)::")
# Delimited blocks: verbatim ones hold text as is; compound ones hold blocks.
VERBATIM_DELIMS = ("----", "....", "++++")
COMPOUND_DELIMS = ("====", "****", "____", "--")
TABLE_DELIM_RE = re.compile(r"^([|,:!])={3,}\s*$")


@dataclass
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass
class Unit:
    """One block of text judged on its own: a paragraph, list item, title, table cell
    or verbatim block, with the anchors attached to it."""

    lines: list[tuple[int, str]]            # (line number, text as judged)
    anchors: list[str]

    def has_requirement_anchor(self) -> bool:
        return any(REQ_ID_RE.match(a) for a in self.anchors)


@dataclass
class FileScan:
    path: Path
    units: list[Unit] = field(default_factory=list)
    anchors: list[tuple[int, str]] = field(default_factory=list)   # every anchor defined, (line, id)
    includes: list[tuple[int, str]] = field(default_factory=list)  # (line, raw target)
    attributes: dict[str, str] = field(default_factory=dict)
    verbatim: set[int] = field(default_factory=set)               # lines inside verbatim blocks


def _anchor_ids(text: str) -> list[str]:
    return [a or b or c for a, b, c in ANCHOR_RE.findall(text)]


def _strip_code(text: str) -> str:
    return BACKTICK_RE.sub(" ", text)


def _delim(line: str) -> str | None:
    s = line.rstrip()
    for d in VERBATIM_DELIMS + COMPOUND_DELIMS:
        if d == "--":
            if s == "--":
                return s
        elif len(s) >= 4 and s == d[0] * len(s):
            return s
    if s == "////" or (len(s) >= 4 and s == "/" * len(s)):
        return s
    return None


def scan_file(path: Path) -> FileScan:
    """Split one AsciiDoc file into units and collect its anchors and includes."""
    fs = FileScan(path)
    lines = hl.read_text(path).splitlines()
    cur: list[tuple[int, str]] = []        # lines of the unit being read
    pending: list[str] = []                # anchors waiting for the next block
    titles: list[tuple[int, str]] = []     # block titles waiting for the next block
    inherited: list[list[str]] = []        # anchors of the enclosing compound blocks
    open_delims: list[str] = []

    def inherit() -> list[str]:
        return [a for level in inherited for a in level]

    def emit(body: list[tuple[int, str]], extra: list[str] | None = None) -> None:
        """Make a unit of `body` with the waiting titles and anchors, and reset them."""
        nonlocal pending, titles
        if body or titles:
            fs.units.append(Unit(titles + body, pending + inherit() + (extra or [])))
        pending, titles = [], []

    def flush() -> None:
        nonlocal cur
        if cur:
            first = cur[0][1].lstrip()
            inline = _anchor_ids(first[: first.find("]]") + 2]) if first.startswith("[[") else []
            emit(cur, inline)
        cur = []

    def record_anchors(n: int, text: str) -> None:
        for a in _anchor_ids(text):
            fs.anchors.append((n, a))

    def include_at(n: int, text: str) -> bool:
        s = text.strip()
        m = INCLUDE_RE.match(s) if s.startswith("include::") else None
        if m:
            fs.includes.append((n, m.group(1)))
        return m is not None

    i = 0
    while i < len(lines):
        n, line = i + 1, lines[i]
        stripped = line.strip()
        i += 1
        if include_at(n, line):
            continue
        d = _delim(line)
        if d and d.startswith("/"):               # comment block: skipped whole
            flush()
            while i < len(lines) and lines[i].rstrip() != d:
                i += 1
            i += 1
            continue
        if stripped.startswith("//"):             # line comment
            continue
        if d and d != "--" and d[0] in "-.+":     # verbatim block: one unit, text as is
            flush()
            body: list[tuple[int, str]] = []
            while i < len(lines) and lines[i].rstrip() != d:
                if not include_at(i + 1, lines[i]):
                    body.append((i + 1, lines[i]))
                    fs.verbatim.add(i + 1)
                i += 1
            i += 1
            emit(body)
            continue
        if d:                                     # compound block: its blocks inherit its anchors
            flush()
            if open_delims and open_delims[-1] == d:
                open_delims.pop()
                inherited.pop()
            else:
                open_delims.append(d)
                inherited.append(pending)
                if titles:
                    emit([])
                pending = []
            continue
        tm = TABLE_DELIM_RE.match(stripped)
        if tm:                                    # table: each cell is a unit
            flush()
            cell_sep = tm.group(1)
            table_anchors = pending + inherit()
            if titles:
                emit([])
            pending = []
            cells: list[list[tuple[int, str]]] = []
            cell: list[tuple[int, str]] | None = None
            while i < len(lines) and lines[i].strip() != stripped:
                tn, tl = i + 1, lines[i]
                i += 1
                if tl.strip().startswith("//") or include_at(tn, tl):
                    continue
                parts = re.split(rf"(?<!\\){re.escape(cell_sep)}", tl)
                if cell is not None:
                    cell.append((tn, parts[0]))
                for part in parts[1:]:
                    cell = [(tn, part)]
                    cells.append(cell)
            i += 1
            for cl in cells:
                for tn, text in cl:
                    record_anchors(tn, text)
                fs.units.append(Unit(cl, table_anchors + _anchor_ids(" ".join(x for _, x in cl))))
            continue
        if not stripped:
            flush()
            continue
        if DIRECTIVE_RE.match(stripped):
            continue
        if stripped == "+":                       # list continuation: the next block is separate
            flush()
            continue
        if not cur:
            am = ATTR_ENTRY_RE.match(stripped)
            if am:
                name = am.group(1)
                if not name.startswith("!") and not name.endswith("!"):
                    fs.attributes[name] = (am.group(2) or "").strip()
                fs.units.append(Unit([(n, am.group(2) or "")], []))
                continue
            if BLOCK_ATTR_RE.match(stripped):
                record_anchors(n, stripped)
                pending += _anchor_ids(stripped)
                continue
            if BLOCK_TITLE_RE.match(stripped):
                titles.append((n, stripped[1:]))
                continue
        if SECTION_RE.match(stripped):
            flush()
            record_anchors(n, stripped)
            emit([(n, stripped)], _anchor_ids(stripped))
            continue
        if cur and (LIST_ITEM_RE.match(line) or DLIST_RE.match(line)):
            flush()
        record_anchors(n, stripped)
        cur.append((n, line))
    flush()
    return fs


# ---------------------------------------------------------------------------

def _vkey(text: object) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(text).split("."))
    except ValueError:
        return (0,)


def newest_version(doc: dict) -> str | None:
    names = [v.get("version") for v in doc.get("version", []) if isinstance(v, dict) and v.get("version")]
    return max(names, key=_vkey) if names else None


def registry_requirement_ids(registry: Path, version: str | None = None) -> list[tuple[str, str]]:
    """(ID, file) of every requirement a document of `version` (default: the newest)
    renders, read with the registry's own reader: those with `since` <= version, and
    from PARTS_FROM on the parts of those that have parts."""
    doc = hr.load_raw(registry)
    version = version or newest_version(doc)

    def shown(since: object) -> bool:
        return version is None or since is None or _vkey(since) <= _vkey(version)

    def ids(r: object, since: object, where: str) -> list[tuple[str, str]]:
        if not isinstance(r, dict) or "id" not in r or not shown(r.get("since", since)):
            return []
        out = [(r["id"], where)]
        if version is not None and _vkey(version) >= _vkey(PARTS_FROM):
            out += [(p["id"], where) for p in r.get("part", []) if isinstance(p, dict) and "id" in p]
        return out

    out = [x for r in doc.get("requirement", []) for x in ids(r, None, doc["__file__"])]
    for binding in doc.get("bindings", []):  # bindings/<arch>.toml: the other architectures'
        out += [x for r in binding.get("requirement", []) for x in ids(r, None, binding.get("__file__", "?"))]
    for ext in doc.get("extensions", []):
        if not shown((ext.get("extension") or {}).get("since")):
            continue
        for fn in ext.get("function", []):
            if not isinstance(fn, dict) or not shown(fn.get("since")):
                continue
            for r in fn.get("requirement", []):
                out += ids(r, fn.get("since"), ext.get("__file__", "?"))
    return out


class Checker:
    def __init__(self, spec_dir: Path, main: Path, registry: Path, strict: bool = False,
                 version: str | None = None):
        self.spec_dir = spec_dir.resolve()
        self.main = main.resolve()
        self.registry = registry
        self.strict = strict
        self.version = version  # the document's version; None: the registry's newest
        self.generated_dir = self.spec_dir / "generated"
        self.problems: list[Problem] = []
        self.scans: dict[Path, FileScan] = {}
        self.base = self.spec_dir.parent

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.base))
        except ValueError:
            return str(path)

    def is_generated(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.generated_dir)
            return True
        except ValueError:
            return False

    def add(self, path: Path | str, line: int, message: str, severity: str = "error") -> None:
        where = path if isinstance(path, str) else self.rel(path)
        self.problems.append(Problem(where, line, message, severity))

    def scan(self, path: Path) -> FileScan:
        path = path.resolve()
        if path not in self.scans:
            self.scans[path] = scan_file(path)
        return self.scans[path]

    def run(self) -> int:
        files = sorted(p for p in self.spec_dir.rglob("*.adoc") if not any(
            part.startswith(".") for part in p.relative_to(self.spec_dir).parts))
        for path in files:
            try:
                fs = self.scan(path)
            except (OSError, UnicodeDecodeError) as e:
                self.add(path, 0, f"cannot read: {e}")
                continue
            self.check_units(fs)
            if not self.is_generated(path):
                for line, aid in fs.anchors:
                    if REQ_ID_RE.match(aid):
                        self.add(path, line, f"requirement anchor [[{aid}]] in a hand-written file: requirements "
                                             "come only from the registry, through spec/generated/; include the "
                                             "generated fragment instead")
        self.check_duplicate_sources()
        self.check_rendered()
        try:
            reg = hr.load(self.registry)
        except hr.RegistryError:
            reg = None  # an invalid registry is the registry check's to report (spec.registry_valid)
        for line in status_mentions(reg) if reg else []:
            path, _, message = line.partition(": ")
            self.add(path, 0, message)
        return len([p for p in self.problems if p.severity == "error"])

    def check_units(self, fs: FileScan) -> None:
        for unit in fs.units:
            for line, text in unit.lines:
                rm = REPLACEMENT_RE.search(_strip_code(text)) if line not in fs.verbatim else None
                if rm:
                    self.add(fs.path, line, f"{rm.group(0)} renders as a symbol (AsciiDoc replaces it): write "
                                            f"it otherwise, or escape it as \\{rm.group(0)}")
                bare = CITED_ID_RE.search(XREF_RE.sub(" ", _strip_code(text))) \
                    if line not in fs.verbatim and not self.is_generated(fs.path) else None
                if bare:
                    self.add(fs.path, line, f"requirement {bare.group(1)} is cited as plain text: write "
                                            f"<<{bare.group(1)}>> so that it links to the requirement")
            if unit.has_requirement_anchor():
                continue
            for line, text in unit.lines:
                plain = _strip_code(text)
                m = NORMATIVE_RE.search(plain)
                if m:
                    self.add(fs.path, line, f"normative keyword {m.group(1)} outside a requirement: a block that "
                                            "uses it needs a requirement anchor [[AREA-NNN]]. Write informative "
                                            "text in lower case, or add a requirement to the registry")
                    break
                s = SOFT_RE.search(plain)
                if s:
                    self.add(fs.path, line, f"keyword {s.group(1)} outside a requirement: informative text uses "
                                            "lower-case words", "error" if self.strict else "warning")
                    break

    def check_duplicate_sources(self) -> None:
        seen: dict[str, tuple[Path, int]] = {}
        for path, fs in sorted(self.scans.items()):
            for line, aid in fs.anchors:
                if not REQ_ID_RE.match(aid):
                    continue
                if aid in seen:
                    p0, l0 = seen[aid]
                    self.add(path, line, f"requirement anchor [[{aid}]] is defined again (first at {self.rel(p0)}:{l0})")
                else:
                    seen[aid] = (path, line)

    def expand(self, path: Path, stack: list[Path], counts: dict[str, list[str]], attrs: dict[str, str]) -> None:
        """Walk the include tree from `path`, counting the requirement anchors it renders."""
        fs = self.scan(path)
        for k, v in fs.attributes.items():
            attrs.setdefault(k, v)
        for line, aid in fs.anchors:
            if REQ_ID_RE.match(aid):
                counts.setdefault(aid, []).append(f"{self.rel(path)}:{line}")
        for line, target in fs.includes:
            resolved = ATTR_REF_RE.sub(lambda m: attrs.get(m.group(1), m.group(0)), target)
            if "{" in resolved:
                self.add(path, line, f"include target {target}: unknown attribute")
                continue
            child = (path.parent / resolved).resolve()
            if not child.is_file():
                self.add(path, line, f"include target {target} not found ({self.rel(child)})")
                continue
            if child in stack:
                self.add(path, line, f"include {target} is recursive")
                continue
            self.expand(child, stack + [child], counts, attrs)

    def check_rendered(self) -> None:
        if not self.main.is_file():
            self.add(self.main, 0, "main document not found")
            return
        counts: dict[str, list[str]] = {}
        self.expand(self.main, [self.main], counts, {})
        try:
            reg = registry_requirement_ids(self.registry, self.version)
        except hr.RegistryError as e:
            for p in e.problems:
                self.add(str(self.registry), 0, f"cannot read the registry: {p}")
            return
        known = {rid for rid, _ in reg}
        main = self.rel(self.main)
        for rid, regfile in reg:
            where = counts.get(rid, [])
            if not where:
                self.add(main, 0, f"requirement {rid} ({regfile}) is not rendered: the document never includes "
                                  "the generated file that holds it (run the generator, include the fragment)")
            elif len(where) > 1:
                self.add(where[1].rsplit(":", 1)[0], int(where[1].rsplit(":", 1)[1]),
                         f"requirement {rid} is rendered {len(where)} times ({', '.join(where)}): "
                         "a fragment is included more than once")
        for rid, where in sorted(counts.items()):
            if rid not in known:
                path, line = where[0].rsplit(":", 1)
                self.add(path, int(line), f"requirement anchor [[{rid}]] is not a requirement of the registry "
                                          f"at version {self.version or 'newest'} (a stale generated file? run "
                                          "the generator)")
        self.rendered = sum(len(v) for k, v in counts.items() if k in known)
        self.registry_count = len(reg)


def check_html(html: Path, manifest: Path, version: str | None = None) -> list[str]:
    """Problems with a rendered HTML file: every requirement, extension and function of the
    manifest (spec/generated/requirements.json) needs its anchor, and a requirement's only once;
    so do the parts of a requirement in a document of PARTS_FROM or later. The document's
    version is `version`, else the newest of the manifest's versions."""
    text = hl.read_text(html)  # hl.InputError: the caller's exit 2
    doc = hl.read_json(manifest)
    reqs, others = _manifest_anchors(doc, str(manifest))
    if version is None and isinstance(doc, dict) and isinstance(doc.get("versions"), list):
        version = max((str(v.get("version")) for v in doc["versions"] if isinstance(v, dict)),
                      key=_vkey, default=None)
    if version is not None and _vkey(version) >= _vkey(PARTS_FROM):
        reqs += [p["id"] for r in doc["requirements"] for p in (r.get("parts") or [])
                 if isinstance(p, dict) and isinstance(p.get("id"), str)]
    ids: dict[str, int] = {}
    for m in re.finditer(r'\bid="([^"]+)"', text):
        ids[m.group(1)] = ids.get(m.group(1), 0) + 1
    out = [f"{html}: no element with id=\"{a}\"" for a in reqs + others if a not in ids]
    out += [f"{html}: id=\"{r}\" appears {ids[r]} times" for r in reqs if ids.get(r, 0) > 1]
    return out


def _manifest_anchors(doc: object, name: str) -> tuple[list, list]:
    """(requirement IDs, extension and function anchors) of a manifest; InputError on a wrong shape."""
    def get(node: object, key: str, want: type, path: list) -> object:
        hl.expect(node, dict, name, path)
        if key not in node:  # type: ignore[operator]
            raise hl.InputError(f"{name}: {hl.loc(path + [key])}: missing")
        return hl.expect(node[key], want, name, path + [key])  # type: ignore[index]

    reqs = [get(r, "id", str, ["requirements", i]) for i, r in enumerate(get(doc, "requirements", list, []))]
    anchors: list = []
    for i, e in enumerate(get(doc, "extensions", list, [])):
        anchors.append(f"ext-{get(e, 'name', str, ['extensions', i]).lower()}")
        fns = get(e, "functions", list, ["extensions", i])
        anchors += [get(fn, "anchor", str, ["extensions", i, "functions", j]) for j, fn in enumerate(fns)]
    return reqs, anchors


def main(argv: list[str] | None = None) -> int:
    root = hr.REPO_ROOT
    ap = hl.Parser(prog="hcabi_speccheck", description="Check that the spec states requirements only through the registry.")
    ap.add_argument("--spec", default=str(root / "spec"), help="spec folder to scan (default: spec/)")
    ap.add_argument("--main", help="main document (default: SPEC/hcabi-spec.adoc)")
    ap.add_argument("--registry", help="registry folder (default: SPEC/registry)")
    ap.add_argument("--strict", action="store_true", help="treat SHOULD, MAY... outside requirements as errors")
    ap.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    ap.add_argument("--html", metavar="FILE", help="instead, check that a rendered HTML file has an anchor "
                    "for every requirement, extension and function of the manifest")
    ap.add_argument("--version", help="the version the document is written for (default: the registry's newest; "
                    "with --html, the manifest's newest)")
    ap.add_argument("--manifest", help="requirements manifest for --html (default: SPEC/generated/requirements.json)")
    args = ap.parse_args(argv)
    if args.html:
        manifest = Path(args.manifest) if args.manifest else Path(args.spec) / "generated" / "requirements.json"
        try:
            problems = check_html(Path(args.html), manifest, args.version)
        except hl.InputError as e:
            print(f"hcabi_speccheck: {e}", file=sys.stderr)
            return 2
        for p in problems:
            print(f"hcabi_speccheck: {p}", file=sys.stderr)
        if not problems and not args.quiet:
            print(f"HTML anchors OK: {args.html}")
        return 1 if problems else 0
    spec = Path(args.spec)
    if not spec.is_dir():
        print(f"hcabi_speccheck: {spec}: not a folder", file=sys.stderr)
        return 2
    checker = Checker(spec, Path(args.main) if args.main else spec / "hcabi-spec.adoc",
                      Path(args.registry) if args.registry else spec / "registry", args.strict, args.version)
    try:
        errors = checker.run()
    except hr.RegistryError as e:
        for p in e.problems:
            print(f"hcabi_speccheck: registry: {p}", file=sys.stderr)
        return 2
    except hl.InputError as e:  # an .adoc file that cannot be read or is not UTF-8
        print(f"hcabi_speccheck: {e}", file=sys.stderr)
        return 2
    for p in checker.problems:
        print(p, file=sys.stderr)
    warnings = len(checker.problems) - errors
    if errors:
        print(f"hcabi_speccheck: {errors} error(s), {warnings} warning(s) in {len(checker.scans)} files",
              file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"normative check OK: {len(checker.scans)} files, {getattr(checker, 'registry_count', 0)} registry "
              f"requirements each rendered once, no normative keyword outside a requirement"
              + (f" ({warnings} warning(s))" if warnings else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(hl.run_main("hcabi_speccheck", main))
