"""The shape of a report, checked field by field before anything reads it.

`merge` and `gate` decide on reports someone else wrote. Every field the
verdict or the gate reads has its type checked here, with the JSON path of the
first problem in the message (`report.json: $.results[3].status: expected one
of pass/fail/...`), so that a malformed report is a one-line error (exit 4),
never a traceback and never a silent coercion (`"false"` is not false).
"""

from __future__ import annotations

from typing import Any, Callable

from .manifests import ARCHES
from .model import STATUSES
from .versions import Version

Check = Callable[[Any, str], None]


class SchemaError(ValueError):
    """`$.path: problem`."""


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def string(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise SchemaError(f"{where}: expected a string, got {_type_name(value)}")


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise SchemaError(f"{where}: expected true or false, got {_type_name(value)} {value!r:.40}")


def integer(value: Any, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SchemaError(f"{where}: expected an integer, got {_type_name(value)}")


def number(value: Any, where: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise SchemaError(f"{where}: expected a number, got {_type_name(value)}")


def anything(value: Any, where: str) -> None:
    pass


def version(value: Any, where: str) -> None:
    if not Version.is_valid(value):
        raise SchemaError(f"{where}: expected a MAJOR.MINOR version, got {value!r:.40}")


def one_of(*choices: str) -> Check:
    def check(value: Any, where: str) -> None:
        if value not in choices or not isinstance(value, str):
            raise SchemaError(f"{where}: expected one of {'/'.join(choices)}, got {value!r:.40}")

    return check


def nullable(inner: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if value is not None:
            inner(value, where)

    return check


def array(inner: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected an array, got {_type_name(value)}")
        for i, item in enumerate(value):
            inner(item, f"{where}[{i}]")

    return check


def mapping(inner: Check) -> Check:
    """An object with any keys, every value checked by `inner`."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {_type_name(value)}")
        for key, item in value.items():
            inner(item, f"{where}.{key}")

    return check


def obj(required: dict[str, Check], optional: dict[str, Check] | None = None) -> Check:
    """An object with these fields (others are allowed and ignored)."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {_type_name(value)}")
        for key, inner in required.items():
            if key not in value:
                raise SchemaError(f"{where}.{key}: missing")
            inner(value[key], f"{where}.{key}")
        for key, inner in (optional or {}).items():
            if key in value:
                inner(value[key], f"{where}.{key}")

    return check


def shard(value: Any, where: str) -> None:
    array(integer)(value, where)
    if len(value) != 2 or not 1 <= value[0] <= value[1] <= 4096:
        raise SchemaError(f"{where}: expected [i, n] with 1 <= i <= n, got {value!r:.40}")


_STATUS = one_of(*STATUSES)
_STRINGS = array(string)
_COUNTS = obj({s: integer for s in STATUSES})

TEST_SPEC = obj({"name": string, "image": string, "extension": string, "requirements": _STRINGS, "since": version})

RESULT = obj(
    {"test": string, "image": string, "extension": string, "since": version, "requirements": _STRINGS, "raw_status": _STATUS, "status": _STATUS},
    {
        "raw_message": string,
        "message": string,
        "failed_checks": array(obj({"req": string, "msg": string})),
        "passed_reqs": _STRINGS,
        "needs": _STRINGS,
    },
)

DISCOVERY = obj(
    {"present": boolean},
    {
        "spec": nullable(string),
        "impl": nullable(string),
        "implver": nullable(string),
        "signature": nullable(string),
        "base": nullable(string),
        "exts": mapping(integer),
        "said": nullable(string),
    },
)

# per-boot evidence (evidence.py): what ties the boot to its logs and image
EVIDENCE = obj(
    {},
    {
        "nonce": nullable(string),
        "image_sha256": nullable(string),
        "serial_sha256": nullable(string),
        "stderr_sha256": nullable(string),
        "serial_bytes": nullable(integer),
        "serial_limit": nullable(integer),
        "serial_capped": boolean,
        "verified": boolean,
        "lines": nullable(integer),
    },
)

BOOT = obj(
    {
        "image": string,
        "ending": obj({"kind": string, "detail": string}, {"status": nullable(integer), "code": nullable(integer), "verifiable": boolean}),
        "hello": boolean,
        "discovery": nullable(DISCOVERY),
        "problems": array(obj({"severity": one_of("error", "fail", "warning"), "message": string})),
    },
    {
        "file": string,
        "command": _STRINGS,
        "duration_s": nullable(number),
        "duration": nullable(number),  # older reports' name of duration_s
        "logs": mapping(string),
        "garbled": integer,
        "suite_end": nullable(mapping(integer)),
        "tail": string,
        "timing": mapping(number),
        "evidence": EVIDENCE,
    },
)

REQUIREMENT_ROW = obj({"status": string, "tests": _STRINGS}, {"since": string, "area": string, "required": boolean, "text": string, "parent": string, "applies_with": _STRINGS})

REPORT = obj(
    {
        "verdict": one_of("conformant", "non-conformant", "error"),
        "tested_version": version,
        "profile": string,
        "target": string,
        "spec_version": nullable(string),
        "hcabi_present": nullable(boolean),
        "implementation": mapping(nullable(string)),
        "selection": obj({"filters": _STRINGS, "shards": nullable(array(shard)), "images": _STRINGS, "partial": boolean}),
        "reasons": obj({"errors": _STRINGS, "failures": _STRINGS, "warnings": _STRINGS}),
        "summary": obj({"total": _COUNTS, "by_extension": mapping(_COUNTS)}),
        "results": array(RESULT),
        "requirements": mapping(REQUIREMENT_ROW),
        "boots": array(BOOT),
        "suite": obj({"tests": array(TEST_SPEC)}),
        "manifest": obj({}, {"path": string, "sha256": nullable(string)}),
        "tests_manifest": obj({}, {"path": string, "sha256": nullable(string)}),
    },
    {
        "advertised_extensions": mapping(integer),
        "provenance": mapping(anything),
        "target_info": obj({}),
        "host": obj({}),
        "merged_from": _STRINGS,
        "arch": one_of(*ARCHES),  # absent: x86_64, the only architecture before the arm64 binding
    },
)


def check_report(data: Any) -> None:
    """Raise SchemaError (`$.path: problem`) at the first malformed field."""
    REPORT(data, "$")
