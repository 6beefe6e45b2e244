"""The command line: options, the job file, main()."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import hcabi_load as hl
from hcabi_conform.cli import _positive_float  # the runner's own: seconds, positive, finite
from hcabi_conform.errors import HcabiError, UsageError

from . import PROG
from .arch import ARCHES, ARM64, DEFAULT_ARCH, RISCV64, X86_64
from .holder import HOLDER_ENV, parse_holder
from .jobs import parse_jobfile
from .vm import run_batch

DEFAULT_TIMEOUT = 1200.0
DEFAULT_JOB_TIMEOUT = 600.0
DEFAULT_MEMORY_MIB = 2048

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / "build" / "nested-cache"


def _memory(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of MiB: {value!r}") from None
    if not 256 <= v <= 1 << 20:
        raise argparse.ArgumentTypeError(f"{value}: from 256 to 1048576 MiB")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = hl.Parser(
        prog=PROG,
        description="Run a batch of static programs (normally hcabi-refvmm) under KVM inside one nested "
        "QEMU/TCG boot of a Debian 6.12 kernel, for hosts without a usable /dev/kvm.",
        epilog="JOBFILE: one job per line, NAME<TAB>ARGS; ARGS are split like shell words; an argument naming "
        "an existing host file is copied into the guest and replaced by its guest path. For each job: "
        "OUT/NAME.serial (the program's stdout), OUT/NAME.stderr, OUT/NAME.status (exit status). "
        "OUT/hcabi-nested.log keeps the guest console. Exit status: 0 every job ran, 2 usage, 4 environment failure. "
        f"Environment: {X86_64.qemu_env} (QEMU binary), {X86_64.kernel_env} (kernel package to use), "
        f"{ARM64.qemu_env} and {ARM64.kernel_env} (the same for --arch {ARM64.name}), "
        f"{RISCV64.qemu_env} and {RISCV64.kernel_env} (the same for --arch {RISCV64.name}, whose QEMU otherwise comes "
        f"from {RISCV64.qemu_suite} into the cache), "
        f"{HOLDER_ENV} (default of --holder).",
    )
    p.add_argument(
        "--arch",
        choices=sorted(ARCHES),
        default=DEFAULT_ARCH,
        help="the architecture of the nested kernel and of the programs it runs (default: %(default)s)",
    )
    p.add_argument("--cache", default=str(DEFAULT_CACHE), metavar="DIR", help="download cache (default: %(default)s)")
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="wall-clock limit for the whole boot and every job (default: %(default)g)",
    )
    p.add_argument(
        "--job-timeout",
        type=_positive_float,
        default=DEFAULT_JOB_TIMEOUT,
        metavar="SECONDS",
        help="limit for each job inside the guest; a job killed by it gets no .status (default: %(default)g)",
    )
    p.add_argument(
        "--memory", type=_memory, default=DEFAULT_MEMORY_MIB, metavar="MIB", help="RAM of the nested VM (default: %(default)s)"
    )
    p.add_argument(
        "--holder",
        metavar="'PROGRAM [ARGS]'",
        help="a static program, split like a job's ARGS, that runs in the background from before the first job to "
        "after the last and keeps a KVM VM alive (normally 'hcabi-nested-probe --hold'), so that the nested kernel "
        f"does not patch its static keys between jobs; '' for none (default: ${HOLDER_ENV}, else none)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the results")
    p.add_argument("jobfile", metavar="JOBFILE", help="the jobs ('-' reads standard input)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError(f"--out {args.out}: not a folder")
        source = "<stdin>" if args.jobfile == "-" else args.jobfile
        try:
            text = hl.read_text(Path("/dev/stdin" if args.jobfile == "-" else args.jobfile), f"JOBFILE {source}")
        except hl.InputError as exc:
            raise UsageError(str(exc)) from None
        jobs = parse_jobfile(text, source)
        if args.holder is not None:
            args.holder_argv = parse_holder(args.holder, "--holder")
        else:
            args.holder_argv = parse_holder(os.environ.get(HOLDER_ENV), HOLDER_ENV)
        return run_batch(args, jobs)
    except HcabiError as exc:  # UsageError: 2, EnvError: 4 (docs/internals.md)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130

