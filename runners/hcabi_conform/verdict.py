"""The one verdict function. `run`, `merge` and `gate` all call `evaluate`, so
a report can never say something its own results do not support.

Rules (docs/internals.md and the product brief):
- `error` when the environment or the suite is broken: a boot that did not
  start, a garbled or missing hello, a test whose verdict is `error`, a result
  the suite does not know, a test with two results, a `pass` from a boot that
  did not run the image;
- otherwise `non-conformant` when HCABI is absent, the implementation claims a
  version older than the one tested, any test failed, crashed or timed out, or
  a test was skipped that may not be: a binding-area test, a test of an
  advertised extension (unless it said `needs=` an unadvertised one), a test
  of an extension the profile requires; or a requirement the profile
  requires has only skipped tests (and is not `not-applicable`);
- otherwise `conformant`.
A requirement limited to extensions the implementation does not provide
(`applies_with`) is `not-applicable` in the requirement table, which the gate
accepts where the profile requires the requirement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Optional

from .manifests import DEFAULT_ARCH, RequirementsManifest, TestSpec, why_unknown
from .model import ERROR_ENDINGS, REQ_NOT_APPLICABLE, REQ_NOT_RUN, REQ_UNTESTED, BootRecord, Discovery, TestResult, worst
from .versions import Version

FAILING = ("fail", "timeout", "crash")

# What each binding's discovery found when it says HCABI is absent (the binding
# chapters of the spec: its discovery requirements)
ABSENCE = {
    "x86_64": "CPUID leaf 0x40000001 does not report 'HCA1'",
    "arm64": "HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID (0xC6004800) did not return x0 = 0 and x1 = 'HCA1' (ARM64-017)",
    "riscv64": "the SBI probe of HCABI_RISCV64_SBI_EID did not return a0 = 0 and a1 = 'HCA1' (RV64-015)",
}


def absence_reason(arch: str, disc: Discovery) -> str:
    """Why HCABI counts as absent on `arch`, with what the discovery found:
    x86-64, the hypervisor signature; elsewhere, the image's own account of
    the discovery call's answer, when it gave one."""
    if arch == DEFAULT_ARCH:
        return f"HCABI is not present: {ABSENCE[arch]} (hypervisor signature {disc.signature or 'none'!r})"
    said = f" (the image said: {disc.said})" if disc.said else ""
    return f"HCABI is not present: {ABSENCE.get(arch, 'the binding discovery did not find it')}{said}"


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


def _claims(boots: list[BootRecord], tested: Version, failures: list[str], arch: str = DEFAULT_ARCH) -> _Claims:
    """What the implementation claimed across boots; inconsistency and a claim
    older than the tested version are failures of the implementation."""
    discs = [b.discovery for b in boots if b.discovery is not None]
    out = _Claims()
    if not discs:
        return out
    absent = [d for d in discs if not d.present]
    out.present = not absent
    if absent:
        failures.append(absence_reason(arch, absent[0]))
    present = [d for d in discs if d.present]
    if not present:
        return out
    first = present[0]
    out.implementation = {"id": first.impl, "version": first.implver, "signature": first.signature}
    for disc in present:  # an extension advertised in any boot is provided
        for name, ver in disc.exts.items():
            out.advertised[name] = max(ver, out.advertised.get(name, ver))
    specs = sorted({d.spec or "?" for d in present})
    if len(specs) > 1:
        failures.append(f"the implementation claimed different spec versions in different boots: {', '.join(specs)}")
        return out
    out.claimed = specs[0]
    if not Version.is_valid(out.claimed):
        failures.append(f"the implementation claims an invalid spec version {out.claimed!r}")
    elif Version.parse(out.claimed).major != tested.major:
        # a minor version only adds, so a 1.x suite can judge any 1.y; another
        # major is another ABI, and GET_SPEC_VERSION must say the version served
        failures.append(f"the implementation claims HCABI {out.claimed}, another major version than the tested version {tested}")
    elif Version.parse(out.claimed) < tested:
        failures.append(f"the implementation claims HCABI {out.claimed}, older than the tested version {tested}")
    if len({(d.impl, d.implver) for d in present}) > 1:
        failures.append("the implementation reported different implementation IDs or versions in different boots")
    return out


