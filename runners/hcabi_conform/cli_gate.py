"""`gate` and `bundle`: judge a report (or a bundle with its logs) for a
version and profile; pack a report with its logs."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Optional

from . import replay
from .bundle import BundleTampered, make_bundle, open_bundle
from .causes import drop_repeated_causes, group_by_cause, known_names
from .cliargs import PROG, Paths, _paths, check_arch
from .colour import Palette, colour_enabled
from .errors import EXIT_CONFORMANT, EXIT_NONCONFORMANT, UsageError
from .gate import GateDecision, arch_mismatch, decide
from .manifests import RequirementsManifest, TestsManifest, load_requirements, load_tests
from .report import LoadedReport, load_report


def _gate_inputs(args: argparse.Namespace) -> tuple[Paths, RequirementsManifest]:
    """The registry the gate judges against; usage errors in --require,
    --profile and --arch before any report is read."""
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    check_arch(manifest, paths)
    manifest.check_version(args.require)
    if args.profile is not None:
        manifest.check_profile(args.profile, args.require)
    return paths, manifest


def _judge(rep: LoadedReport, args: argparse.Namespace, paths: Paths, manifest: RequirementsManifest) -> tuple[GateDecision, Optional[TestsManifest]]:
    """The decision, and the suite it was judged with. A report of another
    architecture is rejected for that alone, before that architecture's
    suite is needed (it may not be built)."""
    if rep.arch != paths.arch:
        dec = GateDecision(args.require, args.profile or rep.profile, arch=paths.arch)
        dec.reject(arch_mismatch(rep.arch, paths.arch))
        return dec, None
    tests = load_tests(Path(args.tests)) if args.tests else paths.load_suite()
    return decide(rep, manifest, args.require, args.profile, tests, paths.arch), tests


def shown_reasons(reasons: list[str], manifest: RequirementsManifest, tests: Optional[TestsManifest], verbose: bool) -> list[str]:
    """Each reason once; without -v, one line per shared cause (causes.py)."""
    if tests is None:
        return reasons
    names = known_names((t.name for t in tests.tests), list(manifest.requirements) + list(manifest.groups))
    reasons = drop_repeated_causes(reasons, names)
    return reasons if verbose else group_by_cause(reasons, names)


def cmd_gate(args: argparse.Namespace) -> int:
    paths, manifest = _gate_inputs(args)
    palette = Palette(colour_enabled(args.color, sys.stdout))
    rejected = palette.paint("REJECTED", "rejected")
    if args.bundle:
        with tempfile.TemporaryDirectory(prefix="hcabi-bundle-") as tmp:
            try:
                opened = open_bundle(Path(args.bundle), Path(tmp))
            except BundleTampered as exc:
                print(f"{PROG} gate: {rejected}: {args.bundle} does not prove conformance to HCABI {args.require}:")
                print(f"  - {exc}")
                return EXIT_NONCONFORMANT
            rep = opened.report
            dec, tests = _judge(rep, args, paths, manifest)
            for reason in replay.verify(opened, tests, paths.images) if tests is not None else ():
                dec.reject(reason)
        source = args.bundle
        if replay.evidence_support() is None:
            dec.notes.append("this runner has no per-boot evidence (nonce, key): the logs were re-parsed, but not verified as fresh")
    else:
        rep = load_report(Path(args.report))
        dec, tests = _judge(rep, args, paths, manifest)
        source = args.report
        dec.notes.append("--report checks the report's consistency with itself, the registry and the suite only, not that its results came from real boots; gate a bundle (hcabi-conform bundle) for that")
    for note in dec.notes:
        print(f"{PROG} gate: note: {note}", file=sys.stderr)
    what = f"HCABI {dec.version}, profile {dec.profile}, architecture {dec.arch}"  # a claim names all three
    scope = "" if args.bundle else " (consistency only)"
    if dec.accepted:
        impl = rep.data.get("implementation") or {}
        accepted = palette.paint("ACCEPTED", "accepted")
        print(f"{PROG} gate: {accepted}{scope}: {source} proves conformance to {what} (implementation {impl.get('id')} version {impl.get('version')}, tested {rep.tested})")
        return EXIT_CONFORMANT
    print(f"{PROG} gate: {rejected}: {source} does not prove conformance to {what}:")
    for reason in shown_reasons(dec.reasons, manifest, tests, args.verbose):
        print(f"  - {reason}")
    return EXIT_NONCONFORMANT


def cmd_bundle(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a directory")
    paths = _paths(args)
    # the images of the report's architecture, for a boot whose evidence lacks the image's sha256
    images = Paths(paths.build, paths.manifest, load_report(Path(args.report)).arch).images
    manifest = make_bundle(Path(args.report), out, Path(args.junit) if args.junit else None, Path(args.html) if args.html else None, images)
    unknown = sorted(image for image, sha in manifest["images"].items() if sha is None)
    if unknown:
        print(f"{PROG}: warning: no sha256 for image(s) {', '.join(unknown)} (no evidence in the report, and not found in --build-dir): the gate will reject this bundle", file=sys.stderr)
    print(f"{PROG} bundle: {out}: {len(manifest['members'])} member(s), {len(manifest['boots'])} boot(s)")
    return EXIT_CONFORMANT
