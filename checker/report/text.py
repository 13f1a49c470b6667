"""Readable text: grouped by file, one line per finding and its hint, then a summary line."""

from __future__ import annotations

from itertools import groupby

from checker.findings import SYNTAX_ERROR
from checker.report import Report


def render_text(report: Report) -> str:
    lines: list[str] = []
    for path, findings in groupby(report.findings, key=lambda f: f.file):
        lines.append(path)
        for f in findings:
            if f.rule == SYNTAX_ERROR:  # the compiler-style form editors and terminals turn into links
                lines.append(f"{f.file}:{f.line}:{f.column}: {f.message}")
                continue
            lines.append(f"  {f.line}:{f.column}  {f.severity.value:<7} {f.rule}  {f.message}")
            lines.append(f"      hint: {f.hint}")
        lines.append("")
    s = report.summary
    verdict = (
        "no problems"
        if not report.findings
        else (f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info")
    )
    lines.append(f"checked {s['files']} file(s): {verdict}")
    return "\n".join(lines) + "\n"
