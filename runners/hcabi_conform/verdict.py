"""The one verdict function. `run`, `merge` and `gate` all call `evaluate`, so
a report can never say something its own results do not support.

Rules (docs/internals.md and the product brief):
- `error` when the environment or the suite is broken: a boot that did not
  start, a garbled or missing hello, a test whose verdict is `error`, a result
  the suite does not know;
- otherwise `non-conformant` when HCABI is absent, the implementation claims a
  version older than the one tested, any test failed, crashed or timed out, or
  a test of an extension the profile requires was skipped;
- otherwise `conformant`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .manifests import RequirementsManifest, TestSpec
from .model import REQ_NOT_RUN, REQ_UNTESTED, BootRecord, TestResult, worst
from .versions import Version

FAILING = ("fail", "timeout", "crash")


@dataclass
class Evaluation:
    """A verdict and everything it rests on."""

    verdict: str
    errors: list[str]
    failures: list[str]
    warnings: list[str]
    results: list[TestResult]
    requirements: dict[str, dict[str, Any]]
    claimed: Optional[str] = None
    present: Optional[bool] = None
    implementation: dict[str, Optional[str]] = field(default_factory=dict)
    advertised: dict[str, int] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        """Why the verdict is not `conformant`, errors first."""
        return self.errors + self.failures


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


@dataclass
class _Claims:
    claimed: Optional[str] = None
    present: Optional[bool] = None
    implementation: dict[str, Optional[str]] = field(default_factory=dict)
    advertised: dict[str, int] = field(default_factory=dict)


def _claims(boots: list[BootRecord], tested: Version, failures: list[str]) -> _Claims:
    """What the implementation claimed across boots; inconsistency and a claim
    older than the tested version are failures of the implementation."""
    discs = [b.discovery for b in boots if b.discovery is not None]
    out = _Claims()
    if not discs:
        return out
    absent = [d for d in discs if not d.present]
    out.present = not absent
    if absent:
        sig = absent[0].signature or "none"
        failures.append(f"HCABI is not present: CPUID leaf 0x40000001 does not report 'HCA1' (hypervisor signature {sig!r})")
    present = [d for d in discs if d.present]
    if not present:
        return out
    first = present[0]
    out.implementation = {"id": first.impl, "version": first.implver, "signature": first.signature}
    out.advertised = dict(first.exts)
    specs = sorted({d.spec or "?" for d in present})
    if len(specs) > 1:
        failures.append(f"the implementation claimed different spec versions in different boots: {', '.join(specs)}")
        return out
    out.claimed = specs[0]
    if not Version.is_valid(out.claimed):
        failures.append(f"the implementation claims an invalid spec version {out.claimed!r}")
    elif Version.parse(out.claimed) < tested:
        failures.append(f"the implementation claims HCABI {out.claimed}, older than the tested version {tested}")
    if len({(d.impl, d.implver) for d in present}) > 1:
        failures.append("the implementation reported different implementation IDs or versions in different boots")
    return out


def _apply_profile(result: TestResult, manifest: RequirementsManifest, profile: str, tested: Version, claims: _Claims) -> None:
    """Derive status/message from the raw ones: a skip of a test whose
    extension (or binding area) the profile requires is a failure."""
    result.status, result.message = result.raw_status, result.raw_message
    if result.raw_status != "skip" or not manifest.area_required(result.extension, profile, tested):
        return
    ext = result.extension
    if manifest.is_extension(ext) and claims.present is not False and ext not in claims.advertised:
        why = f"required extension {ext} not advertised"
    elif manifest.is_extension(ext):
        why = f"skipped, but extension {ext} is required by profile {profile}"
    else:
        why = f"skipped, but {ext} requirements apply to every profile"
    result.status = "fail"
    result.message = f"{why}" + (f" (image said: {first_line(result.raw_message)})" if result.raw_message else "")


def requirement_contribution(result: TestResult, rid: str) -> str:
    """What one test says about one of its requirements. A failed test whose
    failing checks name specific requirements fails only those (and any it did
    not show passing); otherwise it fails all of its requirements."""
    if result.status != "fail" or result.raw_status == "skip":
        return result.status
    specific = {c["req"] for c in result.failed_checks if c.get("req") in result.requirements}
    if not specific or rid in specific:
        return "fail"
    return "pass" if rid in result.passed_reqs else "fail"


def _requirement_table(
    manifest: RequirementsManifest, suite: list[TestSpec], results: list[TestResult], tested: Version, profile: str
) -> dict[str, dict[str, Any]]:
    """Per-requirement status for every requirement that exists at `tested`."""
    table: dict[str, dict[str, Any]] = {}
    for req in manifest.requirements_of(tested):
        citing = sorted(t.name for t in suite if t.since <= tested and req.id in t.requirements)
        contribs = [requirement_contribution(r, req.id) for r in results if req.id in r.requirements]
        status = worst(contribs) or (REQ_NOT_RUN if citing else REQ_UNTESTED)
        table[req.id] = {
            "status": status,
            "tests": citing,
            "since": str(req.since),
            "area": req.area,
            "required": manifest.area_required(req.area, profile, tested),
            "text": req.text,
        }
    return table


def evaluate(
    manifest: RequirementsManifest,
    suite: list[TestSpec],
    tested: Version,
    profile: str,
    results: list[TestResult],
    boots: list[BootRecord],
    partial: bool,
) -> Evaluation:
    """Decide the verdict for (`tested` version, `profile`) from raw results.

    `suite` is every test of the tests manifest (whatever was selected);
    results of tests newer than `tested` are dropped; `partial` (a filtered
    or sharded run) relaxes the 'every test has a result' check only.
    """
    errors: list[str] = []
    failures: list[str] = []
    warnings: list[str] = []
    claims = _claims(boots, tested, failures)
    for boot in boots:
        for prob in boot.problems:
            {"error": errors, "fail": failures}.get(prob.severity, warnings).append(f"image {boot.image}: {prob.message}")
    by_name = {t.name: t for t in suite}
    kept: list[TestResult] = []
    for res in results:
        spec = by_name.get(res.test)
        if spec is None:
            errors.append(f"result for test {res.test}, which the tests manifest does not define")
            continue
        if (res.extension, list(res.requirements), res.since) != (spec.extension, list(spec.requirements), str(spec.since)):
            errors.append(f"result for test {res.test} does not match its definition in the tests manifest")
            continue
        if spec.since > tested:
            continue
        for rid in res.requirements:
            if rid not in manifest.requirements:
                errors.append(f"test {res.test} cites unknown requirement {rid}")
        _apply_profile(res, manifest, profile, tested, claims)
        if res.status in FAILING:
            failures.append(f"{res.test}: {res.status}: {first_line(res.message) or 'no message'}")
        elif res.status == "error":
            errors.append(f"{res.test}: error: {first_line(res.message) or 'no message'}")
        elif res.status not in ("pass", "skip"):
            errors.append(f"{res.test}: invalid status {res.status!r}")
        kept.append(res)
    names = [r.test for r in kept]
    if len(set(names)) != len(names):
        errors.append("some tests have more than one result")
    if not partial:
        missing = sorted(t.name for t in suite if t.since <= tested and t.name not in set(names))
        if missing:
            errors.append(f"no result for {len(missing)} test(s): {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    table = _requirement_table(manifest, suite, kept, tested, profile)
    untested = [rid for rid, row in table.items() if row["required"] and row["status"] == REQ_UNTESTED]
    if untested:
        warnings.append(f"{len(untested)} required requirement(s) are cited by no test: {', '.join(untested[:10])}{' ...' if len(untested) > 10 else ''}")
    verdict = "error" if errors else "non-conformant" if failures else "conformant"
    return Evaluation(
        verdict=verdict,
        errors=errors,
        failures=failures,
        warnings=warnings,
        results=kept,
        requirements=table,
        claimed=claims.claimed,
        present=claims.present,
        implementation=claims.implementation,
        advertised=claims.advertised,
    )
