"""`checker check` with no argument in a Supabase CLI project verifies supabase/migrations in runner
mode, from the project root and from a subfolder, on the PostgreSQL major of config.toml when an
engine here has it; and progress lines reach a terminal, never stdout."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.dynamic.engines import ENGINES, EngineOptions

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "supabase_project"


def checker(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "checker", *args], cwd=cwd, env=env, text=True, timeout=600, **kwargs
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.mark.parametrize(
    ("where", "paths"),
    [
        (".", ()),
        ("supabase/functions/hello", ()),
        (".", ("supabase/migrations",)),
        ("supabase", ("migrations",)),
    ],
)
def test_check_verifies_the_migrations_as_the_project_says(project: Path, where: str, paths: tuple) -> None:
    """No PATH, or PATHs in the project's supabase/migrations: the same project, config.toml's major."""
    require_engine("embedded")
    done = checker("check", *paths, "--format", "json", cwd=project / where, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    # info only: the lock trace and the advisor's GraphQL note describe what a correct project does
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    migrations = report["verification"]["migrations"]
    files = [Path(m["file"]).name for m in migrations]
    assert files == ["20240101000000_profiles.sql", "20240102000000_avatars.sql"]
    assert all(m["status"] == "applied" for m in migrations)
    assert migrations[0]["checks"]["policies"] == {"passed": 4, "failed": 0}
    # Rollbacks are optional here: the newest has none, so the older one's is not checked either.
    assert [m["rollback"]["status"] for m in migrations] == ["not checked", "no rollback file"]
    # [db] major_version = 15: the local PostgreSQL 15 when it is installed, else the embedded server.
    local_15 = ENGINES["local"].unavailable_reason(EngineOptions(pg_version="15")) is None
    version = report["verification"]["server_version"]
    assert version.startswith("15.") if local_15 else report["verification"]["engine"] == "embedded"


def test_runner_mode_is_one_transaction_per_file(project: Path) -> None:
    """Runner mode is real: the CLI's transaction around the file, as `supabase db reset` has it, so a
    value added to an existing enum cannot be used in the same file (it could in autocommit)."""
    require_engine("embedded")
    migrations = project / "supabase" / "migrations"
    (migrations / "20240103000000_mood.sql").write_text("create type public.mood as enum ('ok');\n")
    (migrations / "20240104000000_great.sql").write_text(
        "alter type public.mood add value 'great';\nselect 'great'::public.mood;\n"
    )
    done = checker("verify", "--engine", "embedded", "--format", "json", cwd=project, capture_output=True)
    failed = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "dynamic-apply"]
    where = [(Path(f["file"]).name, f["line"]) for f in failed]
    assert where == [("20240104000000_great.sql", 2)], done.stdout
    assert "unsafe use of new value" in failed[0]["message"]


@pytest.mark.parametrize(
    "sql",
    [
        # capgo's 20250714021423_manifest_perf.sql: the index alone in its file
        "create index concurrently if not exists profiles_name_idx on public.profiles (display_name);\n",
        # in the middle of a file: what comes before is committed, the rest goes on in a new transaction
        "create table public.notes (id bigint primary key, body text);\n"
        "alter table public.notes enable row level security;\n"
        "create index concurrently profiles_name_idx on public.profiles (display_name);\n"
        "drop index concurrently public.profiles_name_idx;\n"
        "create index concurrently profiles_name_idx on public.profiles (display_name);\n"
        "insert into public.notes values (1, 'indexed');\n",
    ],
)
def test_statements_the_cli_runs_alone_apply_outside_the_files_transaction(project: Path, sql: str) -> None:
    """The Supabase CLI (v2.109, supabase/cli#6276) runs CREATE / DROP INDEX CONCURRENTLY, REINDEX
    CONCURRENTLY and VACUUM outside the migration's transaction; PostgreSQL refuses them inside."""
    require_engine("embedded")
    (project / "supabase" / "migrations" / "20240103000000_index.sql").write_text(sql)
    done = checker("verify", "--engine", "embedded", "--format", "json", cwd=project, capture_output=True)
    report = json.loads(done.stdout)
    assert done.returncode == 0, done.stdout
    assert [f for f in report["findings"] if f["rule"] == "dynamic-apply"] == []
    assert [m["status"] for m in report["verification"]["migrations"]] == ["applied"] * 3


@pytest.mark.parametrize(
    ("sql", "line", "message"),
    [
        # after it the file goes on in a new transaction, not in autocommit: the new value is unsafe there
        (
            "create index concurrently profiles_name_idx on public.profiles (display_name);\n"
            "alter type public.mood add value 'great';\nselect 'great'::public.mood;\n",
            3,
            "unsafe use of new value",
        ),
        # inside the file's own BEGIN the CLI's flush ends nothing, and PostgreSQL refuses it
        (
            "begin;\n"
            "create index concurrently profiles_name_idx on public.profiles (display_name);\ncommit;\n",
            2,
            "cannot run inside a transaction block",
        ),
    ],
    ids=["transaction-after", "own-begin"],
)
def test_what_the_cli_runs_alone_leaves_the_files_transactions_as_they_are(
    project: Path, sql: str, line: int, message: str
) -> None:
    require_engine("embedded")
    migrations = project / "supabase" / "migrations"
    (migrations / "20240103000000_mood.sql").write_text("create type public.mood as enum ('ok');\n")
    (migrations / "20240104000000_index.sql").write_text(sql)
    done = checker("verify", "--engine", "embedded", "--format", "json", cwd=project, capture_output=True)
    failed = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "dynamic-apply"]
    assert [(Path(f["file"]).name, f["line"]) for f in failed] == [("20240104000000_index.sql", line)]
    assert message in failed[0]["message"]


