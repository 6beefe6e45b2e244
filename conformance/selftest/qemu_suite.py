"""qemu_suite: the images of an architecture booted as Linux kernels (arm64,
riscv64) under plain QEMU (TCG, no HCABI), judged by the runner itself; the
shared part of run_qemu_arm64.py and run_qemu_riscv64.py, each of which says
what its architecture must show (an `Arch`).

Plain QEMU has no HCABI: every image must boot by the Linux Image protocol,
print its hello and `discovery present=0` lines (protocol 2: the runner
checks each line's CRC, MAC and sequence against the boot's nonce), power off
by the platform's own means, and the runner must say, within seconds, that
HCABI is not present: exit status 3, `hcabi_present` false, every test
failing with "not run: HCABI is not present on this target", the absence
explained by the architecture's binding. The report is then gated: `gate
--arch ARCH` rejects it for HCABI's absence and not for its architecture or
an inconsistency; `gate --arch x86_64` rejects it with the one reason that it
is another architecture's report. Then the runtime self-test, each test
ending with the verdict the architecture lists.

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
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional

from run_tcg import line_key, protocol  # this script's folder

SKIP = 77
ABSENT = "not run: HCABI is not present on this target"
BOOT_TIMEOUT = 30  # seconds per boot; a boot takes well under one


@dataclass(frozen=True)
class Run:
    """One run of the runner over the images."""

    name: str
    machine: Optional[str]  # None: the runner's own --target qemu; else --target cmd with this -M
    extra: tuple[str, ...]  # more runner arguments (--image base)
    marker: str  # what every boot's serial log shows


@dataclass(frozen=True)
class Arch:
    """What one architecture's images must show under plain QEMU."""

    arch: str  # the runner's --arch
    qemu: str  # the QEMU binary's name
    package: str  # Debian's package that has it
    qemu_args: str  # after -M MACHINE -smp N: the rest of a boot's command line
    absence: str  # the runner's reason for HCABI's absence on this architecture
    said: str  # how the image's own account of discovery starts
    discovery_req: str  # the binding's discovery requirement
    other_prefixes: tuple[str, ...]  # requirement areas a report of this architecture never judges
    power_off: str  # how the images leave (QEMU exits 0)
    runs: tuple[Run, ...]
    selftest_verdicts: dict[str, str]
    selftest_machines: tuple[str, ...]
    unexpected: str  # what SELF.unexpected_exception's report carries

    @property
    def prog(self) -> str:
        return f"run_qemu_{self.arch}"


