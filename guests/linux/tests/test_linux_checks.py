"""The judges of the linux.module.* CTests: what makes them fail.

Each sample is cut from a real run (kbuild with W=1, checkpatch.pl, the
QEMU console of qemu_refuses.py); each mutation is a way the driver or the
build could go wrong that the check must catch.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import check_module  # noqa: E402
import qemu_refuses  # noqa: E402

CLEAN_BUILD = """make: Entering directory '/usr/src/linux-headers-6.12.95+deb12-amd64'
  CC [M]  /b/hcabi/core.o
  MODPOST /b/hcabi/Module.symvers
  LD [M]  /b/hcabi/hcabi.ko
make: Leaving directory '/usr/src/linux-headers-6.12.95+deb12-amd64'
"""

REFUSED = """[    2.09] hcabi: no HCABI hypervisor: no CPUID base 0x40000000-0x4000ff00 carries the "HCA1" signature
hcabi-linux: insmod rc=1 insmod: can't insert '/hcabi.ko': No such device
hcabi-linux: dmesg [    2.092446] hcabi: loading out-of-tree module taints kernel.
hcabi-linux: dmesg [    2.097877] hcabi: no HCABI hypervisor: no CPUID base 0x40000000-0x4000ff00 carries the "HCA1" signature
hcabi-linux: after-insmod sysfs=absent module=absent
hcabi-linux: FAIL insmod hcabi.ko
"""


def test_a_clean_build_has_no_problem_line() -> None:
    assert check_module.BUILD_PROBLEM.findall(CLEAN_BUILD) == []


def test_compiler_and_modpost_warnings_are_problems() -> None:
    cc = "/b/hcabi/clock.c:32:6: warning: no previous prototype for 'f' [-Wmissing-prototypes]\n"
    modpost = "WARNING: modpost: missing MODULE_DESCRIPTION() in /b/hcabi/hcabi.o\n"
    err = "/b/hcabi/core.c:9:10: fatal error: abi.h: No such file or directory\n"
    for line in (cc, modpost, err):
        assert len(check_module.BUILD_PROBLEM.findall(CLEAN_BUILD + line)) == 1, line


def test_checkpatch_findings_are_problems() -> None:
    out = "core.c:21: ERROR: space prohibited before open square bracket '['\nclock.c:3: WARNING: x\n"
    assert len(check_module.CHECKPATCH_PROBLEM.findall(out)) == 2
    assert check_module.CHECKPATCH_PROBLEM.findall("") == []


def test_the_refusal_passes() -> None:
    assert qemu_refuses.judge(REFUSED) == []


def test_a_load_or_another_error_fails() -> None:
    loaded = REFUSED.replace("insmod rc=1 insmod: can't insert '/hcabi.ko': No such device", "insmod rc=0 ")
    assert any("ENODEV" in p for p in qemu_refuses.judge(loaded))
    other = REFUSED.replace("No such device", "Invalid module format")
    assert any("ENODEV" in p for p in qemu_refuses.judge(other))


def test_a_missing_or_changed_message_fails() -> None:
    assert any("kernel message" in p for p in qemu_refuses.judge(REFUSED.replace('"HCA1"', "HCA1")))


def test_leftovers_and_an_unfinished_boot_fail() -> None:
    assert qemu_refuses.judge(REFUSED.replace("sysfs=absent", "sysfs=present")) == [
        "expected 'sysfs=absent' after the refusal: 'after-insmod sysfs=present module=absent'"]
    assert qemu_refuses.judge(REFUSED.replace("module=absent", "module=loaded")) == [
        "expected 'module=absent' after the refusal: 'after-insmod sysfs=absent module=loaded'"]
    assert "did not get past insmod" in qemu_refuses.judge(REFUSED.replace("hcabi-linux: after-insmod", "x"))[0]
    assert qemu_refuses.judge(REFUSED.replace("hcabi-linux: FAIL insmod hcabi.ko", "")) == [
        "the init did not stop at the refused insmod (no 'FAIL insmod hcabi.ko' line)"]
