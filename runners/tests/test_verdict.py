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


@pytest.mark.parametrize("claim", ["8307.28783", "2.0", "0.9"])
def test_claim_of_another_major_is_failure(manifest: RequirementsManifest, claim: str) -> None:
    """A 1.x suite cannot pass an implementation that says it serves another
    major version (found by mutating the reference's GET_SPEC_VERSION: it
    passed, tested as 1.1)."""
    e = ev(manifest, results(upto=V11), tested=V11, boots=[boot(spec=claim)], partial=True)
    assert e.verdict == "non-conformant"
    assert any(f"claims HCABI {claim}, another major version than the tested version 1.1" in r for r in e.failures), e.failures


def test_claim_of_a_newer_minor_is_fine(manifest: RequirementsManifest) -> None:
    """A minor version only adds: a 1.7 implementation is judged at 1.1."""
    e = ev(manifest, results(upto=V11), tested=V11, boots=[boot(spec="1.7")])
    assert e.verdict == "conformant", e.reasons


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


# -- skips: an advertised extension must be tested whatever the profile ----------


def _skip(name: str, needs: list[str]) -> list[TestResult]:
    res = results({name: ("skip", "skipped")})
    next(r for r in res if r.test == name).needs = needs
    return res


def test_skip_of_advertised_extension_fails_even_when_optional(manifest: RequirementsManifest) -> None:
    """core does not require TLB, but the implementation advertises it: it
    must meet TLB's requirements, so TLB.flush may not skip."""
    e = ev(manifest, _skip("TLB.flush", []), profile="core")
    tlb = next(r for r in e.results if r.test == "TLB.flush")
    assert e.verdict == "non-conformant"
    assert tlb.status == "fail" and tlb.message.startswith("extension TLB is advertised, but test TLB.flush was skipped")
    assert e.requirements["TLB-001"]["status"] == "fail"


def test_skip_needing_an_advertised_extension_fails(manifest: RequirementsManifest) -> None:
    e = ev(manifest, _skip("TLB.flush", ["TIME"]), profile="core")
    tlb = next(r for r in e.results if r.test == "TLB.flush")
    assert tlb.status == "fail" and "it said it needed TIME, which the implementation advertises" in tlb.message


def test_skip_needing_an_unadvertised_extension_is_fine(manifest: RequirementsManifest) -> None:
    """TIME is advertised and required by core; a TIME test that needed TLB
    for its set-up, and TLB is not advertised, may skip: the test is not a
    failure. But TIME-001/002 are shown by no other test, so the profile's
    requirements are not demonstrated: non-conformant, naming them (as the
    gate would)."""
    exts = {"BASE": 1, "TIME": 1, "SYSTEM": 1}
    res = _skip("TIME.monotonic", ["TLB"])
    e = ev(manifest, res, profile="core", boots=[boot(exts=exts)])
    mono = next(r for r in e.results if r.test == "TIME.monotonic")
    assert mono.status == "skip", mono.message
    assert e.requirements["TIME-001"]["status"] == "skip"
    assert e.verdict == "non-conformant"
    assert e.failures == [f"requirement {rid} is required by profile core, but every test of it was skipped: TIME.monotonic"
                          for rid in ("TIME-001", "TIME-002")]


def test_binding_skip_fails_even_with_needs(manifest: RequirementsManifest) -> None:
    exts = {"BASE": 1, "TIME": 1, "SYSTEM": 1}
    e = ev(manifest, _skip("X86.vmcall", ["TLB"]), profile="core", boots=[boot(exts=exts)])
    x86 = next(r for r in e.results if r.test == "X86.vmcall")
    assert x86.status == "fail" and "X86 requirements apply to every profile" in x86.message


def test_advertised_is_the_union_of_boots(manifest: RequirementsManifest) -> None:
    """An implementation cannot hide TLB from the one boot that tests it."""
    boots = [boot(exts={"BASE": 1, "TIME": 1, "SYSTEM": 1}), boot(exts={"BASE": 1, "TIME": 1, "TLB": 1, "SYSTEM": 1})]
    e = ev(manifest, _skip("TLB.flush", []), profile="core", boots=boots)
    assert e.advertised["TLB"] == 1 and e.verdict == "non-conformant"


def test_acceptable_skip_does_not_hide_a_pass(manifest: RequirementsManifest) -> None:
    suite = SUITE + [TestSpec("TIME.monotonic_smp", "time", "TIME", ("TIME-001",), V10)]
    res = results() + [TestResult("TIME.monotonic_smp", "time", "TIME", "1.0", ["TIME-001"], "skip", "one vCPU", needs=["TLB"])]
    e = evaluate(manifest, suite, V11, "core", res, [boot(exts={"BASE": 1, "TIME": 1, "SYSTEM": 1})], False)
    assert e.requirements["TIME-001"]["status"] == "pass"
    assert e.requirements["TIME-001"]["tests"] == ["TIME.monotonic", "TIME.monotonic_smp"]


