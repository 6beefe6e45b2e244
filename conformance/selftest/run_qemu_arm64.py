#!/usr/bin/env python3
"""run_qemu_arm64: the arm64 conformance images under plain QEMU (TCG, no
HCABI), judged by the runner itself.

Plain `qemu-system-aarch64 -M virt` has no HCABI: every arm64 image must boot
by the Linux Image protocol, print its hello and `discovery present=0` lines
(protocol 2: the runner checks each line's CRC, MAC and sequence against the
boot's nonce), power off through PSCI, and the runner must say, within
seconds, that HCABI is not present: exit status 3, `hcabi_present` false,
every test failing with "not run: HCABI is not present on this target".

Two runs, both judged as arm64 (`--arch arm64`: the arm64 binding's
requirements, `arch` in the report): every image entered at EL1 by the
runner's own `--target qemu --arch arm64` (plain `qemu-system-aarch64 -M
virt`), and the base image entered at EL2 (`-M virt,virtualization=on`,
through `--target cmd`), whose log must show the drop to EL1. The EL1 report
is then gated: `gate --arch arm64` rejects it as non-conformant, for HCABI's
absence and not for its architecture or an inconsistency; `gate --arch
x86_64` rejects it with the one reason that it is an arm64 report. Then the runtime self-test
(hcabi-guest-selftest.bin) with a GICv3 and two vCPUs, entered at EL1 and at EL2: each
test must end with the verdict SELFTEST_VERDICTS gives (the lines checked
by run_tcg.py's parser: CRC, MAC, sequence). Exit 77 (CTest's skip) without
qemu-system-aarch64 or the images.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from run_tcg import SHARED_SELFTEST_VERDICTS, line_key, protocol  # this script's folder

SKIP = 77
ABSENT = "not run: HCABI is not present on this target"
BOOT_TIMEOUT = 30  # seconds per boot; a boot takes well under one
QEMU_ARGS = "-cpu max -m {memory} -nodefaults -display none -no-reboot -serial stdio -kernel {image} -append {cmdline}"
RUNS = (
    # name, machine (None: the runner's --target qemu), runner arguments, what every boot's serial log shows
    ("el1", None, [], "arm64: entered at EL1, running at EL1"),
    ("el2", "virt,virtualization=on", ["--image", "base"], "arm64: entered at EL2, running at EL1"),
)
ABSENCE = "HCABI is not present: HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID (0xC6004800) did not return x0 = 0 and x1 = 'HCA1' (ARM64-017)"

# the self-test's verdicts: selftest.c's (run_tcg.py's shared ones), then
# arch/arm64/selftest_arm64.c and selftest_el0.c
SELFTEST_VERDICTS = {
    **SHARED_SELFTEST_VERDICTS,
    "SELF.expect_undef": "pass",
    "SELF.expect_brk_fixup": "pass",
    "SELF.memory": "pass",
    "SELF.clock": "pass",
    "SELF.gic_self_ppi": "pass",
    "SELF.unexpected_exception": "error",
    "SELF.secondary_cpu": "pass",
    "SELF.el0_runner": "pass",  # arch/arm64/selftest_el0.c
}
SELFTEST_MACHINES = ("virt,gic-version=3", "virt,virtualization=on,gic-version=3")


def fail(msg: str) -> None:
    print(f"run_qemu_arm64: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_report(name: str, path: Path, marker: str) -> int:
    """The report of one run says HCABI is absent, every test failing for
    that reason, every boot's log verified evidence of its boot."""
    try:
        rep = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{name}: cannot read the report {path}: {exc}")
    if rep.get("hcabi_present") is not False:
        fail(f"{name}: hcabi_present is {rep.get('hcabi_present')!r}, want false")
    if rep.get("arch") != "arm64":
        fail(f"{name}: the report's arch is {rep.get('arch')!r}, want 'arm64'")
    if not rep["reasons"]["failures"][0].startswith(ABSENCE + " (the image said: discovery: HVC DISCOVER returned x0=0xffffffffffffffff"):
        fail(f"{name}: the absence is not explained by the arm64 binding's discovery: {rep['reasons']['failures'][0]!r}")
    if any(rid.startswith(("X86-", "DISC-")) for rid in rep["requirements"]) or "ARM64-017" not in rep["requirements"]:
        fail(f"{name}: the report judges other requirements than arm64's")
    if not rep.get("results"):
        fail(f"{name}: the report has no test results")
    for res in rep["results"]:
        if res.get("status") != "fail" or res.get("message") != ABSENT:
            fail(f"{name}: {res.get('test')}: {res.get('status')} {res.get('message')!r}, want fail {ABSENT!r}")
    for boot in rep.get("boots", []):
        image = boot.get("image")
        if not boot.get("hello") or (boot.get("discovery") or {}).get("present") is not False:
            fail(f"{name}: {image}: no hello, or no `discovery present=0` line")
        if not (boot.get("evidence") or {}).get("verified"):
            fail(f"{name}: {image}: the serial log is not evidence of its boot: {boot.get('problems')}")
        if boot.get("suite_end") is None or boot.get("problems"):
            fail(f"{name}: {image}: no suite-end, or problems: {boot.get('problems')}")
        if (boot.get("ending") or {}).get("status") != 0:
            fail(f"{name}: {image}: QEMU did not exit 0 (PSCI SYSTEM_OFF): {boot.get('ending')}")
        serial = Path(boot["logs"]["serial"]).read_text(encoding="utf-8", errors="replace")
        if marker not in serial:
            fail(f"{name}: {image}: the log lacks {marker!r}")
    return len(rep.get("boots", []))


