"""hcabi-repeat: boot the conformance suite (or a part of it) on the reference
hypervisor N times and report every result that is not a pass.

Why: a suite that fails now and then on the reference itself teaches a vendor
to ignore its failures. This tool measures how often that happens, so that a
flake can be reproduced, fixed, and shown to be gone ("50 runs, 0 with a
non-pass").

How: each run is the same selection of images as `hcabi-conform run` makes,
with fresh nonces; the boots go to the runner's own targets (refvmm on
/dev/kvm, else the nested launcher) and every boot's log is judged by the
runner's own code (runners/hcabi_conform/boot.py interpret_boot), so a
repeat run and a conformance run can never disagree on what passed. Nested,
booting the nested kernel costs far more than a refvmm run inside it, so the
boots of up to --runs-per-batch runs share one launcher invocation (one job
file; each job's name carries its run number). With --lock FILE each batch
holds an exclusive flock on FILE while it runs and releases it between
batches, so that other users of the nested machinery get their turn.

Exit status: 0 every run passed; 3 some run had a non-pass; 4 the
environment failed (a boot ended in a host error, the suite is not built);
2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, TextIO

from hcabi_conform.boot import interpret_boot
from hcabi_conform.cli import Parser, Paths, make_target
from hcabi_conform.cli import _positive_float, _positive_int  # the runner's own option types
from hcabi_conform.errors import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_USAGE, HcabiError, UsageError
from hcabi_conform.evidence import EvidenceContext
from hcabi_conform.manifests import ImageSpec, TestSpec, load_requirements, load_tests
from hcabi_conform.runner import Plan, make_jobs, make_plan
from hcabi_conform.targets import BootJob, BootRun, RefNested, Target

REPO_ROOT = Path(__file__).resolve().parents[1]

PROG = "hcabi-repeat"
# Boot endings that say the environment, not the implementation, failed.
ENV_ENDINGS = ("host-error", "vmm-usage")


def build_parser() -> Parser:
    p = Parser(prog=PROG, description="Boot the conformance suite on hcabi-refvmm N times; report every non-pass.")
    p.add_argument("--runs", type=_positive_int, default=10, metavar="N", help="how many times to run the selection (default 10)")
    p.add_argument("--filter", action="append", default=[], metavar="GLOB", help="only tests whose name matches (repeatable), as hcabi-conform run")
    p.add_argument("--image", action="append", default=[], metavar="NAME", help="only this image's tests (repeatable)")
    p.add_argument("--runs-per-batch", type=_positive_int, metavar="K", help="nested: runs whose boots share one nested launcher invocation (default: as many as fit in about 8 minutes)")
    p.add_argument("--parallel", type=_positive_int, default=1, metavar="N", help="nested: launcher invocations at once per batch, one CPU each, as hcabi-conform run's two batches (default 1)")
    p.add_argument("--lock", metavar="FILE", help="hold an exclusive flock on FILE during each batch of boots, released between batches")
    p.add_argument("--timeout", type=_positive_float, metavar="SECONDS", help="per-boot timeout (default: the runner's, 60 direct, 300 nested)")
    p.add_argument("--ref-mode", choices=("auto", "direct", "nested"), default="auto", help="auto (direct if /dev/kvm is usable), direct, nested")
    p.add_argument("--launcher", metavar="PATH", help="nested launcher (default: scripts/hcabi-nested)")
    p.add_argument("--refvmm-arg", action="append", default=[], metavar="ARG", help="pass ARG to every hcabi-refvmm (repeatable; --refvmm-arg=-X for a value starting with '-')")
    p.add_argument("--allow-skip", action="store_true", help="do not count a skipped test as a non-pass")
    p.add_argument("--build-dir", metavar="DIR", help="build directory (default: build/ at the repository root)")
    p.add_argument("--manifest", metavar="FILE", help="requirements manifest (default: spec/generated/requirements.json)")
    p.add_argument("--out", metavar="DIR", help="logs and repeat.json (default: BUILD/repeat-out)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return p


# -- what a run produced -------------------------------------------------------


@dataclass
class NonPass:
    """One result (or boot problem) of one run that is not a pass."""

    run: int
    image: str
    test: str  # the test's name, or "(boot)" for a problem of the boot itself
    status: str
    message: str
    logs: str

    def line(self) -> str:
        message = " ".join(self.message.split()) or "(no message)"
        return f"run {self.run}: {self.test} [{self.image}]: {self.status}: {message} (logs: {self.logs})"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RunOutcome:
    """What one run of the selection gave."""

    run: int
    boots: int = 0
    passed: int = 0
    non_passes: list[NonPass] = field(default_factory=list)
    env_failure: bool = False

    @property
    def clean(self) -> bool:
        return not self.non_passes


def judge_boot(run_no: int, image: ImageSpec, boot: BootRun, known: dict[str, TestSpec], selected: list[TestSpec], allow_skip: bool) -> tuple[int, list[NonPass], bool]:
    """Interpret one boot with the runner's code: (tests passed, non-passes,
    whether the environment failed)."""
    job = boot.job
    evidence = EvidenceContext(job.nonce, job.key, job.serial_limit)
    record, results = interpret_boot(image, job.serial, boot.ending, known, selected, evidence)
    logs = str(job.serial.parent)
    ok = ("pass", "skip") if allow_skip else ("pass",)
    bad = [NonPass(run_no, image.name, r.test, r.raw_status, r.raw_message, logs) for r in results if r.raw_status not in ok]
    # A problem of the boot (a log that is not evidence, a wrong ending) is
    # reported even when it left every test's status alone.
    bad += [NonPass(run_no, image.name, "(boot)", p.severity, p.message, logs) for p in record.problems if p.severity in ("fail", "error")]
    passed = sum(1 for r in results if r.raw_status == "pass")
    return passed, bad, boot.ending.kind in ENV_ENDINGS


def longest_clean_streak(outcomes: Sequence[RunOutcome]) -> int:
    """The most consecutive clean runs."""
    best = cur = 0
    for o in outcomes:
        cur = cur + 1 if o.clean else 0
        best = max(best, cur)
    return best


def summary_line(outcomes: Sequence[RunOutcome]) -> str:
    bad = sum(1 for o in outcomes if not o.clean)
    return f"{len(outcomes)} runs, {bad} with a non-pass (longest streak: {longest_clean_streak(outcomes)} consecutive clean runs)"


def exit_status(outcomes: Sequence[RunOutcome]) -> int:
    if any(o.env_failure for o in outcomes):
        return EXIT_ERROR
    return EXIT_NONCONFORMANT if any(not o.clean for o in outcomes) else 0


def report(outcomes: Sequence[RunOutcome], out: TextIO) -> None:
    """Every non-pass with its run, then the summary line."""
    for o in outcomes:
        for np in o.non_passes:
            out.write(np.line() + "\n")
    out.write(summary_line(outcomes) + "\n")


def batches(runs: int, per_batch: int) -> list[list[int]]:
    """Run numbers 1..runs in groups of at most per_batch."""
    numbers = list(range(1, runs + 1))
    return [numbers[i : i + per_batch] for i in range(0, runs, per_batch)]


def default_runs_per_batch(images: Sequence[ImageSpec], seconds_per_boot: float = 8.0, budget: float = 480.0) -> int:
    """Runs that fit one nested launcher invocation of about `budget` s, at
    about `seconds_per_boot` s a boot (3-10 s nested): a locked stretch
    stays under ten minutes."""
    return max(1, int(budget // (seconds_per_boot * max(1, len(images)))))


def job_name(run_no: int, image: str) -> str:
    """A nested job name unique across the runs of a batch (the launcher's
    NAME syntax: [A-Za-z0-9_][A-Za-z0-9_.+-]*)."""
    return f"r{run_no:04d}.{image}"


@contextlib.contextmanager
def held(lock: Optional[str], quiet: bool) -> Iterator[None]:
    """An exclusive flock on `lock` (None: nothing) for the duration."""
    if lock is None:
        yield
        return
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise HcabiError(f"--lock {lock}: cannot open: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not quiet:
                print(f"{PROG}: waiting for the lock {lock}", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# -- the repeat loop -------------------------------------------------------------


def plan_selection(paths: Paths, filters: list[str], images: list[str]) -> tuple[Plan, dict[str, TestSpec]]:
    """The runner's plan for --filter, cut down to --image."""
    manifest = load_requirements(paths.manifest)
    tests = load_tests(paths.tests_manifest)
    plan = make_plan(tests, manifest.newest_version, filters, None)
    if images:
        unknown = sorted(set(images) - set(tests.images))
        if unknown:
            raise UsageError(f"--image {unknown[0]}: no such image (known: {', '.join(sorted(tests.images))})")
        plan.images = [img for img in plan.images if img.name in images]
        plan.selected = {name: tests_ for name, tests_ in plan.selected.items() if name in images}
        if not plan.images:
            raise UsageError("--image and --filter select no test together")
    return plan, tests.by_name()


