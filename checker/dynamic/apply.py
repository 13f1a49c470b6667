"""Running SQL files on the throwaway database one statement at a time, and locating failures.

Statements go one by one over an autocommit connection, so a file's own BEGIN/COMMIT decide what
is atomic, exactly as when psql runs the file; a failure is then known to the statement, and
PostgreSQL's error position inside it maps back to the file's line and column.

Hostile or odd files are contained:
- every statement of the stage runs under a statement timeout of `STATEMENT_TIMEOUT_SECONDS`
  (300 s); the environment variable `CHECKER_STATEMENT_TIMEOUT` (seconds) overrides it. It is the
  session default of the connection, so a file's own `SET statement_timeout` lasts only until the
  file ends, and past the limit the checker cancels the statement itself;
- the session is reset after each file (role, session authorization, settings such as
  search_path), so one file's `SET ROLE` or `SET search_path` never reaches the next step;
- statements that act on the whole server (CREATE/DROP/ALTER DATABASE, tablespaces) are not run:
  the engine may be a server the checker did not create; they are returned as skipped. What needs
  a superuser (ALTER SYSTEM, COPY to or from a server file or program, server-side large objects,
  C functions, pg_read_file ...) simply fails: the project's SQL runs as the non-superuser
  `postgres`, as on Supabase (see privileges.py), and the failure says so;
- on that connection, extension statements Supabase allows run through supautils' stand-in, and
  statements on Supabase's reserved roles are refused as there;
- a value quoted from the database in a message is cut to `EXCERPT_CHARACTERS`: a report must not
  carry what a statement managed to read;
- `COPY ... FROM STDIN` is not run (a migration file has no data stream; psql supplies one) and
  `COPY ... TO STDOUT` output is read and discarded, as psql prints it;
- a statement that ends the session (pg_terminate_backend of its own backend) is a failure with
  `session_lost` set: nothing more can run on that connection.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus

from checker.dynamic.collect import Location, at, at_char
from checker.dynamic.privileges import (
    NEEDS_SUPERUSER_HINT,
    REFUSAL,
    privileged_call,
    privileged_do_block,
    requested_version,
    reserved_refusal,
)
from checker.dynamic.standins import FEATURE_NOT_SUPPORTED
from checker.errors import ConfigError
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.parse import ParsedFile, Statement
from checker.rules.transaction_wrapper import begins, ends, runs_alone

TRANSACTION_CONTROL = "TransactionStmt"
STATEMENT_TIMEOUT_SECONDS = 300
TIMEOUT_VARIABLE = "CHECKER_STATEMENT_TIMEOUT"
QUERY_CANCELED = "57014"
INSUFFICIENT_PRIVILEGE = "42501"
EXCERPT_CHARACTERS = 300
QUOTED_CHARACTERS = 63  # the longest identifier PostgreSQL keeps
# The client cancels a statement this long after the server's own timeout should have: a file may
# have turned statement_timeout off (`SET statement_timeout = 0` is common before long index builds).
WATCHDOG_GRACE_SECONDS = 1.0

# Leaves the session as a new connection has it; RESET ALL returns to the connection's own options
# (among them the statement timeout), not to the server defaults. The file's temporary tables go with
# its session, as they would with the runner's: applied again after its rollback, it makes them anew.
RESET_SESSION = "reset session authorization; reset role; reset all; discard temp"

_SERVER_WIDE = {
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterDatabaseStmt": "ALTER DATABASE",
    "AlterDatabaseSetStmt": "ALTER DATABASE",
    "AlterDatabaseRefreshCollStmt": "ALTER DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterTableSpaceOptionsStmt": "ALTER TABLESPACE",
}
_SERVER_OBJECTS = {"OBJECT_DATABASE": "DATABASE", "OBJECT_TABLESPACE": "TABLESPACE"}


# Wraps each statement of a file the stage traces (checker/dynamic/locks.py reads its locks after it).
Observer = Callable[[Statement], contextlib.AbstractContextManager[None]]


@dataclass
class Failure:
    """A statement PostgreSQL rejected (or a file that ended inside an open transaction).

    `session_lost`: the statement ended the connection, so the stage cannot go on.
    """

    where: Location
    message: str
    hint: str
    sqlstate: str | None = None
    session_lost: bool = False


# Why a statement is not run here (the stage's knowledge of this server), or None to run it.
Skip = Callable[[Statement], Failure | None]


def statement_timeout() -> float:
    """Seconds a statement may run: CHECKER_STATEMENT_TIMEOUT, else STATEMENT_TIMEOUT_SECONDS."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return STATEMENT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise ConfigError(f"{TIMEOUT_VARIABLE}={raw!r} is not a positive number of seconds")
    return seconds


