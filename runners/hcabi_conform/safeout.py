"""Standard output that cannot turn a verdict into a traceback.

`hcabi-conform gate ... | true` (the reader is gone: EPIPE) and `... >
/dev/full` (ENOSPC) must keep the command's exit status: CI reads the status,
not the text. The CLI writes through GuardedStdout and calls finish_stdout
before it returns.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional


class GuardedStdout:
    """stdout that never raises: `gate ... | true` (EPIPE) and `> /dev/full`
    (ENOSPC) must not turn a verdict into a traceback or another exit
    status. The first failure is kept; later writes are dropped."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.error: Optional[OSError] = None

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                return int(self.stream.write(text))
            except OSError as exc:
                self.error = exc
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self.stream.flush()
            except OSError as exc:
                self.error = exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def finish_stdout(guard: GuardedStdout, prog: str) -> None:
    """Flush; if stdout failed, say so once (not for a closed pipe: the
    reader chose to stop) and point fd 1 at /dev/null so that the
    interpreter's own flush at exit stays quiet."""
    guard.flush()
    if guard.error is None:
        return
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except OSError:
        pass
    if not isinstance(guard.error, BrokenPipeError):
        print(f"{prog}: error: cannot write to standard output: {guard.error.strerror or guard.error}", file=sys.stderr)
