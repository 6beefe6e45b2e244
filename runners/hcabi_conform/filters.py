"""Selecting tests by extension, requirement and image (`list` and `run`).

An unknown value is a usage error (exit 2), never an empty selection: a typo
must not produce an empty table or a green empty run. Extension names and
requirement IDs are matched without regard to case (`--extension ipi` is
IPI). A requirement ID selects the tests citing it or, for a compound
requirement, any of its parts (BASE-001 selects the tests of BASE-001.1...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .errors import UsageError
from .manifests import RequirementsManifest, TestsManifest, TestSpec

SHOWN = 12  # names listed in an "unknown value" message


def _known(option: str, value: str, names: list[str]) -> str:
    """The spelling of `value` among `names`, case-insensitively."""
    lowered = {n.lower(): n for n in names}
    if value.lower() in lowered:
        return lowered[value.lower()]
    listed = ", ".join(sorted(names)[:SHOWN]) + (f", ... ({len(names)} in all)" if len(names) > SHOWN else "")
    raise UsageError(f"{option} {value}: unknown (known: {listed})")


@dataclass
class TestFilter:
    """The --extension/--requirement/--image values, each list ORed, the
    kinds ANDed; empty lists select everything."""

    extensions: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @classmethod
    def resolve(
        cls, tests: TestsManifest, registry: Optional[RequirementsManifest], extensions: list[str], requirements: list[str], images: list[str]
    ) -> "TestFilter":
        """Check every value against the suite (and the registry, when
        given) and spell it as they do; UsageError for an unknown one."""
        exts = sorted({t.extension for t in tests.tests} | set(registry.extensions if registry else ()))
        reqs = sorted({r for t in tests.tests for r in t.requirements} | (set(registry.requirements) | set(registry.groups) if registry else set()))
        return cls(
            [_known("--extension", e, exts) for e in extensions],
            [_known("--requirement", r, reqs) for r in requirements],
            [_known("--image", i, sorted(tests.images)) for i in images],
        )

    def matches(self, test: TestSpec) -> bool:
        if self.extensions and test.extension not in self.extensions:
            return False
        if self.images and test.image not in self.images:
            return False
        if self.requirements:
            cited = {r for r in test.requirements} | {r.rsplit(".", 1)[0] for r in test.requirements if "." in r}
            if not cited & set(self.requirements):
                return False
        return True

    def describe(self) -> list[str]:
        """As the report's selection.filters records them."""
        return [f"extension={e}" for e in self.extensions] + [f"requirement={r}" for r in self.requirements] + [f"image={i}" for i in self.images]

    def __bool__(self) -> bool:
        return bool(self.extensions or self.requirements or self.images)
