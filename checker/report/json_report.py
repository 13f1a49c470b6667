"""One JSON document: {"version", "tool", "findings", "summary"} and, after a dynamic run,
"verification"; its schema is checker/schemas/report.schema.json."""

from __future__ import annotations

import json

from checker.report import REPORT_VERSION, Report


def report_dict(report: Report) -> dict:
    document = {
        "version": REPORT_VERSION,
        "tool": {"name": "checker", "version": report.tool_version},
        "findings": [f.to_dict() for f in report.findings],
        "summary": report.summary,
    }
    if report.verification is not None:
        document["verification"] = report.verification
    return document


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2) + "\n"
