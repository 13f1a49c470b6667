"""The Supabase seed on real servers: idempotent, and the auth/grant behaviour migrations rely on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from checker.dynamic.seed import apply_seed
from checker.dynamic.snapshot import diff_snapshots, take_snapshot

from .helpers import SERVER_ENGINES, require_engine

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", params=SERVER_ENGINES)
def seeded(request: pytest.FixtureRequest) -> Iterator[str]:
    with require_engine(request.param) as uri:
        with psycopg.connect(uri) as conn:
            apply_seed(conn)
        yield uri


@pytest.fixture
def conn(seeded: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(seeded, autocommit=True) as connection:
        yield connection


def test_seed_runs_twice_without_error_and_without_change(conn: psycopg.Connection) -> None:
    before = take_snapshot(conn)
    apply_seed(conn)
    assert diff_snapshots(before, take_snapshot(conn)) == []


def test_seed_creates_the_supabase_roles(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select rolname, rolcanlogin, rolinherit, rolbypassrls from pg_roles "
        "where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname"
    ).fetchall()
    assert rows == [
        ("anon", False, False, False),
        ("authenticated", False, False, False),
        ("authenticator", True, False, False),
        ("service_role", False, False, True),
    ]
    granted = conn.execute(
        "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
        "where m.member = 'authenticator'::regrole order by 1"
    ).fetchall()
    assert {"anon", "authenticated", "service_role"} <= {row[0] for row in granted}


def test_auth_functions_read_the_jwt_claims(conn: psycopg.Connection) -> None:
    user_id = uuid.uuid4()
    claims = {"sub": str(user_id), "role": "authenticated", "email": "a@example.com"}
    with conn.transaction():
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        row = conn.execute("select auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'sub'").fetchone()
    assert row == (user_id, "authenticated", "a@example.com", str(user_id))


def test_auth_uid_is_null_without_claims(conn: psycopg.Connection) -> None:
    assert conn.execute("select auth.uid(), auth.role()").fetchone() == (None, None)


def test_auth_users_has_the_common_columns(conn: psycopg.Connection) -> None:
    query = "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
    columns = {row[0] for row in conn.execute(query, ["auth", "users"])}
    expected = {
        "id",
        "aud",
        "role",
        "email",
        "encrypted_password",
        "email_confirmed_at",
        "raw_app_meta_data",
        "raw_user_meta_data",
        "created_at",
        "updated_at",
        "phone",
        "is_anonymous",
    }
    assert expected <= columns


def test_uuid_generate_v4_is_callable_from_the_search_path(conn: psycopg.Connection) -> None:
    with psycopg.connect(conn.info.dsn) as fresh:  # the database-level search_path applies to new sessions
        assert isinstance(fresh.execute("select uuid_generate_v4()").fetchone()[0], uuid.UUID)


def rows_seen_as(conn: psycopg.Connection, role: str, table: str) -> int:
    with conn.transaction():
        conn.execute(f"set local role {role}")
        return conn.execute(f"select count(*) from public.{table}").fetchone()[0]


def test_new_public_table_is_open_to_anon_until_rls_and_service_role_bypasses_rls(
    conn: psycopg.Connection,
) -> None:
    conn.execute("create table public.notes (id int primary key, body text)")
    conn.execute("insert into public.notes values (1, 'hello')")
    assert rows_seen_as(conn, "anon", "notes") == 1
    assert rows_seen_as(conn, "authenticated", "notes") == 1
    conn.execute("alter table public.notes enable row level security")
    assert rows_seen_as(conn, "anon", "notes") == 0
    assert rows_seen_as(conn, "authenticated", "notes") == 0
    assert rows_seen_as(conn, "service_role", "notes") == 1
    conn.execute("drop table public.notes")