def target_for(args: argparse.Namespace, paths: Paths, out_dir: Path) -> Target:
    """The runner's ref target (direct or nested), built by its own code."""
    ns = argparse.Namespace(target="ref", vmm_cmd=None, vmm_exit=[], refvmm_arg=list(args.refvmm_arg), ref_mode=args.ref_mode, launcher=args.launcher)
    return make_target(ns, paths, out_dir)


def run_batch(
    args: argparse.Namespace, paths: Paths, plan: Plan, known: dict[str, TestSpec], out: Path, run_numbers: list[int], index: int
) -> tuple[list[RunOutcome], float]:
    """Boot every image of every run in `run_numbers` in one target call
    (one nested launcher invocation), then judge each boot. Also returns the
    seconds the boots took (not counting the wait for --lock)."""
    target = target_for(args, paths, out / f"batch-{index:03d}")
    target.preflight()
    timeout = args.timeout or target.default_timeout()
    jobs: list[BootJob] = []
    owner: dict[int, tuple[int, ImageSpec]] = {}
    for run_no in run_numbers:
        run_dir = out / f"run-{run_no:04d}"
        run_dir.mkdir(parents=True, exist_ok=True)
        for job in make_jobs(plan, paths.images, run_dir, timeout, None):
            target.prepare(job)  # as the runner does: the ref target feeds console input
            owner[id(job)] = (run_no, job.image)
            if isinstance(target, RefNested):
                job.image = dataclasses.replace(job.image, name=job_name(run_no, job.image.name))
            jobs.append(job)
    outcomes = {n: RunOutcome(n) for n in run_numbers}

    def done(boot: BootRun) -> None:
        run_no, image = owner[id(boot.job)]
        passed, bad, env = judge_boot(run_no, image, boot, known, plan.selected[image.name], args.allow_skip)
        o = outcomes[run_no]
        o.boots += 1
        o.passed += passed
        o.non_passes += bad
        o.env_failure = o.env_failure or env

    with held(args.lock, args.quiet):
        start = time.monotonic()
        target.run(jobs, args.parallel, done)
        took = time.monotonic() - start
    return [outcomes[n] for n in run_numbers], took


