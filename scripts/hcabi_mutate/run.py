"""Build mutants in one scratch build directory and judge them in batched
nested boots, with the runner's own interpretation of each serial log.

Kill rule (docs/mutation.md): a mutant is killed when one of its boots has a
test whose status is fail, crash, timeout or error where the unmutated
binary's boot of the same image had a different status, or a boot whose log
is not verified evidence where the baseline's was. A kill whose only
evidence is `error` statuses is `killed-error` (weaker: the suite said the
test or environment broke, not that the implementation is wrong).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from hcabi_conform import balance
from hcabi_conform.boot import interpret_boot
from hcabi_conform.evidence import EvidenceContext, console_input, image_key, new_nonce
from hcabi_conform.manifests import ImageSpec, TestsManifest
from hcabi_conform.model import Ending
from hcabi_conform.targets import BootJob, classify_refvmm, refvmm_args
from hcabi_conform.versions import Version

from . import cover
from .configs import CONFIGS, Config
from .gen import Mutant

BAD = ("fail", "crash", "timeout", "error")
# How boots are made (the arguments refvmm gets); a stored baseline or
# coverage map made another way is not reused. 2: the runner's own
# arguments, console input included.
BOOT_ARGS = 2
REFVMM_REL = "reference-impl/refvmm/hcabi-refvmm"
IGNORED = shutil.ignore_patterns(".git", "build", "__pycache__", "*.pyc", ".pytest_cache")


class EnvFailure(Exception):
    """The environment failed (exit 4): a message of one line."""


# ---- which images judge which file -------------------------------------------------


def relevant_images(rel: str, source: Path, manifest: TestsManifest, shared: Optional[list[str]] = None, covered: bool = False) -> list[str]:
    """Images that exercise `rel`. For core/ext_X.c: the images whose test
    sources (conformance/tests/IMAGE/*.c) name extension X (HCABI_FID_X_,
    HCABI_EID_X, hcabi_x_...), so ext_ipi.c gets ipi and any other image
    that sends IPIs. Every other file (the dispatcher, the core's shared
    code, all of refvmm) is on every call's path: every image, or the
    `shared` subset (--shared-images) when given. With a coverage map
    (`covered`) the names do not narrow ext_X.c: the map does (cover.choose)."""
    names = sorted(manifest.images)
    m = re.fullmatch(r"reference-impl/core/ext_([a-z]+)\.c", rel)
    if covered and m:
        return names
    if not m:
        return [n for n in names if n in shared] if shared else names
    ext = m.group(1)
    pattern = re.compile(rf"HCABI_(?:FID|EID)_{ext.upper()}\b|HCABI_FID_{ext.upper()}_|\bhcabi_{ext}_")
    out = []
    for name in names:
        folder = source / "conformance" / "tests" / name
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.c"))]
        if any(pattern.search(t) for t in texts):
            out.append(name)
    return out or names


# ---- the scratch build ---------------------------------------------------------------


def sync_tree(source: Path, dest: Path) -> int:
    """Make `dest` a copy of `source` (without builds and VCS data), writing
    only files whose bytes differ, so that the scratch build stays
    incremental across runs. Returns the number of files written."""
    written = 0
    for root, dirs, files in os.walk(source):
        rel_root = Path(root).relative_to(source)
        ignored = IGNORED(root, dirs + files)
        dirs[:] = [d for d in dirs if d not in ignored and not (rel_root == Path(".") and d == "build")]
        for name in files:
            if name in ignored:
                continue
            src, dst = Path(root) / name, dest / rel_root / name
            data = src.read_bytes()
            if dst.is_file() and dst.read_bytes() == data:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
            shutil.copymode(src, dst)
            written += 1
    return written


@dataclass
class Scratch:
    """WORK/src (a copy of the source tree) and WORK/build (one build directory)."""

    work: Path
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.work / "build.log"

    @property
    def src(self) -> Path:
        return self.work / "src"

    @property
    def build(self) -> Path:
        return self.work / "build"

    @property
    def binary(self) -> Path:
        return self.build / REFVMM_REL

    def prepare(self, source: Path) -> None:
        self.src.mkdir(parents=True, exist_ok=True)
        sync_tree(source, self.src)
        if not (self.build / "CMakeCache.txt").is_file():
            self._run(["cmake", "-S", str(self.src), "-B", str(self.build), "-DBUILD_TESTING=OFF"], "configure")
        if not self.compile():
            raise EnvFailure(f"the unmutated source does not build in {self.build} (see {self.log})")

    def compile(self) -> bool:
        """Rebuild hcabi-refvmm (only what changed recompiles)."""
        return self._run(["cmake", "--build", str(self.build), "--target", "hcabi-refvmm", "-j2"], None)

    def _run(self, argv: list[str], must: Optional[str]) -> bool:
        with open(self.log, "ab") as out:
            out.write(("$ " + shlex.join(argv) + "\n").encode())
            out.flush()
            rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        if rc != 0 and must:
            raise EnvFailure(f"cmake {must} failed with status {rc} (see {self.log})")
        return rc == 0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def images_digest(images_dir: Path, manifest: TestsManifest) -> str:
    """One hash of every image file: a baseline is valid only for the images
    it booted, and a build directory rebuilt under a run must stop it."""
    h = hashlib.sha256()
    for name in sorted(manifest.images):
        f = images_dir / manifest.images[name].file
        h.update(name.encode() + b"\0" + (f.read_bytes() if f.is_file() else b""))
    return h.hexdigest()


# What the images are built from. Two builds of the same sources differ in
# their bytes (each build embeds an evidence key of its own), so a baseline
# booted elsewhere is recognised by its images' sources, not their hash.
IMAGE_SOURCES = ("conformance", "spec/registry", "abi.h")


def images_source_digest(source: Path) -> str:
    h = hashlib.sha256()
    for top in IMAGE_SOURCES:
        root = source / top
        files = [root] if root.is_file() else sorted(f for f in root.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
        for f in files:
            h.update(f.relative_to(source).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def build_mutant(scratch: Scratch, mutant: Mutant, out: Path) -> tuple[str, Optional[Path]]:
    """Apply `mutant` to its file in the scratch copy, rebuild, keep the
    binary as `out`, and put the original back whatever happens.
    Returns ("built"|"stillborn", binary or None)."""
    target = scratch.src / mutant.file
    original = target.read_text(encoding="utf-8")
    mutated = mutant.apply(original)
    try:
        target.write_text(mutated, encoding="utf-8")
        if not scratch.compile():
            return "stillborn", None
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(scratch.binary, out)
        return "built", out
    finally:
        # A fresh write (newer mtime) so the next build recompiles it back.
        target.write_text(original, encoding="utf-8")


# ---- nested batches -------------------------------------------------------------------


@dataclass
class Job:
    name: str  # the launcher's job name
    owner: str  # mutant ID, or "baseline"
    image: ImageSpec
    binary: Path
    nonce: str = field(default_factory=new_nonce)
    coverage: bool = False  # the coverage build: wrapped to send its .gcda files back (cover.py)


@contextmanager
def locked(path: Optional[Path]) -> Iterator[None]:
    """Hold an exclusive flock on `path` (none when None): at most one nested
    boot on the machine."""
    if path is None:
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@dataclass
class Nested:
    launcher: Path
    cache: Path
    holder: Optional[str]
    images_dir: Path
    lock: Optional[Path]
    timeout: float  # refvmm's --timeout per boot, at most
    took: dict[str, float] = field(default_factory=dict)  # image -> the baseline boot's seconds
    config: Config = CONFIGS["default"]  # how refvmm boots every job (configs.py)
    _keys: dict[str, bytes] = field(default_factory=dict)  # image -> its evidence key
    parallel: int = 1  # launcher invocations at once (--parallel)

    def job_timeout(self, image: str) -> float:
        """A hung mutant must not cost the full --timeout on every image:
        three times the unmutated boot's time (plus 5 s), capped."""
        if image not in self.took:
            return self.timeout
        return min(self.timeout, round(3 * self.took[image] + 5, 1))

    def argv(self, job: Job, out: Path) -> list[str]:
        """The runner's own refvmm arguments (targets.refvmm_args): the
        nonce, the serial limit and the console input CONSOLE.READ's tests
        check, written next to the job's logs."""
        img = job.image
        timeout = self.timeout if job.coverage else self.job_timeout(img.name)
        version = Version.parse(self.config.spec_version) if self.config.spec_version else None
        boot = BootJob(img, self.images_dir / img.file, out / f"{job.name}.serial", out / f"{job.name}.stderr", timeout, version)
        boot.nonce, boot.feed_input = job.nonce, True
        boot.console_input = out / f"{job.name}.console-in"
        if img.name not in self._keys:
            self._keys[img.name] = image_key(boot.image_path)
        boot.console_input.write_bytes(console_input(self._keys[img.name], job.nonce))
        argv = [str(job.binary), *refvmm_args(boot, self.config.extra)]
        return cover.guest_argv(argv) if job.coverage else argv

    def run(self, jobs: list[Job], out: Path) -> Path:
        """The jobs in `parallel` launcher invocations at once (each nested VM
        emulates its vCPUs on one host thread, so one uses one CPU), split by
        the baseline's boot times; every job's files end in `out`. Returns
        the launchers' combined log."""
        out.mkdir(parents=True, exist_ok=True)
        groups = split_jobs(jobs, self.parallel, self.took)
        if len(groups) == 1:
            with locked(self.lock):
                return self._launch(jobs, out)
        dirs = [out / f"nested-{k}" for k in range(len(groups))]
        with locked(self.lock), ThreadPoolExecutor(len(groups)) as pool:
            logs = list(pool.map(self._launch, groups, dirs))
        for group, where in zip(groups, dirs):
            for job in group:
                for suffix in (".serial", ".stderr", ".status"):
                    if (where / f"{job.name}{suffix}").exists():
                        os.replace(where / f"{job.name}{suffix}", out / f"{job.name}{suffix}")
        log = out / "launcher.log"
        log.write_bytes(b"".join(path.read_bytes() for path in logs if path.exists()))
        return log

    def _launch(self, jobs: list[Job], out: Path) -> Path:
        """One launcher invocation for `jobs`, its files in `out`; returns its log."""
        out.mkdir(parents=True, exist_ok=True)
        jobfile = out / "jobs.txt"
        jobfile.write_text("".join(f"{j.name}\t{shlex.join(self.argv(j, out))}\n" for j in jobs), encoding="utf-8")
        # refvmm's own --timeout should end a hung mutant; a mutant that
        # breaks that timeout too is stopped by the launcher soon after.
        per_job = max(self.timeout if j.coverage else self.job_timeout(j.image.name) for j in jobs) + 10
        total = 240 + per_job * len(jobs)
        argv = [sys.executable, str(self.launcher), "--cache", str(self.cache), "--timeout", f"{total:g}",
                "--job-timeout", f"{per_job:g}", "--out", str(out)]  # fmt: skip
        if self.holder is not None:
            argv.append(f"--holder={self.holder}")
        argv.append(str(jobfile))
        log = out / "launcher.log"
        with open(log, "wb") as f:
            try:
                subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=total + 60, check=False, cwd=out)
            except subprocess.TimeoutExpired:
                f.write(b"hcabi-mutate: the launcher did not finish in time\n")
        return log


def split_jobs(jobs: list[Job], count: int, took: dict[str, float]) -> list[list[Job]]:
    """At most `count` non-empty groups of about equal boot time, by the
    baseline's times, as the runner splits a conformance run (balance.py)."""
    groups = balance.split([j.image.name for j in jobs], count, took)
    return [[jobs[i] for i in g] for g in groups if g]


_TOOK = re.compile(r"^hcabi-nested: ([A-Za-z0-9_][A-Za-z0-9_.+-]*): status -?[0-9]+ \(([0-9.]+) s\)$")


def durations(log: Path) -> dict[str, float]:
    """Each job's seconds, from the launcher's `NAME: status N (T s)` lines."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {m.group(1): float(m.group(2)) for m in map(_TOOK.match, text.splitlines()) if m}


def job_ending(out: Path, job: Job) -> Ending:
    """How the job ended, as the runner's nested target judges it."""
    stderr = out / f"{job.name}.stderr"
    try:
        rc = int((out / f"{job.name}.status").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        rc = None
    if rc is not None:
        return classify_refvmm(-(rc - 128) if 128 < rc < 192 else rc, stderr)
    try:
        tail = stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
    except OSError:
        tail = []
    if tail and "--job-timeout" in tail[0]:
        return Ending("timeout", "refvmm did not stop within its --timeout; the nested launcher killed it")
    return Ending("host-error", "the nested launcher has no result for this job")


def judge_job(out: Path, job: Job, manifest: TestsManifest, images_dir: Path) -> dict:
    """{"ending", "verified", "tests": {name: status}} of one job's boot."""
    ending = job_ending(out, job)
    selected = [t for t in manifest.tests if t.image == job.image.name]
    evidence = EvidenceContext(job.nonce, image_key(images_dir / job.image.file))
    record, results = interpret_boot(job.image, out / f"{job.name}.serial", ending, manifest.by_name(), selected, evidence)
    ran = (out / f"{job.name}.status").exists() or ending.kind == "timeout"
    return {
        "ran": ran,  # False: the launcher has no result (the nested VM died), not the mutant's doing
        "ending": ending.kind,
        "verified": bool(record.evidence.get("verified")),
        "tests": {r.test: r.raw_status for r in results},
    }


def verdict(boots: dict[str, dict], baseline: dict[str, dict]) -> dict:
    """A mutant's status from its boots against the baseline's (module docstring)."""
    strong: list[str] = []
    weak: list[str] = []
    skips: list[str] = []
    for image, boot in sorted(boots.items()):
        base = baseline.get(image, {})
        if base.get("verified") and not boot["verified"]:
            strong.append(f"{image}: boot not verified ({boot['ending']})")
        for test, status in sorted(boot["tests"].items()):
            was = base.get("tests", {}).get(test)
            if status in BAD and status != was:
                (weak if status == "error" else strong).append(f"{test} {status}")
            elif status == "skip" and was == "pass":
                skips.append(test)
    status = "killed" if strong else "killed-error" if weak else "survived"
    return {"status": status, "evidence": (strong + weak)[:8], "pass_to_skip": skips}


def host_failed(boots: dict[str, dict]) -> bool:
    """True when the launcher gave no result for one of the boots. refvmm's
    own exit status 4 (it could not set the VM up) is a result: the runner
    would report every test of that boot as `error`."""
    return any(not b.get("ran", b["ending"] != "host-error") for b in boots.values())


def plan_batches(items: list[tuple[str, list[str]]], limit: int) -> list[list[tuple[str, list[str]]]]:
    """Group (owner, images) so that no batch has more than `limit` jobs
    (an owner with more images than `limit` gets a batch of its own)."""
    batches: list[list[tuple[str, list[str]]]] = []
    current: list[tuple[str, list[str]]] = []
    count = 0
    for owner, images in items:
        if current and count + len(images) > limit:
            batches.append(current)
            current, count = [], 0
        current.append((owner, images))
        count += len(images)
    if current:
        batches.append(current)
    return batches


# ---- results file ---------------------------------------------------------------------


def load_results(path: Path) -> dict:
    if not path.exists():
        return {"format": 1, "baseline": None, "mutants": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise EnvFailure(f"{path}: cannot read the results file: {e}") from None
    if not isinstance(data, dict) or data.get("format") != 1 or not isinstance(data.get("mutants"), dict):
        raise EnvFailure(f"{path}: not a results file of this tool (expected format 1 with a mutants object)")
    return data


def save_results(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def still_valid(entry: object, mutant: Mutant) -> bool:
    """A stored result applies to `mutant` only if it describes the same edit on
    the same line text."""
    return (
        isinstance(entry, dict)
        and entry.get("original") == mutant.original
        and entry.get("replacement") == mutant.replacement
        and entry.get("context") == mutant.context
    )


def entry_for(mutant: Mutant, **fields: object) -> dict:
    return {"file": mutant.file, "op": mutant.op, "line": mutant.line, "original": mutant.original,
            "replacement": mutant.replacement, "context": mutant.context, "describe": mutant.describe(),
            **fields}  # fmt: skip


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
