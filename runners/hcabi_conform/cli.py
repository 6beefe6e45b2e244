"""Command line: run, list, coverage, gate, bundle, merge (the parser and
the dispatch; each command lives in cli_run, cli_info or cli_gate).

Exit statuses: 0 conformant / accepted / fine, 3 non-conformant / rejected /
coverage gaps, 4 error in the environment or the suite (and unreadable input
files), 2 usage; each subcommand's --help lists its own (cliargs.EXIT_STATUS).
A user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Optional, Sequence

from . import __version__
from .cli_gate import cmd_bundle, cmd_gate
from .cli_info import cmd_coverage, cmd_list, coverage_data  # noqa: F401  (coverage_data: for callers of cli)
from .cli_run import cmd_merge, cmd_run, make_target  # noqa: F401  (make_target: for hcabi-repeat)
from .cliargs import EXIT_SUMMARY, PROG, Parser, Paths, _paths, _positive_float, _positive_int, _version, exit_epilog  # noqa: F401
from .colour import MODES
from .complete import main_complete
from .errors import EXIT_ERROR, EXIT_USAGE, HcabiError
from .evidence import DEFAULT_SERIAL_LIMIT
from .manifests import ARCHES, DEFAULT_ARCH
from .safeout import GuardedStdout, finish_stdout
from .targets import kill_live_processes


# -- parser --------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, manifest: bool = True) -> None:
    p.add_argument("--build-dir", metavar="DIR", help="build directory (default: build/ at the repository root, or the installed suite)")
    if manifest:
        p.add_argument("--manifest", metavar="FILE", help="requirements manifest (default: spec/generated/requirements.json, or the installed one)")


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write the JSON report here")
    p.add_argument("--tap", metavar="FILE", help="write TAP version 13 here, '-' for standard output (the summary then goes to standard error)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report here")
    p.add_argument("--spec-url", metavar="URL", help="rendered spec, for requirement links in HTML: URL#ID; {version} is the tested version")
    p.add_argument("--bundle-spec", metavar="DIR", nargs="?", const="", help="copy the tested version's rendered spec (hcabi-spec-X.Y.html, from DIR, default BUILD/spec) beside the HTML report and link to it")


def _add_arch(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--arch", choices=ARCHES, default=DEFAULT_ARCH, help=f"{what} (default: x86_64)")


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--extension", action="append", default=[], metavar="EXT", help="only tests of extension EXT, any case (repeatable)")
    p.add_argument("--requirement", action="append", default=[], metavar="ID", help="only tests citing requirement ID or one of its parts (repeatable)")
    p.add_argument("--image", action="append", default=[], metavar="NAME", help="only tests of image NAME (repeatable)")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Boot the HCABI conformance suite, report, and gate on spec versions.", epilog=f"exit status: {EXIT_SUMMARY}")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    colour = argparse.ArgumentParser(add_help=False)
    colour.add_argument("--color", choices=MODES, default="auto", help="colour the output: auto (on a terminal, unless NO_COLOR is set), always, never")

    def command(name: str, **kw: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[colour], epilog=exit_epilog(name), **kw)

    run = command("run", help="boot the suite on a target and report", description="Boot the suite on a target and report.")
    run.add_argument("--target", choices=("ref", "qemu", "cmd"), default="ref", help="ref (default): hcabi-refvmm, direct or nested; qemu: plain QEMU; cmd: --vmm-cmd")
    _add_arch(run, "the architecture: its images (BUILD/conformance-ARCH), its requirements, its QEMU, refvmm and nested launcher")
    run.add_argument(
        "--vmm-cmd", metavar="TEMPLATE",
        help="VMM command for --target cmd; placeholders {image} and {cmdline} (required), {serial}, {vcpus}, {memory} (MiB), {spec_version}, {console_input}, {console}",
    )  # fmt: skip
    run.add_argument(
        "--vmm-exit", action="append", default=[], metavar="EVENT=STATUS",
        help="for --target cmd: the VMM exits with STATUS when the VM ends by EVENT (shutdown, reboot, crash); repeatable. "
        "Without it a test that ends the VM cannot pass on that target",
    )  # fmt: skip
    run.add_argument(
        "--serial-limit", type=_positive_int, default=DEFAULT_SERIAL_LIMIT, metavar="BYTES",
        help=f"most serial output (and VMM stderr) kept and read per boot; a VMM that writes more is stopped (default {DEFAULT_SERIAL_LIMIT})",
    )  # fmt: skip
    run.add_argument("--spec-version", type=_version, metavar="X.Y", help="ask the target to expose X.Y and test exactly X.Y")
    run.add_argument("--profile", default="full", metavar="NAME", help="profile to judge against (default: full)")
    _add_outputs(run)
    run.add_argument("--out", metavar="DIR", help="boot logs directory (default: BUILD/conform-out)")
    run.add_argument("--jobs", type=_positive_int, metavar="N", help="boots (or nested batches) in parallel (default 1; nested: 2 batches on 2 or more CPUs)")
    run.add_argument("--shard", metavar="I/N", help="run the I-th of N deterministic slices of the images")
    run.add_argument("--timeout", type=_positive_float, metavar="SECONDS", help="per-boot timeout (default: 60 direct, 300 nested or TCG)")
    run.add_argument("--filter", action="append", default=[], metavar="GLOB", help="only tests whose name matches (repeatable)")
    _add_selection(run)
    run.add_argument("--ref-mode", choices=("auto", "direct", "nested"), default="auto", help="for --target ref: auto (direct if /dev/kvm is usable), direct, nested")
    run.add_argument("--launcher", metavar="PATH", help="nested launcher (default: scripts/hcabi-nested)")
    run.add_argument(
        "--refvmm-arg", action="append", default=[], metavar="ARG",
        help="for --target ref: pass ARG to every hcabi-refvmm, before the image (repeatable; "
        "write --refvmm-arg=--inject-fault=FUNC:KIND:PARAM for a value that starts with '-')",
    )  # fmt: skip
    run.add_argument("--qemu", metavar="BINARY", help="QEMU binary for --target qemu (default: qemu-system-x86_64, qemu-system-aarch64 for --arch arm64, qemu-system-riscv64 for --arch riscv64)")
    run.add_argument("--qemu-accel", choices=("auto", "kvm", "tcg"), default="auto", help="for --target qemu: auto (kvm if QEMU can run a VM on /dev/kvm, else tcg), kvm, tcg")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    run.add_argument("-v", "--verbose", action="store_true", help="print each VMM command line as it is run, and every failing requirement and reason")
    _common(run)

    lst = command("list", help="list tests and images", description="List the suite's tests and images.")
    _add_arch(lst, "list the suite of this architecture")
    _add_selection(lst)
    lst.add_argument("--json", action="store_true", help="print JSON")
    _common(lst)

    cov = command("coverage", help="requirement -> tests; exit 3 on gaps", description="Map requirements to tests; exit 3 if a requirement is untested, a test cites an unknown requirement, or a test has checks naming a requirement it does not cite.")
    cov.add_argument("--spec-version", type=_version, metavar="X.Y", help="version to check (default: newest)")
    _add_arch(cov, "architecture whose requirements and tests count: its binding's and the neutral ones it does not replace")
    cov.add_argument("--json", action="store_true", help="print JSON")
    _common(cov)

    gate = command(
        "gate", help="accept or reject a report or a bundle for a version and profile",
        description="Exit 0 only if the report proves conformance to X.Y under the profile. With --bundle, the serial logs "
        "are re-parsed and must give the report's results; --report alone checks consistency only.",
    )  # fmt: skip
    given = gate.add_mutually_exclusive_group(required=True)
    given.add_argument("--report", metavar="FILE", help="a JSON report (consistency only: not tied to its logs)")
    given.add_argument("--bundle", metavar="FILE", help="a bundle made by `bundle` (the logs are re-parsed)")
    gate.add_argument("--require", required=True, type=_version, metavar="X.Y")
    gate.add_argument("--profile", metavar="NAME", help="profile (default: the report's)")
    _add_arch(gate, "the architecture the report must be of; its requirements and suite judge it")
    gate.add_argument("--tests", metavar="FILE", help="the suite's tests manifest (default: BUILD/conformance/tests.json)")
    gate.add_argument("-v", "--verbose", action="store_true", help="list every reason, not one line per shared cause")
    _common(gate)

    bundle = command("bundle", help="pack a report with its logs for `gate --bundle`", description="Pack a report, every boot's serial log and stderr, and optional JUnit/HTML into one .tar.gz with a MANIFEST.json of sha256s.")
    bundle.add_argument("--report", required=True, metavar="FILE")
    bundle.add_argument("--out", required=True, metavar="FILE.tar.gz")
    bundle.add_argument("--junit", metavar="FILE", help="also pack this JUnit file")
    bundle.add_argument("--html", metavar="FILE", help="also pack this HTML report")
    _common(bundle, manifest=False)

    merge = command("merge", help="combine shard reports", description="Combine the JSON reports of every shard of one run.")
    merge.add_argument("reports", nargs="+", metavar="REPORT")
    _add_outputs(merge)
    merge.add_argument("--allow-partial", action="store_true", help="merge an incomplete shard set (the result is partial: the gate rejects it)")
    merge.add_argument("--manifest", metavar="FILE", help="requirements manifest (default: spec/generated/requirements.json, or the installed one)")
    merge.add_argument("-v", "--verbose", action="store_true", help="every failing requirement and reason, not one line per shared cause")
    return parser


COMMANDS = {"run": cmd_run, "list": cmd_list, "coverage": cmd_coverage, "gate": cmd_gate, "bundle": cmd_bundle, "merge": cmd_merge}


def _sigterm(signum: int, frame: object) -> None:
    """CI cancels jobs with SIGTERM: unwind like Ctrl-C so VMMs get killed."""
    raise KeyboardInterrupt


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: dispatch, and turn HcabiError into one line + status.
    The exit status is the command's even when stdout cannot be written."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _sigterm)
    original = sys.stdout
    guard = GuardedStdout(original)
    sys.stdout = guard  # type: ignore[assignment]
    try:
        return _dispatch(argv)
    finally:
        finish_stdout(guard, PROG)
        sys.stdout = original


def _dispatch(argv: Optional[Sequence[str]]) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["--complete"]:  # hidden: the shell completion's helper (complete.py)
        return main_complete(build_parser(), words[1:])
    try:
        args = build_parser().parse_args(words)
        return COMMANDS[args.command](args)
    except HcabiError as exc:
        label = "usage error" if exc.exit_code == EXIT_USAGE else "error"
        print(f"{PROG}: {label}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        kill_live_processes()
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        print(f"{PROG}: error: an input is nested too deeply to read", file=sys.stderr)
        return EXIT_ERROR
