#!/usr/bin/env python3
"""refvmm.nested.arm64: boot arm64 conformance images under hcabi-refvmm arm64,
nested, with the runner's own arm64 target (`hcabi-conform run --arch arm64
--target ref`: refvmm arm64 and the arm64 images of one build directory, the
launcher with --arch arm64), and require that every test of them passes.

Exit status: 0 every test of the chosen images passed; 1 a test did not pass
or the runner failed; 77 skipped (no cross-built refvmm, no arm64 images, no
qemu-system-aarch64); 2 usage.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SKIP = 77


def skip(why: str) -> int:
    print(f"refvmm.nested.arm64: skipped: {why}")
    return SKIP


def judge(report: Path, images: list[str]) -> int:
    """Every result of every chosen image passed, and each image has some."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"refvmm.nested.arm64: {report}: no readable JSON report ({e})")
        return 1
    results = data.get("results") or []
    bad = [r for r in results if r.get("status") != "pass"]
    seen = {r.get("image") for r in results}
    missing = [i for i in images if i not in seen]
    for r in bad:
        print(f"FAIL {r.get('image')}: {r.get('test')}: {r.get('status')}")
    for i in missing:
        print(f"FAIL {i}: no test result (did the image boot?)")
    print(f"refvmm.nested.arm64: {len(results) - len(bad)} of {len(results)} test(s) passed "
          f"on {', '.join(images)}")
    return 1 if bad or missing or not results else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runner", type=Path, required=True, help="runners/hcabi-conform")
    ap.add_argument("--build-dir", type=Path, required=True, help="the build (refvmm-arm64/, conformance-arm64/)")
    ap.add_argument("--out", type=Path, required=True, help="a directory for this test")
    ap.add_argument("--image", action="append", required=True, help="an image name (repeatable)")
    args = ap.parse_args()

    refvmm = args.build_dir / "refvmm-arm64" / "hcabi-refvmm"
    if not (refvmm.is_file() and os.access(refvmm, os.X_OK)):
        return skip(f"no cross-built hcabi-refvmm at {refvmm} (Debian: gcc-aarch64-linux-gnu)")
    if not (args.build_dir / "conformance-arm64" / "conformance" / "tests.json").is_file():
        return skip(f"no arm64 images in {args.build_dir} (Debian: gcc-aarch64-linux-gnu)")
    if not (os.environ.get("HCABI_NESTED_ARM64_QEMU") or shutil.which("qemu-system-aarch64")):
        return skip("no qemu-system-aarch64 (Debian: qemu-system-arm)")

    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / "report.json"
    cmd = [sys.executable, str(args.runner), "run", "--arch", "arm64", "--build-dir", str(args.build_dir),
           "--ref-mode", "nested", "--out", str(args.out / "logs"), "--json", str(report), "-q"]
    for image in args.image:
        cmd += ["--image", image]
    rc = subprocess.run(cmd, check=False).returncode
    # 3 (NON-CONFORMANT) is expected: a few images do not cover every
    # requirement of the profile. What counts is each test's verdict.
    if rc not in (0, 3):
        print(f"refvmm.nested.arm64: the runner failed with exit status {rc}")
        return 1
    return judge(report, args.image)


if __name__ == "__main__":
    sys.exit(main())
