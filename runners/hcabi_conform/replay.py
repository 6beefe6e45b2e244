"""Re-derive a bundled report's results from its serial logs.

For `gate --bundle`: every boot's serial log is parsed again with
boot.interpret_boot, the function `run` used, with the boot's ending as the
report records it (how a VMM ended is the host's observation; it is not in the
log), and the boot's evidence (nonce) with the key of this suite build's image.
Every raw result, discovery line and problem must come out as the report says;
a difference names the test, the field and the log. The images must be this
suite build's (their sha256 in the bundle's MANIFEST.json): a log made by
other images proves nothing about these tests.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Optional

from . import boot as boot_mod
from .bundle import Bundle, sha256_path
from .manifests import ImageSpec, TestsManifest, TestSpec
from .model import BootRecord, Ending, TestResult
from .protocol import Record, read_items

RESULT_FIELDS = ("raw_status", "raw_message", "failed_checks", "passed_reqs", "needs")


def evidence_support() -> Optional[Any]:
    """The evidence module (nonce + per-image key, protocol 2) if this runner
    has it; None for a runner whose boot.interpret_boot takes no evidence."""
    if "evidence" not in inspect.signature(boot_mod.interpret_boot).parameters:
        return None
    from . import evidence  # type: ignore[attr-defined]  # pylint: disable=import-outside-toplevel

    return evidence


def interpret(
    image: ImageSpec, image_path: Path, serial: Path, ending: Ending, known: dict[str, TestSpec], selected: list[TestSpec], recorded: dict[str, Any]
) -> tuple[BootRecord, list[TestResult]]:
    """The one call of boot.interpret_boot for a re-parse: with the boot's
    EvidenceContext(nonce, image_key(image)) when the runner verifies
    evidence (it then must), without it otherwise."""
    evidence = evidence_support()
    if evidence is None:
        return boot_mod.interpret_boot(image, serial, ending, known, selected)
    context_type: Callable[..., Any] = getattr(boot_mod, "EvidenceContext", None) or getattr(evidence, "EvidenceContext")
    extra: dict[str, Any] = {}
    limit = recorded.get("serial_limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and "serial_limit" in inspect.signature(context_type).parameters:
        extra["serial_limit"] = limit  # read exactly as much of the log as the run did
    context = context_type(str(recorded.get("nonce") or ""), evidence.image_key(image_path), **extra)
    return boot_mod.interpret_boot(image, serial, ending, known, selected, context)  # type: ignore[call-arg]


def _reported_twice(serial: Path) -> list[str]:
    """Tests with more than one test-end in one boot (before any restart):
    boot.py keeps the last; a log that says fail then pass must not pass."""
    seen: dict[str, int] = {}
    hellos = 0
    try:
        with open(serial, "rb") as stream:
            for item in read_items(stream):
                if not isinstance(item, Record):
                    continue
                if item.kind == "hello":
                    hellos += 1
                elif item.kind == "test-end" and hellos == 1:
                    name = str(item.fields.get("name"))
                    seen[name] = seen.get(name, 0) + 1
    except OSError:
        return []
    return sorted(name for name, count in seen.items() if count > 1)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def verify(bundle: Bundle, tests: TestsManifest, images_dir: Path) -> list[str]:
    """Every reason the bundle's logs and images do not back its report."""
    reasons: list[str] = []
    rep = bundle.report
    known = tests.by_name()
    results_by_image: dict[str, list[TestResult]] = {}
    for res in rep.results:
        results_by_image.setdefault(res.image, []).append(res)
    need_evidence = evidence_support() is not None
    for stored in rep.boots:
        image = tests.images.get(stored.image)
        if image is None:
            reasons.append(f"boot of image {stored.image}: {tests.path} has no such image")
            continue
        image_path = images_dir / image.file
        build_sha = sha256_path(image_path)
        bundled_sha = bundle.manifest["images"].get(stored.image)
        if build_sha is None:
            reasons.append(f"image {image_path} of this suite build cannot be read (pass --build-dir)")
            continue
        recorded_sha = stored.evidence.get("image_sha256", bundled_sha)
        if bundled_sha != build_sha or recorded_sha != build_sha:
            other = bundled_sha if bundled_sha != build_sha else recorded_sha
            where = "the bundle" if bundled_sha != build_sha else "the report's evidence"
            reasons.append(f"the bundle was made with other images than this suite build's: image {stored.image} has sha256 {other} in {where}, {build_sha} in {images_dir}")
            continue
        logs = bundle.manifest["boots"].get(stored.image) or {}
        serial_name = logs.get("serial")
        if not serial_name or serial_name not in bundle.members:
            reasons.append(f"the bundle has no serial log for the boot of image {stored.image}")
            continue
        for kind in ("serial", "stderr"):
            want, name = stored.evidence.get(f"{kind}_sha256"), logs.get(kind)
            if want is not None and name and bundle.members.get(name) != want:
                reasons.append(f"{name} is not the log the report was made from (sha256 {bundle.members.get(name)}, the report's evidence says {want})")
            elif need_evidence and kind == "serial" and want is None:
                reasons.append(f"the report records no evidence (serial sha256, nonce) for the boot of image {stored.image}")
        serial = bundle.root / serial_name
        for name in _reported_twice(serial):
            reasons.append(f"{serial_name}: test {name} is reported more than once in one boot (its last report would win)")
        mine = results_by_image.get(stored.image, [])
        selected = [t for t in tests.tests if t.image == stored.image and t.name in {r.test for r in mine}]
        try:
            record, again = interpret(image, image_path, serial, stored.ending, known, selected, stored.evidence)
        except Exception as exc:  # an evidence key that cannot be read, a log the parser rejects  # noqa: BLE001
            reasons.append(f"{serial_name} cannot be re-parsed: {exc}")
            continue
        reasons += _compare_boot(serial_name, stored, record)
        recomputed = {r.test: r for r in again}
        for res in mine:
            other = recomputed.get(res.test)
            if other is None:
                reasons.append(f"test {res.test}: the report has a result, but {serial_name} is not a boot that selects it")
                continue
            for name in RESULT_FIELDS:
                if getattr(res, name) != getattr(other, name):
                    reasons.append(f"test {res.test}: {name} is {_short(getattr(res, name))} in the report, but {serial_name} gives {_short(getattr(other, name))}")
    return reasons


