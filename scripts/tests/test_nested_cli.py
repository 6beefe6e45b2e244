"""Tests of the nested launcher's command line and result files, no boot:
each error is one line with the documented exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness_testlib import SCRIPTS  # first: it puts the package roots on sys.path
from hcabi_nested.results import JobResult, PORT_NAME
from hcabi_nested.vm import qemu_command, write_result

# ---------------------------------------------------------------------------
# writing results and the command line


def test_write_result_files(tmp_path: Path) -> None:
    write_result(tmp_path, JobResult("a", b"\x00ser", b"err", 7, 1, False), 60)
    assert (tmp_path / "a.serial").read_bytes() == b"\x00ser"
    assert (tmp_path / "a.stderr").read_bytes() == b"err"
    assert (tmp_path / "a.status").read_text() == "7\n"
    write_result(tmp_path, JobResult("k", b"s", b"e", 137, 1, True), 60)
    assert not (tmp_path / "k.status").exists()
    assert b"killed after 60 s" in (tmp_path / "k.stderr").read_bytes()


def test_qemu_command_shape(tmp_path: Path) -> None:
    cmd = qemu_command("qemu", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 2048, 2)
    joined = " ".join(cmd)
    assert "-accel tcg" in joined and "-cpu max" in joined and "-no-reboot" in joined
    assert "panic=-1" in joined and "console=ttyS0" in joined and "-smp 2" in joined
    assert f"name={PORT_NAME}" in joined


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), *args], capture_output=True, text=True)


def test_cli_usage_errors(tmp_path: Path) -> None:
    r = run_cli()
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("--out", str(tmp_path), str(tmp_path / "missing.jobs"))
    assert r.returncode == 2
    assert r.stderr == f"hcabi-nested: error: JOBFILE {tmp_path}/missing.jobs: cannot read: No such file or directory\n"
    bad = tmp_path / "bad.jobs"
    bad.write_text("name without tab\n")
    r = run_cli("--out", str(tmp_path), str(bad))
    assert r.returncode == 2 and f"{bad}:1:" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--timeout", "-3", "--out", str(tmp_path), str(bad))
    assert r.returncode == 2 and "expected a positive number of seconds" in r.stderr


def test_cli_help() -> None:
    r = run_cli("--help")
    assert r.returncode == 0 and "--out DIR" in r.stdout and "JOBFILE" in r.stdout


def test_cli_missing_qemu_is_environment_error(tmp_path: Path) -> None:
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_QEMU=str(tmp_path / "no-such-qemu"))
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 4 and "qemu-system-x86_64 not found" in r.stderr and "Traceback" not in r.stderr


def test_stale_results_are_removed_before_a_run(tmp_path: Path) -> None:
    """A job that does not complete this time must not keep last time's .status."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "a.status").write_text("0\n")
    (out / "other.status").write_text("0\n")
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_QEMU=str(tmp_path / "no-such-qemu"))
    subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(out), str(jobs)], capture_output=True, env=env)
    # the QEMU check comes first: nothing was touched
    assert (out / "a.status").exists()
    env["HCABI_NESTED_QEMU"] = "/bin/false"
    cache = tmp_path / "emptycache"
    r = subprocess.run(
        [sys.executable, str(SCRIPTS / "hcabi-nested"), "--cache", str(cache), "--out", str(out), str(jobs)],
        capture_output=True,
        text=True,
        env=dict(env, PATH="/nonexistent"),  # no apt: the cache cannot be filled
    )
    assert r.returncode == 4 and "Traceback" not in r.stderr
    assert not (out / "a.status").exists()
    assert (out / "other.status").exists()


def test_cli_holder_from_environment_must_split(tmp_path: Path) -> None:
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_HOLDER="'unbalanced", HCABI_NESTED_QEMU=str(tmp_path / "no-qemu"))
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "HCABI_NESTED_HOLDER: cannot split" in r.stderr
    # --holder '' overrides the environment: no holder, and the next error is QEMU's
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--holder", "", "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 4 and "qemu-system-x86_64 not found" in r.stderr
