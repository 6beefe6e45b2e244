"""What every subcommand shares: the program's name, where the build and the
registry are, argparse with one-line usage errors, option types, the exit
statuses each subcommand documents in its --help (and its man page)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from . import layout
from .errors import UsageError
from .versions import Version

PROG = "hcabi-conform"

# Each subcommand's exit statuses (errors.py holds the numbers); shown by
# --help and checked against the man page.
EXIT_STATUS = {
    "run": "0 conformant; 3 non-conformant; 4 error (the environment or the suite is broken: a missing image or "
    "manifest, a VMM that cannot start, no hello, a test 'error'); 2 usage; 130 interrupted",
    "list": "0 listed; 2 usage (an unknown --extension, --requirement or --image); 4 an unreadable manifest",
    "coverage": "0 every requirement is cited by a test; 3 gaps; 4 an unreadable manifest; 2 usage",
    "gate": "0 accepted; 3 rejected; 4 an unreadable or malformed report or bundle; 2 usage (an unknown --require or --profile)",
    "bundle": "0 written; 4 error (an unreadable report, a log that is not the one the report records, an unwritable "
    "--out); 2 usage",
    "merge": "0 conformant; 3 non-conformant; 4 error (the merged verdict is error, an unreadable report, an "
    "incomplete or mislabelled shard set); 2 usage",
}
EXIT_SUMMARY = "0 conformant/accepted, 3 non-conformant/rejected, 4 error, 2 usage (each command's --help has its own)"


def exit_epilog(command: str) -> str:
    return f"exit status: {EXIT_STATUS[command]}"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


@dataclass
class Paths:
    """Where inputs and outputs live, from --build-dir and --manifest."""

    build: Path
    manifest: Path

    @property
    def tests_manifest(self) -> Path:
        return self.build / "conformance" / "tests.json"

    @property
    def images(self) -> Path:
        return self.build / "conformance" / "images"

    @property
    def refvmm(self) -> Path:
        return layout.current().refvmm_for(self.build)

    @property
    def nested_probe(self) -> Path:
        """The nested launcher's holder, run as `hcabi-nested-probe --hold`."""
        return self.build / "scripts" / "hcabi-nested-probe"


def _paths(args: argparse.Namespace) -> Paths:
    defaults = layout.current()  # a checkout's build/, or the installed data (layout.py)
    build = Path(args.build_dir) if getattr(args, "build_dir", None) else defaults.build
    manifest = Path(args.manifest) if getattr(args, "manifest", None) else defaults.requirements
    return Paths(build, manifest)


def _version(text: str) -> Version:
    try:
        return Version.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value
