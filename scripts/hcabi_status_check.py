"""Check that each function's status table lists what its requirements say it returns.

A reader looks up a status in the function's table; a requirement that names a status
the table lacks, or a case of a listed status that the table's row does not mention,
leaves that reader wrong. hcabi_speccheck.py runs this on the registry and fails the
spec build on any finding (one line each, naming the registry file and requirement).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_registry as hr  # noqa: E402
from hcabi_spec_view import parts_of  # noqa: E402


def status_mentions(reg: hr.Registry) -> list[str]:
    """What a function's status table misses of its requirements (and their parts), one
    line each ("FILE: requirement ID of EXT.FN ..."):

    - a status the requirement names that the table does not list;
    - a bit field of an argument the requirement names beside a status that the status's
      row ("when") does not name: the row misses the case (IPI.SEND's `all_but_self`).

    A status named as the value of something else ("status `DENIED`", "whose status is
    not `SUCCESS`", "MUST get `DENIED`": a BATCH entry's) is not one the function
    returns, and is skipped."""
    names = sorted((s["name"] for s in reg.statuses), key=len, reverse=True)
    named = re.compile(r"(?<![A-Z0-9_])(" + "|".join(map(re.escape, names)) + r")(?![A-Z0-9_])")
    other = re.compile(r"\b(?:status(?: is)?(?: not)?|gets?) `?$")
    out = []
    for fn in reg.functions():
        when = {s.name: s.when for s in fn.statuses}
        fields = {f.name for a in fn.args for f in a.fields} - {a.name for a in fn.args}
        for r in fn.requirements:
            texts = [(r.id, r.text)] + [(p["id"], p["text"]) for p in parts_of(r)]
            for rid, text in texts:
                cited = [f for f in sorted(fields) if f"`{f}`" in text]
                returned = [m.group(1) for m in named.finditer(text) if not other.search(text[:m.start()])]
                for name in dict.fromkeys(returned):
                    where = f"{r.file}: requirement {rid} of {fn.qualname}"
                    if name not in when:
                        out.append(f"{where} names `{name}`, which the function's status table does not list: "
                                   "add a [[function.status]] row saying when")
                        continue
                    for f in cited:
                        if f"`{f}`" not in when[name] and name != "SUCCESS":
                            out.append(f"{where} says when `{name}` is returned with `{f}`, but the status "
                                       f"table's `{name}` row does not name `{f}`: add that case to the row")
    return out
