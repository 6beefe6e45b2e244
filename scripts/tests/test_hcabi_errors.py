"""Bad input to the scripts is one line on stderr with the documented exit status, never a traceback.

Covers the generator (hcabi_gen.py), the compatibility checker (hcabi-compat,
hcabi-release), the spec's normative check (hcabi_speccheck.py), the changelog
check (hcabi_changelog_check.py), the nested launcher's command line (hcabi-nested;
no boot: each case fails before QEMU starts) and the shared handler in hcabi_load.py
(Ctrl-C, a closed pipe, a full stdout, a bug). The registry loader's own cases are
in spec/tests/test_registry.py.

Run with Debian's interpreter: /usr/bin/python3 -m pytest scripts/tests/test_hcabi_errors.py
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
REPO = SCRIPTS.parent
REGISTRY = REPO / "spec" / "registry"
sys.path.insert(0, str(SCRIPTS))

import hcabi_load as hl  # noqa: E402

GEN = [sys.executable, str(SCRIPTS / "hcabi_gen.py")]
COMPAT = [sys.executable, str(SCRIPTS / "hcabi-compat")]
RELEASE = [sys.executable, str(SCRIPTS / "hcabi-release")]
SPECCHECK = [sys.executable, str(SCRIPTS / "hcabi_speccheck.py")]
CHANGELOG = [sys.executable, str(SCRIPTS / "hcabi_changelog_check.py")]
NESTED = [sys.executable, str(SCRIPTS / "hcabi-nested")]


def run(cmd: list[str], *args: object, stdin: str | bytes | None = None, env: dict | None = None,
        stdout: int | object = subprocess.PIPE) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    r = subprocess.run([*cmd, *map(str, args)], input=data, stdout=stdout, stderr=subprocess.PIPE,
                       timeout=120, env=env, cwd=REPO)
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


def one_line(r: subprocess.CompletedProcess, status: int) -> str:
    """stderr's only line, after checking the exit status and that no traceback appeared."""
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == status, f"exit {r.returncode}, expected {status}:\n{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    dst = tmp_path / "registry"
    shutil.copytree(REGISTRY, dst, ignore=shutil.ignore_patterns("releases"))
    return dst


# ---------------------------------------------------------------------------
# hcabi_gen.py: 1 stale, 2 usage, 4 unreadable registry or output

