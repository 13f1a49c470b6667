"""Readable text: grouped by file, one line per finding and its hint, the verification record of a
dynamic run, then a summary line."""

from __future__ import annotations

from itertools import groupby

from checker.findings import SYNTAX_ERROR
from checker.report import Report
from checker.report.verification import (
    applied_phrase,
    checks_phrase,
    probes_phrase,
    rollback_phrase,
    run_line,
    shown_migrations,
    smoke_phrase,
    unexpected,
)


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
    lines.extend(_lock_table(report))
    if report.verification is not None:
        lines += [*verification_lines(report.verification), ""]
    lines.append(f"checked {report.summary['files']} file(s): {report.verdict}")
    return "\n".join(lines) + "\n"


def verification_lines(verification: dict) -> list[str]:
    lines = [f"verified on {run_line(verification)}"]
    for migration in shown_migrations(verification["migrations"]):
        lines.append(f"  {migration['file']}: {applied_phrase(migration)}")
        if migration["status"] != "applied":
            continue
        lines.append(f"    checks: {checks_phrase(migration['checks'])}")
        lines.append(f"    rls probes: {probes_phrase(migration)}")
        lines += [f"      {cell}" for cell in unexpected(migration["probes"])]
        lines.append(f"    rollback: {rollback_phrase(migration)}")
    for smoke in verification["smoke"]:
        lines.append(f"  smoke: {smoke_phrase(smoke)}")
    for seed_file in verification.get("seed_files", []):
        lines.append(f"  seed file: {smoke_phrase(seed_file)}")
    return lines


def _lock_table(report: Report) -> list[str]:
    """The strongest lock each migration takes on each table that existed before it, as predicted."""
    if not report.locks:
        return []
    lines = ["locks on tables that existed before each migration (predicted; checker verify measures them):"]
    for path, holds in groupby(report.locks, key=lambda h: h.file):
        lines.append(f"  {path}")
        rows = [("table", "strongest lock", "line", "statements", "rewrite")]
        rows += [(h.table, h.mode.label, str(h.line), str(h.statements), _yes(h.rewrite)) for h in holds]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(("    " + "  ".join(cells)).rstrip())
    lines.append("")
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
