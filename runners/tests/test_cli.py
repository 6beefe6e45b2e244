"""Usage errors (one line, exit 2 or 4, no traceback), `list`, `coverage`."""

from __future__ import annotations

import json

import pytest
from conftest import Suite, one_line_error, run_cli


@pytest.mark.parametrize(
    "args, code, needle",
    [
        (["run", "--target", "xen"], 2, "invalid choice: 'xen'"),
        (["run", "--target", "cmd"], 2, "needs --vmm-cmd"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {kernel}"], 2, "unknown placeholder {kernel}"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {serial}"], 2, "must contain {image}"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image"], 2, "bad template token"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image!r}"], 2, "takes no format"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm 'unclosed {image}"], 2, "cannot split"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image} {cmdline} --v={spec_version}"], 2, "give --spec-version"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image}"], 2, "must contain {cmdline}, the guest command line"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image} {cmdline}", "--vmm-exit", "halt=3"], 2, "--vmm-exit 'halt=3': expected EVENT=STATUS"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image} {cmdline}", "--vmm-exit", "crash=256"], 2, "STATUS 0-255"),
        (["run", "--target", "cmd", "--vmm-cmd", "vmm {image} {cmdline}", "--vmm-exit", "crash=3", "--vmm-exit", "reboot=3"], 2, "cannot mean both"),
        (["run", "--vmm-exit", "crash=12"], 2, "--vmm-exit is only for --target cmd"),
        (["run", "--serial-limit", "0"], 2, "positive integer"),
        (["run", "--vmm-cmd", "vmm {image}"], 2, "only for --target cmd"),
        (["run", "--shard", "3/2"], 2, "--shard"),
        (["run", "--shard", "x"], 2, "--shard"),
        (["run", "--jobs", "0"], 2, "positive integer"),
        (["run", "--timeout", "-1"], 2, "positive number"),
        (["run", "--spec-version", "9.9"], 2, "not defined"),
        (["run", "--spec-version", "v1"], 2, "MAJOR.MINOR"),
        (["run", "--profile", "gold"], 2, "unknown profile"),
        (["run", "--filter", "NOPE.*"], 2, "no test matches"),
        (["frobnicate"], 2, "invalid choice"),
        (["merge", "a.json"], 2, "--json"),
    ],
)
def test_usage_errors(suite: Suite, args: list[str], code: int, needle: str) -> None:
    res = run_cli(*args, *(suite.common() if args[0] == "run" else []))
    assert res.rc == code, res.err
    assert needle in one_line_error(res)


def test_missing_image_is_exit_4(suite: Suite) -> None:
    (suite.images_dir / "hcabi-conf-tlb.elf").unlink()
    res = run_cli(*suite.run_args())
    assert res.rc == 4
    assert "hcabi-conf-tlb.elf" in one_line_error(res)


def test_missing_vmm_is_exit_4(suite: Suite) -> None:
    res = run_cli("run", "--target", "cmd", "--vmm-cmd", "/nonexistent/vmm {image} {cmdline}", *suite.common(), "--out", str(suite.out))
    assert res.rc == 4 and "not found" in one_line_error(res)


def test_missing_refvmm_is_exit_4(suite: Suite) -> None:
    res = run_cli("run", "--ref-mode", "direct", *suite.common(), "--out", str(suite.out))
    assert res.rc == 4 and "hcabi-refvmm" in one_line_error(res)


def test_missing_manifests_are_exit_4(suite: Suite) -> None:
    res = run_cli(*suite.run_args()[:-4], "--build-dir", str(suite.root / "nobuild"), "--manifest", str(suite.manifest))
    assert res.rc == 4 and "tests manifest" in one_line_error(res)
    res = run_cli("run", "--build-dir", str(suite.build), "--manifest", str(suite.root / "none.json"))
    assert res.rc == 4 and "requirements manifest" in one_line_error(res)


