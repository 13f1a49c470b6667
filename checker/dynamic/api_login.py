"""The probes' connection, logged in the way PostgREST logs in: as `authenticator`.

Every API request on Supabase runs on a connection PostgREST opened as `authenticator`, which then
takes the request's role (`set local role authenticated`). So `session_user` is `authenticator`
while a policy or trigger runs for a request, and projects test it: supabase-custom-claims'
`is_claims_admin()` grants everything to any other session ("not a user session, probably a
trigger"), and guards such as `if session_user = 'authenticator' and ... then raise` stop API
callers only. Probes run on a `postgres` login would see those tests pass as for an internal writer:
false leaks, and refusals never tried.

The probe also makes its rows (as service_role, users in auth.users as postgres), so the
connection acts as the migrating role between requests: it logs in as `authenticator` with `role`
set to that role at connection (RESET ROLE returns to it), which needs `authenticator` to be a
member of it for the probes. The seed makes postgres a member of authenticator (ADMIN, from
PostgreSQL 16) and of supabase_storage_admin, itself a member of authenticator; PostgreSQL refuses
circular memberships, so those grants are lifted for the probes and given back exactly afterwards.
Nothing is gained by the project's code: authenticator may become only what postgres already is. What
differs from Supabase meanwhile: `pg_has_role(session_user, 'postgres', ...)` holds in a policy. The login
sets the few settings that would make the probes other than requests (read-only, RLS off), since a
migration may have given authenticator (or the database) other defaults since the run began.

Only on servers the checker started (a `--dsn` server's roles are not the run's to change), and
only where authenticator may log in without a password, as on every server the checker starts.
Elsewhere the probes keep the migrating login, and `session_user` is that role.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from checker.dynamic.apply import with_statement_timeout

API_LOGIN = "authenticator"

# The memberships in authenticator that make the migrating role (transitively) a member of it.
_IN_THE_WAY = """
select m.member::regrole::text, g.rolname::text, m.admin_option{options}
from pg_catalog.pg_auth_members m join pg_catalog.pg_roles g on g.oid = m.grantor
where m.roleid = %(api)s::regrole and pg_catalog.pg_has_role(%(migrator)s, m.member, 'MEMBER')"""

_MAY_LOG_IN = "select rolcanlogin and not rolsuper from pg_catalog.pg_roles where rolname = %s"


@dataclass(frozen=True)
class Membership:
    """A grant of authenticator to a role, as pg_auth_members records it."""

    member: str
    grantor: str
    admin: bool
    inherit: bool | None = None  # PostgreSQL 16+: the grant's own INHERIT and SET options
    set_option: bool | None = None

    def grant(self) -> sql.Composable:
        if self.inherit is None:  # before 16, ADMIN OPTION is a grant's only option
            options = [sql.SQL("admin option")] if self.admin else []
        else:
            chosen = (("admin", self.admin), ("inherit", self.inherit), ("set", self.set_option))
            options = [sql.SQL(f"{name} {'true' if value else 'false'}") for name, value in chosen]
        return sql.SQL("grant {} to {}{} granted by {}").format(
            sql.Identifier(API_LOGIN),
            sql.Identifier(self.member),
            sql.SQL(" with ") + sql.SQL(", ").join(options) if options else sql.SQL(""),
            sql.Identifier(self.grantor),
        )

    def revoke(self) -> sql.Composable:
        return sql.SQL("revoke {} from {} granted by {}").format(
            sql.Identifier(API_LOGIN), sql.Identifier(self.member), sql.Identifier(self.grantor)
        )


@contextmanager
def api_connection(
    admin: psycopg.Connection, migrating_uri: str, migrator: str
) -> Iterator[psycopg.Connection | None]:
    """A connection logged in as authenticator acting as `migrator`; None where none can be made."""
    row = admin.execute(_MAY_LOG_IN, [API_LOGIN]).fetchone()
    if row is None or not row[0]:
        yield None
        return
    lifted = _lift(admin, migrator)
    if lifted is None:
        yield None
        return
    try:
        conn = _connect(migrating_uri, migrator)
        try:
            yield conn
        finally:
            if conn is not None:
                conn.close()
    finally:
        _give_back(admin, migrator, lifted)


def _lift(admin: psycopg.Connection, migrator: str) -> list[Membership] | None:
    """Make authenticator a member of the migrator, lifting the memberships that would close a cycle."""
    since_16 = admin.info.server_version >= 160000
    query = _IN_THE_WAY.format(options=", m.inherit_option, m.set_option" if since_16 else "")
    found = [Membership(*r) for r in admin.execute(query, {"api": API_LOGIN, "migrator": migrator})]
    lifted: list[Membership] = []
    try:
        with admin.transaction():
            for membership in found:
                admin.execute(membership.revoke())
                lifted.append(membership)
            admin.execute(_membership_of_api_login("grant {} to {}", migrator))
    except psycopg.Error:
        return None  # e.g. a grant depending on one of them: the probes keep the migrating login
    return lifted


def _give_back(admin: psycopg.Connection, migrator: str, lifted: list[Membership]) -> None:
    if admin.closed or admin.broken:
        return  # the server is gone with the run
    with admin.transaction():
        admin.execute(_membership_of_api_login("revoke {} from {}", migrator))
        for membership in reversed(lifted):  # a grant made through another comes back after it
            admin.execute(membership.grant())


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def _membership_of_api_login(statement: str, migrator: str) -> sql.Composable:
    return sql.SQL(statement).format(sql.Identifier(migrator), sql.Identifier(API_LOGIN))


# A fresh login takes the settings `alter role authenticator set ...` and `alter database ... set ...` gave
# it since the run began, and project code may give them (as authenticator, after `set role none`). These
# would make the probes something else than requests (read-only, RLS off): given at the login, they win.
_PROBE_SETTINGS = {
    "default_transaction_read_only": "off",
    "default_transaction_isolation": "read committed",
    "row_security": "on",
}


def _connect(migrating_uri: str, migrator: str) -> psycopg.Connection | None:
    settings = {"role": migrator, **_PROBE_SETTINGS}
    # libpq splits `options` at blanks; a backslash keeps one in a value
    options = " ".join(f"-c {name}={_escaped(value)}" for name, value in settings.items())
    uri = make_conninfo(migrating_uri, user=API_LOGIN, options=options)
    try:
        return psycopg.connect(with_statement_timeout(uri), autocommit=True, connect_timeout=30)
    except psycopg.Error:
        return None
