"""One batch: build the initramfs, run QEMU, decode the results stream as it
arrives, write each job's results, and say what went wrong if anything did."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hcabi_conform import launcher_log
from hcabi_conform.errors import EXIT_ERROR, EnvError

from . import PROG
from .arch import ARCHES, DEFAULT_ARCH, X86_64, Arch
from .cache import ensure_cache
from .holder import holder_problem, rewrite_holder
from .initramfs import build_initramfs
from .jobs import GuestJob, Job, check_programs, rewrite_args
from .results import PORT_NAME, Event, JobResult, ResultDecoder

DEFAULT_SMP = 2
# After the guest says "done", how long QEMU may take to power off before we kill it.
POWEROFF_GRACE = 20.0
# A boot that ends before its init starts is booted once more (run_batch).
BOOT_ATTEMPTS = 2


def qemu_command(
    qemu: str, kernel: Path, initrd: Path, console_log: Path, results: Path, memory_mib: int, smp: int,
    arch: Arch = X86_64, bios: Optional[Path] = None,
) -> list[str]:
    # The accelerator, machine and CPU are the architecture's (arch.py says
    # why each), and so is the firmware, where the cache has one; the rest is
    # the same everywhere.
    return [
        qemu,
        *arch.machine_args,
        *(("-bios", str(bios)) if bios else ()),
        "-smp", str(smp),
        "-m", str(memory_mib),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(kernel),
        "-initrd", str(initrd),
        "-append", arch.append,
        "-chardev", f"file,id=con,path={console_log}",
        "-serial", "chardev:con",
        "-chardev", f"file,id=res,path={results}",
        "-device", f"{arch.channel_controller},id=vser",
        "-device", f"virtserialport,bus=vser.0,chardev=res,name={PORT_NAME}",
    ]  # fmt: skip


def _pdeathsig() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_result(out: Path, r: JobResult, job_timeout: int) -> None:
    """NAME.serial and NAME.stderr first, NAME.status last, so a .status file
    means the other two are complete.  A job killed by the per-job limit gets
    no .status (it did not finish)."""
    stderr = r.stderr
    if r.killed:
        stderr += f"\n{launcher_log.job_killed(job_timeout)}\n".encode()
    _write_atomic(out / f"{r.name}.serial", r.serial)
    _write_atomic(out / f"{r.name}.stderr", stderr)
    if not r.killed:
        _write_atomic(out / f"{r.name}.status", f"{r.status}\n".encode())


def _say(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def _warn(msg: str) -> None:
    print(f"{PROG}: warning: {msg}", file=sys.stderr, flush=True)


@dataclass
class Boot:
    """What one QEMU run of a batch left: the jobs' results and its fate."""

    returncode: int
    decoder: ResultDecoder
    completed: dict[str, JobResult]
    problems: list[str]
    kvm_fail: Optional[str]
    kvm_up_at: Optional[float]
    running: Optional[str]
    timed_out: bool
    done_at: Optional[float]
    holder_state: str
    qemu_stderr: str
    elapsed: float

    def never_started(self) -> bool:
        """QEMU ended by itself before the initramfs's init said a word."""
        return not self.decoder.started and not self.timed_out and self.kvm_fail is None