# -- attribution: a failing check fails the requirement it names -------------------


def _failed(checks: list[dict[str, str]], passed: list[str]) -> list[TestResult]:
    res = results()
    mono = next(r for r in res if r.test == "TIME.monotonic")
    mono.raw_status, mono.failed_checks, mono.passed_reqs = "fail", checks, passed
    return res


def test_check_naming_an_uncited_requirement_fails_it(manifest: RequirementsManifest) -> None:
    """The check names TIME-004, which TIME.monotonic does not cite: TIME-004
    fails and lists the test; the test's own requirements shown passing pass."""
    e = ev(manifest, _failed([{"req": "TIME-004", "msg": "x"}], ["TIME-001", "TIME-002"]))
    assert e.requirements["TIME-004"]["status"] == "fail"
    assert "TIME.monotonic" in e.requirements["TIME-004"]["tests"]
    assert e.requirements["TIME-001"]["status"] == "pass"
    assert e.requirements["TIME-002"]["status"] == "pass"


def test_unattributed_check_fails_every_requirement(manifest: RequirementsManifest) -> None:
    e = ev(manifest, _failed([{"req": "-", "msg": "x"}, {"req": "TIME-002", "msg": "y"}], ["TIME-001"]))
    assert e.requirements["TIME-001"]["status"] == "fail"
    assert e.requirements["TIME-002"]["status"] == "fail"


def test_check_naming_an_undefined_requirement_fails_every_requirement(manifest: RequirementsManifest) -> None:
    e = ev(manifest, _failed([{"req": "TIME-999", "msg": "x"}], ["TIME-001", "TIME-002"]))
    assert e.requirements["TIME-001"]["status"] == "fail" and e.requirements["TIME-002"]["status"] == "fail"


def test_requirement_neither_failed_nor_shown_is_not_pass(manifest: RequirementsManifest) -> None:
    e = ev(manifest, _failed([{"req": "TIME-002", "msg": "x"}], []))
    assert e.requirements["TIME-002"]["status"] == "fail"
    assert e.requirements["TIME-001"]["status"] == "skip"


def test_failure_without_checks_fails_everything(manifest: RequirementsManifest) -> None:
    e = ev(manifest, _failed([], ["TIME-001"]))
    assert e.requirements["TIME-001"]["status"] == "fail" and e.requirements["TIME-002"]["status"] == "fail"


# -- per-boot consistency ------------------------------------------------------------


@pytest.mark.parametrize("kind, hello, why", [("host-error", True, "ended in host-error"), ("exit", False, "sent no hello line")])
def test_pass_from_a_dead_boot_is_error(manifest: RequirementsManifest, kind: str, hello: bool, why: str) -> None:
    dead = boot()
    dead.ending, dead.hello = Ending(kind, "x"), hello
    e = ev(manifest, results(), boots=[dead])
    assert e.verdict == "error"
    assert any(f"BASE.get_spec_version: pass, but the boot of image base {why}" in r for r in e.errors)


def test_duplicate_result_is_named(manifest: RequirementsManifest) -> None:
    res = results()
    e = ev(manifest, res + [TestResult.from_dict(res[0].to_dict())])
    assert any(f"with more than one result: {res[0].test}" in r for r in e.errors)


def test_moved_test_is_named(manifest: RequirementsManifest) -> None:
    res = results()
    res[0].extension = "TIME"
    e = ev(manifest, res)
    assert any(f"result for test {res[0].test} does not match its definition in the tests manifest: extension TIME (the manifest says BASE)" in r for r in e.errors)


# -- atomic requirements: a requirement with parts is judged by its parts ------


def parted_manifest(tmp_path: Path) -> RequirementsManifest:
    doc = json.loads(json.dumps(REQUIREMENTS))
    mono = next(r for r in doc["requirements"] if r["id"] == "TIME-001")
    mono["parts"] = [{"id": "TIME-001.1", "text": "GET_MONOTONIC MUST never go backwards on one vCPU."},
                     {"id": "TIME-001.2", "text": "GET_MONOTONIC MUST never go backwards across vCPUs."}]
    path = tmp_path / "req.json"
    path.write_text(json.dumps(doc))
    return load_requirements(path)


