"""`gate`: accept a good report; reject doctored, partial, too-old, failing
ones with precise reasons; unreadable reports are exit 4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import Suite, load, one_line_error, passing_steps, run_cli


@pytest.fixture(scope="module")
def good_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real run per version, reused (and copied) by the tests below."""
    suite = Suite(tmp_path_factory.mktemp("gate")).write()
    out = {}
    for version in ("1.0", "1.1"):
        path = suite.root / f"good-{version}.json"
        res = run_cli(*suite.run_args("--spec-version", version, "--json", str(path)), env={"FAKE_SPEC": version})
        assert res.rc == 0, res.out + res.err
        out[version] = path
    out["manifest"] = suite.manifest
    out["tests"] = suite.build / "conformance" / "tests.json"
    return out


def gate(report: Path, manifest: Path, *extra: str) -> Any:
    """The gate judges against the suite build next to the manifest (the
    synthetic suite's build/), unless --tests says otherwise."""
    return run_cli("gate", "--report", str(report), "--manifest", str(manifest), "--build-dir", str(manifest.parent / "build"), *extra)


def doctored(src: Path, dst: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = load(src)
    edit(data)
    dst.write_text(json.dumps(data))
    return dst


def result(data: dict[str, Any], test: str) -> dict[str, Any]:
    return next(r for r in data["results"] if r["test"] == test)


def test_accepts_good_report(good_reports: dict[str, Path]) -> None:
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "1.1")
    assert res.rc == 0, res.out + res.err
    assert "ACCEPTED" in res.out
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "1.0", "--profile", "core", "--tests", str(good_reports["tests"]))
    assert res.rc == 0, res.out + res.err


def test_rejects_newer_version_than_tested(good_reports: dict[str, Path]) -> None:
    res = gate(good_reports["1.0"], good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3
    assert "requirement TIME-004 (since 1.1) is not covered by this report: tested_version 1.0" in res.out
    assert "claims HCABI 1.0, older than the required 1.1" in res.out


def test_rejects_failed_test_doctored_into_skip(good_reports: dict[str, Path], tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        r = result(d, "TIME.monotonic")
        r.update(status="skip", raw_status="skip", message="skipped", raw_message="skipped")

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3, res.out
    assert "TIME.monotonic" in res.out
    assert "TIME-001" in res.out


def test_rejects_skip_or_pass_with_failing_checks(good_reports: dict[str, Path], tmp_path: Path) -> None:
    """A failed test turned into a skip (or a pass) keeps its failing checks:
    an image's verdict is the most severe of its checks, so that is a forgery
    even where a skip would be allowed (core profile, optional extension)."""
    for forged in ("skip", "pass"):

        def edit(d: dict[str, Any]) -> None:
            r = result(d, "TLB.flush")
            r.update(status=forged, raw_status=forged, failed_checks=[{"req": "TLB-001", "msg": "stale entry still mapped"}])

        res = gate(doctored(good_reports["1.1"], tmp_path / f"{forged}.json", edit), good_reports["manifest"], "--require", "1.1", "--profile", "core")
        assert res.rc == 3, res.out
        assert f"the report is inconsistent: test TLB.flush is '{forged}' but it has 1 failing check ([TLB-001] stale entry still mapped)" in res.out


def test_rejects_claims_that_differ_from_discovery(good_reports: dict[str, Path], tmp_path: Path) -> None:
    """The claimed version, presence and implementation stored in the report
    must be what its boots' discovery lines say: a 1.1 claim edited to 1.2
    would otherwise pass the version check unnoticed."""
    for field, value, why in (
        ("spec_version", "1.2", "it records the claimed version 1.2, its boots' discovery lines say 1.1"),
        ("spec_version", "1.0", "it records the claimed version 1.0, its boots' discovery lines say 1.1"),
        ("hcabi_present", False, "it records hcabi_present False, its boots' discovery lines say True"),
        ("implementation", {"id": "0x2", "version": "0x10000", "signature": "HCABIrefvmm0"}, "it records the implementation {'id': '0x2'"),
    ):
        res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", lambda d: d.update({field: value})), good_reports["manifest"], "--require", "1.1")
        assert res.rc == 3, res.out
        assert f"the report is inconsistent: {why}" in res.out


def test_rejects_status_edited_without_raw(good_reports: dict[str, Path], tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        r = result(d, "TLB.flush")
        r.update(raw_status="fail", raw_message="flush did nothing")  # the truth
        d["verdict"] = "conformant"  # the lie, status still says pass

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3
    assert "inconsistent" in res.out and "TLB.flush" in res.out


def test_rejects_unknown_requirement(good_reports: dict[str, Path], tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        result(d, "BASE.get_spec_version")["requirements"].append("BASE-777")
        d["requirements"]["BASE-777"] = {"status": "pass", "tests": ["BASE.get_spec_version"]}

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3
    assert "BASE-777" in res.out


def test_rejects_timeout(tmp_path: Path) -> None:
    suite = Suite(tmp_path).write()
    suite.set_image("tlb", passing_steps("tlb", suite.tests)[:4] + [{"hang": True}])
    path = tmp_path / "t.json"
    assert run_cli(*suite.run_args("--timeout", "1", "--json", str(path))).rc == 3
    res = gate(path, suite.manifest, "--require", "1.1")
    assert res.rc == 3
    assert "TLB.flush: timeout" in res.out
    assert "requirement TLB-001 (since 1.0) has status timeout" in res.out


def test_rejects_missing_test_result(good_reports: dict[str, Path], tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["results"] = [r for r in d["results"] if r["test"] != "X86.vmcall"]
        d["suite"]["tests"] = [t for t in d["suite"]["tests"] if t["name"] != "X86.vmcall"]

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1", "--tests", str(good_reports["tests"]))
    assert res.rc == 3
    assert "X86-001" in res.out and "test X86.vmcall" in res.out


def test_rejects_wrong_major(good_reports: dict[str, Path], tmp_path: Path) -> None:
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "2.0")
    assert res.rc == 2  # 2.0 is not a version the registry defines
    assert "2.0" in one_line_error(res)


@pytest.mark.parametrize(
    "content, expect",
    [
        ("this is not json", "not valid JSON"),
        ("[1, 2, 3]", "not an hcabi-conform report"),
        ('{"format": "hcabi-conform-report", "format_version": 99}', "format version 99"),
        ('{"format": "hcabi-conform-report", "format_version": 1, "verdict": "conformant"}', "malformed report"),
    ],
)
def test_unreadable_report_is_exit_4(good_reports: dict[str, Path], tmp_path: Path, content: str, expect: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    res = gate(path, good_reports["manifest"], "--require", "1.0")
    assert res.rc == 4
    assert expect in one_line_error(res)


def test_missing_report_file(good_reports: dict[str, Path], tmp_path: Path) -> None:
    res = gate(tmp_path / "nope.json", good_reports["manifest"], "--require", "1.0")
    assert res.rc == 4 and "not found" in one_line_error(res)


def test_gate_usage(good_reports: dict[str, Path]) -> None:
    res = run_cli("gate", "--report", str(good_reports["1.1"]))
    assert res.rc == 2 and "--require" in one_line_error(res)
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "one")
    assert res.rc == 2
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "1.0", "--profile", "gold")
    assert res.rc == 2 and "unknown profile" in one_line_error(res)
