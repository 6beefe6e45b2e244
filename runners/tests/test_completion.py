"""Bash completion (runners/completion/hcabi-conform): bash sources it, the
test fills COMP_WORDS/COMP_CWORD as bash would and calls the function that
`complete -p hcabi-conform` names; the candidates must be the parser's
subcommands and options and the suite's and registry's values."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import RUNNERS, WRAPPER, Suite

from hcabi_conform.cli import build_parser
from hcabi_conform.complete import complete

SCRIPT = RUNNERS / "completion" / "hcabi-conform"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def complete_in_bash(words: list[str], cwd: Path | None = None) -> list[str]:
    """COMPREPLY for the line `words` (the last word is the one being completed)."""
    script = "\n".join([
        f"source {_quote(str(SCRIPT))}",
        "spec=$(complete -p hcabi-conform) || exit 9",
        'fn=$(sed -E "s/.* -F ([^ ]+) .*/\\1/" <<<"$spec")',
        f"COMP_WORDS=({' '.join(_quote(w) for w in [str(WRAPPER), *words])})",
        f"COMP_CWORD={len(words)}",
        '"$fn" hcabi-conform "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])  # fmt: skip
    res = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert res.returncode == 0, res.stderr
    return [line for line in res.stdout.splitlines() if line]


def test_complete_is_registered() -> None:
    res = subprocess.run(["bash", "--norc", "-c", f"source {_quote(str(SCRIPT))}; complete -p hcabi-conform"], capture_output=True, text=True)
    assert re.fullmatch(r"complete -F \S+ hcabi-conform\n", res.stdout), res.stdout


def test_subcommands_and_options() -> None:
    assert complete_in_bash([""]) == sorted(["run", "list", "coverage", "gate", "bundle", "merge"])
    assert complete_in_bash(["ga"]) == ["gate"]
    run_opts = complete_in_bash(["run", "--"])
    assert {"--target", "--extension", "--tap", "--color", "--verbose", "--build-dir"} <= set(run_opts)
    assert set(run_opts) == {o for a in build_parser()._subparsers._group_actions[0].choices["run"]._actions for o in a.option_strings if o.startswith("--")}  # type: ignore[union-attr]
    assert complete_in_bash(["gate", "--req"]) == ["--require"]


def test_values_from_the_suite_and_the_registry(suite: Suite) -> None:
    common = ["--build-dir", str(suite.build), "--manifest", str(suite.manifest)]
    assert complete_in_bash(["list", *common, "--extension", ""]) == ["BASE", "SYSTEM", "TIME", "TLB", "X86"]
    assert complete_in_bash(["run", *common, "--image", "t"]) == ["time", "tlb"]
    assert complete_in_bash(["run", *common, "--spec-version", ""]) == ["1.0", "1.1"]
    assert complete_in_bash(["gate", *common, "--profile", ""]) == ["core", "full"]
    assert complete_in_bash(["run", *common, "--filter", "TIME."]) == ["TIME.monotonic", "TIME.timer_vector"]
    assert complete_in_bash(["list", *common, "--requirement", "TIME-00"]) == ["TIME-001", "TIME-002", "TIME-004"]
    # --opt=VALUE: bash splits at '=' (COMP_WORDBREAKS)
    assert complete_in_bash(["run", "--target", "=", "q"]) == ["qemu"]
    assert sorted(complete_in_bash(["run", "--color", "="])) == ["always", "auto", "never"]
    assert complete_in_bash(["run", "--arch", "a"]) == ["arm64"]
    assert complete_in_bash(["gate", "--arch", "=", "x"]) == ["x86_64"]


def test_values_follow_the_suite(suite: Suite) -> None:
    """Nothing is hand-copied: a new image in the manifest is offered at once."""
    suite.images.append({"name": "zeta", "file": "hcabi-conf-zeta.elf", "vcpus": 1, "memory_mib": 64, "ends": "exit"})
    suite.write()
    assert complete_in_bash(["list", "--build-dir", str(suite.build), "--image", "z"]) == ["zeta"]


def test_files_where_a_file_goes(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{}")
    (tmp_path / "other").mkdir()
    assert complete_in_bash(["gate", "--report", "rep"], cwd=tmp_path) == ["report.json"]
    assert complete_in_bash(["run", "--out", "o"], cwd=tmp_path) == ["other"]
    assert complete_in_bash(["merge", "r"], cwd=tmp_path) == ["report.json"]


def test_helper_never_fails() -> None:
    parser = build_parser()
    assert complete(parser, 3, ["hcabi-conform", "run", "--target", ""]) == ["ref", "qemu", "cmd"]
    assert complete(parser, 3, ["hcabi-conform", "run", "--build-dir", "/nonexistent", "--image", ""][:4]) == ["@dirs"]
    assert complete(parser, 5, ["hcabi-conform", "run", "--build-dir", "/nonexistent", "--image", ""]) == [], "no build: nothing to offer"
    res = subprocess.run([str(WRAPPER), "--complete", "x"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "" and res.stderr == ""
