"""Shell completion, answered by the program itself: the bash function in
runners/completion/hcabi-conform calls `hcabi-conform --complete CWORD
WORDS...` (hidden) and offers what this prints, one candidate a line.
Subcommands and options come from the argparse parser, values from the
suite's tests manifest (extensions, images, tests) and the registry
(versions, profiles, requirement IDs), so no list here can go stale.
`@files`/`@dirs` ask the shell to complete file or folder names."""

from __future__ import annotations

import argparse
from typing import Optional

from .cliargs import Paths, _paths
from .errors import HcabiError
from .manifests import load_requirements, load_tests

FILES, DIRS = "@files", "@dirs"
_PATH_METAVARS = {"FILE", "FILE.tar.gz", "PATH", "BINARY", "TESTS.json", "REPORT", "F", "OUT"}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for a in parser._actions if a.help != argparse.SUPPRESS for o in a.option_strings if o.startswith("--"))


def _option_value(words: list[str], option: str) -> Optional[str]:
    """The value given to `option` on the line (`--opt V` or `--opt = V`)."""
    for i, word in enumerate(words):
        if word == option and i + 1 < len(words):
            return words[i + 2] if words[i + 1] == "=" and i + 2 < len(words) else words[i + 1]
    return None


def _values(action: argparse.Action, words: list[str]) -> list[str]:
    if action.choices:
        return [str(c) for c in action.choices]
    given = {k: _option_value(words, f"--{k.replace('_', '-')}") for k in ("build_dir", "manifest", "arch")}
    paths: Paths = _paths(argparse.Namespace(**given))  # the architecture's suite (--arch on the line)
    try:
        if action.dest in ("extension", "image", "filter"):
            tests = load_tests(paths.tests_manifest)
            if action.dest == "image":
                return sorted(tests.images)
            if action.dest == "filter":
                return [t.name for t in tests.tests]
            return sorted({t.extension for t in tests.tests})
        if action.dest in ("spec_version", "require", "profile", "requirement"):
            registry = load_requirements(paths.manifest)
            if action.dest == "profile":
                return sorted(registry.profiles)
            if action.dest == "requirement":
                return sorted(set(registry.requirements) | set(registry.groups))
            return [str(v) for v in registry.versions]
    except HcabiError:
        return []  # no build, no registry: nothing to offer
    if action.metavar in ("DIR",):
        return [DIRS]
    return [FILES] if action.metavar in _PATH_METAVARS or action.metavar is None else []


def complete(parser: argparse.ArgumentParser, cword: int, words: list[str]) -> list[str]:
    """Candidates for words[cword] (words[0] is the program), as bash's
    COMP_WORDS splits the line (`--opt=V` is three words: --opt, =, V)."""
    words = words[1:]
    cword -= 1
    cur = words[cword] if 0 <= cword < len(words) else ""
    before = words[:cword]
    if cur == "=":
        before, cur = before + [cur], ""
    option = before[-2] if len(before) >= 2 and before[-1] == "=" else before[-1] if before else ""
    subs = _subparsers(parser)
    sub = next((w for w in before if w in subs), None)
    if sub is None:
        return _options(parser) if cur.startswith("-") else sorted(subs)
    actions = subs[sub]._option_string_actions
    action = actions.get(option)
    if action is not None and action.nargs != 0:
        return _values(action, words)
    if cur.startswith("-"):
        return _options(subs[sub])
    positional = [a for a in subs[sub]._actions if not a.option_strings and a.dest != "help"]
    return [FILES] if positional else []


def main_complete(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    """`--complete CWORD WORDS...`: print the candidates; never an error
    (a completion must not print a traceback into a user's prompt)."""
    try:
        cword = int(argv[0])
        print("\n".join(complete(parser, cword, argv[1:])))
    except (ValueError, IndexError, OSError):
        pass
    return 0
