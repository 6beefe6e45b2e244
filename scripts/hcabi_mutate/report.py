"""hcabi_mutate.report: the results as tables (per file and per operator,
with the score), the survivors and the lines no image reaches; and the one
usage error every part raises. It imports no other part of the tool."""

from __future__ import annotations

from collections import Counter
from typing import Optional

STATUSES = ("killed", "killed-error", "survived", "not-reached", "stillborn", "identical")


class UsageFailure(Exception):
    pass


def table(data: dict, mutants_ids: Optional[set[str]] = None) -> str:
    rows: dict[str, Counter] = {}
    ops: dict[str, Counter] = {}
    for mid, e in sorted(data["mutants"].items()):
        if mutants_ids is not None and mid not in mutants_ids:
            continue
        rows.setdefault(e["file"], Counter())[e["status"]] += 1
        ops.setdefault(e["op"], Counter())[e["status"]] += 1
    lines = []
    for title, groups in (("file", rows), ("operator", ops)):
        lines.append(f"| {title} | " + " | ".join(STATUSES) + " | score |")
        lines.append("| --- " * (len(STATUSES) + 2) + "|")
        total: Counter = Counter()
        for name, c in sorted(groups.items()):
            total += c
            lines.append(f"| {name} | " + " | ".join(str(c[s]) for s in STATUSES) + f" | {score(c)} |")
        lines.append("| **all** | " + " | ".join(str(total[s]) for s in STATUSES) + f" | {score(total)} |")
        lines.append("")
    chosen = [(mid, e) for mid, e in sorted(data["mutants"].items()) if mutants_ids is None or mid in mutants_ids]
    survivors = [(mid, e) for mid, e in chosen if e["status"] == "survived"]
    if survivors:
        lines.append("Survivors:")
        lines += [f"- `{mid}` {e['describe']}" + (f" [images: {', '.join(e.get('images', []))}]") +
                  (f" [pass->skip: {', '.join(e['pass_to_skip'])}]" if e.get("pass_to_skip") else "") for mid, e in survivors]  # fmt: skip
        lines.append("")
    unreached: dict[tuple[str, str], list[str]] = {}
    for mid, e in chosen:
        if e["status"] == "not-reached":
            unreached.setdefault((e["file"], e.get("function") or "(outside a function)"), []).append(mid.split(":", 1)[1])
    if unreached:
        lines.append("Not reached by any image (by function):")
        lines += [f"- {f} `{fn}`: {len(ids)}: {', '.join(ids)}" for (f, fn), ids in sorted(unreached.items())]
    return "\n".join(lines)


def score(c: Counter) -> str:
    """Killed (either kind) over killed + survived + not reached (code no
    image runs counts as a survivor until argued equivalent); stillborn and
    identical-binary mutants are not in the denominator."""
    judged = c["killed"] + c["killed-error"] + c["survived"] + c["not-reached"]
    return f"{100 * (c['killed'] + c['killed-error']) / judged:.1f}%" if judged else "-"