def _compare_boot(serial_name: str, stored: BootRecord, record: BootRecord) -> list[str]:
    reasons = []
    for name in ("hello", "garbled", "suite_end"):
        if getattr(stored, name) != getattr(record, name):
            reasons.append(f"boot of image {stored.image}: {name} is {_short(getattr(stored, name))} in the report, but {serial_name} gives {_short(getattr(record, name))}")
    mine = stored.discovery.to_dict() if stored.discovery else None
    theirs = record.discovery.to_dict() if record.discovery else None
    if mine != theirs:
        reasons.append(f"boot of image {stored.image}: the discovery line is {_short(mine)} in the report, but {serial_name} gives {_short(theirs)}")
    for name in ("nonce", "verified", "lines", "serial_capped"):
        if name in stored.evidence and name in record.evidence and stored.evidence[name] != record.evidence[name]:
            reasons.append(f"boot of image {stored.image}: evidence.{name} is {_short(stored.evidence[name])} in the report, but {serial_name} gives {_short(record.evidence[name])}")
    # the runner may add problems of its own: the log's must all be there
    kept = [p.to_dict() for p in stored.problems]
    for prob in record.problems:
        if prob.to_dict() not in kept:
            reasons.append(f"boot of image {stored.image}: the report lacks the problem {serial_name} gives: {prob.severity}: {_short(prob.message)}")
    return reasons
