"""Markdown for a pull request: a verdict, the findings as a table, and the verification record."""

from __future__ import annotations

from checker.report import Report
from checker.report.verification import (
    applied_phrase,
    checks_phrase,
    probes_phrase,
    rollback_phrase,
    run_line,
    shown_migrations,
    smoke_phrase,
)

# Finds the comment this report is in when a workflow updates it (see checker/github_comment.py).
MARKER = "<!-- supabase-migration-gate -->"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    files = report.summary["files"]
    lines = [MARKER, "## Migration check", "", f"Checked {files} file(s): **{report.verdict}**.", ""]
    if report.findings:
        lines += ["| severity | rule | where | finding |", "| --- | --- | --- | --- |"]
        for f in report.findings:
            where = f"`{_cell(f.file)}:{f.line}:{f.column}`"
            finding = f"{_cell(f.message)}<br>*hint:* {_cell(f.hint)}"
            severity = f"**{f.severity.value}**" if f.severity.value == "error" else f.severity.value
            lines.append(f"| {severity} | `{f.rule}` | {where} | {finding} |")
        lines.append("")
    lines += _lock_table(report)
    if report.verification is not None:
        lines += verification_markdown(report.verification)
    return "\n".join(lines) + "\n"


def _lock_table(report: Report) -> list[str]:
    """The strongest lock each migration takes on each table that existed before it, as predicted."""
    if not report.locks:
        return []
    lines = [
        "### Locks on existing tables",
        "",
        "| migration | table | strongest lock | at line | held for statements | rewrite |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for hold in report.locks:
        rewrite = "**yes**" if hold.rewrite else "no"
        cells = (f"`{_cell(hold.file)}`", f"`{hold.table}`", hold.mode.label, hold.line, hold.statements)
        cells += (rewrite,)
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return [*lines, ""]


def verification_markdown(verification: dict) -> list[str]:
    lines = ["### Verification", "", f"On a throwaway database: {_cell(run_line(verification))}.", ""]
    lines += ["| migration | applied | checks passed | RLS probes | rollback |"]
    lines += ["| --- | --- | --- | --- | --- |"]
    for m in shown_migrations(verification["migrations"]):
        if m["status"] != "applied":
            lines.append(f"| `{_cell(m['file'])}` | {_cell(applied_phrase(m))} | | | |")
            continue
        probes = probes_phrase(m)
        lines.append(
            f"| `{_cell(m['file'])}` | {_cell(applied_phrase(m))} | {_cell(checks_phrase(m['checks']))} "
            f"| {probes} | {_cell(rollback_phrase(m))} |"
        )
    lines.append("")
    for smoke in verification["smoke"]:
        lines.append(f"- smoke test: {_cell(smoke_phrase(smoke))}")
    for seed_file in verification.get("seed_files", []):
        lines.append(f"- seed file: {_cell(smoke_phrase(seed_file))}")
    lines += _matrix(verification)
    return lines


def _matrix(verification: dict) -> list[str]:
    """The RLS probes, one row per table, actor and command; unexpected outcomes in bold."""
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for m in verification["migrations"]:
        for p in m["probes"]:
            outcome = p["outcome"] if p["expected"] else f"**{p['outcome']} (unexpected)**"
            rows.setdefault((p["table"], p["actor"], p["command"]), {})[p["rows"]] = outcome
    if not rows:
        return []
    lines = ["", "<details><summary>RLS probes</summary>", ""]
    lines += ["| table | as | command | own rows | others' rows |", "| --- | --- | --- | --- | --- |"]
    for (table, actor, command), cells in rows.items():
        others = cells.get("others'", cells.get("any", ""))
        lines.append(f"| `{table}` | {actor} | {command} | {cells.get('own', '')} | {others} |")
    return [*lines, "", "</details>"]
