"""`gate`: does a report prove conformance to HCABI X.Y under a profile?

The report is not trusted: its verdict is re-derived from its raw results with
verdict.evaluate (the function `run` used), for the report's own version and
profile (to detect edits) and for the required ones (to decide). Decision:

- the report's verdict is `conformant`, it is complete (not a shard or a
  filtered run), and re-deriving it gives the same verdict and statuses;
- it tested X.Y or a later minor of the same major (a minor version only adds,
  so X.Y's requirements are a subset), and the implementation claims >= X.Y;
- every requirement of X.Y the profile requires has status `pass` when
  re-evaluated at X.Y;
- every test ID and requirement ID in it is known (the suite list in the
  report, and with --tests also the build's tests manifest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .manifests import RequirementsManifest, TestsManifest
from .model import REQ_UNTESTED
from .report import LoadedReport, reevaluate
from .versions import Version


@dataclass
class GateDecision:
    """Accepted iff no reasons."""

    version: Version
    profile: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def reject(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


def _check_stored_verdict(rep: LoadedReport, dec: GateDecision) -> None:
    data = rep.data
    if data["verdict"] != "conformant":
        reasons = (data.get("reasons") or {})
        listed = (reasons.get("errors") or []) + (reasons.get("failures") or [])
        dec.reject(f"the report's verdict is {data['verdict']}" + (f": {listed[0]}" if listed else ""))
    if rep.selection.partial:
        dec.reject(f"the report is partial (filters {rep.selection.filters or 'none'}, shards {rep.selection.shards}); merge every shard first")


def _check_consistency(rep: LoadedReport, manifest: RequirementsManifest, dec: GateDecision) -> None:
    """The stored verdict, statuses and claims must be what the raw results
    and the boots' discovery lines give; a pass or skip cannot have failing
    checks."""
    ev = reevaluate(rep, manifest)
    if ev.verdict != rep.data["verdict"]:
        dec.reject(f"the report is inconsistent: it says {rep.data['verdict']}, its own results give {ev.verdict}" + (f" ({ev.reasons[0]})" if ev.reasons else ""))
    data = rep.data
    if ev.claimed != data.get("spec_version"):
        dec.reject(f"the report is inconsistent: it records the claimed version {data.get('spec_version')}, its boots' discovery lines say {ev.claimed}")
    if ev.present != data.get("hcabi_present"):
        dec.reject(f"the report is inconsistent: it records hcabi_present {data.get('hcabi_present')}, its boots' discovery lines say {ev.present}")
    if ev.implementation != (data.get("implementation") or {}):
        dec.reject(f"the report is inconsistent: it records the implementation {data.get('implementation')}, its boots' discovery lines say {ev.implementation}")
    recomputed = {r.test: r for r in ev.results}
    for stored in rep.results:
        if stored.raw_status in ("pass", "skip") and stored.failed_checks:
            # an image's verdict is the most severe of its checks: a failing check makes a failed test
            n, first = len(stored.failed_checks), stored.failed_checks[0]
            dec.reject(f"the report is inconsistent: test {stored.test} is '{stored.raw_status}' but it has {n} failing check{'s' if n > 1 else ''} ([{first['req']}] {first['msg']})")
        again = recomputed.get(stored.test)
        if again is not None and again.status != stored.status:
            dec.reject(f"the report is inconsistent: test {stored.test} is '{stored.status}' but its raw result gives '{again.status}' ({again.message.splitlines()[0] if again.message else ''})")
    stored_reqs = rep.data.get("requirements") or {}
    for rid, row in stored_reqs.items():
        if rid not in manifest.requirements:
            dec.reject(f"the report cites requirement {rid}, which the registry does not define")
        elif rid in ev.requirements and isinstance(row, dict) and row.get("status") != ev.requirements[rid]["status"]:
            dec.reject(f"the report is inconsistent: requirement {rid} is '{row.get('status')}' but its tests give '{ev.requirements[rid]['status']}'")


def _check_version(rep: LoadedReport, manifest: RequirementsManifest, dec: GateDecision) -> bool:
    """Return True when the report tested enough of X.Y to decide."""
    want, tested = dec.version, rep.tested
    claimed = rep.data.get("spec_version")
    if not (isinstance(claimed, str) and Version.is_valid(claimed)):
        dec.reject("the report records no claimed spec version (no discovery line)")
    elif Version.parse(claimed) < want:
        dec.reject(f"the implementation claims HCABI {claimed}, older than the required {want}")
    if tested.major != want.major:
        dec.reject(f"tested_version {tested} is another major version than the required {want}")
        return False
    if tested < want:
        for req in manifest.requirements_of(want):
            if req.since > tested and manifest.area_required(req.area, dec.profile, want):
                dec.reject(f"requirement {req.id} (since {req.since}) is not covered by this report: tested_version {tested}")
        return False
    return True


def _check_requirements(rep: LoadedReport, manifest: RequirementsManifest, dec: GateDecision) -> None:
    """Re-evaluate at X.Y for the profile: every required requirement passes."""
    ev = reevaluate(rep, manifest, dec.version, dec.profile)
    if ev.verdict != "conformant":
        for reason in ev.reasons:
            dec.reject(f"at HCABI {dec.version}, profile {dec.profile}: {reason.splitlines()[0]}")
    for req in manifest.requirements_of(dec.version):
        if not manifest.area_required(req.area, dec.profile, dec.version):
            continue
        row = ev.requirements.get(req.id) or {}
        status = row.get("status")
        if status == REQ_UNTESTED:
            dec.reject(f"requirement {req.id} (since {req.since}) is cited by no test in this report")
        elif status != "pass":
            dec.reject(f"requirement {req.id} (since {req.since}) has status {status} (tests: {', '.join(row.get('tests', [])) or 'none'})")


def _check_tests_manifest(rep: LoadedReport, tests: TestsManifest, dec: GateDecision) -> None:
    """With the build's tests manifest: every test of X.Y must have a result."""
    have = {r.test for r in rep.results}
    for test in tests.tests:
        if test.since <= dec.version and test.name not in have:
            dec.reject(f"test {test.name} (since {test.since}) of {tests.path} has no result in this report")


def decide(
    rep: LoadedReport,
    manifest: RequirementsManifest,
    version: Version,
    profile: Optional[str],
    tests: Optional[TestsManifest] = None,
) -> GateDecision:
    """Every reason the report does not prove conformance, or none."""
    manifest.check_version(version)
    prof = profile or rep.profile
    manifest.check_profile(prof, version)
    dec = GateDecision(version, prof)
    stored_sha = (rep.data.get("manifest") or {}).get("sha256")
    if stored_sha != manifest.sha256:
        dec.notes.append(f"the report was made with another requirements manifest (sha256 {stored_sha}); judged against {manifest.path}")
    _check_stored_verdict(rep, dec)
    _check_consistency(rep, manifest, dec)
    if _check_version(rep, manifest, dec):
        _check_requirements(rep, manifest, dec)
    if tests is not None:
        _check_tests_manifest(rep, tests, dec)
    return dec
