"""Command line: run, list, coverage, gate, merge.

Exit statuses: 0 conformant / accepted / fine, 3 non-conformant / rejected /
coverage gaps, 4 error in the environment or the suite (and unreadable input
files), 2 usage. A user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Optional, Sequence

from . import __version__, replay
from .bundle import BundleTampered, make_bundle, open_bundle
from .safeout import GuardedStdout, finish_stdout
from .errors import EXIT_CONFORMANT, EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_USAGE, VERDICT_EXIT, HcabiError, UsageError
from .gate import decide
from .html_report import write_html
from .junit import render_junit
from .manifests import RequirementsManifest, TestsManifest, load_requirements, load_tests, unknown_requirements, why_unknown
from .report import RunContext, Selection, build_report, host_info, load_report, merge_reports, write_json, write_text
from .runner import Plan, decide_tested_version, execute, make_jobs, make_plan, parse_shard, progress_printer
from .summary import render_summary
from .evidence import DEFAULT_SERIAL_LIMIT
from .target_cmd import Cmd, parse_vmm_exits
from .target_qemu import Qemu, qemu_kvm_probe
from .targets import BootJob, RefDirect, RefNested, Target, kill_live_processes, kvm_probe
from .verdict import evaluate
from .versions import Version

PROG = "hcabi-conform"
REPO_ROOT = Path(__file__).resolve().parents[2]


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
        return self.build / "reference-impl" / "refvmm" / "hcabi-refvmm"

    @property
    def nested_probe(self) -> Path:
        """The nested launcher's holder, run as `hcabi-nested-probe --hold`."""
        return self.build / "scripts" / "hcabi-nested-probe"


def _paths(args: argparse.Namespace) -> Paths:
    build = Path(args.build_dir) if args.build_dir else REPO_ROOT / "build"
    manifest = Path(args.manifest) if getattr(args, "manifest", None) else REPO_ROOT / "spec" / "generated" / "requirements.json"
    return Paths(build, manifest)


# -- argument types ------------------------------------------------------------


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


