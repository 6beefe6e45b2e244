"""Nested batches of about equal time (balance.py), and the runner using the
previous run's report to make them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Suite, run_cli

from hcabi_conform import balance, targets

# the suite's images and their times inside the nested VM, one quiet run
# (16 images; the split by name order put 27.5 s in one batch, 16.2 s in the other)
MEASURED = {
    "base": 1.9, "batch": 1.7, "console": 1.4, "general": 2.2, "ipi": 8.0, "ipi-wide": 0.8, "mem": 1.3,
    "steal": 7.5, "system-crash": 0.1, "system-crash-code": 0.1, "system-reboot": 0.1, "system-shutdown": 0.6,
    "time": 7.7, "tlb": 1.5, "vcpu": 10.1, "x86": 4.3,
}  # fmt: skip


def loads(groups: list[list[int]], names: list[str], times: dict[str, float]) -> list[float]:
    return [sum(times[names[i]] for i in g) for g in groups]


def test_split_by_measured_times_is_within_a_few_percent_of_even() -> None:
    names = sorted(MEASURED)
    groups = balance.split(names, 2, MEASURED)
    assert sorted(i for g in groups for i in g) == list(range(len(names))), "every boot exactly once"
    assert all(g == sorted(g) for g in groups), "name order inside a batch"
    total = sum(MEASURED.values())
    assert max(loads(groups, names, MEASURED)) <= total / 2 * 1.03
    # dealing out by name order, as without times, is far worse here
    dealt = balance.split(names, 2, {})
    assert dealt == [list(range(0, 16, 2)), list(range(1, 16, 2))]
    assert max(loads(dealt, names, MEASURED)) > total / 2 * 1.2


def test_split_longest_first_to_the_least_loaded() -> None:
    names = ["a", "b", "c", "d", "e"]
    times = {"a": 9.0, "b": 5.0, "c": 4.0, "d": 1.0, "e": 0.1}
    # a -> 0; b -> 1; c -> 1 (5 < 9); d -> 0 (9 = 9, fewer boots); e -> 1
    assert balance.split(names, 2, times) == [[0, 3], [1, 2, 4]]


def test_split_untimed_image_counts_as_the_median() -> None:
    names = ["new", "a", "b", "c"]
    times = {"a": 10.0, "b": 1.0, "c": 2.0}  # median 2: "new" weighs like "c"
    groups = balance.split(names, 2, times)
    assert groups == [[1], [0, 2, 3]]


def test_split_edge_counts() -> None:
    assert balance.split(["a", "b"], 5, {"a": 1.0}) == [[0], [1]], "never more batches than boots"
    assert balance.split(["a", "b", "c"], 1, {"a": 1.0}) == [[0, 1, 2]]


def test_previous_times_reads_job_times_and_ignores_the_rest(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert balance.previous_times(report) == {}, "no report: no times"
    report.write_text("{not json")
    assert balance.previous_times(report) == {}
    report.write_text(json.dumps({"boots": [
        {"image": "base", "timing": {"batch": 0, "job": 1.5}},
        {"image": "direct", "timing": {"total": 3.0}},
        {"image": "bad", "timing": {"job": "1"}},
        {"image": "flag", "timing": {"job": True}},
        {"image": "negative", "timing": {"job": -1}},
        {"timing": {"job": 2.0}},
        "junk",
    ]}))  # fmt: skip
    assert balance.previous_times(report) == {"base": 1.5}
    report.write_text(json.dumps([1, 2]))
    assert balance.previous_times(report) == {}


def test_nested_default_is_two_batches_on_two_cpus(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    nested = targets.RefNested(Path("l"), Path("r"), Path("c"), Path("o"))
    for cpus, want in ((1, 1), (2, 2), (8, 2)):
        monkeypatch.setattr(targets, "usable_cpus", lambda cpus=cpus: cpus)
        assert nested.default_parallel() == want
    assert targets.RefDirect(Path("r")).default_parallel() == 1


def test_second_run_balances_by_the_first_runs_times(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.install_launcher()
    suite.out.mkdir(parents=True, exist_ok=True)
    times = {"base": 9.0, "time": 5.0, "tlb": 4.0, "x86": 1.0, "system-reboot": 0.1}
    (suite.out / "report.json").write_text(json.dumps({"boots": [{"image": n, "timing": {"batch": 0, "job": t}} for n, t in times.items()]}))
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--jobs", "2", *suite.common(), "--out", str(suite.out))
    assert res.rc == 0, res.out + res.err

    def batch(k: int) -> list[str]:
        jobs = json.loads((suite.out / f"nested-{k}" / "invocation.json").read_text())["jobs"]
        return [line.split("\t", 1)[0] for line in jobs.splitlines()]

    assert batch(0) == ["base", "x86"] and batch(1) == ["system-reboot", "time", "tlb"]
