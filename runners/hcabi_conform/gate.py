"""`gate`: does a report prove conformance to HCABI X.Y under a profile?

The report is not trusted. It is judged against the registry (the
requirements manifest) and the build's tests manifest, never against its own
copy of the suite, and every field it stores is recomputed from its raw
results with verdict.evaluate (the function `run` used) and compared:

- the report's verdict is `conformant`, it is complete (not a shard or a
  filtered run), and re-deriving it gives the same verdict, reasons, statuses,
  summary counts, requirement rows, claims and selection;
- its suite list, and every result's extension, image, requirements and
  since, are the tests manifest's; every test of X.Y has a result;
- it tested X.Y or a later minor of the same major (a minor version only adds,
  so X.Y's requirements are a subset); the tested and claimed versions are
  versions the registry defines; the implementation claims >= X.Y;
- every requirement of X.Y the profile requires has status `pass` (or
  `not-applicable`: limited to extensions the implementation does not
  provide), and no requirement of an extension the implementation
  advertises failed (the spec: an implementation meets every requirement
  of each extension it provides).

All of it on the report's architecture (`arch`; a report without it is of
x86-64, the only architecture before): its binding's requirements and the
neutral ones, judged with that architecture's suite. `gate --arch A` first
requires the report to be of A: a report of another architecture is rejected
with that one reason (its results say nothing about A).

This proves the report consistent with itself, the registry and the suite;
whether its results came from real boots is what a bundle adds (bundle.py:
the serial logs are re-parsed and must give the same results).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .manifests import DEFAULT_ARCH, RequirementsManifest, TestSpec, TestsManifest
from .model import REQ_NOT_APPLICABLE, REQ_UNTESTED
from .report import LoadedReport, ReportError, count_statuses
from .verdict import Evaluation, evaluate, first_line
from .versions import Version

BAD_REQ_STATUSES = ("fail", "timeout", "crash", "error")


@dataclass
class GateDecision:
    """Accepted iff no reasons."""

    version: Version
    profile: str
    reasons: list[str] = field(default_factory=list)
    arch: str = DEFAULT_ARCH
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def reject(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _check_stored_verdict(rep: LoadedReport, dec: GateDecision) -> None:
    data = rep.data
    if data["verdict"] != "conformant":
        reasons = data["reasons"]
        listed = reasons["errors"] + reasons["failures"]
        dec.reject(f"the report's verdict is {data['verdict']}" + (f": {first_line(listed[0])}" if listed else ""))
    if rep.selection.partial:
        dec.reject(f"the report is partial (filters {rep.selection.filters or 'none'}, shards {rep.selection.shards}); merge every shard first")


def _defining(test: TestSpec) -> tuple[Any, ...]:
    """What a report must agree on with the manifest about a test (fields the
    manifest may add later, e.g. per-test check lists, do not count)."""
    return (test.name, test.image, test.extension, tuple(test.requirements), test.since)


def _check_suite(rep: LoadedReport, tests: TestsManifest, dec: GateDecision) -> None:
    """The report's copy of the suite must be the build's tests manifest: a
    test removed, invented or moved there is named."""
    mine = {t.name: t for t in rep.suite}
    theirs = tests.by_name()
    for name in sorted(theirs.keys() - mine.keys()):
        dec.reject(f"test {name} of {tests.path} is missing from the report's suite list")
    for name in sorted(mine.keys() - theirs.keys()):
        dec.reject(f"the report's suite lists test {name}, which {tests.path} does not define")
    for name in sorted(mine.keys() & theirs.keys()):
        if _defining(mine[name]) != _defining(theirs[name]):
            dec.reject(f"the report's suite defines test {name} as {_short(mine[name].to_dict())}, but {tests.path} says {_short(theirs[name].to_dict())}")
    have = {r.test for r in rep.results}
    for name in sorted(have - theirs.keys()):
        dec.reject(f"the report has a result for test {name}, which {tests.path} does not define")
    booted = {b.image for b in rep.boots}
    for res in rep.results:
        if res.image not in booted:
            dec.reject(f"the report has a result for test {res.test} of image {res.image}, but no boot of that image")
    images = [b.image for b in rep.boots]
    for image in sorted({i for i in images if images.count(i) > 1}):
        dec.reject(f"the report has more than one boot of image {image}")


def _compare_claims(rep: LoadedReport, ev: Evaluation, dec: GateDecision) -> None:
    data = rep.data
    if ev.claimed != data["spec_version"]:
        dec.reject(f"the report is inconsistent: it records the claimed version {data['spec_version']}, its boots' discovery lines say {ev.claimed}")
    if ev.present != data["hcabi_present"]:
        dec.reject(f"the report is inconsistent: it records hcabi_present {data['hcabi_present']}, its boots' discovery lines say {ev.present}")
    if ev.implementation != data["implementation"]:
        dec.reject(f"the report is inconsistent: it records the implementation {data['implementation']}, its boots' discovery lines say {ev.implementation}")
    if ev.advertised != data.get("advertised_extensions", ev.advertised):
        dec.reject(f"the report is inconsistent: it records the advertised extensions {_short(data.get('advertised_extensions'))}, its boots' discovery lines say {_short(ev.advertised)}")
    stored_partial = data["selection"]["partial"]
    if stored_partial != rep.selection.partial:
        dec.reject(f"the report is inconsistent: it records selection.partial {str(stored_partial).lower()}, but its filters and shards make it {str(rep.selection.partial).lower()}")


def _compare_results(rep: LoadedReport, ev: Evaluation, dec: GateDecision) -> None:
    recomputed = {r.test: r for r in ev.results}
    for stored in rep.results:
        if stored.raw_status in ("pass", "skip") and stored.failed_checks:
            # an image's verdict is the most severe of its checks: a failing check makes a failed test
            n, first = len(stored.failed_checks), stored.failed_checks[0]
            dec.reject(f"the report is inconsistent: test {stored.test} is '{stored.raw_status}' but it has {n} failing check{'s' if n > 1 else ''} ([{first['req']}] {first['msg']})")
        again = recomputed.get(stored.test)
        if again is None:
            continue
        if again.status != stored.status:
            dec.reject(f"the report is inconsistent: test {stored.test} is '{stored.status}' but its raw result gives '{again.status}' ({first_line(again.message)})")
        elif again.message != stored.message:
            dec.reject(f"the report is inconsistent: the message of test {stored.test} is not what its raw result gives")


def _compare_tables(rep: LoadedReport, ev: Evaluation, manifest: RequirementsManifest, dec: GateDecision) -> None:
    data = rep.data
    for key in ("errors", "failures", "warnings"):
        if data["reasons"][key] != getattr(ev, key):
            dec.reject(f"the report is inconsistent: its reasons.{key} are not what its results give ({len(data['reasons'][key])} stored, {len(getattr(ev, key))} recomputed)")
    summary = count_statuses(ev.results)
    for part in ("total", "by_extension"):
        if data["summary"][part] != summary[part]:
            dec.reject(f"the report is inconsistent: summary.{part} says {_short(data['summary'][part])}, its results give {_short(summary[part])}")
    stored = data["requirements"]
    for rid in sorted(stored.keys() - ev.requirements.keys()):
        req = manifest.requirements.get(rid)
        where = (
            "which the registry does not define" if req is None
            else f"which does not apply on {rep.arch}" if not req.applies_on(rep.arch)
            else f"which does not exist at its tested version {rep.tested}"
        )  # fmt: skip
        dec.reject(f"the report cites requirement {rid}, {where}")
    for rid in sorted(ev.requirements.keys() - stored.keys()):
        dec.reject(f"the report is inconsistent: requirement {rid} of its tested version has no row in its requirements table")
    for rid in sorted(stored.keys() & ev.requirements.keys()):
        row, want = stored[rid], ev.requirements[rid]
        if row["status"] != want["status"]:
            dec.reject(f"the report is inconsistent: requirement {rid} is '{row['status']}' but its tests give '{want['status']}'")
        else:
            edited = sorted(k for k, v in want.items() if row.get(k) != v)
            if edited:
                dec.reject(f"the report is inconsistent: the row of requirement {rid} has edited field(s) {', '.join(edited)}")


def _check_consistency(rep: LoadedReport, manifest: RequirementsManifest, tests: TestsManifest, dec: GateDecision) -> None:
    """Everything the report stores must be what its raw results and the
    boots' discovery lines give, judged with the build's tests manifest."""
    ev = evaluate(manifest, tests.tests, rep.tested, rep.profile, [type(r).from_dict(r.to_dict()) for r in rep.results], rep.boots, rep.selection.partial, rep.arch)
    if ev.verdict != rep.data["verdict"]:
        dec.reject(f"the report is inconsistent: it says {rep.data['verdict']}, its own results give {ev.verdict}" + (f" ({first_line(ev.reasons[0])})" if ev.reasons else ""))
    _compare_claims(rep, ev, dec)
    _compare_results(rep, ev, dec)
    _compare_tables(rep, ev, manifest, dec)
    _check_evidence(rep, dec)


def _check_evidence(rep: LoadedReport, dec: GateDecision) -> None:
    """A boot the runner could not verify (its log did not carry this boot's
    nonce and MACs) proves nothing, whatever results are stored beside it; an
    honest runner never writes one into a conformant report."""
    for boot in rep.boots:
        if boot.evidence.get("nonce") and boot.evidence.get("verified") is False:
            dec.reject(f"the boot of image {boot.image} is not verified evidence: its serial log did not carry that boot's nonce and MACs")


def _check_version(rep: LoadedReport, manifest: RequirementsManifest, dec: GateDecision) -> bool:
    """Return True when the report tested enough of X.Y to decide."""
    want, tested = dec.version, rep.tested
    claimed = rep.data["spec_version"]
    if tested not in manifest.versions:
        dec.reject(f"the report's tested_version {tested} is not a version {manifest.path} defines")
    if not (isinstance(claimed, str) and Version.is_valid(claimed)):
        dec.reject("the report records no claimed spec version (no discovery line)" if claimed is None else f"the report records an invalid claimed version {claimed!r:.40}")
    else:
        if Version.parse(claimed) not in manifest.versions:
            dec.reject(f"the implementation claims HCABI {claimed}, which {manifest.path} does not define")
        if Version.parse(claimed) < want:
            dec.reject(f"the implementation claims HCABI {claimed}, older than the required {want}")
    if tested.major != want.major:
        dec.reject(f"tested_version {tested} is another major version than the required {want}")
        return False
    if tested < want:
        for req in manifest.requirements_of(want, rep.arch):
            if req.since > tested and manifest.area_required(req.area, dec.profile, want):
                dec.reject(f"requirement {req.id} (since {req.since}) is not covered by this report: tested_version {tested}")
        return False
    return True


def _check_requirements(rep: LoadedReport, manifest: RequirementsManifest, tests: TestsManifest, dec: GateDecision) -> None:
    """Re-evaluate at X.Y for the profile: every required requirement passes,
    and no requirement of an advertised extension fails."""
    ev = evaluate(manifest, tests.tests, dec.version, dec.profile, [type(r).from_dict(r.to_dict()) for r in rep.results], rep.boots, rep.selection.partial, rep.arch)
    if ev.verdict != "conformant":
        for reason in ev.reasons:
            dec.reject(f"at HCABI {dec.version}, profile {dec.profile}: {first_line(reason)}")
    for req in manifest.requirements_of(dec.version, rep.arch):
        row = ev.requirements.get(req.id) or {}
        status = row.get("status")
        if manifest.area_required(req.area, dec.profile, dec.version):
            if status == REQ_UNTESTED:
                dec.reject(f"requirement {req.id} (since {req.since}) is cited by no test in this report")
            elif status == REQ_NOT_APPLICABLE and req.applies_with and not req.applies_with & set(ev.advertised):
                continue  # it applies only with extensions the implementation does not provide
            elif status != "pass":
                dec.reject(f"requirement {req.id} (since {req.since}) has status {status} (tests: {', '.join(row.get('tests', [])) or 'none'})")
        elif req.area in ev.advertised and status in BAD_REQ_STATUSES:
            dec.reject(f"extension {req.area} is advertised, but requirement {req.id} (since {req.since}) has status {status} (tests: {', '.join(row.get('tests', [])) or 'none'})")


def _check_tests_manifest(rep: LoadedReport, tests: TestsManifest, dec: GateDecision) -> None:
    """Every test of X.Y in the build's tests manifest must have a result."""
    have = {r.test for r in rep.results}
    for test in tests.tests:
        if test.since <= dec.version and test.name not in have:
            dec.reject(f"test {test.name} (since {test.since}) of {tests.path} has no result in this report")


