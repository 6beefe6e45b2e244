"""The job file (NAME<TAB>ARGS lines) and the plan of host files copied into
the guest, with every argument that names one rewritten to its guest path."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from typing import Optional, Sequence

from hcabi_conform.errors import UsageError

from .arch import Arch
from .elf import elf_interpreter, elf_machine

JOB_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    argv: tuple[str, ...]
    line: int


def parse_jobfile(text: str, source: str = "JOBFILE") -> list[Job]:
    """Parse ``NAME<TAB>ARGS...`` lines.

    ARGS are split like a POSIX shell splits words (``shlex``): plain words are
    separated by spaces; quote a word that holds spaces.  Blank lines and lines
    whose first non-blank character is ``#`` are ignored.  Raises UsageError,
    naming the file and line, on the first malformed line.
    """
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{lineno}"
        if raw.strip() == "" or raw.lstrip().startswith("#"):
            continue
        if "\t" not in raw:
            raise UsageError(f"{where}: expected NAME<TAB>ARGS, found no tab")
        name, args = raw.split("\t", 1)
        if name == "":
            raise UsageError(f"{where}: empty job name")
        if not JOB_NAME_RE.match(name):
            raise UsageError(
                f"{where}: bad job name {name!r} (use letters, digits, '_', '.', '+', '-'; "
                "not starting with '.', '+' or '-'; at most 128 characters)"
            )
        if name in seen:
            raise UsageError(f"{where}: job name {name!r} already used on line {seen[name]}")
        if "\0" in args:
            raise UsageError(f"{where}: NUL byte in arguments")
        try:
            argv = shlex.split(args.replace("\t", " "), comments=False, posix=True)
        except ValueError as exc:
            raise UsageError(f"{where}: cannot split arguments: {exc}") from None
        if not argv:
            raise UsageError(f"{where}: job {name!r} has no program to run")
        seen[name] = lineno
        jobs.append(Job(name=name, argv=tuple(argv), line=lineno))
    return jobs



@dataclasses.dataclass(frozen=True)
class GuestJob:
    name: str
    argv: tuple[str, ...]  # in-guest argv


@dataclasses.dataclass
class FilePlan:
    """Which host files go into the initramfs and under which guest path."""

    files: dict[str, str] = dataclasses.field(default_factory=dict)  # host realpath -> guest path
    executables: set[str] = dataclasses.field(default_factory=set)  # host realpaths used as programs

    def guest_path(self, host: str) -> str:
        real = os.path.realpath(host)
        if real not in self.files:
            base = os.path.basename(real) or "file"
            self.files[real] = f"/files/{len(self.files)}/{base}"
        return self.files[real]


def is_host_file(arg: str, cwd: str) -> bool:
    if arg == "" or arg.startswith("-"):
        return False
    return os.path.isfile(os.path.join(cwd, arg))


def rewrite_args(jobs: Sequence[Job], cwd: Optional[str] = None) -> tuple[list[GuestJob], FilePlan]:
    """Replace every argument that names an existing host file (or the PATH of
    an ``--option=PATH`` argument) by its in-guest path.  The same host file
    (after resolving symlinks) is copied once however often it is named.
    Relative paths are taken relative to ``cwd`` (default: the current
    directory).  Other arguments, including a program that is not a host file
    (a busybox applet such as ``sh``), pass unchanged."""
    cwd = cwd or os.getcwd()
    plan = FilePlan()
    out = [GuestJob(name=job.name, argv=rewrite_argv(job.argv, plan, cwd)) for job in jobs]
    return out, plan


def rewrite_argv(argv: Sequence[str], plan: FilePlan, cwd: str) -> tuple[str, ...]:
    out: list[str] = []
    for i, arg in enumerate(argv):
        if is_host_file(arg, cwd):
            host = os.path.join(cwd, arg)
            out.append(plan.guest_path(host))
            if i == 0:
                plan.executables.add(os.path.realpath(host))
            continue
        m = re.match(r"^(--?[A-Za-z0-9][A-Za-z0-9_-]*=)(.+)$", arg)
        if i > 0 and m and is_host_file(m.group(2), cwd):
            out.append(m.group(1) + plan.guest_path(os.path.join(cwd, m.group(2))))
            continue
        out.append(arg)
    return tuple(out)



def foreign_program(head: bytes, arch: Optional[Arch]) -> Optional[str]:
    """Why an ELF program (its first bytes) cannot run on ``arch``'s guest, or None."""
    machine = elf_machine(head)
    if arch is None or machine is None or machine == arch.elf_machine:
        return None
    return f"it is not an {arch.name} program (ELF machine {machine}, {arch.name} is {arch.elf_machine})"


def check_programs(plan: FilePlan, arch: Optional[Arch] = None) -> None:
    """The guest has no shared libraries: reject dynamically linked programs,
    and programs for another architecture than ``arch``'s."""
    for host in sorted(plan.executables):
        try:
            with open(host, "rb") as fh:
                head = fh.read(1 << 20)
            interp = elf_interpreter(head)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot inspect program {host}: {exc}") from None
        if interp is not None:
            raise UsageError(
                f"program {host} is dynamically linked (interpreter {interp}); the nested guest "
                "has no shared libraries: link it with -static"
            )
        foreign = foreign_program(head, arch)
        if foreign:
            raise UsageError(f"program {host}: {foreign}")

