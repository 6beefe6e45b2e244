#!/usr/bin/env python3
"""CTest linux.refvmm.boot: the Debian kernel boots on hcabi-refvmm and uses HCABI through hcabi.ko.

    refvmm_boot.py --root SRC --out DIR --cache DIR --refvmm PROGRAM --impl-version HEX
                   [--holder 'PROGRAM ARGS'] [--timeout S]

The kernel is the one the nested launcher caches (scripts/hcabi_nested): its
vmlinux, decompressed from the package's vmlinuz into DIR (never committed),
boots by PVH on refvmm with a busybox initramfs holding hcabi.ko, built here
against that kernel's headers as check_module.py builds it (the module's
vermagic must be the booted kernel's). refvmm runs nested, the three boots in
one launcher batch (scripts/hcabi-nested):

    vcpus1      --vcpus 1, the newest HCABI version refvmm implements
    vcpus2_1.0  --vcpus 2, pinned with --spec-version 1.0
    reboot_1.1  --vcpus 1, pinned with --spec-version 1.1, ends with reboot -f
                (the driver's SYSTEM.REBOOT: refvmm --no-reboot ends, status 10)

The initramfs's /init loads hcabi.ko (its shutdown_code parameter from the
command line), prints /sys/hypervisor/hcabi/*, reads the line refvmm's
--console-input supplies from /dev/hvc0 (CONSOLE.READ), writes one to it
(CONSOLE.WRITE), makes the driver's clocksource current and checks uptime
goes forward on it, prints /sys/devices/system/cpu/online, and powers off
(the driver's SYSTEM.SHUTDOWN). This script checks all of it against what
refvmm exposes (the registry: the version's extensions and their versions;
the implementation ID and version) and refvmm's exit status and last line
("shutdown code=N"). A failing /init ends the VM through isa-debug-exit
(/dev/port), so refvmm exits 3 at once instead of running into its timeout.

Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (no headers of any 6.12
kernel, no QEMU, or the cache could not be filled). Headers installed for
another 6.12 kernel than the cached one fail it, saying so.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import lzma
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[1:1] = [str(ROOT / "scripts"), str(ROOT / "runners")]

import check_module  # noqa: E402  (this folder: the module build)
from initramfs import INIT, TAG, busybox_initramfs  # noqa: E402  (this folder)
import hcabi_registry  # noqa: E402
from hcabi_conform.errors import EnvError  # noqa: E402
from hcabi_nested.cache import ensure_cache  # noqa: E402

SKIP = check_module.SKIP
MEMORY = "256M"
# The kernel command line (docs/linux-guest.md, "Booting Linux on refvmm"):
# no_timer_check skips Linux's test that the PIT's IRQ 0 reaches the I/O
# APIC over ten ticks, a probe of a board's wiring that is timing-fragile
# under nested TCG (the boot itself shows the timer works); acpi=off spares
# it the search for ACPI tables refvmm does not have (the MP table says
# what there is). Nothing else is skipped: PCI, i8042, RTC are probed as
# they are. mitigations=off: speculation mitigations only cost time in a
# throw-away VM; panic=-1: a panic reboots at once (through the keyboard
# controller's reset line: refvmm --no-reboot ends with status 10) instead
# of hanging until --timeout; unknown_nmi_panic: the NMI refvmm's
# --timeout-nmi sends a CPU that hangs with interrupts off makes Linux print
# that CPU's stack (and panic). loglevel=7: the whole boot log, for whoever
# reads a failure.
CMDLINE = ("console=ttyS0 loglevel=7 panic=-1 mitigations=off no_timer_check acpi=off "
           "unknown_nmi_panic")
# refvmm's --timeout-nmi: time for that stack to reach the serial console
NMI_GRACE = 30


@dataclasses.dataclass(frozen=True)
class Boot:
    name: str
    vcpus: int
    spec_version: str | None  # None: refvmm's default, the newest
    code: int                 # SYSTEM.SHUTDOWN code the driver is given
    reboot: bool = False      # /init ends with reboot -f (SYSTEM.REBOOT), not poweroff -f
    # refvmm's --timeout: a boot takes 10-30 s nested, but the reboot boot
    # once took 120-150 s (its shutdown reading the hcabi clocksource, an exit
    # per read); a hang (a replay deadlock) costs this plus NMI_GRACE
    timeout: int = 90

    def ending(self) -> tuple[int, str]:
        """refvmm's exit status and last line when the boot went right."""
        if self.reboot:  # refvmm runs with --no-reboot
            return 10, "hcabi-refvmm: reboot requested by the guest (--no-reboot)"
        return 0, f"hcabi-refvmm: shutdown code={self.code}"

    def console_input(self) -> str:
        return f"runner-says-hello {self.name}"

    def hvc_output(self) -> str:
        return f"hvc0-says-hello {self.name}"


