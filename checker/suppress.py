"""Inline suppressions in SQL comments, with a reason:

    -- checker-ignore rls-enabled: this table is written by a trigger only
    create table public.audit_log (...);

    -- checker-ignore-file fk-unindexed: tiny lookup tables

The first form covers the next statement (or the statement the comment sits in);
the second covers the whole file. Comments are found with libpg_query's scanner, not by pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checker.findings import DYNAMIC_RULES, INVALID_SUPPRESSION, UNUSED_SUPPRESSION, Finding, Severity
from checker.parse import ParsedFile, comments

MARKER = "checker-ignore"
DYNAMIC_IDS = frozenset(DYNAMIC_RULES)


@dataclass
class Suppression:
    rules: tuple[str, ...]
    reason: str
    line: int
    column: int
    start: int  # character offset of the comment
    whole_file: bool
    statement_index: int | None = None
    used: bool = False


@dataclass
class FileSuppressions:
    path: str
    items: list[Suppression] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)

    def covers(self, rule: str, statement_index: int | None) -> bool:
        """Whether a suppression of `rule` covers the statement (and mark it used)."""
        for item in self.items:
            if rule in item.rules and (item.whole_file or item.statement_index == statement_index):
                item.used = True
                return True
        return False

    def unused(self) -> list[Finding]:
        return [
            Finding(
                UNUSED_SUPPRESSION,
                Severity.WARNING,
                "static",
                self.path,
                item.line,
                item.column,
                f"suppression of {', '.join(item.rules)} matched no finding",
                "remove the comment, or fix the rule id / move it before the statement it is for",
            )
            for item in self.items
            if not item.used and not set(item.rules) <= DYNAMIC_IDS  # the dynamic stage applies those
        ]


def find_suppressions(parsed: ParsedFile) -> FileSuppressions:
    found = FileSuppressions(parsed.path)
    text = parsed.source.text
    if MARKER not in text:  # the scanner is only run for files that can hold a suppression
        return found
    for comment in comments(text):
        if comment.body.startswith(MARKER):
            _add(found, parsed, comment.body, comment.start)
    return found


def _add(found: FileSuppressions, parsed: ParsedFile, body: str, start: int) -> None:
    line, column = parsed.source.position(start)
    whole_file = body.startswith(MARKER + "-file")
    spec = body.removeprefix(MARKER + "-file" if whole_file else MARKER).strip()
    ids, colon, reason = spec.partition(":")
    rules = tuple(r.strip() for r in ids.replace(",", " ").split() if r.strip())
    if not rules or not colon or len(reason.strip()) < 3:
        found.problems.append(
            Finding(
                INVALID_SUPPRESSION,
                Severity.WARNING,
                "static",
                parsed.path,
                line,
                column,
                "suppression needs rule ids and a reason",
                f"write: -- {MARKER} RULE-ID: why this is safe",
            )
        )
        return
    found.items.append(
        Suppression(
            rules,
            reason.strip(),
            line,
            column,
            start,
            whole_file,
            None if whole_file else _statement_after(parsed, start),
        )
    )


def _statement_after(parsed: ParsedFile, offset: int) -> int | None:
    """The statement the comment belongs to: the one it sits in, the one it trails on the same line
    (`create table ...; -- checker-ignore ...`), else the first one after it."""
    text = parsed.source.text
    for statement in parsed.statements:
        if statement.start <= offset < statement.end:
            return statement.index
        if statement.end <= offset and "\n" not in text[statement.end : offset]:
            return statement.index
        if statement.start >= offset:
            return statement.index
    return None
