"""Check that an HCABI registry keeps the promises of the versions before it.

`hcabi-compat OLD NEW` compares two registry folders; `hcabi-compat --all` compares
every released snapshot (spec/registry/releases/<X.Y>/) with the next one, and the
newest with the current registry; `hcabi-release X.Y` freezes the current registry as
released version X.Y. docs/compatibility.md states the rules; in short:

* a minor version only adds: extensions, extension version numbers, functions,
  meanings for reserved bits and reserved structure fields, requirements,
  constants, statuses in the table (for new functions), a status of an existing
  function with the new version as its `since` (returned only from that version on),
  profiles for new versions
  (a profile's list for a new version keeps every extension of the list before it);
* a major version may in addition remove a function that an earlier version
  deprecated (and an extension whose every function was deprecated);
* nothing released is ever renumbered, renamed, retyped or given a new meaning,
  and an ID is never reused, not even after a major version removed it;
* a text that states meaning (a function's `returns`, an argument's or bit field's
  `doc`, a status's `when`, a requirement's `text`, a structure field's `doc`) may
  change only if the new version lists it in its `editorial` list.

Exit status: 0 compatible, 1 incompatible (one line per violation), 2 usage,
4 a registry cannot be read or is invalid.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Iterable

import hcabi_load as hl
import hcabi_registry as hr
from hcabi_compat_rules import compare
from hcabi_compat_step import PV, Report

PROG = "hcabi-compat"
EXIT_OK, EXIT_INCOMPATIBLE, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 4
RELEASES = "releases"
VERSION_RE = re.compile(r"^[1-9][0-9]*\.(0|[1-9][0-9]*)$")


# ---------------------------------------------------------------------------
# Loading, snapshots and the command line

class LoadError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(path: Path, role: str) -> hr.Registry:
    """Load a registry folder; any failure becomes a LoadError naming `role` (no traceback)."""
    if not path.is_dir():
        raise LoadError([f"{role} registry {_show(path)}: not a folder"])
    try:
        return hr.load(path)
    except hr.RegistryError as e:
        raise LoadError([f"{role} registry {_show(path)}: {p}" for p in e.problems]) from None


def releases(root: Path) -> list[tuple[str, Path]]:
    """The released snapshots under root/releases, oldest first."""
    rel = root / RELEASES
    if not rel.is_dir():
        return []
    out = []
    for p in rel.iterdir():
        if not p.is_dir():
            continue
        if not VERSION_RE.match(p.name):
            raise LoadError([f"{_show(p)}: not a released snapshot: its name is not a version X.Y"])
        out.append((p.name, p))
    return sorted(out, key=lambda vp: PV(vp[0]))


def _load_snapshots(root: Path) -> list[tuple[str, Path, hr.Registry]]:
    snaps = []
    for ver, path in releases(root):
        reg = load(path, f"released {ver}")
        if reg.newest_version != ver:
            raise LoadError([f"released {ver} registry {_show(path)}: its newest version is {reg.newest_version}, "
                             f"not {ver}"])
        snaps.append((ver, path, reg))
    return snaps


def check_all(root: Path, current: hr.Registry,
              snaps: list[tuple[str, Path, hr.Registry]]) -> tuple[list[tuple[str, Report]], list[str]]:
    """Each consecutive pair of snapshots, then the newest against `current`.

    Returns the labelled reports and the problems found outside them (a released
    version without its snapshot)."""
    problems = []
    have = {v for v, _, _ in snaps}
    for ver in current.version_names()[:-1]:
        if ver not in have:
            problems.append(f"version {ver}: released (a newer version follows it) but there is no snapshot "
                            f"{_show(root / RELEASES / ver)} (freeze it with scripts/hcabi-release {ver})")
    out = []
    for i, (ver, _path, reg) in enumerate(snaps):
        history = [r for _, _, r in snaps[:i]]
        if i + 1 < len(snaps):
            nxt_ver, _, nxt = snaps[i + 1]
            out.append((f", releases {ver} and {nxt_ver}", compare(reg, nxt, history)))
        else:
            out.append((", current registry", compare(reg, current, history)))
    return out, problems


def _print_errors(problems: Iterable[str]) -> None:
    for p in problems:
        print(f"{PROG}: error: {p}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = hl.Parser(
        prog=PROG,
        description="Check that a registry keeps the compatibility promises of an older one "
                    "(docs/compatibility.md).",
        epilog="Exit status: 0 compatible, 1 incompatible, 2 usage, 4 a registry cannot be read or is invalid.")
    ap.add_argument("old", nargs="?", metavar="OLD", help="registry folder of the older version")
    ap.add_argument("new", nargs="?", metavar="NEW", help="registry folder of the newer version")
    ap.add_argument("--all", action="store_true",
                    help="check every released snapshot under REGISTRY/releases against the next, "
                         "and the newest against REGISTRY (what CI runs)")
    ap.add_argument("--registry", default=str(hr.DEFAULT_REGISTRY), metavar="REGISTRY",
                    help="the current registry, for --all (default: %(default)s)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only violations and errors")
    args = ap.parse_args(argv)
    if args.all == bool(args.old or args.new) or (not args.all and not (args.old and args.new)):
        ap.error("give either OLD and NEW, or --all")
    try:
        if args.all:
            root = Path(args.registry)
            current = load(root, "current")
            snaps = _load_snapshots(root)
            if not snaps:
                raise LoadError([f"{_show(root / RELEASES)}: no released snapshots to check "
                                 "(freeze one with scripts/hcabi-release X.Y)"])
            reports, problems = check_all(root, current, snaps)
        else:
            old = load(Path(args.old), "OLD")
            new = load(Path(args.new), "NEW")
            reports, problems = [("", compare(old, new, [old]))], []
    except LoadError as e:
        _print_errors(e.problems)
        return EXIT_ERROR
    bad = bool(problems)
    for p in problems:
        print(f"incompatible: {p}")
    for label, rep in reports:
        bad |= not rep.ok
        lines = rep.lines(label)
        print("\n".join(lines if not args.quiet or not rep.ok else lines[:1]))
    return EXIT_INCOMPATIBLE if bad else EXIT_OK


def release_main(argv: list[str] | None = None) -> int:
    """`hcabi-release X.Y`: freeze the current registry as released version X.Y."""
    prog = "hcabi-release"
    ap = hl.Parser(
        prog=prog,
        description="Freeze the current registry as released version X.Y under REGISTRY/releases/X.Y.",
        epilog="Exit status: 0 frozen, 1 refused (not the newest version, already released, or incompatible "
               "with the releases before it), 2 usage, 4 the registry cannot be read or is invalid.")
    ap.add_argument("version", metavar="X.Y")
    ap.add_argument("--registry", default=str(hr.DEFAULT_REGISTRY), metavar="REGISTRY",
                    help="the registry to freeze (default: %(default)s)")
    args = ap.parse_args(argv)
    if not VERSION_RE.match(args.version):
        ap.error(f"{args.version}: not a version X.Y")
    root = Path(args.registry)
    dest = root / RELEASES / args.version
    try:
        current = load(root, "current")
        snaps = _load_snapshots(root)
    except LoadError as e:
        for p in e.problems:
            print(f"{prog}: error: {p}", file=sys.stderr)
        return EXIT_ERROR
    if current.newest_version != args.version:
        print(f"{prog}: refused: {args.version} is not the registry's newest version "
              f"({current.newest_version})", file=sys.stderr)
        return EXIT_INCOMPATIBLE
    if dest.exists():
        print(f"{prog}: refused: {_show(dest)} exists: {args.version} is already released, and a release is never "
              "re-frozen", file=sys.stderr)
        return EXIT_INCOMPATIBLE
    if snaps:
        reports, problems = check_all(root, current, snaps)
        lines = [f"  {p}" for p in problems]
        for label, rep in reports:
            if not rep.ok:
                lines += rep.lines(label)
        if lines:
            print(f"{prog}: refused: the registry breaks the promises of the releases before it:", file=sys.stderr)
            print("\n".join(lines), file=sys.stderr)
            return EXIT_INCOMPATIBLE
    files = [root / "hcabi.toml", root / "registry.schema.json", *sorted((root / "extensions").glob("*.toml")),
             *sorted((root / "bindings").glob("*.toml"))]
    tmp = dest.parent / f".{args.version}.tmp"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "extensions").mkdir(parents=True)
        (tmp / "bindings").mkdir()
        for f in files:
            shutil.copy2(f, tmp / f.relative_to(root))
        tmp.rename(dest)
        load(dest, f"released {args.version}")
    except (OSError, LoadError) as e:
        msg = e.problems if isinstance(e, LoadError) else [str(hl.os_problem(e, dest, "write"))]
        for p in msg:
            print(f"{prog}: error: {p}", file=sys.stderr)
        return EXIT_ERROR
    print(f"released {args.version}: froze {len(files)} files under {_show(dest)}; commit them, and never edit them")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(hl.run_main(PROG, main))
