"""The judge of linux.refvmm.boot (refvmm_boot.py): what makes it fail.

The sample is cut from a real nested run (Linux 6.12 on refvmm, 1 vCPU);
each mutation is a way refvmm, the driver or the boot could go wrong that
the test must catch.
"""
from __future__ import annotations

import gzip
import lzma
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import refvmm_boot as rb  # noqa: E402

BOOT = rb.BOOTS[0]
WANT = rb.Expect("1.3", "0x10000", "BASE:1 CONSOLE:1 TIME:2 SYSTEM:1")
SERIAL = """[    0.000000] Linux version 6.12.95+deb12-amd64
hcabi-linux: insmod rc=0 
hcabi-linux: dmesg [    8.0] hcabi: HCABI 1.3 at CPUID 0x40000000
hcabi-linux: sysfs spec_version=1.3
hcabi-linux: sysfs impl_id=1
hcabi-linux: sysfs impl_version=0x10000
hcabi-linux: sysfs extensions=BASE:1 CONSOLE:1 TIME:2 SYSTEM:1
hcabi-linux: sysfs cpuid_base=0x40000000
hcabi-linux: sysfs signature=HCABI-REFVMM
hcabi-linux: hvc-read rc=0 line=[runner-says-hello vcpus1]
hvc0-says-hello vcpus1
hcabi-linux: clocksource available=hcabi 
hcabi-linux: clocksource current=hcabi
hcabi-linux: uptime before=68.57 after=69.62
hcabi-linux: cpus online=0
hcabi-linux: done
"""
STDERR = "hcabi-refvmm: shutdown code=41\n"


def test_a_good_boot_passes() -> None:
    assert rb.judge(BOOT, WANT, 0, SERIAL, STDERR) == []


@pytest.mark.parametrize("old,new,says", [
    ("spec_version=1.3", "spec_version=1.0", "spec_version"),
    ("TIME:2 SYSTEM:1", "TIME:1 SYSTEM:1", "extensions"),
    ("impl_id=1", "impl_id=2", "impl_id"),
    ("line=[runner-says-hello vcpus1]", "line=[]", "CONSOLE.READ"),
    ("hvc0-says-hello vcpus1\n", "", "CONSOLE.WRITE"),
    ("current=hcabi", "current=refined-jiffies", "clocksource"),
    ("after=69.62", "after=68.57", "uptime"),
    ("online=0", "online=0-1", "CPUs"),
    ("hcabi-linux: done\n", "", "did not finish"),
    ("insmod rc=0", "insmod rc=137", "insmod"),
])
def test_each_wrong_value_fails(old: str, new: str, says: str) -> None:
    assert old in SERIAL
    problems = rb.judge(BOOT, WANT, 0, SERIAL.replace(old, new), STDERR)
    assert any(says in p for p in problems), problems


def test_hvc0_output_inside_a_ttys0_line_is_found_and_cut_out() -> None:
    """Seen nested with 2 vCPUs: the echo of the input and hvc0's line land
    in the middle of a line the /init writes to ttyS0."""
    torn = SERIAL.replace("hvc0-says-hello vcpus1\n", "").replace(
        "hcabi-linux: hvc-read rc=0 line=[runner",
        "runner-says-hello vcpus1\r\nhcabi-linux: hvc-read rc=0 l"
        "hvc0-says-hello vcpus1\r\nine=[runner")
    assert rb.judge(BOOT, WANT, 0, torn, STDERR) == []


def test_hvc0_text_before_a_ttys0_line_and_its_line_end_after_it() -> None:
    """Seen nested with 2 vCPUs: the UART still drained /init's earlier line
    when hvc0's text came out; the tty's "\r\n" (a second write) came after."""
    torn = SERIAL.replace("hvc0-says-hello vcpus1\n", "").replace(
        "hcabi-linux: hvc-read rc=0", "hvc0-says-hello vcpus1hcabi-linux: hvc-read rc=0").replace(
        "hcabi-linux: clocksource available", "\r\nhcabi-linux: clocksource available")
    assert "hvc0-says-hello vcpus1hcabi-linux" in torn
    assert rb.judge(BOOT, WANT, 0, torn, STDERR) == []
    # the text itself must still come whole
    broken = torn.replace("hvc0-says-hello vcpus1", "hvc0-says-hel")
    assert any("/dev/hvc0" in p for p in rb.judge(BOOT, WANT, 0, broken, STDERR))


def test_the_wrong_shutdown_code_or_status_fails() -> None:
    assert rb.judge(BOOT, WANT, 0, SERIAL, "hcabi-refvmm: shutdown code=0\n")
    assert rb.judge(BOOT, WANT, 6, SERIAL, STDERR)
    timeout = "hcabi-refvmm: timeout: --timeout 150 s expired\n"
    assert any("status 8" in p for p in rb.judge(BOOT, WANT, 8, SERIAL, timeout))