# -- parser --------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, manifest: bool = True) -> None:
    p.add_argument("--build-dir", metavar="DIR", help="build directory (default: build/ at the repository root)")
    if manifest:
        p.add_argument("--manifest", metavar="FILE", help="requirements manifest (default: spec/generated/requirements.json)")


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write the JSON report here")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report here")
    p.add_argument("--spec-url", metavar="URL", help="rendered spec, for requirement links in HTML: URL#ID; {version} is the tested version")
    p.add_argument("--bundle-spec", metavar="DIR", nargs="?", const="", help="copy the tested version's rendered spec (hcabi-spec-X.Y.html, from DIR, default BUILD/spec) beside the HTML report and link to it")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Boot the HCABI conformance suite, report, and gate on spec versions.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="boot the suite on a target and report", description="Boot the suite on a target and report.")
    run.add_argument("--target", choices=("ref", "qemu", "cmd"), default="ref", help="ref (default): hcabi-refvmm, direct or nested; qemu: plain QEMU; cmd: --vmm-cmd")
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
    run.add_argument("--jobs", type=_positive_int, default=1, metavar="N", help="boots (or nested batches) in parallel (default 1)")
    run.add_argument("--shard", metavar="I/N", help="run the I-th of N deterministic slices of the images")
    run.add_argument("--timeout", type=_positive_float, metavar="SECONDS", help="per-boot timeout (default: 60 direct, 300 nested or TCG)")
    run.add_argument("--filter", action="append", default=[], metavar="GLOB", help="only tests whose name matches (repeatable)")
    run.add_argument("--ref-mode", choices=("auto", "direct", "nested"), default="auto", help="for --target ref: auto (direct if /dev/kvm is usable), direct, nested")
    run.add_argument("--launcher", metavar="PATH", help="nested launcher (default: scripts/hcabi-nested)")
    run.add_argument(
        "--refvmm-arg", action="append", default=[], metavar="ARG",
        help="for --target ref: pass ARG to every hcabi-refvmm, before the image (repeatable; "
        "write --refvmm-arg=--inject-fault=FUNC:KIND:PARAM for a value that starts with '-')",
    )  # fmt: skip
    run.add_argument("--qemu", default="qemu-system-x86_64", metavar="BINARY", help="QEMU binary for --target qemu")
    run.add_argument("--qemu-accel", choices=("auto", "kvm", "tcg"), default="auto", help="for --target qemu: auto (kvm if QEMU can run a VM on /dev/kvm, else tcg), kvm, tcg")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    _common(run)

    lst = sub.add_parser("list", help="list tests and images", description="List the suite's tests and images.")
    lst.add_argument("--extension", metavar="EXT")
    lst.add_argument("--requirement", metavar="ID")
    lst.add_argument("--image", metavar="NAME")
    lst.add_argument("--json", action="store_true", help="print JSON")
    _common(lst, manifest=False)

    cov = sub.add_parser("coverage", help="requirement -> tests; exit 3 on gaps", description="Map requirements to tests; exit 3 if a requirement is untested, a test cites an unknown requirement, or a test has checks naming a requirement it does not cite.")
    cov.add_argument("--spec-version", type=_version, metavar="X.Y", help="version to check (default: newest)")
    cov.add_argument("--json", action="store_true", help="print JSON")
    _common(cov)

    gate = sub.add_parser(
        "gate", help="accept or reject a report or a bundle for a version and profile",
        description="Exit 0 only if the report proves conformance to X.Y under the profile. With --bundle, the serial logs "
        "are re-parsed and must give the report's results; --report alone checks consistency only.",
    )  # fmt: skip
    given = gate.add_mutually_exclusive_group(required=True)
    given.add_argument("--report", metavar="FILE", help="a JSON report (consistency only: not tied to its logs)")
    given.add_argument("--bundle", metavar="FILE", help="a bundle made by `bundle` (the logs are re-parsed)")
    gate.add_argument("--require", required=True, type=_version, metavar="X.Y")
    gate.add_argument("--profile", metavar="NAME", help="profile (default: the report's)")
    gate.add_argument("--tests", metavar="FILE", help="the suite's tests manifest (default: BUILD/conformance/tests.json)")
    _common(gate)

    bundle = sub.add_parser("bundle", help="pack a report with its logs for `gate --bundle`", description="Pack a report, every boot's serial log and stderr, and optional JUnit/HTML into one .tar.gz with a MANIFEST.json of sha256s.")
    bundle.add_argument("--report", required=True, metavar="FILE")
    bundle.add_argument("--out", required=True, metavar="FILE.tar.gz")
    bundle.add_argument("--junit", metavar="FILE", help="also pack this JUnit file")
    bundle.add_argument("--html", metavar="FILE", help="also pack this HTML report")
    _common(bundle, manifest=False)

    merge = sub.add_parser("merge", help="combine shard reports", description="Combine the JSON reports of every shard of one run.")
    merge.add_argument("reports", nargs="+", metavar="REPORT")
    _add_outputs(merge)
    merge.add_argument("--allow-partial", action="store_true", help="merge an incomplete shard set (the result is partial: the gate rejects it)")
    merge.add_argument("--manifest", metavar="FILE", help="requirements manifest (default: spec/generated/requirements.json)")
    return parser


# -- run -----------------------------------------------------------------------


def _probe_image(paths: Paths) -> Optional[Path]:
    """An image for qemu_kvm_probe to boot (the first in name order), if the
    suite is built."""
    images = sorted(paths.images.glob("hcabi-conf-*.elf")) if paths.images.is_dir() else []
    return images[0] if images else None


