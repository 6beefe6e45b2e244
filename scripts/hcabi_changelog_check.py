"""Check that CHANGELOG and the spec's version history agree, with each other and the registry.

Both are generated (scripts/hcabi_gen.py) from the registry's [[version]] entries, so
they can only disagree when one of them was edited by hand, is stale, or the generator
renders them differently. This check does not trust the generator: it parses the
committed files as a reader sees them,

  CHANGELOG                          ## HCABI X.Y (DATE), summary, "- " items, and the
                                     last item "Functions introduced: A, B."
  spec/generated/history.adoc        === HCABI X.Y (DATE), summary, "* " items, and the
                                     paragraph "Functions introduced: <<anchor,A>>, ..."
  spec/generated/changes-since.adoc  [[changes-X-Y]] / === HCABI X.Y (...) and its
                                     "Functions" row

and compares, version by version (newest first): the set and order of versions, the
date, the summary, the list of changes (text and order, inline markup normalised) and
the functions introduced. It also compares both with the registry: the versions and
their entries, and the functions introduced, which it derives from each function's
`since` (not from the generator). The changes-since appendix must list exactly the
versions after the first and, for each, the same functions.

Exit status: 0 they agree; 1 they disagree (one line per difference, naming the version
and the item); 2 usage, or a file that cannot be read or parsed; 4 the registry is
invalid.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_load as hl  # noqa: E402
import hcabi_registry as hr  # noqa: E402


class ParseError(Exception):
    pass


@dataclass
class Entry:
    version: str
    date: str
    summary: str = ""
    changes: list[str] = field(default_factory=list)
    functions: list[str] | None = None  # None: the line is missing
    line: int = 0


PROG = "hcabi_changelog_check"
FUNCTIONS_PREFIX = "Functions introduced:"
XREF_RE = re.compile(r"<<[^,>]+,([^>]+)>>|<<([^,>]+)>>")


def norm(text: str) -> str:
    """Inline text as a reader sees it: cross references by their label, white space collapsed."""
    text = XREF_RE.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(text.split())


def parse_functions(text: str, where: str) -> list[str]:
    body = norm(text[len(FUNCTIONS_PREFIX):])
    if not body.endswith("."):
        raise ParseError(f"{where}: '{FUNCTIONS_PREFIX}' does not end with a full stop")
    body = body[:-1].strip()
    if body == "none":
        return []
    return [f.strip() for f in body.split(",")]


def _parse(path: Path, heading: re.Pattern[str], bullet: str, functions_as_item: bool) -> list[Entry]:
    try:
        lines = hl.read_text(path).splitlines()
    except hl.InputError as e:
        raise ParseError(str(e)) from None
    entries: list[Entry] = []
    cur: Entry | None = None
    para: list[str] = []
    state = "none"  # summary, items, after

    def end_para() -> None:
        nonlocal para, state
        if cur is None or not para:
            para = []
            return
        text = norm(" ".join(para))
        para = []
        if not functions_as_item and text.startswith(FUNCTIONS_PREFIX):
            if cur.functions is not None:
                raise ParseError(f"{path}:{cur.line}: HCABI {cur.version}: two '{FUNCTIONS_PREFIX}' lines")
            cur.functions = parse_functions(text, f"{path}: HCABI {cur.version}")
            state = "after"
        elif state == "summary" and not cur.summary:
            cur.summary = text
            state = "items"
        else:
            raise ParseError(f"{path}: HCABI {cur.version}: unexpected paragraph: {text[:60]!r}")

    for n, raw in enumerate(lines, 1):
        line = raw.rstrip()
        m = heading.match(line)
        if m:
            end_para()
            cur = Entry(m.group(1), m.group(2), line=n)
            entries.append(cur)
            state = "summary"
            continue
        if cur is None or line.startswith("//") or line.startswith("<!--") or line.startswith("# "):
            continue
        if line.startswith(bullet):
            end_para()
            item = norm(line[len(bullet):])
            if functions_as_item and item.startswith(FUNCTIONS_PREFIX):
                if cur.functions is not None:
                    raise ParseError(f"{path}:{n}: HCABI {cur.version}: two '{FUNCTIONS_PREFIX}' items")
                cur.functions = parse_functions(item, f"{path}:{n}: HCABI {cur.version}")
            elif state == "items" and cur.functions is None:
                cur.changes.append(item)
            else:
                raise ParseError(f"{path}:{n}: HCABI {cur.version}: a change item out of place")
            continue
        if not line.strip():
            end_para()
            continue
        if line.startswith(" ") and state == "items" and cur.changes and not para:
            cur.changes[-1] = norm(cur.changes[-1] + " " + line)  # a wrapped list item
            continue
        para.append(line)
    end_para()
    for e in entries:
        if not e.summary:
            raise ParseError(f"{path}:{e.line}: HCABI {e.version}: no summary paragraph")
        if e.functions is None:
            raise ParseError(f"{path}:{e.line}: HCABI {e.version}: no '{FUNCTIONS_PREFIX}' line")
    if not entries:
        raise ParseError(f"{path}: no version section found")
    return entries


def parse_changelog(path: Path) -> list[Entry]:
    return _parse(path, re.compile(r"^## HCABI (\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)$"), "- ", True)


def parse_history(path: Path) -> list[Entry]:
    return _parse(path, re.compile(r"^=== HCABI (\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)$"), "* ", False)


def parse_changes_since(path: Path) -> dict[str, list[str]]:
    """Version -> the functions of its "Functions" row, from the changes-since appendix."""
    try:
        text = hl.read_text(path)
    except hl.InputError as e:
        raise ParseError(str(e)) from None
    out: dict[str, list[str]] = {}
    cur: str | None = None
    for line in text.splitlines():
        m = re.match(r"^=== HCABI (\d+\.\d+) \(", line)
        if m:
            cur = m.group(1)
            out[cur] = []
            continue
        if cur and line.startswith("|Functions |"):
            body = norm(line[len("|Functions |"):])
            out[cur] = [] if body == "none" else [
                re.sub(r"\s*\(.*", "", item).strip() for item in body.split(";")]
    return out


def registry_entries(reg: hr.Registry) -> list[Entry]:
    out = []
    for v in sorted(reg.versions, key=lambda v: hr.parse_version(v["version"]), reverse=True):
        fns = [fn.qualname for fn in reg.functions() if fn.since == v["version"]]
        out.append(Entry(v["version"], v["date"], norm(v["summary"]), [norm(c) for c in v["changes"]], fns))
    return out


def compare(a_name: str, a: list[Entry], b_name: str, b: list[Entry]) -> list[str]:
    """Every difference between two histories, one line each."""
    problems: list[str] = []
    av, bv = [e.version for e in a], [e.version for e in b]
    if av != bv:
        for v in av:
            if v not in bv:
                problems.append(f"HCABI {v}: in {a_name}, missing from {b_name}")
        for v in bv:
            if v not in av:
                problems.append(f"HCABI {v}: in {b_name}, missing from {a_name}")
        if sorted(av) == sorted(bv) or [v for v in av if v in bv] != [v for v in bv if v in av]:
            problems.append(f"versions in a different order: {a_name} {', '.join(av)}; {b_name} {', '.join(bv)}")
    bmap = {e.version: e for e in b}
    for ea in a:
        eb = bmap.get(ea.version)
        if eb is None:
            continue
        v = ea.version
        if ea.date != eb.date:
            problems.append(f"HCABI {v}: date {ea.date} in {a_name}, {eb.date} in {b_name}")
        if ea.summary != eb.summary:
            problems.append(f"HCABI {v}: summary differs: {a_name} {ea.summary!r}; {b_name} {eb.summary!r}")
        for i in range(max(len(ea.changes), len(eb.changes))):
            ca = ea.changes[i] if i < len(ea.changes) else None
            cb = eb.changes[i] if i < len(eb.changes) else None
            if ca == cb:
                continue
            if ca is None:
                problems.append(f"HCABI {v}: change {i + 1} only in {b_name}: {cb!r}")
            elif cb is None:
                problems.append(f"HCABI {v}: change {i + 1} only in {a_name}: {ca!r}")
            else:
                problems.append(f"HCABI {v}: change {i + 1} differs: {a_name} {ca!r}; {b_name} {cb!r}")
        if ea.functions != eb.functions:
            problems.append(f"HCABI {v}: functions introduced differ: {a_name} "
                            f"{', '.join(ea.functions or []) or 'none'}; {b_name} {', '.join(eb.functions or []) or 'none'}")
    return problems


def check(root: Path, registry: Path) -> tuple[int, list[str]]:
    changelog = root / "CHANGELOG"
    history = root / "spec" / "generated" / "history.adoc"
    changes = root / "spec" / "generated" / "changes-since.adoc"
    try:
        cl = parse_changelog(changelog)
        hi = parse_history(history)
        cs = parse_changes_since(changes)
    except ParseError as e:
        return 2, [str(e)]
    try:
        reg = hr.load(registry)
    except hr.RegistryError as e:
        return 4, [f"registry error: {p}" for p in e.problems]
    problems = compare("CHANGELOG", cl, "history.adoc", hi)
    problems += compare("CHANGELOG", cl, "the registry", registry_entries(reg))
    problems += compare("history.adoc", hi, "the registry", registry_entries(reg))
    later = [e.version for e in hi][:-1]  # every version after the first, newest first
    if list(cs) != later:
        problems.append(f"changes-since.adoc lists versions {', '.join(cs) or 'none'}; "
                        f"the history's versions after the first are {', '.join(later) or 'none'}")
    for e in hi:
        if e.version in cs and cs[e.version] != e.functions:
            problems.append(f"HCABI {e.version}: changes-since.adoc lists functions "
                            f"{', '.join(cs[e.version]) or 'none'}; history.adoc {', '.join(e.functions or []) or 'none'}")
    return (1 if problems else 0), problems


def main(argv: list[str] | None = None) -> int:
    ap = hl.Parser(prog=PROG, description="Check that CHANGELOG and the spec's version history agree.")
    ap.add_argument("--root", default=str(hr.REPO_ROOT), help="repository root (default: this checkout)")
    ap.add_argument("--registry", help="registry folder (default: ROOT/spec/registry)")
    args = ap.parse_args(argv)
    root = Path(args.root)
    status, problems = check(root, Path(args.registry) if args.registry else root / "spec" / "registry")
    for p in problems:
        print(("changelog check: " if status != 1 else "disagree: ") + p, file=sys.stderr)
    if status == 0:
        hi = parse_history(root / "spec" / "generated" / "history.adoc")
        print(f"CHANGELOG and the spec's history agree: {len(hi)} version(s) "
              f"({', '.join(e.version for e in hi)}), with the registry and changes-since.adoc")
    elif status == 1:
        print("CHANGELOG and the spec's history disagree: regenerate them (cmake --build BUILD --target regen) "
              "and never edit them by hand", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(hl.run_main(PROG, main))
