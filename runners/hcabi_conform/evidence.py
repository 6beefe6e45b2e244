"""Fresh evidence per boot: the nonce, the image key, the line MAC.

Protocol 2 (docs/internals.md, "The serial result protocol") binds every
protocol line to one boot of one build's image:

- the runner makes a fresh random nonce per boot (`new_nonce`) and gives it to
  the image on the PVH command line (`hcabi.nonce=HEX`, `cmdline_arg`);
- every image of a build carries the build's 32-byte key after a fixed
  16-byte magic (`image_key` reads it back from the image file);
- K = SHA-256(key || nonce as ASCII hex); each line carries a sequence number
  and MAC = the first 8 bytes of HMAC-SHA256(K, the line up to its MAC field).

A VMM that runs the image faithfully cannot be told apart from a conforming
one by this (nor by anything on the serial port); one that prints lines of its
own, or replays another boot's log, can -- unless its author extracts the key
from this build's image binary.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Optional

from .errors import EnvError

MAGIC = b"\x89HCABI-KEY\r\n\x1a\n\x00\x01"
KEY_BYTES = 32
MAC_HEX = 16
NONCE_ARG = "hcabi.nonce="
DEFAULT_SERIAL_LIMIT = 16 << 20
_SCAN_CHUNK = 1 << 20


def new_nonce() -> str:
    """A fresh nonce for one boot: 32 lower-case hex digits."""
    return secrets.token_hex(16)


def cmdline_arg(nonce: str) -> str:
    """The guest command line that hands `nonce` to the image."""
    return NONCE_ARG + nonce


def image_key(path: Path) -> bytes:
    """The build's key compiled into an image: the 32 bytes after MAGIC.
    Raises EnvError naming the file when it cannot be read, carries no key,
    or carries more than one (an image must be unambiguous)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EnvError(f"cannot read image {path}: {exc.strerror or exc}") from None
    first = data.find(MAGIC)
    if first < 0 or len(data) < first + len(MAGIC) + KEY_BYTES:
        raise EnvError(f"image {path} carries no evidence key (built by an older tree, or not a conformance image): rebuild it")
    if data.find(MAGIC, first + 1) >= 0:
        raise EnvError(f"image {path} carries more than one evidence key blob: rebuild it")
    start = first + len(MAGIC)
    return data[start : start + KEY_BYTES]


def sha256_file(path: Path) -> Optional[str]:
    """Hex SHA-256 of a file, or None when it cannot be read (absent log)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_SCAN_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def line_key(key: bytes, nonce: str) -> bytes:
    """K = SHA-256(image key || nonce as ASCII)."""
    return hashlib.sha256(key + nonce.encode("ascii")).digest()


CONSOLE_ALPHABET = b"abcdefghijklmnopqrstuvwxyz234567"
CONSOLE_LINE = 48
CONSOLE_INPUT_LABEL = "console-input"
CONSOLE_INPUT_BYTES = 200


def console_bytes(k: bytes, label: str, length: int) -> bytes:
    """The console data-path stream `label` of a boot whose line key is `k`
    (docs/internals.md, "Console data paths"; the guest's console_data.c):
    raw = HMAC(K, "LABEL:0") || HMAC(K, "LABEL:1") || ...; byte i is a newline
    when i % 48 == 47, else ALPHABET[raw[i] % 32]. Unpredictable without the
    key, printable, line-structured, and never containing '@'."""
    out = bytearray()
    for block in range((length + 31) // 32):
        raw = hmac.new(k, f"{label}:{block}".encode("ascii"), hashlib.sha256).digest()
        for j, byte in enumerate(raw[: length - 32 * block]):
            i = 32 * block + j
            out.append(10 if i % CONSOLE_LINE == CONSOLE_LINE - 1 else CONSOLE_ALPHABET[byte % 32])
    return bytes(out)


def console_input(key: bytes, nonce: str, length: int = CONSOLE_INPUT_BYTES) -> bytes:
    """The console input a boot is fed (refvmm --console-input, {console_input})."""
    return console_bytes(line_key(key, nonce), CONSOLE_INPUT_LABEL, length)


def line_mac(k: bytes, data: bytes) -> str:
    """The MAC field of a line whose bytes before ` ~` are `data`."""
    return hmac.new(k, data, hashlib.sha256).hexdigest()[:MAC_HEX]


@dataclass(frozen=True)
class EvidenceContext:
    """What one boot's lines must prove: they were made by this build's image
    (`key`) during this boot (`nonce`). `serial_limit` is the most of the
    serial log the runner reads."""

    nonce: str
    key: bytes
    serial_limit: int = DEFAULT_SERIAL_LIMIT

    @cached_property
    def k(self) -> bytes:
        return line_key(self.key, self.nonce)

    def mac(self, data: bytes) -> str:
        return line_mac(self.k, data)

    def verify(self, data: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(data), mac.lower())
