#!/usr/bin/env python3
"""integration_check.py: the checks of runners/integration.cmake (CTest).

Each subcommand runs `hcabi-conform` (or reads what a fixture run left) and
checks the exit status, the printed verdict and the JSON/JUnit reports;
anything unexpected is listed and the exit status is 1. Standard library only,
like the runner.

  fault    -- CMD...   a run against refvmm with --refvmm-arg=--inject-fault=...
                       must be NON-CONFORMANT (3), and exactly the expected tests
                       must fail, on exactly the expected requirements
  absent   -- CMD...   `run --target qemu`: NON-CONFORMANT (3), "HCABI not
                       present", every image ends by itself within seconds
  conformant -- CMD... a run must be CONFORMANT (0) and say so
  coverage             `hcabi-conform coverage` on the build's manifests: 0, no gap,
                       at every version of the registry
  junit                a run's JUnit XML: valid (structure Jenkins and GitLab read,
                       see validate_junit) and the same results as its JSON report
  gate                 `gate` accepts the real report and rejects doctored copies
                       of it, each with the precise reason
  partial -- CMD...    a run against refvmm --extensions=LIST (a partial
                       implementation) judged for the profile LIST satisfies:
                       CONFORMANT, discovery shows exactly LIST, every test of
                       the binding areas passes, every test of LIST passes or
                       skips needing a withheld extension, every test of another
                       extension skips, every required requirement passes
                       (or is not-applicable: limited to withheld extensions)
  expect -- CMD...     a command (e.g. `gate`) exits with a status and prints
                       lines matching each --line pattern
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from integration_common import Problems, by_test, finish, fresh, load, run
from integration_junit import validate_junit

EXIT_CONFORMANT, EXIT_NONCONFORMANT = 0, 3
GOOD = ("pass",)
BAD_REQ = ("fail", "timeout", "crash", "error")


def cmd_fault(a: argparse.Namespace) -> int:
    """A deliberately broken refvmm must be caught, and caught precisely: the
    run ends NON-CONFORMANT, the tests listed with --fail (and no other
    selected test) fail, the requirements that fail are exactly the listed
    ones, and the report records the injected arguments."""
    problems = Problems()
    expect: dict[str, list[str]] = {}
    for item in a.fail:
        test, _, reqs = item.partition("=")
        expect[test] = [r for r in reqs.split(",") if r]
    want_reqs = sorted({r for reqs in expect.values() for r in reqs})
    fresh(a.report)
    rc, out = run(a.cmd)
    problems.check(rc == EXIT_NONCONFORMANT, f"exit status {rc}, expected {EXIT_NONCONFORMANT} (non-conformant)")
    problems.check("verdict: NON-CONFORMANT" in out, "the summary does not say 'verdict: NON-CONFORMANT'")
    if not problems.check(os.path.isfile(a.report), f"no JSON report {a.report}"):
        return finish(problems, "")
    rep = load(a.report)
    problems.check(rep.get("verdict") == "non-conformant", f"report verdict {rep.get('verdict')!r}, expected 'non-conformant'")
    reasons = rep.get("reasons") or {}
    errors = reasons.get("errors") or []
    if errors:  # the run proves nothing about the fault; the rest would only repeat this
        problems.append(f"the run hit {len(errors)} environment or suite error(s), so it shows nothing about the fault; the first: {errors[0]}")
        return finish(problems, "")
    problems.check((rep.get("target_info") or {}).get("vmm_args") == a.vmm_arg, f"target_info.vmm_args is {(rep.get('target_info') or {}).get('vmm_args')!r}, expected {a.vmm_arg!r} (the report must record the fault)")
    results = by_test(rep)
    problems.check(results, "the report has no results")
    for test, reqs in expect.items():
        res = results.get(test)
        if not problems.check(res is not None, f"no result for {test}"):
            continue
        problems.check(res["status"] in a.status, f"{test} is {res['status']!r}, expected one of {a.status}: {res.get('message')}")
        failed_reqs = sorted({c.get("req") for c in res.get("failed_checks") or []})
        problems.check(set(reqs) <= set(failed_reqs) or res["status"] != "fail", f"{test}: its failing checks name {failed_reqs}, expected {reqs}")
        problems.check(any(test in f for f in reasons.get("failures") or []), f"the report's failures do not name {test}")
    for test, res in results.items():
        if test not in expect:
            problems.check(res["status"] in GOOD, f"{test} is {res['status']!r} but only {sorted(expect)} should fail: {res.get('message')}")
    for test, text in (m.partition("=")[::2] for m in a.message):
        msg = (results.get(test) or {}).get("message", "")
        problems.check(text in msg, f"{test}'s message lacks {text!r}: {msg!r}")
    bad = sorted(rid for rid, row in (rep.get("requirements") or {}).items() if row.get("status") in BAD_REQ)
    problems.check(bad == want_reqs, f"failing requirements are {bad}, expected exactly {want_reqs}")
    for rid in want_reqs:
        problems.check(rid in out, f"the summary does not name the failing requirement {rid}")
    return finish(problems, f"{' '.join(a.vmm_arg)}: NON-CONFORMANT; failing {sorted(expect)} on {want_reqs}, every other selected test passes")


# -- absent / conformant ---------------------------------------------------------


def cmd_absent(a: argparse.Namespace) -> int:
    """Plain QEMU has no HCABI: every image must say so and end by itself at
    once; the verdict is NON-CONFORMANT, 'HCABI not present'."""
    problems = Problems()
    fresh(a.report)
    rc, out = run(a.cmd)
    problems.check(rc == EXIT_NONCONFORMANT, f"exit status {rc}, expected {EXIT_NONCONFORMANT} (non-conformant)")
    verdict = [ln for ln in out.splitlines() if ln.startswith("verdict: ")]
    problems.check(verdict and verdict[-1].startswith("verdict: NON-CONFORMANT") and "HCABI not present" in verdict[-1], f"the verdict line does not say NON-CONFORMANT and 'HCABI not present': {verdict}")
    problems.check("implementation: HCABI not present" in out, "the summary lacks 'implementation: HCABI not present'")
    if not problems.check(os.path.isfile(a.report), f"no JSON report {a.report}"):
        return finish(problems, "")
    rep = load(a.report)
    problems.check(rep.get("verdict") == "non-conformant", f"report verdict {rep.get('verdict')!r}")
    problems.check(rep.get("hcabi_present") is False, f"hcabi_present is {rep.get('hcabi_present')!r}, expected false")
    reasons = rep.get("reasons") or {}
    errors = reasons.get("errors") or []
    if errors:
        problems.append(f"the run hit {len(errors)} environment or suite error(s); the first: {errors[0]}")
        return finish(problems, "")
    problems.check((reasons.get("failures") or [""])[0].startswith("HCABI is not present"), f"the first failure is not 'HCABI is not present': {(reasons.get('failures') or [''])[0]!r}")
    target = rep.get("target_info") or {}
    kvm = (rep.get("host") or {}).get("kvm") or {}
    print(f"QEMU accelerator: {target.get('mode')}" + (f" ({target['why']})" if target.get("why") else "") + f"; /dev/kvm probe: {kvm.get('reason')}")
    problems.check(target.get("mode") in ("tcg", "kvm"), f"target mode {target.get('mode')!r}")
    if target.get("mode") == "tcg" and kvm.get("usable"):
        problems.check(target.get("why"), "TCG was chosen although /dev/kvm opens, and the report does not say why")
    boots = rep.get("boots") or []
    images = sorted(i["name"] for i in load(a.tests)["images"]) if a.tests else None
    problems.check(boots and (images is None or sorted(b.get("image") for b in boots) == images), f"booted {sorted(b.get('image') for b in boots)}, expected every image {images}")
    problems.check(not (rep.get("selection") or {}).get("partial"), "the run is partial")
    for boot in boots:
        name = boot.get("image")
        problems.check(boot.get("hello"), f"image {name}: no hello")
        problems.check((boot.get("discovery") or {}).get("present") is False, f"image {name}: discovery {boot.get('discovery')}")
        ending = boot.get("ending") or {}
        problems.check(ending.get("kind") == "exit" and ending.get("code") == 0, f"image {name} did not end by itself through isa-debug-exit: {ending}")
        took = boot.get("duration_s")
        problems.check(took is not None and took <= a.max_seconds, f"image {name} took {took} s, more than {a.max_seconds} s")
    for res in rep.get("results") or []:
        problems.check(res["status"] == "fail" and "HCABI is not present" in res.get("message", ""), f"{res['test']}: {res['status']}: {res.get('message')}")
    slowest = max((b.get("duration_s") or 0 for b in boots), default=0)
    return finish(problems, f"NON-CONFORMANT, HCABI not present; {len(boots)} image(s), each ended by itself in {slowest:.1f} s or less")


def cmd_conformant(a: argparse.Namespace) -> int:
    problems = Problems()
    fresh(a.report)
    rc, out = run(a.cmd, cwd=a.cwd)
    problems.check(rc == EXIT_CONFORMANT, f"exit status {rc}, expected {EXIT_CONFORMANT} (conformant)")
    verdict = [ln for ln in out.splitlines() if ln.startswith("verdict: ")]
    problems.check(verdict and verdict[-1].startswith("verdict: CONFORMANT"), f"the verdict line does not say CONFORMANT: {verdict}")
    if a.report:
        if problems.check(os.path.isfile(a.report), f"no JSON report {a.report}"):
            rep = load(a.report)
            problems.check(rep.get("verdict") == "conformant", f"report verdict {rep.get('verdict')!r}")
            problems.check(not (rep.get("selection") or {}).get("partial"), "the report is partial")
            if a.tested:
                problems.check(rep.get("tested_version") == a.tested, f"tested_version {rep.get('tested_version')!r}, expected {a.tested}")
    return finish(problems, verdict[-1] if verdict else "")


# -- coverage --------------------------------------------------------------------


def cmd_coverage(a: argparse.Namespace) -> int:
    """Every requirement of every version is cited by a test of the build's
    tests manifest; nothing unknown, nothing cited before it exists."""
    problems = Problems()
    base = [a.python, a.conform, "coverage", "--build-dir", a.build_dir]
    rc, out = run(base)
    problems.check(rc == EXIT_CONFORMANT, f"exit status {rc}, expected 0")
    gaps = [ln for ln in out.splitlines() if re.match(r"(uncovered|unknown|newer): ", ln) or "-- NOT TESTED --" in ln]
    problems.check(not gaps, f"coverage lists gaps: {gaps[:10]}")
    total = re.search(r"^HCABI (\S+): (\d+)/(\d+) (?:atomic )?requirements cited", out, re.M)
    problems.check(total and total.group(2) == total.group(3), f"not every requirement is cited: {total.group(0) if total else 'no total line'}")
    versions = [v["version"] for v in load(a.manifest)["versions"]]
    for version in versions:
        rc, out = run(base + ["--spec-version", version, "--json"], echo=False)
        problems.check(rc == EXIT_CONFORMANT, f"coverage --spec-version {version}: exit status {rc}")
        try:
            data = json.loads(out[out.index("{"):out.rindex("}") + 1])
        except ValueError:
            problems.append(f"coverage --spec-version {version} --json printed no JSON")
            continue
        for key in ("uncovered", "unknown", "newer"):
            problems.check(data.get(key) == [], f"{version}: {key} = {data.get(key)}")
        empty = [rid for rid, row in (data.get("requirements") or {}).items() if not row.get("tests")]
        problems.check(not empty and data.get("requirements"), f"{version}: requirements without tests: {empty}")
        print(f"HCABI {version}: {len(data.get('requirements') or {})} requirements, each cited by a test; uncovered {data.get('uncovered')}, unknown {data.get('unknown')}, newer {data.get('newer')}")
    return finish(problems, f"coverage complete at {', '.join(versions)} ({total.group(3) if total else '?'} requirements at the newest)")


# -- JUnit -----------------------------------------------------------------------


def cmd_junit(a: argparse.Namespace) -> int:
    """The run's JUnit file is valid and says what its JSON report says."""
    text = Path(a.junit).read_text(encoding="utf-8")
    problems, cases = validate_junit(text)
    rep = load(a.report)
    results = by_test(rep)
    problems.check(set(cases) == set(results), f"testcases {len(cases)} vs results {len(results)}: only in JUnit {sorted(set(cases) - set(results))[:5]}, only in JSON {sorted(set(results) - set(cases))[:5]}")
    outcome_of = {"pass": "pass", "skip": "skipped", "error": "error", "fail": "failure", "timeout": "failure", "crash": "failure"}
    for name, res in results.items():
        case = cases.get(name)
        if case is None:
            continue
        problems.check(case["suite"] == res["extension"], f"{name}: in testsuite {case['suite']!r}, its extension is {res['extension']}")
        problems.check(case["classname"] == f"hcabi.{res['extension']}", f"{name}: classname {case['classname']!r}")
        problems.check(case["outcome"] == outcome_of.get(res["status"]), f"{name}: JUnit outcome {case['outcome']}, report status {res['status']}")
        if case["outcome"] == "failure":
            problems.check(case["type"] == res["status"], f"{name}: failure type {case['type']!r}, status {res['status']}")
        problems.check(case["requirements"] == res["requirements"], f"{name}: requirement properties {case['requirements']} vs {res['requirements']}")
    print(f"JUnit {a.junit}: {len(cases)} testcase(s) in {len({c['suite'] for c in cases.values()})} testsuite(s)")
    return finish(problems, f"{a.junit} is valid JUnit and matches {a.report} ({len(cases)} testcases)")


