"""Booting vs testing time in boot records and the report (timing.py), and
the nested launcher's progress lines it reads (launcher_log.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import FAKE_LAUNCHER, Suite, load, run_cli

from hcabi_conform import launcher_log, timing

LAUNCHER_SAYS = """\
hcabi-nested: booting kernel 6.12.95+deb12-amd64 under TCG for 3 job(s) with holder probe --hold
hcabi-nested: KVM is up inside after 8.2 s (vendor=amd)
hcabi-nested: holder is up after 8.5 s (nested-probe: hold=ready keys=...)
hcabi-nested: base: status 1 (10.8 s)
hcabi-nested: time: status 3 (2.0 s)
hcabi-nested: system-reboot: status 10 (0.4 s) KILLED by --job-timeout
some other line
hcabi-nested: 3 job(s) ran in 29.1 s, KVM up after 8.2 s, holder held KVM throughout; results in out
"""


def test_parse_launcher_log() -> None:
    log = launcher_log.parse_launcher_log(LAUNCHER_SAYS)
    assert log.kvm_up == 8.2 and log.holder_up == 8.5 and log.ran == 29.1
    assert log.jobs == {"base": 10.8, "time": 2.0, "system-reboot": 0.4}
    assert launcher_log.parse_launcher_log("nothing useful\n") == launcher_log.LauncherLog()



def test_launcher_lines_parse_back() -> None:
    """The lines the launcher writes (with launcher_log's writers) are the
    lines the runner reads: a change of wording on one side fails here."""
    said = "\n".join(f"{launcher_log.LAUNCHER}: {line}" for line in (
        launcher_log.kvm_up(7.25, "vendor=amd"),
        launcher_log.holder_up(7.5, "hold=ready"),
        launcher_log.job_done("r0001.base", 1, 3.04, False),
        launcher_log.job_done("vcpu", 137, 30.0, True),
        launcher_log.batch_ran(2, 41.26, ", KVM up after 7.2 s; results in out"),
    ))
    log = launcher_log.parse_launcher_log(said)
    assert (log.kvm_up, log.holder_up, log.ran) == (7.2, 7.5, 41.3)  # one decimal, as the launcher prints
    assert log.jobs == {"r0001.base": 3.0, "vcpu": 30.0}
    assert launcher_log.job_killed(600) == "hcabi-nested: killed after 600 s (--job-timeout)"
    assert launcher_log.JOB_TIMEOUT_OPTION in launcher_log.job_killed(600)

def test_summarize_splits_direct_and_nested_boots() -> None:
    log = launcher_log.parse_launcher_log(LAUNCHER_SAYS)
    boots = [
        {"total": 3.0, "hello": 0.5, "tests": 2.5},
        {"total": 1.0},  # the hello line never came
        timing.nested_boot(log, "base", 0, 30.0),
        timing.nested_boot(log, "time", 0, 30.0),
    ]
    s = timing.summarize(boots)
    assert s["boots"] == 4 and s["nested_batches"] == 1
    assert s["booting"] == 0.5 + 8.5  # hello, and the batch's VM boot (holder up)
    assert s["testing"] == 2.5 + 10.8 + 2.0
    assert s["other"] == round(30.0 - 8.5 - 12.8, 3)
    assert s["unsplit"] == 1.0
    assert s["batch_wall_max"] == 30.0
    assert "batch_wall_max" not in timing.summarize([{"total": 1.0}]), "no nested batch, no such field"


def _writer(tmp_path: Path, script: str) -> list[str]:
    path = tmp_path / "writer.py"
    path.write_text(textwrap.dedent(script))
    return [sys.executable, str(path)]


def test_hello_watch_sees_the_hello_line_as_it_comes(tmp_path: Path) -> None:
    serial = tmp_path / "boot.serial"
    argv = _writer(
        tmp_path,
        f"""
        import time
        with open({str(serial)!r}, "wb", buffering=0) as f:
            f.write(b"PVH boot noise @hcabi 0 hello not at a line start\\n")
            time.sleep(0.4)
            f.write(b"@hcabi 0 hello image=base protocol=2 nonce=- ~0000000000000000 #00000000\\n")
            time.sleep(0.4)
        """,
    )
    with timing.HelloWatch(serial) as watch:
        t0 = time.monotonic()
        subprocess.run(argv, check=True)
        total = time.monotonic() - t0
    res = watch.result(total)
    assert 0.3 <= res["hello"] <= total - 0.2, res
    assert abs(res["hello"] + res["tests"] - res["total"]) < 0.002


def test_hello_watch_without_hello(tmp_path: Path) -> None:
    serial = tmp_path / "boot.serial"
    with timing.HelloWatch(serial) as watch:
        serial.write_bytes(b"no protocol here\n")
        time.sleep(0.05)
    assert watch.result(0.05) == {"total": 0.05}
    assert watch.result(None) == {}


def test_report_records_timing_of_direct_boots(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    for boot in rep["boots"]:
        t = boot["timing"]
        assert t["total"] >= t["hello"] >= 0 and t["tests"] >= 0, boot
    s = rep["timing"]
    assert s["boots"] == len(rep["boots"]) and s["nested_batches"] == 0
    assert abs(s["booting"] + s["testing"] + s["unsplit"] - sum(b["timing"]["total"] for b in rep["boots"])) < 0.01


def test_report_records_timing_of_nested_batches(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.root / "talking-hcabi-nested"
    launcher.write_text(
        f"#!{sys.executable}\n"
        + FAKE_LAUNCHER
        + textwrap.dedent(
            """
            print("hcabi-nested: KVM is up inside after 2.5 s (vendor=amd)")
            print("hcabi-nested: holder is up after 2.75 s (nested-probe: hold=ready)")
            for raw in open(a.jobfile):
                print("hcabi-nested: %s: status 1 (0.5 s)" % raw.split("\\t", 1)[0])
            """
        )
    )
    launcher.chmod(0o755)
    env = {"FAKE_LAUNCHER_QUIET": "1"}  # only the lines below: the jobs' ends come after the batch's (handed over at its end)
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--jobs", "2", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"), env=env)
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    assert {b["timing"]["batch"] for b in rep["boots"]} == {0, 1}
    assert all(b["duration_s"] == 0.5 for b in rep["boots"]), "a nested boot's duration is its job's time in the nested VM"
    for boot in rep["boots"]:
        t = boot["timing"]
        assert t["job"] == 0.5 and t["batch_vm_boot"] == 2.5 and t["batch_holder_up"] == 2.75, t
        assert t["batch_wall"] > 0
    s = rep["timing"]
    assert s["nested_batches"] == 2 and s["booting"] == 2 * 2.75
    # the batches overlap: the longest one is the nested part of the wall time
    assert s["batch_wall_max"] == max(b["timing"]["batch_wall"] for b in rep["boots"])
    assert s["testing"] == 0.5 * len(rep["boots"])
    assert (suite.out / "nested-0" / "launcher.log").exists()
