"""junit.xml: one testcase per case and check, in the shape CI JUnit readers accept.

A failure that blocks the run is a ``<failure>``; one that does not (accepted
by the baseline, or a ``should`` failure without ``--strict``) is a
``<skipped>`` whose message says why, so the CI page stays as green as the
exit code. A case that could not be judged (the request failed) is an ``<error>``.
A side-by-side run (``conformance diff``) adds a suite with one testcase per
class of difference.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.runner.differences import Differences
from conformance.runner.results import Failure, RunResult

LISTED_DIFFERENCES = 100
"""Differences of one class written out in its testcase; the rest are counted."""

# Characters XML 1.0 forbids even escaped (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF).
# ElementTree writes them as they are, and the file then fails every XML parser.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_tree(result: RunResult) -> ET.ElementTree[ET.Element]:
    """junit.xml as a tree: a ``<testcase>`` per case and check, every secret taken out of its values."""
    result = result.redacted()
    suites = ET.Element("testsuites", name="conformance")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"conformance.{result.profile}",
        timestamp=result.started_at.removesuffix("Z"),  # the JUnit schema's dateTime has no zone
        hostname="localhost",
        time=f"{result.duration_s:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("seed", result.seed),
        ("profile", result.profile),
        ("verdict", result.verdict),
        ("base_url", result.target["base_url"]),
        ("model", result.target["model"]),
    ):
        ET.SubElement(props, "property", name=name, value=str(value))
    tests = failures = errors = skipped = 0
    failure_index = {(f.check_id, f.case_id): f for f in result.failures}

    if result.reason is not None:
        case = ET.SubElement(suite, "testcase", classname="target", name="target is testable", time="0")
        ET.SubElement(case, "error", message=result.reason, type="untestable").text = result.reason
        tests, errors = 1, 1
    if result.stopped is not None:
        case = ET.SubElement(suite, "testcase", classname="target", name="target kept answering", time="0")
        ET.SubElement(case, "error", message=result.stopped, type="stopped").text = result.stopped
        tests, errors = tests + 1, errors + 1

    if result.load is not None and result.reason is None:
        tests, failures, skipped = _load_testcases(suite, result)
    for case_result in () if result.load is not None else result.cases:
        elapsed = f"{sum(e.timing.total_s for e in case_result.exchanges):.3f}"
        if case_result.error is not None:
            case = ET.SubElement(suite, "testcase", classname="request", name=case_result.id, time=elapsed)
            ET.SubElement(case, "error", message=case_result.error, type="transport").text = case_result.error
            tests += 1
            errors += 1
            continue
        for check_id, status in case_result.checks.items():
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=check_id, name=case_result.id, time=elapsed)
            failure = failure_index.get((check_id, case_result.id))
            if status == "skipped":
                skipped += 1
                ET.SubElement(case, "skipped", message="skipped")
            elif failure is not None and _blocks(failure, result.strict):
                kind = "error" if status == "error" else "failure"
                failures += kind == "failure"
                errors += kind == "error"
                ET.SubElement(
                    case, kind, message=failure.message.split("\n")[0], type=failure.severity
                ).text = failure.message
            elif failure is not None:
                skipped += 1
                why = (
                    "accepted by the baseline"
                    if failure.baselined
                    else "should-level, not blocking without --strict"
                )
                first_line = failure.message.split("\n")[0]
                ET.SubElement(case, "skipped", message=f"{why}: {first_line}")

    judged = {check_id for case_result in result.cases for check_id in case_result.checks}
    for check in () if result.load is not None else result.checks:
        if check.status == "skipped" and check.check.id not in judged:
            # Skipped before any case (no token for auth_enforced): one testcase says why.
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=check.check.id, name="(check)", time="0")
            ET.SubElement(case, "skipped", message=check.skip_reason or "skipped")

    for name, value in (("tests", tests), ("failures", failures), ("errors", errors), ("skipped", skipped)):
        suite.set(name, str(value))
    if result.differences is not None:
        counted = _differences_suite(suites, result.differences, suite.get("timestamp", ""))
        tests += len(counted)
        failures += sum(counted)
    for name, value in (("tests", tests), ("failures", failures), ("errors", errors)):
        suites.set(name, str(value))
    for element in suites.iter():
        # Messages quote what the target sent, and that may be any character at all.
        if element.text:
            element.text = xml_text(element.text)
        for name, value in element.attrib.items():
            element.set(name, xml_text(value))
    return ET.ElementTree(suites)


def _differences_suite(suites: ET.Element, found: Differences, timestamp: str) -> list[bool]:
    """A testcase per class of difference: failed when one is counted; returns which failed."""
    suite = ET.SubElement(
        suites, "testsuite", name="conformance.diff", timestamp=timestamp, hostname="localhost", time="0"
    )
    failed = []
    skipped = 0
    for klass, row in found.counts().items():
        case = ET.SubElement(suite, "testcase", classname="diff", name=klass, time="0")
        listed = [d for d in found.differences if d.klass == klass and d.standing != "noise"]
        failed.append(row["counted"] > 0)
        if row["counted"]:
            lines = [
                f"{d.case_id}"
                + ("" if d.exchange is None else f" request {d.exchange + 1}")
                + f": {d.fact}: reference {d.reference!r}, target {d.target!r}"
                for d in listed
                if d.standing == "counted"
            ]
            message = f"{row['counted']} difference(s) from the reference, e.g. {lines[0]}"
            more = [f"... and {len(lines) - LISTED_DIFFERENCES} more (results.json lists them all)"]
            text = "\n".join(lines[:LISTED_DIFFERENCES] + (more if len(lines) > LISTED_DIFFERENCES else []))
            ET.SubElement(case, "failure", message=message, type="difference").text = text
        elif row["accepted"]:
            skipped += 1
            ET.SubElement(
                case, "skipped", message=f"{row['accepted']} difference(s) accepted: {listed[0].note}"
            )
    suite.set("tests", str(len(failed)))
    suite.set("failures", str(sum(failed)))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return failed


def _load_testcases(suite: ET.Element, result: RunResult) -> tuple[int, int, int]:
    """A load test's junit: one testcase per check (over every exchange it judged), one per other gate."""
    assert result.load is not None
    tests = failures = skipped = 0
    gates = {gate.get("check"): gate for gate in result.load.get("gates", []) if gate.get("check")}
    for check in result.checks:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname="load", name=check.check.id, time="0")
        gate = gates.get(check.check.id)
        if check.status == "skipped":
            skipped += 1
            ET.SubElement(case, "skipped", message=check.skip_reason or "skipped")
        elif gate is not None and not gate["passed"]:
            failures += 1
            example = check.failures[0].message if check.failures else ""
            message = f"{gate['value']} (limit: {gate['limit']})"
            ET.SubElement(
                case, "failure", message=message, type=check.check.severity
            ).text = f"{message}\n\nFirst failure kept:\n{example}"
        elif check.failures:
            skipped += 1
            why = (
                "within --max-failure-ratio"
                if gate is not None
                else "should-level, not blocking without --strict"
            )
            ET.SubElement(case, "skipped", message=f"{why}: {check.failures[0].message.split(chr(10))[0]}")
    for gate in result.load.get("gates", []):
        if gate.get("check"):
            continue
        tests += 1
        case = ET.SubElement(suite, "testcase", classname="load.gate", name=gate["name"], time="0")
        if not gate["passed"]:
            failures += 1
            message = f"{gate['value']} (limit: {gate['limit']})"
            ET.SubElement(case, "failure", message=message, type="gate").text = message
    return tests, failures, skipped


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold written as a visible escape.

    >>> xml_text("bell\\x07 nul\\x00")
    'bell\\\\x07 nul\\\\x00'
    """
    return _NOT_XML.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def _blocks(failure: Failure, strict: bool) -> bool:
    return not failure.baselined and (failure.severity == "must" or strict)


def write_junit(result: RunResult, path: Path) -> Path:
    """Write junit.xml, with every secret of the run taken out of its values."""
    tree = junit_tree(result)
    ET.indent(tree)
    text = ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=False)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", encoding="utf-8")
    return path
