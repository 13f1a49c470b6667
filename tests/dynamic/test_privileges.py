"""A pull request's SQL cannot read the machine: it runs as Supabase's non-superuser `postgres`.

Each case runs the real CLI on a real server. The secret file is readable by the server's operating
system user, so only the database privilege stands between a migration and its content: were the
migration run as a superuser, the content would be in the report (the first test shows the read
works for the superuser).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from checker.dynamic.engines.cleanup import postmaster_pid
from checker.dynamic.privileges import (
    PRIVATE_SCHEMA,
    allowed_config,
    prepare_migrating_session,
    reserved_role,
    superuser_session,
)
from checker.dynamic.seed import apply_seed

from .helpers import SERVER_ENGINES, require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("text", "json", "sarif", "github")


@pytest.fixture(scope="module")
def secret_file() -> Iterator[tuple[Path, str]]:
    """A file any local user may read (as a CI runner's files often are), holding a secret number."""
    value = str(secrets.randbelow(10**12) + 10**12)
    folder = Path(tempfile.mkdtemp(prefix="secret-", dir="/tmp"))
    folder.chmod(0o755)
    path = folder / "token"
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o644)
    yield path, value
    path.unlink()
    folder.rmdir()


def run_checker(
    folder: Path, migration: str, output_format: str, engine: str = "embedded"
) -> tuple[int, str]:
    require_engine(engine)
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", migration, "--engine", engine, "--format", output_format],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def marker() -> Iterator[Path]:
    """A folder the server's process may write to (it may run as another user): a file left there by a
    migration's code shows that code ran as the superuser."""
    path = Path(tempfile.mkdtemp(prefix="superuser-marker-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    return tmp_path


def test_the_superuser_could_read_the_file(secret_file: tuple[Path, str]) -> None:
    """The control: without the privilege barrier, the content would come back."""
    path, value = secret_file
    with require_engine("embedded") as uri, psycopg.connect(uri, autocommit=True) as conn:
        assert conn.execute("select pg_read_file(%s)", [str(path)]).fetchone()[0].strip() == value


READS = {
    "pg_read_file": "select pg_read_file('{path}')::int;",
    "pg_read_binary_file": "select convert_from(pg_read_binary_file('{path}'), 'UTF8')::int;",
    "pg_ls_dir": "select string_agg(f, ',')::int from pg_ls_dir('{dir}') f;",
    "lo_import": "select lo_get(lo_import('{path}'))::text::int;",
    "lo_export": "select lo_export(lo_from_bytea(0, 'x'), '{dir}/written');",
    "c_function": "create function public.sys(text) returns int language c "
    "as '/lib/x86_64-linux-gnu/libc.so.6', 'system';",
    "copy_from_file": "create table public.t (v text);\ncopy public.t from '{path}';",
    "server_environ": "select pg_read_file('/proc/' || pg_backend_pid() || '/environ')::int;",
}


@pytest.mark.parametrize("route", sorted(READS))
def test_reads_of_the_machine_are_located_needs_superuser_errors(
    folder: Path, secret_file: tuple[Path, str], route: str
) -> None:
    path, value = secret_file
    body = READS[route].format(path=path, dir=path.parent)
    (folder / "m.sql").write_text(f"begin;\n{body}\ncommit;\n", encoding="utf-8")
    statement_line = 2 + body.count("\n")
    for output_format in FORMATS:
        code, output = run_checker(folder, "m.sql", output_format)
        assert code == 1, output
        assert value not in output, f"{route} leaked the file through the {output_format} report"
        if output_format == "text":
            assert f"m.sql\n  {statement_line}:" in output, output
            assert "needs superuser" in output and "non-superuser postgres" in output, output
    assert not (path.parent / "written").exists()


def test_escalation_attempts_fail_as_on_supabase(folder: Path) -> None:
    attempts = [
        "reset role;\nselect pg_read_file('/etc/hostname');",
        "set session authorization supabase_admin;",
        "set role supabase_admin;",
        "alter system set work_mem = '7777kB';",
        "create role intruder superuser;",
        "grant pg_read_server_files to postgres;",
        "alter role authenticator nologin;",
        "alter role authenticator password 'known';",
        # superuser-only settings supautils does not list (session_replication_role is listed, not
        # these), and a listed one under another spelling: supautils compares names as written
        "set log_statement = 'all';",
        "set local log_min_duration_statement = 0;",
        "reset log_statement;",
        "set session_preload_libraries = 'libc.so.6';",
        'set "Session_Replication_Role" = replica;',
        "alter role authenticator set session_preload_libraries = 'libc.so.6';",
        "alter role authenticator set log_statement = 'all';",
        "alter role postgres set log_statement = 'all';",
        # the reserved roles without a `*`: not even an allowed setting
        "alter role supabase_admin set session_replication_role = replica;",
        "alter role supabase_auth_admin set statement_timeout = '1s';",
        "alter role supabase_storage_admin reset all;",
        # the privileged functions called directly do no more than the statements
        f"select {PRIVATE_SCHEMA}.set_setting('log_statement', array['all'], false);",
        f"select {PRIVATE_SCHEMA}.alter_role_setting('supabase_admin', null, 'pgrst.x', array['1']);",
    ]
    for attempt in attempts:
        (folder / "m.sql").write_text(f"begin;\n{attempt}\ncommit;\n", encoding="utf-8")
        code, output = run_checker(folder, "m.sql", "text")
        assert code == 1 and "dynamic-apply" in output, f"{attempt!r} was not refused:\n{output}"


def test_a_temporary_type_does_not_run_the_migrations_code_inside_a_stand_ins_definer_function(
    folder: Path,
) -> None:
    """A session's temporary schema is searched first for types: a pg_temp.bytea with a cast of the
    migration's own must not be what a definer function's `bytea` means (pgsodium's key derivation)."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "begin;\n"
        "create type pg_temp.bytea as (v text);\n"
        "create function public.hijack(b pg_catalog.bytea) returns pg_temp.bytea language plpgsql as $$\n"
        "begin\n"
        "  if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then\n"
        "    raise exception 'the migration ran as the superuser %', current_user;\n"
        "  end if;\n"
        "  return row('x')::pg_temp.bytea;\n"
        "end $$;\n"
        "create cast (pg_catalog.bytea as pg_temp.bytea) with function public.hijack(pg_catalog.bytea) "
        "as assignment;\n"
        "select pgsodium.crypto_auth_hmacsha256('x'::pg_catalog.bytea, 1::bigint);\n"
        "commit;\n",
        encoding="utf-8",
    )
    _, output = run_checker(folder, "m.sql", "text")
    assert "ran as the superuser" not in output, output
    assert "dynamic-apply" not in output, output


def test_migrations_run_as_postgres_without_superuser(folder: Path) -> None:
    (folder / "m.sql").write_text(
        "begin;\n"
        "do $$ begin\n"
        "  if current_user <> 'postgres' or session_user <> 'postgres'\n"
        "     or (select rolsuper from pg_roles where rolname = current_user) then\n"
        "    raise exception 'running as % / %', session_user, current_user;\n"
        "  end if;\n"
        "end $$;\n"
        "commit;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output


def test_postgres_administers_the_api_roles_as_on_supabase_16_and_later(folder: Path) -> None:
    """supabase/postgres grants anon, authenticated and service_role to postgres WITH ADMIN OPTION from
    PostgreSQL 16, where CREATEROLE alone no longer lets it alter or grant them; and authenticator
    (nix/tests/expected/z_17_roles.out), whose settings supautils lets postgres change."""
    (folder / "m.sql").write_text(
        "begin;\n"
        "alter role authenticated set statement_timeout to '15s';\n"
        "alter role anon set statement_timeout to '3s';\n"
        "alter role authenticator set statement_timeout to '8s';\n"
        "alter role authenticator reset lock_timeout;\n"
        "create role reporting nologin;\n"
        "grant authenticated to reporting;\n"
        "commit;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output


# A data load with the triggers off, as projects write them (supabase db dump --data-only too): the
# trigger would refuse the row, so the insert passes only if the setting took effect.
REPLICA_LOAD = """create table public.items (id bigint primary key, name text not null);
alter table public.items enable row level security;
create function public.refuse() returns trigger language plpgsql as $$
begin raise exception 'trigger fired'; end $$;
create trigger refuse before insert on public.items for each row execute function public.refuse();
set session_replication_role = replica;
insert into public.items (id, name) values (1, 'loaded without triggers');
reset session_replication_role;
begin;
set local session_replication_role to replica;
do $$ begin
  if current_setting('session_replication_role') <> 'replica' then raise exception 'not replica'; end if;
end $$;
commit;
do $$ begin
  if current_setting('session_replication_role') <> 'origin' then raise exception 'SET LOCAL stayed'; end if;
end $$;
set session_replication_role = replica;
set session_replication_role to default;
set track_io_timing = on;
set log_min_messages = warning;
set pgrst.db_schemas = 'public, api';
do $$ begin
  if current_setting('session_replication_role') <> 'origin' or current_setting('track_io_timing') <> 'on'
     or current_setting('pgrst.db_schemas') <> 'public, api' then
    raise exception 'settings not as set';
  end if;
end $$;
"""


def test_settings_supautils_allows_are_set_as_on_supabase(folder: Path) -> None:
    """supautils.privileged_role_allowed_configs: postgres sets session_replication_role (and the other
    listed settings) although PostgreSQL keeps them to superusers; SET, SET LOCAL, TO DEFAULT, RESET."""
    (folder / "m.sql").write_text(REPLICA_LOAD, encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output


def test_a_seed_file_loading_data_in_replica_mode_applies(tmp_path: Path) -> None:
    """As `supabase db dump --data-only` writes seed.sql: SET session_replication_role, rows, RESET ALL."""
    require_engine("embedded")
    supabase = tmp_path / "supabase"
    (supabase / "migrations").mkdir(parents=True)
    (supabase / "config.toml").write_text('project_id = "replica"\n', encoding="utf-8")
    (supabase / "migrations" / "20240101000000_items.sql").write_text(
        "create table public.items (id bigint primary key, name text not null);\n"
        "alter table public.items enable row level security;\n",
        encoding="utf-8",
    )
    (supabase / "seed.sql").write_text(
        "SET session_replication_role = replica;\n"
        "INSERT INTO public.items (id, name) VALUES (1, 'first');\n"
        "RESET ALL;\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", "--engine", "embedded"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "seed file: supabase/seed.sql applied" in output, output


def test_settings_of_the_configurable_reserved_roles_change_as_on_supabase(folder: Path) -> None:
    """reserved_roles 'authenticator*' ...: postgres may change those roles' settings. PostgreSQL's
    own rules decide ordinary settings (from 16 postgres administers authenticator, as on Supabase);
    supautils runs the allowed ones (pgrst.*) as the superuser, for the API roles and postgres too."""
    (folder / "m.sql").write_text(
        "alter role authenticator set statement_timeout to '8s';\n"
        "alter role authenticator set lock_timeout = '8s';\n"
        "alter role authenticator reset lock_timeout;\n"
        "alter role authenticator set pgrst.db_schemas = 'public, api';\n"
        "alter role authenticator set pgrst.db_pre_request to 'public.check_request';\n"
        "alter role authenticator reset pgrst.db_pre_request;\n"
        "alter role anon in database postgres set pgrst.db_max_rows = 100;\n"
        "alter role current_user set session_replication_role = origin;\n"
        "do $$ begin\n"
        "  if (select setconfig from pg_db_role_setting\n"
        "      where setrole = 'authenticator'::regrole and setdatabase = 0)\n"
        "     is distinct from array['statement_timeout=8s', 'pgrst.db_schemas=public, api'] then\n"
        "    raise exception 'authenticator settings not as set';\n"
        "  end if;\n"
        "end $$;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output


def test_on_postgresql_15_allowed_settings_of_reserved_roles_apply_others_are_not_verified(
    folder: Path,
) -> None:
    """Before 16 the checker's postgres has no CREATEROLE (seed_sql/00_roles.sql), which Supabase's has
    there: `alter role authenticator set statement_timeout` is not verified, never blamed; an allowed
    setting runs as the superuser through the privileged function, as supautils runs it."""
    (folder / "m.sql").write_text("alter role authenticator set pgrst.db_schemas = 'public, api';\n")
    code, output = run_checker(folder, "m.sql", "text", "local")
    assert code == 0, output
    (folder / "m.sql").write_text("alter role authenticator set statement_timeout to '8s';\n")
    code, output = run_checker(folder, "m.sql", "text", "local")
    assert code == 2 and "1:1" in output and "not verified" in output, output


def test_the_privileged_functions_check_what_they_are_given() -> None:
    """Called directly, with what a statement could not carry: nothing beyond the allowed settings and
    roles; names and values are quoted, never spliced; only the migrating role may call them."""
    with require_engine("embedded") as uri, psycopg.connect(uri, autocommit=True) as admin:
        apply_seed(admin)
        session = prepare_migrating_session(admin, uri)
        with psycopg.connect(session.uri, autocommit=True) as conn:
            set_setting = f"select {PRIVATE_SCHEMA}.set_setting(%s, %s, %s)"
            alter_role = f"select {PRIVATE_SCHEMA}.alter_role_setting(%s, %s, %s, %s)"
            refused = [
                (set_setting, ["log_statement", ["all"], False], "permission denied to set parameter"),
                (set_setting, ["pgrst.x = 1; set role supabase_admin; --", ["1"], False], "invalid"),
                (set_setting, ["session_replication_role", ["replica'; reset role; --"], False], "invalid"),
                (set_setting, ["session_replication_role", [], False], "one or more values"),
                (set_setting, [None, ["1"], False], "permission denied"),
                (alter_role, ["supabase_admin", None, "pgrst.x", ["1"]], "permission denied to alter role"),
                (alter_role, ["dashboard_user", None, "pgrst.x", ["1"]], "permission denied to alter role"),
                (alter_role, ["anon", "template1", "pgrst.x", ["1"]], "permission denied to alter role"),
                (alter_role, ["anon", None, "statement_timeout", ["1s"]], "permission denied to set"),
                (alter_role, ['anon" set log_statement = all; --', None, "pgrst.x", ["1"]], "does not exist"),
            ]
            publication = f"select {PRIVATE_SCHEMA}.create_publication(%s, %s, %s, %s)"
            schemas = f"select {PRIVATE_SCHEMA}.alter_publication_schemas(%s, %s, %s)"
            wrapper = f"select {PRIVATE_SCHEMA}.create_foreign_data_wrapper(%s, %s, %s, %s, %s, %s)"
            trigger = f"select {PRIVATE_SCHEMA}.create_event_trigger(%s, %s, %s, %s, %s, %s)"
            admin.execute(
                "create function public.superusers_trigger() returns event_trigger language plpgsql"
                " as $$ begin null; end $$;"
                "create extension postgres_fdw with schema extensions"
            )
            conn.execute(
                "create function public.own_check(text[], oid) returns void language plpgsql"
                " as $$ begin end $$"
            )
            refused += [
                (publication, ["p", None, [], "supabase_admin"], "is not the caller's"),
                (publication, ["p", None, ["publish) for all tables; --", "x"], "postgres"], "unrecognized"),
                (schemas, ["supabase_realtime", "add tables in schema public; --", ["x"]], "unrecognized"),
                (wrapper, ["w", None, None, [], ["public"], "supabase_admin"], "is not the caller's"),
                (wrapper, ["w", None, ["own_check"], [], ["public"], "postgres"], "own wrapper validator"),
                (
                    wrapper,
                    ["w", ["postgres_fdw_handler"], None, [], ["extensions"], "postgres"],
                    "without its own",
                ),
                (
                    wrapper,
                    [
                        "w",
                        ["postgres_fdw_handler"],
                        ["postgresql_fdw_validator"],
                        [],
                        ["pg_catalog", "extensions"],
                        "postgres",
                    ],
                    "without its own",
                ),
                (
                    trigger,
                    ["t", "login", None, ["f"], ["public"], "postgres"],
                    "which would run as the checker's superuser",
                ),
                (
                    trigger,
                    ["t", "ddl_command_end", None, ["superusers_trigger"], ["public"], "postgres"],
                    "Non-superuser owned event trigger must execute a non-superuser owned function",
                ),
            ]
            for call, arguments, message in refused:
                with pytest.raises(psycopg.Error) as error:
                    conn.execute(call, arguments)
                assert message in str(error.value), (arguments, str(error.value))
            assert conn.execute("select current_user, session_user").fetchone() == ("postgres", "postgres")
            assert conn.execute("show log_statement").fetchone() == ("none",)
            conn.execute("set role anon")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(set_setting, ["session_replication_role", ["replica"], False])
        callers = admin.execute(
            "select distinct coalesce(r.rolname, 'PUBLIC') from pg_proc p"
            " cross join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a"
            " left join pg_roles r on r.oid = a.grantee"
            f" where p.pronamespace = '{PRIVATE_SCHEMA}'::regnamespace and a.grantee <> p.proowner"
        ).fetchall()
        assert callers == [("postgres",)]


def test_a_role_named_like_a_configurable_reserved_role_is_the_projects_own(folder: Path) -> None:
    """supautils' `anon*` reserves anon itself (the `*`: its settings may change), not anon_reader."""
    (folder / "m.sql").write_text(
        "create role anon_reader nologin;\nalter role anon_reader nologin;\n"
        "alter role anon_reader rename to anon_readers;\ndrop role anon_readers;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output
    assert reserved_role("anon") and not reserved_role("anon", settings_only=True)
    assert not reserved_role("anon_reader") and reserved_role("supabase_admin", settings_only=True)


def test_allowed_settings_match_as_supautils_matches_them() -> None:
    assert allowed_config("session_replication_role")
    assert allowed_config("pgrst.db_schemas") and allowed_config("plan_filter.statement_cost_limit")
    assert not allowed_config("Session_Replication_Role")  # supautils compares with strcmp
    assert not allowed_config("pgrst") and not allowed_config("pgrstx.a") and not allowed_config(None)
    assert not allowed_config("log_statement") and not allowed_config("session_preload_libraries")


def test_an_extension_without_a_schema_lands_where_create_extension_puts_it(folder: Path) -> None:
    """Without SCHEMA, PostgreSQL installs an extension whose control file names no schema into the
    caller's first schema on the search path (public for Supabase's postgres), not the privileged
    function's own pg_catalog."""
    (folder / "m.sql").write_text(
        "begin;\ncreate extension if not exists citext;\n"
        "set local search_path = extensions, public;\ncreate extension if not exists hstore;\n"
        "do $$ begin\n"
        "  if (select array_agg(extnamespace::regnamespace::text order by extname) from pg_extension\n"
        "      where extname in ('citext', 'hstore')) <> array['public', 'extensions'] then\n"
        "    raise exception 'installed in the wrong schemas';\n"
        "  end if;\n"
        "end $$;\ncommit;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output


@pytest.mark.parametrize("engine", SERVER_ENGINES)
def test_a_foreign_key_to_the_vault_applies_as_on_supabase(folder: Path, engine: str) -> None:
    """supabase_vault grants ALL on vault.secrets to pgsodium_keyiduser, which Supabase gives postgres."""
    (folder / "m.sql").write_text(
        "begin;\ncreate table public.deployments (id bigint primary key,\n"
        "  credentials uuid references vault.secrets (id));\n"
        "alter table public.deployments enable row level security;\ncommit;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text", engine)
    assert code == 0, output


@pytest.mark.parametrize(
    ("engine", "extensions"),
    [("local", ("pgcrypto", "uuid-ossp", "pg_trgm", "citext")), ("embedded", ("pg_trgm", "citext"))],
)
def test_extensions_supabase_offers_are_created_and_dropped_by_postgres(
    folder: Path, engine: str, extensions: tuple[str, ...]
) -> None:
    # Dropped first: the seed pre-installs some of them in extensions, as Supabase does.
    statements = "".join(
        f'drop extension if exists "{name}" cascade;\ncreate extension "{name}" with schema extensions;\n'
        for name in extensions
    )
    (folder / "m.sql").write_text(f"begin;\n{statements}commit;\n", encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text", engine)
    assert code == 0, output


def test_an_extension_supabase_does_not_offer_stays_refused(folder: Path) -> None:
    (folder / "m.sql").write_text("begin;\ncreate extension file_fdw;\ncommit;\n", encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 1 and "2:1" in output and "permission denied" in output, output


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_the_server_process_never_sees_the_checkers_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = f"ci-token-{secrets.token_hex(8)}"
    monkeypatch.setenv("CHECKER_TEST_CI_TOKEN", token)
    engine = require_engine(name)
    with engine as uri:
        pid = postmaster_pid(engine.pgdata)
        assert pid is not None
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert token.encode() not in environ
        assert oct(engine.tempdir.stat().st_mode & 0o777) == oct(0o700)
        with psycopg.connect(uri, autocommit=True) as conn:
            apply_seed(conn)
            role = conn.execute("select rolsuper from pg_roles where rolname = 'postgres'").fetchone()
            assert role == (False,)
            readers = conn.execute(
                "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
                "where m.member = 'postgres'::regrole and r.rolname like 'pg\\_%server%'"
            ).fetchall()
            assert readers == []


def test_a_dsn_server_whose_postgres_is_a_superuser_gets_a_run_role_dropped_after(folder: Path) -> None:
    """Such a server (the official image) keeps its postgres; the run logs in as a role of its own."""
    with require_engine("local") as uri, psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("create role postgres superuser login")
        dsn = make_conninfo(uri, user="postgres")
        (folder / "m.sql").write_text(
            "begin;\ncreate table public.t (id uuid primary key references auth.users);\n"
            "alter table public.t enable row level security;\n"
            "select pg_read_file('/etc/hostname')::int;\ncommit;\n",
            encoding="utf-8",
        )
        done = subprocess.run(
            [sys.executable, "-m", "checker", "verify", "m.sql", "--engine", "dsn", "--dsn", dsn],
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 1 and "4:1" in output and "needs superuser" in output, output
        assert "relation" not in output and "permission denied for table" not in output, output
        left = conn.execute("select rolname from pg_roles where rolname like 'checker\\_postgres\\_%'")
        assert left.fetchall() == []
        assert conn.execute("select rolsuper from pg_roles where rolname = 'postgres'").fetchone() == (True,)


# supautils runs these as the superuser for postgres, then makes postgres the owner (supautils.c, v2.9.4,
# the version supabase/postgres ships): each migration checks the owner itself.
OWNERS_CHECK = """\
do $$
begin
  if (select evtowner::regrole::text from pg_event_trigger where evtname = 'log_ddl') <> 'postgres'
     or (select fdwowner::regrole::text from pg_foreign_data_wrapper) <> 'postgres'
     or (select pubowner::regrole::text from pg_publication where pubname = 'everything') <> 'postgres'
     or not (select puballtables from pg_publication where pubname = 'everything')
     or (select count(*) from pg_publication_namespace) <> 2 then
    raise exception 'not as supautils leaves them';
  end if;
end $$;
"""
SUPAUTILS_STATEMENTS = (
    """\
begin;
create function public.log_ddl() returns event_trigger language plpgsql as $$
begin
  raise notice 'ddl %', tg_tag;
end $$;
create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE') execute function log_ddl();
create publication everything for all tables with (publish = 'insert, update');
create schema reports;
create publication reporting for tables in schema reports;
alter publication reporting add tables in schema public;
create foreign data wrapper dummy_fdw options (mode 'test');
comment on extension pgcrypto is 'cryptographic functions';
create table public.notes (id bigint primary key);
alter table public.notes enable row level security;
"""
    + OWNERS_CHECK
    + "commit;\n"
)


def test_statements_supautils_runs_for_postgres_apply_as_on_supabase(folder: Path) -> None:
    """Event triggers, FOR ALL TABLES and TABLES IN SCHEMA publications, foreign data wrappers and comments
    on extensions: PostgreSQL wants a superuser for each; on Supabase postgres makes them (before: each
    was blamed with "it would fail there too")."""
    (folder / "m.sql").write_text(SUPAUTILS_STATEMENTS, encoding="utf-8")
    (folder / "r.sql").write_text(
        "begin;\ndrop table public.notes;\ndrop foreign data wrapper dummy_fdw;\n"
        "drop publication reporting, everything;\ndrop schema reports;\ndrop event trigger log_ddl;\n"
        "drop function public.log_ddl();\ncommit;\n",
        encoding="utf-8",
    )
    require_engine("embedded")
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", "m.sql", "--rollback", "r.sql", "--engine", "embedded"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and " error " not in done.stdout, done.stdout + done.stderr
    assert "rollback: catalog restored" in done.stdout, done.stdout


def test_a_projects_event_trigger_never_runs_as_the_superuser(folder: Path, marker: Path) -> None:
    """supautils skips postgres's event triggers for the superuser; here PostgreSQL 17's event_triggers is
    off wherever the checker's superuser runs DDL (the seed's copy making way, CREATE EXTENSION through
    the privileged functions, the end of the run). The trigger does run for postgres's own DDL."""
    (folder / "migrations").mkdir()
    (folder / "migrations" / "1_trigger.sql").write_text(
        "create function public.on_ddl() returns event_trigger language plpgsql as $$\n"
        "begin\n"
        "  if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then\n"
        f"    copy (select current_user) to program 'touch {marker}/ran_as_superuser';\n"
        "  end if;\n"
        "  if tg_tag = 'CREATE SEQUENCE' then\n"
        "    raise exception 'the event trigger ran for %', current_user;\n"
        "  end if;\n"
        "end $$;\n"
        "create event trigger on_ddl on ddl_command_start execute function public.on_ddl();\n",
        encoding="utf-8",
    )
    (folder / "migrations" / "2_more.sql").write_text(
        "create schema pgsodium;\ncreate extension pg_trgm;\ncreate sequence public.s;\n", encoding="utf-8"
    )
    code, output = run_checker(folder, "migrations", "text")
    assert not (marker / "ran_as_superuser").exists(), output
    assert (
        code == 1 and "2_more.sql\n  3:1  error   dynamic-apply  the event trigger ran for postgres" in output
    ), output


def test_before_postgresql_17_an_event_trigger_is_not_verified(folder: Path) -> None:
    """Nothing there would keep it from running as the checker's superuser."""
    (folder / "m.sql").write_text(SUPAUTILS_STATEMENTS, encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text", engine="local")
    assert code == 2, output
    assert (
        "6:1  error   dynamic-not-verified  not verified: CREATE EVENT TRIGGER cannot be verified" in output
    ), output
    in_a_block = SUPAUTILS_STATEMENTS.replace("create event trigger", "do $do$ begin create event trigger")
    in_a_block = in_a_block.replace("execute function log_ddl();", "execute function log_ddl(); end $do$;")
    (folder / "m.sql").write_text(in_a_block, encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text", engine="local")
    assert code == 2 and "6:1  error   dynamic-not-verified  not verified: CREATE EVENT TRIGGER" in output, (
        output
    )


def test_the_checkers_superuser_sessions_run_no_event_trigger() -> None:
    """superuser_session turns event triggers off: the control, a plain superuser connection, runs one."""
    with require_engine("embedded") as uri, psycopg.connect(uri, autocommit=True) as admin:
        admin.execute(
            "create function public.mark() returns event_trigger language plpgsql as $$\n"
            "begin insert into public.marks values (current_user); end $$;\n"
            "create table public.marks (by_role text);\n"
            "create event trigger mark on ddl_command_end execute function public.mark();"
        )
        with superuser_session(psycopg.connect(uri, autocommit=True)) as checker_session:
            checker_session.execute("create table public.by_the_checker (id int)")
        assert admin.execute("select count(*) from public.marks").fetchone() == (0,)
        admin.execute("create table public.by_another_session (id int)")
        assert admin.execute("select count(*) from public.marks").fetchone() == (1,)


def test_statements_supautils_runs_inside_a_do_block_apply_as_on_supabase(folder: Path) -> None:
    """supautils hooks them inside PL/pgSQL too (QuivrHQ/quivr's init declares its Stripe wrapper in a DO
    block guarded by IF NOT EXISTS); dynamic SQL is left to PostgreSQL."""
    (folder / "m.sql").write_text(
        "begin;\n"
        "create function public.log_ddl() returns event_trigger language plpgsql as $$\n"
        "begin\n  raise notice 'ddl %', tg_tag;\nend $$;\n"
        "do $do$\nbegin\n"
        "  if not exists (select from pg_foreign_data_wrapper where fdwname = 'dummy_fdw') then\n"
        "    create foreign data wrapper dummy_fdw\n      options (mode 'test');\n"
        "  end if;\n"
        "  create event trigger log_ddl on ddl_command_end when tag in ('CREATE TABLE')\n"
        "    execute function log_ddl();\n"
        "  create publication everything for all tables with (publish = 'insert, update');\n"
        "  comment on extension pgcrypto is 'cryptographic functions';\n"
        "end $do$;\n"
        + OWNERS_CHECK.replace("(select count(*) from pg_publication_namespace) <> 2", "false")
        + "commit;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0 and " error " not in output, output
    # the statement's text in a comment or a string before it, a body in single quotes
    (folder / "m.sql").write_text(
        "do $$\nbegin\n"
        "  -- create foreign data wrapper dummy_fdw\n"
        "  raise notice 'create foreign data wrapper dummy_fdw';\n"
        "  create foreign data wrapper dummy_fdw;\n"
        "end $$;\n"
        "do 'begin create foreign data wrapper other_fdw options (mode ''test''); end';\n"
        "do '\nbegin\n  -- create extension pgrowlocks with schema extensions;\n"
        "  create extension pgrowlocks with schema extensions;\nend';\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0 and " error " not in output, output
    (folder / "m.sql").write_text(
        "do $$ begin execute 'create foreign data wrapper dummy_fdw'; end $$;\n", encoding="utf-8"
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 1 and 'permission denied to create foreign-data wrapper "dummy_fdw"' in output, output


def _as_superuser_marks(marker: Path) -> str:
    """A function body that leaves a file behind when it runs as a superuser."""
    return (
        "if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then "
        f"execute 'copy (select 1) to program ''touch {marker}/ran_as_superuser'''; end if;"
    )


# Ways a migration tried to get its code run as the superuser through what the checker runs for it (found by
# a review; each left the file behind before its fix).
ESCALATIONS = {
    # names a supautils statement gives are looked up on the caller's schemas, as data only
    "search_path of a wrapper's validator": """\
create schema evil;
create function evil.quote_ident(text) returns text language plpgsql as $f$ begin {mark}
  return pg_catalog.quote_ident($1); end $f$;
create function evil.array_to_string(anyarray, text) returns text language plpgsql as $f$ begin {mark}
  return pg_catalog.array_to_string($1, $2); end $f$;
set search_path = evil, pg_catalog;
create foreign data wrapper w validator postgresql_fdw_validator;
""",
    # a handler without its own validator: postgres_fdw logging back in as the superuser over trust
    "a wrapper without its validator": """\
create extension if not exists postgres_fdw with schema extensions;
create function public.pwn() returns int language plpgsql as $f$ begin {mark} return 1; end $f$;
create view public.pwn_v as select public.pwn() as x;
create foreign data wrapper loose_fdw handler extensions.postgres_fdw_handler;
do $d$ begin
  execute format('create server s foreign data wrapper loose_fdw options (host %L, port %L, dbname %L)',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
    current_database());
end $d$;
create user mapping for current_user server s options (user 'supabase_admin', password_required 'false');
create foreign table public.ft (x int) server s options (schema_name 'public', table_name 'pwn_v');
select * from public.ft;
""",
    # an extension's script runs as the superuser with its schema on the search_path
    "an extension script next to the project's functions": """\
create schema evil;
create function evil.format(f text, a text, b text) returns text language plpgsql as $f$ begin {mark}
  return pg_catalog.format(f, a, b); end $f$;
create extension wrappers schema evil;
""",
    # vault.create_secret (a superuser's definer function) writes vault.secrets, which Supabase's grants let
    # postgres put a trigger on
    "a trigger on a table the superuser writes": """\
create function public.tp() returns trigger language plpgsql as $f$ begin {mark} return new; end $f$;
do $d$ begin
  create trigger tp before insert on vault.secrets for each row execute function public.tp();
exception when others then null;
end $d$;
select vault.create_secret('x');
""",
    # the checker's own queries as the superuser must not see public's functions
    "public.format in the checker's queries": """\
create function public.format(f text, a text, b text) returns text language plpgsql as $f$ begin {mark}
  return pg_catalog.format(f, a, b); end $f$;
create table public.t (id int primary key);
alter table public.t enable row level security;
""",
}


@pytest.mark.parametrize("route", sorted(ESCALATIONS))
def test_a_migration_does_not_run_its_code_as_the_superuser(folder: Path, marker: Path, route: str) -> None:
    (folder / "m.sql").write_text(
        ESCALATIONS[route].format(mark=_as_superuser_marks(marker)), encoding="utf-8"
    )
    _, output = run_checker(folder, "m.sql", "text")
    assert not (marker / "ran_as_superuser").exists(), output


def test_an_extension_created_beside_the_projects_functions_applies_where_they_cannot_reach_it(
    folder: Path, marker: Path
) -> None:
    """A relocatable extension's script runs in an empty schema, and the extension is moved after:
    liam's `create extension if not exists vector` in public beside its functions applies (the project's
    public.format, a better match than pg_catalog's, never runs as the superuser there)."""
    _applies_beside_a_hostile_format(
        folder,
        marker,
        "create temporary table staging (id int);\n"
        "create extension if not exists vector;\n"
        "create extension if not exists hypopg;\n"
        "select '[1,2]'::public.vector, public.hypopg_reset();\n",
    )


def _applies_beside_a_hostile_format(folder: Path, marker: Path, migration: str, first: str = "") -> None:
    """The migration, after `first` and a public.format(text, text, text) that leaves the marker when run
    as the superuser (it matches a call better than pg_catalog's), applies without an error or the marker."""
    hostile = (
        "create function public.format(f text, a text, b text) returns text language plpgsql as $f$ begin "
        + _as_superuser_marks(marker)
        + " return pg_catalog.format(f, a, b); end $f$;\n"
    )
    (folder / "m.sql").write_text(first + hostile + migration, encoding="utf-8")
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0 and " error " not in output, output
    assert not (marker / "ran_as_superuser").exists(), output


def test_a_trigger_on_a_superusers_table_is_not_verified(folder: Path) -> None:
    """Supabase's grants let postgres add one to vault.secrets; here it would run as the superuser when
    vault.create_secret writes the table, so nobody may add one: not verified, never blamed."""
    (folder / "m.sql").write_text(
        "create function public.audit() returns trigger language plpgsql as $$ begin return new; end $$;\n"
        "create trigger audit before insert on vault.secrets for each row execute function public.audit();\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 2, output
    assert (
        "2:1  error   dynamic-not-verified  not verified: the checker cannot safely run a trigger on a"
        in output
    )


def test_a_comment_on_an_extension_does_not_change_what_the_record_calls_a_stand_in(folder: Path) -> None:
    """Stand-ins are told by their control file's comment, which no statement changes."""
    (folder / "m.sql").write_text(
        "comment on extension pgcrypto is 'hashes';\n"
        "comment on extension plpgsql is 'checker stand-in: no';\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0, output
    (line,) = [line for line in output.splitlines() if "stand-ins:" in line]
    assert ", pgcrypto, " in line and "plpgsql" not in line, line


def test_an_extension_requiring_plpgsql_is_created_beside_the_projects_functions(folder: Path) -> None:
    """pgtap requires plpgsql, which lives in pg_catalog (no project can create there): created in an empty
    schema and moved, not refused (Debian's real pgtap on PostgreSQL 15)."""
    (folder / "m.sql").write_text(
        "create function extensions.my_helper() returns int language sql as 'select 1';\n"
        "create extension if not exists pgtap with schema extensions;\n"
        "select extensions.plan(1);\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text", engine="local")
    assert code == 0 and " error " not in output, output


def test_what_cannot_run_the_projects_code_as_the_superuser_still_applies(folder: Path) -> None:
    """The refusals stay narrow: a core contrib extension's script (written for schemas others create in)
    beside the project's functions in public (postgres-new's moddatetime), and a wrapper of the stand-in's
    handler, which reads nothing, without a validator (quivr's stripe_wrapper)."""
    (folder / "m.sql").write_text(
        "create function public.supabase_url() returns text language sql as 'select 1::text';\n"
        "create extension if not exists moddatetime;\n"
        "create extension if not exists wrappers with schema extensions;\n"
        "do $$ begin create foreign data wrapper stripe_wrapper handler stripe_fdw_handler; end $$;\n",
        encoding="utf-8",
    )
    code, output = run_checker(folder, "m.sql", "text")
    assert code == 0 and " error " not in output, output


def test_pg_net_is_created_beside_the_projects_functions_and_names_none_of_them(
    folder: Path, marker: Path
) -> None:
    """atomic-crm's `create extension if not exists pg_net` after functions of its own in public: the
    stand-in's script searches pg_catalog only (StandIn.pinned), so it is created there, not refused, and
    neither runs nor binds the project's better-matching public.cardinality(text[]) or public.format."""
    _applies_beside_a_hostile_format(
        folder,
        marker,
        "create extension if not exists pg_net;\n"
        "do $$ begin\n"
        "  perform net.http_get('https://example.com/hook', '{\"a\": \"b\"}');\n"
        "  if not exists (select from net.http_request_queue\n"
        "                 where url = 'https://example.com/hook?a=b') then\n"
        "    raise exception 'pg_net bound a function of the project''s';\n"
        "  end if;\n"
        "end $$;\n",
        first="create function public.cardinality(items text[]) returns integer language sql immutable"
        " as 'select 0';\n",
    )
