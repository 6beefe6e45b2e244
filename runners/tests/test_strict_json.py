"""Strict report reading: what Python's json accepts but a gate must not
(duplicate keys, NaN, huge integers, deep nesting, oversized files, non-UTF-8),
and a typed walk that names the JSON path of the first bad field. Every case
is one line on stderr and exit 4, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import Suite, load, one_line_error, run_cli

from hcabi_conform import strictjson
from hcabi_conform.errors import EnvError


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Suite, Path]:
    suite = Suite(tmp_path_factory.mktemp("strict")).write()
    path = suite.root / "good.json"
    res = run_cli(*suite.run_args("--json", str(path)))
    assert res.rc == 0, res.out + res.err
    return suite, path


def gate(suite: Suite, report: Path) -> Any:
    return run_cli("gate", "--report", str(report), "--require", "1.1", *suite.common())


@pytest.mark.parametrize(
    "text, needle",
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ('{"a": 1e999}', "out of range"),
        ('{"a": 18446744073709551616}', "out of range"),
        ('{"a": -9223372036854775809}', "out of range"),
        ('{"a": ' + "9" * 5000 + "}", "out of range"),
        ("[" * 65 + "]" * 65, "nested more than 64 levels"),
        ("[" * 100000 + "]" * 100000, "nested more than 64 levels"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_loads_refuses(text: str, needle: str) -> None:
    with pytest.raises(strictjson.StrictJSONError) as info:
        strictjson.loads(text.encode())
    assert needle in str(info.value)


def test_loads_accepts_limits() -> None:
    assert strictjson.loads(b'{"a": 9223372036854775807, "b": -9223372036854775808, "c": 1.5}')["a"] == 2**63 - 1
    # a crash code uses all 64 bits (SYSTEM-021): a report must hold it
    assert strictjson.loads(b'{"code": 18446744073709551615}')["code"] == 2**64 - 1
    deep = strictjson.loads(("[" * 64 + "]" * 64).encode())  # 64 levels are fine
    for _ in range(63):
        deep = deep[0]
    assert deep == []


def test_load_file_size_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(2048)  # sparse: the size alone must refuse it
    with pytest.raises(EnvError) as info:
        strictjson.load_file(path, "report", max_bytes=1024)
    assert "too large (2048 bytes" in str(info.value)


def _raw(suite: Suite, name: str, text: bytes) -> Path:
    path = suite.root / name
    path.write_bytes(text)
    return path


def test_cli_duplicate_key_nan_deep_huge_utf8(good: tuple[Suite, Path]) -> None:
    suite, path = good
    text = path.read_text()
    cases = {
        # the verdict twice: one JSON reader would see conformant, another error
        "dup.json": (text.replace('"verdict": "conformant"', '"verdict": "error", "verdict": "conformant"', 1).encode(), "duplicate key 'verdict'"),
        "nan.json": (text.replace('"duration_s": ', '"duration_s": NaN, "x": ', 1).encode(), "NaN is not a JSON number"),
        "huge.json": (text.replace('"garbled": 0', '"garbled": 1' + "0" * 40, 1).encode(), "out of range"),
        "deep.json": (text.replace('"host": {', '"deep": ' + "[" * 200 + "]" * 200 + ', "host": {', 1).encode(), "nested more than 64 levels"),
        "latin1.json": (text.replace('"host": {', '"h\xe9": 1, "host": {', 1).encode("latin-1"), "not UTF-8"),
    }
    for name, (data, needle) in cases.items():
        res = gate(suite, _raw(suite, name, data))
        assert res.rc == 4, (name, res.out, res.err)
        assert needle in one_line_error(res), name


def test_cli_oversized_report(good: tuple[Suite, Path]) -> None:
    suite, _ = good
    path = suite.root / "huge.json"
    with open(path, "wb") as f:
        f.truncate(200 << 20)  # 200 MB, sparse
    res = gate(suite, path)
    assert res.rc == 4 and "too large" in one_line_error(res)


def edited(suite: Suite, src: Path, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = load(src)
    edit(data)
    path = suite.root / name
    path.write_text(json.dumps(data))
    return path


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    "path, value, needle",
    [
        (["results", 3, "status"], "passed", "$.results[3].status: expected one of pass/skip/fail/timeout/crash/error, got 'passed'"),
        (["boots", 0, "discovery", "present"], "false", "$.boots[0].discovery.present: expected true or false, got string"),
        (["boots", 0, "hello"], 1, "$.boots[0].hello: expected true or false, got integer"),
        (["selection"], "all", "$.selection: expected an object, got string"),
        (["selection", "shards"], [[1]], "$.selection.shards[0]: expected [i, n]"),
        (["selection", "partial"], "false", "$.selection.partial: expected true or false"),
        (["reasons"], ["x"], "$.reasons: expected an object, got array"),
        (["reasons", "errors"], "none", "$.reasons.errors: expected an array, got string"),
        (["profile"], None, "$.profile: expected a string, got null"),
        (["results"], {}, "$.results: expected an array, got object"),
        (["tested_version"], "1.x", "$.tested_version: expected a MAJOR.MINOR version"),
        (["hcabi_present"], "true", "$.hcabi_present: expected true or false"),
        (["summary", "total", "pass"], "7", "$.summary.total.pass: expected an integer"),
        (["results", 0, "failed_checks"], [{"req": 1, "msg": "x"}], "$.results[0].failed_checks[0].req: expected a string"),
        (["boots", 0, "discovery", "exts", "BASE"], 1.5, "$.boots[0].discovery.exts.BASE: expected an integer"),
        (["requirements", "BASE-001", "status"], None, "$.requirements.BASE-001.status: expected a string"),
    ],
)
def test_cli_typed_walk_names_the_path(good: tuple[Suite, Path], path: list[Any], value: Any, needle: str) -> None:
    suite, src = good
    res = gate(suite, edited(suite, src, "typed.json", _set(path, value)))
    assert res.rc == 4, res.out + res.err
    assert needle in one_line_error(res)


def test_cli_unknown_profile_in_report_is_exit_4(good: tuple[Suite, Path]) -> None:
    suite, src = good
    res = gate(suite, edited(suite, src, "prof.json", _set(["profile"], "gold")))
    assert res.rc == 4 and "$.profile: unknown profile 'gold'" in one_line_error(res)
    res = run_cli("gate", "--report", str(src), "--require", "1.1", "--profile", "gold", *suite.common())
    assert res.rc == 2 and "unknown profile 'gold'" in one_line_error(res)
