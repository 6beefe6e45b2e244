"""Targets: the hypervisors a run can boot the images on.

- `ref`: hcabi-refvmm, straight on /dev/kvm when it is usable, else through the
  nested launcher (scripts/hcabi-nested), all boots batched into as few nested
  VMs as --jobs allows (a nested boot costs seconds; a refvmm run inside it
  costs little).
- `qemu`: plain QEMU, which has no HCABI; the images must say so and end
  (target_qemu.py).
- `cmd`: any VMM, from a command template with placeholders (target_cmd.py).

This file holds what every target shares (a boot job, a finished boot, the
base classes, the endings every VMM can have) and the `ref` target; the
other two import it, never the other way round.

A target only starts VMMs and says how each boot ended (an Ending); reading
the serial log is boot.py's job, so every target is judged by the same code.
Each VMM runs in its own session and the whole process group is killed on
timeout, so a hung VMM (or one that forked) never outlives its boot; its
output is bounded likewise (procs.py). Every boot hands the image its nonce
on the guest command line (refvmm --cmdline, QEMU -append, {cmdline}) and,
where it can take it, its console input (docs/internals.md, "Console data paths").
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import balance, launcher_log, timing
from .errors import EnvError
from .evidence import CONSOLE_INPUT_BYTES, DEFAULT_SERIAL_LIMIT, cmdline_arg
from .manifests import ImageSpec
from .model import Ending
from .procs import _Proc, cap_file, run_parallel, run_process
from .procs import kill_live_processes  # noqa: F401  (the CLI takes it from here)
from .protocol import file_tail_line
from .refvmm_exits import refvmm_exit_events
from .versions import Version

KVM_GET_API_VERSION = 0xAE00  # _IO(KVMIO, 0x00)
KVM_API_VERSION = 12
REFVMM_PREFIX = "hcabi-refvmm: "
NESTED_BOOT_OVERHEAD = 240.0  # boot the nested kernel, load kvm, copy images
NESTED_GRACE = 60.0
CONSOLE_INPUT_ARG = "hcabi.console_input="

DEFAULT_TIMEOUTS = {"direct": 60.0, "nested": 300.0, "kvm": 60.0, "tcg": 300.0, "cmd": 60.0}


KVM_CHECK_EXTENSION = 0xAE03  # _IO(KVMIO, 0x03)
KVM_CAP_XEN_HVM = 38
KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL = 1 << 1


@dataclass(frozen=True)
class KvmProbe:
    """What this host's /dev/kvm can do. `usable`: it opens read-write and
    speaks the stable API (enough for QEMU); `hcall_intercept`: it can also
    hand every VMCALL/VMMCALL to userspace, which hcabi-refvmm needs
    (KVM_CAP_XEN_HVM with INTERCEPT_HCALL, i.e. CONFIG_KVM_XEN)."""

    usable: bool
    hcall_intercept: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"usable": self.usable, "hcall_intercept": self.hcall_intercept, "reason": self.reason}


def kvm_probe(path: str = "/dev/kvm") -> KvmProbe:
    """Probe KVM without side effects. A node that exists but cannot be
    opened, or lacks what refvmm needs, must not select the direct path."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return KvmProbe(False, False, f"cannot open {path}: {exc.strerror or exc}")
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        if version != KVM_API_VERSION:
            return KvmProbe(False, False, f"{path} speaks KVM API {version}, not {KVM_API_VERSION}")
        flags = fcntl.ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM)
        if not flags & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL:
            return KvmProbe(True, False, f"{path} lacks KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL (kernel without CONFIG_KVM_XEN?)")
        return KvmProbe(True, True, f"{path} is usable")
    except OSError as exc:
        return KvmProbe(False, False, f"{path}: KVM ioctl failed: {exc.strerror or exc}")
    finally:
        os.close(fd)