def test_two_vcpus_need_both_online() -> None:
    two = rb.BOOTS[1]
    serial = SERIAL.replace("vcpus1", two.name)
    stderr = f"hcabi-refvmm: shutdown code={two.code}\n"
    assert any("CPUs" in p for p in rb.judge(two, WANT, 0, serial, stderr))
    assert rb.judge(two, WANT, 0, serial.replace("online=0", "online=0-1"), stderr) == []


def test_the_reboot_boot_ends_through_system_reboot() -> None:
    boot = next(b for b in rb.BOOTS if b.reboot)
    serial = SERIAL.replace("vcpus1", boot.name)
    reboot = "hcabi-refvmm: reboot requested by the guest (--no-reboot)\n"
    assert rb.judge(boot, WANT, 10, serial, reboot) == []
    # the platform's reset (Linux's fallback when no restart handler ran) is not the driver's
    kbd = "hcabi-refvmm: reset through the keyboard controller (port 0x64, command 0xfe) on vcpu 0 (--no-reboot)\n"
    assert any("SYSTEM.REBOOT" in p for p in rb.judge(boot, WANT, 10, serial, kbd))
    assert any("SYSTEM.REBOOT" in p for p in rb.judge(boot, WANT, 0, serial, f"hcabi-refvmm: shutdown code={boot.code}\n"))


def test_the_init_failing_is_reported() -> None:
    serial = SERIAL.replace("hcabi-linux: done\n", "hcabi-linux: FAIL no /dev/hvc0\n")
    problems = rb.judge(BOOT, WANT, 3, serial, "hcabi-refvmm: isa-debug-exit value=0x1 status=3\n")
    assert any("no /dev/hvc0" in p for p in problems)


def test_expectations_follow_the_registry() -> None:
    want = rb.expectations(rb.ROOT, "0x10000")
    assert want["vcpus2_1.0"].spec_version == "1.0"
    assert want["vcpus2_1.0"].extensions.startswith("BASE:1 CONSOLE:1 TIME:1 ")
    assert want["vcpus1"].spec_version != "1.0"


def _bzimage(body: bytes) -> bytes:
    """A minimal bzImage: the setup header's fields the extractor reads."""
    setup_sects = 1
    head = bytearray(512 * (setup_sects + 1))
    head[0x1F1] = setup_sects
    head[0x202:0x206] = b"HdrS"
    struct.pack_into("<II", head, 0x248, 16, len(body))
    return bytes(head) + b"\0" * 16 + body


def test_vmlinux_comes_out_of_the_payload(tmp_path: Path) -> None:
    elf = b"\x7fELF" + bytes(range(60))
    src = tmp_path / "vmlinuz"
    for body in (gzip.compress(elf),  # gzip's own trailer holds the size
                 lzma.compress(elf, format=lzma.FORMAT_XZ) + struct.pack("<I", len(elf))):
        src.write_bytes(_bzimage(body))
        rb.extract_vmlinux(src, tmp_path / "vmlinux")
        assert (tmp_path / "vmlinux").read_bytes() == elf


def test_a_payload_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    elf = b"\x7fELF" + bytes(60)
    src = tmp_path / "vmlinuz"
    src.write_bytes(_bzimage(lzma.compress(elf, format=lzma.FORMAT_XZ) + struct.pack("<I", len(elf) + 1)))
    with pytest.raises(rb.Failure, match="trailer"):
        rb.extract_vmlinux(src, tmp_path / "vmlinux")
    src.write_bytes(b"MZ" + bytes(1000))
    with pytest.raises(rb.Failure, match="bzImage"):
        rb.extract_vmlinux(src, tmp_path / "vmlinux")


# ---- the nested platform's replayed interrupt delivery -------------------------------------

# cut from a real nested run (2 vCPUs): the replay hit the APIC timer's entry code
REPLAY = """[    4.792200]  sysvec_apic_timer_interrupt+0xe/0x90
[    4.792200]  asm_sysvec_apic_timer_interrupt+0x1a/0x20
[    4.792200] RIP: 0010:asm_sysvec_apic_timer_interrupt+0x0/0x20
[    4.792200] Code: 96 05 ed ff e9 a1 07 00 00 90 f3 0f 1e fa 0f 01 ca fc 6a ff e8 51 06 00 00
[    4.792200] RSP: 0000:fffffe0000002fd8 EFLAGS: 00000006
[    4.792200] RAX: 000000000ec666c0 RBX: 0000000000000005 RCX: 000000000ec67580
[    4.792200] Kernel panic - not syncing: Fatal exception in interrupt
"""


def test_a_replayed_delivery_is_recognised() -> None:
    want = "asm_sysvec_apic_timer_interrupt entered at asm_sysvec_apic_timer_interrupt+0x0/0x20"
    assert rb.platform_replay(REPLAY) == want
    assert rb.platform_replay(REPLAY.replace("\n", "\r\n")) == want
    # later in the entry code, IF still clear: the interrupted frame printed after the entry says so
    assert rb.platform_replay(REPLAY.replace("+0x0/0x20", "+0x4/0x20")) == want.replace("+0x0", "+0x4")
    # the Oops's own frame at an entry's first instruction, no trace line before it
    assert rb.platform_replay(REPLAY.replace(" asm_sysvec_apic_timer_interrupt+0x1a", " foo+0x1a")) == \
        "a second delivery at asm_sysvec_apic_timer_interrupt+0x0"


