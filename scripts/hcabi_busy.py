"""hcabi_busy.py: was the machine busy while a benchmark ran? (hcabi_bench.py)

Timings on a shared machine move with other work, so `bench` says how busy
the machine was over its run, from what Linux reports:

- the 1-minute load average over the number of CPUs (/proc/loadavg), at the
  start (the work before ours) and at the end (ours included);
- the share of the CPUs' time other processes used over the run: the busy
  time in /proc/stat's `cpu` line less this process's and its children's
  own CPU time (the nested VM's QEMU included);
- steal: the share of the CPUs' time the hypervisor under this machine ran
  something else (/proc/stat's steal field), which a VM sees as slowness.

Read in the nested VM too (the same two files, printed by a launcher job),
where only steal and the load at the start mean anything: everything else
running there is the benchmark. Standard library only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Optional

# Above any of these the run was busy and its figures are disturbed.
LOAD_PER_CPU = 0.5  # 1-minute load per CPU before the run began
OTHERS_SHARE = 0.25  # CPU time of other processes, share of all CPUs' time
STEAL_SHARE = 0.05  # steal, share of all CPUs' time
# /proc/stat `cpu` fields: user nice system idle iowait irq softirq steal
# (guest and guest_nice follow; they are already counted in user and nice)
IDLE, IOWAIT, STEAL, NFIELDS = 3, 4, 7, 8


@dataclass
class Snapshot:
    """What the machine said at one moment; None where it could not be read."""

    at: float  # time.monotonic()
    load1: Optional[float]
    cpu: Optional[list[int]]  # the first NFIELDS fields of /proc/stat's `cpu` line, in ticks
    own_cpu_s: Optional[float] = None  # this process's and its children's CPU time


def parse_loadavg(text: str) -> Optional[float]:
    """The 1-minute load from /proc/loadavg's text (its first field)."""
    try:
        return float(text.split()[0])
    except (IndexError, ValueError):
        return None


def parse_stat_cpu(text: str) -> Optional[list[int]]:
    """The aggregate `cpu` line of /proc/stat, first NFIELDS fields (missing
    trailing fields, from old kernels, count as 0)."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            try:
                fields = [int(x) for x in parts[1 : 1 + NFIELDS]]
            except ValueError:
                return None
            if len(fields) < 4:
                return None
            return fields + [0] * (NFIELDS - len(fields))
    return None


def parse_proc_text(text: str, at: float = 0.0) -> Snapshot:
    """A snapshot from the two files printed one after the other (the nested
    VM's job: `cat /proc/loadavg /proc/stat`)."""
    first = text.splitlines()[0] if text.strip() else ""
    return Snapshot(at, parse_loadavg(first) if not first.startswith("cpu") else None, parse_stat_cpu(text))


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def snapshot() -> Snapshot:
    """This host, now."""
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    return Snapshot(time.monotonic(), parse_loadavg(_read("/proc/loadavg")), parse_stat_cpu(_read("/proc/stat")), own)


def assess(before: Snapshot, after: Snapshot, cpus: int, hz: Optional[int] = None, where: str = "host") -> dict[str, Any]:
    """The run between two snapshots: the figures, whether it was busy, and
    why (each reason names its threshold)."""
    cpus = max(1, cpus)
    out: dict[str, Any] = {"where": where, "cpus": cpus, "thresholds": {"load_per_cpu": LOAD_PER_CPU, "others_share": OTHERS_SHARE, "steal_share": STEAL_SHARE}}
    reasons: list[str] = []
    if before.load1 is not None:
        out["load_per_cpu_start"] = round(before.load1 / cpus, 3)
        if before.load1 / cpus > LOAD_PER_CPU:
            reasons.append(f"{where} load {before.load1 / cpus:.2f}/CPU at the start (over {LOAD_PER_CPU})")
    if after.load1 is not None:
        out["load_per_cpu_end"] = round(after.load1 / cpus, 3)
    if before.cpu is not None and after.cpu is not None:
        d = [a - b for a, b in zip(after.cpu, before.cpu)]
        total = sum(d)
        if total > 0:
            steal = max(0, d[STEAL]) / total
            out["steal_share"] = round(steal, 4)
            if steal > STEAL_SHARE:
                reasons.append(f"{where} steal {100 * steal:.1f} % of the CPUs' time (over {100 * STEAL_SHARE:.0f} %)")
            busy_ticks = total - d[IDLE] - d[IOWAIT] - d[STEAL]
            span = after.at - before.at
            if hz and span > 0 and before.own_cpu_s is not None and after.own_cpu_s is not None:
                others = (busy_ticks / hz - (after.own_cpu_s - before.own_cpu_s)) / (span * cpus)
                others = min(1.0, max(0.0, others))
                out["others_share"] = round(others, 4)
                if others > OTHERS_SHARE:
                    reasons.append(f"other processes used {100 * others:.0f} % of the {where}'s CPUs (over {100 * OTHERS_SHARE:.0f} %)")
    out["busy"] = bool(reasons)
    out["reasons"] = reasons
    return out


def summary(a: dict[str, Any]) -> str:
    """One line of what was measured, busy or not."""
    parts = []
    if "load_per_cpu_start" in a:
        end = f", {a['load_per_cpu_end']:.2f} at the end" if "load_per_cpu_end" in a else ""
        parts.append(f"load {a['load_per_cpu_start']:.2f}/CPU at the start{end} ({a['cpus']} CPUs)")
    if "others_share" in a:
        parts.append(f"other processes {100 * a['others_share']:.0f} % of the CPUs")
    if "steal_share" in a:
        parts.append(f"steal {100 * a['steal_share']:.1f} %")
    return f"{a['where']}: " + (", ".join(parts) if parts else "not readable")


def warning(assessed: list[dict[str, Any]]) -> Optional[str]:
    """The one-line warning for a busy run, or None."""
    reasons = [r for a in assessed for r in a.get("reasons", [])]
    if not reasons:
        return None
    return "warning: the machine was busy during the run, so these figures are disturbed: " + "; ".join(reasons)


def clock_ticks() -> Optional[int]:
    """USER_HZ, the unit of /proc/stat."""
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return None
