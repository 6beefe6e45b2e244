"""Where a run's time goes: booting or testing.

Each boot's record carries `timing` (seconds; a key is absent when the
target cannot tell):

- a target that runs one VMM per boot here (direct refvmm, QEMU, --vmm-cmd):
  `total` from the VMM's start to its exit, `hello` from the start to the
  moment the image's `@hcabi 0 hello` line appeared in its serial log (the VMM
  starting and the image booting), and `tests` = total - hello (what the
  image did after it said hello: its tests and its end). The serial log is
  polled every few milliseconds while the VMM runs; a VMM that buffers its
  output (refvmm flushes every 100 ms) makes `hello` that much later.
- the nested target, which boots a nested VM per batch and runs the boots in
  it one after another, reads the launcher's own report (its standard
  output, kept as `nested-K/launcher.log`; launcher_log.py): `job`, the boot's time inside the
  nested VM (refvmm's start to its exit: the image's boot and its tests),
  `batch` (K), `batch_vm_boot`, the time until KVM was up in the nested VM,
  `batch_holder_up` when a holder was used, and `batch_wall`, the whole
  launcher run as this host measured it.

`summarize()` adds the boots up for the report's top-level `timing`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from .launcher_log import LauncherLog

HELLO = b"@hcabi 0 hello "  # protocol 2: the hello is always sequence 0
POLL = 0.005
MAX_SCAN = 16 << 20  # give up looking for the hello line after this many bytes


class HelloWatch:
    """Watch a serial log while a VMM writes it: when does `@hcabi hello`
    first appear at the start of a line? Use as a context manager around the
    VMM's run; `result(total)` gives the boot's timing."""

    def __init__(self, path: Path, poll: float = POLL) -> None:
        self.path = path
        self.poll = poll
        self.start = time.monotonic()
        self.hello: Optional[float] = None
        self._pos = 0
        self._tail = b"\n"  # the file's start counts as a line start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hello-watch", daemon=True)

    def __enter__(self) -> "HelloWatch":
        self.start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.hello is None and self._pos <= MAX_SCAN:
            self._scan()  # it came within the last poll interval

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._scan() or self._pos > MAX_SCAN:
                return
            self._stop.wait(self.poll)

    def _scan(self) -> bool:
        """Read what was appended since the last scan; True once found."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                data = f.read(1 << 20)
        except OSError:
            return False  # not created yet
        if not data:
            return False
        now = time.monotonic()
        self._pos += len(data)
        if (self._tail + data).find(b"\n" + HELLO) >= 0:
            self.hello = now - self.start
            return True
        self._tail = (self._tail + data)[-len(HELLO) :]
        return False

    def result(self, total: Optional[float]) -> dict[str, float]:
        out: dict[str, float] = {}
        if total is not None:
            out["total"] = round(total, 3)
        if self.hello is not None and total is not None:
            hello = min(self.hello, total)
            out["hello"] = round(hello, 3)
            out["tests"] = round(total - hello, 3)
        return out


def nested_boot(log: LauncherLog, name: str, batch: int, wall: Optional[float]) -> dict[str, float]:
    """One nested boot's timing (see the module's docstring); a boot handed
    over while its batch still runs gets `batch_wall` when the batch ends."""
    out: dict[str, float] = {"batch": batch}
    if wall is not None:
        out["batch_wall"] = round(wall, 3)
    if name in log.jobs:
        out["job"] = log.jobs[name]
    if log.kvm_up is not None:
        out["batch_vm_boot"] = log.kvm_up
    if log.holder_up is not None:
        out["batch_holder_up"] = log.holder_up
    return out


def summarize(timings: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The run's time, split: `booting` (VMM start to hello of each boot
    the target watched live; for nested batches, each batch's nested VM boot
    until KVM -- and the holder -- was up), `testing` (hello to end; for
    nested boots, each job's whole time inside the nested VM, which includes
    refvmm's start and the image's boot: a few ms), `other` (nested: the rest
    of each batch's wall time -- copying files in, powering off), and
    `unsplit` (boots whose split is unknown). Sums over boots, in seconds;
    with --jobs > 1 boots overlap, so the sums can exceed the wall time.
    With nested batches, `batch_wall_max` is the longest batch's wall time:
    when the batches run at once (nested runs use two by default), the
    nested part of the run's wall time."""
    booting = testing = other = unsplit = 0.0
    batches: dict[int, dict[str, Any]] = {}
    boots = 0
    for t in timings:
        boots += 1
        if "batch" in t:
            b = batches.setdefault(int(t["batch"]), {"wall": float(t.get("batch_wall", 0.0)), "vm_boot": None, "jobs": 0.0})
            up = t.get("batch_holder_up", t.get("batch_vm_boot"))
            if up is not None:
                b["vm_boot"] = float(up)
            if "job" in t:
                b["jobs"] += float(t["job"])
                testing += float(t["job"])
        elif "hello" in t and "tests" in t:
            booting += float(t["hello"])
            testing += float(t["tests"])
        elif "total" in t:
            unsplit += float(t["total"])
    for b in batches.values():
        if b["vm_boot"] is not None:
            booting += b["vm_boot"]
            other += max(0.0, b["wall"] - b["vm_boot"] - b["jobs"])
        else:
            unsplit += max(0.0, b["wall"] - b["jobs"])
    return {
        "boots": boots,
        "booting": round(booting, 3),
        "testing": round(testing, 3),
        "other": round(other, 3),
        "unsplit": round(unsplit, 3),
        "nested_batches": len(batches),
        **({"batch_wall_max": round(max(b["wall"] for b in batches.values()), 3)} if batches else {}),
    }
