#!/usr/bin/env python3
"""Run a batch of hcabi-refvmm jobs where KVM is, and check their results.

    refvmm_jobs.py run --refvmm PATH --probe-image ELF --jobs JOBFILE --out DIR
                       [--launcher PATH] [--cache DIR] [--holder 'PROGRAM ARGS']
                       [--timeout S] [--job-timeout S]
    refvmm_jobs.py check --out DIR --job NAME --status N [--last-stderr REGEX]
                       [--serial REGEX]... [--stderr REGEX]... [--serial-size N]
                       [--serial-count REGEX=N]... [--stderr-count REGEX=N]...
    refvmm_jobs.py exec --status N [--last-stderr REGEX] [--stdout REGEX]
                       -- PROGRAM ARGS...

`run` picks how to reach KVM, once for the whole batch:
  direct  /dev/kvm is usable the way refvmm needs it (a probe boot of
          PROBE_IMAGE with --timeout must end with status 8): each job runs
          here, one after the other;
  nested  otherwise: the whole job file goes to scripts/hcabi-nested, one boot.
HCABI_REFVMM_TEST_MODE=direct|nested forces one. Either way DIR gets, per job,
NAME.serial (stdout), NAME.stderr and NAME.status, as the nested launcher
writes them (docs/internals.md), plus DIR/mode.

JOBFILE is the launcher's format: NAME<TAB>PROGRAM ARGS..., shell words.

--holder (nested mode) goes to the launcher as its --holder ('' for none;
without it the launcher uses $HCABI_NESTED_HOLDER). The build passes
'hcabi-nested-probe --hold': an idle KVM VM kept alive for the whole batch,
so that the nested kernel does not patch its static keys at every job, which
has panicked it under TCG (docs/internals.md, "The nested launcher").

`check` asserts one job's results; a missing .status (the job did not
complete) is a failure. `exec` runs one command here (no KVM needed: usage
and image errors) and asserts its status and last stderr line. Standard
library only.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

PROG = "refvmm_jobs"


def parse_jobs(text: str) -> list[tuple[str, list[str]]]:
    jobs = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" not in line:
            raise ValueError(f"line {n}: expected NAME<TAB>ARGS")
        name, args = line.split("\t", 1)
        jobs.append((name, shlex.split(args)))
    return jobs


def direct_usable(refvmm: str, probe: str) -> tuple[bool, str]:
    if not os.path.exists("/dev/kvm"):
        return False, "no /dev/kvm"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is not readable and writable"
    try:
        p = subprocess.run([refvmm, "--timeout", "0.5", probe], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"probe boot failed: {exc}"
    if p.returncode != 8:
        last = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, f"probe boot ended with status {p.returncode}: {last[-1] if last else ''}"
    return True, "probe boot ok"


def run_direct(jobs: list[tuple[str, list[str]]], out: Path, job_timeout: float) -> int:
    for name, argv in jobs:
        for ext in ("serial", "stderr", "status"):
            (out / f"{name}.{ext}").unlink(missing_ok=True)
    for name, argv in jobs:
        print(f"{PROG}: {name}: {shlex.join(argv)}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"refvmm-{name}-") as cwd, \
                open(out / f"{name}.serial", "wb") as so, open(out / f"{name}.stderr", "wb") as se:
            try:
                p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=so, stderr=se,
                                   cwd=cwd, timeout=job_timeout)
            except subprocess.TimeoutExpired:
                se.write(f"{PROG}: killed after {job_timeout:g} s (--job-timeout)\n".encode())
                print(f"{PROG}: {name}: killed after {job_timeout:g} s", flush=True)
                continue
            except OSError as exc:
                se.write(f"{PROG}: cannot run: {exc}\n".encode())
                continue
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        (out / f"{name}.status").write_text(f"{status}\n")
        print(f"{PROG}: {name}: status {status}", flush=True)
    return 0


def cmd_run(a: argparse.Namespace) -> int:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        jobs = parse_jobs(Path(a.jobs).read_text())
    except (OSError, ValueError) as exc:
        print(f"{PROG}: {a.jobs}: {exc}", file=sys.stderr)
        return 2
    mode = os.environ.get("HCABI_REFVMM_TEST_MODE", "auto")
    if mode not in ("auto", "direct", "nested"):
        print(f"{PROG}: HCABI_REFVMM_TEST_MODE must be auto, direct or nested", file=sys.stderr)
        return 2
    if mode == "auto":
        ok, why = direct_usable(a.refvmm, a.probe_image)
        mode = "direct" if ok else "nested"
        print(f"{PROG}: running refvmm {mode}ly ({why})" if mode == "direct"
              else f"{PROG}: running refvmm nested ({why})", flush=True)
    (out / "mode").write_text(mode + "\n")
    if mode == "direct":
        return run_direct(jobs, out, a.job_timeout)
    if not a.launcher or not Path(a.launcher).exists():
        print(f"{PROG}: no usable /dev/kvm and no nested launcher (scripts/hcabi-nested)",
              file=sys.stderr)
        return 4
    cmd = [sys.executable, a.launcher, "--out", str(out), "--timeout", f"{a.timeout:g}",
           "--job-timeout", f"{min(a.job_timeout, a.timeout):g}"]
    if a.cache:
        cmd += ["--cache", a.cache]
    if a.holder is not None:
        cmd.append(f"--holder={a.holder}")
    cmd.append(a.jobs)
    print("+ " + shlex.join(cmd), flush=True)
    return subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode


def _count(spec: str) -> tuple[str, int]:
    regex, _, n = spec.rpartition("=")
    if not regex or not n.isdigit():
        raise argparse.ArgumentTypeError(f"expected REGEX=N, not {spec!r}")
    return regex, int(n)


def cmd_check(a: argparse.Namespace) -> int:
    out = Path(a.out)
    name = a.job
    fails: list[str] = []
    mode = (out / "mode").read_text().strip() if (out / "mode").exists() else "?"
    st = out / f"{name}.status"
    serial_p, stderr_p = out / f"{name}.serial", out / f"{name}.stderr"
    serial = serial_p.read_bytes() if serial_p.exists() else b""
    stderr = stderr_p.read_text("utf-8", "replace") if stderr_p.exists() else ""
    lines = stderr.rstrip("\n").splitlines()
    last = lines[-1] if lines else ""
    if not st.exists():
        fails.append(f"no {st.name}: the job did not complete (mode {mode})")
    else:
        got = st.read_text().strip()
        if got != str(a.status):
            fails.append(f"exit status {got}, expected {a.status}")
    if a.last_stderr is not None and not re.search(a.last_stderr, last):
        fails.append(f"last stderr line {last!r} does not match /{a.last_stderr}/")
    text = serial.decode("utf-8", "replace")
    for rx in a.serial:
        if not re.search(rx, text, re.MULTILINE):
            fails.append(f"serial output does not match /{rx}/")
    for rx in a.stderr:
        if not re.search(rx, stderr, re.MULTILINE):
            fails.append(f"stderr does not match /{rx}/")
    if a.serial_size is not None and len(serial) != a.serial_size:
        fails.append(f"serial output is {len(serial)} bytes, expected {a.serial_size}")
    for rx, n in a.serial_count:
        got_n = len(re.findall(rx, text, re.MULTILINE))
        if got_n < n:
            fails.append(f"serial output matches /{rx}/ {got_n} time(s), expected at least {n}")
    for rx, n in a.stderr_count:
        got_n = len(re.findall(rx, stderr, re.MULTILINE))
        if got_n != n:
            fails.append(f"stderr matches /{rx}/ {got_n} time(s), expected exactly {n}")
    print(f"{name} (mode {mode}): status {st.read_text().strip() if st.exists() else '-'}; "
          f"last stderr line: {last!r}")
    if fails:
        tail = text[-3000:]
        print(f"--- {name}.serial (last {len(tail)} of {len(serial)} bytes)\n{tail}")
        print(f"--- {name}.stderr\n{stderr[-3000:]}")
        for f in fails:
            print(f"FAIL: {f}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


def cmd_exec(a: argparse.Namespace) -> int:
    argv = a.argv[1:] if a.argv and a.argv[0] == "--" else a.argv
    if not argv:
        print(f"{PROG}: exec: no command", file=sys.stderr)
        return 2
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    stderr = p.stderr.decode("utf-8", "replace")
    stdout = p.stdout.decode("utf-8", "replace")
    lines = stderr.rstrip("\n").splitlines()
    last = lines[-1] if lines else ""
    print(f"+ {shlex.join(argv)}\nstatus {p.returncode}; last stderr line: {last!r}")
    fails = []
    if p.returncode != a.status:
        fails.append(f"exit status {p.returncode}, expected {a.status}")
    if a.last_stderr is not None and not re.search(a.last_stderr, last):
        fails.append(f"last stderr line does not match /{a.last_stderr}/")
    if a.stdout is not None and not re.search(a.stdout, stdout, re.MULTILINE):
        fails.append(f"stdout does not match /{a.stdout}/")
    for f in fails:
        print(f"FAIL: {f}", file=sys.stderr)
    if not fails:
        print("PASS")
    return 1 if fails else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog=PROG)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--refvmm", required=True)
    r.add_argument("--probe-image", required=True)
    r.add_argument("--holder", metavar="'PROGRAM ARGS'")
    r.add_argument("--jobs", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--launcher")
    r.add_argument("--cache")
    r.add_argument("--timeout", type=float, default=1080.0)
    r.add_argument("--job-timeout", type=float, default=300.0)
    c = sub.add_parser("check")
    c.add_argument("--out", required=True)
    c.add_argument("--job", required=True)
    c.add_argument("--status", type=int, required=True)
    c.add_argument("--last-stderr")
    c.add_argument("--serial", action="append", default=[])
    c.add_argument("--stderr", action="append", default=[])
    c.add_argument("--serial-size", type=int)
    c.add_argument("--serial-count", type=_count, action="append", default=[])
    c.add_argument("--stderr-count", type=_count, action="append", default=[])
    e = sub.add_parser("exec")
    e.add_argument("--status", type=int, required=True)
    e.add_argument("--last-stderr")
    e.add_argument("--stdout")
    e.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    return {"run": cmd_run, "check": cmd_check, "exec": cmd_exec}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
