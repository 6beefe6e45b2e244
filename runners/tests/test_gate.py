"""`gate`: accept a good report; reject doctored, partial, too-old, failing
ones with precise reasons; unreadable reports are exit 4."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import WRAPPER, Suite, load, one_line_error, passing_steps, run_cli


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


# -- judged against the suite build, not the report's own suite list ----------------


def test_removed_test_is_named_without_tests_option(good_reports: dict[str, Path], tmp_path: Path) -> None:
    """Removed from the results and from the report's suite list alike: the
    build's tests manifest (the default --tests) still names it."""

    def edit(d: dict[str, Any]) -> None:
        d["results"] = [r for r in d["results"] if r["test"] != "X86.vmcall"]
        d["suite"]["tests"] = [t for t in d["suite"]["tests"] if t["name"] != "X86.vmcall"]

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3
    assert f"test X86.vmcall (since 1.0) of {good_reports['tests']} has no result in this report" in res.out
    assert f"test X86.vmcall of {good_reports['tests']} is missing from the report's suite list" in res.out


def test_invented_test_is_named(good_reports: dict[str, Path], tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        fake = dict(result(d, "BASE.get_spec_version"), test="BASE.invented")
        d["results"].append(fake)
        d["suite"]["tests"].append({"name": "BASE.invented", "image": "base", "extension": "BASE", "requirements": ["BASE-001"], "since": "1.0"})

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3
    assert "the report's suite lists test BASE.invented, which" in res.out
    assert "the report has a result for test BASE.invented, which" in res.out


@pytest.mark.parametrize(
    "field, value, needle",
    [
        ("extension", "TIME", "extension TIME (the manifest says TLB)"),
        ("requirements", ["TIME-001"], "requirements TIME-001 (the manifest says TLB-001)"),
        ("image", "time", "image time (the manifest says tlb)"),
    ],
)
def test_moved_or_rewritten_test_is_named(good_reports: dict[str, Path], tmp_path: Path, field: str, value: Any, needle: str) -> None:
    """Edited in the result and in the report's suite list alike."""

    def edit(d: dict[str, Any]) -> None:
        result(d, "TLB.flush")[field] = value
        next(t for t in d["suite"]["tests"] if t["name"] == "TLB.flush")[field] = value

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3, res.out
    assert "the report's suite defines test TLB.flush as" in res.out
    assert f"result for test TLB.flush does not match its definition in the tests manifest: {needle}" in res.out


# -- versions --------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["1.2", "2.0", "99999.99999"])
def test_unknown_claimed_version_rejects(good_reports: dict[str, Path], tmp_path: Path, claim: str) -> None:
    """Rewritten consistently: the stored claim and every boot's discovery line."""

    def edit(d: dict[str, Any]) -> None:
        d["spec_version"] = claim
        for b in d["boots"]:
            b["discovery"]["spec"] = claim

    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3, res.out
    assert f"the implementation claims HCABI {claim}, which {good_reports['manifest']} does not define" in res.out


@pytest.mark.parametrize("tested", ["1.2", "2.0", "99999.99999"])
def test_unknown_tested_version_rejects(good_reports: dict[str, Path], tmp_path: Path, tested: str) -> None:
    res = gate(doctored(good_reports["1.1"], tmp_path / "d.json", lambda d: d.update(tested_version=tested)), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3, res.out
    assert f"the report's tested_version {tested} is not a version {good_reports['manifest']} defines" in res.out


def test_unknown_required_version_is_usage(good_reports: dict[str, Path]) -> None:
    for want in ("1.2", "99999.99999"):
        res = gate(good_reports["1.1"], good_reports["manifest"], "--require", want)
        assert res.rc == 2 and f"spec version {want} is not defined" in one_line_error(res)


# -- contradictions --------------------------------------------------------------------


def _boot(d: dict[str, Any], image: str) -> dict[str, Any]:
    return next(b for b in d["boots"] if b["image"] == image)


@pytest.mark.parametrize(
    "name, edit, needle",
    [
        ("partial", lambda d: d["selection"].update(partial=True), "it records selection.partial true, but its filters and shards make it false"),
        ("partial-false", lambda d: d["selection"].update(filters=["TLB.*"]), "it records selection.partial false, but its filters and shards make it true"),
        ("host-error", lambda d: _boot(d, "tlb")["ending"].update(kind="host-error"), "TLB.flush: pass, but the boot of image tlb ended in host-error"),
        ("no-hello", lambda d: _boot(d, "tlb").update(hello=False), "TLB.flush: pass, but the boot of image tlb sent no hello line"),
        ("unverified", lambda d: _boot(d, "tlb")["evidence"].update(verified=False), "the boot of image tlb is not verified evidence"),
        ("row-edited", lambda d: d["requirements"]["TLB-001"].update(tests=[]), "the row of requirement TLB-001 has edited field(s) tests"),
        ("row-text", lambda d: d["requirements"]["TLB-001"].update(text="anything goes"), "the row of requirement TLB-001 has edited field(s) text"),
        ("row-deleted", lambda d: d["requirements"].pop("TLB-001"), "requirement TLB-001 of its tested version has no row"),
        ("row-added", lambda d: d["requirements"].update({"TLB-999": {"status": "pass", "tests": []}}), "the report cites requirement TLB-999, which the registry does not define"),
        ("summary", lambda d: d["summary"]["total"].update(fail=1), "summary.total says"),
        ("summary-ext", lambda d: d["summary"]["by_extension"]["TLB"].update(skip=1), "summary.by_extension says"),
        ("reasons", lambda d: d["reasons"]["warnings"].append("all fine"), "its reasons.warnings are not what its results give"),
        ("advertised", lambda d: d.update(advertised_extensions={"BASE": 1}), "it records the advertised extensions"),
        ("message", lambda d: result(d, "TLB.flush").update(message="flushed everything"), "the message of test TLB.flush is not what its raw result gives"),
        ("two-boots", lambda d: d["boots"].append(dict(_boot(d, "tlb"))), "the report has more than one boot of image tlb"),
        ("no-boot", lambda d: d.update(boots=[b for b in d["boots"] if b["image"] != "tlb"]), "the report has a result for test TLB.flush of image tlb, but no boot of that image"),
    ],
)
def test_contradictions_reject(good_reports: dict[str, Path], tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], None], needle: str) -> None:
    res = gate(doctored(good_reports["1.1"], tmp_path / f"{name}.json", edit), good_reports["manifest"], "--require", "1.1")
    assert res.rc == 3, (name, res.out, res.err)
    assert needle in res.out, (name, res.out)


