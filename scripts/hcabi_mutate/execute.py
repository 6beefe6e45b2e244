"""A run: build the mutants, get the coverage map, boot the baseline, then
boot the mutants' images in batches until each is killed or has booted all
of them (docs/mutation.md, "How it works")."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

from . import configs as C
from . import cover
from . import gen
from . import rounds
from . import run as R
from .report import UsageFailure, table

PROG = "hcabi-mutate"


def log(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def coverage_map(a: object, scratch: R.Scratch, manifest: object, nested: R.Nested, images_dir: Path) -> Optional[dict]:
    """The cached map for these sources, or a fresh one (one nested batch of
    the coverage build, one job per image). None with --no-coverage."""
    if a.no_coverage:
        return None
    files = [images_dir / manifest.images[i].file for i in sorted(manifest.images)]
    key = cover.source_key(scratch.src, files, C.coverage_salt(R.BOOT_ARGS, a.config))
    path = a.work / "coverage" / f"{key}.json.gz"
    cmap = cover.load(path)
    if cmap is not None and sorted(cmap.get("images", [])) == sorted(manifest.images):
        log(f"coverage map {path} (cached)")
        return cmap
    log(f"building refvmm with --coverage in {a.work / 'covbuild'}")
    try:
        binary = cover.configure_and_build(scratch.src, a.work / "covbuild", scratch.log)
    except RuntimeError as e:
        raise R.EnvFailure(str(e)) from None
    jobs = [R.Job(f"cov.{img}", "coverage", manifest.images[img], binary, coverage=True) for img in sorted(manifest.images)]
    out = a.work / "batches" / f"{R.now().replace(':', '')}-coverage-{a.config.name}"
    log(f"coverage batch: {len(jobs)} boot(s) -> {out}")
    nested.run(jobs, out)
    cmap = {"key": key, "images": [], "files": {}, "boots": {}}
    for job in jobs:
        err = out / f"{job.name}.stderr"
        if not (out / f"{job.name}.status").exists():
            raise R.EnvFailure(f"the coverage batch has no result for {job.image.name} (see {out / 'launcher.log'})")
        own, gcda = cover.split_stderr(err.read_text(encoding="utf-8", errors="replace"))
        err.write_text(own, encoding="utf-8")
        judged = R.judge_job(out, job, manifest, images_dir)
        bad = sorted(t for t, s in judged["tests"].items() if s in R.BAD)
        if not judged["verified"] or bad:
            log(f"warning: the coverage build's boot of {job.image.name} is not clean ({', '.join(bad) or judged['ending']})")
        if not gcda:
            raise R.EnvFailure(f"the coverage boot of {job.image.name} returned no .gcda data (see {err})")
        cover.merge_image(cmap, job.image.name, cover.read_gcov(a.work / "covbuild", gcda, scratch.src))
        cmap["boots"][job.image.name] = judged
    cover.save(path, cmap)
    log(f"coverage map {path}: {len(cmap['files'])} file(s)")
    return cmap


def load_manifest(a: object) -> object:
    from hcabi_conform.manifests import load_tests

    try:
        return load_tests(a.build_dir / "conformance" / "tests.json")
    except Exception as e:  # noqa: BLE001 - the runner's loader raises its own one-line errors
        raise R.EnvFailure(f"{a.build_dir / 'conformance' / 'tests.json'}: {e}") from None


def choice_for(m: gen.Mutant, a: object, manifest: object, shared: Optional[list[str]], cmap: Optional[dict], took: dict[str, float]) -> cover.Choice:
    choice = cover.choose(cmap, m.file, m.line, R.relevant_images(m.file, a.source, manifest, shared, cmap is not None), took)
    if choice.kind == "unknown":  # no line record: the images the file's name selects
        choice = cover.choose(None, m.file, m.line, R.relevant_images(m.file, a.source, manifest, shared), took)
    return choice


def plan(a: object, chosen: list[gen.Mutant], data: dict) -> str:
    """--plan: per file, the mutants without a result, how many no image
    reaches, and the seconds of refvmm boots of their first images (every
    mutant boots it) and of all of them (what survivors cost), from the
    cached map and the stored baseline's times; no build, no boot."""
    manifest = load_manifest(a)
    images_dir = a.build_dir / "conformance" / "images"
    shared = a.shared_images.split(",") if a.shared_images else None
    key = cover.source_key(a.source, [images_dir / manifest.images[i].file for i in sorted(manifest.images)], C.coverage_salt(R.BOOT_ARGS, a.config))
    cmap = None if a.no_coverage else cover.load(a.work / "coverage" / f"{key}.json.gz")
    base = data.get("baseline") or {}
    took = {i: b["seconds"] for i, b in base.get("images", {}).items() if "seconds" in b}
    rows: dict[str, list[float]] = {}
    for m in chosen:
        c = choice_for(m, a, manifest, shared, cmap, took)
        r = rows.setdefault(m.file, [0, 0, 0.0, 0.0])
        r[0] += 1
        if c.kind == "not-reached":
            r[1] += 1
        elif c.images:
            r[2] += took.get(c.images[0], 0.0)
            r[3] += sum(took.get(i, 0.0) for i in c.images)
    lines = ["coverage map: " + ("none (--no-coverage, or not built yet: a run builds it)" if cmap is None else f"{key}"),
             "baseline times: " + ("none yet (seconds below are 0)" if not took else f"{len(took)} image(s)"),
             "| file | mutants | not reached | first images, s | all images, s |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
    total = [0, 0, 0.0, 0.0]
    for f, r in sorted(rows.items()):
        total = [x + y for x, y in zip(total, r)]
        lines.append(f"| {f} | {r[0]} | {r[1]} | {r[2]:.0f} | {r[3]:.0f} |")
    lines.append(f"| **all** | {total[0]} | {total[1]} | {total[2]:.0f} | {total[3]:.0f} |")
    return "\n".join(lines)


def execute(a: object, chosen: list[gen.Mutant], data: dict) -> int:
    images_dir = a.build_dir / "conformance" / "images"
    manifest = load_manifest(a)
    shared = a.shared_images.split(",") if a.shared_images else None
    unknown = [i for i in shared or [] if i not in manifest.images]
    if unknown:
        raise UsageFailure(f"--shared-images: no image {unknown[0]!r} in {manifest.path}")
    data["config"] = a.config.name
    a.work.mkdir(parents=True, exist_ok=True)
    scratch = R.Scratch(a.work)
    log(f"{len(chosen)} mutant(s) to run; preparing the scratch build in {scratch.build}")
    scratch.prepare(a.source)
    original = a.work / "bin" / "original" / "hcabi-refvmm"
    original.parent.mkdir(parents=True, exist_ok=True)
    R.shutil.copy2(scratch.binary, original)
    original_sha = R.sha256(original)
    probe = a.build_dir / "scripts" / "hcabi-nested-probe"
    nested = R.Nested(a.source / "scripts" / "hcabi-nested", a.cache, shlex.join([str(probe), "--hold"]) if probe.is_file() else None,
                      images_dir, a.lock, a.timeout, config=a.config, parallel=a.parallel)  # fmt: skip
    cmap = coverage_map(a, scratch, manifest, nested, images_dir) if chosen else None
    base = data.get("baseline")
    digest = R.images_digest(images_dir, manifest)
    sources = R.images_source_digest(a.source)
    base_ok = (isinstance(base, dict) and base.get("sha256") == original_sha and base.get("boot_args") == R.BOOT_ARGS
               and base.get("images_digest") == digest and base.get("config", "default") == a.config.name)  # fmt: skip
    if base_ok:
        nested.took = {i: b["seconds"] for i, b in base["images"].items() if "seconds" in b}
    elif chosen and data.get("partial") and same_inputs(base, digest, sources, a.config.name):
        # Only the build differs (another folder or machine: refvmm's paths
        # are in its debug information, each image has an evidence key of its
        # own), not the sources. Boot the baseline first:
        # if it judges every image as the stored one did, the boots of
        # unfinished mutants were judged against the same results and stay.
        boot_baseline(a, nested, manifest, images_dir, original, original_sha, data)
        data["baseline"]["images_digest"], data["baseline"]["images_source"] = digest, sources
        base_ok = same_results(base, data["baseline"])
        log("the new baseline judges every image as the stored one: unfinished mutants keep their boots" if base_ok
            else "the new baseline differs from the stored one: unfinished mutants boot again")  # fmt: skip
        if not base_ok:
            data["partial"] = {}
            base_ok = True  # the baseline just booted is the one to judge by
        R.save_results(a.results, data)
    else:  # boots of unfinished mutants were made with other images or another baseline
        data["partial"] = {}
    # Which images, before building: a mutant nothing reaches is not built.
    plans: list[tuple[gen.Mutant, cover.Choice]] = []
    for m in chosen:
        choice = choice_for(m, a, manifest, shared, cmap, nested.took)
        if choice.kind == "not-reached":
            data["mutants"][m.id] = R.entry_for(m, status="not-reached", function=choice.function, when=R.now())
            data.get("partial", {}).pop(m.id, None)
        else:
            plans.append((m, choice))
    log(f"{len(chosen) - len(plans)} mutant(s) not reached by any image")
    # Build every reached mutant (seconds each); only the built ones boot.
    pending: list[rounds.Pending] = []
    binaries: dict[str, Path] = {"baseline": original}
    by_id: dict[str, gen.Mutant] = {}
    partial = data.setdefault("partial", {})
    started = R.time.monotonic()
    for n, (m, choice) in enumerate(plans, 1):
        binary = a.work / "bin" / f"m{n:04d}" / "hcabi-refvmm"
        status, _ = R.build_mutant(scratch, m, binary)
        if status == "stillborn":
            data["mutants"][m.id] = R.entry_for(m, status="stillborn", when=R.now())
        elif R.sha256(binary) == original_sha:
            data["mutants"][m.id] = R.entry_for(m, status="identical", when=R.now())
            binary.unlink()
        else:
            p = rounds.Pending(m.id, list(choice.images), order=n)
            old = partial.get(m.id)
            if R.still_valid(old, m):  # keep the boots of images still chosen, whatever their order now
                p.boots = {i: b for i, b in dict(old.get("boots", {})).items() if i in choice.images}
                p.images = [i for i in p.images if i not in p.boots]
            pending.append(p)
            binaries[m.id], by_id[m.id] = binary, m
            partial[m.id] = R.entry_for(m, coverage=choice.kind, function=choice.function, coverage_images=list(choice.images), boots=p.boots)
            status = f"built, {len(choice.images)} image(s) ({choice.kind})"
        log(f"[{n}/{len(plans)}] {m.id}: {data['mutants'][m.id]['status'] if m.id in data['mutants'] and m.id not in by_id else status}")
    R.save_results(a.results, data)
    log(f"built {len(plans)} mutant(s) in {R.time.monotonic() - started:.0f} s")
    if pending and not base_ok:
        boot_baseline(a, nested, manifest, images_dir, original, original_sha, data)
        data["baseline"]["images_digest"], data["baseline"]["images_source"] = digest, sources
        R.save_results(a.results, data)
    active = []
    for p in pending:
        if p.images:
            active.append(p)
        else:  # resumed with every image booted already
            record(p, R.verdict(p.boots, data["baseline"]["images"]), data, by_id)
    k = 0
    while active:
        batch = rounds.next_batch(active, a.jobs_per_batch)
        k += 1
        jobs = [R.Job(f"j{i:03d}.{img}", owner, manifest.images[img], binaries[owner])
                for i, (owner, imgs) in enumerate(batch) for img in imgs]  # fmt: skip
        out = a.work / "batches" / f"{R.now().replace(':', '')}-{k}"
        log(f"nested batch {k}: {len(batch)} mutant(s), {len(jobs)} boot(s), {len(active)} active -> {out}")
        took = R.durations(nested.run(jobs, out))
        if R.images_digest(images_dir, manifest) != digest:
            raise R.EnvFailure(f"the images in {images_dir} changed during the run (rebuilt?): this batch is not judged; run again")
        boots: dict[str, dict[str, dict]] = {}
        for job in jobs:
            b = boots.setdefault(job.owner, {})[job.image.name] = R.judge_job(out, job, manifest, images_dir)
            if job.name in took:
                b["seconds"] = took[job.name]
        if all(R.host_failed({i: b}) for ob in boots.values() for i, b in ob.items()):
            raise R.EnvFailure(f"the nested batch gave no result at all (see {out / 'launcher.log'})")
        still = []
        for p in active:
            got = {i: b for i, b in boots.get(p.owner, {}).items() if not R.host_failed({i: b})}
            lost = [i for i, b in boots.get(p.owner, {}).items() if R.host_failed({i: b})]
            if lost:
                log(f"{p.owner}: no launcher result for {', '.join(lost)}; booted again later")
            if not got:
                still.append(p)
                continue
            v = rounds.settle(p, got, lambda bs: R.verdict(bs, data["baseline"]["images"]))
            partial[p.owner]["boots"] = p.boots
            if v is None:
                still.append(p)
            else:
                record(p, v, data, by_id)
        active = still
        R.save_results(a.results, data)
    R.save_results(a.results, data)
    print(table(data, {m.id for m in chosen}))
    print(f"\nresults: {a.results}")
    return 0


def same_inputs(base: object, digest: str, sources: str, config: str) -> bool:
    """A stored baseline of the same images (these files, or a build of the
    same sources), boot arguments and configuration."""
    same_images = base.get("images_digest") == digest or base.get("images_source") == sources if isinstance(base, dict) else False
    return (same_images and base.get("boot_args") == R.BOOT_ARGS
            and base.get("config", "default") == config and isinstance(base.get("images"), dict))  # fmt: skip


def same_results(old: dict, new: dict) -> bool:
    """Every image judged alike: the same tests with the same statuses, and
    the same verified evidence (boot times aside)."""
    def judged(base: dict) -> dict:
        return {i: (b.get("verified"), b.get("tests")) for i, b in base.get("images", {}).items()}

    return judged(old) == judged(new)


def record(p: rounds.Pending, v: dict, data: dict, by_id: dict[str, gen.Mutant]) -> None:
    m = by_id[p.owner]
    old = data["partial"].pop(p.owner, {})
    data["mutants"][p.owner] = R.entry_for(m, images=sorted(p.boots), when=R.now(), coverage=old.get("coverage"),
                                           function=old.get("function", ""), **v)  # fmt: skip
    log(f"{p.owner}: {v['status']} after {len(p.boots)} image(s)" + (f" ({v['evidence'][0]})" if v["evidence"] else ""))


def boot_baseline(a: object, nested: R.Nested, manifest: object, images_dir: Path, original: Path, sha: str, data: dict) -> None:
    jobs = [R.Job(f"b.{img}", "baseline", manifest.images[img], original) for img in sorted(manifest.images)]
    out = a.work / "batches" / f"{R.now().replace(':', '')}-baseline"
    log(f"baseline batch: {len(jobs)} boot(s) -> {out}")
    took = R.durations(nested.run(jobs, out))
    boots = {}
    for job in jobs:
        boots[job.image.name] = R.judge_job(out, job, manifest, images_dir)
        if job.name in took:
            boots[job.image.name]["seconds"] = took[job.name]
    if R.host_failed(boots):
        raise R.EnvFailure(f"the baseline batch did not run (see {out / 'launcher.log'})")
    data["baseline"] = {"sha256": sha, "boot_args": R.BOOT_ARGS, "config": a.config.name, "images": boots, "when": R.now()}
    nested.took = {i: b["seconds"] for i, b in boots.items() if "seconds" in b}
    bad = [f"{t} {s}" for b in boots.values() for t, s in b["tests"].items() if s in R.BAD]
    if bad:
        log(f"warning: the unmutated refvmm already has {', '.join(bad)}; those do not count as kills")
    R.save_results(a.results, data)
