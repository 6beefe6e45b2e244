"""Build the rendered documents of the HCABI spec: one per version, and one per pair of
consecutive versions with the changes marked.

For every version X.Y of the registry (never a hard-coded list) this writes
OUT/hcabi-spec-X.Y.html, the document an implementer of X.Y works from: the registry
seen at X.Y (hcabi_spec_view.py), each requirement with the conformance tests that cite
it. For every consecutive pair it writes OUT/hcabi-spec-P-to-X.Y.html, the newer
document with what it adds, and what it restates, marked. OUT/hcabi-spec.html is the
newest version's document (and OUT/hcabi-spec.pdf, with --asciidoctor-pdf).

Each document is built from its own source tree, OUT/src/<name>/: a copy of the
hand-written sources (hcabi-spec.adoc, chapters/, docinfo) and generated/ written for
that view, so the chapters' relative includes work unchanged. Each tree passes the
normative check for its version (hcabi_speccheck.py) before asciidoctor renders it,
asciidoctor runs with -v --failure-level INFO (any warning or unresolved reference fails),
and the HTML must hold an anchor for each of its requirements, extensions and functions.
A document is written under a temporary name and renamed on success.

Exit status: 0 built; 1 a check or asciidoctor failed (its messages, then one line
naming the document); 2 usage; 4 the registry, the test sources or a file cannot be read
or written (one line).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_gen as gen  # noqa: E402
import hcabi_load as hl  # noqa: E402
import hcabi_registry as hr  # noqa: E402
import hcabi_speccheck as sc  # noqa: E402
import hcabi_tests_scan as tm  # noqa: E402
from hcabi_spec_view import View, TestRef, parts_of  # noqa: E402
from hcabi_test_checks import ChecksError, read_implied  # noqa: E402

PROG = "hcabi_specbuild"
ROOT = hr.REPO_ROOT


class BuildError(Exception):
    """A document failed a check or did not render; the message names it."""


def tested_by(reg: hr.Registry, root: Path) -> dict[str, list[TestRef]]:
    """Requirement or part ID -> the tests that cite it, from the tests' own declarations,
    read by the suite's manifest tool (never parsed differently here)."""
    reqs: dict[str, str] = {}
    for r in reg.requirements:
        reqs[r.id] = r.since
        for p in parts_of(r):
            reqs[p["id"]] = r.since  # a part holds from its parent's version
    # every architecture's tests; a binding macro in a citation (HCABI_REQ_VALUE_ZERO) read
    # as the default architecture's requirement, as tm.scan does without an architecture
    treg = tm.Registry(requirements=reqs, extensions={e.name for e in reg.extensions},
                       areas=set(hr.BINDING_AREAS), macros=reg.binding_macros())
    treg.versions, treg.aliases = tm.read_abi_versions(root / "abi.h")
    header = root / "conformance" / "guest" / "lib" / "include" / "hcabi_test.h"
    implied = read_implied(header, treg.macros.get(tm.DEFAULT_ARCH, {}))
    _, tests = tm.scan(root / "conformance" / "tests", treg, implied)
    out: dict[str, list[TestRef]] = {}
    for t in tests:
        for rid in t.requirements:
            out.setdefault(rid, []).append(TestRef(t.name, t.since))
    return out


def documents(reg: hr.Registry) -> list[tuple[str, str, str | None]]:
    """(name, version, older version or None) of every document, from the registry's versions."""
    names = reg.version_names()
    docs: list[tuple[str, str, str | None]] = [(f"hcabi-spec-{v}", v, None) for v in names]
    docs += [(f"hcabi-spec-{p}-to-{v}", v, p) for p, v in zip(names, names[1:])]
    return docs


def write_tree(tree: Path, spec: Path, view: View, released: set[str]) -> None:
    """The document's source tree: the hand-written sources and generated/ for `view`."""
    if tree.exists():
        shutil.rmtree(tree)
    (tree / "generated").mkdir(parents=True)
    for path in sorted(spec.glob("*.adoc")) + sorted(spec.glob("docinfo*.html")):
        shutil.copy2(path, tree / path.name)
    shutil.copytree(spec / "chapters", tree / "chapters")
    for name, text in gen.spec_files(view, released).items():
        dest = tree / "generated" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def check_tree(tree: Path, registry: Path, version: str) -> None:
    checker = sc.Checker(tree, tree / "hcabi-spec.adoc", registry, version=version)
    errors = checker.run()
    for p in checker.problems:
        print(p, file=sys.stderr)
    if errors:
        raise BuildError(f"{tree.name}: the normative check failed ({errors} error(s) above)")


def newer_citations(messages: str, reg: hr.Registry, version: str) -> list[str]:
    """Hints for asciidoctor's unresolved references that are requirements of a later
    version: hand-written prose that cites them needs a conditional."""
    since = {r.id: r.since for r in reg.requirements}
    out = []
    for rid in dict.fromkeys(re.findall(r"possible invalid reference: (\S+)", messages)):
        if rid in since and hr.parse_version(since[rid]) > hr.parse_version(version):
            flag = "hcabi-since-" + since[rid].replace(".", "-")
            out.append(f"{PROG}: {rid} is a requirement of {since[rid]}, which the {version} document does "
                       f"not have: put the prose that cites it between ifdef::{flag}[] and endif::[]")
    return out