def test_report_gate_says_consistency_only(good_reports: dict[str, Path]) -> None:
    res = gate(good_reports["1.1"], good_reports["manifest"], "--require", "1.1")
    assert res.rc == 0
    assert "ACCEPTED (consistency only)" in res.out
    assert "not that its results came from real boots" in res.err


def test_untested_advertised_extension_rejects(tmp_path: Path) -> None:
    """Under --profile core (TLB optional), an implementation that advertises
    TLB but whose TLB test skipped is not conformant: it provides TLB, so it
    must meet TLB's requirements."""
    suite = Suite(tmp_path).write()
    steps = passing_steps("tlb", suite.tests)
    for i, step in enumerate(steps):
        if "check result=pass" in step.get("line", ""):
            steps[i] = {"text": "(no check)"}
        elif step.get("line", "").startswith("test-end name=TLB.flush"):
            steps[i] = {"line": step["line"].replace("verdict=pass", "verdict=skip")}
    suite.set_image("tlb", steps)
    path = tmp_path / "r.json"
    res = run_cli(*suite.run_args("--profile", "core", "--json", str(path)))
    assert res.rc == 3, res.out + res.err
    assert "extension TLB is advertised, but test TLB.flush was skipped" in res.out
    res = gate(path, suite.manifest, "--require", "1.1", "--profile", "core")
    assert res.rc == 3
    assert "extension TLB is advertised, but test TLB.flush was skipped" in res.out
    # forged: the run's verdict and the skip's consequences rewritten; the gate recomputes them
    data = load(path)
    result(data, "TLB.flush").update(status="skip", message=result(data, "TLB.flush")["raw_message"])
    data["verdict"] = "conformant"
    res = gate(doctored(path, tmp_path / "d.json", lambda d: d.update(data)), suite.manifest, "--require", "1.1", "--profile", "core")
    assert res.rc == 3 and "extension TLB is advertised, but test TLB.flush was skipped" in res.out


