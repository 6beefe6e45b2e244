"""Where the runner's data lives: a source checkout, or an installed prefix.

From a checkout (runners/hcabi_conform/ under the repository root) the data
is where the build puts it: BUILD/conformance/{tests.json,images/}, the
registry's spec/generated/requirements.json, refvmm's exit statuses in its
sources, BUILD/reference-impl/refvmm/hcabi-refvmm.

`cmake --install` copies this package to PREFIX/share/hcabi/runner/ and
writes `installed-layout.json` beside this file (cmake/hcabi-layout.json.in):
paths relative to this directory to the installed data directory
(PREFIX/lib/hcabi, laid out like a build directory: conformance/tests.json,
conformance/images/, plus requirements.json and exit_statuses.def), to
hcabi-refvmm in PREFIX/bin and to the rendered spec (PREFIX/share/doc/hcabi/spec),
and the suite's version. Its presence is what
makes the installed layout the default; --build-dir and --manifest still
override it.

Per architecture (--arch): the x86-64 suite is BUILD/conformance/; another
architecture's is a build directory of its own inside BUILD
(BUILD/conformance-arm64/conformance/, BUILD/conformance-riscv64/conformance/:
ARCH_SUITES), and its refvmm is
REFVMM_PATHS' path in BUILD. The installed data directory is laid out the same
way (installed-layout.json's `suites` may name other places).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .errors import EnvError

PACKAGE_DIR = Path(__file__).resolve().parent
LAYOUT_FILE = PACKAGE_DIR / "installed-layout.json"

# The architectures whose conformance images the project builds, and where each
# one's suite (conformance/tests.json, conformance/images/) is inside a build
# directory: "" is the build directory itself. An architecture of the registry
# that is not here has no images yet.
ARCH_SUITES = {"x86_64": "", "arm64": "conformance-arm64", "riscv64": "conformance-riscv64"}
# hcabi-refvmm of each architecture, inside a build directory
REFVMM_PATHS = {
    "x86_64": "reference-impl/refvmm/hcabi-refvmm",
    "arm64": "refvmm-arm64/hcabi-refvmm",
}


@dataclass(frozen=True)
class Layout:
    """The runner's default inputs."""

    installed: bool
    build: Path  # the default --build-dir
    requirements: Path  # the default --manifest
    exit_statuses: Path  # refvmm's exit_statuses.def
    refvmm: Optional[Path]  # hcabi-refvmm outside the build directory (installed), else None
    nested_launcher: Path  # scripts/hcabi-nested (not installed: only in a checkout)
    source_root: Optional[Path]  # the checkout, for provenance; None when installed
    suite_version: Optional[str]  # recorded at install time; None in a checkout (read from CMakeLists.txt)
    spec_dir: Path  # the rendered spec, hcabi-spec-X.Y.html (the default build's spec/, or the installed docs); may not exist
    suites: dict[str, Path] = field(default_factory=dict)  # installed: architecture -> its suite directory, where named

    def refvmm_for(self, build: Path, arch: str = "x86_64") -> Path:
        """hcabi-refvmm of `build` for `arch`: the installed one for the installed
        data directory (x86-64: refvmm arm64 is not installed), else the build
        directory's own."""
        if arch == "x86_64" and self.refvmm is not None and build.resolve() == self.build.resolve():
            return self.refvmm
        return build / REFVMM_PATHS.get(arch, f"refvmm-{arch}/hcabi-refvmm")

    def suite_for(self, build: Path, arch: str) -> Optional[Path]:
        """The directory holding `arch`'s conformance/ in `build`: its own
        subdirectory when it is there, else `build` itself (a --build-dir that
        is that architecture's build, e.g. BUILD/conformance-arm64); None for an
        architecture the project builds no images for."""
        if arch not in ARCH_SUITES:
            return None
        if arch in self.suites and build.resolve() == self.build.resolve():
            return self.suites[arch]
        own = build / ARCH_SUITES[arch] if ARCH_SUITES[arch] else build
        return own if (own / "conformance").is_dir() else build


def checkout(root: Path) -> Layout:
    return Layout(
        installed=False,
        build=root / "build",
        requirements=root / "spec" / "generated" / "requirements.json",
        exit_statuses=root / "reference-impl" / "refvmm" / "src" / "exit_statuses.def",
        refvmm=None,
        nested_launcher=root / "scripts" / "hcabi-nested",
        source_root=root,
        suite_version=None,
        spec_dir=root / "build" / "spec",
    )


def from_file(path: Path) -> Layout:
    """The layout `path` (installed-layout.json) describes; EnvError naming
    the file and the key for anything malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise EnvError(f"{path}: cannot read the installed layout: {getattr(e, 'strerror', None) or e}") from None
    if not isinstance(data, dict):
        raise EnvError(f"{path}: expected a JSON object")
    values: dict[str, str] = {}
    for key in ("data_dir", "refvmm", "spec_dir", "suite_version"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise EnvError(f"{path}: $.{key}: expected a non-empty string")
        values[key] = value
    data_dir = (path.parent / values["data_dir"]).resolve()
    suites = data.get("suites", {})
    if not isinstance(suites, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in suites.items()):
        raise EnvError(f"{path}: $.suites: expected an object of architecture -> non-empty path")
    return Layout(
        installed=True,
        build=data_dir,
        requirements=data_dir / "requirements.json",
        exit_statuses=data_dir / "exit_statuses.def",
        refvmm=(path.parent / values["refvmm"]).resolve(),
        nested_launcher=data_dir / "hcabi-nested",
        source_root=None,
        suite_version=values["suite_version"],
        spec_dir=(path.parent / values["spec_dir"]).resolve(),
        suites={arch: (path.parent / rel).resolve() for arch, rel in suites.items()},
    )


def current() -> Layout:
    """The installed layout if this package was installed, else the checkout's."""
    if LAYOUT_FILE.is_file():
        return from_file(LAYOUT_FILE)
    return checkout(PACKAGE_DIR.parents[1])