@dataclass
class BootJob:
    """One image to boot, and where its logs go."""

    image: ImageSpec
    image_path: Path
    serial: Path
    stderr: Path
    timeout: float
    spec_version: Optional[Version]
    nonce: str = ""  # this boot's nonce (evidence.new_nonce), on the guest command line
    key: bytes = b""  # the image's evidence key (evidence.image_key)
    serial_limit: int = DEFAULT_SERIAL_LIMIT  # bytes of serial output (and stderr) kept
    console_input: Optional[Path] = None  # this boot's console input (runner.make_jobs writes it)
    feed_input: bool = False  # the target feeds console_input to CONSOLE.READ (Target.prepare)
    console_out: Optional[Path] = None  # where the VMM writes CONSOLE output, when not the serial log ({console})

    @property
    def cmdline(self) -> str:
        """The guest command line: hands the image its nonce and, when the
        target feeds console input, how many bytes of it."""
        line = cmdline_arg(self.nonce)
        if self.feed_input and self.console_input is not None:
            line += f" {CONSOLE_INPUT_ARG}{CONSOLE_INPUT_BYTES}"
        return line

    def clear_logs(self) -> None:
        """Remove a previous run's logs so a VMM that writes nothing is not
        judged on stale output."""
        for path in (self.serial, self.stderr, self.serial.with_suffix(".status"), self.console_out):
            if path is None:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                pass


@dataclass
class BootRun:
    """A finished boot, before its log is interpreted."""

    job: BootJob
    ending: Ending
    command: list[str]
    duration: Optional[float]
    timing: dict[str, float] = field(default_factory=dict)  # timing.py: booting vs testing


Done = Callable[[BootRun], None]


def _timeout_ending(seconds: float, who: str = "hcabi-conform") -> Ending:
    return Ending("timeout", f"the boot timed out after {seconds:g} s (stopped by {who})")


def _flood_ending(path: Path, limit: int) -> Ending:
    return Ending("flood", f"the VMM wrote more than {limit} bytes to {path.name} (--serial-limit); hcabi-conform stopped it")


def _signal_ending(rc: int, stderr: Path) -> Ending:
    try:
        name = signal.Signals(-rc).name
    except ValueError:
        name = f"signal {-rc}"
    last = file_tail_line(str(stderr))
    return Ending("signal", f"the VMM was killed by {name}" + (f" ({last})" if last else ""), status=rc)


def classify_refvmm(rc: int, stderr: Path) -> Ending:
    """Map hcabi-refvmm's exit status (docs/internals.md) to an Ending; its
    last stderr line says what happened and carries shutdown/crash codes."""
    if rc < 0:
        return _signal_ending(rc, stderr)
    last = file_tail_line(str(stderr), REFVMM_PREFIX)
    detail = last or f"hcabi-refvmm exited with status {rc}"
    code_match = re.search(r"code=(-?(?:0[xX][0-9a-fA-F]+|[0-9]+))", last)
    code = int(code_match.group(1), 0) if code_match else None
    if rc & 1:
        return Ending("exit", f"the guest wrote {rc >> 1} to isa-debug-exit ({detail})", status=rc, code=rc >> 1)
    kinds = refvmm_exit_events()
    kind = kinds.get(rc, "fault")
    if kind == "fault" and rc not in kinds:
        detail = f"unexpected exit status {rc} ({detail})"
    return Ending(kind, detail, status=rc, code=code if kind in ("shutdown", "crash") else None)


class BootEvents:
    """What a target says while it runs, for the terminal (progress.py's
    Progress implements it; this base ignores everything): `command` for
    each VMM command line as it is run (-v), `started`/`stopped` around a
    boot or the nested VM's own boot (the heartbeat names what is running).
    Targets call these from whatever thread runs the boot."""

    def command(self, argv: Sequence[str], where: str = "") -> None:
        pass

    def started(self, key: str, what: str) -> None:
        pass

    def stopped(self, key: str) -> None:
        pass


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Target:
    """Base: a named way to boot images."""

    name = "?"
    mode = "?"
    feeds_input = False  # can give each boot its console input
    events = BootEvents()  # the CLI sets its Progress here

    def prepare(self, job: BootJob) -> None:
        """Settle what this target does with a job's console data."""
        job.feed_input = self.feeds_input and job.console_input is not None

    def preflight(self) -> None:
        """Fail early (EnvError) when the target cannot possibly run."""

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "mode": self.mode}

    def default_timeout(self) -> float:
        return DEFAULT_TIMEOUTS[self.mode]

    def default_parallel(self) -> int:
        """--jobs when none is given."""
        return 1

    def run(self, jobs: list[BootJob], parallel: int, done: Done) -> None:
        raise NotImplementedError


