"""The Supabase seed on real servers: idempotent, and the auth/grant behaviour migrations rely on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from checker.dynamic.seed import apply_seed
from checker.dynamic.snapshot import diff_snapshots, take_snapshot
from checker.policy import default_policy

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


_PGJWT = frozenset({"sign", "verify", "algorithm_sign", "url_encode", "url_decode"})
_EXISTS = {
    "extension": "select exists (select from pg_extension where extname = %(name)s)",
    "table": "select to_regclass(%(schema)s || '.' || %(name)s) is not null",
    "type": "select to_regtype(%(schema)s || '.' || %(name)s) is not null",
    "function": "select exists (select from pg_proc where pronamespace = %(schema)s::regnamespace "
    "and proname = %(name)s)",
}


def test_every_object_the_static_stage_knows_exists_after_the_seed(conn: psycopg.Connection) -> None:
    """The default policy's [known] objects (what lint takes as existing before any migration) are the
    seed's: a migration lint accepts for referring to one applies in the dynamic stage too."""
    known = [ref for ref in default_policy().known_objects() if ref.kind in _EXISTS]
    assert len(known) > 70
    if not conn.execute("select true from pg_available_extensions where name = 'pgjwt'").fetchone():
        known = [ref for ref in known if ref.name not in _PGJWT]  # Debian's 15: no pgjwt, no stand-ins
    offered = {row[0] for row in conn.execute("select name from pg_available_extensions")}
    known = [ref for ref in known if ref.kind != "extension" or ref.name in offered]
    missing = [
        f"{ref.kind} {ref.schema}.{ref.name}"
        for ref in known
        if not conn.execute(_EXISTS[ref.kind], {"schema": ref.schema, "name": ref.name}).fetchone()[0]
    ]
    assert missing == []


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


# auth.users as GoTrue's migrations leave it (supabase/auth, late 2024), in column order.
AUTH_USERS_COLUMNS = [
    "instance_id",
    "id",
    "aud",
    "role",
    "email",
    "encrypted_password",
    "email_confirmed_at",
    "invited_at",
    "confirmation_token",
    "confirmation_sent_at",
    "recovery_token",
    "recovery_sent_at",
    "email_change_token_new",
    "email_change",
    "email_change_sent_at",
    "last_sign_in_at",
    "raw_app_meta_data",
    "raw_user_meta_data",
    "is_super_admin",
    "created_at",
    "updated_at",
    "phone",
    "phone_confirmed_at",
    "phone_change",
    "phone_change_token",
    "phone_change_sent_at",
    "confirmed_at",
    "email_change_token_current",
    "email_change_confirm_status",
    "banned_until",
    "reauthentication_token",
    "reauthentication_sent_at",
    "is_sso_user",
    "deleted_at",
    "is_anonymous",
]


def test_auth_users_has_gotrues_columns(conn: psycopg.Connection) -> None:
    query = (
        "select column_name from information_schema.columns "
        "where table_schema = 'auth' and table_name = 'users' order by ordinal_position"
    )
    assert [row[0] for row in conn.execute(query)] == AUTH_USERS_COLUMNS


def test_platform_tables_exist_with_their_owners(conn: psycopg.Connection) -> None:
    owners = dict(
        conn.execute(
            "select c.oid::regclass::text, c.relowner::regrole::text from pg_class c "
            "where c.relkind in ('r', 'p') "
            "and c.relnamespace::regnamespace::text in ('auth', 'storage', 'realtime', 'supabase_functions')"
        ).fetchall()
    )
    auth_tables = [
        "users",
        "identities",
        "sessions",
        "refresh_tokens",
        "mfa_factors",
        "mfa_challenges",
        "mfa_amr_claims",
        "audit_log_entries",
        "instances",
        "flow_state",
        "sso_providers",
        "sso_domains",
        "saml_providers",
        "saml_relay_states",
        "one_time_tokens",
        "schema_migrations",
    ]
    storage_tables = [
        "buckets",
        "objects",
        "migrations",
        "s3_multipart_uploads",
        "s3_multipart_uploads_parts",
    ]
    expected = {f"auth.{name}": "supabase_auth_admin" for name in auth_tables}
    expected |= {f"storage.{name}": "supabase_storage_admin" for name in storage_tables}
    expected["realtime.messages"] = "supabase_realtime_admin"
    expected["supabase_functions.hooks"] = "supabase_functions_admin"
    assert {name: owners.get(name) for name in expected} == expected


def test_rls_is_enabled_where_supabase_enables_it(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select relname, relrowsecurity from pg_class "
        "where oid in ('storage.objects'::regclass, 'realtime.messages'::regclass, 'auth.users'::regclass)"
    ).fetchall()
    assert dict(rows) == {"objects": True, "messages": True, "users": True}


def test_storage_path_helpers(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "select storage.foldername('u1/photos/cat.tar.gz'), storage.filename('u1/photos/cat.tar.gz'), "
        "storage.extension('u1/photos/cat.tar.gz'), storage.foldername('top.png')"
    ).fetchone()
    assert row == (["u1", "photos"], "cat.tar.gz", "gz", [])


# Typical statements of a Supabase project's migrations, as its dashboard or CLI writes them.
MIGRATION = [
    "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true)",
    "create policy avatars_own on storage.objects for insert to authenticated "
    "with check (bucket_id = 'avatars' and auth.uid()::text = (storage.foldername(name))[1])",
    "create table public.profiles (id uuid primary key references auth.users on delete cascade, email text)",
    "create function public.handle_new_user() returns trigger language plpgsql security definer "
    "set search_path = '' as $$ begin insert into public.profiles (id, email) values (new.id, new.email); "
    "return new; end $$",
    "create trigger on_auth_user_created after insert on auth.users "
    "for each row execute function public.handle_new_user()",
    "alter publication supabase_realtime add table public.profiles",
    "select vault.create_secret('s3cr3t', 'project_url', 'for webhooks')",
    "create trigger profiles_webhook after insert on public.profiles for each row execute function "
    "supabase_functions.http_request('https://example.com/hook', 'POST', "
    "'{\"Content-Type\":\"application/json\"}', '{}', '1000')",
    "select count(*) from auth.identities",
    "create policy topic_members on realtime.messages for select to authenticated "
    "using (realtime.topic() = 'room:' || auth.uid()::text)",
]


