"""hcabi-refvmm's exit statuses, read from their one definition.

refvmm defines its exit statuses once, in
`reference-impl/refvmm/src/exit_statuses.def` (an X-macro it compiles in);
this module reads the same file, so that the runner's idea of what a status
means cannot drift from refvmm's. Each entry is one line
`HCABI__EXIT_STATUS(NAME, STATUS, "event", "meaning")`; the event is the
Ending kind the runner reports for that status.
"""

from __future__ import annotations

import functools
import re

from . import layout
from .errors import EnvError

_ENTRY = re.compile(r'HCABI__EXIT_STATUS\((\w+), (\d+), "([a-z-]+)", "[^"]*"\)')


def parse_exit_statuses(text: str, where: str) -> dict[int, str]:
    """{status: event} from the text of exit_statuses.def; EnvError names
    the file and line of anything else outside its comments."""
    table: dict[int, str] = {}
    in_comment = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_comment or line.startswith("/*"):
            in_comment = "*/" not in line
            continue
        if not line:
            continue
        m = _ENTRY.fullmatch(line)
        if not m:
            raise EnvError(f"{where}:{number}: not an entry HCABI__EXIT_STATUS(NAME, STATUS, \"event\", \"meaning\"): {line[:80]}")
        status, event = int(m.group(2)), m.group(3)
        if status in table:
            raise EnvError(f"{where}:{number}: status {status} is defined twice")
        table[status] = event
    if not table:
        raise EnvError(f"{where}: defines no exit status")
    return table


@functools.cache
def refvmm_exit_events() -> dict[int, str]:
    """{status: event} of hcabi-refvmm (read once)."""
    definition = layout.current().exit_statuses  # installed beside the images (layout.py)
    try:
        text = definition.read_text(encoding="utf-8")
    except OSError as e:
        raise EnvError(f"{definition}: cannot read refvmm's exit statuses: {e.strerror or e}") from None
    return parse_exit_statuses(text, str(definition))
