#!/usr/bin/env python3
"""hcabi_bench.py: the benchmarks behind `cmake --build BUILD --target bench`
and `--target bench-arm64`, `bench-riscv64` (docs/performance.md). Measures, in one run on this
machine:

  (a) a null HCABI call (BASE.GET_SPEC_VERSION) / a bare exit to the VMM's
      userspace, from the same guest (conformance/bench/bench.c,
      hcabi-bench.elf or .bin, under hcabi-refvmm of the same architecture):
      x86-64 `out` to an unused port, arm64 an MMIO write refvmm drops,
      riscv64 an MMIO write to the 16550's scratch register;
  (b) per call: one BATCH.EXECUTE of 64 entries / 64 separate calls (same guest);
  (c) the core's in-process cost per call (hcabi_bench_dispatch: hcabi_ref_dispatch
      in a loop against a minimal platform), on this host and, when the guest
      runs nested, inside the nested VM too (where TCG slows it like refvmm);
  (d) the wall time of the whole conformance run (runners/hcabi-conform run),
      split into booting and testing from its JSON report's `timing`.

--arch x86_64 (the default): refvmm runs where the refvmm tests run it:
directly when /dev/kvm is usable the way refvmm needs
(reference-impl/refvmm/tests/refvmm_jobs.py decides, with a probe boot), else
in one nested-KVM boot (scripts/hcabi-nested) with the launcher's holder.
hcabi-conform picks direct or nested itself.

--arch arm64, --arch riscv64: (a) and (b) only, refvmm of that architecture
always nested (this host's KVM runs its own architecture's guests): one boot
of the launcher with --arch and no holder, as `hcabi-conform run --arch` boots
it. (c) and (d) are x86-64's (the dispatcher is a host program; the suite's
own wall time there is `hcabi-conform run --arch`'s).

The figures go to stdout and to OUT/results.json, which names the
architecture (`arch`) and its bare exit (`bare_exit`). Standard library only.

Each ratio is printed with its spread: of the medians of the rounds, of the
fastest and of the slowest rounds. How busy the machine was over the run
(load, other processes, steal; on this host and in the nested VM) is
printed too, with a one-line warning when it was busy (hcabi_busy.py).

Goals (issue 16, docs/performance.md): (a) <= 1.10 and (b) <= 1/48, each on
the medians and on the fastest rounds. A goal not met is reported, not an
error: the exit status is 0 when every measurement ran, 1 when one failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

PROG = "hcabi-bench"
REPO = Path(__file__).resolve().parents[1]
# This file is its own entry script (CMake's `bench` target runs it): Python
# puts scripts/ on sys.path, and this one line adds the runner's root, as the
# other entry scripts (hcabi-nested, hcabi-repeat, runners/hcabi-conform) do.
sys.path.insert(1, str(REPO / "runners"))
from hcabi_conform.launcher_log import parse_launcher_log  # noqa: E402  (the launcher's per-job times)

import hcabi_busy  # noqa: E402
import hcabi_load as hl  # noqa: E402

GOAL_NULL_RATIO = 1.10
GOAL_BATCH_RATIO = 1 / 48

RESULT_RE = re.compile(
    r"^hcabi-bench: result name=(\S+) ns_per_op=(\d+) ns_min=(\d+)(?: ns_max=(\d+))? cycles_per_op=(\d+) iters=(\d+) rounds=(\d+)", re.M
)
# a launcher job that prints the nested VM's load and CPU counters (through
# sh -c: the launcher would copy in this host's /proc files if they were
# arguments of their own)
SYS_JOB = ["sh", "-c", "cat /proc/loadavg /proc/stat"]
from hcabi_nested.vm import DEFAULT_SMP as NESTED_CPUS  # noqa: E402  (the nested VM's vCPUs)


@dataclasses.dataclass(frozen=True)
class BenchArch:
    """What the bench guest of one architecture measures and how it ends
    (conformance/bench/bench_arch.h and arch/<arch>/bench_arch.c)."""

    name: str
    bare_exit: str  # the `result name=` of the bare exit to userspace: ratio (a)'s denominator
    kernel_exit: str  # the exit the hypervisor's kernel answers itself (a reference point)
    counter: str  # what cycles_per_op counts
    done_status: int  # refvmm's exit status when the guest ended with hcabi_exit(0)


ARCHES = {
    # isa-debug-exit 0: status 1
    "x86_64": BenchArch("x86_64", "out_port", "cpuid", "TSC cycles", 1),
    # SYSTEM.SHUTDOWN(0): status 0 (so is a failed run's SHUTDOWN(1): the `done` line decides)
    "arm64": BenchArch("arm64", "mmio_write", "smccc_version", "timer ticks", 0),
    # the same: SYSTEM.SHUTDOWN(0)
    "riscv64": BenchArch("riscv64", "mmio_write", "sbi_spec_version", "timer ticks", 0),
}


def say(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def parse_bench_serial(text: str) -> dict[str, dict[str, int]]:
    """The guest's `result` lines: name -> ns_per_op (the median round),
    ns_min, ns_max (the fastest and slowest rounds; a guest without ns_max
    gives none), cycles_per_op, iters, rounds."""
    out: dict[str, dict[str, int]] = {}
    for m in RESULT_RE.finditer(text):
        r = {"ns_per_op": int(m.group(2)), "ns_min": int(m.group(3))}
        if m.group(4) is not None:
            r["ns_max"] = int(m.group(4))
        r.update(cycles_per_op=int(m.group(5)), iters=int(m.group(6)), rounds=int(m.group(7)))
        out[m.group(1)] = r
    return out


def spread(guest: dict[str, dict[str, int]], num: str, den: str) -> Optional[dict[str, float]]:
    """num/den on the medians, the fastest and (where known) the slowest rounds."""
    if num not in guest or den not in guest:
        return None
    out: dict[str, float] = {}
    for key, field in (("median", "ns_per_op"), ("fastest", "ns_min"), ("slowest", "ns_max")):
        r = ratio(guest[num].get(field), guest[den].get(field))
        if r is not None:
            out[key] = r
    return out if "median" in out else None


def goal_met(s: dict[str, float], goal: float) -> bool:
    """The done-when: on the medians and on the fastest rounds."""
    return s["median"] <= goal and s.get("fastest", s["median"]) <= goal


def format_ratio(label: str, s: dict[str, float], num: int, den: int, goal: float, inverse: bool) -> str:
    """One ratio line with its spread; BATCH's as 1/N."""

    def f(x: float) -> str:
        return f"1/{1 / x:.1f}" if inverse else f"{x:.3f}"

    rest = ", ".join(f"{k} rounds {f(s[k])}" for k in ("fastest", "slowest") if k in s)
    return (
        f"  {label} = {num} / {den} ns = {f(s['median'])} on the medians ({rest})  "
        f"goal <= {f(goal)} on the medians and the fastest rounds: {'met' if goal_met(s, goal) else 'NOT met'}"
    )


