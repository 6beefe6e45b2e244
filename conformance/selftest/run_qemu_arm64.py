#!/usr/bin/env python3
"""run_qemu_arm64: the arm64 conformance images under plain QEMU (TCG, no
HCABI), judged by the runner itself (qemu_suite.py: what every architecture
booted as a Linux kernel must show).

Two runs, both judged as arm64 (`--arch arm64`: the arm64 binding's
requirements, `arch` in the report): every image entered at EL1 by the
runner's own `--target qemu --arch arm64` (plain `qemu-system-aarch64 -M
virt`), and the base image entered at EL2 (`-M virt,virtualization=on`,
through `--target cmd`), whose log must show the drop to EL1. The images
power off through PSCI. The EL1 report is then gated. Then the runtime
self-test (hcabi-guest-selftest.bin) with a GICv3 and two vCPUs, entered at
EL1 and at EL2: each test must end with the verdict SELFTEST_VERDICTS gives.
Exit 77 (CTest's skip) without qemu-system-aarch64 or the images.

Standard library only.
"""

from __future__ import annotations

import sys

from qemu_suite import Arch, Run, main  # this script's folder
from run_tcg import SHARED_SELFTEST_VERDICTS

ARM64 = Arch(
    arch="arm64",
    qemu="qemu-system-aarch64",
    package="qemu-system-arm",
    qemu_args="-cpu max -m {memory} -nodefaults -display none -no-reboot -serial stdio -kernel {image} -append {cmdline}",
    absence="HCABI is not present: HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID (0xC6004800) did not return x0 = 0 and x1 = 'HCA1' (ARM64-017)",
    said="discovery: HVC DISCOVER returned x0=0xffffffffffffffff",
    discovery_req="ARM64-017",
    other_prefixes=("X86-", "DISC-", "RV64-"),
    power_off="PSCI SYSTEM_OFF",
    runs=(
        Run("el1", None, (), "arm64: entered at EL1, running at EL1"),
        Run("el2", "virt,virtualization=on", ("--image", "base"), "arm64: entered at EL2, running at EL1"),
    ),
    # the self-test's verdicts: selftest.c's (run_tcg.py's shared ones), then
    # arch/arm64/selftest_arm64.c and selftest_el0.c
    selftest_verdicts={
        **SHARED_SELFTEST_VERDICTS,
        "SELF.expect_undef": "pass",
        "SELF.expect_brk_fixup": "pass",
        "SELF.memory": "pass",
        "SELF.clock": "pass",
        "SELF.gic_self_ppi": "pass",
        "SELF.replay_filter": "pass",
        "SELF.unexpected_exception": "error",
        "SELF.secondary_cpu": "pass",
        "SELF.el0_runner": "pass",  # arch/arm64/selftest_el0.c
    },
    selftest_machines=("virt,gic-version=3", "virt,virtualization=on,gic-version=3"),
    unexpected="UNDEF (EC 0x0) ESR=0x2000000 ELR=0x",
)

if __name__ == "__main__":
    sys.exit(main(ARM64, __doc__))
