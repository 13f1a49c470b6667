"""The lock trace: the locks each migration statement holds on tables that existed before it, measured.

While a migration is applied, the superuser connection reads `pg_locks` for the migrating backend
after every statement, and the relfilenode of every table that existed before the migration (a new
one means the table was rewritten). This sees what no static rule can: a function or DO block the
migration calls, a trigger, an extension script. A statement outside any transaction block would
release its locks before they could be read, so the trace runs it in a transaction of its own
(BEGIN, the statement, the reading, COMMIT), which is what autocommit does anyway; statements
PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...) run as they are.

Each statement that takes a lock which blocks writes (SHARE and stronger) on such a table, or
rewrites one, is a `dynamic-lock` finding saying how long the lock is held: locks last until the
transaction ends, the file's own COMMIT or, in runner mode, the runner's commit after the last
statement. A rewrite is a warning, a lock alone is information; suppressions of `dynamic-lock`, or
of the static lock rule that predicts it, cover the statement.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg.pq import TransactionStatus

from checker.dynamic.collect import Collector, at
from checker.findings import Severity
from checker.parse import ParsedFile, Statement
from checker.rules._locks import LOCK_RULE_IDS, Mode
from checker.rules.transaction_wrapper import non_transactional, transaction_kind
from checker.suppress import FileSuppressions, find_suppressions

DYNAMIC_LOCK = "dynamic-lock"
# Statements a transaction block would change: CALL and DO may commit themselves, DISCARD ALL refuses.
_NEVER_WRAPPED = frozenset({"TransactionStmt", "CallStmt", "VacuumStmt", "DiscardStmt", "ClusterStmt"})
_ENDS_TRANSACTION = re.compile(r"\b(commit|rollback)\b", re.IGNORECASE)

_TABLES = """
select c.oid, format('%I.%I', n.nspname, c.relname), c.relfilenode
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p', 'm')
   and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
"""
_HELD = """
select relation::oid, mode from pg_locks
 where pid = %s and locktype = 'relation' and granted and relation = any(%s)
