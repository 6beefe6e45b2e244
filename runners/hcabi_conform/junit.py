"""JUnit XML from a report, in the shape Jenkins and GitLab read:
<testsuites> / one <testsuite> per extension / one <testcase> per test, with
<failure> (fail, timeout, crash: the implementation is wrong), <error> (the
test or environment is broken) or <skipped>. The requirement IDs a test
checks are <property name="requirement"> entries of its testcase.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from .model import TestResult
from .report import count_statuses

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FAILURE_STATUSES = ("fail", "timeout", "crash")


def xml_safe(text: object) -> str:
    """XML 1.0 cannot carry most control characters even escaped."""
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _junit_timestamp(stamp: str) -> str:
    """The JUnit schema's timestamp is an xs:dateTime without a zone."""
    return stamp[:19] if len(stamp) >= 19 else stamp


def _counts(results: list[TestResult]) -> dict[str, str]:
    total = count_statuses(results)["total"]
    return {
        "tests": str(len(results)),
        "failures": str(sum(total[s] for s in FAILURE_STATUSES)),
        "errors": str(total["error"]),
        "skipped": str(total["skip"]),
        "time": "0",
    }


def _properties(parent: ET.Element, props: list[tuple[str, object]]) -> None:
    node = ET.SubElement(parent, "properties")
    for name, value in props:
        ET.SubElement(node, "property", name=xml_safe(name), value=xml_safe("" if value is None else value))


def _testcase(suite: ET.Element, res: TestResult) -> None:
    case = ET.SubElement(suite, "testcase", name=xml_safe(res.test), classname=xml_safe(f"hcabi.{res.extension}"), time="0")
    _properties(case, [("requirement", rid) for rid in res.requirements] + [("image", res.image), ("since", res.since)])
    first = res.message.strip().splitlines()[0] if res.message.strip() else res.status
    if res.status in FAILURE_STATUSES:
        node = ET.SubElement(case, "failure", message=xml_safe(first), type=res.status)
        node.text = xml_safe(res.message)
    elif res.status == "error":
        node = ET.SubElement(case, "error", message=xml_safe(first), type="error")
        node.text = xml_safe(res.message)
    elif res.status == "skip":
        ET.SubElement(case, "skipped", message=xml_safe(first))


def render_junit(report: dict[str, Any]) -> str:
    """The report as a JUnit XML document (str, with XML declaration)."""
    results = [TestResult.from_dict(r) for r in report["results"]]
    root = ET.Element("testsuites", name="hcabi-conform", **_counts(results))
    common = [
        ("verdict", report["verdict"]),
        ("profile", report["profile"]),
        ("tested_version", report["tested_version"]),
        ("spec_version", report.get("spec_version")),
        ("target", report["target"]),
    ]
    by_ext: dict[str, list[TestResult]] = {}
    for res in results:
        by_ext.setdefault(res.extension, []).append(res)
    host = str(report.get("host", {}).get("hostname", "localhost"))
    for index, (ext, members) in enumerate(sorted(by_ext.items())):
        suite = ET.SubElement(
            root, "testsuite", name=xml_safe(ext), id=str(index), package="hcabi",
            timestamp=_junit_timestamp(report.get("timestamp", "")), hostname=xml_safe(host), **_counts(members),
        )  # fmt: skip
        _properties(suite, common)
        for res in members:
            _testcase(suite, res)
        ET.SubElement(suite, "system-out").text = ""
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
