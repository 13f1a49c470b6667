"""The verification record: what a dynamic run did, step by step, so a reviewer can tell a thorough
verification from one that skipped steps. Each phase appends to it; the reports render `to_dict()`.

Progress lines (`say`) go to a callback the command line points at stderr, never at the report.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from checker.dynamic.seed import seed_files

CHECK_KINDS = ("tables", "objects", "keys", "rls", "policies")


@dataclass
class Probe:
    """One cell of the RLS matrix: a role (as which user) running a command on whose rows."""

    table: str
    actor: str  # "authenticated (user A)" or "anon"
    command: str
    rows: str  # "own", "others'" or "any"
    allowed: bool
    expected: bool  # whether that is what the table's policies say

    def to_dict(self) -> dict:
        return {
            "table": self.table,
            "actor": self.actor,
            "command": self.command,
            "rows": self.rows,
            "outcome": "allowed" if self.allowed else "denied",
            "expected": self.expected,
        }


@dataclass
class MigrationRecord:
    file: str
    rollback_file: str | None = None
    status: str = "not applied"  # applied, failed, not applied, not verified, and (history.py)
    # applied unchecked, restored from cache
    statements: int = 0
    seconds: float = 0.0
    checks: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: {"passed": 0, "failed": 0} for kind in CHECK_KINDS}
    )
    probes: list[Probe] = field(default_factory=list)
    probes_skipped: list[str] = field(default_factory=list)  # tables, with why
    rollback: str = "not run"  # restored, differences, failed, no rollback file, not checked, not run
    differences: list[str] = field(default_factory=list)
    reapply: str = "not run"  # applied, failed, not run

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "rollback_file": self.rollback_file,
            "status": self.status,
            "statements": self.statements,
            "seconds": round(self.seconds, 3),
            "checks": self.checks,
            "probes": [probe.to_dict() for probe in self.probes],
            "probes_skipped": self.probes_skipped,
            "rollback": {"status": self.rollback, "differences": self.differences},
            "reapply": self.reapply,
        }


@dataclass
class Record:
    engine: str = ""
    server_version: str = ""
    seed: str = ""
    standins: list[str] = field(default_factory=list)
    migrations: list[MigrationRecord] = field(default_factory=list)
    smoke: list[dict[str, str]] = field(default_factory=list)  # file, status, why
    seed_files: list[dict[str, str]] = field(default_factory=list)  # the project's: file, status, why
    say: Callable[[str], None] = field(default=lambda _: None, repr=False)

    @property
    def current(self) -> MigrationRecord | None:
        return self.migrations[-1] if self.migrations else None

    def migration(self, file: str) -> MigrationRecord:
        for item in self.migrations:
            if item.file == file:
                return item
        self.migrations.append(MigrationRecord(file))
        return self.migrations[-1]

    def smoke_result(self, file: str, status: str, why: str = "") -> None:
        self.smoke.append({"file": file, "status": status, "why": why})

    def seed_file_result(self, file: str, status: str, why: str = "") -> None:
        self.seed_files.append({"file": file, "status": status, "why": why})

    def check(self, kind: str, passed: bool) -> None:
        if self.current is not None:
            self.current.checks[kind]["passed" if passed else "failed"] += 1

    def to_dict(self) -> dict:
        return {
            "engine": self.engine,
            "server_version": self.server_version,
            "seed": self.seed,
            "standins": self.standins,
            "migrations": [item.to_dict() for item in self.migrations],
            "smoke": self.smoke,
            **({"seed_files": self.seed_files} if self.seed_files else {}),
        }


def seed_identity() -> str:
    """The seed's files and a digest of their SQL: which seed a record was made with."""
    files = seed_files()
    digest = hashlib.sha256()
    for item in files:
        digest.update(item.read_bytes())
    return f"supabase seed, {len(files)} files, sha256 {digest.hexdigest()[:12]}"


def stderr_progress(line: str) -> None:
    print(f"checker: {line}", file=sys.stderr, flush=True)
