"""What the checks of runners/integration.cmake share: a list of problems,
running a command with its output echoed for CTest, and reading reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional, Sequence


class Problems(list):
    """What went wrong, in order; the script fails if there is any."""

    def check(self, ok: object, what: str) -> bool:
        if not ok:
            self.append(what)
        return bool(ok)


def run(cmd: Sequence[str], cwd: Optional[str] = None, echo: bool = True) -> tuple[int, str]:
    """Run a command, echo its output (CTest keeps it), return status and output."""
    print("+ " + " ".join(cmd) + (f"    (in {cwd})" if cwd else ""), flush=True)
    proc = subprocess.run(list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if echo:
        sys.stdout.write(proc.stdout)
    print(f"+ exit status {proc.returncode}" + ("" if echo else f" ({len(proc.stdout)} bytes of output)"), flush=True)
    return proc.returncode, proc.stdout


def fresh(path: Optional[str]) -> None:
    """Remove a report a previous run left, so that it cannot pass for this run's."""
    if path and os.path.exists(path):
        os.remove(path)


def load(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def finish(problems: Problems, done: str) -> int:
    if problems:
        print("\nFAILED:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"\nOK: {done}")
    return 0


def by_test(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["test"]: r for r in report.get("results") or []}


# -- fault ---------------------------------------------------------------------