def test_parts_replace_their_requirement(tmp_path: Path) -> None:
    m = parted_manifest(tmp_path)
    assert "TIME-001" not in m.requirements
    assert m.groups == {"TIME-001": ("TIME-001.1", "TIME-001.2")}
    part = m.requirements["TIME-001.2"]
    assert (part.parent, part.since, part.area, part.function) == ("TIME-001", V10, "TIME", "TIME.GET_MONOTONIC")
    assert m.requirements["TIME-002"].parent is None


def test_a_failed_check_fails_the_part_it_names(tmp_path: Path) -> None:
    m = parted_manifest(tmp_path)
    spec = TestSpec("TIME.monotonic", "time", "TIME", ("TIME-001.1", "TIME-001.2", "TIME-002"), V10)
    suite = [spec if t.name == "TIME.monotonic" else t for t in SUITE]
    res = results()
    mono = next(r for r in res if r.test == "TIME.monotonic")
    mono.requirements = list(spec.requirements)
    mono.raw_status = mono.status = "fail"
    mono.failed_checks = [{"req": "TIME-001.2", "msg": "went backwards across vCPUs"}]
    mono.passed_reqs = ["TIME-001.1", "TIME-002"]
    e = evaluate(m, suite, V11, "full", res, [boot()], False)
    assert e.verdict == "non-conformant"
    assert e.requirements["TIME-001.2"]["status"] == "fail"
    assert e.requirements["TIME-001.2"]["parent"] == "TIME-001"
    assert e.requirements["TIME-001.1"]["status"] == "pass"
    assert "parent" not in e.requirements["TIME-002"]
    assert "TIME-001" not in e.requirements


def test_citing_a_requirement_that_has_parts_is_an_error(tmp_path: Path) -> None:
    e = ev(parted_manifest(tmp_path), results())  # TIME.monotonic still cites TIME-001
    assert e.verdict == "error"
    assert any("TIME-001, which has parts (TIME-001.1, TIME-001.2): tests cite the parts" in r for r in e.errors), e.errors


def test_a_part_must_be_numbered_under_its_parent(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(REQUIREMENTS))
    doc["requirements"][0]["parts"] = [{"id": "BASE-002.1", "text": "x MUST."}, {"id": "BASE-001.2", "text": "y MUST."}]
    path = tmp_path / "req.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(EnvError, match=r"\$\.requirements\[0\]\.parts\[0\]\.id: expected a new part ID BASE-001\.N, got 'BASE-002\.1'"):
        load_requirements(path)


def test_summary_names_a_failing_part_and_its_parent() -> None:
    from hcabi_conform.summary import render_summary

    report = {
        "verdict": "non-conformant", "tested_version": "1.2", "profile": "full",
        "results": [{"test": "IPI.send_bad_vector", "status": "fail", "message": "SEND(self, vector 0): got SUCCESS"}],
        "requirements": {
            "IPI-001.1": {"status": "fail", "tests": ["IPI.send_bad_vector"], "since": "1.0", "parent": "IPI-001",
                          "text": "SEND MUST return `INVALID_PARAM` if the vector is below 32."},
            "IPI-002": {"status": "pass", "tests": ["IPI.delivery"], "since": "1.0", "text": "..."},
        },
    }
    text = render_summary(report)
    assert "  IPI-001.1 [fail] (part of IPI-001, since 1.0)" in text
    assert "IPI-002" not in text


# -- a part that applies only with some extensions (`applies_with`) -----------


def limited_manifest(tmp_path: Path, applies_with: Optional[list[str]]) -> RequirementsManifest:
    """X86-001 split in two; the second part is checked only by the TLB test
    and (when `applies_with` is given) applies only to implementations with TLB."""
    doc = json.loads(json.dumps(REQUIREMENTS))
    x86 = next(r for r in doc["requirements"] if r["id"] == "X86-001")
    second: dict[str, Any] = {"id": "X86-001.2", "text": "A flush of a structure MUST check its reserved fields."}
    if applies_with is not None:
        second["applies_with"] = applies_with
    x86["parts"] = [{"id": "X86-001.1", "text": "VMCALL MUST work."}, second]
    path = tmp_path / "req.json"
    path.write_text(json.dumps(doc))
    return load_requirements(path)


LIMITED_SUITE = [
    TestSpec("X86.vmcall", "x86", "X86", ("X86-001.1",), V10) if t.name == "X86.vmcall"
    else TestSpec("TLB.flush", "tlb", "TLB", ("TLB-001", "X86-001.2"), V10) if t.name == "TLB.flush" else t
    for t in SUITE
]
NO_TLB = {"BASE": 1, "TIME": 1, "SYSTEM": 1}


