"""Catalog snapshots and their diff, on a real (seeded) database per test."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from checker.dynamic.snapshot import KIND_ORDER, diff_snapshots, take_snapshot

from .helpers import require_engine, seeded_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with require_engine("embedded") as uri:
        yield uri


@pytest.fixture
def conn(server: str) -> Iterator[psycopg.Connection]:
    """A fresh seeded database with one pre-existing table, public.users."""
    with seeded_database(
        server, "create table public.users (id uuid primary key, name text not null)"
    ) as connection:
        yield connection


def messages(conn: psycopg.Connection, *statements: str) -> list[str]:
    before = take_snapshot(conn)
    for statement in statements:
        conn.execute(statement)
    return [difference.message for difference in diff_snapshots(before, take_snapshot(conn))]


def test_same_catalog_gives_an_empty_diff(conn: psycopg.Connection) -> None:
    assert diff_snapshots(take_snapshot(conn), take_snapshot(conn)) == []


def test_snapshot_captures_the_seed(conn: psycopg.Connection) -> None:
    labels = take_snapshot(conn).labels()
    assert {"schema auth", "table auth.users", "function auth.uid()", "schema extensions"} <= labels


def test_created_objects_are_each_left_behind(conn: psycopg.Connection) -> None:
    found = messages(
        conn,
        "create schema app",
        "create type public.mood as enum ('ok', 'meh')",
        "create table public.posts (id bigserial primary key, author uuid references public.users)",
        "create index posts_author_idx on public.posts (author)",
        "alter table public.users add column email text",
        "create index users_email_idx on public.users (email)",
        "alter table public.users add constraint users_name_check check (name <> '')",
        "create function public.touch(uuid) returns void language sql as 'select'",
        "create view public.names as select name from public.users",
        "create sequence public.counter",
        "create policy own_row on public.users for select to authenticated using (id = auth.uid())",
        "create function public.noop() returns trigger language plpgsql as 'begin return new; end'",
        "create trigger users_noop before update on public.users for each row execute function public.noop()",
    )
    assert found == [
        "schema app left behind",
        "table public.posts left behind",
        "column public.users.email left behind",
        "type public.mood left behind",
        "constraint users_name_check on public.users left behind",
        "index public.users_email_idx left behind",
        "function public.noop() left behind",
        "function public.touch(uuid) left behind",
        "policy own_row on public.users left behind",
        "trigger users_noop on public.users left behind",
        "view public.names left behind",
        "sequence public.counter left behind",
    ]


def test_dropping_a_table_reports_the_table_not_its_parts(conn: psycopg.Connection) -> None:
    assert messages(conn, "drop table public.users") == ["table public.users dropped"]


def test_dropping_a_seed_function_is_reported(conn: psycopg.Connection) -> None:
    assert messages(conn, "drop function auth.email()") == ["function auth.email() dropped"]


def test_changes_name_what_changed(conn: psycopg.Connection) -> None:
    conn.execute("create policy p on public.users for select to anon using (true)")
    found = messages(
        conn,
        "alter policy p on public.users to authenticated using (id = auth.uid())",
        "alter table public.users enable row level security",
        "revoke all on public.users from anon",
    )
    assert len(found) == 2
    policy, table = found[1], found[0]
    assert policy.startswith("policy p on public.users changed: ")
    assert "qual true -> (id = auth.uid())" in policy and "roles anon -> authenticated" in policy
    assert table.startswith("table public.users changed: ")
    assert "row_security false -> true" in table and "grants " in table


def test_diff_order_is_by_kind_then_identity(conn: psycopg.Connection) -> None:
    before = take_snapshot(conn)
    conn.execute("create view public.b as select 1 as one")
    conn.execute("create table public.z (id int)")
    conn.execute("create table public.a (id int)")
    after = take_snapshot(conn)
    found = diff_snapshots(before, after)
    assert found == diff_snapshots(before, after)
    assert [(d.kind, d.identity) for d in found] == sorted(
        ((d.kind, d.identity) for d in found), key=lambda pair: (KIND_ORDER[pair[0]], pair[1])
    )
    assert [d.identity for d in found] == ["public.a", "public.z", "public.b"]
