#!/usr/bin/env python3
"""Check the rendered man pages against their programs (CTest man.pages).

For each `--page PAGE.1 PROGRAM`: man(1) must render PAGE.1 (`man -l`) without
warnings, the text must have a NAME section naming the program, and every
option PROGRAM's --help defines must appear in it; for a program with
subcommands (its usage says COMMAND) every subcommand's --help too. So a new option without a line in its man page fails this test.
Exit status: 0 every page is complete, 1 a page lacks something, 2 usage.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MANWIDTH": "200", "MANPAGER": "cat", "PAGER": "cat", "LC_ALL": "C.UTF-8", "NO_COLOR": "1"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def defined_options(help_text: str) -> set[str]:
    """The options an option line of --help defines: the words before the
    description on lines that start with a dash (argparse's and refvmm's
    layout alike), not options the descriptions mention."""
    found: set[str] = set()
    for line in help_text.splitlines():
        if re.match(r"^\s+-", line):
            found |= set(OPTION.findall(re.split(r"\s{2,}", line.strip())[0]))
    return found


def program_help(program: str) -> dict[str, str]:
    """'' -> the program's --help; each subcommand -> its --help."""
    main = run([program, "--help"])
    if main.returncode != 0:
        raise SystemExit(f"man_check: {program} --help exited {main.returncode}: {main.stderr.strip()}")
    helps = {"": main.stdout}
    usage = main.stdout.split("\n\n", 1)[0]
    if "COMMAND" in usage:  # argparse lists subcommands indented under COMMAND
        for sub in re.findall(r"^    ([a-z][a-z0-9-]*)\s", main.stdout, re.M):
            helps[sub] = run([program, sub, "--help"]).stdout
    return helps


def check_page(page: Path, program: str) -> list[str]:
    name = Path(program).name
    # man(1) as a reader would use it; groff alone where man-db is missing
    rendered = run(["man", "-l", str(page)] if shutil.which("man") else ["groff", "-man", "-Tutf8", "-P-c", "-ww", str(page)])
    problems = []
    if rendered.returncode != 0 or not rendered.stdout.strip():
        return [f"{page}: man -l failed ({rendered.returncode}): {rendered.stderr.strip()}"]
    if rendered.stderr.strip():
        problems.append(f"{page}: man -l warned: {rendered.stderr.strip().splitlines()[0]}")
    text = rendered.stdout
    if not re.search(rf"^NAME\n\s+{re.escape(name)} - \S", text, re.M):
        problems.append(f"{page}: no NAME section naming {name}")
    words = set(OPTION.findall(text))
    for sub, help_text in program_help(program).items():
        if sub and not re.search(rf"(?<![\w-]){re.escape(sub)}(?![\w-])", text):
            problems.append(f"{page}: the subcommand {sub} is not described")
        for option in sorted(defined_options(help_text) - words):
            problems.append(f"{page}: {name}{' ' + sub if sub else ''} --help lists {option}, the man page does not")
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--page", nargs=2, action="append", required=True, metavar=("PAGE.1", "PROGRAM"))
    a = p.parse_args()
    problems = [msg for page, program in a.page for msg in check_page(Path(page), program)]
    for msg in problems:
        print(f"man_check: {msg}", file=sys.stderr)
    if not problems:
        print(f"man_check: {len(a.page)} page(s) render and list every option of their program's --help")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
