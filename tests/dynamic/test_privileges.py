"""A pull request's SQL cannot read the machine: it runs as Supabase's non-superuser `postgres`.

Each case runs the real CLI on a real server. The secret file is readable by the server's operating
system user, so only the database privilege stands between a migration and its content: were the
migration run as a superuser, the content would be in the report (the first test shows the read
works for the superuser).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from checker.dynamic.engines.cleanup import postmaster_pid
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
    ]
    for attempt in attempts:
        (folder / "m.sql").write_text(f"begin;\n{attempt}\ncommit;\n", encoding="utf-8")
        code, output = run_checker(folder, "m.sql", "text")
        assert code == 1 and "dynamic-apply" in output, f"{attempt!r} was not refused:\n{output}"


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