class ProcessTarget(Target):
    """A target that runs one VMM process per boot, `parallel` at a time."""

    serial_on_stdout = True

    def command(self, job: BootJob) -> list[str]:
        raise NotImplementedError

    def classify(self, rc: int, stderr: Path) -> Ending:
        raise NotImplementedError

    def process_timeout(self, job: BootJob) -> float:
        return job.timeout

    def run_one(self, job: BootJob) -> BootRun:
        argv = self.command(job)
        job.clear_logs()
        self.events.command(argv)
        self.events.started(job.image.name, job.image.name)
        stdout = job.serial if self.serial_on_stdout else job.stderr
        with timing.HelloWatch(job.serial) as watch:  # when the image says hello
            proc = run_process(argv, stdout, job.stderr, self.process_timeout(job), job.serial_limit, [job.serial])
        if proc.start_error:
            ending = Ending("host-error", proc.start_error)
        elif proc.flooded is not None:
            ending = _flood_ending(proc.flooded, job.serial_limit)
        elif proc.timed_out:
            ending = _timeout_ending(self.process_timeout(job))
        else:
            assert proc.returncode is not None
            ending = self.classify(proc.returncode, job.stderr)
        return BootRun(job, ending, argv, proc.duration, watch.result(None if proc.start_error else proc.duration))

    def run(self, jobs: list[BootJob], parallel: int, done: Done) -> None:
        run_parallel(self.run_one, [(job,) for job in jobs], parallel, done)


def refvmm_grace(timeout: float) -> float:
    """How long past its own --timeout refvmm may take before it is killed:
    its own timeout should fire first and say so."""
    return min(15.0, 1.0 + timeout / 4)


def refvmm_args(job: BootJob, extra: Sequence[str] = ()) -> list[str]:
    """refvmm's arguments for one boot (also the nested launcher's job);
    `extra` (--refvmm-arg) go after the runner's own options, before IMAGE
    (refvmm stops reading options at the first operand)."""
    args = ["--vcpus", str(job.image.vcpus), "--memory", f"{job.image.memory_mib}M", "--serial", "-"]
    args += ["--timeout", f"{job.timeout:g}", "--no-reboot", "--cmdline", job.cmdline, "--serial-limit", str(job.serial_limit)]
    if job.spec_version is not None:
        args += ["--spec-version", str(job.spec_version)]
    if job.feed_input and job.console_input is not None:
        args.append(f"--console-input={job.console_input}")  # --opt=PATH: the nested launcher copies it in
    return args + list(extra) + [str(job.image_path)]


class RefDirect(ProcessTarget):
    """hcabi-refvmm on this machine's /dev/kvm."""

    name, mode = "ref", "direct"
    feeds_input = True

    def __init__(self, refvmm: Path, extra_args: Sequence[str] = ()) -> None:
        self.refvmm = refvmm
        self.extra_args = list(extra_args)  # --refvmm-arg

    def preflight(self) -> None:
        if not os.access(self.refvmm, os.X_OK) or not self.refvmm.is_file():
            raise EnvError(f"hcabi-refvmm not found or not executable at {self.refvmm} (build it, or pass --build-dir)")

    def describe(self) -> dict[str, object]:
        info = {**super().describe(), "vmm": str(self.refvmm)}
        if self.extra_args:
            info["vmm_args"] = list(self.extra_args)
        return info

    def command(self, job: BootJob) -> list[str]:
        return [str(self.refvmm)] + refvmm_args(job, self.extra_args)

    def classify(self, rc: int, stderr: Path) -> Ending:
        return classify_refvmm(rc, stderr)

    def process_timeout(self, job: BootJob) -> float:
        return job.timeout + refvmm_grace(job.timeout)