def _apply_profile(result: TestResult, manifest: RequirementsManifest, profile: str, tested: Version, claims: _Claims) -> None:
    """Derive status/message from the raw ones. A skip is acceptable only for
    a test of an extension that is not advertised and that the profile does
    not require, or a test that said (test-end `needs=`) it needed an
    extension that is not advertised. The spec: an implementation meets every
    requirement of each extension it provides, whatever the profile; binding
    areas (X86, DISC, STATUS, GEN, VER...) apply to every implementation."""
    result.status, result.message = result.raw_status, result.raw_message
    if result.raw_status != "skip":
        return
    ext = result.extension
    why = ""
    if not manifest.is_extension(ext):
        why = f"skipped, but {ext} requirements apply to every profile"
    elif claims.present is False:
        if manifest.area_required(ext, profile, tested):
            why = f"skipped, but extension {ext} is required by profile {profile}"
    elif ext in claims.advertised:
        missing = [n for n in result.needs if n not in claims.advertised]
        if not missing:
            said = f" (it said it needed {', '.join(result.needs)}, which the implementation advertises)" if result.needs else ""
            why = f"extension {ext} is advertised, but test {result.test} was skipped{said}"
    elif manifest.area_required(ext, profile, tested):
        why = f"required extension {ext} not advertised"
    if why:
        result.status = "fail"
        result.message = why + (f" (image said: {first_line(result.raw_message)})" if result.raw_message else "")


def failed_requirements(result: TestResult, defined: Collection[str]) -> Optional[set[str]]:
    """The requirements a failed test's failing checks name, or None when the
    failure cannot be pinned (no failing check, a check with `req=-`, or one
    naming a requirement the registry does not define): then the test fails
    every requirement it cites."""
    if not result.failed_checks:
        return None
    named = {c.get("req", "-") for c in result.failed_checks}
    if "-" in named or not named <= set(defined):
        return None
    return named


def requirement_contribution(result: TestResult, rid: str, defined: Collection[str] = ()) -> str:
    """What one test says about one requirement. A failing check fails
    exactly the requirement it names (even one the test does not cite, if the
    registry defines it); a failure that cannot be pinned fails all of the
    test's requirements; a requirement of a failed test that no failing check
    names is `pass` if the test showed it passing, else `skip` (not shown
    either way). Any status other than a plain `fail` applies to all."""
    if result.status != "fail" or result.raw_status != "fail":
        return result.status
    named = failed_requirements(result, defined)
    if named is None or rid in named:
        return "fail"
    return "pass" if rid in result.passed_reqs else "skip"


def combine(contributions: list[str]) -> Optional[str]:
    """A requirement's status from its tests: the most severe, except that a
    test that did not run (an acceptable skip) does not hide one that did."""
    ran = [c for c in contributions if c != "skip"]
    return worst(ran or contributions)


def _requirement_table(
    manifest: RequirementsManifest, suite: list[TestSpec], results: list[TestResult], tested: Version, profile: str,
    advertised: Collection[str] = (), arch: str = DEFAULT_ARCH,
) -> dict[str, dict[str, Any]]:
    """Per-requirement status for every requirement that exists at `tested`.
    A requirement limited to some extensions (`applies_with`) whose every
    test was (acceptably) skipped, and none of whose extensions is
    advertised, is `not-applicable`: it has nothing to apply to, so a
    profile that requires it is still met. Any other skip stays a skip."""
    defined = manifest.requirements.keys()
    # a failing check may name a requirement its test does not cite: it still fails it
    extra: dict[str, list[TestResult]] = {}
    for res in results:
        for rid in sorted((failed_requirements(res, defined) or set()) - set(res.requirements)) if res.status == "fail" else ():
            extra.setdefault(rid, []).append(res)
    table: dict[str, dict[str, Any]] = {}
    for req in manifest.requirements_of(tested, arch):
        citing = sorted({t.name for t in suite if t.since <= tested and req.id in t.requirements} | {r.test for r in extra.get(req.id, [])})
        contribs = [requirement_contribution(r, req.id, defined) for r in results if req.id in r.requirements or r in extra.get(req.id, [])]
        status = combine(contribs) or (REQ_NOT_RUN if citing else REQ_UNTESTED)
        if status == "skip" and req.applies_with and not req.applies_with & set(advertised):
            status = REQ_NOT_APPLICABLE
        table[req.id] = {
            "status": status,
            "tests": citing,
            "since": str(req.since),
            "area": req.area,
            "required": manifest.area_required(req.area, profile, tested),
            "text": req.text,
        } | ({"parent": req.parent} if req.parent else {}) | ({"applies_with": sorted(req.applies_with)} if req.applies_with else {})
    return table


