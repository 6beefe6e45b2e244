"""Tests of scripts/hcabi_repeat.py (hcabi-repeat).

The end-to-end tests use the runner's own synthetic suite (runners/tests/
conftest.py: fake images, a fake refvmm that plays them with the right nonce
and MACs, a fake nested launcher that runs each job on the host), so what is
tested is this tool's batching, naming and reporting on top of the runner's
real interpretation of each boot. No VM is booted.

Run with Debian's interpreter: /usr/bin/python3 -m pytest scripts/tests/test_hcabi_repeat.py
"""
from __future__ import annotations

import fcntl
import importlib.util
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness_testlib import SCRIPTS  # first: it puts the package roots on sys.path

import hcabi_repeat as hr  # noqa: E402

# The runner's fixtures, under a name of their own (not "conftest").
_spec = importlib.util.spec_from_file_location("hcabi_runner_fixtures", SCRIPTS.parent / "runners" / "tests" / "conftest.py")
assert _spec and _spec.loader
fx = importlib.util.module_from_spec(_spec)
sys.modules["hcabi_runner_fixtures"] = fx
_spec.loader.exec_module(fx)


@pytest.fixture
def suite(tmp_path: Path) -> "fx.Suite":
    s = fx.Suite(tmp_path).write()
    s.install_refvmm()
    return s


