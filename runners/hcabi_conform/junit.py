"""JUnit XML from a report, in the shape Jenkins and GitLab read:
<testsuites> / one <testsuite> per extension / one <testcase> per test, with
<failure> (fail, timeout, crash: the implementation is wrong), <error> (the
test or environment is broken) or <skipped>. The requirement IDs a test
checks are <property name="requirement"> entries of its testcase; a failure
names its failing checks with their requirement IDs.

Each testcase's <system-out> is its excerpt of its boot's serial log
(testlogs.py: the lines from its test-begin to its test-end). Times: the
guest does not time single tests, so a testcase's `time` is its equal share
of its boot's wall time (testlogs.py says how), its `time_basis`
property says so, and a testsuite's `time` is the sum of its testcases'
(the whole time of the boots of its extension); the testsuite's
<system-out> lists those boots with their times.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Optional

from .model import TestResult, report_arch
from .report import count_statuses
from .testlogs import TestLogs, boot_seconds

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FAILURE_STATUSES = ("fail", "timeout", "crash")


def xml_safe(text: object) -> str:
    """XML 1.0 cannot carry most control characters even escaped."""
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _junit_timestamp(stamp: str) -> str:
    """The JUnit schema's timestamp is an xs:dateTime without a zone."""
    return stamp[:19] if len(stamp) >= 19 else stamp


def _seconds(value: float) -> str:
    """xs:decimal, millisecond resolution (what the boots' times carry)."""
    return f"{max(0.0, value):.3f}"


def _counts(results: list[TestResult], seconds: float) -> dict[str, str]:
    total = count_statuses(results)["total"]
    return {
        "tests": str(len(results)),
        "failures": str(sum(total[s] for s in FAILURE_STATUSES)),
        "errors": str(total["error"]),
        "skipped": str(total["skip"]),
        "time": _seconds(seconds),
    }


def _properties(parent: ET.Element, props: list[tuple[str, object]]) -> None:
    node = ET.SubElement(parent, "properties")
    for name, value in props:
        ET.SubElement(node, "property", name=xml_safe(name), value=xml_safe("" if value is None else value))


def failure_text(res: TestResult) -> str:
    """A failure's body: its failing checks with their requirement IDs, the
    requirements the test cites, then the runner's message."""
    lines = [f"{res.test}: {res.status}"]
    if res.failed_checks:
        lines.append("failing checks:")
        lines += [f"  [{c.get('req', '-')}] {c.get('msg', '')}" for c in res.failed_checks]
    lines.append(f"requirements: {', '.join(res.requirements) or 'none'}")
    if res.message:
        lines += ["", res.message]
    return "\n".join(lines)


def _testcase(suite: ET.Element, res: TestResult, logs: TestLogs, seconds: Optional[float], basis: str) -> None:
    case = ET.SubElement(suite, "testcase", name=xml_safe(res.test), classname=xml_safe(f"hcabi.{res.extension}"), time=_seconds(seconds or 0.0))
    props: list[tuple[str, object]] = [("requirement", rid) for rid in res.requirements]
    props += [("image", res.image), ("since", res.since), ("time_basis", basis)]
    _properties(case, props)
    first = res.message.strip().splitlines()[0] if res.message.strip() else res.status
    if res.status in FAILURE_STATUSES:
        node = ET.SubElement(case, "failure", message=xml_safe(first), type=res.status)
        node.text = xml_safe(failure_text(res))
    elif res.status == "error":
        node = ET.SubElement(case, "error", message=xml_safe(first), type="error")
        node.text = xml_safe(failure_text(res))
    elif res.status == "skip":
        ET.SubElement(case, "skipped", message=xml_safe(first))
    excerpt = logs.excerpt(res.image, res.test)
    head = f"serial log: {excerpt.log}" if excerpt.log else "serial log: none"
    ET.SubElement(case, "system-out").text = xml_safe(f"{head}\n{excerpt.text()}\n")


def _suite_out(members: list[TestResult], logs: TestLogs) -> str:
    """The boots whose time the testsuite's `time` adds up, one per line."""
    lines = []
    for image in sorted({r.image for r in members}):
        boot = logs.boot(image)
        seconds, basis = boot_seconds(boot) if boot else (None, "not booted")
        took = f"{seconds:.3f} s ({basis})" if seconds is not None else f"time unknown ({basis})"
        serial = ((boot or {}).get("logs") or {}).get("serial", "")
        lines.append(f"boot {image}: {took}; serial log {serial or 'none'}")
    return "\n".join(lines) + "\n"


def render_junit(report: dict[str, Any]) -> str:
    """The report as a JUnit XML document (str, with XML declaration); reads
    the boots' serial logs for the testcases' excerpts (testlogs.py)."""
    results = [TestResult.from_dict(r) for r in report["results"]]
    logs = TestLogs(report)
    by_image: dict[str, list[str]] = {}
    for res in results:
        by_image.setdefault(res.image, []).append(res.test)
    times = {(r.image, r.test): logs.test_seconds(r.image, r.test, by_image[r.image]) for r in results}
    common = [
        ("verdict", report["verdict"]),
        ("profile", report["profile"]),
        ("arch", report_arch(report)),
        ("tested_version", report["tested_version"]),
        ("spec_version", report.get("spec_version")),
        ("target", report["target"]),
    ]
    by_ext: dict[str, list[TestResult]] = {}
    for res in results:
        by_ext.setdefault(res.extension, []).append(res)
    ext_seconds = {ext: sum(times[(r.image, r.test)][0] or 0.0 for r in members) for ext, members in by_ext.items()}
    root = ET.Element("testsuites", name="hcabi-conform", **_counts(results, sum(ext_seconds.values())))
    host = str(report.get("host", {}).get("hostname", "localhost"))
    for index, (ext, members) in enumerate(sorted(by_ext.items())):
        suite = ET.SubElement(
            root, "testsuite", name=xml_safe(ext), id=str(index), package="hcabi",
            timestamp=_junit_timestamp(report.get("timestamp", "")), hostname=xml_safe(host), **_counts(members, ext_seconds[ext]),
        )  # fmt: skip
        _properties(suite, common)
        for res in members:
            _testcase(suite, res, logs, *times[(res.image, res.test)])
        ET.SubElement(suite, "system-out").text = xml_safe(_suite_out(members, logs))
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