def fail(arch: Arch, msg: str) -> NoReturn:
    print(f"{arch.prog}: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_report(arch: Arch, run: Run, path: Path) -> int:
    """The report of one run says HCABI is absent, every test failing for
    that reason, every boot's log verified evidence of its boot."""
    name = run.name
    try:
        rep = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(arch, f"{name}: cannot read the report {path}: {exc}")
    if rep.get("hcabi_present") is not False:
        fail(arch, f"{name}: hcabi_present is {rep.get('hcabi_present')!r}, want false")
    if rep.get("arch") != arch.arch:
        fail(arch, f"{name}: the report's arch is {rep.get('arch')!r}, want {arch.arch!r}")
    if not rep["reasons"]["failures"][0].startswith(f"{arch.absence} (the image said: {arch.said}"):
        fail(arch, f"{name}: the absence is not explained by the {arch.arch} binding's discovery: {rep['reasons']['failures'][0]!r}")
    if any(rid.startswith(arch.other_prefixes) for rid in rep["requirements"]) or arch.discovery_req not in rep["requirements"]:
        fail(arch, f"{name}: the report judges other requirements than {arch.arch}'s")
    if not rep.get("results"):
        fail(arch, f"{name}: the report has no test results")
    for res in rep["results"]:
        if res.get("status") != "fail" or res.get("message") != ABSENT:
            fail(arch, f"{name}: {res.get('test')}: {res.get('status')} {res.get('message')!r}, want fail {ABSENT!r}")
    for boot in rep.get("boots", []):
        image = boot.get("image")
        if not boot.get("hello") or (boot.get("discovery") or {}).get("present") is not False:
            fail(arch, f"{name}: {image}: no hello, or no `discovery present=0` line")
        if not (boot.get("evidence") or {}).get("verified"):
            fail(arch, f"{name}: {image}: the serial log is not evidence of its boot: {boot.get('problems')}")
        if boot.get("suite_end") is None or boot.get("problems"):
            fail(arch, f"{name}: {image}: no suite-end, or problems: {boot.get('problems')}")
        if (boot.get("ending") or {}).get("status") != 0:
            fail(arch, f"{name}: {image}: QEMU did not exit 0 ({arch.power_off}): {boot.get('ending')}")
        serial = Path(boot["logs"]["serial"]).read_text(encoding="utf-8", errors="replace")
        if run.marker not in serial:
            fail(arch, f"{name}: {image}: the log lacks {run.marker!r}")
    return len(rep.get("boots", []))


def check_selftest(arch: Arch, qemu: str, image: Path, machine: str) -> None:
    """One boot of the self-test with two vCPUs: every verdict as listed,
    every line intact and keyed with this boot's nonce, QEMU powered off
    (exit 0)."""
    nonce = secrets.token_hex(16)
    values = {"memory": "64", "image": str(image), "cmdline": f"hcabi.nonce={nonce}"}
    cmd = [qemu, "-M", machine, "-smp", "2", *(token.format(**values) for token in arch.qemu_args.split())]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(arch, f"selftest ({machine}): no power-off within {BOOT_TIMEOUT} s")
    out = proc.stdout.decode("utf-8", "replace")
    recs, problems = protocol(out, line_key(image, nonce))
    if problems or proc.returncode != 0:
        fail(arch, f"selftest ({machine}): QEMU exit {proc.returncode}, protocol problems {problems}:\n{out}")
    got = {r[1]["name"]: (r[1]["verdict"], r[2]) for r in recs if r[0] == "test-end"}
    for name, want in arch.selftest_verdicts.items():
        if got.get(name, ("missing", ""))[0] != want:
            fail(arch, f"selftest ({machine}): {name}: {got.get(name)}, want {want}:\n{out}")
    if set(got) != set(arch.selftest_verdicts):
        fail(arch, f"selftest ({machine}): tests {sorted(set(got) - set(arch.selftest_verdicts))} not in its verdicts")
    if not any(arch.unexpected in r[2] for r in recs if r[1].get("name") == "SELF.unexpected_exception"):
        fail(arch, f"selftest ({machine}): the unexpected exception's report lacks {arch.unexpected!r}:\n{out}")


def check_gate(arch: Arch, runner: Path, build_dir: Path, report: Path) -> None:
    """`gate --arch ARCH` judges the report (rejected: HCABI absent, and
    consistent); `gate --arch x86_64` rejects it for its architecture alone."""

    def gate(gate_arch: str) -> str:
        cmd = [sys.executable, str(runner), "gate", "--arch", gate_arch, "--report", str(report), "--require", "1.0", "--build-dir", str(build_dir)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 3:
            fail(arch, f"gate --arch {gate_arch}: exit {proc.returncode}, want 3 (rejected):\n{text}")
        return text

    text = gate(arch.arch)
    if f"does not prove conformance to HCABI 1.0, profile full, architecture {arch.arch}:" not in text or arch.absence not in text:
        fail(arch, f"gate --arch {arch.arch}: not rejected for HCABI's absence on {arch.arch}:\n{text}")
    if "inconsistent" in text or "is of architecture" in text:
        fail(arch, f"gate --arch {arch.arch}: the runner's own {arch.arch} report is not consistent with the {arch.arch} suite:\n{text}")
    reasons = [line for line in gate("x86_64").splitlines() if line.startswith("  - ")]
    if reasons != [f"  - the report is of architecture {arch.arch}, not x86_64 (--arch x86_64): it proves nothing about x86_64"]:
        fail(arch, f"gate --arch x86_64: want the one architecture reason, got {reasons}")
    print(f"{arch.prog}: gate --arch {arch.arch} rejects the report for HCABI's absence; gate --arch x86_64 for its architecture")


def main(arch: Arch, doc: str) -> int:
    """The command line of run_qemu_ARCH.py: every run, the gate, the self-test."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--qemu", required=True, help=f"{arch.qemu} (empty or *-NOTFOUND: skip)")
    ap.add_argument("--build-dir", required=True, type=Path, help=f"the {arch.arch} build directory (BUILD/conformance-{arch.arch})")
    ap.add_argument("--runner", required=True, type=Path, help="runners/hcabi-conform")
    ap.add_argument("--out", required=True, type=Path, help="where the logs and reports go")
    args = ap.parse_args()

    qemu = shutil.which(args.qemu) if args.qemu and not args.qemu.endswith("NOTFOUND") else None
    if not qemu:
        print(f"{arch.prog}: SKIP: {arch.qemu} not found (Debian: {arch.package})")
        return SKIP
    if not (args.build_dir / "conformance" / "tests.json").is_file():
        print(f"{arch.prog}: SKIP: no {arch.arch} images in {args.build_dir} (no cross compiler?)")
        return SKIP
    for run in arch.runs:
        out = args.out / run.name
        report = out / "report.json"
        if run.machine is None:
            target = ["--target", "qemu", "--qemu", qemu]
        else:
            target = ["--target", "cmd", "--vmm-cmd", f"{qemu} -M {run.machine} -smp 1 {arch.qemu_args}"]
        cmd = [
            sys.executable, str(args.runner), "run", "--arch", arch.arch, "--build-dir", str(args.build_dir), *target,
            "--timeout", str(BOOT_TIMEOUT), "--out", str(out / "logs"), "--json", str(report), "-q", *run.extra,
        ]  # fmt: skip
        start = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
        took = time.monotonic() - start
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 3:
            fail(arch, f"{run.name}: hcabi-conform exited {proc.returncode}, want 3 (non-conformant):\n{text}")
        if "(HCABI 1." not in text or f", architecture {arch.arch}): HCABI not present on this target" not in text:
            fail(arch, f"{run.name}: the verdict does not say HCABI is not present on {arch.arch}:\n{text}")
        boots = check_report(arch, run, report)
        print(f"{arch.prog}: {run.name} ({run.machine or '--target qemu'}): {boots} image(s), HCABI not present, {took:.1f} s")
    check_gate(arch, args.runner, args.build_dir, args.out / arch.runs[0].name / "report.json")
    selftest = args.build_dir / "hcabi-guest-selftest.bin"
    for machine in arch.selftest_machines:
        start = time.monotonic()
        check_selftest(arch, qemu, selftest, machine)
        print(f"{arch.prog}: selftest ({machine}): {len(arch.selftest_verdicts)} verdicts as expected, {time.monotonic() - start:.1f} s")
    return 0
