"""Hostile or odd migrations: the dynamic stage reports them at their line and never crashes or hangs.

Each case runs the real CLI in a subprocess on a real PostgreSQL (the embedded engine; the dsn
engine against a server the local engine started for the cluster-level statements).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]

OWNED_TABLE = """\
create table public.k (id int primary key, owner uuid not null default auth.uid(), v text);
alter table public.k enable row level security;
create policy k_own on public.k for all to authenticated
  using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scratch project (empty policy) with its own TMPDIR, so leftovers of the run can be seen."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    return tmp_path


def verify(
    folder: Path, *args: str, engine: tuple[str, ...] = ("--engine", "embedded"), **env: str
) -> tuple[int, list[dict], str]:
    """`checker verify ARGS --format json` in `folder`: exit code, findings, stderr."""
    if engine[1] == "embedded":
        require_engine("embedded")
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", *args, *engine, "--format", "json"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(folder / "tmp"), **env},
        capture_output=True,
        text=True,
        timeout=600,  # a hang must end the test
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode != 3, done.stderr
    findings = json.loads(done.stdout)["findings"] if done.stdout.strip() else []
    return done.returncode, findings, done.stderr


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def found(findings: list[dict], rule: str, file: str, line: int, text: str) -> dict:
    matches = [
        f
        for f in findings
        if f["rule"] == rule and f["file"] == file and f["line"] == line and text in f["message"]
    ]
    assert matches, f"no {rule} at {file}:{line} with {text!r} in {findings}"
    return matches[0]


def no_leftover_server(folder: Path) -> None:
    assert list((folder / "tmp").glob("checker-*")) == []


def test_copy_from_stdin_is_reported_not_run(folder: Path) -> None:
    migration = write(
        folder,
        "copy.sql",
        "begin;\ncreate table public.k (id int primary key, v text);\n"
        "alter table public.k enable row level security;\ncopy public.k (id, v) from stdin;\ncommit;\n",
    )
    code, findings, _ = verify(folder, migration)
    assert code == 1
    finding = found(findings, "dynamic-apply", migration, 4, "COPY ... FROM STDIN")
    assert finding["severity"] == "error" and finding["column"] == 1


def test_copy_to_stdout_is_read_and_the_run_goes_on(folder: Path) -> None:
    migration = write(folder, "copy_out.sql", OWNED_TABLE + "copy public.k to stdout;\n")
    rollback = write(folder, "copy_out_rollback.sql", "drop table public.k;\n")
    code, findings, _ = verify(folder, "--rollback", rollback, migration)
    assert code == 0, findings
    assert [f for f in findings if f["severity"] == "error"] == []


def test_session_settings_of_a_migration_do_not_reach_probes_or_rollback(folder: Path) -> None:
    migration = write(folder, "session.sql", OWNED_TABLE + "set search_path = '';\nset role anon;\n")
    rollback = write(
        folder, "session_rollback.sql", "drop table public.k;\nset role anon;\n"
    )  # (SET SESSION AUTHORIZATION needs superuser: postgres cannot, on Supabase either)
    code, findings, _ = verify(folder, "--rollback", rollback, migration)
    assert code == 0, findings
    assert not any("permission denied" in f["message"] or "must be owner" in f["message"] for f in findings)
    assert [f for f in findings if f["severity"] == "error"] == []


@pytest.mark.parametrize("setting", ["", "set statement_timeout = 0;\n"], ids=["default", "turned-off"])
def test_a_statement_over_the_timeout_is_canceled_and_located(folder: Path, setting: str) -> None:
    migration = write(
        folder, "slow.sql", f"create table public.k (id int primary key);\n{setting}select pg_sleep(30);\n"
    )
    code, findings, _ = verify(folder, migration, CHECKER_STATEMENT_TIMEOUT="2")
    assert code == 1
    found(findings, "dynamic-apply", migration, 2 + setting.count("\n"), "canceled after 2 s")
    no_leftover_server(folder)


def test_a_bad_timeout_setting_is_one_line(folder: Path) -> None:
    migration = write(folder, "plain.sql", "create table public.k (id int primary key);\n")
    code, _, err = verify(folder, migration, CHECKER_STATEMENT_TIMEOUT="soon")
    assert code == 2 and "CHECKER_STATEMENT_TIMEOUT" in err and err.count("\n") == 1, err


