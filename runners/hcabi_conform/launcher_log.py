"""The nested launcher's progress lines: the one place that knows their shape.

scripts/hcabi-nested writes these lines on its standard output (and the
job-timeout line into a killed job's NAME.stderr); the runner's nested
target (timing.py: each boot's time inside the nested VM), hcabi-bench and
hcabi-mutate read them back. The launcher writes them with the functions
below and the readers parse them with the patterns next to them, so a change
of wording cannot make one side miss what the other says.

    hcabi-nested: KVM is up inside after 8.2 s (vendor=amd)
    hcabi-nested: holder is up after 8.5 s (nested-probe: hold=ready ...)
    hcabi-nested: base: started
    hcabi-nested: base: status 1 (10.8 s)
    hcabi-nested: vcpu: status 10 (0.4 s) KILLED by --job-timeout
    hcabi-nested: 3 job(s) ran in 29.1 s, KVM up after 8.2 s; results in out
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

LAUNCHER = "hcabi-nested"  # the launcher's name, the prefix of every line it says
ERROR_PREFIX = f"{LAUNCHER}: error"  # its one-line reason when the batch failed (stderr)
JOB_TIMEOUT_OPTION = "--job-timeout"  # named by the last line of a killed job's NAME.stderr


def kvm_up(seconds: float, detail: str) -> str:
    return f"KVM is up inside after {seconds:.1f} s ({detail})"


def holder_up(seconds: float, detail: str) -> str:
    return f"holder is up after {seconds:.1f} s ({detail})"


def job_started(name: str) -> str:
    """Said when a job starts inside the nested VM: the runner's heartbeat
    names the boot that is running, and -v shows its command then."""
    return f"{name}: started"


def job_done(name: str, status: int, seconds: float, killed: bool) -> str:
    return f"{name}: status {status} ({seconds:.1f} s)" + (f" KILLED by {JOB_TIMEOUT_OPTION}" if killed else "")


def batch_ran(jobs: int, seconds: float, rest: str) -> str:
    return f"{jobs} job(s) ran in {seconds:.1f} s{rest}"


def job_killed(seconds: int) -> str:
    """The line that ends a killed job's NAME.stderr (docs/internals.md)."""
    return f"{LAUNCHER}: killed after {seconds} s ({JOB_TIMEOUT_OPTION})"


_KVM_UP = re.compile(rf"^{LAUNCHER}: KVM is up inside after ([0-9.]+) s")
_HOLDER_UP = re.compile(rf"^{LAUNCHER}: holder is up after ([0-9.]+) s")
JOB_START = re.compile(rf"^{LAUNCHER}: ([A-Za-z0-9_][A-Za-z0-9_.+-]*): started$")
JOB_LINE = re.compile(rf"^{LAUNCHER}: ([A-Za-z0-9_][A-Za-z0-9_.+-]*): status -?[0-9]+ \(([0-9.]+) s\)")
_RAN = re.compile(rf"^{LAUNCHER}: [0-9]+ job\(s\) ran in ([0-9.]+) s")


@dataclass
class LauncherLog:
    """What scripts/hcabi-nested said about one batch (its stdout)."""

    kvm_up: Optional[float] = None
    holder_up: Optional[float] = None
    jobs: dict[str, float] = field(default_factory=dict)
    ran: Optional[float] = None  # "N job(s) ran in T s"


def parse_launcher_log(text: str) -> LauncherLog:
    """The launcher's progress lines; unknown lines are ignored, so a
    launcher that says less gives less."""
    log = LauncherLog()
    for line in text.splitlines():
        if m := _KVM_UP.match(line):
            log.kvm_up = float(m.group(1))
        elif m := _HOLDER_UP.match(line):
            log.holder_up = float(m.group(1))
        elif m := JOB_LINE.match(line):
            log.jobs[m.group(1)] = float(m.group(2))
        elif m := _RAN.match(line):
            log.ran = float(m.group(1))
    return log


def read_launcher_log(path: Path) -> LauncherLog:
    try:
        return parse_launcher_log(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return LauncherLog()


class LogFollower:
    """Reads the launcher's output file while it is being written: each call
    of new_lines() gives the complete lines appended since the last call (a
    partial last line waits for its newline), and text() everything so far.
    The runner's nested target uses it to finish each boot as soon as the
    launcher says its job is done, instead of after the whole batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos = 0
        self._partial = b""
        self._lines: list[str] = []

    def new_lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except OSError:
            return []
        self._pos += len(data)
        data = self._partial + data
        complete, newline, self._partial = data.rpartition(b"\n")
        if not newline:
            return []
        lines = complete.decode("utf-8", "replace").split("\n")
        self._lines += lines
        return lines

    def text(self) -> str:
        return "\n".join(self._lines)
