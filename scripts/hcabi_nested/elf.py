"""What the launcher reads from ELF files: a program's interpreter (a
dynamically linked program cannot run in the guest), its machine (one for
another architecture cannot either) and a kernel module's .modinfo (its
dependencies)."""

from __future__ import annotations

import struct
from typing import Optional


def elf_interpreter(data: bytes) -> Optional[str]:
    """The PT_INTERP of an ELF file (a dynamically linked program), or None
    (static, or not ELF).  Raises ValueError on a truncated ELF header."""
    if data[:4] != b"\x7fELF":
        return None
    if len(data) < 0x34:
        raise ValueError("truncated ELF header")
    cls, endian = data[4], data[5]
    e = "<" if endian == 1 else ">"
    if cls == 2:
        if len(data) < 0x40:
            raise ValueError("truncated ELF header")
        phoff = struct.unpack_from(e + "Q", data, 0x20)[0]
        phentsize, phnum = struct.unpack_from(e + "HH", data, 0x36)
        fmt, off_i, size_i = e + "IIQQQQQQ", 2, 5  # Elf64_Phdr: type flags offset vaddr paddr filesz
    elif cls == 1:
        phoff = struct.unpack_from(e + "I", data, 0x1C)[0]
        phentsize, phnum = struct.unpack_from(e + "HH", data, 0x2A)
        fmt, off_i, size_i = e + "IIIIIIII", 1, 4  # Elf32_Phdr: type offset vaddr paddr filesz
    else:
        raise ValueError("unknown ELF class")
    for i in range(phnum):
        base = phoff + i * phentsize
        if base + struct.calcsize(fmt) > len(data):
            raise ValueError("truncated ELF program headers")
        fields = struct.unpack_from(fmt, data, base)
        if fields[0] == 3:  # PT_INTERP
            off, size = fields[off_i], fields[size_i]
            return data[off : off + size].split(b"\0", 1)[0].decode("utf-8", "replace")
    return None



def elf_machine(data: bytes) -> Optional[int]:
    """The e_machine of an ELF file (62 x86-64, 183 AArch64), or None if it is not ELF."""
    if data[:4] != b"\x7fELF" or len(data) < 20:
        return None
    return struct.unpack_from("<H" if data[5] == 1 else ">H", data, 18)[0]


def modinfo(ko: bytes) -> dict[str, list[str]]:
    """The ``.modinfo`` section of a (decompressed) ELF64 kernel module."""
    if ko[:4] != b"\x7fELF" or ko[4] != 2:
        raise ValueError("not an ELF64 module")
    e = "<" if ko[5] == 1 else ">"
    shoff = struct.unpack_from(e + "Q", ko, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", ko, 0x3A)

    def sh(i: int) -> tuple[int, int, int]:
        name, _typ, _flags, _addr, off, size = struct.unpack_from(e + "IIQQQQ", ko, shoff + i * shentsize)
        return name, off, size

    _, stroff, strsize = sh(shstrndx)
    strtab = ko[stroff : stroff + strsize]
    info: dict[str, list[str]] = {}
    for i in range(shnum):
        name, off, size = sh(i)
        if strtab[name:].split(b"\0", 1)[0] == b".modinfo":
            for item in ko[off : off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
    return info


