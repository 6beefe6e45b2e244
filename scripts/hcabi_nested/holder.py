"""The holder (--holder): a static program that keeps one idle KVM VM alive
from before the first job to after the last (see the package docstring for
why), its command line on the host and its shell functions in the guest."""

from __future__ import annotations

import os
import shlex
from typing import Optional, Sequence

from hcabi_conform.errors import UsageError

from .arch import Arch
from .elf import elf_interpreter
from .jobs import FilePlan, GuestJob, foreign_program, is_host_file, rewrite_argv

# How long the holder may take to print its ready line, and to end on SIGTERM.
HOLDER_READY_TIMEOUT = 60
HOLDER_STOP_TIMEOUT = 10
HOLDER_READY_WORD = "hold=ready"
HOLDER_ENV = "HCABI_NESTED_HOLDER"
HOLDER_STATES = ("up", "failed", "stopped", "lost")


def parse_holder(text: Optional[str], source: str = "--holder") -> Optional[tuple[str, ...]]:
    """``PROGRAM [ARGS...]`` split like the ARGS of a job line; None when the
    text is missing or blank (no holder).  UsageError when it cannot be split."""
    if text is None or text.strip() == "":
        return None
    if "\0" in text or "\n" in text:
        raise UsageError(f"{source}: NUL or newline in the holder command")
    try:
        argv = shlex.split(text.replace("\t", " "), comments=False, posix=True)
    except ValueError as exc:
        raise UsageError(f"{source}: cannot split {text!r}: {exc}") from None
    return tuple(argv) or None


def holder_problem(argv: Sequence[str], cwd: Optional[str] = None, arch: Optional[Arch] = None) -> Optional[str]:
    """Why the holder cannot run in the guest, as far as the host can tell
    (a dynamically linked program, one for another architecture than
    ``arch``'s, an unreadable one), else None.  A program
    that is not a host file is left to the guest, like a job's."""
    cwd = cwd or os.getcwd()
    if not is_host_file(argv[0], cwd):
        path = os.path.join(cwd, argv[0])
        return f"{path} is not a file" if argv[0] and os.path.exists(path) else None
    host = os.path.realpath(os.path.join(cwd, argv[0]))
    try:
        with open(host, "rb") as fh:
            head = fh.read(1 << 20)
        interp = elf_interpreter(head)
    except (OSError, ValueError) as exc:
        return f"cannot inspect {host}: {exc}"
    if interp is not None:
        return f"{host} is dynamically linked (interpreter {interp}); link it with -static"
    foreign = foreign_program(head, arch)
    return f"{host}: {foreign}" if foreign else None


def rewrite_holder(argv: Sequence[str], plan: FilePlan, cwd: Optional[str] = None) -> GuestJob:
    """The holder's in-guest argv; its files join ``plan`` (shared with the jobs)."""
    return GuestJob(name="holder", argv=rewrite_argv(argv, plan, cwd or os.getcwd()))



def render_holder_functions(
    ready_timeout: int = HOLDER_READY_TIMEOUT,
    stop_timeout: int = HOLDER_STOP_TIMEOUT,
    workdir: str = "/tmp/holder",
    script: str = "/holder.sh",
) -> str:
    """The guest's start_holder and stop_holder shell functions (they use the
    init's log, emit and oneline).  The holder runs ``script`` in
    ``workdir``, its output going to ``workdir``/out; start_holder returns
    once that has a line with HOLDER_READY_WORD, or the holder ended, or
    ``ready_timeout`` s passed (then it is killed): the jobs run either way."""
    return f"""holder_pid=
holder_dir={shlex.quote(workdir)}
alive() {{ kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }}
start_holder() {{ # the holder in the background; wait for its ready line
    mkdir -p "$holder_dir"
    (cd "$holder_dir" && exec sh {shlex.quote(script)}) </dev/null >"$holder_dir/out" 2>&1 &
    holder_pid=$!
    log "holder: started (pid $holder_pid)"
    i=0
    while :; do
        ready=$(grep -m1 -F {HOLDER_READY_WORD} "$holder_dir/out")
        if [ -n "$ready" ]; then
            log "holder: $ready"
            emit "holder state=up msg=$(echo "$ready" | oneline)"
            return
        fi
        if ! alive $holder_pid; then
            wait $holder_pid
            st=$?
            sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out"
            emit "holder state=failed msg=it ended with status $st before it was ready: $(tail -n 3 "$holder_dir/out" | oneline)"
            holder_pid=
            return
        fi
        i=$((i + 1))
        if [ $i -ge {ready_timeout * 10} ]; then
            kill -KILL $holder_pid 2>/dev/null
            wait $holder_pid 2>/dev/null
            sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out"
            emit "holder state=failed msg=no {HOLDER_READY_WORD} line after {ready_timeout} s: $(tail -n 3 "$holder_dir/out" | oneline)"
            holder_pid=
            return
        fi
        sleep 0.1
    done
}}
stop_holder() {{ # SIGTERM, then SIGKILL after {stop_timeout} s
    [ -n "$holder_pid" ] || return 0
    if ! alive $holder_pid; then
        wait $holder_pid
        st=$?
        emit "holder state=lost msg=it ended with status $st during the batch: $(tail -n 3 "$holder_dir/out" | oneline)"
    else
        kill -TERM $holder_pid 2>/dev/null
        (sleep {stop_timeout}; kill -KILL $holder_pid 2>/dev/null) </dev/null >/dev/null 2>&1 &
        wd=$!
        wait $holder_pid
        st=$?
        kill $wd 2>/dev/null
        wait $wd 2>/dev/null
        emit "holder state=stopped msg=status $st: $(tail -n 1 "$holder_dir/out" | oneline)"
    fi
    sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out" | tail -n 20
    holder_pid=
}}
"""


