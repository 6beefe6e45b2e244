#!/usr/bin/env python3
"""run_qemu_riscv64: the riscv64 conformance images under plain QEMU (TCG, no
HCABI), judged by the runner itself (qemu_suite.py: what every architecture
booted as a Linux kernel must show).

One run, judged as riscv64 (`--arch riscv64`: the riscv64 binding's
requirements, `arch` in the report): every image booted by the runner's own
`--target qemu --arch riscv64` (`qemu-system-riscv64 -M virt,aia=aplic-imsic
-cpu rv64 -bios default`: QEMU's OpenSBI enters the Image in S-mode), whose
SBI probe of HCABI_RISCV64_SBI_EID answers 0 (no such extension); the images
power off through SBI SRST. The report is then gated. Then the runtime
self-test (hcabi-guest-selftest.bin) with two harts: each test must end with
the verdict SELFTEST_VERDICTS gives. Exit 77 (CTest's skip) without
qemu-system-riscv64 or the images.

Standard library only.
"""

from __future__ import annotations

import sys

from qemu_suite import Arch, Run, main  # this script's folder
from run_tcg import SHARED_SELFTEST_VERDICTS

RISCV64 = Arch(
    arch="riscv64",
    qemu="qemu-system-riscv64",
    package="qemu-system-misc",
    qemu_args="-cpu rv64 -bios default -m {memory} -nodefaults -display none -no-reboot -serial stdio -kernel {image} -append {cmdline}",
    absence="HCABI is not present: the SBI probe of HCABI_RISCV64_SBI_EID did not return a0 = 0 and a1 = 'HCA1' (RV64-015)",
    said="discovery: SBI probe_extension(0x8484341) returned a0=0x0 a1=0x0",
    discovery_req="RV64-015",
    other_prefixes=("X86-", "DISC-", "ARM64-"),
    power_off="SBI SRST",
    runs=(Run("qemu", None, (), "riscv64: entered on hart "),),  # hart 0 unless OpenSBI let another win
    # the self-test's verdicts: selftest.c's (run_tcg.py's shared ones), then
    # arch/riscv64/selftest_riscv64.c, selftest_umode.c
    selftest_verdicts={
        **SHARED_SELFTEST_VERDICTS,
        "SELF.expect_illegal": "pass",
        "SELF.expect_ebreak_fixup": "pass",
        "SELF.memory": "pass",
        "SELF.clock": "pass",
        "SELF.imsic_self_msi": "pass",
        "SELF.replay_filter": "pass",
        "SELF.unexpected_exception": "error",
        "SELF.secondary_cpu": "pass",
        "SELF.umode_runner": "pass",
    },
    selftest_machines=("virt,aia=aplic-imsic",),
    unexpected="illegal instruction (scause 2) scause=0x2 sepc=0x",
)

if __name__ == "__main__":
    sys.exit(main(RISCV64, __doc__))
