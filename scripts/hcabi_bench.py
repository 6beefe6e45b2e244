#!/usr/bin/env python3
"""hcabi_bench.py: the benchmarks behind `cmake --build BUILD --target bench`
(docs/performance.md). Measures, in one run on this machine:

  (a) a null HCABI call (BASE.GET_SPEC_VERSION) / a bare exit to the VMM's
      userspace (`out` to an unused port), from the same guest
      (conformance/bench/bench.c, hcabi-bench.elf, under hcabi-refvmm);
  (b) per call: one BATCH.EXECUTE of 64 entries / 64 separate calls (same guest);
  (c) the core's in-process cost per call (hcabi_bench_dispatch: hcabi_ref_dispatch
      in a loop against a minimal platform), on this host and, when the guest
      runs nested, inside the nested VM too (where TCG slows it like refvmm);
  (d) the wall time of the whole conformance run (runners/hcabi-conform run),
      split into booting and testing from its JSON report's `timing`.

refvmm runs where the refvmm tests run it: directly when /dev/kvm is usable
the way refvmm needs (reference-impl/refvmm/tests/refvmm_jobs.py decides, with a
probe boot), else in one nested-KVM boot (scripts/hcabi-nested) with the
launcher's holder. hcabi-conform picks direct or nested itself. The figures go
to stdout and to OUT/results.json. Standard library only.

Goals (docs/performance.md): (a) <= 1.25, (b) < 1/16. A goal not met is
reported, not an error: the exit status is 0 when every measurement ran, 1
when one failed.
"""

from __future__ import annotations

import argparse
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
GOAL_NULL_RATIO = 1.25
GOAL_BATCH_RATIO = 1 / 16

RESULT_RE = re.compile(r"^hcabi-bench: result name=(\S+) ns_per_op=(\d+) ns_min=(\d+) cycles_per_op=(\d+) iters=(\d+) rounds=(\d+)", re.M)


