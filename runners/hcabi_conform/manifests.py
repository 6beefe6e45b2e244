"""The two manifests the runner reads: the requirements manifest generated from
the registry (spec/generated/requirements.json) and the tests manifest generated
at build time from the guest test sources (BUILD/conformance/tests.json).

Both are validated on load, with the JSON path of the first problem in the
message, because a malformed manifest means a broken build (exit 4) and the
person fixing it needs to know where to look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Optional

from . import strictjson
from .errors import EnvError, UsageError
from .versions import Version

IMAGE_ENDS = ("exit", "shutdown", "reboot", "crash")
_IMAGE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_TEST_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
ARCHES = ("x86_64", "arm64", "riscv64")  # the architectures with a binding (spec/registry)
DEFAULT_ARCH = "x86_64"
_REQ_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9_]*-[0-9A-Za-z_-]+(\.[0-9]+)?$")  # a requirement or a part (ID.N)


def load_json(path: Path, what: str) -> tuple[Any, str]:
    """Read a JSON file strictly (strictjson: no duplicate keys, NaN, huge
    numbers, deep nesting, oversized files); return (data, sha256 of its
    bytes). Any failure is an EnvError naming the file, never a traceback."""
    return strictjson.load_file(path, what)


class _Checker:
    """Typed accessors that raise EnvError with `file: json.path: problem`."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what

    def fail(self, where: str, problem: str) -> EnvError:
        return EnvError(f"{self.what} {self.path}: {where}: {problem}")

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], where: str, optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        if key not in obj:
            if optional:
                return None
            raise self.fail(f"{where}.{key}", "missing")
        value = obj[key]
        if optional and value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"{where}.{key}", f"expected {getattr(kind, '__name__', 'value')}, got {type(value).__name__}")
        return value

    def version(self, obj: Any, key: str, where: str) -> Version:
        text = self.get(obj, key, str, where)
        try:
            return Version.parse(text)
        except ValueError as exc:
            raise self.fail(f"{where}.{key}", str(exc)) from None

    def array(self, obj: Any, key: str, where: str) -> list:
        return self.get(obj, key, list, where)


@dataclass(frozen=True)
class Requirement:
    """One atomic normative statement of the spec: a part of a compound
    requirement (`parent` names that), or a requirement without parts."""

    id: str
    text: str
    area: str
    function: Optional[str]
    since: Version
    parent: Optional[str] = None
    # the requirement applies only where one of these extensions is provided
    applies_with: frozenset[str] = frozenset()
    # the architecture whose binding holds it (None: neutral), and the architectures
    # whose binding replaces it (a neutral one that does not apply there)
    arch: Optional[str] = None
    not_on: frozenset[str] = frozenset()

    def applies_on(self, arch: str) -> bool:
        return (self.arch is None or self.arch == arch) and arch not in self.not_on


@dataclass(frozen=True)
class Profile:
    """A named set of required extensions, per version."""

    name: str
    since: Version
    extensions: dict[Version, frozenset[str]]