def check_selftest(qemu: str, image: Path, machine: str) -> None:
    """One boot of the self-test: every verdict as listed, every line intact
    and keyed with this boot's nonce, QEMU powered off (exit 0)."""
    nonce = secrets.token_hex(16)
    values = {"memory": "64", "image": str(image), "cmdline": f"hcabi.nonce={nonce}"}
    cmd = [qemu, "-M", machine, "-smp", "2", *(token.format(**values) for token in QEMU_ARGS.split())]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(f"selftest ({machine}): no power-off within {BOOT_TIMEOUT} s")
    out = proc.stdout.decode("utf-8", "replace")
    recs, problems = protocol(out, line_key(image, nonce))
    if problems or proc.returncode != 0:
        fail(f"selftest ({machine}): QEMU exit {proc.returncode}, protocol problems {problems}:\n{out}")
    got = {r[1]["name"]: (r[1]["verdict"], r[2]) for r in recs if r[0] == "test-end"}
    for name, want in SELFTEST_VERDICTS.items():
        if got.get(name, ("missing", ""))[0] != want:
            fail(f"selftest ({machine}): {name}: {got.get(name)}, want {want}:\n{out}")
    if set(got) != set(SELFTEST_VERDICTS):
        fail(f"selftest ({machine}): tests {sorted(set(got) - set(SELFTEST_VERDICTS))} not in SELFTEST_VERDICTS")
    if not any("UNDEF (EC 0x0) ESR=0x2000000 ELR=0x" in r[2] for r in recs if r[1].get("name") == "SELF.unexpected_exception"):
        fail(f"selftest ({machine}): the unexpected exception's report lacks its class, ESR and ELR:\n{out}")


def check_gate(runner: Path, build_dir: Path, report: Path) -> None:
    """`gate --arch arm64` judges the arm64 report (rejected: HCABI absent,
    and consistent); `gate --arch x86_64` rejects it for its architecture alone."""
    def gate(arch: str) -> str:
        cmd = [sys.executable, str(runner), "gate", "--arch", arch, "--report", str(report), "--require", "1.0", "--build-dir", str(build_dir)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 3:
            fail(f"gate --arch {arch}: exit {proc.returncode}, want 3 (rejected):\n{text}")
        return text

    text = gate("arm64")
    if "does not prove conformance to HCABI 1.0, profile full, architecture arm64:" not in text or ABSENCE not in text:
        fail(f"gate --arch arm64: not rejected for HCABI's absence on arm64:\n{text}")
    if "inconsistent" in text or "is of architecture" in text:
        fail(f"gate --arch arm64: the runner's own arm64 report is not consistent with the arm64 suite:\n{text}")
    reasons = [line for line in gate("x86_64").splitlines() if line.startswith("  - ")]
    if reasons != ["  - the report is of architecture arm64, not x86_64 (--arch x86_64): it proves nothing about x86_64"]:
        fail(f"gate --arch x86_64: want the one architecture reason, got {reasons}")
    print("run_qemu_arm64: gate --arch arm64 rejects the report for HCABI's absence; gate --arch x86_64 for its architecture")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", required=True, help="qemu-system-aarch64 (empty or *-NOTFOUND: skip)")
    ap.add_argument("--build-dir", required=True, type=Path, help="the arm64 build directory (BUILD/conformance-arm64)")
    ap.add_argument("--runner", required=True, type=Path, help="runners/hcabi-conform")
    ap.add_argument("--out", required=True, type=Path, help="where the logs and reports go")
    args = ap.parse_args()

    qemu = shutil.which(args.qemu) if args.qemu and not args.qemu.endswith("NOTFOUND") else None
    if not qemu:
        print("run_qemu_arm64: SKIP: qemu-system-aarch64 not found (Debian: qemu-system-arm)")
        return SKIP
    if not (args.build_dir / "conformance" / "tests.json").is_file():
        print(f"run_qemu_arm64: SKIP: no arm64 images in {args.build_dir} (no aarch64-linux-gnu-gcc?)")
        return SKIP
    for name, machine, extra, marker in RUNS:
        out = args.out / name
        report = out / "report.json"
        target = ["--target", "qemu", "--qemu", qemu] if machine is None else ["--target", "cmd", "--vmm-cmd", f"{qemu} -M {machine} -smp 1 {QEMU_ARGS}"]
        cmd = [
            sys.executable, str(args.runner), "run", "--arch", "arm64", "--build-dir", str(args.build_dir), *target,
            "--timeout", str(BOOT_TIMEOUT), "--out", str(out / "logs"), "--json", str(report), "-q", *extra,
        ]  # fmt: skip
        start = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
        took = time.monotonic() - start
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 3:
            fail(f"{name}: hcabi-conform exited {proc.returncode}, want 3 (non-conformant):\n{text}")
        if "(HCABI 1." not in text or ", architecture arm64): HCABI not present on this target" not in text:
            fail(f"{name}: the verdict does not say HCABI is not present on arm64:\n{text}")
        boots = check_report(name, report, marker)
        print(f"run_qemu_arm64: {name} ({machine or '--target qemu'}): {boots} image(s), HCABI not present, {took:.1f} s")
    check_gate(args.runner, args.build_dir, args.out / "el1" / "report.json")
    selftest = args.build_dir / "hcabi-guest-selftest.bin"
    for machine in SELFTEST_MACHINES:
        start = time.monotonic()
        check_selftest(qemu, selftest, machine)
        print(f"run_qemu_arm64: selftest ({machine}): {len(SELFTEST_VERDICTS)} verdicts as expected, {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
