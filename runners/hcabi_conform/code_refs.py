"""Where the reference implementation implements each requirement: the core's
and refvmm's sources cite requirement IDs beside the code that enforces them
(`/* TIME-010 */`; the binding's, X86-*, live in refvmm), so scanning them at
report time gives the traceability view's last column without a hand-kept table.

A citation is `AREA-NNN` or a part `AREA-NNN.P`; a range `TIME-021..024`
cites every requirement from the first to the last number. A requirement
part is implemented where the part or its whole requirement is cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .provenance import REPO_ROOT

CORE_DIR = REPO_ROOT / "reference-impl" / "core"
REFVMM_SRC = REPO_ROOT / "reference-impl" / "refvmm" / "src"
CITE_RE = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*)-([0-9]{3})(?:\.([0-9]{1,2}))?(?:\.\.(?:\1-)?([0-9]{3}))?(?![\w-])")
MAX_RANGE = 50  # a longer "range" is a typo, not a citation


@dataclass(frozen=True)
class CodeRef:
    """One line of the core's sources that cites a requirement."""

    path: str  # relative to the repository root
    line: int
    text: str  # the line itself, stripped
    cites: str  # the ID as cited (a part row may be implemented where its parent is cited)


def _ids(match: re.Match[str]) -> list[str]:
    area, first, part, last = match.group(1), int(match.group(2)), match.group(3), match.group(4)
    if part is not None:
        return [f"{area}-{first:03d}.{part}"]
    if last is None or not first < int(last) <= first + MAX_RANGE:
        return [f"{area}-{first:03d}"]
    return [f"{area}-{n:03d}" for n in range(first, int(last) + 1)]


def scan(core_dir: Path = CORE_DIR, root: Path = REPO_ROOT, refvmm_src: Optional[Path] = REFVMM_SRC) -> Optional[dict[str, list[CodeRef]]]:
    """Every requirement ID cited in `core_dir/*.c` and `refvmm_src/**/*.c`
    -> the lines that cite it, in file and line order; None when the sources
    are not there (an installed runner without the source tree)."""
    files = sorted(core_dir.glob("*.c"))
    if files and refvmm_src is not None:
        files += sorted(refvmm_src.glob("**/*.c"))
    if not files:
        return None
    refs: dict[str, list[CodeRef]] = {}
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        for number, text in enumerate(lines, start=1):
            for match in CITE_RE.finditer(text):
                for rid in _ids(match):
                    refs.setdefault(rid, []).append(CodeRef(rel, number, text.strip(), rid))
    return refs


def refs_for(refs: dict[str, list[CodeRef]], rid: str, parent: Optional[str] = None) -> list[CodeRef]:
    """The lines implementing `rid`: those citing it, then those citing its
    parent requirement (for a part), one per line."""
    seen: set[tuple[str, int]] = set()
    out: list[CodeRef] = []
    for ref in refs.get(rid, []) + (refs.get(parent, []) if parent else []):
        if (ref.path, ref.line) not in seen:
            seen.add((ref.path, ref.line))
            out.append(ref)
    return out