def test_progress_on_a_terminal_and_never_on_stdout(project: Path) -> None:
    require_engine("embedded")
    primary, secondary = pty.openpty()
    try:
        done = checker(
            "check",
            "--engine",
            "embedded",
            "--format",
            "json",
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=secondary,
        )
        os.close(secondary)
        secondary = -1
        terminal = _read_all(primary)
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    assert done.returncode == 0
    json.loads(done.stdout)  # stdout holds the report alone
    assert "checker:" not in done.stdout
    lines = [line for line in terminal.splitlines() if line.startswith("checker: ")]
    assert lines[0] == "checker: linting"
    assert any("applying supabase/migrations/20240101000000_profiles.sql (1/2)" in line for line in lines)
    assert lines[-1] == "checker: stopping and removing the server"


def test_no_progress_when_stderr_is_not_a_terminal(project: Path) -> None:
    require_engine("embedded")
    done = checker("check", "--engine", "embedded", cwd=project, capture_output=True)
    assert done.returncode == 0 and done.stderr == ""
    forced = checker("check", "--engine", "embedded", "--progress", cwd=project, capture_output=True)
    assert "checker: applying" in forced.stderr and "checker: applying" not in forced.stdout


def _read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 5)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_migrations_apply_in_the_cli_order_of_names(project: Path) -> None:
    """20240821_b.sql comes after 20240819100000_a.sql by name, though its number is smaller: the CLI
    applies a first, so b's ALTER finds a's table (in number order it would fail)."""
    require_engine("embedded")
    migrations = project / "supabase" / "migrations"
    shutil.rmtree(migrations)
    migrations.mkdir()
    (migrations / "20240819100000_a.sql").write_text(
        "create table public.a (id bigint primary key);\nalter table public.a enable row level security;\n"
    )
    (migrations / "20240821_b.sql").write_text("alter table public.a add column note text;\n")
    done = checker("verify", "--format", "json", cwd=project, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
    migrations = json.loads(done.stdout)["verification"]["migrations"]
    assert [Path(m["file"]).name for m in migrations] == ["20240819100000_a.sql", "20240821_b.sql"]
    assert all(m["status"] == "applied" for m in migrations)


SEED = """insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', 'a1b2c3d4-0000-4000-8000-000000000001', 'authenticated',
  'authenticated', 'ada@example.com', extensions.crypt('secret', extensions.gen_salt('bf')), now(),
  '{"provider":"email","providers":["email"]}', '{}', now(), now());
insert into public.profiles (id, display_name) values ('a1b2c3d4-0000-4000-8000-000000000001', 'Ada');
"""


def _verify(project: Path) -> tuple[int, dict]:
    done = checker("verify", "--engine", "embedded", "--format", "json", cwd=project, capture_output=True)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_seed_file_still_applies_on_the_migrated_schema(project: Path) -> None:
    """`supabase db reset` runs supabase/seed.sql after the migrations: a migration that renames a
    column the seed writes breaks every local reset, reported as a warning at the seed's statement."""
    require_engine("embedded")
    (project / "supabase" / "seed.sql").write_text(SEED, encoding="utf-8")
    code, report = _verify(project)
    assert code == 0
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    assert report["verification"]["seed_files"] == [
        {"file": "supabase/seed.sql", "status": "applied", "why": ""}
    ]
    (project / "supabase" / "migrations" / "20240103000000_rename.sql").write_text(
        "alter table public.profiles rename column display_name to full_name;\n", encoding="utf-8"
    )
    code, report = _verify(project)
    seeded = [f for f in report["findings"] if f["rule"] == "dynamic-seed-file"]
    assert [(f["severity"], f["file"], f["line"]) for f in seeded] == [("warning", "supabase/seed.sql", 6)]
    assert 'column "display_name" of relation "profiles" does not exist' in seeded[0]["message"]
    assert code == 0, "a seed breaks local resets, not a deploy: a warning"
    assert report["verification"]["seed_files"][0]["status"] == "failed"


def test_seed_files_follow_config_toml(project: Path) -> None:
    require_engine("embedded")
    (project / "supabase" / "seeds").mkdir()
    (project / "supabase" / "seeds" / "01_users.sql").write_text(SEED.split(";\n")[0] + ";\n")
    (project / "supabase" / "seeds" / "02_broken.sql").write_text("insert into public.nowhere values (1);\n")
    config = project / "supabase" / "config.toml"
    config.write_text(config.read_text() + '\n[db.seed]\nenabled = true\nsql_paths = ["./seeds/*.sql"]\n')
    _, report = _verify(project)
    assert [(s["file"], s["status"]) for s in report["verification"]["seed_files"]] == [
        ("supabase/seeds/01_users.sql", "applied"),
        ("supabase/seeds/02_broken.sql", "failed"),
    ]
    (project / "supabase" / "seeds" / "03_empty.sql").write_text("-- nothing to seed yet\n")
    _, report = _verify(project)
    assert report["verification"]["seed_files"][2] == {
        "file": "supabase/seeds/03_empty.sql",
        "status": "not run",
        "why": "no SQL statements (only comments or empty statements)",
    }
    config.write_text(config.read_text().replace("enabled = true", "enabled = false"))
    _, report = _verify(project)
    assert "seed_files" not in report["verification"]


# What `supabase db pull` writes first: the extensions every Supabase project has pre-installed.
DB_PULL_EXTENSIONS = """
create extension if not exists "pg_stat_statements" with schema "extensions";
create extension if not exists "pgcrypto" with schema "extensions";
create extension if not exists "pgjwt" with schema "extensions";
create extension if not exists "supabase_vault" with schema "vault";
create extension if not exists "uuid-ossp" with schema "extensions";
"""


def test_a_pulled_schema_verifies_where_its_extensions_are(project: Path) -> None:
    """config.toml says major_version = 15, but Debian's 15 here has neither pgjwt nor the vault: the run
    goes where they are (the embedded engine's stand-ins) instead of reporting the project not verified;
    and re-creating a pre-installed extension IF NOT EXISTS is no clash."""
    require_engine("embedded")
    require_engine("local", EngineOptions(pg_version="15"))
    migration = project / "supabase" / "migrations" / "20231231000000_remote_schema.sql"
    migration.write_text(DB_PULL_EXTENSIONS, encoding="utf-8")
    done = checker("verify", "--format", "json", "--progress", cwd=project, capture_output=True)
    report = json.loads(done.stdout)
    assert done.returncode == 0, report["findings"]
    assert report["verification"]["engine"] == "embedded"
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    assert "major_version 15 not used: the migrations need what no PostgreSQL 15 here has" in done.stderr
