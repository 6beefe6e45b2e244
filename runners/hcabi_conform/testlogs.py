"""Per-test views of a report's boots, for the JUnit and HTML reports: each
test's excerpt of its boot's serial log, and the share of its boot's time.

Excerpt: the lines of the boot's serial log from the test's `test-begin` to
its `test-end` (free-form text between them included: the tests of one image
run one after another on vCPU 0, so what the log holds between the two lines
was written while that test ran). Protocol lines are shown without their
sequence number, MAC and CRC (`protocol.item_text`). A test that never began
in its boot (HCABI absent, a crash or timeout before it) gets the end of the
boot's log instead, and says so. A log that is missing, or whose SHA-256 is
not the one the report's evidence records (changed since the run), gives no
excerpt, only the reason.

Time: the guest does not time single tests (no protocol line carries a time),
so a test's own duration is unknown. The boot's wall time is known (below);
each test that began in the boot gets an equal share of it (so the shares of
a boot add up to the boot's time) and a test that never began gets 0; when no
test began (HCABI absent, a crash before the first test, an unreadable log),
every test of the image gets an equal share, so that the boot's time still
counts. The JUnit testcase properties say which basis was used.
The boot's time, best first: `duration_s` (the boot's own wall time), the
nested launcher's per-job time (`timing.job`: that boot inside the nested
VM), `timing.total` (a VMM run here, start to exit), `duration` unless the
boot was one of a nested batch (there it is the whole batch's time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .evidence import DEFAULT_SERIAL_LIMIT, sha256_file
from .protocol import Record, item_text, read_items

HEAD_LINES = 60  # an overlong excerpt keeps its first and last lines,
TAIL_LINES = 60  # and every failing check in between
KEEP_PER_TEST = 20000  # lines held per test while reading (a flood is capped by --serial-limit anyway)
NOT_BEGUN_TAIL = 25


@dataclass
class Excerpt:
    """One test's lines of its boot's serial log (`lines`), or why there
    are none (`note`); `begun` says whether the test began in that boot."""

    log: str = ""
    lines: list[str] = field(default_factory=list)
    note: str = ""
    begun: bool = False
    omitted: int = 0

    def text(self) -> str:
        """The excerpt as one block: the note first, then the lines."""
        return "\n".join(([self.note] if self.note else []) + self.lines)


@dataclass
class BootLog:
    """What one boot's serial log says, test by test."""

    image: str
    path: str
    tests: dict[str, list[str]] = field(default_factory=dict)  # test -> its lines, begin to end
    cut: dict[str, int] = field(default_factory=dict)  # test -> lines not kept while reading
    tail: list[str] = field(default_factory=list)
    problem: str = ""


def _read_boot(boot: dict[str, Any]) -> BootLog:
    """Split one boot's serial log into tests (see the module docstring)."""
    image = str(boot.get("image", ""))
    path = str((boot.get("logs") or {}).get("serial") or "")
    log = BootLog(image, path)
    if not path:
        log.problem = "the report names no serial log for this boot"
        return log
    evidence = boot.get("evidence") or {}
    want = evidence.get("serial_sha256")
    if not Path(path).is_file():
        log.problem = f"serial log {path} is not here (the report was made elsewhere, or the log was removed)"
        return log
    if isinstance(want, str) and sha256_file(Path(path)) != want:
        log.problem = f"serial log {path} changed since the run (its SHA-256 is not the one the report records): not shown"
        return log
    limit = evidence.get("serial_limit")
    limit = limit if isinstance(limit, int) and limit > 0 else DEFAULT_SERIAL_LIMIT
    current: Optional[str] = None
    tail: list[str] = []
    try:
        with open(path, "rb") as stream:
            for item in read_items(stream, limit=limit):
                text = item_text(item)
                tail.append(text)
                if len(tail) > 4 * NOT_BEGUN_TAIL:
                    del tail[: len(tail) - NOT_BEGUN_TAIL]
                is_record = isinstance(item, Record)
                if is_record and item.kind == "test-begin":
                    current = item.fields.get("name", "")
                    log.tests[current] = []
                if current is not None:
                    lines = log.tests[current]
                    if len(lines) < KEEP_PER_TEST or " result=fail " in f" {text} ":
                        lines.append(text)
                    else:
                        log.cut[current] = log.cut.get(current, 0) + 1
                if is_record and item.kind in ("test-end", "suite-end"):
                    current = None
    except OSError as exc:
        log.problem = f"cannot read serial log {path}: {exc.strerror or exc}"
    log.tail = tail[-NOT_BEGUN_TAIL:]
    return log