def with_statement_timeout(uri: str) -> str:
    """The connection string with the statement timeout added to its own `options`."""
    options = conninfo_to_dict(uri).get("options") or ""
    milliseconds = max(1, round(statement_timeout() * 1000))
    return make_conninfo(uri, options=f"{options} -c statement_timeout={milliseconds}".strip())


def run_file(
    conn: psycopg.Connection,
    parsed: ParsedFile,
    one_transaction: bool = False,
    skipped: list[Failure] | None = None,
    observe: Observer | None = None,
    alone: bool = False,
    skip: Skip | None = None,
) -> Failure | None:
    """Run a file; on failure roll back what is open and return where and why it failed.

    `one_transaction` wraps the whole file in a transaction, as the Supabase CLI does with
    migrations (the file's own BEGIN then only draws a warning); `alone`: but runs the statements it
    runs alone outside it (transaction_wrapper.runs_alone). Statements that were not run because they
    act on the whole server, or `skip` says why not, are appended to `skipped`. The session is reset after.
    """
    if not parsed.statements:
        return None
    try:
        failure = _run_file(conn, parsed, one_transaction, skipped, observe, alone, skip)
    finally:
        if not (conn.broken or conn.closed):
            reset_session(conn)
    return failure


def _run_file(
    conn: psycopg.Connection,
    parsed: ParsedFile,
    one_transaction: bool,
    skipped: list[Failure] | None,
    observe: Observer | None,
    alone: bool,
    skip: Skip | None,
) -> Failure | None:
    last = parsed.statements[-1]
    if one_transaction:
        conn.execute("begin")
    batched = one_transaction and alone
    failure = run_statements(conn, parsed.statements, skipped, observe, batched, skip)
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


def reset_session(conn: psycopg.Connection) -> None:
    """Undo what a file left in the session (role, search_path, other settings) for the next step."""
    rollback_open(conn)
    conn.execute(RESET_SESSION)


def run_statements(
    conn: psycopg.Connection,
    statements: Iterable[Statement],
    skipped: list[Failure] | None = None,
    observe: Observer | None = None,
    batched: bool = False,
    skip: Skip | None = None,
) -> Failure | None:
    """Execute statements in order; stop at the first error (after rolling back what is open).

    `batched`: in the Supabase CLI's transaction, where a statement the CLI runs alone (runs_alone) does
    so: what came before is committed, it runs outside any transaction, and the rest of the file goes
    on in a new one. Not inside the file's own BEGIN: the CLI's flush does not end that, and PostgreSQL
    refuses the statement there."""
    own_block = False
    for statement in statements:
        server_wide = _server_wide(statement)
        not_run = _not_run(statement, server_wide) if server_wide else skip(statement) if skip else None
        if not_run:
            if skipped is not None:
                skipped.append(not_run)
            continue
        alone = batched and not own_block and runs_alone(statement) and _in_transaction(conn)
        if alone:
            failure = _execute(conn, statement, "commit")
            if failure:
                return replace(failure, message=f"{COMMIT_BEFORE_ALONE}: {failure.message}")
        if _copy_from_stdin(statement):
            rollback_open(conn)
            return Failure(
                at(statement),
                "COPY ... FROM STDIN needs the data stream psql supplies; a migration file has none, "
                "so the statement cannot run from a migration",
                "load the rows with INSERT ... VALUES, or from a file the server can read, or in a seed",
            )
        with observe(statement) if observe else contextlib.nullcontext():
            failure = _execute(conn, statement)
        if failure:
            return failure
        if alone:
            conn.execute("begin")
        own_block = begins(statement) or (own_block and not ends(statement))
    return None


COMMIT_BEFORE_ALONE = (
    "the commit the Supabase CLI runs before this statement (which it runs outside the file's transaction) "
    "failed"
)


def _server_wide(statement: Statement) -> str | None:
    """The command, when the statement acts on the server rather than on the current database."""
    if statement.kind in _SERVER_WIDE:
        return _SERVER_WIDE[statement.kind]
    target = statement.node.get("renameType") or statement.node.get("objectType")
    if statement.kind in ("RenameStmt", "AlterOwnerStmt") and target in _SERVER_OBJECTS:
        return f"ALTER {_SERVER_OBJECTS[target]}"
    return None


