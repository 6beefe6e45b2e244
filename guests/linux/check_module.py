#!/usr/bin/env python3
"""Check hcabi.ko (guests/linux/hcabi/) the way CI does: two CTests, label `linux`.

    check_module.py build      --root SRC --out DIR [--kdir KDIR]
    check_module.py checkpatch --root SRC --out DIR [--kdir KDIR] [--checkpatch FILE]

`build` copies the driver into DIR/hcabi (kbuild writes its objects beside the
sources, which stay clean) and builds it out of tree against the installed
Debian headers with W=1; any warning or error fails it. `checkpatch` runs the
kernel's scripts/checkpatch.pl --no-tree -f on every source of the driver; any
ERROR or WARNING fails it. Debian ships checkpatch.pl in no headers package:
it is taken from KDIR/scripts, else from the linux-source-6.12 tarball under
/usr/src (extracted once into DIR). Without headers, a compiler, perl or
checkpatch.pl a check is skipped (exit 77) with the reason.

Exit status: 0 pass, 1 fail, 2 usage, 77 skipped.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

SKIP = 77
DRIVER = Path("guests/linux/hcabi")
HEADERS_HINT = "linux-headers-6.12.*-amd64 (scripts/setup-debian.sh installs them)"
# kbuild's and the compiler's complaints, modpost's included
BUILD_PROBLEM = re.compile(r"\b(warning|error)\b:|^WARNING: |^ERROR: ", re.M | re.I)
CHECKPATCH_PROBLEM = re.compile(r"^\S+:\d+: (ERROR|WARNING|CHECK): ", re.M)


class Skip(Exception):
    """The check cannot run here; the message says why."""


class Usage(Exception):
    """A bad option value; the message names it (exit 2)."""


class Failure(Exception):
    """The check cannot pass for a reason it states in one line (exit 1)."""


def run_check(prog: str, out: str, body: Callable[[], int]) -> int:
    """The exit status of a check's body, every way it can end said in one
    line: Skip 77, Failure 1, Usage 2, a failed file operation 1."""
    try:
        return body()
    except Skip as why:
        print(f"skipped: {why}")
        return SKIP
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    except Usage as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{prog}: {e.filename or out}: {e.strerror}", file=sys.stderr)
        return 1


def _version_key(path: Path) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", path.name)]


def find_kdir(given: str | None) -> Path:
    """KDIR: --kdir, $HCABI_LINUX_KDIR, else the newest generic amd64 headers in /usr/src."""
    given = given or os.environ.get("HCABI_LINUX_KDIR")
    if given:
        kdir = Path(given)
        if not (kdir / "Makefile").is_file():
            raise Usage(f"--kdir {kdir}: no kernel build tree (no Makefile)")
        return kdir
    found = [d for d in Path("/usr/src").glob("linux-headers-*-amd64")
             if not re.search(r"-(cloud|rt)-amd64$", d.name) and (d / "Makefile").is_file()]
    if not found:
        raise Skip(f"no Linux headers in /usr/src: install {HEADERS_HINT}")
    return max(found, key=_version_key)


def driver_sources(root: Path) -> list[Path]:
    src = root / DRIVER
    files = sorted(p for p in src.iterdir() if p.is_file()) if src.is_dir() else []
    if not any(p.suffix == ".c" for p in files):
        raise Usage(f"--root {root}: no driver sources in {DRIVER}")
    return files


def check_build(root: Path, out: Path, kdir: Path) -> int:
    if not shutil.which("make") or not shutil.which("gcc"):
        raise Skip("make or gcc is not installed")
    work = out / "hcabi"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for f in driver_sources(root):
        shutil.copy2(f, work / f.name)
    cmd = ["make", "-C", str(kdir), f"M={work}", f"HCABI_ROOT={root}", "W=1", "modules"]
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout, end="")
    problems = BUILD_PROBLEM.findall(proc.stdout)
    if proc.returncode != 0 or problems:
        print(f"FAIL: the module build against {kdir} exited {proc.returncode} "
              f"with {len(problems)} warning/error line(s)")
        return 1
    if not (work / "hcabi.ko").is_file():
        print(f"FAIL: the build succeeded but wrote no {work / 'hcabi.ko'}")
        return 1
    print(f"PASS: hcabi.ko builds against {kdir} with W=1 and no warning")
    return 0


def _from_linux_source(out: Path) -> Path:
    tarballs = sorted(Path("/usr/src").glob("linux-source-*.tar.xz"), key=_version_key)
    if not tarballs:
        raise Skip("no checkpatch.pl: the headers do not ship it; install linux-source-6.12 "
                   "(scripts/setup-debian.sh) or pass --checkpatch FILE")
    tarball = tarballs[-1]
    dest = out / "linux-source" / tarball.name.removesuffix(".tar.xz")
    script = next(dest.glob("*/scripts/checkpatch.pl"), None)
    if script:
        return script
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    wanted = [f"*/scripts/{n}" for n in ("checkpatch.pl", "spelling.txt", "const_structs.checkpatch")]
    print(f"extracting checkpatch.pl from {tarball} (once per build directory)", flush=True)
    proc = subprocess.run(["tar", "-xJf", str(tarball), "-C", str(dest), "--wildcards", *wanted],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    script = next(dest.glob("*/scripts/checkpatch.pl"), None)
    if proc.returncode != 0 or not script:
        raise SystemExit(f"check_module.py: {tarball}: could not extract scripts/checkpatch.pl: "
                         f"{proc.stdout.strip().splitlines()[-1:] or 'no such member'}")
    return script


def find_checkpatch(given: str | None, kdir: Path | None, out: Path) -> Path:
    given = given or os.environ.get("HCABI_CHECKPATCH")
    if given:
        if not Path(given).is_file():
            raise Usage(f"--checkpatch {given}: no such file")
        return Path(given)
    if kdir and (kdir / "scripts" / "checkpatch.pl").is_file():
        return kdir / "scripts" / "checkpatch.pl"
    return _from_linux_source(out)


def check_style(root: Path, out: Path, script: Path) -> int:
    if not shutil.which("perl"):
        raise Skip("perl is not installed")
    files = [str(f) for f in driver_sources(root) if f.suffix in (".c", ".h")]
    cmd = ["perl", str(script), "--no-tree", "-f", "--terse", "--no-summary", *files]
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout, end="")
    problems = CHECKPATCH_PROBLEM.findall(proc.stdout)
    if proc.returncode != 0 or problems:
        print(f"FAIL: checkpatch.pl exited {proc.returncode} with {len(problems)} problem(s)")
        return 1
    print(f"PASS: checkpatch.pl ({script}) finds nothing in {len(files)} file(s)")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("check", choices=("build", "checkpatch"))
    ap.add_argument("--root", required=True, help="the HCABI source tree (abi.h, guests/linux/hcabi)")
    ap.add_argument("--out", required=True, help="a directory of this check's own")
    ap.add_argument("--kdir", help="kernel build tree (default: newest /usr/src/linux-headers-*-amd64)")
    ap.add_argument("--checkpatch", help="checkpatch.pl to run (default: found as above)")
    args = ap.parse_args(argv)
    root, out = Path(args.root).resolve(), Path(args.out).resolve()
    if not (root / "abi.h").is_file():
        ap.error(f"--root {root}: no abi.h there")

    def body() -> int:
        out.mkdir(parents=True, exist_ok=True)
        if args.check == "build":
            return check_build(root, out, find_kdir(args.kdir))
        try:
            kdir = find_kdir(args.kdir)
        except Skip:
            kdir = None  # checkpatch needs no headers
        return check_style(root, out, find_checkpatch(args.checkpatch, kdir, out))

    return run_check("check_module.py", args.out, body)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
