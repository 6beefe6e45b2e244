"""HCABI MAJOR.MINOR versions.

Versions are compared numerically (1.10 > 1.9), never as strings, which is why
they get a type of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION_RE = re.compile(r"^(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})$")


@dataclass(frozen=True, order=True)
class Version:
    """A spec version; ordered so that `a <= b` means 'a is not newer than b'."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: object) -> "Version":
        """Parse 'X.Y'; raise ValueError with a readable message otherwise."""
        if not isinstance(text, str) or not _VERSION_RE.match(text):
            raise ValueError(f"not a MAJOR.MINOR version: {text!r}")
        major, minor = text.split(".")
        return cls(int(major), int(minor))

    @classmethod
    def is_valid(cls, text: object) -> bool:
        """True when `text` parses as a version."""
        return isinstance(text, str) and bool(_VERSION_RE.match(text))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"
