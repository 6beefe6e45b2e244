"""The JSON report: building it from an evaluation, reading it back for
`merge` and `gate`, and merging shard reports.

A report carries its raw inputs (results with raw statuses, boots with their
discovery lines and problems, the suite's test list), not just conclusions, so
that anyone can re-derive its verdict with verdict.evaluate.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import REPORT_FORMAT, REPORT_FORMAT_VERSION, __version__, provenance, timing
from .errors import EnvError
from .manifests import DEFAULT_ARCH, RequirementsManifest, TestSpec, load_json
from .model import STATUSES, BootRecord, TestResult, report_arch
from .reportschema import SchemaError, check_report
from .verdict import Evaluation, evaluate
from .versions import Version

VERDICTS = ("conformant", "non-conformant", "error")


@dataclass
class Selection:
    """Which part of the suite a report covers."""

    filters: list[str] = field(default_factory=list)
    shards: Optional[list[list[int]]] = None  # [[i, n], ...] or None (unsharded)
    images: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """Filtered, or sharded without every shard present."""
        if self.filters:
            return True
        if self.shards is None:
            return False
        counts = {n for _, n in self.shards}
        return len(counts) != 1 or sorted(i for i, _ in self.shards) != list(range(1, counts.pop() + 1))

    def to_dict(self) -> dict[str, Any]:
        return {"filters": self.filters, "shards": self.shards, "images": self.images, "partial": self.partial}


@dataclass
class RunContext:
    """Everything about a run that is not a result."""

    manifest: RequirementsManifest
    tests_manifest: dict[str, str]
    target: dict[str, Any]
    tested: Version
    profile: str
    selection: Selection
    suite: list[TestSpec]
    boots: list[BootRecord]
    timestamp: str = ""
    host: dict[str, Any] = field(default_factory=dict)
    arch: str = DEFAULT_ARCH  # the architecture whose images and requirements were used


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_info(kvm: dict[str, Any]) -> dict[str, Any]:
    """Where the run happened: enough to reproduce or explain it."""
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "kvm": kvm,
    }


def count_statuses(results: list[TestResult]) -> dict[str, Any]:
    """Per-extension and total counts of final statuses."""
    empty = {s: 0 for s in STATUSES}
    total = dict(empty)
    by_ext: dict[str, dict[str, int]] = {}
    for res in results:
        row = by_ext.setdefault(res.extension, dict(empty))
        row[res.status] = row.get(res.status, 0) + 1
        total[res.status] = total.get(res.status, 0) + 1
    return {"total": total, "by_extension": dict(sorted(by_ext.items()))}


def build_report(ev: Evaluation, ctx: RunContext) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "generator": {"name": "hcabi-conform", "version": __version__},
        "arch": ctx.arch,
        "provenance": dict(provenance.collect(), tests_manifest_sha256=ctx.tests_manifest.get("sha256"), requirements_manifest_sha256=ctx.manifest.sha256),
        "timestamp": ctx.timestamp or utc_now(),
        "host": ctx.host,
        "manifest": {"path": str(ctx.manifest.path), "sha256": ctx.manifest.sha256, "newest_version": str(ctx.manifest.newest_version)},
        "tests_manifest": ctx.tests_manifest,
        "target": ctx.target.get("name"),
        "target_info": ctx.target,
        "spec_version": ev.claimed,
        "tested_version": str(ctx.tested),
        "profile": ctx.profile,
        "implementation": ev.implementation,
        "hcabi_present": ev.present,
        "advertised_extensions": ev.advertised,
        "selection": ctx.selection.to_dict(),
        "verdict": ev.verdict,
        "reasons": {"errors": ev.errors, "failures": ev.failures, "warnings": ev.warnings},
        "summary": count_statuses(ev.results),
        "results": [r.to_dict() for r in ev.results],
        "requirements": ev.requirements,
        "boots": [b.to_dict() for b in ctx.boots],
        "timing": timing.summarize(b.timing for b in ctx.boots),
        "suite": {"tests": [t.to_dict() for t in ctx.suite]},
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    """Write atomically enough for CI: a temp file renamed into place."""
    write_text(path, json.dumps(report, indent=2, sort_keys=False) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write a report file; a path we cannot write is an environment error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise EnvError(f"cannot write {path}: {exc.strerror or exc}") from None


class ReportError(EnvError):
    """A file that is not a readable hcabi-conform report (exit 4)."""


@dataclass
class LoadedReport:
    """A report and its inputs, parsed back into objects."""

    path: Path
    data: dict[str, Any]
    tested: Version
    profile: str
    target: str
    suite: list[TestSpec]
    results: list[TestResult]
    boots: list[BootRecord]
    selection: Selection
    arch: str = DEFAULT_ARCH  # a report without `arch` is of x86-64, the only architecture before


def load_report(path: Path) -> LoadedReport:
    """Read a report strictly (strictjson) and check the type of every field
    the verdict reads (reportschema); anything else is a ReportError naming
    the file and the JSON path of the first problem."""
    try:
        data, _sha = load_json(path, "report")
    except EnvError as exc:
        raise ReportError(str(exc)) from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ReportError(f"{path} is not an hcabi-conform report (no \"format\": \"{REPORT_FORMAT}\")")
    if data.get("format_version") != REPORT_FORMAT_VERSION:
        raise ReportError(f"{path}: report format version {data.get('format_version')!r:.40} is not supported (this runner reads {REPORT_FORMAT_VERSION})")
    try:
        check_report(data)
    except SchemaError as exc:
        raise ReportError(f"{path} is a malformed report: {exc}") from None
    sel = data["selection"]
    try:
        return LoadedReport(
            path=path,
            data=data,
            tested=Version.parse(data["tested_version"]),
            profile=data["profile"],
            target=data["target"],
            suite=[TestSpec.from_dict(t) for t in data["suite"]["tests"]],
            results=[TestResult.from_dict(r) for r in data["results"]],
            boots=[BootRecord.from_dict(b) for b in data["boots"]],
            selection=Selection(list(sel["filters"]), sel["shards"], list(sel["images"])),
            arch=report_arch(data),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # the schema should have caught it
        raise ReportError(f"{path} is a malformed report ({type(exc).__name__}: {exc})") from None


def reevaluate(
    rep: LoadedReport,
    manifest: RequirementsManifest,
    tested: Optional[Version] = None,
    profile: Optional[str] = None,
    suite: Optional[list[TestSpec]] = None,
) -> Evaluation:
    """Re-derive a report's verdict (or the verdict for another version or
    profile) from its raw results, against `suite` (the build's tests
    manifest; by default the report's own copy of it)."""
    return evaluate(
        manifest,
        suite if suite is not None else rep.suite,
        tested or rep.tested,
        profile or rep.profile,
        [TestResult.from_dict(r.to_dict()) for r in rep.results],
        rep.boots,
        rep.selection.partial,
        rep.arch,
    )


def _same(reports: list[LoadedReport], what: str, get: Any) -> Any:
    values = {json.dumps(get(r), sort_keys=True) for r in reports}
    if len(values) != 1:
        listing = ", ".join(f"{r.path}: {get(r)}" for r in reports)
        raise EnvError(f"cannot merge reports with different {what}: {listing}")
    return get(reports[0])


def _nonce_scheme(rep: LoadedReport) -> str:
    """How a report's boots were bound to their logs: every boot with a nonce,
    none, or a mixture (which no single run produces)."""
    have = {bool(b.evidence.get("nonce")) for b in rep.boots}
    return "nonce" if have == {True} else "none" if have == {False} else "mixed" if have else "no boots"


def _check_shards(reports: list[LoadedReport], allow_partial: bool) -> list[list[int]]:
    """The shards must be every i/n of one n, each once, unless the caller
    accepts a partial result (which the gate then rejects)."""
    shards: list[list[int]] = []
    for rep in reports:
        if rep.selection.shards is None:
            raise EnvError(f"{rep.path} is not a shard report (run with --shard i/n)")
        shards += [list(s) for s in rep.selection.shards]
    if len({tuple(s) for s in shards}) != len(shards):
        raise EnvError(f"the same shard appears twice: {sorted(shards)}")
    counts = sorted({n for _, n in shards})
    if len(counts) != 1:
        raise EnvError(f"the shards are of different splits ({', '.join(f'{i}/{n}' for i, n in sorted(shards))}): they are not shards of one run")
    missing = sorted(set(range(1, counts[0] + 1)) - {i for i, _ in shards})
    if missing and not allow_partial:
        raise EnvError(f"incomplete shard set: shard(s) {', '.join(f'{i}/{counts[0]}' for i in missing)} missing (pass every shard, or --allow-partial for a partial report the gate rejects)")
    schemes = {str(r.path): _nonce_scheme(r) for r in reports}
    if len(set(schemes.values())) != 1 or "mixed" in schemes.values():
        raise EnvError(f"the shards bind their logs differently (nonce scheme: {', '.join(f'{p}: {s}' for p, s in schemes.items())}): they are not shards of one run")
    return sorted(shards)


def _merged_target(reports: list[LoadedReport]) -> dict[str, Any]:
    """Keys every shard agrees on, and every shard's own target_info: one
    shard's fault-injection arguments must not vanish in the merge."""
    infos = [r.data.get("target_info") if isinstance(r.data.get("target_info"), dict) else {"name": r.target} for r in reports]
    common = {k: v for k, v in infos[0].items() if k != "per_shard" and all(k in i and i[k] == v for i in infos[1:])}
    common["per_shard"] = [{"report": str(r.path), "shards": r.selection.shards, "target_info": info} for r, info in zip(reports, infos)]
    return common


def merge_reports(reports: list[LoadedReport], manifest: RequirementsManifest, allow_partial: bool = False) -> dict[str, Any]:
    """Combine shard reports of one run into one report, re-evaluated."""
    _same(reports, "tested versions", lambda r: str(r.tested))
    _same(reports, "profiles", lambda r: r.profile)
    _same(reports, "targets", lambda r: r.target)
    _same(reports, "architectures", lambda r: r.arch)
    _same(reports, "filters", lambda r: r.selection.filters)
    _same(reports, "test suites (tests manifests)", lambda r: r.data.get("tests_manifest", {}).get("sha256"))
    sha = _same(reports, "requirements manifests", lambda r: r.data.get("manifest", {}).get("sha256"))
    if sha != manifest.sha256:
        raise EnvError(f"the reports were made with requirements manifest sha256 {sha}, but {manifest.path} has {manifest.sha256} (pass the right --manifest)")
    if reports[0].profile not in manifest.profiles:
        raise ReportError(f"{reports[0].path} is a malformed report: $.profile: unknown profile {reports[0].profile!r:.40}")
    shards = _check_shards(reports, allow_partial)
    booted = [b.image for rep in reports for b in rep.boots]
    listed = [img for rep in reports for img in rep.selection.images]
    dup = sorted({i for i in listed if listed.count(i) > 1} | {i for i in booted if booted.count(i) > 1})
    if dup:
        raise EnvError(f"image(s) {', '.join(dup)} appear in more than one report: they are not shards of one run")
    first = reports[0]
    selection = Selection(first.selection.filters, shards, sorted(listed))
    boots = [b for rep in reports for b in rep.boots]
    results = [TestResult.from_dict(r.to_dict()) for rep in reports for r in rep.results]
    ev = evaluate(manifest, first.suite, first.tested, first.profile, results, boots, selection.partial, first.arch)
    ctx = RunContext(
        manifest=manifest,
        tests_manifest=first.data.get("tests_manifest", {}),
        target=_merged_target(reports),
        tested=first.tested,
        profile=first.profile,
        selection=selection,
        suite=first.suite,
        boots=boots,
        host=first.data.get("host", {}),
        arch=first.arch,
    )
    merged = build_report(ev, ctx)
    merged["merged_from"] = [str(r.path) for r in reports]
    merged["merged_provenance"] = [r.data.get("provenance") for r in reports]
    return merged
