"""Running VMM processes, bounded in time and in output.

Each VMM runs in its own session and the whole process group is killed on
timeout, so a hung VMM (or one that forked) never outlives its boot; and as
soon as one of its output files passes the boot's limit, so a VMM that floods
the serial port costs neither the time nor the disk it asks for. The files
are then cut back to the limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, TypeVar

CAP_POLL = 0.02  # how often a running VMM's output size is checked

T = TypeVar("T")


@dataclass
class _Proc:
    returncode: Optional[int]
    timed_out: bool
    duration: float
    start_error: Optional[str] = None
    flooded: Optional[Path] = None  # the output file that passed the limit


def cap_file(path: Path, limit: int) -> bool:
    """Cut a log back to `limit` bytes; True if it had reached the limit."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            os.truncate(path, limit)
    except OSError:
        return False
    return size >= limit


def _over_limit(paths: Sequence[Path], limit: Optional[int]) -> Optional[Path]:
    if limit is None:
        return None
    for path in paths:
        try:
            if os.stat(path).st_size > limit:
                return path
        except OSError:
            pass
    return None


_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_live_processes() -> None:
    """Kill every VMM process group still running (on Ctrl-C or SIGTERM):
    they run in their own sessions, so a terminal's signal does not reach
    them, and a hung one must not outlive the runner."""
    with _LIVE_LOCK:
        for pgid in _LIVE:
            kill_group(pgid)


def _wait_unreaped(pid: int, timeout: float, stop: Optional[Callable[[], bool]] = None) -> bool:
    """Wait for `pid` to exit without reaping it, so its process-group ID
    cannot be reused by another process before the group's leftovers are
    killed. Returns False on timeout, or as soon as `stop()` says so."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    cap = CAP_POLL if stop else 0.05
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        if time.monotonic() >= deadline or (stop is not None and stop()):
            return False
        time.sleep(delay)
        delay = min(delay * 2, cap)
    return True


def run_parallel(fn: Callable[..., T], items: list[tuple], workers: int, on_result: Callable[[T], None]) -> None:
    """Run fn(*item) for each item on `workers` threads, handing results to
    on_result in completion order (in this thread). If anything interrupts
    the wait, queued work is cancelled and running VMMs are killed first, so
    the executor's shutdown does not wait for hung boots."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        futures = [pool.submit(fn, *item) for item in items]
        try:
            for future in as_completed(futures):
                on_result(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            kill_live_processes()
            raise


def run_process(
    argv: list[str],
    stdout: Path,
    stderr: Path,
    timeout: float,
    limit: Optional[int] = None,
    watch: Sequence[Path] = (),
    tick: Optional[Callable[[], None]] = None,
) -> _Proc:
    """Run argv with output to files; kill its whole process group when the
    timeout expires (or when the runner is interrupted), or as soon as one of
    stdout, stderr and `watch` grows past `limit` bytes; those files are then
    cut back to `limit`. `tick` is called at every poll while it runs (the
    nested target reads the launcher's progress with it)."""
    watched = [stdout, stderr, *watch]
    flooded: list[Path] = []

    def stop() -> bool:
        if tick is not None:
            tick()
        over = _over_limit(watched, limit)
        if over is not None:
            flooded.append(over)
        return over is not None

    start = time.monotonic()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(stdout, "wb"))
        err = out if stderr == stdout else stack.enter_context(open(stderr, "wb"))
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True, close_fds=True
            )
        except OSError as exc:
            return _Proc(None, False, 0.0, f"cannot start {argv[0]}: {exc.strerror or exc}")
        with _LIVE_LOCK:
            _LIVE.add(proc.pid)
        exited = False
        try:
            exited = _wait_unreaped(proc.pid, timeout, stop if limit is not None or tick is not None else None)
        finally:
            with _LIVE_LOCK:  # the leader is not reaped yet: its group ID is still ours
                kill_group(proc.pid)  # on timeout, and whatever the VMM left behind
                _LIVE.discard(proc.pid)
            proc.wait()
    if limit is not None:
        for path in watched:
            cap_file(path, limit)
    if flooded:
        return _Proc(proc.returncode, False, time.monotonic() - start, flooded=flooded[0])
    return _Proc(proc.returncode, not exited, time.monotonic() - start)


