"""The busybox initramfs the Linux guest tests boot: busybox, hcabi.ko, an /init.

Shared by qemu_refuses.py (plain QEMU: the module refuses) and
refvmm_boot.py (refvmm: the module works); the busybox is the nested
launcher's (its cache), the module is built against the booted kernel.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent.parent / "scripts"))

from hcabi_nested.cpio import CpioWriter  # noqa: E402

# The one /init both tests boot (issue: "the same initramfs under plain
# QEMU"): it loads hcabi.ko with the shutdown code from the command line
# (hcabitest.code=N, hcabitest.name=NAME) and says what it sees in "TAG KEY
# VALUE" lines. On a hypervisor without HCABI the module refuses, and /init
# stops there through isa-debug-exit (port 0xf4: refvmm exits 3, QEMU with
# `-device isa-debug-exit` too). On refvmm it goes on: sysfs, hvc0 in and out,
# the clocksource, the CPUs, then power-off through the driver.
TAG = "hcabi-linux:"


def busybox_initramfs(busybox: Path, module: Path, init: str) -> bytes:
    """A newc archive: /bin/busybox (and /bin/sh), /dev/console and /dev/null,
    /proc and /sys to mount on, /hcabi.ko, and `init` as /init."""
    cpio = CpioWriter()
    for d in ("bin", "dev", "proc", "sys"):
        cpio.mkdir(d)
    cpio.add_chardev("dev/console", 5, 1)
    cpio.add_chardev("dev/null", 1, 3, 0o666)
    cpio.add_file("bin/busybox", busybox.read_bytes(), 0o755)
    cpio.add_symlink("bin/sh", "busybox")
    cpio.add_file("hcabi.ko", module.read_bytes())
    cpio.add_file("init", init.encode(), 0o755)
    return cpio.finish()


INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# from here only this script writes to the console: a kernel message could
# land inside one of its lines (seen with 2 vCPUs); the log stays in dmesg
dmesg -n 1
say() {{ echo "{TAG} $*"; }}
fail() {{ # end the VM through isa-debug-exit (port 0xf4): refvmm exits 3
    say "FAIL $*"
    dmesg | tail -n 25 | sed 's/^/{TAG} dmesg /'
    printf '\\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    sleep 5
    poweroff -f
}}
for w in $(cat /proc/cmdline); do
    case $w in
        hcabitest.code=*) code=${{w#*=}} ;;
        hcabitest.name=*) name=${{w#*=}} ;;
        hcabitest.end=*) end=${{w#*=}} ;;
    esac
done
out=$(insmod /hcabi.ko shutdown_code=$code 2>&1)
rc=$?
say "insmod rc=$rc $out"
dmesg | grep 'hcabi' | sed 's/^/{TAG} dmesg /'
say "after-insmod sysfs=$([ -e /sys/hypervisor/hcabi ] && echo present || echo absent)" \
    "module=$(grep -q '^hcabi ' /proc/modules && echo loaded || echo absent)"
[ $rc = 0 ] || fail "insmod hcabi.ko"
for f in spec_version impl_id impl_version extensions cpuid_base signature; do
    say "sysfs $f=$(cat /sys/hypervisor/hcabi/$f)"
done
[ -c /dev/hvc0 ] || fail "no /dev/hvc0"
# The console's output (the UART, drained by its interrupts after write()
# returns) and hvc0's (CONSOLE.WRITE) meet in refvmm's output: each tty is
# drained before the other one writes, or their lines tear each other (seen
# with 2 vCPUs). stty sets its modes with TCSADRAIN: it returns once the
# tty's output is out.
stty ixon </dev/console
# one open for the whole exchange: input that arrives while the tty is open
# waits in its buffer; a last close would drop it
exec 3<>/dev/hvc0
stty -echo <&3
read -r -t 60 line <&3
rc=$?
stty -echo <&3
say "hvc-read rc=$rc line=[$line]"
stty ixon </dev/console
printf 'hvc0-says-hello %s\\n' "$name" >&3
stty -echo <&3
exec 3>&-
cs=/sys/devices/system/clocksource/clocksource0
say "clocksource available=$(cat $cs/available_clocksource)"
echo hcabi >$cs/current_clocksource
say "clocksource current=$(cat $cs/current_clocksource)"
a=$(cut -d' ' -f1 /proc/uptime)
sleep 1
b=$(cut -d' ' -f1 /proc/uptime)
say "uptime before=$a after=$b"
say "cpus online=$(cat /sys/devices/system/cpu/online)"
say "done"
if [ "$end" = reboot ]; then
    reboot -f
    sleep 10
    fail "reboot -f returned"
fi
poweroff -f
sleep 10
fail "poweroff -f returned"
"""
