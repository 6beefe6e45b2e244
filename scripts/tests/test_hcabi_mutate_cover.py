"""Tests of hcabi_mutate's coverage-guided selection and stop-at-first-kill
rounds, with a fabricated coverage map and fabricated boots (no build, no
nested boot): which images a mutant boots and in which order, "not
reached", the guest wrapper's transport of .gcda files, the cache key, the
batch plan, and the score with not-reached mutants."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from harness_testlib import SCRIPTS  # first: it puts the package roots on sys.path

ROOT = SCRIPTS.parent

from hcabi_mutate import report  # noqa: E402
from hcabi_mutate import cover  # noqa: E402
from hcabi_mutate import rounds  # noqa: E402
from hcabi_mutate import run as R  # noqa: E402

F = "reference-impl/core/ext_ipi.c"


def fabricated() -> dict:
    """ext_ipi.c: f() spans 10-20; line 12 run by ipi (50x) and base (2x),
    line 14 by vcpu only, line 16 by nothing, line 13 has no record (a
    continuation line); g() spans 30-35 and no image calls it."""
    cmap: dict = {}
    cover.merge_image(cmap, "ipi", {F: {"lines": {"10": 1, "12": 50, "14": 0, "16": 0, "30": 0}, "functions": [["f", 10, 20, 1], ["g", 30, 35, 0]]}})
    cover.merge_image(cmap, "base", {F: {"lines": {"10": 2, "12": 2, "14": 0, "16": 0, "30": 0}, "functions": [["f", 10, 20, 2], ["g", 30, 35, 0]]}})
    cover.merge_image(cmap, "vcpu", {F: {"lines": {"10": 1, "12": 0, "14": 3, "16": 0, "30": 0}, "functions": [["f", 10, 20, 1], ["g", 30, 35, 0]]}})
    return cmap


ALL = ["base", "ipi", "vcpu", "x86"]


def test_merge_keeps_every_instrumented_line_even_unexecuted() -> None:
    cmap = fabricated()
    assert cmap["files"][F]["lines"]["16"] == {}
    assert cmap["files"][F]["lines"]["12"] == {"ipi": 50, "base": 2}
    assert cmap["files"][F]["functions"]["g"] == [30, 35, {}]
    assert sorted(cmap["images"]) == ["base", "ipi", "vcpu"]


def test_a_line_boots_only_the_images_that_run_it_most_specific_first() -> None:
    c = cover.choose(fabricated(), F, 12, ALL)
    # ipi runs the line 50 times out of 51 line executions, base 2 of 6
    assert c == cover.Choice("reached", ("ipi", "base"), "f")
    assert cover.choose(fabricated(), F, 14, ALL) == cover.Choice("reached", ("vcpu",), "f")


def test_equal_specificity_goes_to_the_quicker_boot() -> None:
    cmap: dict = {}
    for img in ("a", "b"):
        cover.merge_image(cmap, img, {F: {"lines": {"5": 1}, "functions": [["h", 1, 9, 1]]}})
    assert cover.choose(cmap, F, 5, ["a", "b"], {"a": 9.0, "b": 2.0}).images == ("b", "a")


def test_a_line_no_image_runs_is_not_reached_with_its_function() -> None:
    assert cover.choose(fabricated(), F, 16, ALL) == cover.Choice("not-reached", (), "f")
    assert cover.choose(fabricated(), F, 30, ALL) == cover.Choice("not-reached", (), "g")
    # no record, inside g(): g is never called
    assert cover.choose(fabricated(), F, 33, ALL) == cover.Choice("not-reached", (), "g")


def test_a_line_without_a_record_takes_its_functions_images() -> None:
    c = cover.choose(fabricated(), F, 13, ALL)
    assert c.kind == "reached" and set(c.images) == {"ipi", "base", "vcpu"} and c.function == "f"


def test_candidates_limit_the_choice() -> None:
    assert cover.choose(fabricated(), F, 12, ["base", "x86"]) == cover.Choice("reached", ("base",), "f")
    # the only image that runs line 14 is not a candidate
    assert cover.choose(fabricated(), F, 14, ["base", "ipi"]).kind == "not-reached"


def test_without_a_record_every_candidate_boots() -> None:
    took = {"x86": 1.0, "base": 5.0, "ipi": 2.0, "vcpu": 3.0}
    assert cover.choose(None, F, 12, ALL, took) == cover.Choice("unknown", ("x86", "ipi", "vcpu", "base"))
    assert cover.choose(fabricated(), "reference-impl/core/core.c", 12, ALL).kind == "unknown"
    # a line outside every function (a table initializer)
    assert cover.choose(fabricated(), F, 50, ALL).kind == "unknown"


def test_innermost_function_wins() -> None:
    entry = {"functions": {"outer": [1, 100, {"a": 1}], "inner": [40, 60, {}]}, "lines": {}}
    assert cover.enclosing_function(entry, 50) == ("inner", {})
    assert cover.enclosing_function(entry, 70) == ("outer", {"a": 1})
    assert cover.enclosing_function(entry, 200) is None


def test_split_stderr_separates_refvmm_output_from_gcda_records() -> None:
    import base64

    blob = bytes(range(256)) * 3
    enc = base64.encodebytes(blob).decode()  # wrapped at 76 columns, like base64(1)
    text = f"refvmm: line 1\nrefvmm: last\n@@gcda /b/x.c.gcda\n{enc}@@gcda /b/y.c.gcda\nQUJD\n@@gcda-end\n"
    own, files = cover.split_stderr(text)
    assert own == "refvmm: line 1\nrefvmm: last"
    assert files == {"/b/x.c.gcda": blob, "/b/y.c.gcda": b"ABC"}
    # a record cut short (bad base64) is dropped, the others kept
    own, files = cover.split_stderr("x\n@@gcda /b/x.c.gcda\nQUJ\n@@gcda /b/y.c.gcda\nQUJD\n")
    assert own == "x" and files == {"/b/y.c.gcda": b"ABC"}


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("base64") is None, reason="needs sh and base64")
def test_guest_wrapper_sends_the_gcda_files_and_keeps_the_status(tmp_path: Path) -> None:
    fake = tmp_path / "refvmm"
    fake.write_text('#!/bin/sh\nmkdir -p "$GCOV_PREFIX/abs/obj"\nprintf "counts:%s" "$1" > "$GCOV_PREFIX/abs/obj/v.c.gcda"\n'
                    'echo "refvmm: the end" >&2\nexit 3\n')  # fmt: skip
    fake.chmod(0o755)
    r = subprocess.run(cover.guest_argv([str(fake), "arg1"]), cwd=tmp_path, capture_output=True, text=True, check=False)
    assert r.returncode == 3
    own, files = cover.split_stderr(r.stderr)
    assert own.strip() == "refvmm: the end"
    assert files == {"/abs/obj/v.c.gcda": b"counts:arg1"}


def test_cache_key_follows_the_sources_and_images(tmp_path: Path) -> None:
    (tmp_path / "reference-impl" / "core").mkdir(parents=True)
    src = tmp_path / "reference-impl" / "core" / "a.c"
    src.write_text("int a;\n")
    img = tmp_path / "i.elf"
    img.write_bytes(b"x")
    k = cover.source_key(tmp_path, [img])
    assert cover.source_key(tmp_path, [img]) == k
    src.write_text("int b;\n")
    k2 = cover.source_key(tmp_path, [img])
    assert k2 != k
    img.write_bytes(b"y")
    assert cover.source_key(tmp_path, [img]) != k2


def test_map_round_trips_and_a_broken_cache_is_ignored(tmp_path: Path) -> None:
    cover.save(tmp_path / "m.json.gz", fabricated())
    assert cover.load(tmp_path / "m.json.gz") == fabricated()
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    assert cover.load(tmp_path / "bad.json.gz") is None
    assert cover.load(tmp_path / "missing.json.gz") is None


# ---- rounds ------------------------------------------------------------------------------------


def pend(owner: str, images: list[str], order: int) -> rounds.Pending:
    return rounds.Pending(owner, list(images), order=order)


def test_first_batch_boots_every_mutants_best_image() -> None:
    active = [pend(f"m{i}", ["a", "b", "c"], i) for i in range(5)]
    assert rounds.next_batch(active, 3) == [("m0", ["a"]), ("m1", ["a"]), ("m2", ["a"])]
    active[0].boots = {"a": {}}
    active[0].images = ["b", "c"]
    # the mutants that booted least go first
    assert [o for o, _ in rounds.next_batch(active, 4)] == ["m1", "m2", "m3", "m4"]


def test_few_active_mutants_fill_the_batch_with_several_images_each() -> None:
    active = [pend("m0", ["a", "b", "c", "d"], 0), pend("m1", ["a", "b"], 1)]
    assert rounds.next_batch(active, 4) == [("m0", ["a", "b"]), ("m1", ["a", "b"])]
    assert rounds.next_batch(active, 1) == [("m0", ["a"])]
    assert rounds.next_batch([pend("m0", [], 0)], 4) == []


def simulate(images: dict[str, list[str]], kills: dict[str, str], limit: int) -> tuple[dict[str, str], Counter]:
    """Run the rounds with a fake boot: mutant X is killed by image kills[X]."""
    active = [pend(o, imgs, n) for n, (o, imgs) in enumerate(images.items())]
    result: dict[str, str] = {}
    boots: Counter = Counter()
    while active:
        batch = rounds.next_batch(active, limit)
        assert 0 < sum(len(i) for _, i in batch) <= limit
        still = []
        for p in active:
            got = {i: {"tests": {"T": "fail" if kills.get(p.owner) == i else "pass"}} for o, imgs in batch if o == p.owner for i in imgs}
            boots[p.owner] += len(got)
            v = rounds.settle(p, got, lambda bs: {"status": "killed" if any(b["tests"]["T"] == "fail" for b in bs.values()) else "survived"}) if got else None
            if v is None:
                still.append(p)
            else:
                result[p.owner] = v["status"]
        active = still
    return result, boots


def test_killed_mutants_stop_survivors_boot_everything() -> None:
    images = {f"m{i}": ["a", "b", "c"] for i in range(6)}
    result, boots = simulate(images, {"m0": "a", "m1": "b", "m2": "c"}, 6)
    assert result == {"m0": "killed", "m1": "killed", "m2": "killed", "m3": "survived", "m4": "survived", "m5": "survived"}
    assert boots == Counter({"m0": 1, "m1": 2, "m2": 3, "m3": 3, "m4": 3, "m5": 3})


def test_killed_error_goes_on_to_the_next_image() -> None:
    p = pend("m", ["a", "b"], 0)

    def verdict(bs: dict) -> dict:
        return R.verdict(bs, {"a": {"verified": True, "tests": {"T": "pass"}}, "b": {"verified": True, "tests": {"U": "pass"}}})

    assert rounds.settle(p, {"a": {"ending": "exit", "verified": True, "tests": {"T": "error"}}}, verdict) is None
    v = rounds.settle(p, {"b": {"ending": "exit", "verified": True, "tests": {"U": "fail"}}}, verdict)
    assert v is not None and v["status"] == "killed" and set(p.boots) == {"a", "b"}


# ---- the score ---------------------------------------------------------------------------------


def test_not_reached_counts_against_the_score_and_is_listed_by_function() -> None:
    data = {"mutants": {
        "f.c:1:ror:0": {"file": "f.c", "op": "ror", "status": "killed", "describe": "x"},
        "f.c:2:ror:0": {"file": "f.c", "op": "ror", "status": "not-reached", "function": "g", "describe": "x"},
        "f.c:3:obo:0": {"file": "f.c", "op": "obo", "status": "not-reached", "function": "g", "describe": "x"},
        "f.c:4:obo:0": {"file": "f.c", "op": "obo", "status": "stillborn", "describe": "x"},
    }}  # fmt: skip
    out = report.table(data)
    assert "| f.c | 1 | 0 | 0 | 2 | 1 | 0 | 33.3% |" in out
    assert "- f.c `g`: 2: 2:ror:0, 3:obo:0" in out
    assert report.score(Counter({"not-reached": 1})) == "0.0%"


# ---- the boots' arguments ----------------------------------------------------------------------


def test_boots_take_the_runners_arguments_with_console_input(tmp_path: Path) -> None:
    from hcabi_conform.evidence import console_input
    from hcabi_conform.manifests import ImageSpec

    img = ImageSpec("console", "hcabi-conf-console.elf", 2, 64, "exit")
    nested = R.Nested(tmp_path / "launcher", tmp_path, None, tmp_path / "images", None, 30.0, {"console": 2.0})
    nested._keys["console"] = b"k" * 32  # no real image here
    job = R.Job("j000.console", "m", img, tmp_path / "refvmm")
    argv = nested.argv(job, tmp_path)
    assert argv[0] == str(tmp_path / "refvmm") and argv[-1] == str(tmp_path / "images" / "hcabi-conf-console.elf")
    assert argv[argv.index("--timeout") + 1] == "11"  # 3 x the baseline's 2 s + 5
    assert f"--console-input={tmp_path / 'j000.console.console-in'}" in argv
    assert (tmp_path / "j000.console.console-in").read_bytes() == console_input(b"k" * 32, job.nonce)
    cmdline = argv[argv.index("--cmdline") + 1]
    assert job.nonce in cmdline and "--serial-limit" in argv and "--no-reboot" in argv
    cov = R.Job("cov.console", "coverage", img, tmp_path / "refvmm", coverage=True)
    wrapped = nested.argv(cov, tmp_path)
    assert wrapped[:4] == ["sh", "-c", cover.GUEST_SCRIPT, "sh"] and wrapped[4] == str(tmp_path / "refvmm")
    assert wrapped[wrapped.index("--timeout") + 1] == "30"  # the coverage build is not held to the baseline's times


def test_a_cheap_boot_goes_first_unless_the_other_is_much_more_specific() -> None:
    cmap: dict = {}
    # "big" spends 1/2 of its executions of the file on line 5, "small" 1/4
    cover.merge_image(cmap, "big", {F: {"lines": {"5": 1, "6": 1}, "functions": [["h", 1, 9, 1]]}})
    cover.merge_image(cmap, "small", {F: {"lines": {"5": 1, "6": 3}, "functions": [["h", 1, 9, 1]]}})
    assert cover.choose(cmap, F, 5, ["big", "small"], {"big": 10.0, "small": 0.5}).images == ("small", "big")
    assert cover.choose(cmap, F, 5, ["big", "small"], {"big": 1.0, "small": 0.5}).images == ("big", "small")


def test_the_images_digest_follows_every_image(tmp_path: Path) -> None:
    from hcabi_conform.manifests import ImageSpec

    class M:
        images = {n: ImageSpec(n, f"{n}.elf", 1, 64, "exit") for n in ("a", "b")}

    (tmp_path / "a.elf").write_bytes(b"1")
    (tmp_path / "b.elf").write_bytes(b"2")
    d = R.images_digest(tmp_path, M())  # type: ignore[arg-type]
    assert R.images_digest(tmp_path, M()) == d  # type: ignore[arg-type]
    (tmp_path / "b.elf").write_bytes(b"3")
    assert R.images_digest(tmp_path, M()) != d  # type: ignore[arg-type]


# ---- two nested launchers at once ------------------------------------------------------------


def test_jobs_split_by_the_baselines_times() -> None:
    from hcabi_conform.manifests import ImageSpec

    imgs = {n: ImageSpec(n, f"{n}.elf", 1, 64, "exit") for n in ("vcpu", "time", "base", "tlb")}
    jobs = [R.Job(f"j{i}.{n}", "m", imgs[n], Path("r")) for i, n in enumerate(("base", "vcpu", "tlb", "time"))]
    took = {"vcpu": 8.0, "time": 6.0, "base": 2.0, "tlb": 1.0}
    groups = R.split_jobs(jobs, 2, took)
    # longest first onto the lighter group: vcpu, time, base (onto time's), tlb; each group in the jobs' order
    assert [[j.image.name for j in g] for g in groups] == [["vcpu", "tlb"], ["base", "time"]]
    assert R.split_jobs(jobs, 1, took) == [jobs] and len(R.split_jobs(jobs[:1], 2, took)) == 1


def test_parallel_launchers_leave_every_jobs_files_in_one_folder(tmp_path: Path) -> None:
    from hcabi_conform.manifests import ImageSpec

    # A stand-in launcher: for each job of its job file, NAME.serial and NAME.status in its --out.
    launcher = tmp_path / "launcher"
    launcher.write_text(
        "import pathlib, sys\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\n"
        "for line in pathlib.Path(sys.argv[-1]).read_text().splitlines():\n"
        "    name = line.split('\\t')[0]\n"
        "    (out / (name + '.serial')).write_text('serial of ' + name)\n"
        "    (out / (name + '.status')).write_text('0')\n"
        "    print(f'hcabi-nested: {name}: status 0 (1.5 s)')\n"
    )
    (tmp_path / "images").mkdir()
    imgs = {n: ImageSpec(n, f"{n}.elf", 1, 64, "exit") for n in ("a", "b", "c")}
    for img in imgs.values():
        (tmp_path / "images" / img.file).write_bytes(b"\x7fELF")
    nested = R.Nested(launcher, tmp_path, None, tmp_path / "images", None, 30.0, {"a": 3.0, "b": 2.0, "c": 1.0}, parallel=2)
    nested._keys.update({n: b"k" * 32 for n in imgs})  # no real images here
    jobs = [R.Job(f"j{i}.{n}", "m", imgs[n], tmp_path / "refvmm") for i, n in enumerate(imgs)]
    out = tmp_path / "out"
    log = nested.run(jobs, out)
    for job in jobs:
        assert (out / f"{job.name}.serial").read_text() == f"serial of {job.name}"
        assert R.job_ending(out, job).kind != "host-error"
    assert sorted(R.durations(log)) == ["j0.a", "j1.b", "j2.c"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["nested-0", "nested-1"]


# ---- a baseline booted again elsewhere ---------------------------------------------------------


def test_unfinished_boots_survive_a_rebuilt_binary_only_when_the_baseline_judges_alike() -> None:
    from hcabi_mutate import execute as E

    old = {"boot_args": R.BOOT_ARGS, "images_digest": "d", "config": "default", "sha256": "a",
           "images": {"base": {"verified": True, "seconds": 3.0, "tests": {"BASE.x": "pass"}}}}  # fmt: skip
    assert E.same_inputs(old, "d", "s", "default")
    assert not E.same_inputs(old, "other images", "s", "default") and not E.same_inputs(old, "d", "s", "core")
    assert not E.same_inputs({**old, "boot_args": R.BOOT_ARGS - 1}, "d", "s", "default") and not E.same_inputs(None, "d", "s", "default")
    # another build of the same sources: image files differ (each build's evidence key), sources do not
    assert E.same_inputs({**old, "images_source": "s"}, "other images", "s", "default")
    assert not E.same_inputs({**old, "images_source": "s"}, "other images", "changed sources", "default")
    # boot times differ from run to run; what each test said must not
    new = {**old, "sha256": "b", "images": {"base": {"verified": True, "seconds": 4.5, "tests": {"BASE.x": "pass"}}}}
    assert E.same_results(old, new)
    assert not E.same_results(old, {**new, "images": {"base": {"verified": True, "tests": {"BASE.x": "fail"}}}})
    assert not E.same_results(old, {**new, "images": {"base": {"verified": False, "tests": {"BASE.x": "pass"}}}})


def test_the_images_source_digest_follows_the_sources_not_the_build(tmp_path: Path) -> None:
    (tmp_path / "conformance" / "tests").mkdir(parents=True)
    (tmp_path / "spec" / "registry").mkdir(parents=True)
    (tmp_path / "conformance" / "tests" / "t.c").write_text("int x;")
    (tmp_path / "spec" / "registry" / "r.toml").write_text("a = 1")
    (tmp_path / "abi.h").write_text("#define A 1")
    first = R.images_source_digest(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "img.elf").write_bytes(b"another key")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "results.json").write_text("{}")
    assert R.images_source_digest(tmp_path) == first
    (tmp_path / "conformance" / "tests" / "t.c").write_text("int y;")
    assert R.images_source_digest(tmp_path) != first