# How many times a boot that died of the platform's replay is booted again
# (each replay is rare: a boot of 1 in 5 or so meets one under load; a
# configuration met two in a row once, with other work compiling beside it).
REPLAY_RETRIES = 3
BOOTS = (Boot("vcpus1", 1, None, 41), Boot("vcpus2_1.0", 2, "1.0", 42),
         Boot("reboot_1.1", 1, "1.1", 43, reboot=True, timeout=240))



Failure = check_module.Failure  # the environment is wrong in a way that fails the test


def extract_vmlinux(vmlinuz: Path, dest: Path) -> None:
    """The ELF vmlinux inside a bzImage: the payload the setup header points
    at (payload_offset, payload_length), decompressed; its last 4 bytes are
    the decompressed size, which is checked."""
    data = vmlinuz.read_bytes()
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        raise Failure(f"{vmlinuz}: not a bzImage (no HdrS setup header)")
    setup_sects = data[0x1F1] or 4
    offset, length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + offset
    payload = data[start:start + length]
    if len(payload) != length or length < 8:
        raise Failure(f"{vmlinuz}: the payload lies outside the file")
    size = struct.unpack("<I", payload[-4:])[0]
    body = payload[:-4]  # the kernel appends the size (gzip: its own ISIZE field)
    if body.startswith(b"\x28\xb5\x2f\xfd"):
        if not shutil.which("zstd"):
            raise check_module.Skip("zstd is not installed (the kernel's payload is zstd)")
        proc = subprocess.run(["zstd", "-dcq"], input=body, capture_output=True)
        if proc.returncode != 0:
            raise Failure(f"{vmlinuz}: zstd: {proc.stderr.decode(errors='replace').strip()}")
        elf = proc.stdout
    elif body.startswith(b"\xfd7zXZ\x00"):
        elf = lzma.decompress(body)
    elif body.startswith(b"\x1f\x8b"):
        elf = gzip.decompress(payload)
    else:
        raise Failure(f"{vmlinuz}: unknown payload compression {body[:6].hex()}")
    if not elf.startswith(b"\x7fELF") or len(elf) != size:
        raise Failure(f"{vmlinuz}: the payload is not the {size}-byte ELF its trailer announces")
    dest.write_bytes(elf)


@dataclasses.dataclass(frozen=True)
class Expect:
    """What refvmm exposes at one boot's version."""

    spec_version: str
    impl_version: str
    extensions: str


def expectations(root: Path, impl_version: str) -> dict[str, Expect]:
    reg = hcabi_registry.load(root / "spec" / "registry")
    out = {}
    for b in BOOTS:
        v = b.spec_version or reg.newest_version
        exts = " ".join(f"{e.name}:{e.number_at(v)}" for e in sorted(reg.extensions, key=lambda e: e.eid)
                        if e.number_at(v))
        out[b.name] = Expect(v, impl_version, exts)
    return out


def said_by_init(serial: str) -> list[tuple[str, str]]:
    """(KEY, VALUE) of each of the /init's 'TAG KEY VALUE' lines, in order."""
    said = []
    for ln in serial.replace("\r", "").splitlines():
        if TAG in ln:
            key, _, value = ln[ln.index(TAG) + len(TAG):].strip().partition(" ")
            said.append((key, value))
    return said