# -- gate --------------------------------------------------------------------------


def cmd_gate(a: argparse.Namespace) -> int:
    """`gate` accepts the real report and rejects each doctored copy with
    exit status 3 and a reason that names what was changed."""
    problems = Problems()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    real = load(a.report)
    version = a.require

    def gate(path: Path, require: str, expect_rc: int, expect: Sequence[str], what: str) -> None:
        rc, out = run([a.python, a.conform, "gate", "--report", str(path), "--require", require, "--tests", a.tests])
        problems.check(rc == expect_rc, f"{what}: gate exit status {rc}, expected {expect_rc}")
        for text in expect:
            problems.check(text in out, f"{what}: the gate does not say {text!r}")
        print(f"-- {what}: exit {rc}, {len(expect)} expected reason(s) checked\n", flush=True)

    def doctored(name: str, change: Callable[[dict[str, Any]], None], base: dict[str, Any] = real) -> Path:
        data = copy.deepcopy(base)
        change(data)
        path = work / f"{name}.json"
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return path

    # (0) the real report
    gate(Path(a.report), version, 0, ["ACCEPTED"], f"the real {version} report")

    results = real["results"]
    passing = [r for r in results if r["status"] == "pass" and r["raw_status"] == "pass"]
    if not problems.check(len(passing) >= 2, "the real report has fewer than 2 passing tests"):
        return finish(problems, "")
    victim, removed = passing[0], passing[-1]

    # (1) a failed test turned into a skip: the test failed (a failing check),
    # and its result was edited to a skip, stored status and raw status alike;
    # the verdict and the requirement table were left as they were
    def fail_to_skip(d: dict[str, Any]) -> None:
        for r in d["results"]:
            if r["test"] == victim["test"]:
                rid = r["requirements"][0]
                r.update(raw_status="skip", status="skip", raw_message="skipped", message="skipped",
                         failed_checks=[{"req": rid, "msg": "got status=-2(NOT_SUPPORTED), want status=0(SUCCESS)"}],
                         passed_reqs=[])  # fmt: skip

    gate(doctored("failed-turned-skip", fail_to_skip), version, 3, [
        "REJECTED",
        f"the report is inconsistent: test {victim['test']} is 'skip' but it has 1 failing check ([{victim['requirements'][0]}]",
        f"the report is inconsistent: test {victim['test']} is 'skip' but its raw result gives 'fail'",
        "the report is inconsistent: it says conformant, its own results give non-conformant",
    ], f"failed test {victim['test']} turned into a skip")

    # (2) a wrong claimed version: older than required, and newer than the
    # boots' discovery lines say (which only the consistency check catches)
    claimed = real["spec_version"]
    major, minor = (int(x) for x in claimed.split("."))
    older = f"{major}.{minor - 1}" if minor > 0 else f"{major - 1}.0"
    newer = f"{major}.{minor + 1}"
    gate(doctored("claims-older", lambda d: d.update(spec_version=older)), version, 3, [
        "REJECTED",
        f"the implementation claims HCABI {older}, older than the required {version}",
        f"the report is inconsistent: it records the claimed version {older}, its boots' discovery lines say {claimed}",
    ], f"claimed version {claimed} edited to {older}")
    gate(doctored("claims-newer", lambda d: d.update(spec_version=newer)), version, 3, [
        "REJECTED",
        f"the report is inconsistent: it records the claimed version {newer}, its boots' discovery lines say {claimed}",
    ], f"claimed version {claimed} edited to {newer}")

    # (3) a removed test result
    def remove(d: dict[str, Any]) -> None:
        d["results"] = [r for r in d["results"] if r["test"] != removed["test"]]

    gate(doctored("result-removed", remove), version, 3, [
        "REJECTED",
        f"test {removed['test']} (since {removed['since']}) of {a.tests} has no result in this report",
        f"the report is inconsistent: it says conformant, its own results give error (no result for 1 test(s): {removed['test']})",
    ], f"result of {removed['test']} removed")

    # ... and from the report's copy of the suite too, so that the report is
    # consistent in itself: only the build's tests manifest (--tests) shows it
    def remove_everywhere(d: dict[str, Any]) -> None:
        remove(d)
        d["suite"]["tests"] = [t for t in d["suite"]["tests"] if t["name"] != removed["test"]]
        for row in d["requirements"].values():
            if removed["test"] in row.get("tests", []):
                row["tests"] = [t for t in row["tests"] if t != removed["test"]]

    gate(doctored("result-and-test-removed", remove_everywhere), version, 3, [
        "REJECTED",
        f"test {removed['test']} (since {removed['since']}) of {a.tests} has no result in this report",
    ], f"result of {removed['test']} removed, and the test from the report's suite list")

    # (4) the verdict edited to conformant on a failing report: the real
    # report of a fault-injection run (NON-CONFORMANT), reasons cleared
    if a.failing_report:
        failing = load(a.failing_report)
        bad = [r for r in failing["results"] if r["status"] != "pass"]
        problems.check(failing["verdict"] == "non-conformant" and bad, f"{a.failing_report} is not a failing report")

        def whitewash(d: dict[str, Any]) -> None:
            d["verdict"] = "conformant"
            d["reasons"] = {"errors": [], "failures": [], "warnings": []}

        first = bad[0]["test"] if bad else "?"
        gate(doctored("verdict-whitewashed", whitewash, failing), version, 3, [
            "REJECTED",
            f"the report is inconsistent: it says conformant, its own results give non-conformant ({first}: fail:",
        ], f"verdict of the failing report {Path(a.failing_report).name} edited to conformant")
        gate(Path(a.failing_report), version, 3, ["REJECTED", "the report's verdict is non-conformant"], "the failing report itself")
    return finish(problems, "gate accepts the real report and rejects every doctored copy with its reason")