"""
# Read on the migrating connection: a rewrite's new relfilenode is visible only inside its transaction
# until commit. Qualified throughout, since the migration may have changed search_path or operators.
_FILENODES = (
    "select oid, relfilenode from pg_catalog.pg_class"
    " where oid operator(pg_catalog.=) any(%s::pg_catalog.oid[])"
)


@dataclass
class Observation:
    statement: Statement
    held: dict[int, Mode]  # table oid -> strongest mode the transaction holds after the statement
    rewritten: set[int]
    own_transaction: bool  # run in a transaction of its own: its locks ended with it


@dataclass
class LockTrace:
    admin: psycopg.Connection
    conn: psycopg.Connection
    names: dict[int, str] = field(default_factory=dict)  # oid -> schema.table, before the migration
    filenodes: dict[int, int] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)

    @classmethod
    def start(cls, admin: psycopg.Connection, conn: psycopg.Connection) -> LockTrace:
        trace = cls(admin, conn)
        for oid, name, filenode in admin.execute(_TABLES):
            trace.names[oid], trace.filenodes[oid] = name, filenode
        return trace

    @contextlib.contextmanager
    def observe(self, statement: Statement) -> Iterator[None]:
        """Around one statement: its own transaction when it has none, then read its locks."""
        wrap = self._idle() and _may_wrap(statement)
        if wrap:
            self.conn.execute("begin")
        yield
        status = self.conn.info.transaction_status
        if status is TransactionStatus.INERROR or self.conn.broken or self.conn.closed:
            return  # the statement failed: the stage reports that, and rolls back
        held = self._held() if status is TransactionStatus.INTRANS else {}
        # idle after it: the statement was a transaction of its own (wrapped here, or run alone outside one)
        alone = wrap or status is TransactionStatus.IDLE
        self.observations.append(Observation(statement, held, self._rewritten(), alone))
        if wrap and status is TransactionStatus.INTRANS:
            self.conn.execute("commit")

    def _idle(self) -> bool:
        return self.conn.info.transaction_status is TransactionStatus.IDLE

    def _held(self) -> dict[int, Mode]:
        held: dict[int, Mode] = {}
        for oid, name in self.admin.execute(_HELD, (self.conn.info.backend_pid, list(self.names))):
            mode = Mode.from_pg(name)
            if mode is not None:
                held[oid] = max(held.get(oid, mode), mode)
        return held

    def _rewritten(self) -> set[int]:
        rows = self.conn.execute(_FILENODES, (list(self.names),)).fetchall()
        changed = {oid for oid, filenode in rows if filenode and filenode != self.filenodes.get(oid)}
        self.filenodes.update(dict(rows))
        return changed

    # --- findings ------------------------------------------------------------------------------

    def report(self, migration: ParsedFile, runner: bool, out: Collector) -> None:
        suppressions = find_suppressions(migration)
        for index, observation in enumerate(self.observations):
            for oid, (mode, rewritten) in self._taken(index).items():
                message = (
                    f"{mode.label} on {self.names[oid]} ({mode.effect}) {self._held_for(index, oid, runner)}"
                    + ("; table rewritten" if rewritten else "")
                )
                where = at(observation.statement)
                if not _suppressed(suppressions, observation.statement):
                    out.add(
                        DYNAMIC_LOCK,
                        Severity.WARNING if rewritten else Severity.INFO,
                        where,
                        message,
                        _hint(mode, rewritten),
                        self.names[oid],
                    )

    def _taken(self, index: int) -> dict[int, tuple[Mode, bool]]:
        """What the statement newly took (a mode that blocks writes), or rewrote, per table."""
        observation = self.observations[index]
        before = self.observations[index - 1] if index else None
        earlier = {} if before is None or before.own_transaction else before.held
        taken = {
            oid: (mode, oid in observation.rewritten)
            for oid, mode in observation.held.items()
            if mode >= Mode.SHARE and mode > earlier.get(oid, Mode.ACCESS_SHARE)
        }
        for oid in observation.rewritten - set(taken):
            taken[oid] = (observation.held.get(oid, Mode.ACCESS_EXCLUSIVE), True)
        return taken

    def _held_for(self, index: int, oid: int, runner: bool) -> str:
        if self.observations[index].own_transaction:
            return "while the statement runs (it is a transaction of its own)"
        later = self.observations[index + 1 :]
        for steps, observation in enumerate(later, start=1):
            if oid not in observation.held or observation.own_transaction:
                ended = transaction_kind(observation.statement) or ""
                verb = "rollback" if "ROLLBACK" in ended else "commit"
                return f"until {verb}, {_statements(steps)} later (line {observation.statement.line})"
        if runner:
            return f"until the runner's commit after the last statement, {_statements(len(later) + 1)} later"
        return "until the transaction ends"


def _may_wrap(statement: Statement) -> bool:
    if statement.kind in _NEVER_WRAPPED or non_transactional(statement) is not None:
        return False
    return not (statement.kind == "DoStmt" and _ENDS_TRANSACTION.search(statement.text))


def _statements(count: int) -> str:
    return f"{count} statement{'s' if count != 1 else ''}"


def _hint(mode: Mode, rewritten: bool) -> str:
    if rewritten:
        return (
            "a rewrite holds the lock for as long as it takes to copy the table: use the safe form "
            "(see the static lock rules), or run it when nobody uses the table"
        )
    if mode is Mode.ACCESS_EXCLUSIVE:
        return "keep the transaction short after this statement, and set lock_timeout before it"
    return "writes to the table wait until the transaction ends: keep it short"


def _suppressed(suppressions: FileSuppressions, statement: Statement) -> bool:
    return any(suppressions.covers(rule, statement.index) for rule in (DYNAMIC_LOCK, *LOCK_RULE_IDS))