def judge(boot: Boot, want: Expect, status: int | None, serial: str, stderr: str) -> list[str]:
    """What is wrong with one boot; nothing when it passed.

    refvmm's output holds the kernel's console (ttyS0, written a byte at a
    time, the tty's part from a buffer the UART drains later) and hvc0's
    (CONSOLE.WRITE: the line's text at once, then the tty's "\r\n" in a
    second write), so hvc0's text, and the tty's echo of the input if it came
    before `stty -echo`, can land inside or before a line of ttyS0's, their
    line ends later: they are found and cut out first."""
    hvc_line = re.compile(re.escape(boot.hvc_output()) + r"(?:\r?\n)?")
    wrote = hvc_line.search(serial) is not None
    serial = hvc_line.sub("", serial)
    serial = re.sub(re.escape(boot.console_input()) + r"\r?\n", "", serial)
    said = said_by_init(serial)
    first = {}
    for key, value in said:
        first.setdefault(key, value)
    sysfs = dict(v.partition("=")[::2] for k, v in said if k == "sysfs")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    problems = []
    if "FAIL" in first:
        problems.append(f"the guest's /init failed: {first['FAIL']}")
    elif "done" not in first:
        problems.append("the guest's /init did not finish (no 'done' line): the boot failed or hung")
    want_status, want_last = boot.ending()
    if status != want_status or last != want_last:
        how = "SYSTEM.REBOOT" if boot.reboot else "SYSTEM.SHUTDOWN"
        problems.append(f"refvmm should end with status {want_status} and {want_last!r} "
                        f"({how} through the driver); it ended with status {status}: {last!r}")
    if not first.get("insmod", "").startswith("rc=0"):
        problems.append(f"insmod hcabi.ko failed: {first.get('insmod')!r}")
        return problems
    for key, value in (("spec_version", want.spec_version), ("impl_id", "1"),
                       ("impl_version", want.impl_version), ("extensions", want.extensions),
                       ("cpuid_base", "0x40000000")):
        if sysfs.get(key) != value:
            problems.append(f"/sys/hypervisor/hcabi/{key} is {sysfs.get(key)!r}, refvmm exposes {value!r}")
    if first.get("hvc-read") != f"rc=0 line=[{boot.console_input()}]":
        problems.append(f"reading /dev/hvc0 (CONSOLE.READ) gave {first.get('hvc-read')!r}, not the "
                        f"--console-input line {boot.console_input()!r}")
    if not wrote:
        problems.append(f"the line written to /dev/hvc0 (CONSOLE.WRITE), {boot.hvc_output()!r}, "
                        "is not in refvmm's output")
    clock = [v for k, v in said if k == "clocksource"]
    if "current=hcabi" not in clock:
        problems.append(f"the hcabi clocksource did not become current: {clock}")
    m = re.fullmatch(r"before=([\d.]+) after=([\d.]+)", first.get("uptime", ""))
    if not m or float(m.group(2)) <= float(m.group(1)):
        problems.append(f"uptime did not go forward on the hcabi clocksource: {first.get('uptime')!r}")
    online = "0" if boot.vcpus == 1 else f"0-{boot.vcpus - 1}"
    if first.get("cpus") != f"online={online}":
        problems.append(f"Linux sees CPUs {first.get('cpus')!r}, not online={online} (--vcpus {boot.vcpus})")
    return problems


def kernel_headers(release: str) -> Path:
    """The headers of the cached kernel: the module's vermagic must be the booted kernel's."""
    kdir = Path("/usr/src") / f"linux-headers-{release}"
    if (kdir / "Makefile").is_file():
        return kdir
    others = sorted(d.name for d in Path("/usr/src").glob("linux-headers-6.12*-amd64"))
    if others:
        raise Failure(f"the kernel versions differ: the nested launcher's cache holds kernel {release}, "
                      f"the installed headers are {', '.join(others)}; install linux-headers-{release}, "
                      "or empty the cache (HCABI_NESTED_CACHE) so that it fetches the newest kernel again")
    raise check_module.Skip(f"no Linux 6.12 headers in /usr/src: install linux-headers-{release}")


def job_line(boot: Boot, refvmm: str, vmlinux: Path, initrd: Path, console: Path, seconds: int) -> str:
    # --no-reboot: a panic's reboot (panic=-1) ends refvmm at once, status 10
    argv = [refvmm, "--vcpus", str(boot.vcpus), "--memory", MEMORY, "--timeout", str(seconds),
            "--timeout-nmi", str(NMI_GRACE), "--no-reboot", "--initrd", str(initrd), "--console-input", str(console),
            "--cmdline", f"{CMDLINE} hcabitest.name={boot.name} hcabitest.code={boot.code}"
            + (" hcabitest.end=reboot" if boot.reboot else "")]
    if boot.spec_version:
        argv += ["--spec-version", boot.spec_version]
    return f"{boot.name}\t{shlex.join(argv + [str(vmlinux)])}\n"