def write_json(path: Path, outcomes: Sequence[RunOutcome], argv: Sequence[str], plan: Plan) -> None:
    data = {
        "command": [PROG, *argv],
        "images": [img.name for img in plan.images],
        "tests": sum(len(v) for v in plan.selected.values()),
        "runs": len(outcomes),
        "runs_with_non_pass": [o.run for o in outcomes if not o.clean],
        "longest_clean_streak": longest_clean_streak(outcomes),
        "non_passes": [np.to_dict() for o in outcomes for np in o.non_passes],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        build = Path(args.build_dir) if args.build_dir else REPO_ROOT / "build"
        paths = Paths(build, Path(args.manifest) if args.manifest else REPO_ROOT / "spec" / "generated" / "requirements.json")
        plan, known = plan_selection(paths, args.filter, args.image)
        out = Path(args.out) if args.out else paths.build / "repeat-out"
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HcabiError(f"--out {out}: cannot create: {exc.strerror or exc}") from None
        per_batch = args.runs_per_batch or default_runs_per_batch(plan.images)
        if not args.quiet:
            names = ", ".join(img.name for img in plan.images)
            print(f"{PROG}: {args.runs} run(s) of {plan.test_count} test(s) in {names}; {per_batch} run(s) per batch; logs in {out}", file=sys.stderr, flush=True)
        outcomes: list[RunOutcome] = []
        for index, numbers in enumerate(batches(args.runs, per_batch)):
            got, took = run_batch(args, paths, plan, known, out, numbers, index)
            outcomes += got
            write_json(out / "repeat.json", outcomes, argv, plan)
            if not args.quiet:
                bad = [o.run for o in got if not o.clean]
                said = f"non-pass in run(s) {', '.join(map(str, bad))}" if bad else "all passed"
                print(f"{PROG}: runs {numbers[0]}-{numbers[-1]}: {said} ({took:.0f} s)", file=sys.stderr, flush=True)
        report(outcomes, sys.stdout)
        return exit_status(outcomes)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HcabiError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.exit_code
