"""JUnit XML for CI systems that render it (GitLab, Jenkins, ...): one test case per file and stage.

The static suite has a case per checked file; the dynamic suite, after a verification, a case per
migration (its rollback's findings included). A case fails on an error-level finding; warnings and
info go to its system-out. A migration the run did not reach is skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from checker.findings import Finding, Severity
from checker.report import Report

_NOT_REACHED = ("not applied", "not verified")


def _line(f: Finding) -> str:
    return f"{f.file}:{f.line}:{f.column} {f.severity.value} {f.rule}: {f.message} (hint: {f.hint})"


def _case(suite: ET.Element, stage: str, name: str, findings: list[Finding], skipped: str = "") -> None:
    case = ET.SubElement(suite, "testcase", name=name, classname=f"checker.{stage}", time="0")
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if skipped and not errors:
        ET.SubElement(case, "skipped", message=skipped)
    elif errors:
        failure = ET.SubElement(case, "failure", message=errors[0].message, type=errors[0].rule)
        failure.text = "\n".join(_line(f) for f in errors)
    others = [f for f in findings if f.severity is not Severity.ERROR]
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in others)


def _suite(root: ET.Element, stage: str, cases: Iterable[tuple[str, list[Finding], str]]) -> None:
    suite = ET.SubElement(root, "testsuite", name=f"checker {stage}")
    for name, findings, skipped in cases:
        _case(suite, stage, name, findings, skipped)
    tests = suite.findall("testcase")
    suite.set("tests", str(len(tests)))
    suite.set("failures", str(sum(1 for case in tests if case.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for case in tests if case.find("skipped") is not None)))
    suite.set("time", "0")


def _static_cases(report: Report) -> list[tuple[str, list[Finding], str]]:
    static = [f for f in report.findings if f.stage == "static"]
    files = list(dict.fromkeys([*report.files, *(f.file for f in static)]))
    return [(file, [f for f in static if f.file == file], "") for file in files]


def _dynamic_cases(report: Report, verification: dict) -> list[tuple[str, list[Finding], str]]:
    dynamic = [f for f in report.findings if f.stage == "dynamic"]
    cases, claimed = [], set()
    for migration in verification["migrations"]:
        files = {migration["file"], migration["rollback_file"]} - {None}
        claimed |= files
        skipped = migration["status"] if migration["status"] in _NOT_REACHED else ""
        cases.append((migration["file"], [f for f in dynamic if f.file in files], skipped))
    rest = [f for f in dynamic if f.file not in claimed]  # baseline, smoke files
    if rest or not cases:
        cases.append(("run (seed, baseline, smoke)", rest, ""))
    return cases


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="checker")
    _suite(root, "static", _static_cases(report))
    if report.verification is not None:
        _suite(root, "dynamic", _dynamic_cases(report, report.verification))
    suites = root.findall("testsuite")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in suites)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
