"""runners/integration_check.py's JUnit validator (used by the CTest test
conform.vX.Y.junit on a real run): it accepts what `render_junit` writes for
every status and rejects documents that Jenkins or GitLab would misread; and
its check of a partial implementation's report (conform.profile.core.run)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hcabi_conform.junit import render_junit
from integration_check import partial_problems
from integration_junit import validate_junit


def result(test: str, status: str, message: str = "") -> dict[str, Any]:
    ext = test.split(".")[0]
    return {
        "test": test, "image": ext.lower(), "extension": ext, "since": "1.0", "requirements": [f"{ext}-001", f"{ext}-002"],
        "raw_status": status, "raw_message": message, "status": status, "message": message, "failed_checks": [], "passed_reqs": [],
    }  # fmt: skip


REPORT = {
    "verdict": "error",
    "profile": "full",
    "tested_version": "1.1",
    "spec_version": "1.1",
    "target": "ref",
    "timestamp": "2026-01-02T03:04:05Z",
    "host": {"hostname": "ci <&> host"},
    "results": [
        result("BASE.ok", "pass", "all good"),
        result("BASE.bad", "fail", "1 of 2 checks failed\nsecond line <&>\x01"),
        result("TIME.slow", "timeout", "the boot timed out"),
        result("TIME.gone", "crash", ""),
        result("TLB.skipped", "skip", "extension TLB not advertised"),
        result("X86.broken", "error", "test error"),
    ],
}


@pytest.fixture()
def good() -> str:
    return render_junit(REPORT)


def test_render_junit_is_valid(good: str) -> None:
    problems, cases = validate_junit(good)
    assert not problems, problems
    assert set(cases) == {r["test"] for r in REPORT["results"]}
    assert cases["BASE.bad"] == {"suite": "BASE", "classname": "hcabi.BASE", "outcome": "failure", "type": "fail", "requirements": ["BASE-001", "BASE-002"]}
    assert [cases[t]["outcome"] for t in ("BASE.ok", "TIME.slow", "TIME.gone", "TLB.skipped", "X86.broken")] == ["pass", "failure", "failure", "skipped", "error"]


@pytest.mark.parametrize(
    "edit, expect",
    [
        (lambda t: t.replace('classname="hcabi.TLB" ', ""), "no classname= attribute"),
        (lambda t: re.sub(r'(<testsuite name="TIME"[^>]*) failures="2"', r'\1 failures="1"', t), "failures='1' but its testcases give 2"),
        (lambda t: re.sub(r'(<testsuites [^>]*)tests="6"', r'\1tests="7"', t), "testsuites: tests='7' but its testsuites give 6"),
        (lambda t: t.replace('time="0.000"', 'time="fast"', 1), "is not a valid decimal"),
        (lambda t: t.replace("<skipped ", '<failure type="fail" message="x" /><skipped '), "2 outcomes"),
        (lambda t: t.replace("<testsuites ", "<testresults ").replace("</testsuites>", "</testresults>"), "root element <testresults>"),
        (lambda t: t.replace("</testsuites>", ""), "not well-formed XML"),
        (lambda t: t.replace('<testcase name="BASE.ok"', '<testcase verdict="pass" name="BASE.ok"'), "attribute verdict= is not in the JUnit schema"),
        (lambda t: t.replace('<error message="test error" type="error">', '<error message="test error">'), "no type= attribute"),
        (lambda t: t.replace('<testsuite name="X86"', '<testsuite name="BASE"'), "empty or duplicate name"),
    ],
)
def test_broken_junit_is_rejected(good: str, edit: Any, expect: str) -> None:
    bad = edit(good)
    assert bad != good
    problems, _ = validate_junit(bad)
    assert any(expect in p for p in problems), problems


# -- partial_problems: a report of refvmm --extensions (conform.profile.core.run) --

CORE = ["BASE", "CONSOLE", "TIME", "SYSTEM"]


def partial_report() -> dict[str, Any]:
    def res(test: str, raw: str, needs: list[str] | None = None) -> dict[str, Any]:
        return dict(result(test, raw, "x"), needs=needs or [])

    return {
        "verdict": "conformant", "profile": "core", "selection": {"partial": False},
        "target_info": {"vmm_args": ["--extensions=BASE,CONSOLE,TIME,SYSTEM"]},
        "boots": [{"image": "time", "discovery": {"exts": {"BASE": 1, "CONSOLE": 1, "TIME": 2, "SYSTEM": 1}}}],
        "results": [res("X86.regs", "pass"), res("TIME.clock", "pass"), res("TIME.smp", "skip", ["VCPU"]), res("VCPU.start", "skip")],
        "requirements": {"TIME-002": {"status": "pass", "required": True, "tests": []}, "VCPU-001": {"status": "skip", "required": False, "tests": []},
                         "GEN-002.2": {"status": "not-applicable", "required": True, "tests": ["VCPU.start"], "applies_with": ["VCPU"]}},
    }  # fmt: skip


def test_partial_report_accepted() -> None:
    assert partial_problems(partial_report(), CORE, "core") == []


@pytest.mark.parametrize(
    "edit, expect",
    [
        (lambda r: r["results"][0].update(raw_status="skip", needs=["VCPU"]), "X86.regs is 'skip', expected pass"),
        (lambda r: r["results"][2].update(needs=[]), "TIME.smp is 'skip' (needs [])"),
        (lambda r: r["results"][2].update(needs=["VCPU", "TIME"]), "TIME.smp is 'skip' (needs ['VCPU', 'TIME'])"),
        (lambda r: r["results"][3].update(raw_status="pass"), "VCPU.start of withheld VCPU is 'pass'"),
        (lambda r: r["boots"][0]["discovery"]["exts"].update(VCPU=1), "image time: discovery advertises"),
        (lambda r: r["requirements"]["TIME-002"].update(status="skip"), "required requirement TIME-002 is 'skip'"),
        (lambda r: r["requirements"]["GEN-002.2"].update(applies_with=["TIME"]), "required requirement GEN-002.2 is 'not-applicable'"),
        (lambda r: r["requirements"]["GEN-002.2"].pop("applies_with"), "required requirement GEN-002.2 is 'not-applicable'"),
        (lambda r: r["target_info"].update(vmm_args=[]), "target_info.vmm_args lacks '--extensions=BASE,CONSOLE,TIME,SYSTEM'"),
        (lambda r: r.update(verdict="non-conformant"), "report verdict 'non-conformant'"),
    ],
)
def test_partial_report_problems(edit: Any, expect: str) -> None:
    rep = partial_report()
    edit(rep)
    problems = partial_problems(rep, CORE, "core")
    assert len(problems) == 1 and problems[0].startswith(expect), problems