# -- partial / expect ----------------------------------------------------------------

BINDING_AREAS = ("X86", "DISC", "STATUS", "GEN", "VER")


def partial_problems(rep: dict[str, Any], provided: Sequence[str], profile: str) -> Problems:
    """What is wrong with a report of an implementation that provides only
    `provided` (refvmm --extensions), judged for `profile`."""
    problems = Problems()
    problems.check(rep.get("verdict") == "conformant", f"report verdict {rep.get('verdict')!r}, expected 'conformant': {((rep.get('reasons') or {}).get('failures') or [''])[:3]}")
    problems.check(rep.get("profile") == profile, f"report profile {rep.get('profile')!r}, expected {profile!r}")
    problems.check(not (rep.get("selection") or {}).get("partial"), "the report is partial")
    want = f"--extensions={','.join(provided)}"
    problems.check(want in ((rep.get("target_info") or {}).get("vmm_args") or []), f"target_info.vmm_args lacks {want!r}")
    for boot in rep.get("boots") or []:
        exts = sorted(((boot.get("discovery") or {}).get("exts") or {}))
        problems.check(exts == sorted(provided), f"image {boot.get('image')}: discovery advertises {exts}, expected exactly {sorted(provided)}")
    results = rep.get("results") or []
    problems.check(results, "the report has no results")
    for res in results:
        ext, raw = res.get("extension"), res.get("raw_status")
        if ext in BINDING_AREAS:  # a binding test never skips, whatever is provided
            problems.check(raw == "pass", f"{res['test']} is {raw!r}, expected pass: {res.get('raw_message')}")
        elif ext in provided:  # it may skip only for a withheld extension it needs (test-end needs=)
            needs = res.get("needs") or []
            withheld = raw == "skip" and needs and not set(needs) & set(provided)
            problems.check(raw == "pass" or withheld, f"{res['test']} is {raw!r} (needs {needs}), expected pass, or skip needing only withheld extensions: {res.get('raw_message')}")
        else:  # a withheld extension must really be absent
            problems.check(raw == "skip", f"{res['test']} of withheld {ext} is {raw!r}, expected skip: {res.get('raw_message')}")
    for rid, row in sorted((rep.get("requirements") or {}).items()):
        if row.get("required"):
            # not-applicable: a part limited to extensions this implementation withholds (applies_with)
            limited = row.get("status") == "not-applicable" and row.get("applies_with") and not set(row["applies_with"]) & set(provided)
            problems.check(row.get("status") == "pass" or bool(limited), f"required requirement {rid} is {row.get('status')!r} (tests: {row.get('tests')})")
    return problems


