"""What `hcabi-conform` says on the terminal: each boot's line as it
finishes (nested included) with its real duration, the heartbeat, -v's
command lines, one line per root cause, usage errors for unknown filter
values, colour, and exit statuses in every --help."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import WRAPPER, Suite, absent_steps, by_test, load, one_line_error, passing_steps, run_cli

from hcabi_conform.causes import drop_repeated_causes, group_by_cause, known_names
from hcabi_conform.cli import build_parser
from hcabi_conform.cliargs import EXIT_STATUS
from hcabi_conform.errors import EXIT_CONFORMANT, EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_USAGE
from hcabi_conform.manifests import load_tests
from hcabi_conform.progress import Progress
from hcabi_conform.runner import execute, make_jobs, make_plan
from hcabi_conform.targets import RefNested
from hcabi_conform.versions import Version


def absent(suite: Suite) -> None:
    """Every image reports that HCABI is not there (plain QEMU)."""
    for img in suite.images:
        suite.set_image(img["name"], absent_steps(img["name"]))


# -- live progress -----------------------------------------------------------


def test_nested_boots_are_reported_while_the_launcher_runs(suite: Suite, tmp_path: Path, monkeypatch) -> None:
    """The launcher waits after each job until the runner has seen it: a
    runner that read the results only at the batch's end would see every
    boot after launcher.done (and each wait would last 20 s)."""
    refvmm = suite.install_refvmm()
    launcher = suite.install_launcher()
    wait = tmp_path / "wait"
    wait.mkdir()
    suite.out.mkdir()
    monkeypatch.setenv("FAKE_LAUNCHER_WAIT", str(wait))
    tests = load_tests(suite.build / "conformance" / "tests.json")
    plan = make_plan(tests, Version.parse("1.1"), [], None)
    jobs = make_jobs(plan, suite.images_dir, suite.out, 30, None)
    seen: list[tuple[str, bool, float | None]] = []

    def progress(record, results, done, total) -> None:
        seen.append((record.image, (wait / "launcher.done").exists(), record.duration_s))
        (wait / f"{record.image}.seen").touch()

    start = time.monotonic()
    boots, results = execute(plan, tests, RefNested(launcher, refvmm, tmp_path / "cache", suite.out), jobs, 1, progress)
    assert time.monotonic() - start < 15, "the launcher waited for a boot the runner had not reported"
    assert [name for name, _, _ in seen] == [img.name for img in plan.images]
    assert not any(done for _, done, _ in seen), seen
    assert all(took is not None and took >= 0 for _, _, took in seen), seen
    assert {r.raw_status for r in results} == {"pass"}
    assert all("batch_wall" in b.timing for b in boots), "the batch's wall time is added when it ends"


def test_nested_durations_are_each_jobs_own(suite: Suite) -> None:
    """duration_s of a nested boot is its job's time, not the batch's split evenly."""
    suite.install_refvmm()
    steps = passing_steps("time", suite.tests)
    suite.set_image("time", steps[:-1] + [{"text": "slow"}, {"hang": 1}])  # refvmm's --timeout 1 ends it after 1 s
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--timeout", "1", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    boots = {b["image"]: b["duration_s"] for b in load(suite.root / "r.json")["boots"]}
    assert boots["time"] >= 0.9 and all(took < 0.9 for name, took in boots.items() if name != "time"), boots
    assert f"time: pass=2 (timeout, {boots['time']:.1f} s)" in res.err


def test_heartbeat_names_what_still_runs() -> None:
    stream = io.StringIO()
    with Progress(stream, heartbeat=0.2) as progress:
        progress.started("nested-0", "the nested VM")
        time.sleep(0.7)
        progress.stopped("nested-0")
        said = stream.getvalue()
        time.sleep(0.5)
    lines = said.splitlines()
    assert lines and all(line.startswith("hcabi-conform: still booting the nested VM (") and line.endswith(" s)") for line in lines), said
    assert stream.getvalue() == said, "nothing is said once nothing runs"


def test_quiet_has_no_heartbeat() -> None:
    stream = io.StringIO()
    with Progress(stream, quiet=True, heartbeat=0.1) as progress:
        progress.started("base", "base")
        time.sleep(0.4)
    assert stream.getvalue() == ""


def test_verbose_prints_each_vmm_command(suite: Suite) -> None:
    res = run_cli(*suite.run_args("-v"))
    assert res.rc == EXIT_CONFORMANT, res.err
    commands = [ln for ln in res.err.splitlines() if ln.startswith("hcabi-conform: $ ")]
    assert len(commands) == len(suite.images), res.err
    assert all(str(suite.fake_vmm) in c and "hcabi.nonce=" in c for c in commands)
    quiet = run_cli(*suite.run_args())
    assert "$ " not in quiet.err


def test_verbose_nested_prints_the_launcher_and_each_refvmm(suite: Suite) -> None:
    refvmm = suite.install_refvmm()
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--jobs", "1", "-v", *suite.common(), "--out", str(suite.out))
    assert res.rc == EXIT_CONFORMANT, res.err
    lines = res.err.splitlines()
    assert sum(1 for ln in lines if ln.startswith(f"hcabi-conform: $ {launcher} ")) == 1, res.err
    inside = [ln for ln in lines if ln.startswith(f"hcabi-conform: in the nested VM: $ {refvmm} ")]
    assert len(inside) == len(suite.images), res.err
    # each command is said when its job starts, before that boot's line
    for img in suite.images:
        said = next(i for i, ln in enumerate(lines) if ln.startswith("hcabi-conform: in the nested VM") and img["file"] in ln)
        done = next(i for i, ln in enumerate(lines) if f"] {img['name']}: " in ln)
        assert said < done


# -- one line per root cause ---------------------------------------------------


def test_absent_hcabi_is_one_line_per_cause(suite: Suite) -> None:
    absent(suite)
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == EXIT_NONCONFORMANT
    n_tests, n_reqs = len(suite.tests), len(load(suite.root / "r.json")["requirements"])
    cause = "fail: not run: HCABI is not present on this target"
    lines = [ln for ln in res.out.splitlines() if cause in ln]
    assert lines == [
        f"  {n_reqs} requirements: {cause} (BASE-001, BASE-002, SYSTEM-001, ... and {n_reqs - 3} more)",
        f"failure: {n_tests} tests: {cause} (BASE.get_spec_version, BASE.probe_extension, SYSTEM.reboot, ... and {n_tests - 3} more)",
    ], res.out
    verbose = run_cli(*suite.run_args("-v"))
    assert sum(1 for ln in verbose.out.splitlines() if ln.startswith("failure: ") and cause in ln) == n_tests, verbose.out


def test_gate_says_each_cause_once(suite: Suite) -> None:
    absent(suite)
    run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    res = run_cli("gate", "--report", str(suite.root / "r.json"), "--require", "1.0", *suite.common())
    assert res.rc == EXIT_NONCONFORMANT
    first = "HCABI is not present: CPUID leaf 0x40000001 does not report 'HCA1' (hypervisor signature 'TCGTCGTCGTCG')"
    assert sum(1 for ln in res.out.splitlines() if ln.endswith(first)) == 1, res.out
    assert sum(1 for ln in res.out.splitlines() if "HCABI is not present on this target" in ln) == 1, res.out
    assert len(res.out.splitlines()) < 10, res.out
    verbose = run_cli("gate", "--report", str(suite.root / "r.json"), "--require", "1.0", "-v", *suite.common())
    assert sum(1 for ln in verbose.out.splitlines() if "HCABI is not present on this target" in ln) == sum(1 for t in suite.tests if t["since"] == "1.0"), verbose.out


def test_cause_grouping_rules() -> None:
    names = known_names(["A.one", "A.two", "A.three", "A.four", "B.x"], ["A-001", "A-002"])
    lines = [f"{t}: fail: boom" for t in ("A.one", "A.two", "A.three", "A.four")] + ["B.x: fail: boom", "B.x: crash: other"]
    assert group_by_cause(lines, names) == ["5 tests: fail: boom (A.one, A.two, A.three, ... and 2 more)", "B.x: crash: other"]
    assert group_by_cause(lines[:3], names) == lines[:3], "three lines or fewer keep every detail"
    reqs = [f"requirement {r} (since 1.0) has status fail (tests: A.one, A.two)" for r in ("A-001", "A-002")] * 2
    assert group_by_cause(reqs, names) == ["4 requirements (since 1.0) have status fail (tests: \u2026) (A-001, A-002, A-001, ... and 1 more)"]
    missing = [f"requirement {r} (since 1.1) is not covered by this report" for r in ("A-001", "A-002")] * 2
    assert group_by_cause(missing, names) == ["4 requirements (since 1.1) are not covered by this report (A-001, A-002, A-001, ... and 1 more)"]
    said = ["the report's verdict is non-conformant: HCABI is not present: no HCA1 at leaf 0x40000001", "at HCABI 1.0, profile full: HCABI is not present: no HCA1 at leaf 0x40000001"]
    assert drop_repeated_causes(said, names) == said[:1]
    per_test = ["test A.one: raw_status is 'pass' in the report, but the log gives 'fail'", "test A.two: raw_status is 'pass' in the report, but the log gives 'fail'"]
    assert drop_repeated_causes(per_test, names) == per_test, "a line about another test is not a repetition"


# -- filters -------------------------------------------------------------------


def test_unknown_filter_values_are_usage_errors(suite: Suite) -> None:
    for command in (["list"], suite.run_args()):
        for option, value in (("--requirement", "IPI-999"), ("--extension", "nope"), ("--image", "nope")):
            res = run_cli(*command, option, value, *suite.common())
            assert res.rc == EXIT_USAGE, (command, option, res.out, res.err)
            assert one_line_error(res).startswith(f"hcabi-conform: usage error: {option} {value}: unknown (known: ")
            assert res.out == ""


def test_extension_names_match_in_any_case(suite: Suite) -> None:
    lower = run_cli("list", "--extension", "time", "--json", *suite.common())
    upper = run_cli("list", "--extension", "TIME", "--json", *suite.common())
    assert lower.rc == upper.rc == EXIT_CONFORMANT and lower.out == upper.out
    import json

    assert {t["name"] for t in json.loads(lower.out)["tests"]} == {"TIME.monotonic", "TIME.timer_vector"}
    res = run_cli(*suite.run_args("--extension", "time", "--json", str(suite.root / "r.json")))
    rep = load(suite.root / "r.json")
    assert res.rc == EXIT_CONFORMANT and set(by_test(rep)) == {"TIME.monotonic", "TIME.timer_vector"}
    assert rep["selection"]["filters"] == ["extension=TIME"] and rep["selection"]["partial"] is True


def test_requirement_selects_the_parts_of_a_compound_one(suite: Suite) -> None:
    import json

    suite.tests[0]["requirements"] = ["BASE-001.1"]
    suite.write()
    res = run_cli("list", "--requirement", "base-001", "--json", "--build-dir", str(suite.build))
    assert res.rc == EXIT_CONFORMANT, res.err
    assert [t["name"] for t in json.loads(res.out)["tests"]] == ["BASE.get_spec_version"]


# -- colour and --help -----------------------------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout and stderr of the runner on a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(WRAPPER), *args], stdout=slave, stderr=slave, env={**os.environ, **env})
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        try:
            chunk = os.read(master, 4096) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        out += chunk
    proc.wait(30)
    os.close(master)
    return out.decode()


def test_colour_on_a_terminal_unless_no_color(suite: Suite) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _on_a_terminal(suite.run_args(), env)
    assert "verdict: \033[32mCONFORMANT\033[0m" in coloured and "\033[32mpass=2\033[0m" in coloured, coloured
    plain = _on_a_terminal(suite.run_args(), {**env, "NO_COLOR": "1"})
    assert "\033[" not in plain and "verdict: CONFORMANT" in plain
    never = _on_a_terminal(suite.run_args("--color=never"), env)
    assert "\033[" not in never
    piped = run_cli(*suite.run_args())
    assert "\033[" not in piped.out + piped.err
    forced = run_cli(*suite.run_args("--color=always"))
    assert "verdict: \033[32mCONFORMANT\033[0m" in forced.out


def test_every_help_lists_the_exit_statuses() -> None:
    parser = build_parser()
    for name in EXIT_STATUS:
        res = run_cli(name, "--help")
        text = " ".join(res.out.split())
        assert res.rc == 0 and "exit status: " in text, name
        for code in (EXIT_CONFORMANT, EXIT_USAGE, EXIT_ERROR):
            assert f"{code} " in text.split("exit status: ", 1)[1], (name, code)
    for name in ("run", "coverage", "gate", "merge"):
        assert f"{EXIT_NONCONFORMANT} " in EXIT_STATUS[name]
    assert parser.epilog and "exit status" in parser.epilog