def say(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def parse_bench_serial(text: str) -> dict[str, dict[str, int]]:
    """The guest's `result` lines: name -> ns_per_op, ns_min, cycles_per_op, iters, rounds."""
    out: dict[str, dict[str, int]] = {}
    for m in RESULT_RE.finditer(text):
        out[m.group(1)] = {
            "ns_per_op": int(m.group(2)),
            "ns_min": int(m.group(3)),
            "cycles_per_op": int(m.group(4)),
            "iters": int(m.group(5)),
            "rounds": int(m.group(6)),
        }
    return out


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


def run_guest_jobs(a: argparse.Namespace, out: Path) -> tuple[Optional[str], dict[str, Path], dict[str, float]]:
    """The bench guest (and a smoke boot, and the dispatcher where refvmm runs)
    through refvmm_jobs.py: direct or nested, as the refvmm tests decide."""
    jobs_dir = out / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    refvmm = a.refvmm
    lines = [
        ("bench", [refvmm, "--serial", "-", "--vcpus", "1", "--memory", "64M", "--timeout", "900", "--cmdline", f"iters={a.iters} rounds={a.rounds}", a.bench_image]),
        ("smoke", [refvmm, "--serial", "-", "--vcpus", "1", "--memory", "64M", "--timeout", "120", a.smoke_image]),
        ("dispatch", [a.dispatch, "--json", "--ms", str(a.dispatch_ms)]),
    ]
    jobfile = out / "jobs.txt"
    jobfile.write_text("".join(f"{name}\t{shlex.join(argv)}\n" for name, argv in lines), encoding="utf-8")
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


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--refvmm", required=True)
    ap.add_argument("--bench-image", required=True)
    ap.add_argument("--smoke-image", required=True)
    ap.add_argument("--dispatch", required=True, help="hcabi_bench_dispatch")
    ap.add_argument("--probe-image", required=True, help="a guest that spins (refvmm_jobs.py's direct-KVM probe)")
    ap.add_argument("--launcher")
    ap.add_argument("--cache")
    ap.add_argument("--holder", help="the nested launcher's --holder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dispatch-ms", type=int, default=200)
    ap.add_argument("--build-type", default="", help="CMAKE_BUILD_TYPE, for the record")
    ap.add_argument("--skip-conform", action="store_true", help="leave out (d)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ok = True
    res: dict[str, Any] = {"build_type": a.build_type or "(none: no -O)", "host": os.uname().nodename, "cpus": os.cpu_count()}

    # (c) on this host
    host_dispatch = run_dispatch(a.dispatch, a.dispatch_ms)
    ok &= host_dispatch is not None
    res["dispatch_host_ns"] = host_dispatch["results"] if host_dispatch else None

    # (a), (b), and (c) where refvmm runs
    mode, jobs, job_seconds = run_guest_jobs(a, out)
    res["refvmm_mode"] = mode
    bench_serial = jobs["bench"].with_suffix(".serial")
    text = bench_serial.read_text("utf-8", "replace") if bench_serial.exists() else ""
    guest = parse_bench_serial(text)
    if job_status(jobs["bench"]) != 1 or "done" not in text or not guest:
        say(f"error: the bench guest did not finish (status {job_status(jobs['bench'])}; see {bench_serial})")
        ok = False
    res["guest_ns"] = guest
    if mode == "nested" and job_status(jobs["dispatch"]) == 0:
        try:
            res["dispatch_nested_ns"] = json.loads(jobs["dispatch"].with_suffix(".serial").read_text())["results"]
        except (OSError, ValueError, KeyError):
            res["dispatch_nested_ns"] = None
    res["smoke_boot_status"] = job_status(jobs["smoke"])
    # one refvmm run of the quickest image (boot, discovery, a few calls, exit):
    # what booting an image costs inside the nested VM
    res["smoke_job_s"] = job_seconds.get("smoke")

    g = {k: v["ns_per_op"] for k, v in guest.items()}
    gmin = {k: v["ns_min"] for k, v in guest.items()}
    res["ratio_null_over_exit"] = ratio(g.get("null_call"), g.get("out_port"))
    res["ratio_batch64_over_separate"] = ratio(g.get("batch64"), g.get("separate64"))
    # the fastest round of each: the least disturbed by other work on the host
    res["ratio_null_over_exit_min"] = ratio(gmin.get("null_call"), gmin.get("out_port"))
    res["ratio_batch64_over_separate_min"] = ratio(gmin.get("batch64"), gmin.get("separate64"))

    # (d)
    if not a.skip_conform:
        conform = run_conform(a, out)
        ok &= conform is not None
        res["conform"] = conform

    (out / "results.json").write_text(json.dumps(res, indent=2) + "\n")

    # the report
    print()
    say(f"results ({'refvmm ' + mode if mode else 'refvmm ?'}; build type {res['build_type']}; {res['cpus']} CPUs); also in {out / 'results.json'}")
    if guest:
        for name in ("out_port", "null_call", "separate64", "batch64", "cpuid", "get_mono"):
            if name in guest:
                r = guest[name]
                print(f"  guest  {name:<11} {r['ns_per_op']:>9} ns/op  (min {r['ns_min']}, {r['cycles_per_op']} TSC cycles; median of {r['rounds']} rounds of {r['iters']})")
    rn, rb = res["ratio_null_over_exit"], res["ratio_batch64_over_separate"]
    rnm, rbm = res["ratio_null_over_exit_min"], res["ratio_batch64_over_separate_min"]
    if rn is not None and rnm is not None:
        print(
            f"  (a) null call / bare exit to userspace = {g['null_call']} / {g['out_port']} ns = {rn:.3f} (medians; "
            f"fastest rounds: {gmin['null_call']} / {gmin['out_port']} = {rnm:.3f})  goal <= {GOAL_NULL_RATIO}: "
            f"{'met' if max(rn, rnm) <= GOAL_NULL_RATIO else 'NOT met'}"
        )
    if rb is not None and rbm is not None:
        print(
            f"  (b) BATCH of 64, per call / separate call = {g['batch64']} / {g['separate64']} ns = {rb:.4f} = 1/{1 / rb:.1f} "
            f"(fastest rounds: 1/{1 / rbm:.1f})  goal < 1/16: {'met' if max(rb, rbm) < GOAL_BATCH_RATIO else 'NOT met'}"
        )
    for label, key in (("host", "dispatch_host_ns"), ("nested VM (TCG)", "dispatch_nested_ns")):
        d = res.get(key)
        if d:
            cells = ", ".join(f"{k} {v:.1f}" for k, v in d.items())
            print(f"  (c) core dispatch in-process, {label}, ns/call: {cells}")
    c = res.get("conform")
    if c:
        t = c["timing"]
        smoke = res.get("smoke_job_s")
        print(
            f"  (d) conformance run ({c['mode']}, {c['boots']} boots, verdict {c['verdict']}): wall {c['wall_s']} s = "
            f"booting {t.get('booting')} s + testing {t.get('testing')} s + other {t.get('other')} s"
            + (f" + unsplit {t['unsplit']} s" if t.get("unsplit") else "")
            + f" + the runner's own {max(0.0, c['wall_s'] - sum(float(t.get(k, 0)) for k in ('booting', 'testing', 'other', 'unsplit'))):.1f} s"
        )
        if smoke is not None and c["mode"] == "nested":
            print(
                f"      booting an image inside the nested VM (refvmm start to exit of hcabi-smoke) takes {smoke} s: "
                f"with {c['boots']} images, about {smoke * c['boots']:.1f} s of the testing time is booting images"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    from hcabi_load import run_main  # the last resort: one line, never a traceback

    sys.exit(run_main(PROG, main))