def test_a_statement_that_ends_the_session_stops_the_stage_cleanly(folder: Path) -> None:
    # The first migration leaves row level security off: a validation error found before the end.
    (folder / "migrations").mkdir()
    first = write(folder, "migrations/001_open.sql", "create table public.open_table (id int primary key);\n")
    write(folder, "migrations/001_open_rollback.sql", "drop table public.open_table;\n")
    second = write(
        folder,
        "migrations/002_kill.sql",
        "create table public.k (id int primary key);\nselect pg_terminate_backend(pg_backend_pid());\n",
    )
    third = write(folder, "migrations/003_after.sql", "create table public.later (id int primary key);\n")
    code, findings, _ = verify(folder, "migrations")
    assert code == 1
    found(findings, "dynamic-apply", second, 2, "the statement ended the session")
    found(findings, "dynamic-validation", first, 1, "row level security is not enabled")
    found(findings, "dynamic-apply", third, 1, "not applied")
    no_leftover_server(folder)


CLUSTER_MIGRATION = """\
create database hostile_other;
-- ALTER SYSTEM needs superuser: it fails as on Supabase (test_privileges.py)
create table public.k (id int primary key);
alter table public.k enable row level security;
alter database postgres set work_mem = '7777kB';
"""


def cluster_findings(findings: list[dict], migration: str) -> None:
    for line, command in ((1, "CREATE DATABASE"), (5, "ALTER DATABASE")):
        finding = found(
            findings, "dynamic-apply", migration, line, f"not run: {command} acts on the whole server"
        )
        assert finding["severity"] == "warning"
    # the statements after them ran: the table is validated without a finding
    assert [f for f in findings if f["rule"] == "dynamic-validation"] == []


def test_cluster_level_statements_are_not_run(folder: Path) -> None:
    migration = write(folder, "cluster.sql", CLUSTER_MIGRATION)
    code, findings, _ = verify(folder, migration)
    assert code == 0, findings
    cluster_findings(findings, migration)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with require_engine("local") as uri:
        yield uri


def server_state(uri: str) -> tuple[set[str], list[tuple], list[tuple]]:
    with psycopg.connect(uri, autocommit=True) as conn:
        databases = {row[0] for row in conn.execute("select datname from pg_database")}
        system = conn.execute("select name, setting from pg_file_settings where name = 'work_mem'").fetchall()
        per_database = conn.execute("select setdatabase, setconfig from pg_db_role_setting").fetchall()
    return databases, system, per_database


def test_cluster_level_statements_leave_a_dsn_server_unchanged(folder: Path, server: str) -> None:
    migration = write(folder, "cluster.sql", CLUSTER_MIGRATION)
    before = server_state(server)
    code, findings, _ = verify(folder, migration, engine=("--engine", "dsn", "--dsn", server))
    assert code == 0, findings
    cluster_findings(findings, migration)
    assert server_state(server) == before


def test_function_of_a_quoted_type_is_found_after_the_migration(folder: Path) -> None:
    migration = write(
        folder,
        "quoted.sql",
        "create type public.\"Mood\" as enum ('calm', 'busy');\n"
        'create function public.f(m public."Mood", ms public."Mood"[], n integer) returns int\n'
        "  language sql as 'select 1';\n"
        "revoke execute on function public.f from public, anon, authenticated;\n",
    )
    code, findings, _ = verify(folder, migration)
    assert code == 0, findings
    assert [f for f in findings if f["rule"] == "dynamic-validation"] == []


def test_copy_with_a_program_fails_for_want_of_superuser(folder: Path) -> None:
    marker = folder / "tmp" / "program-ran"
    migration = write(
        folder, "copy_program.sql", OWNED_TABLE + f"copy public.k (id, v) from program 'touch {marker}';\n"
    )
    code, findings, _ = verify(folder, migration)
    assert code == 1, findings
    failure = found(findings, "dynamic-apply", migration, 5, "permission denied")
    assert "non-superuser postgres" in failure["hint"]
    assert not marker.exists()