def arch_mismatch(report_arch: str, arch: str) -> str:
    """The one reason a report of another architecture is rejected for."""
    return f"the report is of architecture {report_arch}, not {arch} (--arch {arch}): it proves nothing about {arch}"


def decide(
    rep: LoadedReport,
    manifest: RequirementsManifest,
    version: Version,
    profile: Optional[str],
    tests: TestsManifest,
    arch: str = DEFAULT_ARCH,
) -> GateDecision:
    """Every reason the report does not prove conformance on `arch`, or none.
    An unknown --require/--profile is a UsageError; an unknown profile in the
    report makes it an invalid report (ReportError)."""
    manifest.check_version(version)
    if profile is not None:
        manifest.check_profile(profile, version)
    if rep.profile not in manifest.profiles:
        raise ReportError(f"{rep.path} is a malformed report: $.profile: unknown profile {rep.profile!r:.40} (the registry defines {', '.join(sorted(manifest.profiles))})")
    prof = profile or rep.profile
    manifest.check_profile(prof, version)
    dec = GateDecision(version, prof, arch=arch)
    if rep.arch != arch:
        dec.reject(arch_mismatch(rep.arch, arch))
        return dec
    stored_sha = rep.data["manifest"].get("sha256")
    if stored_sha != manifest.sha256:
        dec.notes.append(f"the report was made with another requirements manifest (sha256 {stored_sha}); judged against {manifest.path}")
    tests_sha = rep.data["tests_manifest"].get("sha256")
    if tests_sha != tests.sha256:
        dec.notes.append(f"the report was made with another tests manifest (sha256 {tests_sha}); judged against {tests.path}")
    _check_stored_verdict(rep, dec)
    _check_suite(rep, tests, dec)
    _check_consistency(rep, manifest, tests, dec)
    if _check_version(rep, manifest, dec):
        _check_requirements(rep, manifest, tests, dec)
    _check_tests_manifest(rep, tests, dec)
    return dec