@dataclass
class RequirementsManifest:
    """What the spec requires, version by version."""

    path: Path
    sha256: str
    newest_version: Version
    versions: list[Version]
    extensions: dict[str, Version]
    profiles: dict[str, Profile]
    requirements: dict[str, Requirement]  # the atomic ones: tests cite and reports judge these
    # a requirement split into parts -> its part IDs; citing it names no one condition
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # architecture -> the requirement areas of its binding (manifests before the arm64
    # and riscv64 bindings: none, and every requirement applies on x86-64)
    architectures: dict[str, frozenset[str]] = field(default_factory=dict)

    def is_extension(self, area: str) -> bool:
        """Extensions are optional per profile; every other area (GEN, X86,
        DISC, STATUS, VER...) is about the binding and required everywhere."""
        return area in self.extensions

    def profile_extensions(self, profile: str, version: Version) -> frozenset[str]:
        """Extensions `profile` requires at `version`: the entry for the
        newest listed version not newer than `version`."""
        prof = self.profiles[profile]
        keys = [v for v in prof.extensions if v <= version]
        return prof.extensions[max(keys)] if keys else frozenset()

    def area_required(self, area: str, profile: str, version: Version) -> bool:
        """Whether requirements/tests of `area` are required by the profile."""
        return not self.is_extension(area) or area in self.profile_extensions(profile, version)

    def requirements_of(self, version: Version, arch: str = DEFAULT_ARCH) -> list[Requirement]:
        """Requirements that exist at `version` and apply on `arch` (its binding's, and the
        neutral ones it does not replace), in ID order. x86-64 unless told: a report does
        not name its architecture yet, and every run so far is on x86-64."""
        return sorted((r for r in self.requirements.values() if r.since <= version and r.applies_on(arch)),
                      key=lambda r: r.id)

    def check_version(self, version: Version) -> None:
        """A version the suite does not define cannot be tested (usage error)."""
        if version not in self.versions:
            known = ", ".join(str(v) for v in self.versions)
            raise UsageError(f"spec version {version} is not defined by {self.path} (known: {known})")

    def check_profile(self, profile: str, version: Version) -> None:
        """A profile must exist and exist at the version."""
        if profile not in self.profiles:
            raise UsageError(f"unknown profile {profile!r} (known: {', '.join(sorted(self.profiles))})")
        if self.profiles[profile].since > version:
            raise UsageError(f"profile {profile!r} does not exist in version {version} (since {self.profiles[profile].since})")