# refvmm --timeout-nmi's NMI over a CPU in a console write with IF clear (a real
# nested run): an NMI may come anywhere, so its frame says nothing of the platform
NMI_OVER_IRQS_OFF = """[    1.156000] Uhhuh. NMI received for unknown reason 21 on CPU 0.
[    1.156000] Kernel panic - not syncing: NMI: Not continuing
[    1.156000] Call Trace:
[    1.156000]  <NMI>
[    1.156000]  panic+0x344/0x3a0
[    1.156000]  nmi_panic+0x2b/0x40
[    1.156000]  unknown_nmi_error+0x73/0xc0
[    1.156000]  exc_nmi+0x125/0x1a0
[    1.156000]  end_repeat_nmi+0xf/0x53
[    1.156000] RIP: 0010:io_serial_in+0x19/0x30
[    1.156000] Code: cc 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 f3 0f 1e fa 0f 1f 44 00 00
[    1.156000] RSP: 0018:ffffc9000000bb68 EFLAGS: 00000002
[    1.156000]  </NMI>
[    1.156000]  <TASK>
[    1.156000]  wait_for_lsr+0x47/0x90
"""


def test_the_replay_deadlock_is_recognised_from_its_nmi_trace() -> None:
    # a real nested boot (1 vCPU): the PIT's IRQ handled a second time at
    # apic_ack_edge, IF clear, spinning on the descriptor lock its first run
    # holds, until refvmm's --timeout-nmi made Linux print this
    text = (Path(__file__).parent / "replay-deadlock.serial").read_text()
    assert rb.platform_replay(text) == "asm_common_interrupt entered at apic_ack_edge+0x0/0x70"
    # the outer delivery, over code with IF set, alone is not the platform's
    inner = text.index("RIP: 0010:apic_ack_edge")
    assert rb.platform_replay(text[inner + 10:]) is None


def test_an_nmi_over_code_with_interrupts_off_is_not_the_platform() -> None:
    assert rb.platform_replay(NMI_OVER_IRQS_OFF) is None
    # the same frame under an interrupt entry is what no CPU does
    text = NMI_OVER_IRQS_OFF.replace("end_repeat_nmi+0xf/0x53", "asm_common_interrupt+0x26/0x40")
    assert rb.platform_replay(text) == "asm_common_interrupt entered at io_serial_in+0x19/0x30"


ELSEWHERE = ("RIP: 0010:asm_sysvec_apic_timer_interrupt+0x0/0x20", "RIP: 0010:error_entry+0x10/0x140")


@pytest.mark.parametrize("changes", [
    [("EFLAGS: 00000006", "EFLAGS: 00000206")],  # IF set: a CPU may take an interrupt there
    [("RIP: 0010:asm_sysvec", "RIP: 0033:asm_sysvec")],  # not kernel mode
    # an exception may come where IF is clear
    [ELSEWHERE, ("asm_sysvec_apic_timer_interrupt+0x1a/0x20", "asm_exc_page_fault+0x26/0x30")],
    [ELSEWHERE, ("]  asm_sysvec", "]  ? asm_sysvec")],  # a guess of the unwinder, not a frame
])
def test_anything_else_is_not_the_platform(changes: list[tuple[str, str]]) -> None:
    text = REPLAY
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    assert rb.platform_replay(text) is None
    assert rb.platform_replay(SERIAL) is None


# the launcher's log of a real nested run (7 December 2026): the 2-vCPU boot's
# guest finished only once refvmm's kick at --timeout reached its vCPU
STALLED_LOG = """hcabi-nested-init: job vcpus1: start\r
hcabi-nested-init: job vcpus1: status 0 after 10840 ms (killed=0)\r
hcabi-nested-init: job vcpus2_1.0: start\r
[  255.737022] watchdog: BUG: soft lockup - CPU#0 stuck for 223s! [hcabi-refvmm:191]\r
hcabi-nested-init: job vcpus2_1.0: status 8 after 248760 ms (killed=0)\r
hcabi-nested-init: job reboot_1.1: start\r
hcabi-nested-init: job reboot_1.1: status 10 after 12750 ms (killed=0)\r
"""


def test_the_host_kernel_stuck_in_refvmm_is_the_platform() -> None:
    assert rb.host_stall(STALLED_LOG, "vcpus2_1.0") == \
        "the nested hypervisor's kernel stuck 223 s in refvmm's KVM_RUN"
    # only during that job's run
    assert rb.host_stall(STALLED_LOG, "vcpus1") is None
    assert rb.host_stall(STALLED_LOG, "reboot_1.1") is None
    # another task's lockup, or none, says nothing of refvmm's guest
    assert rb.host_stall(STALLED_LOG.replace("[hcabi-refvmm:191]", "[kworker/0:1:12]"), "vcpus2_1.0") is None
    assert rb.host_stall(STALLED_LOG.replace("soft lockup", "rcu stall"), "vcpus2_1.0") is None