def render(asciidoctor: str, tree: Path, out: Path, version: str, pdf: bool = False,
           reg: hr.Registry | None = None) -> None:
    # keep the suffix: asciidoctor picks docinfo.<suffix of -o> (the document's styles)
    tmp = out.with_name(out.stem + ".tmp" + out.suffix)
    cmd = [asciidoctor] + ([] if pdf else ["-v"]) + [
        "--failure-level", "WARN" if pdf else "INFO", "-a", "attribute-missing=warn",
        "-o", str(tmp), str(tree / "hcabi-spec.adoc")]
    try:
        done = subprocess.run(cmd, check=False, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as e:
        raise BuildError(f"{out.name}: cannot run {asciidoctor}: {e.strerror or e}") from None
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        for hint in newer_citations(done.stderr, reg, version) if reg else []:
            print(hint, file=sys.stderr)
        raise BuildError(f"{out.name}: {Path(asciidoctor).name} failed (exit {done.returncode}, messages above)")
    if not pdf:
        problems = sc.check_html(tmp, tree / "generated" / "requirements.json", version)
        if problems:
            for p in problems:
                print(f"{PROG}: {p}", file=sys.stderr)
            raise BuildError(f"{out.name}: the rendered HTML lacks anchors (above)")
    tmp.replace(out)


def build(reg: hr.Registry, registry: Path, spec: Path, out: Path, asciidoctor: str,
          pdf_tool: str | None, tests: dict[str, list[TestRef]]) -> list[Path]:
    released = gen.released_versions(registry)
    built: list[Path] = []
    for name, version, prev in documents(reg):
        frozen = registry / "releases" / prev if prev else None
        old = hr.load(frozen) if frozen and frozen.is_dir() else None  # texts as released
        view = View(reg, version, prev=prev, tested_by=tests, old=old)
        tree = out / "src" / name
        write_tree(tree, spec, view, released)
        check_tree(tree, registry, version)
        html = out / f"{name}.html"
        render(asciidoctor, tree, html, version, reg=reg)
        built.append(html)
    newest = f"hcabi-spec-{reg.newest_version}"
    shutil.copyfile(out / f"{newest}.html", out / "hcabi-spec.html")
    built.append(out / "hcabi-spec.html")
    if pdf_tool:
        render(pdf_tool, out / "src" / newest, out / "hcabi-spec.pdf", reg.newest_version, pdf=True)
        built.append(out / "hcabi-spec.pdf")
    return built


def main(argv: list[str] | None = None) -> int:
    ap = hl.Parser(prog=PROG, description="Render the spec: one HTML document per version, and one "
                   "change-marked document per pair of consecutive versions.",
                   epilog="Exit status: 0 built, 1 a check or asciidoctor failed, 2 usage, "
                          "4 an input cannot be read or an output written.")
    ap.add_argument("--out", required=True, help="output folder (the build's spec/ folder)")
    ap.add_argument("--asciidoctor", default="asciidoctor", help="the asciidoctor program")
    ap.add_argument("--asciidoctor-pdf", help="also render the newest version as hcabi-spec.pdf with it")
    ap.add_argument("--root", default=str(ROOT), help="the source tree (its spec/, conformance/ and abi.h)")
    ap.add_argument("--no-tests", action="store_true", help="leave out the lists of tests under requirements")
    args = ap.parse_args(argv)
    root = Path(args.root)
    spec, registry = root / "spec", root / "spec" / "registry"
    if not (spec / "hcabi-spec.adoc").is_file():
        ap.error(f"--root {root}: no spec/hcabi-spec.adoc there")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        ap.error(f"--out {args.out}: not a folder")
    try:
        reg = hr.load(registry)
    except hr.RegistryError as e:
        for line in e.problems:
            print(f"registry error: {line}", file=sys.stderr)
        return hl.EXIT_ERROR
    try:
        tests = {} if args.no_tests else tested_by(reg, root)
    except (tm.ManifestError, ChecksError) as e:
        print(f"{PROG}: the conformance tests cannot be read: {hl.one_line(e)}", file=sys.stderr)
        return hl.EXIT_ERROR
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        built = build(reg, registry, spec, out, args.asciidoctor, args.asciidoctor_pdf,
                      None if args.no_tests else tests)  # type: ignore[arg-type]
    except BuildError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except hr.RegistryError as e:  # a released snapshot a comparison reads
        for line in e.problems:
            print(f"registry error: {line}", file=sys.stderr)
        return hl.EXIT_ERROR
    except OSError as e:
        print(f"{PROG}: {e.filename or out}: cannot write: {e.strerror or e}", file=sys.stderr)
        return hl.EXIT_ERROR
    print(f"{PROG}: built {', '.join(p.name for p in built)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(hl.run_main(PROG, main))