class RefNested(Target):
    """hcabi-refvmm inside a nested KVM VM (scripts/hcabi-nested): every boot
    of a batch runs in one launcher invocation (one nested kernel boot);
    --jobs N makes N batches, each with its own launcher output directory.

    `holder` is the launcher's --holder (normally BUILD/scripts/
    hcabi-nested-probe --hold): an idle KVM VM kept alive for the whole batch,
    so that the nested kernel does not patch its static keys between boots,
    which has panicked it under TCG. None leaves the launcher's default
    ($HCABI_NESTED_HOLDER). `extra_args` (--refvmm-arg) go to every refvmm.
    `arch`: the architecture of the nested kernel, refvmm and the images
    (the launcher's --arch, given when it is not x86-64)."""

    name, mode = "ref", "nested"
    feeds_input = True

    def __init__(
        self,
        launcher: Path,
        refvmm: Path,
        cache: Path,
        out_dir: Path,
        why: str = "",
        holder: Optional[list[str]] = None,
        extra_args: Sequence[str] = (),
        arch: str = "x86_64",
    ) -> None:
        self.why = why  # why not direct: shown to the user, kept in the report
        self.arch = arch
        self.launcher = launcher
        self.refvmm = refvmm
        self.cache = cache
        self.out_dir = out_dir
        self.holder = holder
        self.extra_args = list(extra_args)

    def preflight(self) -> None:
        if not self.refvmm.is_file() and self.arch != "x86_64":
            raise EnvError(f"--target ref --arch {self.arch}: there is no hcabi-refvmm for {self.arch} at {self.refvmm} (refvmm {self.arch} is not built)")
        if not self.launcher.is_file():
            raise EnvError(f"no usable /dev/kvm, and the nested launcher {self.launcher} is missing")
        if not self.refvmm.is_file():
            raise EnvError(f"hcabi-refvmm not found at {self.refvmm} (build it, or pass --build-dir)")

    def describe(self) -> dict[str, object]:
        info = {**super().describe(), "vmm": str(self.refvmm), "launcher": str(self.launcher), "why": self.why}
        if self.holder:
            info["holder"] = shlex.join(self.holder)
        if self.extra_args:
            info["vmm_args"] = list(self.extra_args)
        return info

    def job_line(self, job: BootJob) -> str:
        """`NAME<TAB>PROGRAM ARGS...`, shell-quoted (the launcher splits the
        arguments like shell words and copies host files into the guest)."""
        argv = [str(self.refvmm)] + refvmm_args(job, self.extra_args)
        bad = [a for a in argv if "\t" in a or "\n" in a or "\0" in a]
        if bad:
            raise EnvError(f"the nested launcher cannot take an argument with a tab or newline: {bad[0]!r}")
        return f"{job.image.name}\t{shlex.join(argv)}"

    def default_parallel(self) -> int:
        """Two batches where there are two CPUs: each nested VM emulates its
        vCPUs on one host thread (the launcher's single-threaded TCG), so
        one batch uses one CPU; more batches than CPUs only add nested
        kernel boots. Not more than two unless --jobs asks: that is what
        the suite's timing was measured with (docs/performance.md)."""
        return max(1, min(2, usable_cpus()))

    def run(self, jobs: list[BootJob], parallel: int, done: Done) -> None:
        if not jobs:
            return
        lines = [self.job_line(job) for job in jobs]  # refuse before booting anything
        count = max(1, min(parallel, len(jobs)))
        names = ["the nested VM"] if count == 1 else [f"nested VM {k + 1} of {count}" for k in range(count)]
        # batches of about equal time, by the previous run's times (balance.py)
        groups = balance.split([j.image.name for j in jobs], count, balance.previous_times(self.out_dir / "report.json"))
        batches = [(k, [jobs[i] for i in g], [lines[i] for i in g], done, names[k]) for k, g in enumerate(groups)]
        run_parallel(self._run_batch, batches, count, lambda _: None)

    def _run_batch(self, index: int, jobs: list[BootJob], lines: list[str], done: Done, vm_name: str) -> None:
        """One launcher run. Each boot is handed to `done` as soon as the
        launcher's progress says its job ended (its files are complete then),
        with the job's own time inside the nested VM as its duration; boots
        it never finished are handed over when the launcher has exited."""
        batch_dir = self.out_dir / f"nested-{index}"
        batch_dir.mkdir(parents=True, exist_ok=True)
        for job in jobs:
            job.clear_logs()
        jobfile = batch_dir / "jobs.txt"
        jobfile.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        job_limit = max(job.timeout + refvmm_grace(job.timeout) for job in jobs)
        total = NESTED_BOOT_OVERHEAD + sum(job.timeout + refvmm_grace(job.timeout) for job in jobs)
        argv = [
            str(self.launcher), "--cache", str(self.cache), "--timeout", f"{total:g}",
            "--job-timeout", f"{job_limit:g}", "--out", str(batch_dir), str(jobfile),
        ]  # fmt: skip
        if self.arch != "x86_64":  # the launcher's default; an x86-64 run's command line is unchanged
            argv[1:1] = ["--arch", self.arch]
        if self.holder:
            argv[-1:-1] = [f"--holder={shlex.join(self.holder)}"]
        log = batch_dir / "launcher.log"
        by_name = {job.image.name: job for job in jobs}
        vm_key = f"nested-{index}"
        follower = launcher_log.LogFollower(log)
        finished: dict[str, BootRun] = {}

        def finish(job: BootJob, ending: Ending) -> None:
            said = launcher_log.parse_launcher_log(follower.text())
            run = self._collect(job, ending, said, index)
            finished[job.image.name] = run
            done(run)

        def follow() -> None:
            for line in follower.new_lines():
                if (m := launcher_log.JOB_START.match(line)) and m.group(1) in by_name:
                    job = by_name[m.group(1)]
                    self.events.stopped(vm_key)
                    self.events.started(job.image.name, job.image.name)
                    self.events.command([str(self.refvmm)] + refvmm_args(job, self.extra_args), "in the nested VM")
                elif (m := launcher_log.JOB_LINE.match(line)) and m.group(1) in by_name and m.group(1) not in finished:
                    job = by_name[m.group(1)]
                    self._adopt(job, batch_dir)
                    ending = self._files_ending(job)
                    if ending is not None:
                        finish(job, ending)

        self.events.command(argv)
        self.events.started(vm_key, vm_name)
        start = time.monotonic()
        try:
            proc = run_process(argv, log, log, total + NESTED_GRACE, tick=follow)
            follow()
        finally:
            self.events.stopped(vm_key)
        wall = time.monotonic() - start
        for job in jobs:
            if job.image.name not in finished:
                self._adopt(job, batch_dir)
                finish(job, self._files_ending(job) or self._batch_ending(job, proc, log, total))
        for run in finished.values():  # the same dict the boot record holds (runner.execute)
            run.timing["batch_wall"] = round(wall, 3)

    def _adopt(self, job: BootJob, batch_dir: Path) -> None:
        """Move a job's files from the launcher's folder to the boot's paths."""
        for suffix in (".serial", ".stderr", ".status"):
            produced = batch_dir / (job.image.name + suffix)
            if produced.exists():
                os.replace(produced, job.serial.with_suffix(suffix))
        for log_file in (job.serial, job.stderr):  # refvmm's own --serial-limit bounds them already
            cap_file(log_file, job.serial_limit)

    def _collect(self, job: BootJob, ending: Ending, said: launcher_log.LauncherLog, index: int) -> BootRun:
        # the command that ran this boot (inside the nested VM); the launcher is in target_info
        command = [str(self.refvmm)] + refvmm_args(job, self.extra_args)
        # the boot's real duration: its job's time inside the nested VM, as the launcher measured it
        duration = said.jobs.get(job.image.name)
        return BootRun(job, ending, command, duration, timing.nested_boot(said, job.image.name, index, None))

    def _files_ending(self, job: BootJob) -> Optional[Ending]:
        """A job's ending from the files the launcher wrote: its .status, or
        the line that ends a killed job's .stderr; None if neither."""
        try:
            rc = int(job.serial.with_suffix(".status").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            rc = None
        if rc is not None:
            # The job ran under the nested guest's shell: 128+N is signal N.
            return classify_refvmm(-(rc - 128) if 128 < rc < 192 else rc, job.stderr)
        if launcher_log.JOB_TIMEOUT_OPTION in file_tail_line(str(job.stderr)):
            return Ending("timeout", f"hcabi-refvmm did not stop within --timeout {job.timeout:g} s; the nested launcher killed it")
        return None

    def _batch_ending(self, job: BootJob, proc: _Proc, log: Path, total: float) -> Ending:
        """Why a job has no result: the launcher's own fate."""
        if proc.start_error:
            return Ending("host-error", f"the nested launcher: {proc.start_error}")
        if proc.timed_out:
            return _timeout_ending(total + NESTED_GRACE, "hcabi-conform, the whole nested batch")
        last = file_tail_line(str(log), launcher_log.ERROR_PREFIX)
        return Ending("host-error", f"the nested launcher (exit {proc.returncode}) has no result for {job.image.name}: {last or 'no output'} (see {log})")
