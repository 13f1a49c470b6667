"""Report formats: text (default), json, sarif, github, markdown, junit. Each renders the same list of
findings and, after a dynamic run, its verification record (checker/dynamic/record.py's `to_dict()`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from checker.findings import Finding, Severity

if TYPE_CHECKING:
    from checker.rules._locks import LockHold

REPORT_VERSION = "1.1"  # 1.1: the optional `verification` record


@dataclass
class Report:
    findings: list[Finding]
    files: list[str] = field(default_factory=list)
    tool_version: str = ""
    verification: dict | None = None  # what the dynamic stage did; None when it did not run
    locks: list[LockHold] = field(default_factory=list)  # per migration and existing table (text only)

    @property
    def summary(self) -> dict:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return {"files": len(self.files), "findings": len(self.findings), **counts}

    @property
    def verdict(self) -> str:
        s = self.summary
        if not self.findings:
            return "no problems"
        return f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info"


def render(report: Report, fmt: str) -> str:
    return _FORMATS[fmt](report)


def _text(report: Report) -> str:
    from checker.report.text import render_text

    return render_text(report)


def _json(report: Report) -> str:
    from checker.report.json_report import render_json

    return render_json(report)


def _sarif(report: Report) -> str:
    from checker.report.sarif import render_sarif

    return render_sarif(report)


def _github(report: Report) -> str:
    from checker.report.github import render_github

    return render_github(report)


def _markdown(report: Report) -> str:
    from checker.report.markdown import render_markdown

    return render_markdown(report)


def _junit(report: Report) -> str:
    from checker.report.junit import render_junit

    return render_junit(report)


_FORMATS: dict[str, Callable[[Report], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
    "markdown": _markdown,
    "junit": _junit,
}
FORMATS = tuple(_FORMATS)
