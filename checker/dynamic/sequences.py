"""Sequences are not transactional: what the checker runs and rolls back must leave them as they were.

The RLS probes, the smoke files and the project's seed files run in transactions that are rolled
back, but every nextval() they called (an identity or serial column filled by an INSERT) stays
taken. On Supabase nothing runs between two migrations, or between the last one and the seed file,
so a later data migration or the seed file that relies on the ids a fresh database hands out
(`insert ... values (1, ...)`, a foreign key to channel 1) would fail here only. `kept(...)` reads
every sequence's state (last_value, is_called) as the superuser before such a run and sets back the
ones that moved afterwards; the session that ran the work forgets the values it cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

# Every sequence of this database the superuser can read and set (on a --dsn server the role may
# lack some: those are left alone), except other sessions' temporary ones.
_SEQUENCES = """
select c.oid, n.nspname::text, c.relname::text
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'S' and c.relpersistence <> 't'
  and case when c.relkind = 'S'  -- the privilege functions raise on any other relation: never ask them
      then pg_catalog.has_sequence_privilege(c.oid, 'SELECT')
           and pg_catalog.has_sequence_privilege(c.oid, 'UPDATE') end
order by c.oid"""

State = dict[int, tuple[int, bool]]  # sequence oid -> (last_value, is_called)


def states(admin: psycopg.Connection) -> State:
    """Each sequence's last_value and is_called, read from the sequences themselves in one query."""
    found = admin.execute(_SEQUENCES).fetchall()
    if not found:
        return {}
    query = sql.SQL(" union all ").join(
        sql.SQL("select {}::oid, last_value, is_called from {}").format(
            sql.Literal(oid), sql.Identifier(schema, name)
        )
        for oid, schema, name in found
    )
    return {oid: (last_value, is_called) for oid, last_value, is_called in admin.execute(query).fetchall()}


def restore(admin: psycopg.Connection, before: State) -> list[int]:
    """Set back every sequence that moved since `before`; returns their oids."""
    moved = [oid for oid, state in states(admin).items() if oid in before and before[oid] != state]
    for oid in moved:
        last_value, is_called = before[oid]
        admin.execute("select pg_catalog.setval(%s::oid::regclass, %s, %s)", (oid, last_value, is_called))
    return moved


@contextmanager
def kept(admin: psycopg.Connection, session: psycopg.Connection) -> Iterator[None]:
    """Run rolled-back work on `session`; afterwards the sequences are where they were before it."""
    before = states(admin)
    yield
    if restore(admin, before) and not (session.broken or session.closed):
        session.execute("discard sequences")  # values it cached would be handed out next
