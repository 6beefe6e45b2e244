"""Strict JSON reading for files a gate decides on.

Python's json module accepts what other JSON readers disagree on: a duplicate
key (the last one wins here, the first elsewhere: a report could say one
thing to this gate and another to a dashboard), NaN and Infinity (not JSON),
integers of any size, nesting until the interpreter's recursion limit. Each of
those is refused here with the JSON path of the problem, and the file's size is
checked before it is read, so that no input can make the gate traceback, stall
or run out of memory.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import EnvError

MAX_BYTES = 32 << 20  # reports of the whole suite are well under 2 MiB
MAX_DEPTH = 64
# every integer of the ABI fits: an i64 status, a u64 value or code (SYSTEM-021)
MIN_INT, MAX_INT = -(1 << 63), (1 << 64) - 1


class StrictJSONError(ValueError):
    """Why a document is refused (no file name; the caller adds it)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    # checked on the text first: int() of 100000 digits is already refused by
    # Python (sys.set_int_max_str_digits) with a ValueError of its own
    if len(text.lstrip("-")) > 20 or not MIN_INT <= int(text) <= MAX_INT:
        raise StrictJSONError(f"integer {text[:24]}{'...' if len(text) > 24 else ''} is out of range (not between -2**63 and 2**64-1)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJSONError(f"number {text[:24]} is out of range")
    return value


def _depth_path(doc: Any) -> str | None:
    """JSON path of the first value nested deeper than MAX_DEPTH, or None."""
    stack: list[tuple[Any, str, int]] = [(doc, "$", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth >= MAX_DEPTH:  # depth 0 is the first container
            return where
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}", depth + 1) for k, v in value.items() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value) if isinstance(v, (dict, list)))
    return None


def loads(data: bytes) -> Any:
    """Parse UTF-8 JSON bytes strictly; StrictJSONError says why not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictJSONError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise StrictJSONError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise StrictJSONError(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # Python's own limit on integer digits
        if isinstance(exc, StrictJSONError):
            raise
        raise StrictJSONError(f"a number is out of range ({exc})") from None
    where = _depth_path(doc)
    if where is not None:
        raise StrictJSONError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    return doc


def load_file(path: Path, what: str, max_bytes: int = MAX_BYTES) -> tuple[Any, str]:
    """Read `path` strictly; return (document, sha256 of its bytes). Every
    failure is an EnvError naming the file: `what PATH: problem`."""
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise EnvError(f"{what} {path} is too large ({size} bytes; the limit is {max_bytes})")
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise EnvError(f"{what} {path} not found") from None
    except IsADirectoryError:
        raise EnvError(f"{what} {path} is a directory") from None
    except OSError as exc:
        raise EnvError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # a file that grew, or a device
        raise EnvError(f"{what} {path} is too large (more than {max_bytes} bytes)")
    try:
        doc = loads(data)
    except StrictJSONError as exc:
        raise EnvError(f"{what} {path}: {exc}") from None
    return doc, hashlib.sha256(data).hexdigest()
