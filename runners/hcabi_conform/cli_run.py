"""`run` and `merge`: choose the target, boot, judge, write the reports and
the summary."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import layout
from .cliargs import PROG, Paths, _paths, check_arch
from .colour import Palette, colour_enabled
from .errors import VERDICT_EXIT, HcabiError, UsageError
from .filters import TestFilter
from .html_report import write_html
from .junit import render_junit
from .monitor_noise import warn_monitor_noise
from .manifests import DEFAULT_ARCH, RequirementsManifest, TestsManifest, load_requirements
from .progress import Progress
from .report import RunContext, Selection, build_report, host_info, load_report, merge_reports, write_json, write_text
from .runner import Plan, decide_tested_version, execute, make_jobs, make_plan, parse_shard
from .summary import render_summary
from .tap import render_tap
from .target_cmd import Cmd, parse_vmm_exits
from .target_qemu import QEMU_BINARIES, Qemu, qemu_kvm_probe
from .targets import BootJob, RefDirect, RefNested, Target, kvm_probe
from .verdict import evaluate

REPORT_OPTIONS = ("json", "junit", "html", "tap")
# platform.machine() -> the architecture's name in the registry
HOST_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64", "arm64": "arm64", "riscv64": "riscv64"}


def _probe_image(paths: Paths) -> Path | None:
    """An image for qemu_kvm_probe to boot (the first in name order), if the
    suite is built."""
    images = sorted(paths.images.glob("hcabi-conf-*.elf")) if paths.images.is_dir() else []
    return images[0] if images else None


def paths_arch(args: argparse.Namespace) -> str:
    """--arch (callers that build their own namespace may leave it out: x86-64)."""
    return getattr(args, "arch", None) or DEFAULT_ARCH


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
    arch = paths.arch
    host = HOST_ARCHES.get(platform.machine(), platform.machine())
    foreign = f"KVM here runs {host} guests, not {arch} ones" if arch != host else ""
    if args.target == "qemu":
        binary = args.qemu or QEMU_BINARIES[arch]
        if foreign and args.qemu_accel == "kvm":
            raise UsageError(f"--qemu-accel kvm: {foreign}")
        if foreign:
            return Qemu(binary, False, foreign, arch)
        if args.qemu_accel != "auto":
            return Qemu(binary, args.qemu_accel == "kvm", arch=arch)
        # auto: KVM only if /dev/kvm is usable and QEMU really runs a VM on it
        kvm = kvm_probe()
        usable, why = qemu_kvm_probe(binary, _probe_image(paths)) if kvm.usable else (False, kvm.reason)
        return Qemu(binary, usable, "" if usable else why, arch)
    if foreign and args.ref_mode == "direct":
        raise UsageError(f"--ref-mode direct: {foreign}")
    probe = kvm_probe()
    if not foreign and (args.ref_mode == "direct" or (args.ref_mode == "auto" and probe.hcall_intercept)):
        return RefDirect(paths.refvmm, args.refvmm_arg)
    launcher = Path(args.launcher) if args.launcher else layout.current().nested_launcher
    why = "--ref-mode nested" if args.ref_mode == "nested" else foreign or probe.reason
    # the holder keeps the nested kernel from patching its static keys at every boot (the
    # architecture's own probe: x86-64's, riscv64's)
    probe = paths.nested_probe
    holder = [str(probe), "--hold"] if probe is not None and probe.is_file() else None
    # the launcher's download cache: $HCABI_NESTED_CACHE (CMake passes its own to tests), else BUILD/nested-cache
    cache = Path(os.environ["HCABI_NESTED_CACHE"]) if os.environ.get("HCABI_NESTED_CACHE") else paths.build / "nested-cache"
    return RefNested(launcher, paths.refvmm, cache, out_dir, why, holder, args.refvmm_arg, arch)


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse report paths that cannot be written before booting anything: a
    long nested run must not end without its report."""
    for option in REPORT_OPTIONS:
        value = getattr(args, option, None)
        if not value or (option == "tap" and value == "-"):
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
    if args.tap == "-":
        sys.stdout.write(render_tap(report))
    elif args.tap:
        write_text(Path(args.tap), render_tap(report))
        written.append(f"tap {args.tap}")
    return written


def human_stream(args: argparse.Namespace) -> TextIO:
    """Where the summary goes: stdout, unless --tap - has it."""
    return sys.stderr if getattr(args, "tap", None) == "-" else sys.stdout


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
    chosen: TestFilter


def _prepare_run(args: argparse.Namespace) -> _RunSetup:
    """Validate everything that can be validated before booting: options,
    manifests, images, the VMM, the report paths. A mistake found after an
    hour of nested boots would be a waste."""
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    check_arch(manifest, paths)
    newest = args.spec_version or manifest.newest_version
    manifest.check_version(newest)
    manifest.check_profile(args.profile, newest)
    shard = parse_shard(args.shard) if args.shard else None
    out_dir = Path(args.out) if args.out else paths.build / ("conform-out" if paths.arch == DEFAULT_ARCH else f"conform-out-{paths.arch}")
    tests = paths.load_suite()
    target = make_target(args, paths, out_dir)
    chosen = TestFilter.resolve(tests, manifest, args.extension, args.requirement, args.image)
    plan = make_plan(tests, newest, args.filter, shard, chosen.matches if chosen else None)
    timeout = args.timeout or target.default_timeout()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HcabiError(f"cannot create --out directory {out_dir}: {exc.strerror or exc}") from None
    jobs = make_jobs(plan, paths.images, out_dir, timeout, args.spec_version, args.serial_limit)
    target.preflight()
    check_outputs(args)
    return _RunSetup(manifest, tests, target, plan, jobs, out_dir, timeout, chosen)


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
    progress = Progress(sys.stderr, Palette(colour_enabled(args.color, sys.stderr)), args.verbose, args.quiet)
    run.target.events = progress
    with progress:
        boots, results = execute(run.plan, run.tests, run.target, run.jobs, args.jobs or run.target.default_parallel(), progress.boot_done)
        warn_monitor_noise(boots)  # QEMU's -nographic pitfall: one line on stderr
    tested = decide_tested_version(args.spec_version, boots, run.manifest)
    run.manifest.check_profile(args.profile, tested)
    shards = [list(run.plan.shard)] if run.plan.shard else None
    selection = Selection(list(args.filter) + run.chosen.describe(), shards, [img.name for img in run.plan.images])
    ev = evaluate(run.manifest, run.tests.tests, tested, args.profile, results, boots, selection.partial, paths_arch(args))
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
        arch=paths_arch(args),
    )
    report = build_report(ev, ctx)
    write_json(report, run.out_dir / "report.json")
    written = write_outputs(report, args)
    out = human_stream(args)
    out.write(render_summary(report, Palette(colour_enabled(args.color, out)), args.verbose))
    print(f"logs: {run.out_dir}" + (f"; reports: {', '.join(written)}" if written else ""), file=out)
    return VERDICT_EXIT[ev.verdict]


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """merge must never write over one of the reports it reads."""
    inputs = [Path(p).resolve() for p in args.reports]
    for option in REPORT_OPTIONS:
        value = getattr(args, option, None)
        if value and value != "-" and Path(value).resolve() in inputs:
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
    out = human_stream(args)
    out.write(render_summary(merged, Palette(colour_enabled(args.color, out)), args.verbose))
    print(f"reports: {', '.join(written)}", file=out)
    return VERDICT_EXIT[merged["verdict"]]
