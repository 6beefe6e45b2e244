"""What every subcommand shares: the program's name, where the build and the
registry are, argparse with one-line usage errors, option types, the exit
statuses each subcommand documents in its --help (and its man page)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional

from . import layout
from .errors import EnvError, UsageError
from .imagearch import image_arch
from .manifests import DEFAULT_ARCH, RequirementsManifest, TestsManifest, load_tests
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


# The nested probe of each architecture whose `--hold` is the launcher's holder
# (an idle KVM VM kept for a whole nested boot: cli_run.py), in BUILD/scripts.
# arm64 runs without one.
NESTED_PROBES = {"x86_64": "hcabi-nested-probe", "riscv64": "hcabi-nested-probe-riscv64"}


@dataclass
class Paths:
    """Where inputs and outputs live, from --build-dir, --manifest and --arch
    (the architecture's suite: layout.suite_for)."""

    build: Path
    manifest: Path
    arch: str = DEFAULT_ARCH

    @property
    def suite(self) -> Path:
        """The directory holding this architecture's conformance/; one line
        (EnvError, exit 4) for an architecture the project builds no images for."""
        suite = layout.current().suite_for(self.build, self.arch)
        if suite is None:
            built = ", ".join(layout.ARCH_SUITES)
            raise EnvError(f"--arch {self.arch}: there are no {self.arch} conformance images yet (the suite is built for {built} only)")
        return suite

    @property
    def tests_manifest(self) -> Path:
        return self.suite / "conformance" / "tests.json"

    @property
    def images(self) -> Path:
        return self.suite / "conformance" / "images"

    @property
    def refvmm(self) -> Path:
        return layout.current().refvmm_for(self.build, self.arch)

    @property
    def nested_probe(self) -> Optional[Path]:
        """The nested launcher's holder of this architecture, run as `PROBE --hold`
        (NESTED_PROBES); None where there is none."""
        name = NESTED_PROBES.get(self.arch)
        return self.build / "scripts" / name if name else None

    def load_suite(self) -> TestsManifest:
        """This architecture's tests manifest, refused (EnvError) when its
        images are of another architecture: an x86-64 build offered as arm64
        (BUILD/conformance-arm64 not built) must not be judged as arm64."""
        tests = load_tests(self.tests_manifest)
        for spec in sorted(tests.images.values(), key=lambda i: i.name)[:1]:
            found = image_arch(self.images / spec.file)
            if found is not None and found != self.arch:
                own = self.build / layout.ARCH_SUITES.get(self.arch, "")
                hint = f" ({own} is not built)" if own != self.build and not own.is_dir() else ""
                raise EnvError(f"--arch {self.arch}: {self.images} holds {found} images, not {self.arch} ones{hint}")
        return tests


def check_arch(manifest: RequirementsManifest, paths: Paths) -> None:
    """--arch must be an architecture the registry has a binding for (a
    registry from before the bindings knows only x86-64, implicitly)."""
    if manifest.architectures and paths.arch not in manifest.architectures:
        raise UsageError(f"--arch {paths.arch}: {paths.manifest} has no such architecture (known: {', '.join(sorted(manifest.architectures))})")


def _paths(args: argparse.Namespace) -> Paths:
    defaults = layout.current()  # a checkout's build/, or the installed data (layout.py)
    build = Path(args.build_dir) if getattr(args, "build_dir", None) else defaults.build
    manifest = Path(args.manifest) if getattr(args, "manifest", None) else defaults.requirements
    return Paths(build, manifest, getattr(args, "arch", None) or DEFAULT_ARCH)


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
