"""--tap FILE / --tap -: TAP version 13, checked structurally: the version
line, a plan that matches the number of test points, consecutive numbers,
ok/not ok as the report's statuses say, `# SKIP reason` for skips, a YAML
block after each failure; with `-` standard output holds nothing else."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from conftest import Suite, failing, load, passing_steps, run_cli, skipping_steps

from hcabi_conform.errors import EXIT_NONCONFORMANT

POINT = re.compile(r"^(ok|not ok) (\d+) - (\S+)(?: # (SKIP|TODO)(?: (.*))?)?$")


def parse_tap(text: str) -> dict[str, Any]:
    """A strict reader for what this runner writes: raises AssertionError
    on anything TAP 13 does not allow."""
    lines = text.splitlines()
    assert lines[0] == "TAP version 13", lines[0]
    plan = re.fullmatch(r"1\.\.(\d+)", lines[1])
    assert plan, lines[1]
    points: list[dict[str, Any]] = []
    i = 2
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            i += 1
            continue
        m = POINT.match(line)
        assert m, f"line {i + 1} is not a test point: {line!r}"
        point = {"ok": m.group(1) == "ok", "number": int(m.group(2)), "name": m.group(3), "directive": m.group(4), "reason": m.group(5), "yaml": None}
        i += 1
        if i < len(lines) and lines[i] == "  ---":
            end = lines.index("  ...", i)
            body = lines[i + 1 : end]
            assert all(b.startswith("  ") for b in body), body
            point["yaml"] = {k.strip(): json.loads(v) for k, v in (b.split(":", 1) for b in body if re.match(r"^  [a-z_]+: ", b))}
            i = end + 1
        points.append(point)
    assert len(points) == int(plan.group(1)), f"plan 1..{plan.group(1)}, {len(points)} test points"
    assert [p["number"] for p in points] == list(range(1, len(points) + 1))
    return {"points": points}


def failing_and_skipping(suite: Suite) -> None:
    exts = "BASE:1,TIME:1,SYSTEM:1"
    steps = passing_steps("time", suite.tests, exts=exts)
    suite.set_image("time", failing(steps, "TIME.monotonic", "TIME-002", "expected ns, got ms", "wrong unit # really"))
    suite.set_image("tlb", skipping_steps("tlb", "TLB.flush", "TLB-001", exts, "TLB not advertised"))
    for img in suite.images:
        if img["name"] not in ("time", "tlb"):
            suite.set_image(img["name"], passing_steps(img["name"], suite.tests, exts=exts))


def test_tap_to_stdout_is_valid_and_agrees_with_the_report(suite: Suite) -> None:
    failing_and_skipping(suite)
    res = run_cli(*suite.run_args("--profile", "core", "--tap", "-", "--json", str(suite.root / "r.json")))
    assert res.rc == EXIT_NONCONFORMANT, res.err
    tap = parse_tap(res.out)
    rep = load(suite.root / "r.json")
    assert [p["name"] for p in tap["points"]] == [r["test"] for r in rep["results"]]
    for point, result in zip(tap["points"], rep["results"]):
        assert point["ok"] is (result["status"] in ("pass", "skip")), (point, result["status"])
        assert (point["directive"] == "SKIP") is (result["status"] == "skip"), point
        assert (point["yaml"] is not None) is (not point["ok"]), point
    skipped = next(p for p in tap["points"] if p["name"] == "TLB.flush")
    assert skipped["reason"] == "TLB not advertised"
    failed = next(p for p in tap["points"] if p["name"] == "TIME.monotonic")
    assert failed["yaml"]["status"] == "fail" and failed["yaml"]["message"].startswith("wrong unit # really")
    assert "verdict: NON-CONFORMANT" in res.err and "[1/5]" in res.err, "the human output goes to stderr"


def test_tap_file_leaves_the_summary_on_stdout(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--tap", str(suite.root / "r.tap")))
    assert res.rc == 0 and "verdict: CONFORMANT" in res.out
    tap = parse_tap((suite.root / "r.tap").read_text())
    assert len(tap["points"]) == len(suite.tests) and all(p["ok"] and p["directive"] is None for p in tap["points"])


def test_a_real_tap_consumer_reads_it(suite: Suite) -> None:
    """Perl's TAP::Harness (`prove`, in Debian's perl) reads the output with no
    parse error and counts what the report says."""
    import shutil

    import pytest

    prove = shutil.which("prove")
    if prove is None:
        pytest.skip("prove (Debian's perl) is not installed")
    failing_and_skipping(suite)
    tap = suite.root / "r.tap"
    run_cli(*suite.run_args("--profile", "core", "--tap", str(tap)))
    out = subprocess.run([prove, "-v", "-e", "cat", str(tap)], capture_output=True, text=True, check=False).stdout
    assert "Parse errors" not in out, out
    failed = sum(1 for line in tap.read_text().splitlines() if line.startswith("not ok "))
    assert failed > 0, "the suite set up failures"
    assert f"Tests: {len(suite.tests)} Failed: {failed}" in out, out


def test_the_reader_rejects_a_wrong_plan() -> None:
    import pytest

    with pytest.raises(AssertionError, match="plan 1..3"):
        parse_tap("TAP version 13\n1..3\nok 1 - a\nok 2 - b\n")
    with pytest.raises(AssertionError):
        parse_tap("TAP version 13\n1..2\nok 1 - a\nok 3 - b\n")
