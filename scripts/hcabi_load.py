"""Read the project's TOML and JSON inputs strictly, and run a script's main without tracebacks.

Every script under scripts/ that reads a registry file, a schema, a manifest or a
cache manifest reads it through this module, so that every bad input becomes one
line on stderr naming the file, the path inside it and what is wrong:

    spec/registry/extensions/ipi.toml: function[0].arg[2].field[0].bits: expected a string, found an integer

read_text/read_toml/read_json raise InputError (one line) for a missing or unreadable
file, a folder where a file is expected, bytes that are not UTF-8, a syntax error, a
number too long to convert, and nesting deeper than MAX_DEPTH (which tomllib and json
would otherwise meet as a RecursionError); check_shape and expect check what was read;
schema_message words a jsonschema error the same way. sync_tree writes generated files
and names the one that cannot be written. Parser is argparse with one-line usage
errors (exit 2), and run_main turns the ways a command line ends badly into one line
and an exit status each: Ctrl-C 130, a closed pipe on stdout 141 (silent), a full
stdout 4, a bug 4 ("internal error: ... (please report)"). Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

# Deeper than any file of the project nests (the registry: 5 levels); far below the
# interpreter's recursion limit, so that nothing that walks a loaded document recurses out.
MAX_DEPTH = 32
EXIT_ERROR = 4          # unreadable or invalid input, an output that cannot be written, a bug
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_PIPE = 141         # 128 + SIGPIPE: the reader of stdout went away (`| head -1`)


class InputError(Exception):
    """One bad input, already phrased as the one line the user sees (without the program name)."""


def loc(parts: Sequence[Any]) -> str:
    """A path inside a document, as a user writes it: function[0].arg[2].bits."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
            continue
        key = str(p) if re.fullmatch(r"[A-Za-z0-9_-]+", str(p)) else json.dumps(str(p))  # TOML's quoting
        out += f".{key}" if out else key
    return out or "(top level)"


def type_name(value: Any) -> str:
    """What a TOML/JSON value is, with its article: "a string", "an integer"..."""
    if isinstance(value, bool):
        return "a boolean"
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a table"}
    for t, name in names.items():
        if isinstance(value, t):
            return name
    return "a date or time" if value is not None else "null"


