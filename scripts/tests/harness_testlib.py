"""What the tests of the harness tools in scripts/ share: the package roots,
and the tiny ELF the nested launcher's job and guest tests build.

The tools (hcabi_nested, hcabi_repeat, hcabi_mutate) import the runner's
package (hcabi_conform, in runners/) and the shared input reader (hcabi_load,
in scripts/); their entry scripts set those roots, and importing this module
does the same for a test, once. (Not a conftest.py: runners/tests has one
whose names its tests import, and two modules named conftest cannot both be
imported in one pytest run.)
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent
for root in (SCRIPTS.parent / "runners", SCRIPTS):
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def elf64(interp: bytes | None) -> bytes:
    """A minimal ELF64 file with one PT_INTERP (or PT_LOAD) program header."""
    hdr = bytearray(64)
    hdr[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", hdr, 0x20, 64)  # e_phoff
    struct.pack_into("<HH", hdr, 0x36, 56, 1)  # e_phentsize, e_phnum
    payload = (interp or b"") + b"\0"
    ph = struct.pack("<IIQQQQQQ", 3 if interp else 1, 0, 120, 0, 0, len(payload), len(payload), 1)
    return bytes(hdr) + ph + payload