def _boot_consistency(boots: list[BootRecord], results: list[TestResult], errors: list[str]) -> None:
    """A boot that did not run the image (the VMM failed, no hello) proves
    nothing: none of its tests can pass."""
    dead = {b.image: (f"ended in {b.ending.kind}" if b.ending.kind in ERROR_ENDINGS else "sent no hello line") for b in boots if b.ending.kind in ERROR_ENDINGS or not b.hello}
    for res in results:
        if res.raw_status == "pass" and res.image in dead:
            errors.append(f"{res.test}: pass, but the boot of image {res.image} {dead[res.image]}: its results are not evidence")


def evaluate(
    manifest: RequirementsManifest,
    suite: list[TestSpec],
    tested: Version,
    profile: str,
    results: list[TestResult],
    boots: list[BootRecord],
    partial: bool,
    arch: str = DEFAULT_ARCH,
) -> Evaluation:
    """Decide the verdict for (`tested` version, `profile`) on `arch` from raw results.

    `suite` is every test of the tests manifest (whatever was selected);
    results of tests newer than `tested` are dropped; `partial` (a filtered
    or sharded run) relaxes the 'every test has a result' check only; `arch`
    chooses the requirements that apply (its binding's and the neutral ones,
    RequirementsManifest.requirements_of) and how absence is explained.
    """
    errors: list[str] = []
    failures: list[str] = []
    warnings: list[str] = []
    claims = _claims(boots, tested, failures, arch)
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
        differs = [
            f"{what} {mine} (the manifest says {theirs})"
            for what, mine, theirs in (
                ("extension", res.extension, spec.extension),
                ("image", res.image, spec.image),
                ("requirements", ",".join(res.requirements), ",".join(spec.requirements)),
                ("since", res.since, str(spec.since)),
            )
            if mine != theirs
        ]
        if differs:
            errors.append(f"result for test {res.test} does not match its definition in the tests manifest: {'; '.join(differs)}")
            continue
        if spec.since > tested:
            continue
        for rid in res.requirements:
            if rid not in manifest.requirements:
                errors.append(f"test {res.test} cites unknown requirement {rid}" + (f", {why_unknown(rid, manifest)}" if rid in manifest.groups else ""))
        _apply_profile(res, manifest, profile, tested, claims)
        if res.status in FAILING:
            failures.append(f"{res.test}: {res.status}: {first_line(res.message) or 'no message'}")
        elif res.status == "error":
            errors.append(f"{res.test}: error: {first_line(res.message) or 'no message'}")
        elif res.status not in ("pass", "skip"):
            errors.append(f"{res.test}: invalid status {res.status!r}")
        kept.append(res)
    names = [r.test for r in kept]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        errors.append(f"test(s) with more than one result: {', '.join(twice[:10])}")
    _boot_consistency(boots, kept, errors)
    if not partial:
        missing = sorted(t.name for t in suite if t.since <= tested and t.name not in set(names))
        if missing:
            errors.append(f"no result for {len(missing)} test(s): {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    table = _requirement_table(manifest, suite, kept, tested, profile, claims.advertised, arch)
    for rid, row in table.items():
        # every test of a required requirement skipped (for an extension the
        # profile does not require): nothing showed it met; the gate says the same
        if row["required"] and row["status"] == "skip":
            failures.append(f"requirement {rid} is required by profile {profile}, but every test of it was skipped: {', '.join(row['tests'])}")
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