def cmd_partial(a: argparse.Namespace) -> int:
    fresh(a.report)
    rc, out = run(a.cmd)
    problems = Problems()
    problems.check(rc == EXIT_CONFORMANT, f"exit status {rc}, expected {EXIT_CONFORMANT} (conformant)")
    problems.check("verdict: CONFORMANT" in out, "the summary does not say 'verdict: CONFORMANT'")
    if problems.check(os.path.isfile(a.report), f"no JSON report {a.report}"):
        problems.extend(partial_problems(load(a.report), a.provided.split(","), a.profile))
    return finish(problems, f"only {a.provided}: CONFORMANT for profile {a.profile}, every test of it and of the binding areas passes")


def cmd_expect(a: argparse.Namespace) -> int:
    rc, out = run(a.cmd)
    problems = Problems()
    problems.check(rc == a.status, f"exit status {rc}, expected {a.status}")
    for pattern in a.line:
        problems.check(re.search(pattern, out, re.M), f"no output line matches {pattern!r}")
    return finish(problems, f"exit status {a.status}, every expected line printed")


# -- main --------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fault")
    f.add_argument("--report", required=True)
    f.add_argument("--fail", action="append", default=[], required=True, metavar="TEST=REQ[,REQ]", help="a test that must fail, and the requirements its failing checks name")
    f.add_argument("--status", action="append", default=None, metavar="S", help="statuses the failing tests may have (default fail)")
    f.add_argument("--message", action="append", default=[], metavar="TEST=TEXT")
    f.add_argument("--vmm-arg", action="append", default=[], metavar="ARG", help="what target_info.vmm_args must be")
    f.add_argument("cmd", nargs="+")

    ab = sub.add_parser("absent")
    ab.add_argument("--report", required=True)
    ab.add_argument("--max-seconds", type=float, default=60.0, help="the most one image may take")
    ab.add_argument("--tests", help="the build's tests manifest: every image in it must have booted")
    ab.add_argument("cmd", nargs="+")

    c = sub.add_parser("conformant")
    c.add_argument("--cwd")
    c.add_argument("--report")
    c.add_argument("--tested")
    c.add_argument("cmd", nargs="+")

    cov = sub.add_parser("coverage")
    for opt in ("--python", "--conform", "--build-dir", "--manifest"):
        cov.add_argument(opt, required=True)

    j = sub.add_parser("junit")
    j.add_argument("--report", required=True)
    j.add_argument("--junit", required=True)

    g = sub.add_parser("gate")
    for opt in ("--python", "--conform", "--report", "--tests", "--require", "--workdir"):
        g.add_argument(opt, required=True)
    g.add_argument("--failing-report")

    pa = sub.add_parser("partial")
    pa.add_argument("--report", required=True)
    pa.add_argument("--provided", required=True, metavar="EXT,EXT", help="what refvmm --extensions provides")
    pa.add_argument("--profile", required=True)
    pa.add_argument("cmd", nargs="+")

    e = sub.add_parser("expect")
    e.add_argument("--status", type=int, required=True)
    e.add_argument("--line", action="append", default=[], metavar="REGEX", help="a line of the output must match (re.M)")
    e.add_argument("cmd", nargs="+")

    a = p.parse_args(argv)
    if a.command == "fault":
        a.status = a.status or ["fail"]
    cmds: dict[str, Callable[[argparse.Namespace], int]] = {"fault": cmd_fault, "absent": cmd_absent, "conformant": cmd_conformant, "coverage": cmd_coverage, "junit": cmd_junit, "gate": cmd_gate, "partial": cmd_partial, "expect": cmd_expect}
    return cmds[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
