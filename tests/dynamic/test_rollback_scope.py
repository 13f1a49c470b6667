"""The rollback check's snapshots cover what a migration and its rollback name (checker/dynamic/scope.py);
code the model cannot read makes them whole, and a fingerprint catches objects created or dropped
outside the scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import run_json

from checker.context import MigrationUnit, RuleContext
from checker.dynamic.scope import Scope, unit_scope
from checker.dynamic.snapshot import diff_fingerprints, take_fingerprint, take_snapshot
from checker.parse import parse_source
from checker.policy import default_policy
from checker.source import SourceFile

from .helpers import require_engine, seeded_database

pytestmark = pytest.mark.postgres

MIGRATION = "create table public.notes (id bigint primary key, owner uuid references auth.users (id));\n"
ROLLBACK = "drop table public.notes;\n"


def context(migration: str, rollback: str | None = None) -> RuleContext:
    parsed = parse_source(SourceFile("m.sql", migration))
    undo = parse_source(SourceFile("m.down.sql", rollback)) if rollback is not None else None
    return RuleContext(MigrationUnit(parsed, undo), default_policy())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with require_engine("embedded") as uri:
        yield uri


@pytest.fixture
def conn(server: str) -> Iterator[psycopg.Connection]:
    """A fresh seeded database with a table no test migration names, public.bystander."""
    with seeded_database(server, "create table public.bystander (id int primary key)") as connection:
        yield connection


def test_the_scope_is_what_the_files_name(conn: psycopg.Connection) -> None:
    scope = unit_scope(conn, context(MIGRATION, ROLLBACK))
    assert not scope.whole
    assert {"notes", "users", "auth", "public"} <= scope.names
    assert "bystander" not in scope.names


@pytest.mark.parametrize(
    ("rollback", "why"),
    [
        ("drop table public.notes cascade;", "CASCADE"),
        ("do $$ begin execute 'drop table public.notes'; end $$;", "dynamic SQL"),
        ("select public.cleanup();", "public.cleanup"),
        ("select cleanup_notes();", "cleanup_notes"),
        ("drop owned by postgres;", "DROP OWNED"),
        ("drop extension hstore;", "extension"),
    ],
)
def test_code_the_model_cannot_read_makes_the_scope_whole(
    conn: psycopg.Connection, rollback: str, why: str
) -> None:
    assert why in unit_scope(conn, context(MIGRATION, rollback)).whole


def test_calls_of_pg_catalog_functions_keep_the_scope(conn: psycopg.Connection) -> None:
    scope = unit_scope(conn, context(MIGRATION + "insert into public.notes values (1, gen_random_uuid());\n"))
    assert not scope.whole


def test_a_scoped_snapshot_reads_only_the_named_objects(conn: psycopg.Connection) -> None:
    scope = unit_scope(conn, context(MIGRATION, ROLLBACK))
    conn.execute(MIGRATION)
    labels = take_snapshot(conn, scope).labels()
    assert {"table public.notes", "column public.notes.owner", "table auth.users"} <= labels
    assert "table public.bystander" not in labels
    assert "table public.bystander" in take_snapshot(conn, Scope(whole="test")).labels()


def test_the_fingerprint_sees_objects_created_and_dropped_outside_the_scope(conn: psycopg.Connection) -> None:
    scope = unit_scope(conn, context(MIGRATION, ROLLBACK))
    before = take_fingerprint(conn, scope)
    conn.execute(MIGRATION)
    conn.execute(ROLLBACK)
    assert diff_fingerprints(conn, before, take_fingerprint(conn, scope)) == []
    conn.execute("drop table public.bystander")
    conn.execute("create view public.stray as select 1 as one")
    messages = [d.message for d in diff_fingerprints(conn, before, take_fingerprint(conn, scope))]
    assert any(m.startswith("view public.stray left behind") for m in messages), messages
    assert any("of pg_class dropped" in m for m in messages), messages


def test_a_named_table_made_again_is_no_difference_outside_the_scope(conn: psycopg.Connection) -> None:
    drop = "drop table public.bystander;\n"
    migration = drop + "create table public.bystander (id int primary key, extra int);\n"
    rollback = drop + "create table public.bystander (id int primary key);\n"
    scope = unit_scope(conn, context(migration, rollback))
    before = take_fingerprint(conn, scope)
    conn.execute(migration)
    conn.execute(rollback)
    assert diff_fingerprints(conn, before, take_fingerprint(conn, scope)) == []


# --- the whole run ------------------------------------------------------------------------------------

# Made before the migration under test, with no rollback (so its own is not checked): a bystander
# table, and a trigger that drops it when a job is deleted, as DML in a rollback might.
SETUP = (
    "create table public.bystander (id int primary key);\n"
    "create table public.jobs (id int primary key);\n"
    "create function public.drop_bystander() returns trigger language plpgsql as $$\n"
    "begin drop table if exists public.bystander; return old; end $$;\n"
    "create trigger jobs_cleanup after delete on public.jobs for each row\n"
    "  execute function public.drop_bystander();\n"
    "create function public.cleanup() returns void language plpgsql as $$\n"
    "begin drop table if exists public.bystander; end $$;\n"
    "insert into public.jobs values (1);\n"
)


def verify(tmp_path: Path, rollback: str) -> list[dict]:
    require_engine("embedded")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_setup.sql").write_text(SETUP, encoding="utf-8")
    (tmp_path / "migrations" / "002_notes.sql").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "migrations" / "002_notes.down.sql").write_text(rollback, encoding="utf-8")
    (tmp_path / "policy.toml").write_text('transaction = "runner"\n', encoding="utf-8")
    _, report, err = run_json(
        "verify", "migrations", "--config", "policy.toml", "--engine", "embedded", cwd=tmp_path
    )
    assert "Traceback" not in err, err
    return [f for f in report["findings"] if f["rule"] == "dynamic-rollback"]


def test_a_rollback_whose_dml_drops_an_unnamed_table_is_caught_by_the_fingerprint(tmp_path: Path) -> None:
    findings = verify(tmp_path, "drop table public.notes;\ndelete from public.jobs;\n")
    messages = [f["message"] for f in findings if f["file"].endswith("002_notes.down.sql")]
    assert any("of pg_class dropped" in m and "outside" in m for m in messages), findings


def test_a_rollback_that_calls_a_function_is_compared_whole(tmp_path: Path) -> None:
    findings = verify(tmp_path, "drop table public.notes;\nselect public.cleanup();\n")
    messages = [f["message"] for f in findings if f["file"].endswith("002_notes.down.sql")]
    assert "after the rollback, table public.bystander dropped" in messages, findings