def _not_run(statement: Statement, command: str) -> Failure:
    return Failure(
        at(statement),
        f"not run: {command} acts on the whole server, not the throwaway database",
        "keep server and database settings out of migrations (configure them on the project); "
        "this statement was not checked",
    )


def _copy_from_stdin(statement: Statement) -> bool:
    node = statement.node
    return statement.kind == "CopyStmt" and bool(node.get("is_from")) and not node.get("filename")


def _copy_to_stdout(statement: Statement) -> bool:
    node = statement.node
    return statement.kind == "CopyStmt" and not node.get("is_from") and not node.get("filename")


def _execute(conn: psycopg.Connection, statement: Statement, text: str | None = None) -> Failure | None:
    """Run the statement, or `text` on its behalf (a COMMIT the runner adds after it)."""
    supautils = text is None and not _superuser(conn)
    refusal = reserved_refusal(statement.kind, statement.node) if supautils else None
    if refusal:
        rollback_open(conn)
        return Failure(at(statement), refusal, NEEDS_SUPERUSER_HINT, INSUFFICIENT_PRIVILEGE)
    if supautils and _on_a_superusers_table(conn, statement):
        rollback_open(conn)
        return Failure(at(statement), _SUPERUSERS_TABLE, "", FEATURE_NOT_SUPPORTED)
    node, run = statement.node, statement.text if text is None else text
    if text is None and requested_version(statement) and not _version_offered(conn, statement):
        node, run = _without_version(statement)
    calls = privileged_call(statement.kind, node) if supautils else None
    if supautils and statement.kind == "DoStmt":
        run = privileged_do_block(statement, conn) or run
    fired = threading.Event()
    try:
        with _WATCHDOG.guard(conn, fired):
            if calls:
                for call, arguments in calls:
                    conn.execute(call, arguments)
            elif text is None and _copy_to_stdout(statement):
                _discard_copy_out(conn, statement.text)
            else:
                conn.execute(run)
    except psycopg.Error as err:
        if conn.broken or conn.closed:
            return _session_ended(statement, err)
        rollback_open(conn)
        return failure_of(statement, err, timed_out=fired.is_set())
    return None


_SUPERUSERS_TABLE = (
    f"{REFUSAL} a trigger on a superuser's table, which would run as the superuser when its functions "
    "write it,"
)


def _on_a_superusers_table(conn: psycopg.Connection, statement: Statement) -> bool:
    """A CREATE TRIGGER on a superuser's table (vault.secrets): nobody else may add one here
    (privileges.no_triggers_on_superuser_tables), though Supabase's grants let postgres."""
    if statement.kind != "CreateTrigStmt":
        return False
    relation = statement.node["relation"]
    parts = [part for part in (relation.get("schemaname"), relation.get("relname")) if part]
    row = conn.execute(
        "select r.rolsuper from pg_catalog.pg_class c join pg_catalog.pg_roles r on r.oid = c.relowner"
        " where c.oid = pg_catalog.to_regclass(%s)",
        [sql.Identifier(*parts).as_string(conn)],
    ).fetchone()
    return bool(row and row[0])


def _version_offered(conn: psycopg.Connection, statement: Statement) -> bool:
    """Whether the server has the version of the extension the CREATE EXTENSION asks for."""
    row = conn.execute(
        "select from pg_catalog.pg_available_extension_versions where name = %s and version = %s",
        [statement.node["extname"], requested_version(statement)],
    ).fetchone()
    return row is not None


def _without_version(statement: Statement) -> tuple[dict, str]:
    """The CREATE EXTENSION's tree and text without its VERSION: a version Supabase ships and this server
    lacks makes the server's own (the stage reports it), rather than failing a migration that works there."""
    from pglast import parse_sql
    from pglast.stream import RawStream

    kept = [o for o in statement.node.get("options") or [] if o["DefElem"]["defname"] != "new_version"]
    tree = parse_sql(statement.text)[0].stmt
    tree.options = tuple(o for o in tree.options or () if o.defname != "new_version") or None
    return dict(statement.node, options=kept), RawStream()(tree)


