#!/usr/bin/env python3
"""refvmm.nested.arm64: boot arm64 conformance images under hcabi-refvmm arm64,
nested (scripts/hcabi-nested --arch arm64), judged by the conformance runner,
and require that every test of them passes.

The runner finds refvmm and the images through one build directory
(BUILD/reference-impl/refvmm/hcabi-refvmm, BUILD/conformance/...); the arm64
build keeps them in BUILD/refvmm-arm64 and BUILD/conformance-arm64, so this
script lays out such a directory of symbolic links under --out, and hands the
runner a launcher that adds --arch arm64.

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


def layout(out: Path, refvmm: Path, suite: Path, launcher: Path) -> tuple[Path, Path]:
    """The build directory the runner reads, and the arm64 launcher."""
    build = out / "build"
    if build.exists():
        shutil.rmtree(build)
    (build / "reference-impl" / "refvmm").mkdir(parents=True)
    (build / "conformance").symlink_to(suite / "conformance")
    (build / "reference-impl" / "refvmm" / "hcabi-refvmm").symlink_to(refvmm)
    wrapper = out / "hcabi-nested-arm64"
    wrapper.write_text(f'#!/bin/sh\nexec "{launcher}" --arch arm64 "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return build, wrapper


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
    ap.add_argument("--launcher", type=Path, required=True, help="scripts/hcabi-nested")
    ap.add_argument("--refvmm", type=Path, required=True, help="the arm64 hcabi-refvmm")
    ap.add_argument("--suite", type=Path, required=True, help="BUILD/conformance-arm64")
    ap.add_argument("--out", type=Path, required=True, help="a directory for this test")
    ap.add_argument("--image", action="append", required=True, help="an image name (repeatable)")
    args = ap.parse_args()

    if not (args.refvmm.is_file() and os.access(args.refvmm, os.X_OK)):
        return skip(f"no cross-built hcabi-refvmm at {args.refvmm} (Debian: gcc-aarch64-linux-gnu)")
    if not (args.suite / "conformance" / "tests.json").is_file():
        return skip(f"no arm64 images at {args.suite} (Debian: gcc-aarch64-linux-gnu)")
    qemu = os.environ.get("HCABI_NESTED_ARM64_QEMU") or shutil.which("qemu-system-aarch64")
    if not qemu:
        return skip("no qemu-system-aarch64 (Debian: qemu-system-arm)")

    args.out.mkdir(parents=True, exist_ok=True)
    build, wrapper = layout(args.out, args.refvmm.resolve(), args.suite.resolve(),
                            args.launcher.resolve())
    report = args.out / "report.json"
    cmd = [sys.executable, str(args.runner), "run", "--build-dir", str(build),
           "--ref-mode", "nested", "--launcher", str(wrapper), "--out", str(args.out / "logs"),
           "--json", str(report), "-q"]
    for image in args.image:
        cmd += ["--image", image]
    env = dict(os.environ)
    env.pop("HCABI_NESTED_HOLDER", None)  # the x86-64 holder cannot run in an arm64 guest
    rc = subprocess.run(cmd, env=env, check=False).returncode
    # 3 (NON-CONFORMANT) is expected: a few images do not cover every
    # requirement of the profile. What counts is each test's verdict.
    if rc not in (0, 3):
        print(f"refvmm.nested.arm64: the runner failed with exit status {rc}")
        return 1
    return judge(report, args.image)


if __name__ == "__main__":
    sys.exit(main())
