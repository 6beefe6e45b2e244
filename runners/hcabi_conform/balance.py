"""Split the boots of a nested run into batches that take about as long.

Each nested batch runs its boots one after another in its own nested VM, so
the run takes as long as its slowest batch. The images' times differ by a
factor of 100 (a system image ends in 0.1 s, `vcpu` tests for seconds), and
nothing in the manifests predicts them; the previous run in the same --out
directory measured them (its report.json: each boot's `timing.job`, the
boot's time inside the nested VM). With those times, the longest boot goes
first to the batch with the least work (LPT, within 4/3 of the best split);
a boot the previous run did not time counts as the median of those it did.
Without a previous report (a fresh --out), the boots are dealt out in name
order, as before."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Sequence


def previous_times(report: Path) -> dict[str, float]:
    """Image name -> seconds inside the nested VM, from a previous run's JSON
    report; empty if there is none or it cannot be read (a hint only: a bad
    or foreign file never stops a run)."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, float] = {}
    boots = data.get("boots") if isinstance(data, dict) else None
    for boot in boots if isinstance(boots, list) else []:
        if not isinstance(boot, dict) or not isinstance(boot.get("image"), str):
            continue
        timing = boot.get("timing")
        job = timing.get("job") if isinstance(timing, dict) else None
        if isinstance(job, (int, float)) and not isinstance(job, bool) and job >= 0:
            out[boot["image"]] = float(job)
    return out


def split(names: Sequence[str], count: int, times: dict[str, float]) -> list[list[int]]:
    """Indices into `names` for each of `count` batches (every batch
    non-empty when there are at least `count` names), each in the order of
    `names`."""
    count = max(1, min(count, len(names)))
    known = [times[n] for n in names if n in times]
    if not known or count == 1:
        return [list(range(k, len(names), count)) for k in range(count)]
    default = statistics.median(known)
    cost = [times.get(n, default) for n in names]
    load = [0.0] * count
    groups: list[list[int]] = [[] for _ in range(count)]
    # longest first; ties in name order, so the split is deterministic
    for i in sorted(range(len(names)), key=lambda i: (-cost[i], i)):
        k = min(range(count), key=lambda k: (load[k], len(groups[k]), k))
        groups[k].append(i)
        load[k] += cost[i]
    return [sorted(g) for g in groups]