def _superuser(conn: psycopg.Connection) -> bool:
    """Whether the session acts as a superuser now (PostgreSQL reports it on login and on SET ROLE)."""
    return conn.info.parameter_status("is_superuser") == "on"


class _Watchdog:
    """One daemon thread that cancels statements running past their deadline.

    A thread, not a timer per statement: arming costs a lock and a dict entry, and the thread only
    wakes when a deadline is due (or at the latest after one timeout, to look again).
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._armed: dict[int, tuple[float, psycopg.Connection, threading.Event]] = {}
        self._wake_at = 0.0
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def guard(self, conn: psycopg.Connection, fired: threading.Event) -> Iterator[None]:
        deadline = time.monotonic() + statement_timeout() + WATCHDOG_GRACE_SECONDS
        with self._lock:
            self._armed[id(fired)] = (deadline, conn, fired)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="statement-watchdog", daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:
                self._lock.notify()
        try:
            yield
        finally:
            with self._lock:
                self._armed.pop(id(fired), None)

    def _loop(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [key for key, (deadline, _, _) in self._armed.items() if deadline <= now]
                expired = [self._armed.pop(key) for key in due]
                if not expired:
                    self._wake_at = min(
                        (deadline for deadline, _, _ in self._armed.values()),
                        default=now + statement_timeout(),
                    )
                    self._lock.wait(self._wake_at - now)
                    continue
            for _, conn, fired in expired:
                fired.set()
                with contextlib.suppress(psycopg.Error, OSError):  # the statement may just have ended
                    conn.cancel_safe()


_WATCHDOG = _Watchdog()


def _discard_copy_out(conn: psycopg.Connection, text: str) -> None:
    # psql prints what COPY TO STDOUT sends; the connection must read it all before the next query.
    with conn.cursor() as cursor, cursor.copy(text) as copy:
        for _ in copy:
            pass


def _session_ended(statement: Statement, err: psycopg.Error) -> Failure:
    return Failure(
        at(statement),
        f"the statement ended the session ({excerpt(str(err))}); nothing after it could run, "
        "so the dynamic stage stopped here",
        "do not terminate backends or close the connection from a migration",
        err.diag.sqlstate,
        session_lost=True,
    )


def _in_transaction(conn: psycopg.Connection) -> bool:
    return conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)


def rollback_open(conn: psycopg.Connection) -> None:
    """Roll back a transaction left open (or aborted) by a file, so the next step starts clean."""
    if _in_transaction(conn):
        conn.execute("rollback")


def failure_of(statement: Statement, err: psycopg.Error, timed_out: bool = False) -> Failure:
    """PostgreSQL's message, detail and hint, located at the fault inside the statement.

    `timed_out`: the checker canceled the statement itself (the file had turned the timeout off).
    """
    diag = err.diag
    primary = excerpt(diag.message_primary or " ".join(str(err).split()))
    if diag.sqlstate == QUERY_CANCELED and (timed_out or "statement timeout" in primary):
        return Failure(
            error_location(statement, err),
            f"canceled after {statement_timeout():g} s: {primary}",
            f"make the statement faster or split it up; the limit is {TIMEOUT_VARIABLE} "
            f"(default {STATEMENT_TIMEOUT_SECONDS} s)",
            diag.sqlstate,
        )
    message = primary + (f" ({excerpt(diag.message_detail)})" if diag.message_detail else "")
    if diag.sqlstate == INSUFFICIENT_PRIVILEGE or "must be superuser" in primary:
        hint = NEEDS_SUPERUSER_HINT
    else:
        hint = excerpt(diag.message_hint or "fix the statement so that PostgreSQL accepts it")
    return Failure(error_location(statement, err), message, hint, diag.sqlstate)


def excerpt(text: str) -> str:
    """`text` on one line and cut to EXCERPT_CHARACTERS; each quoted value in it to QUOTED_CHARACTERS.

    PostgreSQL quotes the offending value in many messages ("invalid input syntax for type
    integer: \"...\""): whatever a statement read ends up there, so only its start is kept.
    """
    parts = " ".join(text.split()).split('"')
    for index in range(1, len(parts) - 1, 2):
        if len(parts[index]) > QUOTED_CHARACTERS:
            parts[index] = parts[index][:QUOTED_CHARACTERS] + "..."
    line = '"'.join(parts)
    return line if len(line) <= EXCERPT_CHARACTERS else line[:EXCERPT_CHARACTERS] + "..."


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