def format_conform(c: dict[str, Any], smoke: Optional[float]) -> list[str]:
    """(d): the wall time and where it went; with several nested batches at
    once, each batch's own split (their sums overlap in time)."""
    t = c["timing"]
    batches: dict[int, dict[str, float]] = {}
    for tm in c.get("per_boot", {}).values():
        if "batch" in tm:
            b = batches.setdefault(int(tm["batch"]), {"wall": float(tm.get("batch_wall", 0.0)), "boot": 0.0, "jobs": 0.0, "n": 0})
            b["boot"] = float(tm.get("batch_holder_up", tm.get("batch_vm_boot", 0.0)))
            b["jobs"] += float(tm.get("job", 0.0))
            b["n"] += 1
    head = f"  (d) conformance run ({c['mode']}, {c['boots']} boots, verdict {c['verdict']}): wall {c['wall_s']} s"
    if len(batches) > 1:
        lines = [head + f", {len(batches)} nested batches at once:"]
        for k in sorted(batches):
            b = batches[k]
            lines.append(
                f"      batch {k}: {b['n']:.0f} boots, wall {b['wall']:.1f} s = nested VM boot {b['boot']:.1f} s + "
                f"jobs {b['jobs']:.1f} s + other {max(0.0, b['wall'] - b['boot'] - b['jobs']):.1f} s"
            )
    else:
        parts = sum(float(t.get(k, 0)) for k in ("booting", "testing", "other", "unsplit"))
        lines = [
            head
            + f" = booting {t.get('booting')} s + testing {t.get('testing')} s + other {t.get('other')} s"
            + (f" + unsplit {t['unsplit']} s" if t.get("unsplit") else "")
            + f" + the runner's own {max(0.0, c['wall_s'] - parts):.1f} s"
        ]
    if smoke is not None and c["mode"] == "nested":
        lines.append(
            f"      booting an image inside the nested VM (refvmm start to exit of hcabi-smoke) takes {smoke} s: "
            f"with {c['boots']} images, about {smoke * c['boots']:.1f} s of the testing time is booting images"
        )
    return lines


