"""What `run` says while it runs (stderr): one line per boot as it finishes,
with its real duration; with -v each VMM command line as it is run; and a
heartbeat naming what is still running when nothing was said for a while
(a nested VM boots for a minute before its first job ends).

    hcabi-conform: [3/16] console: pass=12 (exit, 2.1 s)
    hcabi-conform: $ /build/.../hcabi-refvmm --vcpus 1 ... hcabi-conf-base.elf
    hcabi-conform: still booting the nested VM (45 s)
"""

from __future__ import annotations

import shlex
import threading
import time
from typing import Sequence, TextIO

from .colour import PLAIN, Palette
from .model import BootRecord, TestResult
from .targets import BootEvents

PROG = "hcabi-conform"
HEARTBEAT_S = 15.0
COUNTED = ("pass", "fail", "skip", "error", "timeout", "crash")


def boot_line(record: BootRecord, results: list[TestResult], done: int, total: int, palette: Palette = PLAIN) -> str:
    """The line that says a boot finished."""
    counts = {s: sum(1 for r in results if r.raw_status == s) for s in COUNTED}
    shown = " ".join(f"{k}={v}" for k, v in counts.items() if v) or "no tests"
    took = f", {record.duration_s:.1f} s" if record.duration_s is not None else ""
    return f"{PROG}: [{done}/{total}] {record.image}: {palette.counts(shown)} ({record.ending.kind}{took})"


class Progress(BootEvents):
    """The terminal side of a run: the targets' events and the runner's
    finished boots. `quiet` drops the boot lines and the heartbeat, `verbose`
    adds the command lines. Use as a context manager (the heartbeat's thread)."""

    def __init__(self, stream: TextIO, palette: Palette = PLAIN, verbose: bool = False, quiet: bool = False, heartbeat: float = HEARTBEAT_S) -> None:
        self.stream = stream
        self.palette = palette
        self.verbose = verbose
        self.quiet = quiet
        self.heartbeat = heartbeat
        self._lock = threading.Lock()
        self._running: dict[str, tuple[str, float]] = {}  # key -> (what, since)
        self._last_said = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> "Progress":
        if not self.quiet:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)
            self._last_said = time.monotonic()

    # -- BootEvents ------------------------------------------------------------

    def command(self, argv: Sequence[str], where: str = "") -> None:
        if self.verbose:
            self.say(f"{PROG}: {where + ': ' if where else ''}$ {shlex.join(argv)}")

    def started(self, key: str, what: str) -> None:
        with self._lock:
            self._running[key] = (what, time.monotonic())

    def stopped(self, key: str) -> None:
        with self._lock:
            self._running.pop(key, None)

    # -- the runner's finished boots -------------------------------------------

    def boot_done(self, record: BootRecord, results: list[TestResult], done: int, total: int) -> None:
        self.stopped(record.image)
        if not self.quiet:
            self.say(boot_line(record, results, done, total, self.palette))

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat / 4)):
            now = time.monotonic()
            with self._lock:
                quiet_for = now - self._last_said
                running = sorted(self._running.values(), key=lambda item: item[1])
            if running and quiet_for >= self.heartbeat:
                self.say(f"{PROG}: still booting " + ", ".join(f"{what} ({now - since:.0f} s)" for what, since in running))