def load_requirements(path: Path) -> RequirementsManifest:
    """Load and validate spec/generated/requirements.json."""
    data, sha = load_json(path, "requirements manifest")
    ck = _Checker(path, "requirements manifest")
    newest = ck.version(data, "newest_version", "$")
    versions = [ck.version(v, "version", f"$.versions[{i}]") for i, v in enumerate(ck.array(data, "versions", "$"))]
    if newest not in versions:
        raise ck.fail("$.newest_version", f"{newest} is not listed in versions")
    extensions: dict[str, Version] = {}
    for i, ext in enumerate(ck.array(data, "extensions", "$")):
        name = ck.get(ext, "name", str, f"$.extensions[{i}]")
        extensions[name] = ck.version(ext, "since", f"$.extensions[{i}]")
    profiles: dict[str, Profile] = {}
    for i, prof in enumerate(ck.array(data, "profiles", "$")):
        where = f"$.profiles[{i}]"
        name = ck.get(prof, "name", str, where)
        per_version: dict[Version, frozenset[str]] = {}
        for key, names in ck.get(prof, "extensions", dict, where).items():
            if not Version.is_valid(key) or not isinstance(names, list):
                raise ck.fail(f"{where}.extensions", f"expected {{\"X.Y\": [names]}}, got key {key!r}")
            unknown = [n for n in names if n not in extensions]
            if unknown:
                raise ck.fail(f"{where}.extensions[{key!r}]", f"unknown extension(s) {', '.join(map(str, unknown))}")
            per_version[Version.parse(key)] = frozenset(names)
        profiles[name] = Profile(name, ck.version(prof, "since", where), per_version)
    architectures: dict[str, frozenset[str]] = {}
    for arch, areas in (ck.get(data, "architectures", dict, "$", optional=True) or {}).items():
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            raise ck.fail(f"$.architectures.{arch}", "expected a list of requirement areas")
        architectures[arch] = frozenset(areas)
    area_arch = {area: arch for arch, areas in architectures.items() for area in areas}

    def not_on(obj: Any, where: str) -> frozenset[str]:
        names = ck.get(obj, "not_on", list, where, optional=True) or []
        for k, name in enumerate(names):
            if name not in architectures:
                raise ck.fail(f"{where}.not_on[{k}]", f"expected an architecture of $.architectures, got {name!r:.40}")
        return frozenset(names)
    requirements: dict[str, Requirement] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for i, req in enumerate(ck.array(data, "requirements", "$")):
        where = f"$.requirements[{i}]"
        rid = ck.get(req, "id", str, where)
        if rid in requirements or rid in groups:
            raise ck.fail(f"{where}.id", f"duplicate requirement ID {rid}")
        whole = Requirement(
            id=rid,
            text=ck.get(req, "text", str, where),
            area=ck.get(req, "area", str, where),
            function=ck.get(req, "function", str, where, optional=True),
            since=ck.version(req, "since", where),
        )
        whole = replace(whole, arch=area_arch.get(whole.area), not_on=not_on(req, where))
        # manifests before atomic requirements have no `parts`
        parts = ck.get(req, "parts", list, where, optional=True) or []
        if not parts:
            within = ck.get(req, "applies_with", list, where, optional=True) or []
            for k, name in enumerate(within):
                if name not in extensions:
                    raise ck.fail(f"{where}.applies_with[{k}]", f"expected an extension name, got {name!r:.40}")
            requirements[rid] = replace(whole, applies_with=frozenset(within))
            continue
        ids = []
        for j, part in enumerate(parts):
            pid = ck.get(part, "id", str, f"{where}.parts[{j}]")
            if not pid.startswith(rid + ".") or not _REQ_ID_RE.match(pid) or pid in requirements:
                raise ck.fail(f"{where}.parts[{j}].id", f"expected a new part ID {rid}.N, got {pid!r}")
            # a part restates its parent: it holds from the parent's since
            within = ck.get(part, "applies_with", list, f"{where}.parts[{j}]", optional=True) or []
            for k, name in enumerate(within):
                if name not in extensions:
                    raise ck.fail(f"{where}.parts[{j}].applies_with[{k}]", f"expected an extension name, got {name!r:.40}")
            requirements[pid] = Requirement(pid, ck.get(part, "text", str, f"{where}.parts[{j}]"), whole.area,
                                            whole.function, whole.since, parent=rid, applies_with=frozenset(within),
                                            arch=whole.arch, not_on=whole.not_on | not_on(part, f"{where}.parts[{j}]"))
            ids.append(pid)
        groups[rid] = tuple(ids)
    return RequirementsManifest(path, sha, newest, sorted(set(versions)), extensions, profiles, requirements, groups,
                                architectures)


@dataclass(frozen=True)
class ImageSpec:
    """One bootable conformance image and what it needs."""

    name: str
    file: str
    vcpus: int
    memory_mib: int
    ends: str


@dataclass(frozen=True)
class TestSpec:
    """One test as the build declared it."""

    __test__ = False  # not a pytest test class

    name: str
    image: str
    extension: str
    requirements: tuple[str, ...]
    since: Version
    # The requirements its checks can name (tests manifest `checks`, optional;
    # None when the manifest predates it): each must be in `requirements`.
    checks: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "image": self.image,
            "extension": self.extension,
            "requirements": list(self.requirements),
            "since": str(self.since),
        }
        if self.checks is not None:
            out["checks"] = list(self.checks)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestSpec":
        """Inverse of to_dict (used on reports; the caller validates)."""
        checks = data.get("checks")
        return cls(
            name=data["name"],
            image=data["image"],
            extension=data["extension"],
            requirements=tuple(data["requirements"]),
            since=Version.parse(data["since"]),
            checks=tuple(checks) if isinstance(checks, list) else None,
        )


@dataclass
class TestsManifest:
    """The suite as built: images and the tests each contains."""

    path: Path
    sha256: str
    images: dict[str, ImageSpec]
    tests: list[TestSpec]

    def by_name(self) -> dict[str, TestSpec]:
        return {t.name: t for t in self.tests}

    def image_path(self, images_dir: Path, image: ImageSpec) -> Path:
        return images_dir / image.file