def run_main(suite: "fx.Suite", *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    launcher = suite.install_launcher()
    argv = ["--ref-mode", "nested", "--launcher", str(launcher), "--build-dir", str(suite.build), "--manifest", str(suite.manifest), "--out", str(suite.out), *extra]
    rc = hr.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


# -- pure parts ------------------------------------------------------------------


def test_batches_cover_every_run_once_in_order() -> None:
    assert hr.batches(5, 2) == [[1, 2], [3, 4], [5]]
    assert hr.batches(3, 10) == [[1, 2, 3]]
    assert hr.batches(1, 1) == [[1]]


def test_default_runs_per_batch_keeps_a_batch_short() -> None:
    from hcabi_conform.manifests import ImageSpec

    one = [ImageSpec("vcpu", "f", 4, 64, "exit")]
    thirteen = [ImageSpec(f"i{k}", "f", 1, 64, "exit") for k in range(13)]
    assert hr.default_runs_per_batch(one) == 60  # 480 s at 8 s a boot
    assert hr.default_runs_per_batch(thirteen) == 4
    assert hr.default_runs_per_batch([ImageSpec(f"i{k}", "f", 1, 64, "exit") for k in range(100)]) == 1


def test_job_names_are_unique_and_valid_launcher_names() -> None:
    import re

    names = {hr.job_name(r, img) for r in range(1, 200) for img in ("vcpu", "system-crash")}
    assert len(names) == 398
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", n) and len(n) <= 128 for n in names)


def test_report_lists_each_non_pass_with_its_run_and_a_summary() -> None:
    a = hr.RunOutcome(1, boots=1, passed=18)
    b = hr.RunOutcome(2, boots=1, passed=17, non_passes=[hr.NonPass(2, "vcpu", "VCPU.start_register_state", "crash", "the VM ended:\n triple fault", "out/run-0002")])
    c = hr.RunOutcome(3, boots=1, passed=18)
    d = hr.RunOutcome(4, boots=1, passed=18)
    buf = io.StringIO()
    hr.report([a, b, c, d], buf)
    lines = buf.getvalue().splitlines()
    assert lines == [
        "run 2: VCPU.start_register_state [vcpu]: crash: the VM ended: triple fault (logs: out/run-0002)",
        "4 runs, 1 with a non-pass (longest streak: 2 consecutive clean runs)",
    ]
    assert hr.exit_status([a, b, c, d]) == 3
    assert hr.exit_status([a, c, d]) == 0
    assert hr.longest_clean_streak([a, c, d]) == 3


def test_an_environment_failure_is_exit_4() -> None:
    bad = hr.RunOutcome(1, non_passes=[hr.NonPass(1, "base", "BASE.x", "error", "launcher died", "l")], env_failure=True)
    assert hr.exit_status([hr.RunOutcome(2), bad]) == 4


# -- end to end with the runner's fakes ------------------------------------------


def test_all_runs_pass_in_batches_with_unique_job_names(suite: "fx.Suite", capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_main(suite, "--runs", "3", "--runs-per-batch", "2", "--image", "base", "--image", "time", capsys=capsys)
    assert rc == 0, err
    assert out.strip() == "3 runs, 0 with a non-pass (longest streak: 3 consecutive clean runs)"
    first = json.loads((suite.out / "batch-000" / "nested-0" / "invocation.json").read_text())
    names = [line.split("\t")[0] for line in first["jobs"].splitlines()]
    assert names == ["r0001.base", "r0001.time", "r0002.base", "r0002.time"]
    second = json.loads((suite.out / "batch-001" / "nested-0" / "invocation.json").read_text())
    assert [line.split("\t")[0] for line in second["jobs"].splitlines()] == ["r0003.base", "r0003.time"]
    # each boot got a nonce of its own, and its logs are under its run
    nonces = [m for line in first["jobs"].splitlines() for m in re.findall(r"hcabi\.nonce=(\w+)", line)]
    assert len(set(nonces)) == 4
    assert (suite.out / "run-0003" / "time.serial").is_file()
    # and, as in a conformance run, each boot is fed its own console input
    for line in first["jobs"].splitlines():
        assert "hcabi.console_input=" in line and "--console-input=" in line, line
    assert (suite.out / "run-0001" / "base.console-in").stat().st_size > 0
    rep = json.loads((suite.out / "repeat.json").read_text())
    assert rep["runs"] == 3 and rep["runs_with_non_pass"] == [] and rep["longest_clean_streak"] == 3


def test_parallel_splits_each_batch_over_two_launchers(suite: "fx.Suite", capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_main(suite, "--runs", "2", "--runs-per-batch", "2", "--parallel", "2", "--image", "base", "--image", "time", capsys=capsys)
    assert rc == 0, err
    assert out.strip() == "2 runs, 0 with a non-pass (longest streak: 2 consecutive clean runs)"
    names = []
    for k in (0, 1):
        inv = json.loads((suite.out / "batch-000" / f"nested-{k}" / "invocation.json").read_text())
        names.append([line.split("\t")[0] for line in inv["jobs"].splitlines()])
    assert sorted(names[0] + names[1]) == ["r0001.base", "r0001.time", "r0002.base", "r0002.time"]
    assert names[0] and names[1]
    assert (suite.out / "run-0002" / "time.serial").is_file()


def test_a_failing_test_is_reported_for_every_run_it_failed(suite: "fx.Suite", capsys: pytest.CaptureFixture[str]) -> None:
    steps = fx.passing_steps("base", suite.tests)
    for step in steps:
        if step.get("line", "").startswith("test-end name=BASE.probe_extension"):
            step["line"] = "test-end name=BASE.probe_extension verdict=fail msg=PROBE_EXTENSION(0x7fff) returned 1"
    suite.set_image("base", steps)
    rc, out, err = run_main(suite, "--runs", "2", "--filter", "BASE.*", capsys=capsys)
    assert rc == 3, err
    lines = out.splitlines()
    assert lines[0].startswith("run 1: BASE.probe_extension [base]: fail: PROBE_EXTENSION(0x7fff) returned 1 (logs: ")
    assert lines[1].startswith("run 2: BASE.probe_extension [base]: fail: ")
    assert lines[-1] == "2 runs, 2 with a non-pass (longest streak: 0 consecutive clean runs)"


def test_a_boot_that_dies_is_a_crash_of_its_open_test(suite: "fx.Suite", capsys: pytest.CaptureFixture[str]) -> None:
    steps = fx.passing_steps("time", suite.tests)
    cut = next(i for i, s in enumerate(steps) if s.get("line", "").startswith("test-begin name=TIME.monotonic"))
    steps = steps[: cut + 1] + [{"exit": 6, "stderr": "hcabi-refvmm: guest fault: triple fault (KVM_EXIT_SHUTDOWN) on vcpu 1 (rip unknown: KVM reset the vCPU)"}]
    suite.set_image("time", steps)
    rc, out, err = run_main(suite, "--runs", "1", "--image", "time", capsys=capsys)
    assert rc == 3, err
    crash = [ln for ln in out.splitlines() if ln.startswith("run 1: TIME.monotonic [time]: crash: ")]
    assert crash and "triple fault" in crash[0], out


def test_skips_count_unless_allowed(suite: "fx.Suite", capsys: pytest.CaptureFixture[str]) -> None:
    steps = fx.passing_steps("tlb", suite.tests)
    for step in steps:
        if step.get("line", "").startswith("test-end name=TLB.flush"):
            step["line"] = "test-end name=TLB.flush verdict=skip needs=TLB msg=not advertised"
        if step.get("line", "").startswith("check "):
            step["text"] = "log"
            del step["line"]
    suite.set_image("tlb", steps)
    rc, out, _ = run_main(suite, "--runs", "1", "--image", "tlb", capsys=capsys)
    assert rc == 3 and "TLB.flush [tlb]: skip: " in out
    rc, out, _ = run_main(suite, "--runs", "1", "--image", "tlb", "--allow-skip", capsys=capsys)
    assert rc == 0 and out.startswith("1 runs, 0 with a non-pass")


def test_launcher_failure_is_an_environment_error(suite: "fx.Suite", capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LAUNCHER_FAIL", "1")
    rc, out, _ = run_main(suite, "--runs", "1", "--image", "base", capsys=capsys)
    assert rc == 4
    assert out.splitlines()[-1] == "1 runs, 1 with a non-pass (longest streak: 0 consecutive clean runs)"


def test_lock_is_waited_for_and_released_between_batches(suite: "fx.Suite", capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lock = tmp_path / "nested.lock"
    # another process holds the lock for a moment
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1],'w'); fcntl.flock(f,fcntl.LOCK_EX); print('held',flush=True); time.sleep(1.5)", str(lock)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout and holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    rc, out, err = run_main(suite, "--runs", "2", "--runs-per-batch", "1", "--image", "base", "--lock", str(lock), capsys=capsys)
    holder.wait()
    assert rc == 0, err
    assert "waiting for the lock" in err and time.monotonic() - start >= 1.0
    # released at the end: we can take it at once
    with open(lock) as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--runs", "0"], "argument --runs: expected a positive integer, got '0'"),
        (["--runs-per-batch", "x"], "argument --runs-per-batch: expected a positive integer, got 'x'"),
        (["--image", "nope"], "--image nope: no such image (known: base, system-reboot, time, tlb, x86)"),
        (["--filter", "NOPE.*"], "--filter NOPE.*: no test matches"),
        (["--filter", "BASE.*", "--image", "time"], "--image and --filter select no test together"),
    ],
)
def test_usage_errors_are_one_line_exit_2(suite: "fx.Suite", capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    rc, out, err = run_main(suite, *args, capsys=capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"hcabi-repeat: {message}"), err


def test_wrapper_runs_without_traceback(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-repeat"), "--build-dir", str(tmp_path / "none")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 4
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr and "tests.json" in res.stderr, res.stderr
