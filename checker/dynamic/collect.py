"""Findings of the dynamic stage: where they point, the policy's severities, and phase timings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from checker.dynamic.record import Record
from checker.findings import Finding, Severity
from checker.parse import Statement
from checker.policy import Policy

# file, line, column
Location = tuple[str, int, int]


def at(statement: Statement, byte_location: int | None = None) -> Location:
    """The location of a statement, or of a node inside it (`byte_location` as libpg_query gives it)."""
    line, column = statement.position(byte_location)
    return statement.source.path, line, column


def at_char(statement: Statement, char_offset: int) -> Location:
    """The location of a character offset into the statement's own text."""
    line, column = statement.source.position(statement.start + char_offset)
    return statement.source.path, line, column


def shown_path(path: Path) -> str:
    """Policy paths are absolute (rooted at the policy file); reports read better relative to here."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Collector:
    """Findings in the order they are found; the policy may lower, raise or switch off a rule."""

    policy: Policy
    findings: list[Finding] = field(default_factory=list)
    record: Record = field(default_factory=Record)  # what the run did, for the verification record

    def add(
        self,
        rule: str,
        severity: Severity,
        where: Location,
        message: str,
        hint: str,
        object_name: str | None = None,
    ) -> None:
        chosen = self.policy.severity(rule, severity)
        if chosen is None:
            return
        if object_name and self.policy.exemption(rule, object_name):
            return
        file, line, column = where
        self.findings.append(Finding(rule, chosen, "dynamic", file, line, column, message, hint))

    def check(self, kind: str, passed: bool) -> bool:
        """Count a validation check of the current migration; returns `passed` for the caller's `if`."""
        self.record.check(kind, passed)
        return passed


@dataclass
class Timings:
    """Seconds spent per phase, added into a caller's dict (a benchmark prints it)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
