"""hcabi-mutate: mutation testing of the reference implementation against the
conformance suite (docs/mutation.md).

    python3 scripts/hcabi_mutate [--list] [--files GLOB]... [--only ID]...
        [--max N] [--sample N] [--jobs-per-batch N] [--lock FILE] ...

Exit status: 0 done (whatever the score), 2 usage, 4 environment.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

from hcabi_load import Parser, run_main

from . import gen
from . import run as R

PROG = "hcabi-mutate"
DEFAULT_FILES = ("reference-impl/core/*.c", "reference-impl/refvmm/src/*.c")
STATUSES = ("killed", "killed-error", "survived", "stillborn", "identical")


def parse_args(argv: Optional[list[str]]) -> object:
    here = Path(__file__).resolve().parent.parent.parent
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, default=here, help="source tree (default: this script's checkout)")
    p.add_argument("--build-dir", type=Path, help="build with the images, tests.json and the nested probe (default: SOURCE/build)")
    p.add_argument("--work", type=Path, help="scratch directory: source copy, build, binaries, logs (default: BUILD/mutation)")
    p.add_argument("--results", type=Path, help="results JSON, resumed from (default: WORK/results.json)")
    p.add_argument("--files", action="append", default=[], metavar="GLOB", help="files to mutate, relative to SOURCE (repeatable)")
    p.add_argument("--ops", default=",".join(gen.OPERATORS), help="operators, comma-separated")
    p.add_argument("--only", action="append", default=[], metavar="ID", help="run this mutant (again), whatever the results hold")
    p.add_argument("--max", type=int, help="at most N mutants that have no result yet")
    p.add_argument("--sample", type=int, help="N mutants spread evenly over the selection (deterministic)")
    p.add_argument("--list", action="store_true", help="print the mutants (ID and edit) and exit")
    p.add_argument("--report", action="store_true", help="print the table of the results file and exit")
    p.add_argument("--jobs-per-batch", type=int, default=30, help="refvmm boots per nested launcher invocation (default 30)")
    p.add_argument("--shared-images", help="comma-separated images for the files every call goes through (all but core/ext_*.c; default: every image)")
    p.add_argument("--lock", type=Path, help="flock this file around each nested boot (none by default)")
    p.add_argument("--timeout", type=float, default=30.0, help="refvmm --timeout per boot, seconds (default 30)")
    p.add_argument("--cache", type=Path, help="nested kernel cache (default: $HCABI_NESTED_CACHE, else BUILD/nested-cache)")
    a = p.parse_args(argv)
    if a.jobs_per_batch < 1 or (a.max is not None and a.max < 0) or (a.sample is not None and a.sample < 1) or a.timeout <= 0:
        p.error("--jobs-per-batch, --sample and --timeout must be positive, --max not negative")
    bad = [o for o in a.ops.split(",") if o not in gen.OPERATORS]
    if bad:
        p.error(f"--ops: unknown operator {bad[0]!r} (known: {', '.join(gen.OPERATORS)})")
    a.build_dir = a.build_dir or a.source / "build"
    a.work = a.work or a.build_dir / "mutation"
    a.results = a.results or a.work / "results.json"
    env_cache = os.environ.get("HCABI_NESTED_CACHE")
    a.cache = a.cache or (Path(env_cache) if env_cache else a.build_dir / "nested-cache")
    return a


def select_files(source: Path, globs: list[str]) -> list[str]:
    rels = sorted({p.relative_to(source).as_posix() for g in DEFAULT_FILES for p in source.glob(g)})
    if globs:
        rels = [r for r in rels if any(fnmatch.fnmatchcase(r, g) or fnmatch.fnmatchcase(Path(r).name, g) for g in globs)]
        if not rels:
            raise UsageFailure(f"--files {' '.join(globs)}: matches none of {', '.join(DEFAULT_FILES)}")
    return rels


def select(mutants: list[gen.Mutant], a: object, done: dict) -> list[gen.Mutant]:
    ops = set(a.ops.split(","))
    chosen = [m for m in mutants if m.op in ops]
    if a.only:
        by_id = {m.id: m for m in mutants}
        missing = [i for i in a.only if i not in by_id]
        if missing:
            raise UsageFailure(f"--only {missing[0]}: no such mutant (see --list)")
        return [by_id[i] for i in a.only]
    if a.sample:
        step = max(1, len(chosen) / a.sample)
        chosen = [chosen[int(k * step)] for k in range(min(a.sample, len(chosen)))]
    if a.list:
        return chosen
    unjudged = [m for m in chosen if not R.still_valid(done.get(m.id), m)]
    return unjudged[: a.max] if a.max is not None else unjudged


class UsageFailure(Exception):
    pass


def table(data: dict, mutants_ids: Optional[set[str]] = None) -> str:
    rows: dict[str, Counter] = {}
    ops: dict[str, Counter] = {}
    for mid, e in sorted(data["mutants"].items()):
        if mutants_ids is not None and mid not in mutants_ids:
            continue
        rows.setdefault(e["file"], Counter())[e["status"]] += 1
        ops.setdefault(e["op"], Counter())[e["status"]] += 1
    lines = []
    for title, groups in (("file", rows), ("operator", ops)):
        lines.append(f"| {title} | " + " | ".join(STATUSES) + " | score |")
        lines.append("| --- " * (len(STATUSES) + 2) + "|")
        total: Counter = Counter()
        for name, c in sorted(groups.items()):
            total += c
            lines.append(f"| {name} | " + " | ".join(str(c[s]) for s in STATUSES) + f" | {score(c)} |")
        lines.append("| **all** | " + " | ".join(str(total[s]) for s in STATUSES) + f" | {score(total)} |")
        lines.append("")
    survivors = [(mid, e) for mid, e in sorted(data["mutants"].items()) if e["status"] == "survived"]
    if survivors:
        lines.append("Survivors:")
        lines += [f"- `{mid}` {e['describe']}" + (f" [pass->skip: {', '.join(e['pass_to_skip'])}]" if e.get("pass_to_skip") else "") for mid, e in survivors]
    return "\n".join(lines)


def score(c: Counter) -> str:
    """Killed (either kind) over killed + survived; stillborn and
    identical-binary mutants are not in the denominator."""
    judged = c["killed"] + c["killed-error"] + c["survived"]
    return f"{100 * (c['killed'] + c['killed-error']) / judged:.1f}%" if judged else "-"


def main(argv: Optional[list[str]] = None) -> int:
    a = parse_args(argv)
    try:
        return _main(a)
    except UsageFailure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except R.EnvFailure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 4


def _main(a: object) -> int:
    source: Path = a.source
    req_path = source / "spec" / "generated" / "requirements.json"
    try:
        requirements = json.loads(req_path.read_text(encoding="utf-8"))
        files = select_files(source, a.files)
        mutants = gen.generate(source, files, requirements)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise R.EnvFailure(f"{req_path} or a source file: cannot read: {e}") from None
    if a.report:
        print(table(R.load_results(a.results)))
        return 0
    data = R.load_results(a.results) if not a.list else {"mutants": {}}
    chosen = select(mutants, a, data["mutants"])
    if a.list:
        for m in chosen:
            print(f"{m.id}\t{m.describe()}")
        print(f"{len(chosen)} mutant(s) of {len(files)} file(s)", file=sys.stderr)
        return 0
    return execute(a, chosen, data)


def execute(a: object, chosen: list[gen.Mutant], data: dict) -> int:
    from hcabi_conform.manifests import load_tests

    images_dir = a.build_dir / "conformance" / "images"
    try:
        manifest = load_tests(a.build_dir / "conformance" / "tests.json")
    except Exception as e:  # noqa: BLE001 - the runner's loader raises its own one-line errors
        raise R.EnvFailure(f"{a.build_dir / 'conformance' / 'tests.json'}: {e}") from None
    shared = a.shared_images.split(",") if a.shared_images else None
    unknown = [i for i in shared or [] if i not in manifest.images]
    if unknown:
        raise UsageFailure(f"--shared-images: no image {unknown[0]!r} in {manifest.path}")
    a.work.mkdir(parents=True, exist_ok=True)
    scratch = R.Scratch(a.work)
    print(f"{PROG}: {len(chosen)} mutant(s) to run; preparing the scratch build in {scratch.build}", file=sys.stderr)
    scratch.prepare(a.source)
    original = a.work / "bin" / "original" / "hcabi-refvmm"
    original.parent.mkdir(parents=True, exist_ok=True)
    R.shutil.copy2(scratch.binary, original)
    original_sha = R.sha256(original)
    probe = a.build_dir / "scripts" / "hcabi-nested-probe"
    nested = R.Nested(a.source / "scripts" / "hcabi-nested", a.cache, shlex.join([str(probe), "--hold"]) if probe.is_file() else None,
                      images_dir, a.lock, a.timeout)  # fmt: skip
    # Build every mutant first (seconds each); only the built ones boot.
    pending: list[tuple[gen.Mutant, R.Path, list[str]]] = []
    started = R.time.monotonic()
    for n, m in enumerate(chosen, 1):
        binary = a.work / "bin" / f"m{n:04d}" / "hcabi-refvmm"
        status, built = R.build_mutant(scratch, m, binary)
        if status == "stillborn":
            data["mutants"][m.id] = R.entry_for(m, status="stillborn", when=R.now())
        elif R.sha256(binary) == original_sha:
            data["mutants"][m.id] = R.entry_for(m, status="identical", when=R.now())
            binary.unlink()
        else:
            pending.append((m, binary, R.relevant_images(m.file, a.source, manifest, shared)))
        print(f"{PROG}: [{n}/{len(chosen)}] {m.id}: {status if status == 'stillborn' else data['mutants'].get(m.id, {}).get('status', 'built')}", file=sys.stderr)
    R.save_results(a.results, data)
    print(f"{PROG}: built {len(chosen)} mutant(s) in {R.time.monotonic() - started:.0f} s", file=sys.stderr)
    base = data.get("baseline")
    need_baseline = not (isinstance(base, dict) and base.get("sha256") == original_sha)
    if not need_baseline:
        nested.took = {i: b["seconds"] for i, b in base["images"].items() if "seconds" in b}
    items = ([("baseline", sorted(manifest.images))] if need_baseline else []) + [(m.id, imgs) for m, _, imgs in pending]
    binaries = {m.id: b for m, b, _ in pending}
    binaries["baseline"] = original
    by_id = {m.id: m for m, _, _ in pending}
    for k, batch in enumerate(R.plan_batches(items, a.jobs_per_batch)):
        jobs = [R.Job(f"j{i:03d}.{img}", owner, manifest.images[img], binaries[owner])
                for i, (owner, imgs) in enumerate(batch) for img in imgs]  # fmt: skip
        out = a.work / "batches" / f"{R.now().replace(':', '')}-{k}"
        print(f"{PROG}: nested batch {k + 1}: {len(batch)} owner(s), {len(jobs)} boot(s) -> {out}", file=sys.stderr, flush=True)
        took = R.durations(nested.run(jobs, out))
        boots: dict[str, dict[str, dict]] = {}
        for job in jobs:
            boot = boots.setdefault(job.owner, {})[job.image.name] = R.judge_job(out, job, manifest, images_dir)
            if job.name in took:
                boot["seconds"] = took[job.name]
        if "baseline" in boots:
            if R.host_failed(boots["baseline"]):
                raise R.EnvFailure(f"the baseline batch did not run (see {out / 'launcher.log'})")
            data["baseline"] = {"sha256": original_sha, "images": boots.pop("baseline"), "when": R.now()}
            nested.took = {i: b["seconds"] for i, b in data["baseline"]["images"].items() if "seconds" in b}
            bad = [f"{t} {s}" for b in data["baseline"]["images"].values() for t, s in b["tests"].items() if s in R.BAD]
            if bad:
                print(f"{PROG}: warning: the unmutated refvmm already has {', '.join(bad)}; those do not count as kills", file=sys.stderr)
        for owner, owner_boots in boots.items():
            m = by_id[owner]
            if R.host_failed(owner_boots):
                print(f"{PROG}: {owner}: the launcher gave no result; left for the next run", file=sys.stderr)
                continue
            v = R.verdict(owner_boots, data["baseline"]["images"])
            data["mutants"][owner] = R.entry_for(m, images=sorted(owner_boots), when=R.now(), **v)
            print(f"{PROG}: {owner}: {v['status']}" + (f" ({v['evidence'][0]})" if v["evidence"] else ""), file=sys.stderr)
        R.save_results(a.results, data)
    ids = {m.id for m in chosen}
    print(table(data, ids))
    print(f"\nresults: {a.results}")
    return 0


def entry() -> int:
    return run_main(PROG, main)
