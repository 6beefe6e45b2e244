#!/usr/bin/env python3
"""hcabi_tests_manifest: the tests manifest of the conformance suite (what it
holds and how it is read from the test sources: scripts/hcabi_tests_scan.py).

Modes:
  generate  write the manifest (default)
  check     validate only (and every check's requirement is cited)
  coverage  per atomic requirement (a part of a requirement, or a requirement
            without parts), the checks that exercise it: a check of a test
            citing it whose code names it. Exit 1 if one has none, a check
            names a requirement its test does not cite, or a test cites a
            requirement that has parts (tests cite the parts). --report
            prints the table (test, file:line, message format); --json FILE
            writes it.

Standard library only (runs under any Python 3.9+).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from hcabi_coverage import coverage
from hcabi_test_checks import ChecksError, read_implied
from hcabi_tests_scan import ROOT, ManifestError, grouped_citations, load_registry, render, scan, uncited_checks, write_if_changed


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", default="generate", choices=("generate", "check", "coverage"))
    ap.add_argument("--tests-dir", type=Path, default=ROOT / "conformance" / "tests")
    ap.add_argument("--requirements", type=Path, default=ROOT / "spec" / "generated" / "requirements.json")
    ap.add_argument("--abi", type=Path, default=ROOT / "abi.h")
    ap.add_argument("--framework-header", type=Path,
                    default=ROOT / "conformance" / "guest" / "lib" / "include" / "hcabi_test.h",
                    help="the guest framework header whose HCABI_IMPLIED_* macros name what helpers check")
    ap.add_argument("--out", type=Path, help="manifest to write (generate); default BUILD is ./build")
    ap.add_argument("--image", action="append", default=[], metavar="NAME",
                    help="generate: only the image NAME (a folder of --tests-dir) and its tests; repeatable "
                    "(an architecture's build that compiles only some folders)")
    ap.add_argument("--image-suffix", default=".elf", metavar="SUFFIX",
                    help="generate: the image files' suffix (default .elf; arm64's flat Images: .bin)")
    ap.add_argument("--report", action="store_true",
                    help="coverage: print, per atomic requirement, the checks that cite it (test, file:line, message)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="coverage: write that table as JSON to FILE")
    ap.add_argument("--arch", choices=("x86_64", "arm64", "riscv64"), default="x86_64",
                    help="the architecture whose tests count (a folder's arch/ARCH/ is only that "
                         "architecture's) and, for coverage, whose requirements: its binding's and the "
                         "architecture-neutral ones it does not replace (default: %(default)s)")
    args = ap.parse_args(argv)
    if (args.report or args.json) and args.mode != "coverage":
        ap.error("--report and --json are options of the coverage mode")
    try:
        reg = load_registry(args.requirements, args.abi)
        implied = read_implied(args.framework_header, reg.macros.get(args.arch, {}))
        images, tests = scan(args.tests_dir, reg, implied, args.arch)
    except (ManifestError, ChecksError) as exc:
        print(f"hcabi_tests_manifest: error: {exc}", file=sys.stderr)
        return 1
    if (args.image or args.image_suffix != ".elf") and args.mode != "generate":
        ap.error("--image and --image-suffix are options of the generate mode")
    unknown = sorted(set(args.image) - {img.name for img in images})
    if unknown:
        print(f"hcabi_tests_manifest: error: --image {unknown[0]}: no such image in {args.tests_dir}", file=sys.stderr)
        return 1
    if args.image:
        images = [img for img in images if img.name in args.image]
        tests = [t for t in tests if t.image in args.image]
    for img in images:
        img.suffix = args.image_suffix
    if args.mode == "coverage":
        try:
            return coverage(tests, reg, sys.stdout, args.report, args.json, args.arch)
        except BrokenPipeError:
            raise  # a reader that went away: run_main's silent exit
        except OSError as exc:
            print(f"hcabi_tests_manifest: error: {args.json}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 1
    if args.mode == "generate":
        out = args.out or (ROOT / "build" / "conformance" / "tests.json")
        write_if_changed(out, render(images, tests))
        if uncited_checks(tests, sys.stderr) + grouped_citations(tests, reg, sys.stderr):
            print("hcabi_tests_manifest: warning: the citations above are wrong "
                  "(coverage and hcabi-conform coverage fail)", file=sys.stderr)
    elif uncited_checks(tests, sys.stderr) + grouped_citations(tests, reg, sys.stderr):
        return 1
    print(f"hcabi_tests_manifest: {len(images)} image(s), {len(tests)} test(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from hcabi_load import run_main  # noqa: E402  (the last resort: never a traceback)

    sys.exit(run_main("hcabi_tests_manifest", main))