def _load_image(ck: _Checker, img: Any, where: str) -> ImageSpec:
    name = ck.get(img, "name", str, where)
    if not _IMAGE_NAME_RE.match(name):
        raise ck.fail(f"{where}.name", f"invalid image name {name!r}")
    file = ck.get(img, "file", str, where)
    if "/" in file or file in ("", ".", ".."):
        raise ck.fail(f"{where}.file", f"expected a file name inside the images directory, got {file!r}")
    vcpus = ck.get(img, "vcpus", int, where)
    memory = ck.get(img, "memory_mib", int, where)
    if not 1 <= vcpus <= 1024 or not 1 <= memory <= 1 << 20:
        raise ck.fail(where, f"implausible vcpus={vcpus} / memory_mib={memory}")
    ends = ck.get(img, "ends", str, where)
    if ends not in IMAGE_ENDS:
        raise ck.fail(f"{where}.ends", f"expected one of {'|'.join(IMAGE_ENDS)}, got {ends!r}")
    return ImageSpec(name, file, vcpus, memory, ends)


def _load_test(ck: _Checker, test: Any, where: str, images: dict[str, ImageSpec]) -> TestSpec:
    name = ck.get(test, "name", str, where)
    if not _TEST_NAME_RE.match(name):
        raise ck.fail(f"{where}.name", f"invalid test name {name!r}")
    image = ck.get(test, "image", str, where)
    if image not in images:
        raise ck.fail(f"{where}.image", f"test {name} names unknown image {image!r}")
    reqs = ck.array(test, "requirements", where)
    if not all(isinstance(r, str) and _REQ_ID_RE.match(r) for r in reqs):
        raise ck.fail(f"{where}.requirements", f"expected requirement IDs, got {reqs!r}")
    checks = None
    if isinstance(test, dict) and "checks" in test:
        checks = ck.array(test, "checks", where)
        if not all(isinstance(r, str) and _REQ_ID_RE.match(r) for r in checks):
            raise ck.fail(f"{where}.checks", f"expected requirement IDs, got {checks!r}")
        checks = tuple(checks)
    return TestSpec(name, image, ck.get(test, "extension", str, where), tuple(reqs), ck.version(test, "since", where), checks)


def load_tests(path: Path) -> TestsManifest:
    """Load and validate BUILD/conformance/tests.json."""
    data, sha = load_json(path, "tests manifest")
    ck = _Checker(path, "tests manifest")
    images: dict[str, ImageSpec] = {}
    for i, img in enumerate(ck.array(data, "images", "$")):
        spec = _load_image(ck, img, f"$.images[{i}]")
        if spec.name in images:
            raise ck.fail(f"$.images[{i}].name", f"duplicate image {spec.name}")
        images[spec.name] = spec
    tests: list[TestSpec] = []
    seen: set[str] = set()
    for i, test in enumerate(ck.array(data, "tests", "$")):
        spec = _load_test(ck, test, f"$.tests[{i}]", images)
        if spec.name in seen:
            raise ck.fail(f"$.tests[{i}].name", f"duplicate test {spec.name}")
        seen.add(spec.name)
        tests.append(spec)
    return TestsManifest(path, sha, images, tests)


def unknown_requirements(tests: Iterable[TestSpec], manifest: RequirementsManifest) -> list[tuple[str, str]]:
    """(test, requirement ID) pairs citing IDs that are no atomic requirement
    (not in the registry, or a requirement that has parts: see why_unknown)."""
    return [(t.name, r) for t in tests for r in t.requirements if r not in manifest.requirements]


def why_unknown(rid: str, manifest: RequirementsManifest) -> str:
    """Why a cited ID is no atomic requirement, as the end of a sentence."""
    if rid in manifest.groups:
        return f"which has parts ({', '.join(manifest.groups[rid])}): tests cite the parts"
    return "which the registry does not define"
