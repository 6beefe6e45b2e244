"""One line per root cause.

When HCABI is absent every test fails for that one reason, and a listing of
each (one line per test, per requirement) buries it. Lines that differ only
in the test names and requirement IDs they mention share a cause: they are
shown as one line with their count and the first few names; the report (and
-v) keeps every line.

    failure: 157 tests: fail: not run: HCABI is not present on this target (BASE.get_impl_id, BASE.get_impl_version, ... and 155 more)
"""

from __future__ import annotations

import re
from typing import Iterable

NAMED = 3  # names shown in a grouped line
GROUP_LEAST = NAMED + 1  # fewer lines with one cause are shown as they are
HOLE = "\u2026"  # where a name stood in a line's template
_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*[A-Za-z0-9_]|[A-Za-z0-9_]")
_HOLES = re.compile(re.escape(HOLE) + r"(?:, " + re.escape(HOLE) + r")+")
_PLURAL = {"test": "tests", "requirement": "requirements"}


def known_names(tests: Iterable[str], requirements: Iterable[str]) -> dict[str, str]:
    """name -> kind ('test' or 'requirement'), for group_by_cause."""
    return {**{r: "requirement" for r in requirements}, **{t: "test" for t in tests}}


def _template(line: str, names: dict[str, str]) -> tuple[str, list[str]]:
    found: list[str] = []

    def hole(m: re.Match[str]) -> str:
        if m.group(0) in names:
            found.append(m.group(0))
            return HOLE
        return m.group(0)

    return _HOLES.sub(HOLE, _TOKEN.sub(hole, line)), found


def _grouped(template: str, subjects: list[str], names: dict[str, str], count: int) -> str:
    kinds = {names[s] for s in subjects}
    kind = _PLURAL.get(kinds.pop(), "items") if len(kinds) == 1 else "items"
    singular = next((k for k, v in _PLURAL.items() if v == kind), "")
    head, _, tail = template.partition(HOLE)
    if singular and head.endswith(singular + " "):
        head = head[: -len(singular) - 1]  # "requirement ... has" -> "220 requirements ... have"
        for one, many in ((" has ", " have "), (" is ", " are "), (" was ", " were ")):
            if one in tail:
                tail = tail.replace(one, many, 1)
                break
    shown = ", ".join(subjects[:NAMED]) + (f", ... and {len(subjects) - NAMED} more" if len(subjects) > NAMED else "")
    return f"{head}{count} {kind}{tail} ({shown})"


def group_by_cause(lines: list[str], names: dict[str, str], least: int = GROUP_LEAST) -> list[str]:
    """Lines in first-seen order; `least` or more lines of the same template
    (the line with every known name replaced) become one, naming its first
    names (fewer are as short one per line, and keep every detail)."""
    groups: dict[str, list[tuple[str, list[str]]]] = {}
    for line in lines:
        template, found = _template(line, names)
        groups.setdefault(template if found else line, []).append((line, found))
    out = []
    for template, members in groups.items():
        if len(members) < least:
            out += [line for line, _ in members]
        else:
            out.append(_grouped(template, [found[0] for _, found in members], names, len(members)))
    return out


def drop_repeated_causes(lines: list[str], names: dict[str, str], min_len: int = 20) -> list[str]:
    """Drop a line that only repeats, after a prefix of its own ("at HCABI
    1.0, profile full: "), a cause an earlier line already ended with (the
    gate names the report's first failure with its verdict, then again when
    it re-evaluates the results). A prefix naming a test or requirement is
    a subject of its own, not a repetition."""
    out: list[str] = []
    for line in lines:
        prefix, sep, rest = line.partition(": ")
        if sep and len(rest) >= min_len and not _template(prefix, names)[1] and any(prev.endswith(": " + rest) for prev in out):
            continue
        out.append(line)
    return out
