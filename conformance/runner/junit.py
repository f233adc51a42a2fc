"""junit.xml: one testcase per case and check, in the shape CI JUnit readers accept.

A failure that blocks the run is a ``<failure>``; one that does not (accepted
by the baseline, or a ``should`` failure without ``--strict``) is a
``<skipped>`` whose message says why, so the CI page stays as green as the
exit code. A case that could not be judged (the request failed) is an ``<error>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.runner.results import Failure, RunResult

# Characters XML 1.0 forbids even escaped (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF).
# ElementTree writes them as they are, and the file then fails every XML parser.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_tree(result: RunResult) -> ET.ElementTree[ET.Element]:
    """junit.xml as a tree: a ``<testcase>`` per case and check, not yet redacted."""
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

    for case_result in result.cases:
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
    for check in result.checks:
        if check.status == "skipped" and check.check.id not in judged:
            # Skipped before any case (no token for auth_enforced): one testcase says why.
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=check.check.id, name="(check)", time="0")
            ET.SubElement(case, "skipped", message=check.skip_reason or "skipped")

    for element in (suite, suites):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    for element in suites.iter():
        # Messages quote what the target sent, and that may be any character at all.
        if element.text:
            element.text = xml_text(element.text)
        for name, value in element.attrib.items():
            element.set(name, xml_text(value))
    return ET.ElementTree(suites)


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold written as a visible escape.

    >>> xml_text("bell\\x07 nul\\x00")
    'bell\\\\x07 nul\\\\x00'
    """
    return _NOT_XML.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def _blocks(failure: Failure, strict: bool) -> bool:
    return not failure.baselined and (failure.severity == "must" or strict)


def write_junit(result: RunResult, path: Path) -> Path:
    """Write junit.xml, with every secret of the run redacted."""
    tree = junit_tree(result)
    ET.indent(tree)
    text = ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=False)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + result.redact(text) + "\n", encoding="utf-8")
    return path
