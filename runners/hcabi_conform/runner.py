"""Plan a run (which tests, which images, which shard), boot the images on a
target, and collect boot records and test results.

Selection is by image because an image is the unit that boots: a shard is a
deterministic slice of the selected images in name order, so `--shard 1/3`
on any machine picks the same images.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .boot import interpret_boot
from .errors import EnvError, UsageError
from .evidence import DEFAULT_SERIAL_LIMIT, EvidenceContext, console_input, image_key, new_nonce, sha256_file
from .manifests import ImageSpec, RequirementsManifest, TestsManifest, TestSpec
from .model import BootRecord, TestResult
from .targets import BootJob, BootRun, Target
from .versions import Version


@dataclass
class Plan:
    """What a run will boot."""

    images: list[ImageSpec]
    selected: dict[str, list[TestSpec]]
    filters: list[str]
    shard: Optional[tuple[int, int]]

    @property
    def test_count(self) -> int:
        return sum(len(v) for v in self.selected.values())


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' with 1 <= i <= n."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard: expected i/n (e.g. 1/4), got {text!r}") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard: need 1 <= i <= n, got {text!r}")
    return i, n


def select_tests(tests: list[TestSpec], newest: Version, filters: list[str], where: Optional[Callable[[TestSpec], bool]] = None) -> list[TestSpec]:
    """Tests that exist at `newest`, match any of the glob filters and
    satisfy `where` (filters.TestFilter.matches)."""
    return [
        t for t in tests
        if t.since <= newest and (not filters or any(fnmatch.fnmatchcase(t.name, f) for f in filters)) and (where is None or where(t))
    ]  # fmt: skip


def make_plan(
    manifest: TestsManifest, newest: Version, filters: list[str], shard: Optional[tuple[int, int]], where: Optional[Callable[[TestSpec], bool]] = None
) -> Plan:
    """Choose images and tests; a filter that matches nothing is a usage error
    (a typo must not produce a green, empty run)."""
    chosen = select_tests(manifest.tests, newest, filters, where)
    if (filters or where is not None) and not chosen:
        raise UsageError(f"{' '.join(filters) and '--filter ' + ' '.join(filters)}{' and ' if filters and where else ''}{'the --extension/--requirement/--image values' if where else ''}: no test matches")
    names = sorted({t.image for t in chosen})
    if shard is not None:
        index, count = shard
        names = [name for pos, name in enumerate(names) if pos % count == index - 1]
    selected = {name: [t for t in chosen if t.image == name] for name in names}
    return Plan([manifest.images[n] for n in names], selected, filters, shard)


def make_jobs(
    plan: Plan, images_dir: Path, out_dir: Path, timeout: float, spec_version: Optional[Version], serial_limit: int = DEFAULT_SERIAL_LIMIT
) -> list[BootJob]:
    """One boot per image, each with a fresh nonce, its image's evidence key
    and its console input (derived from both, written next to its serial
    log); a missing image (or one without a key) means the suite is not built."""
    jobs = [
        BootJob(img, images_dir / img.file, out_dir / f"{img.name}.serial", out_dir / f"{img.name}.stderr", timeout, spec_version)
        for img in plan.images
    ]
    missing = [str(j.image_path) for j in jobs if not j.image_path.is_file()]
    if missing:
        raise EnvError(f"conformance image(s) missing: {', '.join(missing)} (build the conformance suite, or pass --build-dir)")
    for job in jobs:
        job.key = image_key(job.image_path)
        job.nonce = new_nonce()
        job.serial_limit = serial_limit
        job.console_input = out_dir / f"{job.image.name}.console-in"
        try:
            job.console_input.write_bytes(console_input(job.key, job.nonce))
        except OSError as exc:
            raise EnvError(f"cannot write console input {job.console_input}: {exc.strerror or exc}") from None
    return jobs


Progress = Callable[[BootRecord, list[TestResult], int, int], None]


def execute(plan: Plan, tests: TestsManifest, target: Target, jobs: list[BootJob], parallel: int, progress: Progress) -> tuple[list[BootRecord], list[TestResult]]:
    """Boot every job and interpret each as it finishes."""
    known = tests.by_name()
    boots: dict[str, BootRecord] = {}
    results: dict[str, list[TestResult]] = {}
    lock = threading.Lock()

    def done(run: BootRun) -> None:
        job = run.job
        image = job.image
        evidence = EvidenceContext(job.nonce, job.key, job.serial_limit)
        record, res = interpret_boot(image, job.serial, run.ending, known, plan.selected[image.name], evidence, job.console_out)
        record.command = run.command
        record.duration_s = run.duration
        record.timing = run.timing  # the same dict: a nested batch adds its wall time when it ends
        record.logs = {"serial": str(job.serial), "stderr": str(job.stderr)}
        if job.feed_input and job.console_input is not None:
            record.logs["console_input"] = str(job.console_input)
        if job.console_out is not None:
            record.logs["console"] = str(job.console_out)
        record.evidence.update(
            image_sha256=sha256_file(job.image_path), serial_sha256=sha256_file(job.serial), stderr_sha256=sha256_file(job.stderr)
        )
        with lock:
            boots[image.name] = record
            results[image.name] = res
            progress(record, res, len(boots), len(jobs))

    for job in jobs:
        target.prepare(job)
    target.run(jobs, parallel, done)
    order = [img.name for img in plan.images]
    all_results = [r for name in order for r in results.get(name, [])]
    return [boots[n] for n in order if n in boots], all_results


def decide_tested_version(requested: Optional[Version], boots: list[BootRecord], manifest: RequirementsManifest) -> Version:
    """The version a run tests: the one asked for; else the newest version the
    suite knows that the implementation claims (so a 1.0 implementation is
    tested as 1.0, not failed against 1.1); else the newest."""
    if requested is not None:
        return requested
    claims = {b.discovery.spec for b in boots if b.discovery and b.discovery.present and b.discovery.spec}
    if len(claims) == 1:
        claim = claims.pop()
        if Version.is_valid(claim):
            known = [v for v in manifest.versions if v <= Version.parse(claim)]
            return max(known) if known else min(manifest.versions)
    return manifest.newest_version