def boot_once(
    cmd: list[str], results: Path, out: Path, jobs: list[Job], job_timeout: int, deadline: float,
    with_holder: bool, console_log: Path,
) -> Boot:
    """Run QEMU once, writing each job's files as its results arrive."""
    t0 = time.monotonic()
    qerr = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=qerr, stderr=qerr, preexec_fn=_pdeathsig
        )
    except OSError as exc:
        raise EnvError(f"cannot start {cmd[0]}: {exc.strerror}") from None
    decoder = ResultDecoder()
    completed: dict[str, JobResult] = {}
    problems: list[str] = []
    kvm_fail: Optional[str] = None
    kvm_up_at: Optional[float] = None
    running: Optional[str] = None
    timed_out = False
    done_at: Optional[float] = None
    holder_state = "not started" if with_holder else "none"

    def handle(events: list[Event]) -> None:
        nonlocal kvm_fail, kvm_up_at, running, done_at, holder_state
        for ev in events:
            now = time.monotonic() - t0
            if ev.kind == "kvm-ok":
                kvm_up_at = now
                _say(launcher_log.kvm_up(now, ev.text))
            elif ev.kind == "kvm-fail":
                kvm_fail = ev.text
            elif ev.kind == "holder-up":
                holder_state = "up"
                _say(launcher_log.holder_up(now, ev.text))
            elif ev.kind == "holder-failed":
                holder_state = "failed"
                _warn(f"the holder did not come up: {ev.text}; running the jobs without it (see {console_log})")
            elif ev.kind == "holder-lost":
                holder_state = "lost"
                _warn(f"the holder ended before the last job: {ev.text} (see {console_log})")
            elif ev.kind == "holder-stopped":
                holder_state = "stopped" if holder_state == "up" else holder_state
            elif ev.kind == "job-start":
                running = ev.text
                _say(launcher_log.job_started(ev.text))
            elif ev.kind == "result" and ev.result:
                r = ev.result
                if r.name not in {j.name for j in jobs} or r.name in completed:
                    problems.append(f"unexpected result for job {r.name}")
                    continue
                write_result(out, r, job_timeout)
                completed[r.name] = r
                running = None
                _say(launcher_log.job_done(r.name, r.status, r.elapsed_ms / 1000, r.killed))
            elif ev.kind == "done":
                done_at = time.monotonic()
            elif ev.kind == "problem":
                problems.append(ev.text)
                _say(f"warning: {ev.text}")

    try:
        with open(results, "rb") as rf:
            while True:
                handle(decoder.feed(rf.read()))
                if proc.poll() is not None:
                    handle(decoder.feed(rf.read()))
                    break
                now = time.monotonic()
                if now > deadline:
                    timed_out = True
                    break
                if done_at is not None and now - done_at > POWEROFF_GRACE:
                    break
                time.sleep(0.05)
            handle(decoder.finish())
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    qerr.seek(0)
    qemu_stderr = qerr.read().decode("utf-8", "replace").strip()
    qerr.close()
    return Boot(proc.returncode, decoder, completed, problems, kvm_fail, kvm_up_at, running, timed_out, done_at,
                holder_state, qemu_stderr, time.monotonic() - t0)


