"""The verdict function and the manifests it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from conftest import REQUIREMENTS, TESTS

from hcabi_conform.errors import EnvError, UsageError
from hcabi_conform.manifests import RequirementsManifest, TestSpec, load_requirements, load_tests
from hcabi_conform.model import BootRecord, Discovery, Ending, TestResult
from hcabi_conform.verdict import evaluate
from hcabi_conform.versions import Version

V10, V11 = Version(1, 0), Version(1, 1)


@pytest.fixture
def manifest(tmp_path: Path) -> RequirementsManifest:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(REQUIREMENTS))
    return load_requirements(path)


SUITE = [TestSpec.from_dict(t) for t in TESTS]


def boot(spec: str = "1.1", exts: Optional[dict[str, int]] = None, present: bool = True) -> BootRecord:
    disc = Discovery(present=present, spec=spec if present else None, impl="0x1", implver="0x2", signature="HCABIrefvmm0", exts=exts if exts is not None else {"BASE": 1, "TIME": 1, "TLB": 1, "SYSTEM": 1})
    return BootRecord(image="base", file="x", ending=Ending("exit", "done"), hello=True, discovery=disc)


def results(overrides: Optional[dict[str, tuple[str, str]]] = None, upto: Version = V11) -> list[TestResult]:
    out = []
    for t in SUITE:
        if t.since > upto:
            continue
        status, msg = (overrides or {}).get(t.name, ("pass", "ok"))
        out.append(TestResult(t.name, t.image, t.extension, str(t.since), list(t.requirements), status, msg, passed_reqs=list(t.requirements)))
    return out


def ev(manifest: RequirementsManifest, res: list[TestResult], tested: Version = V11, profile: str = "full", boots: Optional[list[BootRecord]] = None, partial: bool = False) -> Any:
    return evaluate(manifest, SUITE, tested, profile, res, boots if boots is not None else [boot()], partial)


def test_all_pass_is_conformant(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results())
    assert e.verdict == "conformant", e.reasons
    assert e.claimed == "1.1"
    assert all(row["status"] == "pass" for row in e.requirements.values())


def test_skip_of_required_extension_is_failure(manifest: RequirementsManifest) -> None:
    res = results({"TLB.flush": ("skip", "TLB not advertised")})
    e = ev(manifest, res, boots=[boot(exts={"BASE": 1, "TIME": 1, "SYSTEM": 1})])
    assert e.verdict == "non-conformant"
    tlb = next(r for r in e.results if r.test == "TLB.flush")
    assert tlb.status == "fail" and tlb.raw_status == "skip"
    assert tlb.message.startswith("required extension TLB not advertised")
    assert e.requirements["TLB-001"]["status"] == "fail"


def test_skip_of_optional_extension_is_fine(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results({"TLB.flush": ("skip", "not advertised")}), profile="core", boots=[boot(exts={"BASE": 1, "TIME": 1, "SYSTEM": 1})])
    assert e.verdict == "conformant", e.reasons
    assert e.requirements["TLB-001"]["status"] == "skip"
    assert e.requirements["TLB-001"]["required"] is False


def test_skip_of_binding_test_is_failure_in_every_profile(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results({"X86.vmcall": ("skip", "no")}), profile="core")
    assert e.verdict == "non-conformant"


def test_claim_older_than_tested(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results(upto=V10), tested=V11, boots=[boot(spec="1.0")], partial=True)
    assert e.verdict == "non-conformant"
    assert any("older than the tested version 1.1" in r for r in e.failures)


def test_error_wins_over_failure(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results({"BASE.probe_extension": ("error", "test bug"), "TLB.flush": ("fail", "bad")}))
    assert e.verdict == "error"
    assert e.failures and e.errors


@pytest.mark.parametrize("status", ["fail", "timeout", "crash"])
def test_failing_statuses(manifest: RequirementsManifest, status: str) -> None:
    assert ev(manifest, results({"TIME.monotonic": (status, "x")})).verdict == "non-conformant"


def test_absent_hcabi(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results({t.name: ("fail", "not present") for t in SUITE}), boots=[boot(present=False)])
    assert e.verdict == "non-conformant"
    assert any("HCABI is not present" in r for r in e.failures)


def test_inconsistent_claims(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results(), boots=[boot("1.1"), boot("1.0")])
    assert any("different spec versions" in r for r in e.failures)


def test_results_newer_than_tested_are_dropped(manifest: RequirementsManifest) -> None:
    e = ev(manifest, results(), tested=V10)
    assert "TIME.timer_vector" not in {r.test for r in e.results}
    assert "TIME-004" not in e.requirements
    assert e.verdict == "conformant", e.reasons


def test_missing_result_is_error_unless_partial(manifest: RequirementsManifest) -> None:
    res = [r for r in results() if r.test != "TLB.flush"]
    assert ev(manifest, res).verdict == "error"
    assert ev(manifest, res, partial=True).verdict == "conformant"


def test_failed_check_pins_requirement(manifest: RequirementsManifest) -> None:
    res = results()
    mono = next(r for r in res if r.test == "TIME.monotonic")
    mono.raw_status = "fail"
    mono.failed_checks = [{"req": "TIME-002", "msg": "bad unit"}]
    mono.passed_reqs = ["TIME-001"]
    e = ev(manifest, res)
    assert e.requirements["TIME-001"]["status"] == "pass"
    assert e.requirements["TIME-002"]["status"] == "fail"


def test_unknown_requirement_is_error(manifest: RequirementsManifest) -> None:
    suite = SUITE + [TestSpec("BASE.extra", "base", "BASE", ("BASE-999",), V10)]
    res = results() + [TestResult("BASE.extra", "base", "BASE", "1.0", ["BASE-999"], "pass", "")]
    e = evaluate(manifest, suite, V11, "full", res, [boot()], False)
    assert e.verdict == "error"
    assert any("BASE-999" in r for r in e.errors)


def test_uncovered_requirement_is_a_warning(manifest: RequirementsManifest) -> None:
    suite = [t for t in SUITE if t.name != "TLB.flush"]
    res = [r for r in results() if r.test != "TLB.flush"]
    e = evaluate(manifest, suite, V11, "full", res, [boot()], False)
    assert e.requirements["TLB-001"]["status"] == "untested"
    assert any("TLB-001" in w for w in e.warnings)


def test_profile_extensions_per_version(manifest: RequirementsManifest) -> None:
    assert manifest.profile_extensions("core", V11) == {"BASE", "TIME", "SYSTEM"}
    assert manifest.area_required("X86", "core", V10)
    assert not manifest.area_required("TLB", "core", V10)


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d.pop("requirements"), "$.requirements"),
        (lambda d: d["requirements"][0].__setitem__("since", "one"), "$.requirements[0].since"),
        (lambda d: d["requirements"].append(dict(d["requirements"][0])), "duplicate requirement ID"),
        (lambda d: d["profiles"][0]["extensions"].__setitem__("1.0", ["NOPE"]), "unknown extension"),
        (lambda d: d.__setitem__("newest_version", "2.0"), "not listed"),
    ],
)
def test_bad_requirements_manifest(tmp_path: Path, mutate: Any, where: str) -> None:
    data = json.loads(json.dumps(REQUIREMENTS))
    mutate(data)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(EnvError, match=where.replace("$", r"\$").replace("[", r"\[").replace("]", r"\]")):
        load_requirements(path)


def test_bad_tests_manifest(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"images": [], "tests": [dict(TESTS[0])]}))
    with pytest.raises(EnvError, match="unknown image"):
        load_tests(path)
    path.write_text("{not json")
    with pytest.raises(EnvError, match="not valid JSON"):
        load_tests(path)


def test_version_checks(manifest: RequirementsManifest) -> None:
    with pytest.raises(UsageError):
        manifest.check_version(Version(2, 0))
    with pytest.raises(UsageError):
        manifest.check_profile("gold", V10)
    assert Version.parse("1.10") > Version.parse("1.9")
