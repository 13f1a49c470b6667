"""The `dsn` engine: an existing server the user points at.

It creates a fresh database `checker_<hex>` for the run and drops it on stop. When the role may not
create databases it falls back to the DSN's own database, but only if that database holds no user
tables, so a mistyped DSN can never run a migration against real data. No other database is touched.

Never cached (cluster_cache.py): the server is not ours to copy; `cache` stays None.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from checker.dynamic.engines import cleanup
from checker.dynamic.engines.base import Engine, EngineOptions
from checker.errors import EngineError

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

# Tables of any kind (plain, partitioned, foreign) outside the system schemas and temp schemas.
COUNT_USER_TABLES = """
select count(*)
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'f')
  and n.nspname <> all (%s)
  and n.nspname not like 'pg\\_temp\\_%%'
  and n.nspname not like 'pg\\_toast\\_temp\\_%%'
"""

MAY_CREATE_DATABASE = "select rolcreatedb or rolsuper from pg_catalog.pg_roles where rolname = current_user"


def with_dbname(dsn: str, dbname: str) -> str:
    """The same connection string, pointing at another database (URI or key=value form)."""
    from psycopg.conninfo import make_conninfo

    if dsn.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(dsn)
        return urlunsplit(parts._replace(path="/" + dbname))
    return make_conninfo(dsn, dbname=dbname)


class DsnEngine(Engine):
    name = "dsn"
    owns_server = False

    def __init__(self, options: EngineOptions | None = None):
        super().__init__(options)
        self.created: str | None = None
        self._version = ""

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        return None if options.dsn else "the dsn engine needs a connection string (--dsn)"

    @property
    def server_version(self) -> str:
        return self._version

    @property
    def dsn(self) -> str:
        if not self.options.dsn:
            raise EngineError("the dsn engine needs a connection string (--dsn)")
        return self.options.dsn

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            first = (str(error).strip().splitlines() or ["connection failed"])[0]
            raise EngineError(f"cannot connect to the --dsn server: {first}") from error

    def start(self) -> str:
        cleanup.track(self)
        with self._connect() as conn:
            self._version = str(conn.execute("show server_version").fetchone()[0])
            if conn.execute(MAY_CREATE_DATABASE).fetchone()[0]:
                return self._create_database(conn)
            self._require_empty(conn)
        return self.dsn

    def _create_database(self, conn: Any) -> str:
        from psycopg import sql

        name = f"checker_{secrets.token_hex(8)}"
        # Recorded before creating: a signal between the two must still lead to a DROP ... IF EXISTS.
        self.created = name
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return with_dbname(self.dsn, name)

    def _require_empty(self, conn: Any) -> None:
        database = conn.info.dbname
        tables = conn.execute(COUNT_USER_TABLES, [list(SYSTEM_SCHEMAS)]).fetchone()[0]
        if tables:
            counted = f"{tables} user table{'' if tables == 1 else 's'}"
            raise EngineError(
                f"refusing to run in database {database}: it has {counted}; give a server "
                "where the role may create databases, or an empty database"
            )

    def stop(self) -> None:
        """Drop the database this run created; a reused empty database is left as the run left it."""
        with cleanup.signals_deferred():
            name, self.created = self.created, None
            if name is not None:
                self._drop(name)
            cleanup.untrack(self)

    def _drop(self, name: str) -> None:
        from psycopg import sql

        with self._connect() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