def test_gen_missing_root_is_usage_and_not_created(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    assert one_line(run(GEN, "--root", root), 2) == f"hcabi_gen: error: --root {root}: no such folder (see --help)"
    assert not root.exists()


def test_gen_root_that_is_a_file_is_usage(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    assert one_line(run(GEN, "--root", tmp_path / "f"), 2) == \
        f"hcabi_gen: error: --root {tmp_path / 'f'}: not a folder (see --help)"


def test_gen_unwritable_output_is_exit_4(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "generated").write_text("a file where the generator needs a folder")
    assert one_line(run(GEN, "--root", tmp_path), 4) == \
        f"hcabi_gen: {tmp_path}/spec/generated: cannot write: a file is in the way of a folder"


def test_gen_output_that_is_a_folder_is_exit_4(tmp_path: Path) -> None:
    (tmp_path / "abi.h").mkdir()
    assert one_line(run(GEN, "--check", "--root", tmp_path), 4) == \
        f"hcabi_gen: {tmp_path}/abi.h: cannot read: Is a directory"


def test_gen_writes_into_an_empty_root(tmp_path: Path) -> None:
    r = run(GEN, "--root", tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "abi.h").is_file() and (tmp_path / "spec" / "generated" / "requirements.json").is_file()


def test_gen_non_utf8_registry_is_exit_4(reg: Path, tmp_path: Path) -> None:
    f = reg / "extensions" / "tlb.toml"
    f.write_bytes(b"\xff" + f.read_bytes())
    assert one_line(run(GEN, "--check", "--registry", reg), 4) == \
        f"registry error: {f}: line 1: not UTF-8 text (byte 0xff at offset 0)"


def test_gen_usage_error_is_one_line() -> None:
    assert one_line(run(GEN, "--frobnicate"), 2) == \
        "hcabi_gen: error: unrecognized arguments: --frobnicate (see --help)"


def test_gen_full_stdout_is_exit_4() -> None:
    with open("/dev/full", "w") as full:
        r = run(GEN, "--check", stdout=full)
    assert one_line(r, 4) == "hcabi_gen: cannot write standard output: No space left on device"


# ---------------------------------------------------------------------------
# hcabi-compat / hcabi-release: 1 incompatible, 2 usage, 4 a registry cannot be read or is invalid

def test_compat_old_that_is_a_file_is_exit_4(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    assert one_line(run(COMPAT, tmp_path / "f", REGISTRY), 4) == \
        f"hcabi-compat: error: OLD registry {tmp_path / 'f'}: not a folder"


def test_compat_deeply_nested_toml_is_exit_4(reg: Path) -> None:
    f = reg / "extensions" / "deep.toml"
    f.write_text("x = " + "[" * 10000 + "]" * 10000 + "\n")
    assert one_line(run(COMPAT, REGISTRY / "releases" / "1.0", reg), 4) == \
        f"hcabi-compat: error: NEW registry {reg}: {f}: not valid TOML: nested too deeply (at most 32 levels)"


def test_compat_all_with_a_file_as_registry_is_exit_4(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    assert one_line(run(COMPAT, "--all", "--registry", tmp_path / "f"), 4) == \
        f"hcabi-compat: error: current registry {tmp_path / 'f'}: not a folder"


def test_compat_empty_snapshot_is_one_line(reg: Path) -> None:
    (reg / "releases" / "1.0").mkdir(parents=True)
    assert one_line(run(COMPAT, "--all", "--registry", reg), 4) == (
        f"hcabi-compat: error: released 1.0 registry {reg}/releases/1.0: {reg}/releases/1.0: "
        "not a registry folder (it has no hcabi.toml and no extensions/)")


def test_compat_usage_error_is_one_line() -> None:
    assert one_line(run(COMPAT, "--bogus"), 2) == "hcabi-compat: error: unrecognized arguments: --bogus (see --help)"


def test_release_bad_version_is_one_line() -> None:
    assert one_line(run(RELEASE, "one"), 2) == "hcabi-release: error: one: not a version X.Y (see --help)"


def test_release_unwritable_snapshot_is_exit_4(reg: Path) -> None:
    newest = max(re.findall(r'^version = "(\d+\.\d+)"', (reg / "hcabi.toml").read_text(), re.M),
                 key=lambda v: tuple(map(int, v.split("."))))  # only the newest version can be released
    (reg / "releases").write_text("a file where the snapshots go")
    assert one_line(run(RELEASE, newest, "--registry", reg), 4) == \
        f"hcabi-release: error: {reg}/releases/.{newest}.tmp/extensions: cannot write: a file is in the way of a folder"


def test_compat_full_stdout_is_exit_4() -> None:
    with open("/dev/full", "w") as full:
        r = run(COMPAT, "--all", stdout=full)
    assert one_line(r, 4) == "hcabi-compat: cannot write standard output: No space left on device"


@pytest.mark.parametrize("cmd", [[*COMPAT, "--all"], [*GEN, "--check"], [sys.executable, str(SCRIPTS / "hcabi_registry.py")]],
                         ids=["compat", "gen", "registry"])
def test_closed_pipe_is_silent_exit_141(cmd: list[str]) -> None:
    """`| head -1` that has gone: no traceback, no message, 128 + SIGPIPE."""
    rd, wr = os.pipe()
    os.close(rd)  # the reader is gone before the first write
    try:
        r = run(cmd, stdout=wr)
    finally:
        os.close(wr)
    assert (r.returncode, r.stderr) == (hl.EXIT_PIPE, "")


# ---------------------------------------------------------------------------
# hcabi_speccheck.py and hcabi_changelog_check.py: 2 unreadable input

def test_speccheck_non_utf8_adoc_is_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(REPO / "spec", spec, ignore=shutil.ignore_patterns("releases", "tests"))
    f = spec / "chapters" / "bad.adoc"
    f.write_bytes(b"= Title\n\ncaf\xe9\n")
    assert one_line(run(SPECCHECK, "--spec", spec), 2) == \
        f"hcabi_speccheck: {f}: line 3: not UTF-8 text (byte 0xe9 at offset 12)"


@pytest.mark.parametrize("manifest, message", [
    ('{"requirements": [{"id": 5}], "extensions": []}', "requirements[0].id: expected a string, found an integer"),
    ('{"requirements": []}', "extensions: missing"),
    ("[" * 3000 + "]" * 3000, "not valid JSON: nested too deeply (at most 32 levels)"),
])
def test_speccheck_bad_manifest_is_exit_2(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "m.json").write_text(manifest)
    (tmp_path / "h.html").write_text("<p>")
    r = run(SPECCHECK, "--html", tmp_path / "h.html", "--manifest", tmp_path / "m.json")
    assert one_line(r, 2) == f"hcabi_speccheck: {tmp_path / 'm.json'}: {message}"


def test_changelog_non_utf8_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    shutil.copytree(REPO / "spec" / "generated", tmp_path / "spec" / "generated")
    (tmp_path / "CHANGELOG").write_bytes(b"\xfe" + (REPO / "CHANGELOG").read_bytes())
    r = run(CHANGELOG, "--root", tmp_path, "--registry", REGISTRY)
    assert one_line(r, 2) == f"changelog check: {tmp_path}/CHANGELOG: line 1: not UTF-8 text (byte 0xfe at offset 0)"


def test_changelog_missing_registry_is_exit_4(tmp_path: Path) -> None:
    r = run(CHANGELOG, "--registry", tmp_path / "nowhere")
    assert one_line(r, 4) == f"changelog check: registry error: {tmp_path / 'nowhere'}: no such folder"


# ---------------------------------------------------------------------------
# hcabi-nested: 2 usage, 4 environment; nothing here boots

def nested_env(tmp_path: Path, qemu: str = "no-such-qemu") -> dict:
    env = dict(os.environ, HCABI_NESTED_QEMU=str(tmp_path / qemu) if qemu == "no-such-qemu" else qemu)
    env.pop("HCABI_NESTED_HOLDER", None)
    return env


@pytest.fixture
def jobs(tmp_path: Path) -> Path:
    (tmp_path / "ok.jobs").write_text("a\techo hi\n")
    return tmp_path / "ok.jobs"


def test_nested_non_utf8_jobs_on_stdin(tmp_path: Path) -> None:
    r = run(NESTED, "--out", tmp_path / "o", "-", stdin=b"a\t\xff\n", env=nested_env(tmp_path))
    assert one_line(r, 2) == "hcabi-nested: error: JOBFILE <stdin>: line 1: not UTF-8 text (byte 0xff at offset 2)"


def test_nested_jobfile_that_is_a_folder(tmp_path: Path) -> None:
    r = run(NESTED, "--out", tmp_path / "o", tmp_path, env=nested_env(tmp_path))
    assert one_line(r, 2) == f"hcabi-nested: error: JOBFILE {tmp_path}: cannot read: it is a folder, not a file"


def test_nested_malformed_job_line(tmp_path: Path) -> None:
    (tmp_path / "q.jobs").write_text("a\tsh -c 'unclosed\n")
    r = run(NESTED, "--out", tmp_path / "o", tmp_path / "q.jobs", env=nested_env(tmp_path))
    assert one_line(r, 2) == \
        f"hcabi-nested: error: {tmp_path / 'q.jobs'}:1: cannot split arguments: No closing quotation"


@pytest.mark.parametrize("option, value, message", [
    ("--memory", "12x", "argument --memory: not a whole number of MiB: '12x'"),
    ("--memory", "9" * 40, f"argument --memory: {'9' * 40}: from 256 to 1048576 MiB"),
    ("--timeout", "inf", "argument --timeout: expected a positive number of seconds, got 'inf'"),
    ("--job-timeout", "nan", "argument --job-timeout: expected a positive number of seconds, got 'nan'"),
])
def test_nested_bad_numbers_are_usage(tmp_path: Path, jobs: Path, option: str, value: str, message: str) -> None:
    r = run(NESTED, option, value, "--out", tmp_path / "o", jobs, env=nested_env(tmp_path))
    assert one_line(r, 2) == f"hcabi-nested: error: {message} (see --help)"


def test_nested_out_that_is_a_file_is_usage(tmp_path: Path, jobs: Path) -> None:
    (tmp_path / "o").write_text("")
    r = run(NESTED, "--out", tmp_path / "o", jobs, env=nested_env(tmp_path))
    assert one_line(r, 2) == f"hcabi-nested: error: --out {tmp_path / 'o'}: not a folder"


def test_nested_holder_that_is_not_a_file_is_a_warning(tmp_path: Path, jobs: Path) -> None:
    r = run(NESTED, "--holder", tmp_path, "--out", tmp_path / "o", jobs, env=nested_env(tmp_path))
    assert "Traceback" not in r.stderr and r.returncode == 4  # then the missing QEMU ends the run
    assert r.stderr.splitlines()[0] == (f"hcabi-nested: warning: the holder cannot run in the nested VM: "
                                        f"{tmp_path} is not a file; running the jobs without it")


def test_nested_cache_that_is_a_file(tmp_path: Path, jobs: Path) -> None:
    (tmp_path / "c").write_text("")
    r = run(NESTED, "--cache", tmp_path / "c", "--out", tmp_path / "o", jobs, env=nested_env(tmp_path, "/bin/false"))
    assert one_line(r, 4) == f"hcabi-nested: error: cannot create the cache {tmp_path / 'c'}: it is not a folder"


def test_nested_cache_manifest_not_json(tmp_path: Path, jobs: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "manifest.json").write_text("{oops")
    r = run(NESTED, "--cache", tmp_path / "c", "--out", tmp_path / "o", jobs, env=nested_env(tmp_path, "/bin/false"))
    assert one_line(r, 4) == (f"hcabi-nested: error: {tmp_path}/c/manifest.json: line 1: not valid JSON: Expecting "
                              f"property name enclosed in double quotes (delete the cache {tmp_path / 'c'} to download "
                              "it again)")


def test_nested_ctrl_c_is_one_line_130(tmp_path: Path) -> None:
    """SIGINT while the launcher waits for its job file on stdin."""
    p = subprocess.Popen([*NESTED, "--out", str(tmp_path / "o"), "-"], stdin=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=nested_env(tmp_path))
    fds = Path(f"/proc/{p.pid}/fd")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until it has opened /dev/stdin (a second fd on the pipe) to read it
        try:
            stdin = os.readlink(fds / "0")
            if any(fd.name not in ("0", "1", "2") and os.readlink(fd) == stdin for fd in fds.iterdir()):
                break
        except OSError:
            pass
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert (p.returncode, err) == (130, "hcabi-nested: interrupted\n")


# ---------------------------------------------------------------------------
# hcabi_load.run_main, the last resort of every script

def _raise(exc: BaseException):
    def main() -> int:
        raise exc
    return main


def test_run_main_ctrl_c(capsys) -> None:
    assert hl.run_main("prog", _raise(KeyboardInterrupt())) == 130
    assert capsys.readouterr().err == "prog: interrupted\n"


def test_run_main_bug_is_one_line(capsys) -> None:
    assert hl.run_main("prog", _raise(ValueError("first line\nsecond line"))) == 4
    assert capsys.readouterr().err == "prog: internal error: ValueError: first line second line (please report)\n"


def test_run_main_passes_the_status_through(capsys) -> None:
    assert hl.run_main("prog", lambda: 3) == 3
    assert capsys.readouterr().err == ""


def test_short_never_floods_or_fails() -> None:
    assert hl.short(10 ** 5000) == "an integer of thousands of digits"  # str() of it would raise
    assert hl.short(-(10 ** 59)) == "an integer of 60 digits"
    assert hl.short("x" * 100) == '"' + "x" * 36 + "..."
    assert (hl.short(True), hl.short(7), hl.short([1]), hl.short({})) == ("true", "7", "a list", "a table")


def test_loc_quotes_keys_as_toml_does() -> None:
    assert hl.loc(["profile", 0, "extensions", "1.0"]) == 'profile[0].extensions."1.0"'
    assert hl.loc([]) == "(top level)"