def short(value: Any, limit: int = 40) -> str:
    """A value for a message, cut so that one huge value never floods the line."""
    if isinstance(value, (dict, list)):
        return type_name(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** limit:
        try:
            return f"an integer of {len(str(abs(value)))} digits"
        except ValueError:  # more digits than the interpreter converts (a computed value)
            return "an integer of thousands of digits"
    text = json.dumps(value) if isinstance(value, (str, bool)) else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def read_text(path: Path, show: str | None = None) -> str:
    """The file's text, which must be UTF-8; InputError naming `show` (default: the path) otherwise."""
    name = show or str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{name}: cannot read: it is a folder, not a file") from None
    except OSError as e:
        raise InputError(f"{name}: cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(f"{name}: line {line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset "
                         f"{e.start})") from None


def check_depth(doc: Any, name: str, limit: int = MAX_DEPTH) -> None:
    """InputError if `doc` nests tables/lists deeper than `limit` (iteratively: no recursion)."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > limit:
            raise InputError(f"{name}: {loc(path)}: nested more than {limit} levels deep")
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append((v, path + [k]))


def _parse(path: Path, show: str | None, what: str, parse: Callable[[str], Any],
           syntax_error: type[ValueError], syntax: Callable[[Any], str]) -> Any:
    """Read `path` and parse it with `parse`; every failure is one InputError line.

    `syntax` words a `syntax_error` (TOML and JSON say where differently); the
    other failures read the same for both formats."""
    name = show or str(path)
    text = read_text(path, name)
    try:
        doc = parse(text)
    except syntax_error as e:
        raise InputError(f"{name}: {syntax(e)}") from None
    except RecursionError:
        raise InputError(f"{name}: not valid {what}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as e:  # an integer longer than the interpreter converts
        raise InputError(f"{name}: not valid {what}: {str(e).split(';')[0]}") from None
    check_depth(doc, name)
    return doc


def read_toml(path: Path, show: str | None = None) -> dict[str, Any]:
    """Parse a TOML file strictly (see the module docstring)."""
    doc: dict[str, Any] = _parse(path, show, "TOML", tomllib.loads, tomllib.TOMLDecodeError,
                                 lambda e: f"not valid TOML: {e}")
    return doc


def read_json(path: Path, show: str | None = None) -> Any:
    """Parse a JSON file strictly (see the module docstring)."""
    return _parse(path, show, "JSON", json.loads, json.JSONDecodeError,
                  lambda e: f"line {e.lineno}: not valid JSON: {e.msg}")


def expect(value: Any, want: type | tuple[type, ...], name: str, path: Sequence[Any]) -> Any:
    """`value` if it has type `want` (a bool is no integer), else InputError naming name: path."""
    ok = isinstance(value, want) and not (isinstance(value, bool) and bool not in
                                          (want if isinstance(want, tuple) else (want,)))
    if not ok:
        wants = want if isinstance(want, tuple) else (want,)
        expected = " or ".join(type_name(t()) for t in wants)
        raise InputError(f"{name}: {loc(path)}: expected {expected}, found {type_name(value)}")
    return value


def check_shape(value: Any, shape: Any, name: str, path: Sequence[Any] = ()) -> None:
    """InputError, naming name: path, unless `value` has `shape`.

    A shape is a type; [S], a list of S; {str: S}, a table of any keys with values S;
    or {"key": S, "opt?": S}, a table with those keys (a trailing "?": optional; other
    keys allowed)."""
    path = list(path)
    if isinstance(shape, list):
        for i, item in enumerate(expect(value, list, name, path)):
            check_shape(item, shape[0], name, path + [i])
    elif isinstance(shape, dict) and list(shape) == [str]:
        for k, v in expect(value, dict, name, path).items():
            check_shape(v, shape[str], name, path + [k])
    elif isinstance(shape, dict):
        expect(value, dict, name, path)
        for key, sub in shape.items():
            k = key.rstrip("?")
            if k in value:
                check_shape(value[k], sub, name, path + [k])
            elif not key.endswith("?"):
                raise InputError(f"{name}: {loc(path + [k])}: missing")
    else:
        expect(value, shape, name, path)


def schema_message(err: Any) -> str:
    """What a jsonschema error says, in the words of loc() and short(): a value is cut, never dumped."""
    v, arg, inst = err.validator, err.validator_value, err.instance
    if v == "type":
        want = {"string": "a string", "integer": "an integer", "boolean": "a boolean", "array": "a list",
                "object": "a table", "number": "a number"}
        return f"expected {want.get(arg, arg)}, found {type_name(inst)}"
    if v == "required":
        missing = [k for k in arg if isinstance(inst, dict) and k not in inst]
        return f"missing key {', '.join(missing) or arg}"
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        return f"unknown key {', '.join(short(k) for k in extra)}"
    if v == "enum":
        return f"{short(inst)} is not one of {', '.join(short(a) for a in arg)}"
    if v == "const":
        return f"{short(inst)} is not {short(arg)}"
    if v == "pattern":
        return f"{short(inst)} does not match {arg}"
    if v in ("minimum", "maximum"):
        return f"{short(inst)} is {'less' if v == 'minimum' else 'greater'} than the {v} of {arg}"
    if v in ("minItems", "maxItems", "minLength"):
        what = "item" if v != "minLength" else "character"
        return f"{'at least' if v.startswith('min') else 'at most'} {arg} {what}{'s' if arg != 1 else ''} expected"
    if v == "uniqueItems":
        return "has duplicate items"
    return one_line(err.message)[:160]


def os_problem(e: OSError, path: Path, verb: str) -> InputError:
    where = e.filename or path
    if isinstance(e, (FileExistsError, NotADirectoryError)):
        return InputError(f"{where}: cannot {verb}: a file is in the way of a folder")
    return InputError(f"{where}: cannot {verb}: {e.strerror or e}")


def sync_tree(root: Path, files: dict[str, str], owned: str, check: bool) -> list[str]:
    """The files (relative path -> text) that differ under `root`, rewritten unless `check`.

    Files under root/`owned` that `files` does not hold count as stale too and are
    removed. Raises InputError naming the file that cannot be read, written or removed."""
    stale = []
    for rel, text in files.items():
        path, data = root / rel, text.encode()
        try:
            if (path.read_bytes() if path.exists() else None) != data:
                stale.append(rel)
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
        except OSError as e:
            raise os_problem(e, path, "read" if check else "write") from None
    gen_dir = root / owned
    for path in sorted(gen_dir.rglob("*")) if gen_dir.is_dir() else []:
        rel = str(path.relative_to(root))
        if path.is_file() and rel not in files:
            stale.append(rel)
            try:
                if not check:
                    path.unlink()
            except OSError as e:
                raise os_problem(e, path, "remove") from None
    return stale


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line: "PROG: error: MESSAGE (see --help)", exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError):
        pass


def run_main(prog: str, main: Callable[[], int]) -> int:
    """Run `main` and return its exit status; never let a traceback reach the user.

    Ctrl-C: "PROG: interrupted", 130. A closed pipe on stdout: silence, 141. stdout
    that cannot be written (/dev/full): "PROG: cannot write standard output: ...", 4.
    Anything else is a bug: "PROG: internal error: ... (please report)", 4.
    """
    try:
        rc = main()
        sys.stdout.flush()  # a write error surfaces here, not at the interpreter's exit
        return rc
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
    except OSError as e:
        if e.filename is None:  # our own stdout, not a file a script opened
            _quiet_stdout()
            print(f"{prog}: cannot write standard output: {e.strerror or e}", file=sys.stderr)
            return EXIT_ERROR
        print(f"{prog}: internal error: {one_line(e)} (please report)", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - the last resort the module docstring promises
        print(f"{prog}: internal error: {type(e).__name__}: {one_line(e)} (please report)", file=sys.stderr)
        return EXIT_ERROR


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300]
