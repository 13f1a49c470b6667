"""Running SQL files on the throwaway database one statement at a time, and locating failures.

Statements go one by one over an autocommit connection, so a file's own BEGIN/COMMIT decide what
is atomic, exactly as when psql runs the file; a failure is then known to the statement, and
PostgreSQL's error position inside it maps back to the file's line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from checker.dynamic.collect import Location, at, at_char
from checker.errors import EngineError
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.parse import ParsedFile, Statement

TRANSACTION_CONTROL = "TransactionStmt"


@dataclass
class Failure:
    """A statement PostgreSQL rejected (or a file that ended inside an open transaction)."""

    where: Location
    message: str
    hint: str
    sqlstate: str | None = None


def run_file(conn: psycopg.Connection, parsed: ParsedFile, one_transaction: bool = False) -> Failure | None:
    """Run a file; on failure roll back what is open and return where and why it failed.

    `one_transaction` wraps the whole file in a transaction, as the Supabase CLI does with
    migrations (the file's own BEGIN then only draws a warning).
    """
    if not parsed.statements:
        return None
    last = parsed.statements[-1]
    if one_transaction:
        conn.execute("begin")
    failure = run_statements(conn, parsed.statements)
    if failure is None and one_transaction and _in_transaction(conn):
        failure = _execute(conn, last, "commit")
    if failure is None and _in_transaction(conn):
        rollback_open(conn)
        return Failure(
            at(last),
            "the file ends inside an open transaction (BEGIN without COMMIT); psql and the Supabase CLI "
            "roll it back at disconnect, so nothing the file did is kept",
            "end the file with COMMIT",
        )
    return failure


def run_statements(conn: psycopg.Connection, statements: Iterable[Statement]) -> Failure | None:
    """Execute statements in order; stop at the first error (after rolling back what is open)."""
    for statement in statements:
        failure = _execute(conn, statement, statement.text)
        if failure:
            return failure
    return None


def _execute(conn: psycopg.Connection, statement: Statement, text: str) -> Failure | None:
    try:
        conn.execute(text)
    except psycopg.Error as err:
        if conn.broken or conn.closed:
            raise EngineError(f"the database connection was lost: {' '.join(str(err).split())}") from None
        rollback_open(conn)
        return failure_of(statement, err)
    return None


def _in_transaction(conn: psycopg.Connection) -> bool:
    return conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)


def rollback_open(conn: psycopg.Connection) -> None:
    """Roll back a transaction left open (or aborted) by a file, so the next step starts clean."""
    if _in_transaction(conn):
        conn.execute("rollback")


def failure_of(statement: Statement, err: psycopg.Error) -> Failure:
    """PostgreSQL's message, detail and hint, located at the fault inside the statement."""
    diag = err.diag
    primary = diag.message_primary or " ".join(str(err).split())
    message = primary + (f" ({diag.message_detail})" if diag.message_detail else "")
    hint = diag.message_hint or "fix the statement so that PostgreSQL accepts it"
    return Failure(error_location(statement, err), message, hint, diag.sqlstate)


def error_location(statement: Statement, err: psycopg.Error) -> Location:
    """PostgreSQL's position when it gives one; else the node the message names; else the statement.

    Errors raised while analysing expressions outside a query (a policy's USING, a check) carry no
    position, but their message quotes the name at fault ("column \"owner_id\" does not exist").
    """
    position = err.diag.statement_position
    if position and position.isdigit():
        return at_char(statement, int(position) - 1)
    return at(statement, _named_node_location(statement.node, err.diag.message_primary or ""))


def _named_node_location(node: Any, message: str) -> int | None:
    names = set(message.split('"')[1::2])
    if not names:
        return None
    found = [
        item.get("location")
        for kind, name_of in _NAMED_NODES.items()
        for item in find_nodes(node, kind)
        if name_of(item) in names and isinstance(item.get("location"), int)
    ]
    return min(found) if found else None


def _last(items: list[str]) -> str | None:
    return items[-1] if items else None


_NAMED_NODES = {
    "ColumnRef": lambda n: _last(strings(n.get("fields"))),
    "RangeVar": lambda n: n.get("relname"),
    "FuncCall": lambda n: _last(strings(n.get("funcname"))),
    "TypeName": lambda n: _last(strings(n.get("names"))),
}
