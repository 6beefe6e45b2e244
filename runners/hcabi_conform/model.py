"""The data the runner produces: how each boot ended, what each test reported.

Every type round-trips through the JSON report (to_dict/from_dict), because
`merge` and `gate` re-derive the verdict from a report with the very same code
`run` used, instead of trusting the verdict written in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from .manifests import DEFAULT_ARCH

# Test statuses, least to most severe. A requirement checked by several tests
# takes the most severe status among them.
STATUSES = ("pass", "skip", "fail", "timeout", "crash", "error")


def report_arch(report: dict[str, Any]) -> str:
    """The architecture a report (as JSON) is of: a report without `arch` is of
    x86-64, the only architecture before the arm64 binding."""
    return str(report.get("arch") or DEFAULT_ARCH)


def claim_text(report: dict[str, Any]) -> str:
    """What a report's verdict is about: a conformance claim names the version,
    the profile and the architecture."""
    return f"HCABI {report.get('tested_version')}, profile {report.get('profile')}, architecture {report_arch(report)}"
SEVERITY = {name: rank for rank, name in enumerate(STATUSES)}
# Requirement-only statuses: nothing in the suite cites it / not selected.
REQ_UNTESTED = "untested"
REQ_NOT_RUN = "not-run"
# every test of a part limited to some extensions (`applies_with`) skipped
# because the implementation provides none of them: the part has nothing to apply to
REQ_NOT_APPLICABLE = "not-applicable"

# How a boot can end (Ending.kind). The VM ended on its own in one of these:
VM_ENDINGS = ("exit", "shutdown", "reboot", "crash", "fault", "signal", "exited", "restart")
# The runner or the VMM's own --timeout stopped it:
TIMEOUT_ENDINGS = ("timeout",)
# The runner stopped a VMM whose output passed --serial-limit ("flood"): the
# VM did not end on its own, and its lost tests count as crashed.
# The VMM never ran the guest properly: the environment is broken.
ERROR_ENDINGS = ("host-error", "vmm-usage")


def worst(statuses: list[str]) -> Optional[str]:
    """The most severe status, or None for an empty list."""
    return max(statuses, key=lambda s: SEVERITY.get(s, len(STATUSES))) if statuses else None


@dataclass
class Ending:
    """How a boot ended, as the target observed it.

    `verifiable` is False when the target cannot tell a shutdown from a reboot
    from a crash (a foreign VMM under --target cmd without a --vmm-exit
    mapping for its status): an `expect` line is then NOT satisfied, and the
    message says how to declare the VMM's exit statuses.
    """

    kind: str
    detail: str
    status: Optional[int] = None
    code: Optional[int] = None
    verifiable: bool = True

    def lost_test_status(self) -> str:
        """Status of a test this ending cut short."""
        if self.kind in TIMEOUT_ENDINGS:
            return "timeout"
        if self.kind in ERROR_ENDINGS:
            return "error"
        return "crash"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Ending":
        return cls(**{k: data.get(k) for k in ("kind", "detail", "status", "code")}, verifiable=bool(data.get("verifiable", True)))


@dataclass
class Discovery:
    """What the implementation claims on the discovery line."""

    present: bool
    spec: Optional[str] = None
    impl: Optional[str] = None
    implver: Optional[str] = None
    signature: Optional[str] = None
    base: Optional[str] = None
    exts: dict[str, int] = field(default_factory=dict)
    # absent: the image's own text line on what the binding's discovery call answered
    # (unsigned text, shown in the verdict's reason, never judged)
    said: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["said"] is None:
            del data["said"]  # reports without it read the same
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Discovery":
        return cls(
            present=bool(data["present"]),
            spec=data.get("spec"),
            impl=data.get("impl"),
            implver=data.get("implver"),
            signature=data.get("signature"),
            base=data.get("base"),
            exts={str(k): int(v) for k, v in (data.get("exts") or {}).items()},
            said=data.get("said"),
        )


@dataclass
class Problem:
    """Something wrong with a boot as a whole. severity: `error` (environment
    or suite broken), `fail` (the implementation is wrong) or `warning`
    (reported, no effect on the verdict)."""

    severity: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Problem":
        return cls(str(data["severity"]), str(data["message"]))


@dataclass
class TestResult:
    """The outcome of one test.

    `raw_status`/`raw_message` are what the boot produced (the image's
    verdict, or crash/timeout/error assigned by the runner); `status`/`message`
    are after the profile rule (a skip of a required extension is a failure).
    The verdict is always recomputed from the raw fields, so editing `status`
    in a report is detected.
    `failed_checks` and `passed_reqs` let a failure be pinned to the
    requirements that actually failed.
    """

    __test__ = False  # not a pytest test class

    test: str
    image: str
    extension: str
    since: str
    requirements: list[str]
    raw_status: str
    raw_message: str = ""
    status: str = ""
    message: str = ""
    failed_checks: list[dict[str, str]] = field(default_factory=list)
    passed_reqs: list[str] = field(default_factory=list)
    # A skip's extensions the image needed and found not advertised (test-end
    # needs=): a skip is acceptable only for one of those.
    needs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = self.status or self.raw_status
        self.message = self.message or self.raw_message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestResult":
        return cls(
            test=str(data["test"]),
            image=str(data.get("image", "")),
            extension=str(data["extension"]),
            since=str(data["since"]),
            requirements=[str(r) for r in data["requirements"]],
            raw_status=str(data.get("raw_status") or data["status"]),
            raw_message=str(data.get("raw_message", data.get("message", ""))),
            status=str(data["status"]),
            message=str(data.get("message", "")),
            failed_checks=[{"req": str(c.get("req", "-")), "msg": str(c.get("msg", ""))} for c in data.get("failed_checks", [])],
            passed_reqs=[str(r) for r in data.get("passed_reqs", [])],
            needs=[str(n) for n in data.get("needs", [])],
        )


@dataclass
class BootRecord:
    """One boot of one image: how it went, where its logs are."""

    image: str
    file: str
    ending: Ending
    command: list[str] = field(default_factory=list)
    # the boot's real duration in seconds: the VMM's start to its exit, or for
    # a nested boot its job's time inside the nested VM (JUnit's `time`)
    duration_s: Optional[float] = None
    logs: dict[str, str] = field(default_factory=dict)
    hello: bool = False
    discovery: Optional[Discovery] = None
    garbled: int = 0
    problems: list[Problem] = field(default_factory=list)
    suite_end: Optional[dict[str, int]] = None
    tail: str = ""
    timing: dict[str, float] = field(default_factory=dict)  # booting vs testing (timing.py)
    # Why this boot's log is (or is not) evidence of this boot (protocol 2):
    # nonce, image_sha256, serial_sha256, stderr_sha256, serial_bytes,
    # serial_limit, serial_capped, verified, lines (boot.py and runner.py).
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ending"] = self.ending.to_dict()
        data["discovery"] = self.discovery.to_dict() if self.discovery else None
        data["problems"] = [p.to_dict() for p in self.problems]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BootRecord":
        return cls(
            image=str(data["image"]),
            file=str(data.get("file", "")),
            ending=Ending.from_dict(data["ending"]),
            command=[str(c) for c in data.get("command", [])],
            duration_s=data.get("duration_s", data.get("duration")),  # `duration` in older reports
            logs={str(k): str(v) for k, v in (data.get("logs") or {}).items()},
            hello=bool(data.get("hello")),
            discovery=Discovery.from_dict(data["discovery"]) if data.get("discovery") else None,
            garbled=int(data.get("garbled", 0)),
            problems=[Problem.from_dict(p) for p in data.get("problems", [])],
            suite_end=data.get("suite_end"),
            tail=str(data.get("tail", "")),
            timing={str(k): v for k, v in (data.get("timing") or {}).items()},
            evidence={str(k): v for k, v in (data.get("evidence") or {}).items()},
        )
