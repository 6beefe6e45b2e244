"""Which architecture an image file is for, from its first bytes: an ELF
file's e_machine (the x86-64 PVH images), or the Linux Image header's magic
(the arm64 and riscv64 images, booted as Linux kernels are). `run`, `list`
and `coverage --arch A` refuse a suite whose images are of another
architecture, so that an x86-64 build is never judged as arm64."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Optional

# ELF e_machine values (the System V ABI's registry)
_ELF_MACHINES = {62: "x86_64", 183: "arm64", 243: "riscv64"}
# Linux Image headers: the magic at offset 56 (Documentation/arch/arm64/booting.rst,
# Documentation/arch/riscv/boot-image-header.rst)
_IMAGE_MAGICS = {b"ARM\x64": "arm64", b"RSC\x05": "riscv64"}


def image_arch(path: Path) -> Optional[str]:
    """The architecture of the image at `path`, or None when its header is
    neither (not an image this project builds, or unreadable)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return None
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        return _ELF_MACHINES.get(struct.unpack_from("<H", head, 18)[0])
    return _IMAGE_MAGICS.get(head[56:60]) if len(head) >= 60 else None