def run_dispatch(exe: str, ms: int) -> Optional[dict[str, Any]]:
    try:
        p = subprocess.run([exe, "--json", "--ms", str(ms)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        say(f"error: cannot run {exe}: {getattr(exc, 'strerror', None) or exc}")
        return None
    if p.returncode != 0:
        say(f"error: {exe} exited with {p.returncode}: {p.stderr.strip()}")
        return None
    return json.loads(p.stdout)


def bench_job(a: argparse.Namespace) -> list[str]:
    """refvmm booting the bench guest (the same arguments on every architecture)."""
    return [a.refvmm, "--serial", "-", "--vcpus", "1", "--memory", "64M", "--timeout", "900", "--cmdline", f"iters={a.iters} rounds={a.rounds}", a.bench_image]


def write_jobs(out: Path, lines: list[tuple[str, list[str]]]) -> tuple[Path, Path]:
    """The job file (the launcher's format) and the folder its results go to."""
    jobs_dir = out / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    jobfile = out / "jobs.txt"
    jobfile.write_text("".join(f"{name}\t{shlex.join(argv)}\n" for name, argv in lines), encoding="utf-8")
    return jobs_dir, jobfile


def run_guest_jobs(a: argparse.Namespace, out: Path) -> tuple[Optional[str], dict[str, Path], dict[str, float]]:
    """The bench guest (and a smoke boot, and the dispatcher where refvmm runs)
    through refvmm_jobs.py: direct or nested, as the refvmm tests decide."""
    refvmm = a.refvmm
    lines = [
        ("sys-before", SYS_JOB),
        ("bench", bench_job(a)),
        ("smoke", [refvmm, "--serial", "-", "--vcpus", "1", "--memory", "64M", "--timeout", "120", a.smoke_image]),
        ("dispatch", [a.dispatch, "--json", "--ms", str(a.dispatch_ms)]),
        ("sys-after", SYS_JOB),
    ]
    jobs_dir, jobfile = write_jobs(out, lines)
    cmd = [sys.executable, str(REPO / "reference-impl" / "refvmm" / "tests" / "refvmm_jobs.py"), "run",
           "--refvmm", refvmm, "--probe-image", a.probe_image, "--jobs", str(jobfile), "--out", str(jobs_dir),
           "--timeout", "1500", "--job-timeout", "1000"]  # fmt: skip
    if a.launcher:
        cmd += ["--launcher", a.launcher]
    if a.cache:
        cmd += ["--cache", a.cache]
    if a.holder is not None:
        cmd.append(f"--holder={a.holder}")
    say("running the bench guest: " + shlex.join(cmd))
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, errors="replace")
    sys.stdout.write(p.stdout)
    say(f"refvmm jobs done in {time.monotonic() - t0:.1f} s (exit {p.returncode})")
    mode_file = jobs_dir / "mode"
    mode = mode_file.read_text().strip() if mode_file.exists() else None
    # nested: the launcher says how long each job took inside the nested VM
    return mode, {name: jobs_dir / name for name, _ in lines}, parse_launcher_log(p.stdout).jobs


def run_guest_jobs_nested(a: argparse.Namespace, out: Path) -> tuple[Optional[str], dict[str, Path], dict[str, float]]:
    """The bench guest of a foreign architecture (arm64, riscv64 on an x86-64 host):
    always nested, one launcher boot with --arch and no holder (the holder is
    an x86-64 program), as `hcabi-conform run --arch arm64` boots refvmm."""
    lines = [("sys-before", SYS_JOB), ("bench", bench_job(a)), ("sys-after", SYS_JOB)]
    jobs_dir, jobfile = write_jobs(out, lines)
    launcher = a.launcher or str(REPO / "scripts" / "hcabi-nested")
    cmd = [sys.executable, launcher, "--arch", a.arch, "--holder=", "--timeout", "1500", "--job-timeout", "1000",
           "--out", str(jobs_dir)]  # fmt: skip
    if a.cache:
        cmd += ["--cache", a.cache]
    cmd.append(str(jobfile))
    say("running the bench guest: " + shlex.join(cmd))
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    sys.stdout.write(p.stdout)
    say(f"nested {a.arch} jobs done in {time.monotonic() - t0:.1f} s (exit {p.returncode})")
    return "nested", {name: jobs_dir / name for name, _ in lines}, parse_launcher_log(p.stdout).jobs


def guest_finished(text: str, status: Optional[int], arch: BenchArch) -> Optional[str]:
    """None when the bench guest ran to its end with every call right, else
    why not (its serial output and refvmm's exit status)."""
    if status != arch.done_status:
        return f"refvmm ended with status {status} (expected {arch.done_status})"
    if re.search(r"^hcabi-bench: FAIL", text, re.M):
        return "the guest reported a failure"
    if not re.search(r"^hcabi-bench: done\s*$", text, re.M):
        return "the guest did not print its `done` line"
    if not parse_bench_serial(text):
        return "the guest printed no results"
    return None


def job_status(base: Path) -> Optional[int]:
    try:
        return int(base.with_suffix(".status").read_text().strip())
    except (OSError, ValueError):
        return None


def run_conform(a: argparse.Namespace, out: Path) -> Optional[dict[str, Any]]:
    """(d): the whole conformance run, as a user runs it."""
    report = out / "conform.json"
    cmd = [sys.executable, str(REPO / "runners" / "hcabi-conform"), "run", "--build-dir", a.build_dir,
           "--out", str(out / "conform"), "--json", str(report)]  # fmt: skip
    env = dict(os.environ)
    if a.cache:
        env["HCABI_NESTED_CACHE"] = a.cache
    say("running the conformance suite: " + shlex.join(cmd))
    try:
        report.unlink()
    except FileNotFoundError:
        pass
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, env=env, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    if not report.exists():
        say(f"error: hcabi-conform wrote no report (exit {p.returncode})")
        return None
    rep = json.loads(report.read_text())
    t = rep.get("timing", {})
    per_boot = [(b["image"], b.get("timing", {})) for b in rep.get("boots", [])]
    return {
        "wall_s": round(wall, 1),
        "exit": p.returncode,
        "verdict": rep.get("verdict"),
        "mode": rep.get("target_info", {}).get("mode"),
        "boots": len(per_boot),
        "timing": t,
        "per_boot": {name: tm for name, tm in per_boot},
    }


def ratio(x: Optional[float], y: Optional[float]) -> Optional[float]:
    return None if not x or not y else x / y


def format_report(res: dict[str, Any]) -> list[str]:
    """The figures as printed, from results.json's content (a file from
    before `arch` was recorded is x86-64's)."""
    lines: list[str] = []
    arch = ARCHES[res.get("arch", "x86_64")]
    guest = res.get("guest_ns") or {}
    width = max(11, len(arch.bare_exit), len(arch.kernel_exit))
    for name in (arch.bare_exit, "null_call", "separate64", "batch64", arch.kernel_exit, "get_mono"):
        if name in guest:
            r = guest[name]
            slowest = f", slowest {r['ns_max']}" if "ns_max" in r else ""
            lines.append(
                f"  guest  {name:<{width}} {r['ns_per_op']:>9} ns/op  (fastest {r['ns_min']}{slowest}; {r['cycles_per_op']} {arch.counter}; "
                f"median of {r['rounds']} rounds of {r['iters']})"
            )
    rn, rb = res.get("ratio_null_over_exit"), res.get("ratio_batch64_over_separate")
    if rn:
        g = guest
        lines.append(format_ratio(f"(a) {arch.name}: null call / bare exit to userspace ({arch.bare_exit})", rn, g["null_call"]["ns_per_op"], g[arch.bare_exit]["ns_per_op"], GOAL_NULL_RATIO, False))
    if rb:
        g = guest
        lines.append(format_ratio("(b) BATCH of 64, per call / separate call", rb, g["batch64"]["ns_per_op"], g["separate64"]["ns_per_op"], GOAL_BATCH_RATIO, True))
    for label, key in (("host", "dispatch_host_ns"), ("nested VM (TCG)", "dispatch_nested_ns")):
        d = res.get(key)
        if d:
            cells = ", ".join(f"{k} {v:.1f}" for k, v in d.items())
            lines.append(f"  (c) core dispatch in-process, {label}, ns/call: {cells}")
    if res.get("conform"):
        lines += format_conform(res["conform"], res.get("smoke_job_s"))
    for a in (res.get("machine") or {}).get("assessed", []):
        lines.append("  machine, " + hcabi_busy.summary(a))
    return lines


# the options only x86-64's run uses: (c), (d) and refvmm_jobs.py's probe
X86_ONLY = ("build_dir", "smoke_image", "dispatch", "probe_image")


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    ap = hl.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(ARCHES), default="x86_64",
                    help="the architecture of refvmm and the bench guest (default: %(default)s); arm64 and riscv64 measure (a) and (b)")
    ap.add_argument("--build-dir", help="the build directory hcabi-conform runs ((d); x86_64)")
    ap.add_argument("--refvmm", required=True, help="hcabi-refvmm of --arch")
    ap.add_argument("--bench-image", required=True, help="the bench guest of --arch (hcabi-bench.elf, .bin)")
    ap.add_argument("--smoke-image", help="hcabi-smoke.elf (x86_64)")
    ap.add_argument("--dispatch", help="hcabi_bench_dispatch (x86_64)")
    ap.add_argument("--probe-image", help="a guest that spins (refvmm_jobs.py's direct-KVM probe; x86_64)")
    ap.add_argument("--launcher", help="scripts/hcabi-nested")
    ap.add_argument("--cache", help="the nested launcher's download cache")
    ap.add_argument("--holder", help="the nested launcher's --holder (x86_64; arm64 and riscv64 run without one)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dispatch-ms", type=int, default=200)
    ap.add_argument("--build-type", default="", help="CMAKE_BUILD_TYPE, for the record")
    ap.add_argument("--skip-conform", action="store_true", help="leave out (d)")
    a = ap.parse_args(argv)
    if a.arch == "x86_64":
        missing = [f"--{k.replace('_', '-')}" for k in X86_ONLY if getattr(a, k) is None]
        if missing:
            ap.error(f"--arch x86_64 needs {', '.join(missing)}")
    # before a nested boot, not after it: what it would boot must exist
    for opt, path in (("--refvmm", a.refvmm), ("--bench-image", a.bench_image)):
        if not os.path.isfile(path):
            ap.error(f"{opt} {path}: no such file (build it first: the bench targets do)")
    return a