def _shorten(lines: list[str]) -> tuple[list[str], int]:
    """Keep the head, the tail and every failing check of a long excerpt."""
    if len(lines) <= HEAD_LINES + TAIL_LINES:
        return lines, 0
    middle = lines[HEAD_LINES:-TAIL_LINES]
    kept = [ln for ln in middle if "check result=fail " in ln]
    omitted = len(middle) - len(kept)
    marker = f"[... {omitted} line(s) of this test not shown; the full log has them ...]"
    return lines[:HEAD_LINES] + [marker] + kept + ([marker] if kept else []) + lines[-TAIL_LINES:], omitted


class TestLogs:
    """Excerpts and time shares for every result of a report; each boot's
    log is read once, when first needed."""

    __test__ = False  # not a pytest test class

    def __init__(self, report: dict[str, Any]) -> None:
        self._boots = {str(b.get("image", "")): b for b in report.get("boots") or [] if isinstance(b, dict)}
        self._logs: dict[str, BootLog] = {}

    def boot(self, image: str) -> Optional[dict[str, Any]]:
        return self._boots.get(image)

    def _log(self, image: str) -> Optional[BootLog]:
        boot = self._boots.get(image)
        if boot is None:
            return None
        if image not in self._logs:
            self._logs[image] = _read_boot(boot)
        return self._logs[image]

    def excerpt(self, image: str, test: str) -> Excerpt:
        """`test`'s lines of the serial log of the boot of `image`."""
        log = self._log(image)
        if log is None:
            return Excerpt(note=f"image {image} was not booted in this run: no log")
        if log.problem:
            return Excerpt(log=log.path, note=log.problem)
        if test in log.tests:
            lines, omitted = _shorten(log.tests[test])
            omitted += log.cut.get(test, 0)
            return Excerpt(log=log.path, lines=lines, begun=True, omitted=omitted)
        note = f"{test} did not begin in this boot; the last {len(log.tail)} line(s) of the boot's serial log:"
        return Excerpt(log=log.path, lines=list(log.tail), note=note)

    def began(self, image: str) -> list[str]:
        """The tests that began in the boot of `image`, in log order."""
        log = self._log(image)
        return list(log.tests) if log and not log.problem else []

    def test_seconds(self, image: str, test: str, results_of_image: Iterable[str]) -> tuple[Optional[float], str]:
        """`test`'s share of its boot's time and how it was reckoned (the
        module docstring)."""
        boot = self._boots.get(image)
        seconds, basis = boot_seconds(boot) if boot else (None, "no boot")
        if seconds is None:
            return None, basis
        began = self.began(image)
        among = began or list(results_of_image)
        if began and test not in began:
            return 0.0, f"did not begin in boot {image}"
        share = seconds / max(1, len(among))
        return share, f"1/{len(among)} of boot {image} ({seconds:.3f} s, {basis}): the guest does not time single tests"


def boot_seconds(boot: dict[str, Any]) -> tuple[Optional[float], str]:
    """A boot's wall time in seconds and where it came from (see the module
    docstring), or (None, why not)."""
    timing = boot.get("timing") if isinstance(boot.get("timing"), dict) else {}
    for value, basis in (
        # duration_s: the job's time inside the nested VM when nested, else the VMM's start to exit
        (boot.get("duration_s"), "its job's time in the nested VM" if "batch" in timing else "VMM start to exit"),
        (timing.get("job"), "its job's time in the nested VM"),
        (timing.get("total"), "VMM start to exit"),
        (None if "batch" in timing else boot.get("duration"), "VMM start to exit"),
    ):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e7:
            return float(value), basis
    return None, "the report records no time of its own for this boot"