def test_unwritable_report_is_exit_4(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--json", "/proc/nope/r.json"))
    assert res.rc == 4 and "cannot write" in one_line_error(res)


def test_help_and_version() -> None:
    assert run_cli("--help").rc == 0
    assert "hcabi-conform" in run_cli("--version").out
    assert "--vmm-cmd" in run_cli("run", "--help").out


def test_list(suite: Suite) -> None:
    res = run_cli("list", "--build-dir", str(suite.build))
    assert res.rc == 0
    assert "TIME.timer_vector" in res.out and "system-reboot" in res.out and "reboot" in res.out
    data = json.loads(run_cli("list", "--build-dir", str(suite.build), "--json", "--extension", "TIME").out)
    assert [t["name"] for t in data["tests"]] == ["TIME.monotonic", "TIME.timer_vector"]
    assert data["images"] == [{"name": "time", "file": "hcabi-conf-time.elf", "vcpus": 2, "memory_mib": 64, "ends": "exit"}]
    data = json.loads(run_cli("list", "--build-dir", str(suite.build), "--json", "--requirement", "TIME-004").out)
    assert [t["name"] for t in data["tests"]] == ["TIME.timer_vector"]
    data = json.loads(run_cli("list", "--build-dir", str(suite.build), "--json", "--image", "base").out)
    assert {t["image"] for t in data["tests"]} == {"base"}


def test_coverage_complete(suite: Suite) -> None:
    res = run_cli("coverage", *suite.common())
    assert res.rc == 0, res.out
    assert "8/8 atomic requirements" in res.out
    data = json.loads(run_cli("coverage", *suite.common(), "--json", "--spec-version", "1.0").out)
    assert "TIME-004" not in data["requirements"]
    assert data["requirements"]["TIME-001"]["tests"] == ["TIME.monotonic"]


def test_coverage_gaps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    suite = Suite(tmp_path)
    suite.tests = [t for t in suite.tests if t["name"] != "TLB.flush"]
    suite.tests[0] = {**suite.tests[0], "requirements": ["BASE-001", "BASE-404"]}
    suite.write()
    res = run_cli("coverage", *suite.common())
    assert res.rc == 3
    assert "uncovered: TLB-001" in res.out
    assert "BASE-404" in res.out
    data = json.loads(run_cli("coverage", *suite.common(), "--json").out)
    assert data["uncovered"] == ["TLB-001"]
    assert data["unknown"] == [{"test": "BASE.get_spec_version", "requirement": "BASE-404"}]


def test_coverage_uncited_checks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A check names the requirement it passes or fails, so a test whose
    checks (tests manifest `checks`) name a requirement it does not cite is
    a gap; a manifest without `checks` is still accepted."""
    suite = Suite(tmp_path)
    suite.tests[0] = {**suite.tests[0], "checks": ["BASE-001", "TIME-001"]}
    suite.tests[1] = {**suite.tests[1], "checks": list(suite.tests[1]["requirements"])}
    suite.write()
    res = run_cli("coverage", *suite.common())
    assert res.rc == 3, res.out
    assert "uncited: test BASE.get_spec_version checks TIME-001 but does not cite it" in res.out
    data = json.loads(run_cli("coverage", *suite.common(), "--json").out)
    assert data["uncited"] == [{"test": "BASE.get_spec_version", "requirement": "TIME-001"}]
    suite.tests[0] = {**suite.tests[0], "checks": ["BASE-001"]}
    suite.write()
    assert run_cli("coverage", *suite.common()).rc == 0
    suite.tests[0] = {**suite.tests[0], "checks": ["not an id"]}
    suite.write()
    res = run_cli("coverage", *suite.common())
    assert res.rc == 4 and "checks" in res.err, res.out + res.err


def test_wrapper_runs_under_path_python3(suite: Suite) -> None:
    """The wrapper's `#!/usr/bin/env python3` may find a different Python
    than the one running pytest (here: a separate 3.11.7 without Debian's
    packages); the harness must work under it too (standard library only)."""
    import os
    import subprocess

    from conftest import WRAPPER

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([str(WRAPPER), *suite.run_args("-q")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: CONFORMANT" in proc.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["gate", "--require", "1.1"], "one of the arguments --report --bundle is required"),
        (["gate", "--report", "a.json", "--bundle", "b.tar.gz", "--require", "1.1"], "not allowed with argument"),
        (["bundle", "--report", "a.json"], "--out"),
        (["merge", "a.json", "--json", "m.json", "--allow-partial=yes"], "ignored explicit argument"),
    ],
)
def test_gate_bundle_merge_usage(args: list[str], needle: str) -> None:
    res = run_cli(*args)
    assert res.rc == 2, res.err
    assert needle in one_line_error(res)


def test_bundle_of_a_missing_or_bad_report_is_exit_4(suite: Suite) -> None:
    res = run_cli("bundle", "--report", str(suite.root / "nope.json"), "--out", str(suite.root / "b.tar.gz"))
    assert res.rc == 4 and "not found" in one_line_error(res)
    bad = suite.root / "bad.json"
    bad.write_text('{"format": "hcabi-conform-report", "format_version": 1, "results": {}}')
    res = run_cli("bundle", "--report", str(bad), "--out", str(suite.root / "b.tar.gz"))
    assert res.rc == 4 and "malformed report" in one_line_error(res)
    assert not (suite.root / "b.tar.gz").exists()


def test_coverage_of_parts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A requirement with parts is covered part by part; citing it whole is
    named as such."""
    suite = Suite(tmp_path)
    tlb = next(r for r in suite.requirements["requirements"] if r["id"] == "TLB-001")
    tlb["parts"] = [{"id": "TLB-001.1", "text": "FLUSH MUST flush one page."},
                    {"id": "TLB-001.2", "text": "FLUSH MUST flush everything."}]
    flush = next(i for i, t in enumerate(suite.tests) if t["name"] == "TLB.flush")
    suite.tests[flush] = {**suite.tests[flush], "requirements": ["TLB-001.1"]}
    suite.write()
    res = run_cli("coverage", *suite.common())
    assert res.rc == 3, res.out
    assert "TLB-001.1        1.0   TLB.flush  (part of TLB-001)" in res.out
    assert "uncovered: TLB-001.2 is cited by no test" in res.out
    assert "8/9 atomic requirements" in res.out
    suite.tests[flush] = {**suite.tests[flush], "requirements": ["TLB-001", "TLB-001.2"]}
    suite.write()
    res = run_cli("coverage", *suite.common())
    assert "unknown: test TLB.flush cites TLB-001, which has parts (TLB-001.1, TLB-001.2): tests cite the parts" in res.out
    data = json.loads(run_cli("coverage", *suite.common(), "--json").out)
    assert data["requirements"]["TLB-001.2"]["parent"] == "TLB-001"
    assert "TLB-001" not in data["requirements"]


def _with_bindings(suite: Suite) -> Suite:
    """The synthetic registry with an arm64 binding: two ARM64 requirements, one of them
    replacing TLB-001 on arm64 (the manifest's `not_on`), as spec/registry/bindings does."""
    suite.requirements["architectures"] = {"x86_64": ["X86"], "arm64": ["ARM64"]}
    reqs = suite.requirements["requirements"]
    reqs += [{"id": "ARM64-001", "text": "HVC MUST work.", "area": "ARM64", "function": None, "since": "1.0"},
             {"id": "ARM64-002", "text": "FLUSH MUST flush every ASID.", "area": "ARM64", "function": None, "since": "1.0"}]
    next(r for r in reqs if r["id"] == "TLB-001")["not_on"] = ["arm64"]
    return suite.write()


def test_coverage_per_architecture(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A binding's requirements count only on its architecture, neutral ones on every
    architecture unless a binding replaces them there; x86_64 is the default."""
    suite = _with_bindings(Suite(tmp_path))
    res = run_cli("coverage", *suite.common())
    assert res.rc == 0, res.out
    assert "HCABI 1.1: 8/8 atomic requirements cited by at least one test, of those that apply on x86_64" in res.out
    assert "ARM64" not in res.out
    res = run_cli("coverage", *suite.common(), "--arch", "arm64")
    assert res.rc == 3, res.out
    assert "HCABI 1.1: 6/8 atomic requirements cited by at least one test, of those that apply on arm64" in res.out
    assert "uncovered: ARM64-001 is cited by no test" in res.out
    data = json.loads(run_cli("coverage", *suite.common(), "--arch", "arm64", "--json").out)
    assert data["arch"] == "arm64" and data["uncovered"] == ["ARM64-001", "ARM64-002"]
    assert "X86-001" not in data["requirements"] and "TLB-001" not in data["requirements"]
    assert data["requirements"]["TIME-001"]["tests"] == ["TIME.monotonic"]  # neutral: counts on arm64 too
    # an architecture the manifest has no binding for is a usage error
    res = run_cli("coverage", *suite.common(), "--arch", "riscv64")
    assert res.rc == 2 and "has no such architecture" in one_line_error(res), res.out + res.err


def test_a_run_judges_only_its_architecture(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An x86-64 run is not held to the arm64 binding: its report lists no ARM64 requirement,
    and the verdict stays CONFORMANT."""
    suite = _with_bindings(Suite(tmp_path))
    report = suite.root / "r.json"
    res = run_cli(*suite.run_args("--json", str(report)))
    assert res.rc == 0, res.out + res.err
    assert "verdict: CONFORMANT" in res.out
    reqs = json.loads(report.read_text())["requirements"]
    assert "ARM64-001" not in reqs and reqs["TLB-001"]["status"] == "pass"