@pytest.mark.parametrize("as_superuser", [True, False], ids=["postgres", "non-superuser-postgres"])
def test_supabase_migration_statements_run_as_postgres(conn: psycopg.Connection, as_superuser: bool) -> None:
    """As `postgres`, and as a non-superuser inheriting postgres's rights (what Supabase's postgres is)."""
    user_id = uuid.uuid4()
    with conn.transaction(force_rollback=True):
        if as_superuser:
            conn.execute("set local role postgres")
        else:
            conn.execute("create role demoted_postgres nologin nosuperuser inherit in role postgres")
            conn.execute("set local role demoted_postgres")
        for statement in MIGRATION:
            conn.execute(statement)
        conn.execute("insert into auth.users (id, email) values (%s, 'new@example.com')", [user_id])
        assert conn.execute("select email from public.profiles").fetchall() == [("new@example.com",)]
        secrets = conn.execute("select name, decrypted_secret from vault.decrypted_secrets").fetchall()
        conn.execute("reset role")
        hooks = conn.execute("select hook_name from supabase_functions.hooks").fetchall()
        request = conn.execute(
            "select method, url, payload -> 'record' ->> 'email' from supabase_functions.recorded_requests"
        ).fetchall()
        published = conn.execute(
            "select tablename from pg_publication_tables where pubname = 'supabase_realtime'"
        ).fetchall()
    assert secrets == [("project_url", "s3cr3t")]
    assert hooks == [("profiles_webhook",)]
    assert request == [("POST", "https://example.com/hook", "new@example.com")]
    assert published == [("profiles",)]


def test_api_roles_cannot_read_auth_tables_but_use_storage_through_rls(conn: psycopg.Connection) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute("set local role authenticated")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select from auth.users")
    assert rows_seen_as_in(conn, "anon", "storage.objects") == 0


def test_graphql_placeholder_answers_with_an_error(conn: psycopg.Connection) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute("set local role anon")
        answer = conn.execute("select graphql_public.graphql(query => '{ __typename }')").fetchone()[0]
    assert answer["errors"][0]["message"] == "pg_graphql extension is not enabled."


def test_pg_graphql_is_pre_installed_where_the_server_offers_it(conn: psycopg.Connection) -> None:
    """As on every project created from April 2022 (on by default) until April 2026 (off by default)."""
    offered = conn.execute("select true from pg_available_extensions where name = 'pg_graphql'").fetchone()
    installed = conn.execute(
        "select extnamespace::regnamespace::text from pg_extension where extname = 'pg_graphql'"
    ).fetchone()
    assert installed == (("graphql",) if offered else None)


def test_public_default_privileges_for_postgres_and_supabase_admin(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select defaclrole::regrole::text, defaclobjtype, defaclacl::text from pg_default_acl "
        "where defaclnamespace = 'public'::regnamespace"
    ).fetchall()
    by_owner = {(owner, kind): acl for owner, kind, acl in rows}
    for owner in ("postgres", "supabase_admin"):
        for kind in ("r", "f", "S"):
            acl = by_owner[(owner, kind)]
            granted = {role for role in ("anon", "authenticated", "service_role") if f"{role}=" in acl}
            assert granted == {"anon", "authenticated", "service_role"}, (owner, kind, acl)


def test_uuid_generate_v4_is_callable_from_the_search_path(conn: psycopg.Connection) -> None:
    with psycopg.connect(conn.info.dsn) as fresh:  # the database-level search_path applies to new sessions
        assert isinstance(fresh.execute("select uuid_generate_v4()").fetchone()[0], uuid.UUID)


def rows_seen_as(conn: psycopg.Connection, role: str, table: str) -> int:
    return rows_seen_as_in(conn, role, f"public.{table}")


def rows_seen_as_in(conn: psycopg.Connection, role: str, qualified_table: str) -> int:
    with conn.transaction():
        conn.execute(f"set local role {role}")
        return conn.execute(f"select count(*) from {qualified_table}").fetchone()[0]


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


PLATFORM_ALREADY_THERE = """
create role postgres login nosuperuser;
create schema auth;
create table auth.users (instance_id uuid, id uuid primary key, email text, kept_column text);
create function auth.uid() returns uuid language sql stable
  as $$ select '00000000-0000-0000-0000-0000000000aa'::uuid $$;
create schema storage;
create table storage.buckets (id text primary key, name text, public boolean);
create schema extensions;
"""


def test_seed_runs_on_a_server_that_already_has_the_platform_objects() -> None:
    """As on a real supabase/postgres image: what exists is kept as it is, and the rest is added."""
    with require_engine("local") as uri, psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(PLATFORM_ALREADY_THERE)
        apply_seed(conn)
        apply_seed(conn)
        assert conn.execute("select auth.uid()::text").fetchone() == ("00000000-0000-0000-0000-0000000000aa",)
        columns = {row[0] for row in conn.execute(
            "select attname from pg_attribute where attrelid = 'auth.users'::regclass and attnum > 0"
        )}
        assert "kept_column" in columns
        assert conn.execute("select to_regclass('storage.objects') is not null").fetchone() == (True,)
        assert conn.execute("select to_regclass('auth.identities') is not null").fetchone() == (True,)