def run_batch(args: argparse.Namespace, jobs: list[Job]) -> int:
    out = Path(args.out)
    arch = ARCHES[getattr(args, "arch", DEFAULT_ARCH)]
    guest_jobs, plan = rewrite_args(jobs)
    check_programs(plan, arch)
    holder_argv: Optional[tuple[str, ...]] = getattr(args, "holder_argv", None)
    guest_holder: Optional[GuestJob] = None
    if holder_argv and jobs:
        why = holder_problem(holder_argv, arch=arch)
        if why:
            _warn(f"the holder cannot run in the nested VM: {why}; running the jobs without it")
        else:
            guest_holder = rewrite_holder(holder_argv, plan)
    qemu: Optional[str] = None
    if arch.qemu_env in os.environ or not arch.qemu_debs:  # else the cache's (arch.qemu_debs), below
        qemu = shutil.which(os.environ.get(arch.qemu_env, arch.qemu_binary))
        if not qemu:
            raise EnvError(f"{arch.qemu_binary} not found; install {arch.qemu_package} (scripts/setup-debian.sh)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for j in jobs:  # results of an earlier run must not pass for this one's
            for ext in ("status", "serial", "stderr"):
                (out / f"{j.name}.{ext}").unlink(missing_ok=True)
    except OSError as exc:
        raise EnvError(f"cannot prepare {out}: {exc.strerror}") from None

    cache = ensure_cache(Path(args.cache), arch)
    qemu = qemu or str(cache.qemu)
    job_timeout = max(1, int(min(args.job_timeout, args.timeout)))
    console_log = out / "hcabi-nested.log"
    with tempfile.TemporaryDirectory(prefix="hcabi-nested-") as tmps:
        tmp = Path(tmps)
        initrd, results = tmp / "initrd.cpio", tmp / "results.bin"
        try:
            initrd.write_bytes(build_initramfs(cache, guest_jobs, plan, job_timeout, guest_holder, arch))
        except OSError as exc:
            raise EnvError(f"cannot build the initramfs: {exc.filename}: {exc.strerror}") from None
        cmd = qemu_command(qemu, cache.kernel, initrd, console_log, results, args.memory, DEFAULT_SMP, arch,
                           cache.bios)
        with_holder = f" with holder {shlex.join(holder_argv)}" if guest_holder and holder_argv else ""
        deadline = time.monotonic() + args.timeout
        for attempt in range(1, BOOT_ATTEMPTS + 1):
            results.write_bytes(b"")
            _say(f"booting kernel {cache.release} under TCG for {len(jobs)} job(s){with_holder}")
            boot = boot_once(cmd, results, out, jobs, job_timeout, deadline, guest_holder is not None, console_log)
            if not boot.never_started() or attempt == BOOT_ATTEMPTS:
                break
            # No job ran, so nothing of a job's hypervisor was exercised: the
            # nested platform failed (its kernel reset or stopped early), and
            # a second boot is a fair one. Its console is kept for the cause.
            earlier = console_log.with_name(f"{console_log.stem}.boot{attempt}.log")
            try:
                os.replace(console_log, earlier)
            except OSError:
                earlier = console_log
            _warn(f"the nested VM ended (QEMU exit status {boot.returncode}) before its init started; "
                  f"booting it again (that boot's console: {earlier})")

    completed, killed = boot.completed, [n for n, r in boot.completed.items() if r.killed]
    missing = [j.name for j in jobs if j.name not in completed]
    if boot.kvm_fail is None and not missing and not killed and boot.decoder.done:
        held = {"stopped": ", holder held KVM throughout", "failed": ", WITHOUT the holder (it failed)",
                "lost": ", holder LOST during the batch"}.get(boot.holder_state, "")  # fmt: skip
        up = f", KVM up after {boot.kvm_up_at:.1f} s" if boot.kvm_up_at is not None else ""
        _say(launcher_log.batch_ran(len(jobs), boot.elapsed, f"{up}{held}; results in {out}"))
        return 0

    # Something went wrong in the environment: say what, clearly.
    if boot.kvm_fail is not None:
        reason = f"KVM could not be brought up inside the nested VM: {boot.kvm_fail}"
    elif boot.timed_out:
        where = f" while job {boot.running} ran" if boot.running else ""
        reason = f"the nested VM exceeded --timeout {args.timeout:g} s{where}"
    elif killed:
        reason = f"job(s) {', '.join(killed)} exceeded --job-timeout {job_timeout} s"
    elif not boot.decoder.started:
        reason = f"the nested VM ended (QEMU exit status {boot.returncode}) before its init started"
    elif missing:
        where = f" during job {boot.running}" if boot.running else ""
        reason = f"the nested VM ended (QEMU exit status {boot.returncode}){where} before finishing"
    else:
        reason = "the results stream was incomplete"
    print(f"{launcher_log.ERROR_PREFIX}: {reason}; {len(completed) - len(killed)} of {len(jobs)} job(s) completed", file=sys.stderr)
    if missing:
        print(f"{PROG}: no results for: {', '.join(missing)}", file=sys.stderr)
    for p in boot.problems[:10]:
        print(f"{PROG}: {p}", file=sys.stderr)
    if guest_holder is not None and boot.holder_state not in ("up", "stopped"):
        print(f"{PROG}: holder: {boot.holder_state}", file=sys.stderr)
    if boot.qemu_stderr and not boot.timed_out and boot.done_at is None:
        print(f"{PROG}: QEMU said: {boot.qemu_stderr.splitlines()[-1]}", file=sys.stderr)
    tail = _tail(console_log)
    if tail:
        print(f"{PROG}: last lines of {console_log}:", file=sys.stderr)
        print("\n".join("    " + ln for ln in tail.splitlines()), file=sys.stderr)
    return EXIT_ERROR