def limited_results(tlb: str) -> list[TestResult]:
    res = results({"TLB.flush": (tlb, "TLB not advertised" if tlb == "skip" else "ok")})
    for r in res:
        r.requirements = r.passed_reqs = list(next(t for t in LIMITED_SUITE if t.name == r.test).requirements)
    return res


def test_applies_with_is_loaded_and_checked(tmp_path: Path) -> None:
    assert limited_manifest(tmp_path, ["TLB"]).requirements["X86-001.2"].applies_with == frozenset({"TLB"})
    assert limited_manifest(tmp_path, None).requirements["X86-001.2"].applies_with == frozenset()
    with pytest.raises(EnvError, match=r"parts\[1\]\.applies_with\[0\]: expected an extension name, got 'NOPE'"):
        limited_manifest(tmp_path, ["NOPE"])


def test_limited_part_without_its_extension_is_not_applicable(tmp_path: Path) -> None:
    m = limited_manifest(tmp_path, ["TLB"])
    e = evaluate(m, LIMITED_SUITE, V11, "core", limited_results("skip"), [boot(exts=NO_TLB)], False)
    assert e.verdict == "conformant", e.reasons
    assert e.requirements["X86-001.2"]["status"] == "not-applicable"
    assert e.requirements["X86-001.2"]["required"] is True
    assert e.requirements["X86-001.2"]["applies_with"] == ["TLB"]
    assert e.requirements["X86-001.1"]["status"] == "pass"


def test_unlimited_required_requirement_with_only_skips_fails(tmp_path: Path) -> None:
    """The same skip without `applies_with`: a binding requirement nothing showed met."""
    m = limited_manifest(tmp_path, None)
    e = evaluate(m, LIMITED_SUITE, V11, "core", limited_results("skip"), [boot(exts=NO_TLB)], False)
    assert e.verdict == "non-conformant"
    assert e.requirements["X86-001.2"]["status"] == "skip"
    assert "requirement X86-001.2 is required by profile core, but every test of it was skipped: TLB.flush" in e.failures


def test_limited_part_with_its_extension_is_judged(tmp_path: Path) -> None:
    m = limited_manifest(tmp_path, ["TLB"])
    e = evaluate(m, LIMITED_SUITE, V11, "core", limited_results("pass"), [boot()], False)
    assert e.verdict == "conformant", e.reasons
    assert e.requirements["X86-001.2"]["status"] == "pass"
    e = evaluate(m, LIMITED_SUITE, V11, "core", limited_results("skip"), [boot()], False)
    assert e.verdict == "non-conformant"  # TLB advertised: its test may not skip
    assert e.requirements["X86-001.2"]["status"] == "fail"


def test_requirement_level_applies_with(tmp_path: Path) -> None:
    """A requirement without parts may be limited too (GEN-004: calls made at
    the same time need a second running vCPU, which VCPU.START gives)."""
    doc = json.loads(json.dumps(REQUIREMENTS))
    next(r for r in doc["requirements"] if r["id"] == "X86-001")["applies_with"] = ["TLB"]
    path = tmp_path / "req.json"
    path.write_text(json.dumps(doc))
    m = load_requirements(path)
    assert m.requirements["X86-001"].applies_with == frozenset({"TLB"})
    suite = [TestSpec("TLB.flush", "tlb", "TLB", ("TLB-001", "X86-001"), V10) if t.name == "TLB.flush"
             else TestSpec("X86.vmcall", "x86", "X86", ("X86-002",), V10) if t.name == "X86.vmcall" else t for t in SUITE]
    res = results({"TLB.flush": ("skip", "TLB not advertised")})
    for r in res:
        r.requirements = r.passed_reqs = list(next(t for t in suite if t.name == r.test).requirements)
    doc2 = json.loads(json.dumps(doc))
    doc2["requirements"].append({"id": "X86-002", "text": "x MUST.", "area": "X86", "function": None, "since": "1.0"})
    path.write_text(json.dumps(doc2))
    m = load_requirements(path)
    e = evaluate(m, suite, V11, "core", res, [boot(exts=NO_TLB)], False)
    assert e.verdict == "conformant", e.reasons
    assert e.requirements["X86-001"]["status"] == "not-applicable"
    bad = json.loads(json.dumps(doc2))
    next(r for r in bad["requirements"] if r["id"] == "X86-001")["applies_with"] = ["NOPE"]
    path.write_text(json.dumps(bad))
    with pytest.raises(EnvError, match=r"applies_with\[0\]: expected an extension name, got 'NOPE'"):
        load_requirements(path)