# -- exit statuses whatever stdout is ----------------------------------------------------


def _shell(cmd: str) -> Any:
    """Run `cmd` under bash (for PIPESTATUS), CONFORM being the wrapper."""
    return subprocess.run(["bash", "-c", cmd.replace("CONFORM", f"{sys.executable} {WRAPPER}")], capture_output=True, text=True, timeout=60)


def test_rejected_gate_piped_into_true_exits_3(good_reports: dict[str, Path]) -> None:
    args = f"gate --report {good_reports['1.0']} --require 1.1 --manifest {good_reports['manifest']} --build-dir {good_reports['manifest'].parent / 'build'}"
    # the reader is gone before the gate writes: EPIPE; the gate's own status is PIPESTATUS[0]
    proc = _shell(f"CONFORM {args} | true; exit ${{PIPESTATUS[0]}}")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "note:" in proc.stderr  # nothing but the consistency-only note
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_gate_to_a_full_device_keeps_its_status(good_reports: dict[str, Path]) -> None:
    common = f"--manifest {good_reports['manifest']} --build-dir {good_reports['manifest'].parent / 'build'}"
    for report, want in ((good_reports["1.0"], 3), (good_reports["1.1"], 0)):
        proc = _shell(f"CONFORM gate --report {report} --require 1.1 {common} > /dev/full")
        assert proc.returncode == want, proc.stderr
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
        assert "cannot write to standard output: No space left on device" in proc.stderr


@pytest.mark.parametrize("limited", [True, False])
def test_part_limited_to_an_absent_extension(tmp_path: Path, limited: bool) -> None:
    """A required binding part checked only by a TLB test: under --profile core
    with TLB not advertised, `applies_with = [TLB]` makes it not-applicable and
    the run and gate accept; without it, nothing showed it met and both reject."""
    suite = Suite(tmp_path)
    x86 = next(r for r in suite.requirements["requirements"] if r["id"] == "X86-001")
    second: dict[str, Any] = {"id": "X86-001.2", "text": "A flush MUST check reserved fields."}
    if limited:
        second["applies_with"] = ["TLB"]
    x86["parts"] = [{"id": "X86-001.1", "text": "VMCALL MUST work."}, second]
    for t in suite.tests:
        if t["name"] == "X86.vmcall":
            t["requirements"] = ["X86-001.1"]
        elif t["name"] == "TLB.flush":
            t["requirements"] = ["TLB-001", "X86-001.2"]
    suite.write()
    no_tlb = "BASE:1,TIME:1,SYSTEM:1"
    for img in suite.images:
        steps = passing_steps(img["name"], suite.tests, exts=no_tlb)
        if img["name"] == "tlb":
            steps = [s for s in steps if "check result=pass" not in s.get("line", "")]
            steps = [{"line": s["line"].replace("verdict=pass msg=all good", "verdict=skip msg=TLB not advertised")} if s.get("line", "").startswith("test-end") else s for s in steps]
        suite.set_image(img["name"], steps)
    path = tmp_path / "r.json"
    res = run_cli(*suite.run_args("--profile", "core", "--json", str(path)))
    row = load(path)["requirements"]["X86-001.2"]
    res_gate = gate(path, suite.manifest, "--require", "1.1", "--profile", "core")
    if limited:
        assert res.rc == 0, res.out + res.err
        assert row["status"] == "not-applicable" and row["applies_with"] == ["TLB"]
        assert res_gate.rc == 0 and "ACCEPTED" in res_gate.out, res_gate.out
    else:
        assert res.rc == 3, res.out + res.err
        assert row["status"] == "skip"
        assert "requirement X86-001.2 is required by profile core, but every test of it was skipped: TLB.flush" in res.out
        assert res_gate.rc == 3 and "requirement X86-001.2 (since 1.0) has status skip (tests: TLB.flush)" in res_gate.out, res_gate.out