# The nested platform's own fault (docs/performance.md, "Replayed interrupt
# deliveries under nested TCG"): QEMU's emulated SVM now and then delivers an
# interrupt a second time while the first delivery's handler runs with IF = 0
# -- which no CPU does. Linux dies of it in one of two ways: the replay hits
# the first instruction of the interrupt entry code after a delivery from user mode (GS
# not yet swapped: an Oops), or it comes later in the handler, whose second
# run then spins forever on the interrupt's descriptor lock that the first
# holds (a hang: refvmm's --timeout-nmi makes Linux, with unknown_nmi_panic,
# print that CPU's stack). Either way the kernel's trace shows the proof: an
# interrupt entry (asm_common_interrupt, asm_sysvec_*, ...) whose interrupted
# frame, printed right after it, has IF clear in EFLAGS; or the Oops's own
# RIP at offset 0 of an interrupt entry, IF clear.
_IRQ_ENTRY = r"asm_(?:sysvec_\w+|common_interrupt|spurious_interrupt)"
_ENTRY_ON_TRACE = re.compile(r"^(?:\[[^\]]*\])?\s+(" + _IRQ_ENTRY + r")\+0x[0-9a-f]+/0x[0-9a-f]+\s*$")
_REPLAY_RIP = re.compile(r"RIP: 0010:(" + _IRQ_ENTRY + r")\+0x0/")
_KERNEL_RIP = re.compile(r"RIP: 0010:(\S+)")
_EFLAGS = re.compile(r"EFLAGS: ([0-9a-f]+)")


def _if_clear_after(lines: list[str], i: int) -> bool:
    """The EFLAGS printed within 3 lines after line i has IF clear."""
    for later in lines[i + 1:i + 4]:
        f = _EFLAGS.search(later)
        if f:
            return not int(f.group(1), 16) & 0x200
    return False


def platform_replay(serial: str) -> str | None:
    """Where the kernel's trace shows an interrupt delivered with IF = 0, if
    the boot's log has one; None otherwise."""
    lines = serial.replace("\r", "").splitlines()
    for i, line in enumerate(lines):
        m = _REPLAY_RIP.search(line)
        if m and _if_clear_after(lines, i):
            return f"a second delivery at {m.group(1)}+0x0"
        m = _ENTRY_ON_TRACE.search(line)
        if not m:
            continue
        for j in (i + 1, i + 2):
            r = _KERNEL_RIP.search(lines[j]) if j < len(lines) else None
            if r:
                if _if_clear_after(lines, j):
                    return f"{m.group(1)} entered at {r.group(1)}"
                break
    return None


# The nested platform's other fault: the nested hypervisor's own kernel (the L1
# Linux that runs refvmm under QEMU) reports that one of its CPUs stayed in the
# kernel, in refvmm's task, for minutes without scheduling. A userspace VMM
# cannot do that: the CPU was in KVM_RUN, running the guest under QEMU's
# emulated SVM, and the L1's own timer interrupt did not take it out (the
# first interrupt that did, refvmm's kick at --timeout, also ended the stall:
# the guest then finished at once). The L1's watchdog line is the proof.
_HOST_STALL = re.compile(r"soft lockup - CPU#\d+ stuck for (\d+)s! \[hcabi-refvmm:\d+\]")


def host_stall(nested_log: str, name: str) -> str | None:
    """The L1 kernel's soft-lockup report in refvmm's task during job `name`
    of the launcher's log, if there is one; None otherwise."""
    inside = False
    for line in nested_log.replace("\r", "").splitlines():
        if line.endswith(f"job {name}: start"):
            inside = True
        elif inside and f"job {name}: status " in line:
            return None
        elif inside:
            m = _HOST_STALL.search(line)
            if m:
                return f"the nested hypervisor's kernel stuck {m.group(1)} s in refvmm's KVM_RUN"
    return None


def read_result(nested: Path, name: str) -> tuple[int | None, str, str]:
    def text(ext: str) -> str:
        p = nested / f"{name}.{ext}"
        return p.read_bytes().decode("utf-8", "replace") if p.exists() else ""
    st = text("status").strip()
    return (int(st) if st.lstrip("-").isdigit() else None), text("serial"), text("stderr")


def log_text(nested: Path) -> str:
    p = nested / "hcabi-nested.log"
    return p.read_bytes().decode("utf-8", "replace") if p.exists() else ""