def main(argv: Optional[list[str]] = None) -> int:
    a = parse_args(argv)
    arch = ARCHES[a.arch]
    out = Path(a.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"{PROG}: error: --out {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    ok = True
    res: dict[str, Any] = {"arch": arch.name, "bare_exit": arch.bare_exit, "build_type": a.build_type or "(none: no -O)",
                           "host": os.uname().nodename, "cpus": os.cpu_count()}  # fmt: skip
    host_before = hcabi_busy.snapshot()

    if arch.name == "x86_64":
        # (c) on this host
        host_dispatch = run_dispatch(a.dispatch, a.dispatch_ms)
        ok &= host_dispatch is not None
        res["dispatch_host_ns"] = host_dispatch["results"] if host_dispatch else None
        # (a), (b), and (c) where refvmm runs
        mode, jobs, job_seconds = run_guest_jobs(a, out)
    else:
        mode, jobs, job_seconds = run_guest_jobs_nested(a, out)
    res["refvmm_mode"] = mode
    bench_serial = jobs["bench"].with_suffix(".serial")
    text = bench_serial.read_text("utf-8", "replace") if bench_serial.exists() else ""
    guest = parse_bench_serial(text)
    why = guest_finished(text, job_status(jobs["bench"]), arch)
    if why:
        say(f"error: the bench guest did not finish: {why} (see {bench_serial})")
        ok = False
    res["guest_ns"] = guest
    if "dispatch" in jobs and mode == "nested" and job_status(jobs["dispatch"]) == 0:
        try:
            res["dispatch_nested_ns"] = json.loads(jobs["dispatch"].with_suffix(".serial").read_text())["results"]
        except (OSError, ValueError, KeyError):
            res["dispatch_nested_ns"] = None
    if "smoke" in jobs:
        res["smoke_boot_status"] = job_status(jobs["smoke"])
        # one refvmm run of the quickest image (boot, discovery, a few calls, exit):
        # what booting an image costs inside the nested VM
        res["smoke_job_s"] = job_seconds.get("smoke")
    res["bench_job_s"] = job_seconds.get("bench")

    # the spread of each ratio: medians, fastest and slowest rounds
    res["ratio_null_over_exit"] = spread(guest, "null_call", arch.bare_exit)
    res["ratio_batch64_over_separate"] = spread(guest, "batch64", "separate64")

    # (d)
    if arch.name == "x86_64" and not a.skip_conform:
        conform = run_conform(a, out)
        ok &= conform is not None
        res["conform"] = conform

    # how busy the machine was: here over the whole run, in the nested VM
    # over its jobs (the launcher's `cat` of its /proc files before and after)
    machine = [hcabi_busy.assess(host_before, hcabi_busy.snapshot(), os.cpu_count() or 1, hcabi_busy.clock_ticks(), "host")]
    if mode == "nested":
        snaps = [jobs[n].with_suffix(".serial") for n in ("sys-before", "sys-after")]
        if all(p.exists() for p in snaps):
            before, after = (hcabi_busy.parse_proc_text(p.read_text("ascii", "replace")) for p in snaps)
            machine.append(hcabi_busy.assess(before, after, NESTED_CPUS, None, "nested VM"))
    res["machine"] = {"assessed": machine, "warning": hcabi_busy.warning(machine)}

    (out / "results.json").write_text(json.dumps(res, indent=2) + "\n")

    # the report
    print()
    say(f"results ({arch.name}; {'refvmm ' + mode if mode else 'refvmm ?'}; build type {res['build_type']}; {res['cpus']} CPUs); "
        f"also in {out / 'results.json'}")  # fmt: skip
    for line in format_report(res):
        print(line)
    if res["machine"]["warning"]:
        say(res["machine"]["warning"])
    return 0 if ok else 1


if __name__ == "__main__":
    from hcabi_load import run_main  # the last resort: one line, never a traceback

    sys.exit(run_main(PROG, main))
