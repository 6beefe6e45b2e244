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