def run(args: argparse.Namespace) -> int:
    root, out = Path(args.root).resolve(), Path(args.out).resolve()
    if not shutil.which(os.environ.get("HCABI_NESTED_QEMU", "qemu-system-x86_64")):
        raise check_module.Skip("qemu-system-x86_64 is not installed (qemu-system-x86)")
    try:
        cache = ensure_cache(Path(args.cache))
    except EnvError as e:
        raise check_module.Skip(f"the nested launcher's kernel cache is unavailable: {e}") from None
    kdir = kernel_headers(cache.release)
    out.mkdir(parents=True, exist_ok=True)
    if check_module.check_build(root, out, kdir) != 0:
        return 1
    vmlinux = out / "vmlinux"
    extract_vmlinux(cache.kernel, vmlinux)
    initrd = out / "initramfs.cpio"
    initrd.write_bytes(busybox_initramfs(cache.busybox, out / "hcabi" / "hcabi.ko", INIT))
    want = expectations(root, args.impl_version)
    jobs = out / "jobs.txt"
    chosen = list(BOOTS)
    for b in chosen:
        (out / f"{b.name}.input").write_text(b.console_input() + "\n")
    boots = {b.name: b for b in chosen}
    results: dict[str, tuple[int | None, str, str]] = {}
    where: dict[str, Path] = {}
    to_boot = list(chosen)

    def seconds(b: Boot) -> int:
        return args.timeout if args.timeout is not None else b.timeout
    for attempt in range(1 + REPLAY_RETRIES):
        nested = out / ("nested" if attempt == 0 else f"nested-again-{attempt}")
        with open(jobs, "w") as fh:
            for b in to_boot:
                fh.write(job_line(b, args.refvmm, vmlinux, initrd, out / f"{b.name}.input", seconds(b)))
        cmd = [sys.executable, str(root / "scripts" / "hcabi-nested"), "--cache", args.cache,
               "--out", str(nested), "--job-timeout", str(max(map(seconds, to_boot)) + NMI_GRACE + 60),
               "--timeout", str(sum(seconds(b) + NMI_GRACE + 60 for b in to_boot) + 300),
               "--holder", args.holder, str(jobs)]
        print("+", shlex.join(cmd), flush=True)
        launcher = subprocess.run(cmd)
        if launcher.returncode != 0:
            print(f"FAIL: the nested launcher exited {launcher.returncode} (see above and {nested}/hcabi-nested.log)")
            return 1
        again = []
        for b in to_boot:
            results[b.name], where[b.name] = read_result(nested, b.name), nested
            status, serial, stderr = results[b.name]
            if not judge(b, want[b.name], status, serial, stderr):
                continue
            hit = platform_replay(serial)
            stall = host_stall(log_text(nested), b.name)
            if hit:
                print(f"NOTE: {b.name}: Linux died of the nested platform's replayed interrupt delivery "
                      f"({hit} with IF=0, which no CPU does; docs/performance.md): booting it again "
                      f"({nested}/{b.name}.serial)")
                again.append(b)
            elif stall:
                print(f"NOTE: {b.name}: the nested platform stopped running the guest ({stall}, "
                      f"which a userspace VMM cannot cause; docs/linux-guest.md): booting it again "
                      f"({nested}/hcabi-nested.log)")
                again.append(b)
        to_boot = again
        if not to_boot:
            break
    failed = 0
    for name, (status, serial, stderr) in results.items():
        b = boots[name]
        problems = judge(b, want[b.name], status, serial, stderr)
        if problems:
            failed += 1
            print(f"---- {b.name}: last lines of its output ({where[name]}/{b.name}.serial, .stderr)")
            print("".join(serial.replace("\r", "").splitlines(keepends=True)[-40:]), end="")
            print(stderr.strip())
            for p in problems:
                print(f"FAIL: {b.name}: {p}")
        else:
            w = want[b.name]
            print(f"PASS: {b.name}: Linux {cache.release} booted on refvmm with {b.vcpus} vCPU(s), "
                  f"HCABI {w.spec_version}: hcabi.ko loaded, sysfs [{w.extensions}], console in and out "
                  f"through hvc0, the hcabi clocksource, "
                  + ("rebooted through SYSTEM.REBOOT" if b.reboot else f"powered off with code {b.code}"))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="the HCABI source tree")
    ap.add_argument("--out", required=True, help="a directory of this test's own")
    ap.add_argument("--cache", required=True, help="the nested launcher's cache (HCABI_NESTED_CACHE)")
    ap.add_argument("--refvmm", required=True, help="the static hcabi-refvmm to boot Linux on")
    ap.add_argument("--impl-version", required=True, help="BASE.GET_IMPL_VERSION refvmm reports, 0x-hex")
    ap.add_argument("--holder", default="", help="the nested launcher's --holder ('' for none)")
    ap.add_argument("--timeout", type=int, default=None,
                    help="refvmm's --timeout of every boot (default: each boot's own, 90 or 240 s)")
    args = ap.parse_args(argv)
    if not (Path(args.root) / "abi.h").is_file():
        ap.error(f"--root {args.root}: no abi.h there")
    if not Path(args.refvmm).is_file():
        ap.error(f"--refvmm {args.refvmm}: no such file")
    if not re.fullmatch(r"0x[0-9a-f]+", args.impl_version):
        ap.error(f"--impl-version {args.impl_version}: want lower-case 0x-hex")
    if args.timeout is not None and args.timeout <= 0:
        ap.error(f"--timeout {args.timeout}: must be positive")
    return check_module.run_check("refvmm_boot.py", args.out, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
