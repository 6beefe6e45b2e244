#!/usr/bin/env python3
"""refvmm.nested.arm64, refvmm.nested.riscv64.suite: boot an architecture's
conformance images under its hcabi-refvmm, nested, with the runner's own
target for it (`hcabi-conform run --arch ARCH --target ref`: that refvmm
and those images of one build directory, the launcher with --arch ARCH),
and require that every test of them passes.

Exit status: 0 every test of the chosen images passed; 1 a test did not pass
or the runner failed; 77 skipped (no cross-built refvmm, no images, no QEMU
for arm64); 2 usage.
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
# what the build needs, per architecture, for messages
CROSS = {"arm64": "gcc-aarch64-linux-gnu", "riscv64": "gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross"}


def judge(name: str, report: Path, images: list[str]) -> int:
    """Every result passed, there are some, and each chosen image has some."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{name}: {report}: no readable JSON report ({e})")
        return 1
    results = data.get("results") or []
    bad = [r for r in results if r.get("status") != "pass"]
    seen = {r.get("image") for r in results}
    missing = [i for i in images if i not in seen]
    for r in bad:
        print(f"FAIL {r.get('image')}: {r.get('test')}: {r.get('status')}")
    for i in missing:
        print(f"FAIL {i}: no test result (did the image boot?)")
    print(f"{name}: {len(results) - len(bad)} of {len(results)} test(s) passed "
          f"on {', '.join(images) if images else 'every image (' + str(len(seen)) + ')'}")
    return 1 if bad or missing or not results else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(CROSS), required=True)
    ap.add_argument("--name", required=True, help="the CTest's name, for its lines")
    ap.add_argument("--runner", type=Path, required=True, help="runners/hcabi-conform")
    ap.add_argument("--build-dir", type=Path, required=True, help="the build (refvmm-ARCH/, conformance-ARCH/)")
    ap.add_argument("--out", type=Path, required=True, help="a directory for this test")
    ap.add_argument("--image", action="append", default=[], help="an image name (repeatable; default: every image)")
    args = ap.parse_args()

    def skip(why: str) -> int:
        print(f"{args.name}: skipped: {why}")
        return SKIP

    refvmm = args.build_dir / f"refvmm-{args.arch}" / "hcabi-refvmm"
    if not (refvmm.is_file() and os.access(refvmm, os.X_OK)):
        return skip(f"no cross-built hcabi-refvmm at {refvmm} (Debian: {CROSS[args.arch]})")
    if not (args.build_dir / f"conformance-{args.arch}" / "conformance" / "tests.json").is_file():
        return skip(f"no {args.arch} images in {args.build_dir} (Debian: {CROSS[args.arch]})")
    # riscv64's QEMU comes from the launcher's cache (bookworm-backports)
    if args.arch == "arm64" and not (os.environ.get("HCABI_NESTED_ARM64_QEMU") or shutil.which("qemu-system-aarch64")):
        return skip("no qemu-system-aarch64 (Debian: qemu-system-arm)")

    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / "report.json"
    cmd = [sys.executable, str(args.runner), "run", "--arch", args.arch, "--build-dir", str(args.build_dir),
           "--ref-mode", "nested", "--out", str(args.out / "logs"), "--json", str(report), "-q"]
    for image in args.image:
        cmd += ["--image", image]
    rc = subprocess.run(cmd, check=False).returncode
    # 3 (NON-CONFORMANT) is not this test's failure: the images may not cite
    # every requirement of the profile (coverage says which). What counts
    # here is each test's verdict.
    if rc not in (0, 3):
        print(f"{args.name}: the runner failed with exit status {rc}")
        return 1
    return judge(args.name, report, args.image)


if __name__ == "__main__":
    sys.exit(main())
