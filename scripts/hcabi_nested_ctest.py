#!/usr/bin/env python3
"""CTest driver for nested tests: run scripts/hcabi-nested on a job file, then
check its results against an expectation file.

    hcabi_nested_ctest.py --out DIR --jobs JOBFILE --expect EXPECTFILE
                          [--cache DIR] [--timeout S] [--launcher PATH]
                          [--holder 'PROGRAM [ARGS]'] [--arch ARCH]
                          [--skip-unfetchable]

EXPECTFILE has one expectation per line, fields separated by a tab:

    NAME<TAB>status<TAB>N          NAME.status holds exit status N
    NAME<TAB>serial<TAB>REGEX      NAME.serial matches REGEX (re.search, MULTILINE)
    NAME<TAB>stderr<TAB>REGEX      NAME.stderr matches REGEX
    NAME<TAB>serial-file<TAB>PATH  NAME.serial is byte for byte the host file PATH

--holder goes to the launcher as is ('' for none); without it the launcher
uses $HCABI_NESTED_HOLDER.  --arch goes to the launcher as is.
--skip-unfetchable fills the architecture's part of the cache first and, if
apt cannot give a package (Debian's archive unreachable), says so in one
line and exits 77, CTest's SKIP_RETURN_CODE of such a test.

Exit status: 0 every expectation holds, 1 one does not (or the launcher did
not exit 0), 2 usage, 77 skipped.  scripts/HcabiNested.cmake writes both files for
hcabi_add_nested_test().
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

HERE = Path(__file__).resolve().parent
EXIT_SKIP = 77


def unfetchable(cache: Optional[str], arch: str) -> Optional[str]:
    """Why ``arch``'s part of the cache cannot be filled from Debian's archive,
    or None when it is filled (now or before).  Other failures are the
    launcher's to report, as a failure."""
    sys.path[:0] = [str(HERE), str(HERE.parent / "runners")]
    from hcabi_nested.arch import ARCHES
    from hcabi_nested.cache import ensure_cache
    from hcabi_nested.cli import DEFAULT_CACHE
    from hcabi_nested.debian import AptError

    try:
        ensure_cache(Path(cache) if cache else DEFAULT_CACHE, ARCHES[arch])
    except AptError as exc:
        return str(exc)
    return None


def parse_expect(text: str, source: str) -> list[tuple[str, str, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[1] not in ("status", "serial", "stderr", "serial-file"):
            raise ValueError(f"{source}:{n}: expected NAME<TAB>status|serial|stderr|serial-file<TAB>VALUE")
        out.append((parts[0], parts[1], parts[2]))
    return out


def check(out: Path, expectations: Sequence[tuple[str, str, str]]) -> list[str]:
    """Return one message per failed expectation."""
    failures = []
    for name, kind, value in expectations:
        if kind == "status":
            p = out / f"{name}.status"
            if not p.exists():
                failures.append(f"{name}: no .status (the job did not complete)")
                continue
            got = p.read_text().strip()
            if got != value.strip():
                failures.append(f"{name}: exit status {got}, expected {value}")
            continue
        p = out / f"{name}.{'stderr' if kind == 'stderr' else 'serial'}"
        if not p.exists():
            failures.append(f"{name}: no {p.name}")
            continue
        data = p.read_bytes()
        if kind == "serial-file":
            want = Path(value).read_bytes()
            if data != want:
                failures.append(f"{name}: {p.name} ({len(data)} bytes) differs from {value} ({len(want)} bytes)")
            continue
        if not re.search(value, data.decode("utf-8", "replace"), re.MULTILINE):
            failures.append(f"{name}: {p.name} does not match /{value}/")
    return failures


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="hcabi_nested_ctest")
    ap.add_argument("--launcher", default=str(HERE / "hcabi-nested"))
    ap.add_argument("--cache")
    ap.add_argument("--timeout")
    ap.add_argument("--holder")
    ap.add_argument("--arch")
    ap.add_argument("--skip-unfetchable", action="store_true")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", required=True)
    ap.add_argument("--expect", required=True)
    args = ap.parse_args(argv)
    try:
        expectations = parse_expect(Path(args.expect).read_text(), args.expect)
    except (OSError, ValueError) as exc:
        print(f"hcabi_nested_ctest: {exc}", file=sys.stderr)
        return 2
    why = unfetchable(args.cache, args.arch or "x86_64") if args.skip_unfetchable else None
    if why:
        print(f"SKIP: the packages cannot be fetched: {why}")
        return EXIT_SKIP
    cmd = [sys.executable, args.launcher, "--out", args.out]
    if args.arch:
        cmd += ["--arch", args.arch]
    if args.cache:
        cmd += ["--cache", args.cache]
    if args.timeout:
        cmd += ["--timeout", args.timeout]
    if args.holder is not None:
        cmd.append(f"--holder={args.holder}")
    cmd.append(args.jobs)
    print("+ " + shlex.join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    failures = [] if rc == 0 else [f"hcabi-nested exited with status {rc}"]
    failures += check(Path(args.out), expectations)
    out = Path(args.out)
    for name in dict.fromkeys(e[0] for e in expectations):
        for ext in ("serial", "stderr"):
            p = out / f"{name}.{ext}"
            if p.exists() and p.stat().st_size <= 4096:
                text = p.read_bytes().decode("utf-8", "replace").rstrip()
                if text:
                    print(f"--- {p.name}\n{text}")
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if not failures:
        print(f"PASS: {len(expectations)} expectation(s) held")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
