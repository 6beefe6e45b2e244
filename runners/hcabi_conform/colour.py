"""Colour on a terminal: statuses and verdicts in the colours test tools
use (green pass, red failures, yellow skip, magenta errors).

On when the stream is a terminal, unless NO_COLOR is set to anything but the
empty string (https://no-color.org); `--color=always|never` overrides both.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

MODES = ("auto", "always", "never")

_SGR = {
    "pass": "32", "conformant": "32", "accepted": "32",  # green
    "skip": "33", "warning": "33",  # yellow
    "fail": "31", "timeout": "31", "crash": "31", "non-conformant": "31", "rejected": "31", "failure": "31",  # red
    "error": "35",  # magenta
}  # fmt: skip
_COUNT = re.compile(r"\b(pass|skip|fail|timeout|crash|error)=(\d+)")


def colour_enabled(mode: str, stream: TextIO) -> bool:
    """Whether to colour what goes to `stream` under --color=`mode`."""
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class Palette:
    """Paints text by status; a disabled palette returns text unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, status: str) -> str:
        code = _SGR.get(status.lower())
        if not self.enabled or code is None:
            return text
        return f"\033[{code}m{text}\033[0m"

    def counts(self, text: str) -> str:
        """Colour every `status=N` in a progress line."""
        if not self.enabled:
            return text
        return _COUNT.sub(lambda m: self.paint(m.group(0), m.group(1)), text)


PLAIN = Palette(False)
