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
import sys
from pathlib import Path
from typing import Optional

from hcabi_load import Parser, run_main

from . import configs as C
from . import gen
from . import run as R
from .report import UsageFailure, table

PROG = "hcabi-mutate"
DEFAULT_FILES = ("reference-impl/core/*.c", "reference-impl/refvmm/src/*.c", "reference-impl/refvmm/src/arch/*/*.c")


def parse_args(argv: Optional[list[str]]) -> object:
    here = Path(__file__).resolve().parent.parent.parent
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, default=here, help="source tree (default: this script's checkout)")
    p.add_argument("--build-dir", type=Path, help="build with the images, tests.json and the nested probe (default: SOURCE/build)")
    p.add_argument("--work", type=Path, help="scratch directory: source copy, build, binaries, logs (default: BUILD/mutation)")
    p.add_argument("--results-dir", type=Path, help="where each configuration's results file lives, kept with the sources so that a run "
                   "on another machine resumes (default: SOURCE/docs/mutation-results)")
    p.add_argument("--results", type=Path, help="results JSON, resumed from (default: RESULTS_DIR/results.json, RESULTS_DIR/results-CONFIG.json)")
    p.add_argument("--config", choices=sorted(C.CONFIGS), default="default",
                   help="how refvmm boots the images: " + "; ".join(f"{c.name}: {c.why}" for c in C.CONFIGS.values()))
    p.add_argument("--files", action="append", default=[], metavar="GLOB", help="files to mutate, relative to SOURCE (repeatable)")
    p.add_argument("--ops", default=",".join(gen.OPERATORS), help="operators, comma-separated")
    p.add_argument("--only", action="append", default=[], metavar="ID", help="run this mutant (again), whatever the results hold")
    p.add_argument("--max", type=int, help="at most N mutants that have no result yet")
    p.add_argument("--sample", type=int, help="N mutants spread evenly over the selection (deterministic)")
    p.add_argument("--list", action="store_true", help="print the mutants (ID and edit) and exit")
    p.add_argument("--report", action="store_true", help="print the table of the results file and exit")
    p.add_argument("--plan", action="store_true", help="what a run of the selection would boot (cached coverage map, baseline times), no build or boot")
    p.add_argument("--jobs-per-batch", type=int, default=30, help="refvmm boots per nested launcher invocation (default 30)")
    p.add_argument("--shared-images", help="comma-separated images for the files every call goes through (all but core/ext_*.c; default: every image)")
    p.add_argument("--parallel", type=int, help="nested launchers at once, one CPU each (default: 2 on 2 or more CPUs, else 1)")
    p.add_argument("--lock", type=Path, help="flock this file around each nested boot (none by default)")
    p.add_argument("--timeout", type=float, default=30.0, help="refvmm --timeout per boot, seconds (default 30)")
    p.add_argument("--no-coverage", action="store_true", help="no coverage map: boot every image the file's name selects (the old rule)")
    p.add_argument("--cache", type=Path, help="nested kernel cache (default: $HCABI_NESTED_CACHE, else BUILD/nested-cache)")
    a = p.parse_args(argv)
    if a.parallel is None:
        a.parallel = max(1, min(2, len(os.sched_getaffinity(0))))
    if a.jobs_per_batch < 1 or a.parallel < 1 or (a.max is not None and a.max < 0) or (a.sample is not None and a.sample < 1) or a.timeout <= 0:
        p.error("--jobs-per-batch, --parallel, --sample and --timeout must be positive, --max not negative")
    bad = [o for o in a.ops.split(",") if o not in gen.OPERATORS]
    if bad:
        p.error(f"--ops: unknown operator {bad[0]!r} (known: {', '.join(gen.OPERATORS)})")
    # Absolute: the launcher runs in each batch's own directory.
    a.source = a.source.resolve()
    a.build_dir = (a.build_dir or a.source / "build").resolve()
    a.work = (a.work or a.build_dir / "mutation").resolve()
    a.explicit_results = a.results is not None
    a.config = C.CONFIGS[a.config]
    a.results_dir = (a.results_dir or a.source / "docs" / "mutation-results").resolve()
    a.results = (a.results or C.results_path(a.results_dir, a.config)).resolve()
    env_cache = os.environ.get("HCABI_NESTED_CACHE")
    a.cache = (a.cache or (Path(env_cache) if env_cache else a.build_dir / "nested-cache")).resolve()
    a.lock = a.lock.resolve() if a.lock else None
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
        print(report(a, mutants, files))
        return 0
    data = R.load_results(a.results) if not a.list else {"mutants": {}}
    made_with = data.get("config", "default")  # files from before configurations are the default's
    if a.results.exists() and made_with != a.config.name:
        raise UsageFailure(f"{a.results}: made with --config {made_with}, not {a.config.name} (give another --results)")
    chosen = select(mutants, a, data["mutants"])
    if a.list:
        for m in chosen:
            print(f"{m.id}\t{m.describe()}")
        print(f"{len(chosen)} mutant(s) of {len(files)} file(s)", file=sys.stderr)
        return 0
    if a.plan:
        from .execute import plan

        print(plan(a, chosen, data))
        return 0
    from .execute import execute

    return execute(a, chosen, data)


def report(a: object, mutants: list[gen.Mutant], files: list[str]) -> str:
    """--report: the table of the results of today's source only (a stored
    result of an edit that moved or changed is not a result for anything
    here), every configuration's results file in RESULTS_DIR combined unless
    --results names one."""
    ops = set(a.ops.split(","))
    chosen = [m for m in mutants if m.op in ops]
    if a.explicit_results:
        sources = {a.config.name: a.results}
    else:
        sources = {n: C.results_path(a.results_dir, c) for n, c in C.CONFIGS.items() if C.results_path(a.results_dir, c).exists()}
        sources = sources or {a.config.name: a.results}
    per_config = {}
    for name, path in sources.items():
        data = R.load_results(path)
        stored = data["mutants"]
        per_config[name] = {"mutants": {m.id: stored[m.id] for m in chosen if R.still_valid(stored.get(m.id), m)}}
    data = C.combine(per_config)
    valid = set(data["mutants"])
    lines = [table(data, valid)]
    if len(per_config) > 1:
        counts = ", ".join(f"{n}: {len(d['mutants'])}" for n, d in sorted(per_config.items()))
        lines.append(f"configurations combined (a mutant killed in any is killed): {counts}")
    lines.append(f"{len(valid)} of the selection's {len(chosen)} mutant(s) of {len(files)} file(s) have a result; "
                 f"{len(chosen) - len(valid)} not yet judged on this source")
    return "\n".join(lines)


def entry() -> int:
    return run_main(PROG, main)
