"""`list` and `coverage`: what the suite holds and what it covers."""

from __future__ import annotations

import argparse
import json
from typing import Any, Optional

from .cliargs import _paths, check_arch
from .errors import EXIT_CONFORMANT, EXIT_NONCONFORMANT
from .filters import TestFilter
from .manifests import DEFAULT_ARCH, RequirementsManifest, TestsManifest, load_requirements, unknown_requirements, why_unknown
from .versions import Version


def registry_if_any(args: argparse.Namespace) -> Optional[RequirementsManifest]:
    """The registry, to check requirement IDs and extension names against:
    --manifest if given, else the default one if it is there (an installed
    runner may come without it; the suite's own names are then the list)."""
    path = _paths(args).manifest
    return load_requirements(path) if getattr(args, "manifest", None) or path.is_file() else None


def cmd_list(args: argparse.Namespace) -> int:
    paths = _paths(args)
    registry = registry_if_any(args)
    if registry is not None:
        check_arch(registry, paths)
    tests_manifest = paths.load_suite()
    chosen = TestFilter.resolve(tests_manifest, registry, args.extension, args.requirement, args.image)
    tests = [t for t in tests_manifest.tests if chosen.matches(t)]
    used = {t.image for t in tests}
    images = [img for name, img in sorted(tests_manifest.images.items()) if name in used or (not tests and name in chosen.images)]
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


def coverage_data(manifest: RequirementsManifest, tests: TestsManifest, version: Version, arch: str = DEFAULT_ARCH) -> dict[str, Any]:
    """Requirement -> tests at `version` on `arch` (the requirements that apply there), and the gaps."""
    live = [t for t in tests.tests if t.since <= version]
    table = {
        req.id: {"since": str(req.since), "area": req.area, "tests": [t.name for t in live if req.id in t.requirements]}
        | ({"parent": req.parent} if req.parent else {})
        for req in manifest.requirements_of(version, arch)
    }
    newer = [
        {"test": t.name, "requirement": r, "test_since": str(t.since), "requirement_since": str(manifest.requirements[r].since)}
        for t in live for r in t.requirements
        if r in manifest.requirements and manifest.requirements[r].since > t.since
    ]  # fmt: skip
    # A check fails or passes only the requirement it names, so every
    # requirement a test's checks name must be one it cites.
    uncited = [{"test": t.name, "requirement": r} for t in live for r in (t.checks or ()) if r not in t.requirements]
    # A requirement of another architecture's binding binds nothing here: a test of this
    # suite that cites one credits it in this architecture's reports. Listed, not (yet) a
    # gap: two neutral tests still cite one binding's ID (VCPU.get_id ARM64-031,
    # BATCH.same_errors_as_direct X86-002.1).
    foreign = [{"test": t.name, "requirement": r, "arch": manifest.requirements[r].arch}
               for t in live for r in t.requirements
               if r in manifest.requirements and manifest.requirements[r].arch not in (None, arch)]
    return {
        "version": str(version),
        "arch": arch,
        "requirements": table,
        "uncovered": [rid for rid, row in table.items() if not row["tests"]],
        "unknown": [{"test": t, "requirement": r} for t, r in unknown_requirements(tests.tests, manifest)],
        "newer": newer,
        "uncited": uncited,
        "foreign": foreign,
    }


def cmd_coverage(args: argparse.Namespace) -> int:
    paths = _paths(args)
    manifest = load_requirements(paths.manifest)
    version = args.spec_version or manifest.newest_version
    manifest.check_version(version)
    check_arch(manifest, paths)
    data = coverage_data(manifest, paths.load_suite(), version, args.arch)
    bad = bool(data["uncovered"] or data["unknown"] or data["newer"] or data["uncited"])
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_NONCONFORMANT if bad else EXIT_CONFORMANT
    for rid, row in data["requirements"].items():
        print(f"{rid:<16} {row['since']:<5} {', '.join(row['tests']) or '-- NOT TESTED --'}" + (f"  (part of {row['parent']})" if "parent" in row else ""))
    total = len(data["requirements"])
    print(f"\nHCABI {version}: {total - len(data['uncovered'])}/{total} atomic requirements cited by at least one test, of those that apply on {args.arch}")
    for rid in data["uncovered"]:
        print(f"uncovered: {rid} is cited by no test")
    for item in data["unknown"]:
        print(f"unknown: test {item['test']} cites {item['requirement']}, {why_unknown(item['requirement'], manifest)}")
    for item in data["newer"]:
        print(f"newer: test {item['test']} (since {item['test_since']}) cites {item['requirement']} (since {item['requirement_since']})")
    for item in data["uncited"]:
        print(f"uncited: test {item['test']} checks {item['requirement']} but does not cite it")
    for item in data["foreign"]:
        print(f"foreign (listed, not a gap): test {item['test']} cites {item['requirement']}, a requirement of the "
              f"{item['arch']} binding, which does not apply on {args.arch}")
    return EXIT_NONCONFORMANT if bad else EXIT_CONFORMANT