def make_target(args: argparse.Namespace, paths: Paths, out_dir: Path) -> Target:
    """The target the options ask for; usage errors for inconsistent ones."""
    if args.target != "cmd" and args.vmm_cmd:
        raise UsageError("--vmm-cmd is only for --target cmd")
    if args.target != "cmd" and args.vmm_exit:
        raise UsageError("--vmm-exit is only for --target cmd (the other targets know their VMM's exit statuses)")
    if args.target == "cmd":
        if not args.vmm_cmd:
            raise UsageError("--target cmd needs --vmm-cmd TEMPLATE")
        target = Cmd(args.vmm_cmd, parse_vmm_exits(args.vmm_exit))
        if target.pins_version and args.spec_version is None:
            raise UsageError("--vmm-cmd uses {spec_version}: give --spec-version X.Y")
        return target
    if args.target != "ref" and args.refvmm_arg:
        raise UsageError("--refvmm-arg is only for --target ref")
    if args.target == "qemu":
        if args.qemu_accel != "auto":
            return Qemu(args.qemu, args.qemu_accel == "kvm")
        # auto: KVM only if /dev/kvm is usable and QEMU really runs a VM on it
        kvm = kvm_probe()
        usable, why = qemu_kvm_probe(args.qemu, _probe_image(paths)) if kvm.usable else (False, kvm.reason)
        return Qemu(args.qemu, usable, "" if usable else why)
    probe = kvm_probe()
    if args.ref_mode == "direct" or (args.ref_mode == "auto" and probe.hcall_intercept):
        return RefDirect(paths.refvmm, args.refvmm_arg)
    launcher = Path(args.launcher) if args.launcher else REPO_ROOT / "scripts" / "hcabi-nested"
    why = "--ref-mode nested" if args.ref_mode == "nested" else probe.reason
    # the holder keeps the nested kernel from patching its static keys at every boot
    holder = [str(paths.nested_probe), "--hold"] if paths.nested_probe.is_file() else None
    # the launcher's download cache: $HCABI_NESTED_CACHE (CMake passes its own to tests), else BUILD/nested-cache
    cache = Path(os.environ["HCABI_NESTED_CACHE"]) if os.environ.get("HCABI_NESTED_CACHE") else paths.build / "nested-cache"
    return RefNested(launcher, paths.refvmm, cache, out_dir, why, holder, args.refvmm_arg)


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse report paths that cannot be written before booting anything: a
    long nested run must not end without its report."""
    for option in ("json", "junit", "html"):
        value = getattr(args, option, None)
        if not value:
            continue
        parent = Path(value).resolve().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HcabiError(f"cannot write --{option} {value}: {exc.strerror or exc}") from None
        if Path(value).is_dir():
            raise HcabiError(f"cannot write --{option} {value}: it is a directory")
        if not os.access(parent, os.W_OK):
            raise HcabiError(f"cannot write --{option} {value}: {parent} is not writable")


def write_outputs(report: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """Write the requested report files; return what was written."""
    written = []
    if args.json:
        write_json(report, Path(args.json))
        written.append(f"json {args.json}")
    if args.junit:
        write_text(Path(args.junit), render_junit(report))
        written.append(f"junit {args.junit}")
    if args.html:
        write_html(Path(args.html), report, args.spec_url, args.bundle_spec, getattr(args, "build_dir", None))
        written.append(f"html {args.html}")
    return written


@dataclass
class _RunSetup:
    """Everything decided before the first boot."""

    manifest: RequirementsManifest
    tests: TestsManifest
    target: Target
    plan: Plan
    jobs: list[BootJob]
    out_dir: Path
    timeout: float


def _prepare_run(args: argparse.Namespace) -> _RunSetup:
    """Validate everything that can be validated before booting: options,
    manifests, images, the VMM, the report paths. A mistake found after an
    hour of nested boots would be a waste."""
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    newest = args.spec_version or manifest.newest_version
    manifest.check_version(newest)
    manifest.check_profile(args.profile, newest)
    shard = parse_shard(args.shard) if args.shard else None
    out_dir = Path(args.out) if args.out else paths.build / "conform-out"
    target = make_target(args, paths, out_dir)
    tests = load_tests(paths.tests_manifest)
    plan = make_plan(tests, newest, args.filter, shard)
    timeout = args.timeout or target.default_timeout()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HcabiError(f"cannot create --out directory {out_dir}: {exc.strerror or exc}") from None
    jobs = make_jobs(plan, paths.images, out_dir, timeout, args.spec_version, args.serial_limit)
    target.preflight()
    check_outputs(args)
    return _RunSetup(manifest, tests, target, plan, jobs, out_dir, timeout)


def _announce(args: argparse.Namespace, run: _RunSetup) -> None:
    """Say what is about to happen (stderr; stdout is for the summary)."""
    if isinstance(run.target, Cmd) and args.spec_version and not run.target.pins_version:
        print(f"{PROG}: warning: --vmm-cmd has no {{spec_version}}: the VMM is not asked to expose {args.spec_version}", file=sys.stderr)
    if not run.jobs:
        print(f"{PROG}: warning: shard {args.shard} has no images to boot", file=sys.stderr)
    if args.refvmm_arg:
        print(f"{PROG}: note: every hcabi-refvmm gets the extra arguments {' '.join(args.refvmm_arg)} (--refvmm-arg)", file=sys.stderr)
    if args.quiet:
        return
    why = f": {run.target.why}" if isinstance(run.target, (RefNested, Qemu)) and run.target.why else ""
    print(
        f"{PROG}: target {run.target.name} ({run.target.mode}{why}), {len(run.jobs)} boot(s), {run.plan.test_count} test(s), "
        f"timeout {run.timeout:g} s per boot, logs in {run.out_dir}",
        file=sys.stderr,
        flush=True,
    )


def cmd_run(args: argparse.Namespace) -> int:
    run = _prepare_run(args)
    _announce(args, run)
    progress = progress_printer() if not args.quiet else (lambda *a: None)
    boots, results = execute(run.plan, run.tests, run.target, run.jobs, args.jobs, progress)
    tested = decide_tested_version(args.spec_version, boots, run.manifest)
    run.manifest.check_profile(args.profile, tested)
    shards = [list(run.plan.shard)] if run.plan.shard else None
    selection = Selection(list(args.filter), shards, [img.name for img in run.plan.images])
    ev = evaluate(run.manifest, run.tests.tests, tested, args.profile, results, boots, selection.partial)
    ctx = RunContext(
        manifest=run.manifest,
        tests_manifest={"path": str(run.tests.path), "sha256": run.tests.sha256},
        target=run.target.describe(),
        tested=tested,
        profile=args.profile,
        selection=selection,
        suite=run.tests.tests,
        boots=boots,
        host=host_info(kvm_probe().to_dict()),
    )
    report = build_report(ev, ctx)
    write_json(report, run.out_dir / "report.json")
    written = write_outputs(report, args)
    sys.stdout.write(render_summary(report))
    print(f"logs: {run.out_dir}" + (f"; reports: {', '.join(written)}" if written else ""))
    return VERDICT_EXIT[ev.verdict]


# -- list / coverage -------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    tests_manifest = load_tests(_paths(args).tests_manifest)
    tests = [
        t for t in tests_manifest.tests
        if (not args.extension or t.extension == args.extension)
        and (not args.requirement or args.requirement in t.requirements)
        and (not args.image or t.image == args.image)
    ]  # fmt: skip
    used = {t.image for t in tests}
    images = [img for name, img in sorted(tests_manifest.images.items()) if name in used or (not tests and args.image == name)]
    if args.json:
        print(json.dumps({"images": [vars(i) for i in images], "tests": [t.to_dict() for t in tests]}, indent=2))
        return EXIT_CONFORMANT
    print(f"{'image':<22} {'file':<36} {'vcpus':>5} {'MiB':>5}  ends      tests")
    for img in images:
        print(f"{img.name:<22} {img.file:<36} {img.vcpus:>5} {img.memory_mib:>5}  {img.ends:<8}  {sum(1 for t in tests if t.image == img.name)}")
    print()
    width = max([len("test")] + [len(t.name) for t in tests])
    print(f"{'test':<{width}}  {'image':<20} since  requirements")
    for t in tests:
        print(f"{t.name:<{width}}  {t.image:<20} {str(t.since):<5}  {','.join(t.requirements) or '-'}")
    return EXIT_CONFORMANT


def coverage_data(manifest: RequirementsManifest, tests: TestsManifest, version: Version) -> dict[str, Any]:
    """Requirement -> tests at `version`, and the gaps."""
    live = [t for t in tests.tests if t.since <= version]
    table = {
        req.id: {"since": str(req.since), "area": req.area, "tests": [t.name for t in live if req.id in t.requirements]}
        | ({"parent": req.parent} if req.parent else {})
        for req in manifest.requirements_of(version)
    }
    newer = [
        {"test": t.name, "requirement": r, "test_since": str(t.since), "requirement_since": str(manifest.requirements[r].since)}
        for t in live for r in t.requirements
        if r in manifest.requirements and manifest.requirements[r].since > t.since
    ]  # fmt: skip
    # A check fails or passes only the requirement it names, so every
    # requirement a test's checks name must be one it cites.
    uncited = [{"test": t.name, "requirement": r} for t in live for r in (t.checks or ()) if r not in t.requirements]
    return {
        "version": str(version),
        "requirements": table,
        "uncovered": [rid for rid, row in table.items() if not row["tests"]],
        "unknown": [{"test": t, "requirement": r} for t, r in unknown_requirements(tests.tests, manifest)],
        "newer": newer,
        "uncited": uncited,
    }


def cmd_coverage(args: argparse.Namespace) -> int:
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    version = args.spec_version or manifest.newest_version
    manifest.check_version(version)
    data = coverage_data(manifest, load_tests(paths.tests_manifest), version)
    bad = bool(data["uncovered"] or data["unknown"] or data["newer"] or data["uncited"])
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_NONCONFORMANT if bad else EXIT_CONFORMANT
    for rid, row in data["requirements"].items():
        print(f"{rid:<16} {row['since']:<5} {', '.join(row['tests']) or '-- NOT TESTED --'}" + (f"  (part of {row['parent']})" if "parent" in row else ""))
    total = len(data["requirements"])
    print(f"\nHCABI {version}: {total - len(data['uncovered'])}/{total} atomic requirements cited by at least one test")
    for rid in data["uncovered"]:
        print(f"uncovered: {rid} is cited by no test")
    for item in data["unknown"]:
        print(f"unknown: test {item['test']} cites {item['requirement']}, {why_unknown(item['requirement'], manifest)}")
    for item in data["newer"]:
        print(f"newer: test {item['test']} (since {item['test_since']}) cites {item['requirement']} (since {item['requirement_since']})")
    for item in data["uncited"]:
        print(f"uncited: test {item['test']} checks {item['requirement']} but does not cite it")
    return EXIT_NONCONFORMANT if bad else EXIT_CONFORMANT


# -- gate / merge ----------------------------------------------------------------


def _gate_inputs(args: argparse.Namespace) -> tuple[Paths, RequirementsManifest, TestsManifest]:
    """The registry and the suite the gate judges against; usage errors in
    --require/--profile before any report is read."""
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    manifest.check_version(args.require)
    if args.profile is not None:
        manifest.check_profile(args.profile, args.require)
    tests = load_tests(Path(args.tests) if args.tests else paths.tests_manifest)
    return paths, manifest, tests


def cmd_gate(args: argparse.Namespace) -> int:
    paths, manifest, tests = _gate_inputs(args)
    if args.bundle:
        with tempfile.TemporaryDirectory(prefix="hcabi-bundle-") as tmp:
            try:
                opened = open_bundle(Path(args.bundle), Path(tmp))
            except BundleTampered as exc:
                print(f"{PROG} gate: REJECTED: {args.bundle} does not prove conformance to HCABI {args.require}:")
                print(f"  - {exc}")
                return EXIT_NONCONFORMANT
            rep = opened.report
            dec = decide(rep, manifest, args.require, args.profile, tests)
            for reason in replay.verify(opened, tests, paths.images):
                dec.reject(reason)
        source = args.bundle
        if replay.evidence_support() is None:
            dec.notes.append("this runner has no per-boot evidence (nonce, key): the logs were re-parsed, but not verified as fresh")
    else:
        rep = load_report(Path(args.report))
        dec = decide(rep, manifest, args.require, args.profile, tests)
        source = args.report
        dec.notes.append("--report checks the report's consistency with itself, the registry and the suite only, not that its results came from real boots; gate a bundle (hcabi-conform bundle) for that")
    for note in dec.notes:
        print(f"{PROG} gate: note: {note}", file=sys.stderr)
    what = f"HCABI {dec.version}, profile {dec.profile}"
    scope = "" if args.bundle else " (consistency only)"
    if dec.accepted:
        impl = rep.data.get("implementation") or {}
        print(f"{PROG} gate: ACCEPTED{scope}: {source} proves conformance to {what} (implementation {impl.get('id')} version {impl.get('version')}, tested {rep.tested})")
        return EXIT_CONFORMANT
    print(f"{PROG} gate: REJECTED: {source} does not prove conformance to {what}:")
    for reason in dec.reasons:
        print(f"  - {reason}")
    return EXIT_NONCONFORMANT


def cmd_bundle(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a directory")
    manifest = make_bundle(Path(args.report), out, Path(args.junit) if args.junit else None, Path(args.html) if args.html else None, _paths(args).images)
    unknown = sorted(image for image, sha in manifest["images"].items() if sha is None)
    if unknown:
        print(f"{PROG}: warning: no sha256 for image(s) {', '.join(unknown)} (no evidence in the report, and not found in --build-dir): the gate will reject this bundle", file=sys.stderr)
    print(f"{PROG} bundle: {out}: {len(manifest['members'])} member(s), {len(manifest['boots'])} boot(s)")
    return EXIT_CONFORMANT


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """merge must never write over one of the reports it reads."""
    inputs = [Path(p).resolve() for p in args.reports]
    for option in ("json", "junit", "html"):
        value = getattr(args, option, None)
        if value and Path(value).resolve() in inputs:
            raise UsageError(f"--{option} {value} is one of the reports being merged; refusing to overwrite it")


def cmd_merge(args: argparse.Namespace) -> int:
    if not args.json:
        raise UsageError("merge needs --json OUT")
    _refuse_overwriting_inputs(args)
    check_outputs(args)
    reports = [load_report(Path(p)) for p in args.reports]
    manifest = load_requirements(_paths(argparse.Namespace(build_dir=None, manifest=args.manifest)).manifest)
    merged = merge_reports(reports, manifest, args.allow_partial)
    written = write_outputs(merged, args)
    sys.stdout.write(render_summary(merged))
    print(f"reports: {', '.join(written)}")
    return VERDICT_EXIT[merged["verdict"]]


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
    try:
        args = build_parser().parse_args(argv)
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
