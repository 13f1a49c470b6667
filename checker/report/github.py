"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff."""

from __future__ import annotations

from checker.findings import Severity
from checker.report import Report

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for f in report.findings:
        props = ",".join(
            [
                f"file={_escape_property(f.file)}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_escape_property(f.rule)}",
            ]
        )
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_escape_data(f.message + ' — ' + f.hint)}")
    s = report.summary
    lines.append(f"checked {s['files']} file(s): {s['error']} error(s), {s['warning']} warning(s)")
    return "\n".join(lines) + "\n"
