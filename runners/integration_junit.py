"""The JUnit XML check of integration_check.py (`junit`): is a run's JUnit file
what Jenkins and GitLab read? validate_junit checks the shape and returns
each testcase, for the caller to compare with the run's JSON report."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Callable, Sequence

from integration_common import Problems


# The JUnit XML shape that Jenkins (junit plugin) and GitLab (junit report
# artifacts) read, after the Ant/Surefire schema (pytest's junit-10.xsd, the
# Jenkins JUnit schema): attributes each element may carry and their types.
INT, DEC, STR, STAMP = "int", "decimal", "string", "timestamp"
TESTSUITES_ATTRS = {"name": STR, "tests": INT, "failures": INT, "errors": INT, "skipped": INT, "disabled": INT, "time": DEC, "timestamp": STAMP}
TESTSUITE_ATTRS = {
    "name": STR, "tests": INT, "failures": INT, "errors": INT, "skipped": INT, "disabled": INT, "time": DEC,
    "timestamp": STAMP, "hostname": STR, "id": STR, "package": STR, "file": STR, "log": STR, "url": STR, "version": STR, "group": STR,
}  # fmt: skip
TESTSUITE_REQUIRED = ("name", "tests", "failures", "errors", "skipped", "time")
TESTCASE_ATTRS = {"name": STR, "classname": STR, "time": DEC, "file": STR, "line": INT, "assertions": INT, "status": STR, "group": STR}
TESTCASE_REQUIRED = ("name", "classname", "time")
OUTCOME_ATTRS = {"message": STR, "type": STR}
OUTCOMES = ("failure", "error", "skipped")
_TYPES: dict[str, Callable[[str], bool]] = {
    INT: lambda v: re.fullmatch(r"[0-9]+", v) is not None,
    DEC: lambda v: re.fullmatch(r"[0-9]+(\.[0-9]+)?", v) is not None,
    STR: lambda v: True,
    # xs:dateTime without a zone, as the schema's timestamp
    STAMP: lambda v: re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?", v) is not None,
}


def _attrs(el: ET.Element, allowed: dict[str, str], required: Sequence[str], where: str, problems: Problems) -> None:
    for name in required:
        problems.check(name in el.attrib, f"{where}: no {name}= attribute")
    for name, value in el.attrib.items():
        kind = allowed.get(name)
        if problems.check(kind is not None, f"{where}: attribute {name}= is not in the JUnit schema"):
            problems.check(_TYPES[kind](value), f"{where}: {name}={value!r} is not a valid {kind}")


def _order(children: list[ET.Element], order: Sequence[str], where: str, problems: Problems) -> None:
    """Children only of the known kinds, in the schema's order."""
    ranks = [order.index(c.tag) if c.tag in order else -1 for c in children]
    for child, rank in zip(children, ranks):
        problems.check(rank >= 0, f"{where}: unexpected element <{child.tag}>")
    known = [r for r in ranks if r >= 0]
    problems.check(known == sorted(known), f"{where}: children out of order: {[c.tag for c in children]} (expected {' '.join(order)})")


def _properties(el: ET.Element, where: str, problems: Problems) -> None:
    problems.check(not el.attrib and not (el.text or "").strip(), f"{where}/properties: attributes or text")
    for prop in el:
        problems.check(prop.tag == "property", f"{where}/properties: <{prop.tag}> is not a <property>")
        problems.check(set(prop.attrib) == {"name", "value"}, f"{where}/property: attributes {sorted(prop.attrib)}, expected name and value")


def validate_junit(text: str) -> tuple[Problems, dict[str, dict[str, Any]]]:
    """Check a JUnit XML document against the shape Jenkins and GitLab
    expect; return the problems and, per testcase name, what it says.

    testsuites (name?, tests, failures, errors, skipped, time: totals of its
    testsuites) > testsuite (name, tests, failures, errors, skipped, time
    required; counts equal to its testcases') > properties?, testcase*,
    system-out?, system-err? ; testcase (name, classname, time) >
    properties?, at most one of failure|error|skipped, system-out?,
    system-err? ; failure and error carry message= and type=.
    """
    problems = Problems()
    cases: dict[str, dict[str, Any]] = {}
    problems.check(text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), "no XML declaration with encoding UTF-8")
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        problems.append(f"not well-formed XML: {exc}")
        return problems, cases
    if not problems.check(root.tag == "testsuites", f"root element <{root.tag}>, expected <testsuites>"):
        return problems, cases
    _attrs(root, TESTSUITES_ATTRS, ("tests", "failures", "errors"), "testsuites", problems)
    suites = list(root)
    problems.check(suites, "no <testsuite>")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    names: set[str] = set()
    for si, suite in enumerate(suites):
        where = f"testsuite[{si}]"
        if not problems.check(suite.tag == "testsuite", f"testsuites: <{suite.tag}> is not a <testsuite>"):
            continue
        where = f"testsuite {suite.get('name')!r}"
        _attrs(suite, TESTSUITE_ATTRS, TESTSUITE_REQUIRED, where, problems)
        problems.check(suite.get("name") and suite.get("name") not in names, f"{where}: empty or duplicate name")
        names.add(suite.get("name", ""))
        children = list(suite)
        _order(children, ("properties", "testcase", "system-out", "system-err"), where, problems)
        problems.check(sum(1 for c in children if c.tag == "properties") <= 1, f"{where}: more than one <properties>")
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for child in children:
            if child.tag == "properties":
                _properties(child, where, problems)
            if child.tag != "testcase":
                continue
            case = child
            cwhere = f"{where} testcase {case.get('name')!r}"
            _attrs(case, TESTCASE_ATTRS, TESTCASE_REQUIRED, cwhere, problems)
            kids = list(case)
            ranks = {"properties": 0, "failure": 1, "error": 1, "skipped": 1, "system-out": 2, "system-err": 3}
            for kid in kids:
                problems.check(kid.tag in ranks, f"{cwhere}: unexpected element <{kid.tag}>")
            order = [ranks[k.tag] for k in kids if k.tag in ranks]
            problems.check(order == sorted(order), f"{cwhere}: children out of order: {[k.tag for k in kids]}")
            outcomes = [k for k in kids if k.tag in OUTCOMES]
            problems.check(len(outcomes) <= 1, f"{cwhere}: {len(outcomes)} outcomes ({[k.tag for k in outcomes]}), at most one")
            props: list[tuple[str, str]] = []
            for kid in kids:
                if kid.tag == "properties":
                    _properties(kid, cwhere, problems)
                    props += [(p.get("name", ""), p.get("value", "")) for p in kid]
                elif kid.tag in OUTCOMES:
                    _attrs(kid, OUTCOME_ATTRS, ("message", "type") if kid.tag != "skipped" else (), f"{cwhere}/{kid.tag}", problems)
            counts["tests"] += 1
            outcome = outcomes[0].tag if outcomes else "pass"
            if outcome != "pass":
                counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[outcome]] += 1
            key = case.get("name", "")
            problems.check(key not in cases, f"{cwhere}: duplicate testcase name")
            cases[key] = {
                "suite": suite.get("name"),
                "classname": case.get("classname"),
                "outcome": outcome,
                "type": outcomes[0].get("type") if outcomes else None,
                "requirements": [v for n, v in props if n == "requirement"],
            }
        for key, value in counts.items():
            problems.check(suite.get(key) == str(value), f"{where}: {key}={suite.get(key)!r} but its testcases give {value}")
            totals[key] += value
    for key, value in totals.items():
        if key in root.attrib:
            problems.check(root.get(key) == str(value), f"testsuites: {key}={root.get(key)!r} but its testsuites give {value}")
    return problems, cases
