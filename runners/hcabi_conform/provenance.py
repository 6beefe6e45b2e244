"""Where a report comes from: the runner, the suite and the source commit.

Recorded in every report (`provenance`) so that a report can be traced to the
code that produced it. Nothing here may fail a run: a missing git, a tarball
checkout, an unreadable file all give null.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path
from typing import Any, Optional

from . import __version__, layout
from .errors import EnvError

REPO_ROOT = Path(__file__).resolve().parents[2]
_PROJECT_RE = re.compile(r"project\(\s*hcabi\s+VERSION\s+([0-9][0-9.]*)", re.IGNORECASE)
_SHA_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def suite_version(root: Path = REPO_ROOT) -> Optional[str]:
    """The project version of the suite (CMakeLists.txt `project(hcabi VERSION X)`)."""
    try:
        match = _PROJECT_RE.search((root / "CMakeLists.txt").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return match.group(1) if match else None


def source_commit(root: Path = REPO_ROOT) -> Optional[str]:
    """`git rev-parse HEAD` of the checkout the runner lives in, if it is one."""
    if not (root / ".git").exists():
        return None
    try:
        proc = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = proc.stdout.strip()
    return commit if proc.returncode == 0 and _SHA_RE.match(commit) else None


@functools.lru_cache(maxsize=1)
def collect() -> dict[str, Any]:
    """The report's `provenance` (without the manifests' hashes, which the
    report records next to their paths)."""
    try:
        where = layout.current()
    except EnvError:  # a broken installed-layout.json: the run reports that elsewhere
        return {"runner_version": __version__, "suite_version": None, "source_commit": None}
    if where.source_root is None:  # installed: the version recorded at install time, no checkout
        return {"runner_version": __version__, "suite_version": where.suite_version, "source_commit": None}
    return {"runner_version": __version__, "suite_version": suite_version(where.source_root), "source_commit": source_commit(where.source_root)}
