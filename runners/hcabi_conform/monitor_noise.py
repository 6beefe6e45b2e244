"""QEMU monitor text in a VMM's output: the `-nographic` pitfall of
`--target cmd` (docs/vendor-guide.md, "Pitfalls").

`-nographic` hands QEMU's stdio to the monitor: alone it multiplexes the
monitor with the serial port on stdout (`mon:stdio`), and beside `-serial
file:...` it puts the monitor alone on stdout, which prints its banner and a
`(qemu)` prompt there. Whatever file that lands in, the runner reads it: the
serial log is judged line by line, and the last line of the VMM's stdout and
stderr (kept as IMAGE.stderr when the template has {serial}) becomes each
boot's ending detail in the report. The runner cannot tell such text from
the VMM's own, so it removes nothing; it says once what it found and the fix.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterable, Optional, TextIO

from .model import BootRecord

# QEMU's monitor banner ("QEMU 7.2.22 monitor - type 'help' for more
# information") and its prompt at the start of a line.
MONITOR_TEXT = re.compile(rb"QEMU \d\S* monitor - type 'help' for more information|^\(qemu\)", re.MULTILINE)
LOGS = ("serial", "stderr")  # the boot's logs a VMM writes to (BootRecord.logs)


def monitor_text(path: Path) -> Optional[str]:
    """The first piece of QEMU monitor text in the file, or None (also when
    the file cannot be read: a missing log is reported elsewhere)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    found = MONITOR_TEXT.search(data)
    return found.group(0).decode("ascii", "replace") if found else None


def monitor_warning(boots: Iterable[BootRecord]) -> Optional[str]:
    """One line naming the boots whose logs hold QEMU monitor text, the
    first such file and the fix; None when there is none."""
    hits = []
    for boot in boots:
        for log in LOGS:
            path = boot.logs.get(log)
            text = monitor_text(Path(path)) if path else None
            if text is not None:
                hits.append((boot.image, path, text))
                break
    if not hits:
        return None
    image, path, text = hits[0]
    others = f" and {len(hits) - 1} other boot(s)" if len(hits) > 1 else ""
    return (
        f"warning: QEMU monitor output ({text!r}) in the VMM's output of {image}{others} ({path}): the monitor shares "
        "QEMU's stdio with the serial port or the VMM's messages; use -display none -monitor none, not -nographic, "
        "in --vmm-cmd (docs/vendor-guide.md, Pitfalls)"
    )


def warn_monitor_noise(boots: Iterable[BootRecord], stream: Optional[TextIO] = None) -> None:
    """Print monitor_warning's line, if any, on stderr (the hook of `run`)."""
    line = monitor_warning(boots)
    if line is not None:
        print(f"hcabi-conform: {line}", file=stream or sys.stderr, flush=True)
