"""A rollback that does not parse is reported, and the migration is still verified without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEAKY = (
    "begin;\n"
    "create table public.notes (id bigint primary key, user_id uuid not null references auth.users (id));\n"
    "create index notes_user_id_idx on public.notes (user_id);\n"
    "alter table public.notes enable row level security;\n"
    "create policy notes_read on public.notes for select to authenticated using (true);\n"
    "create policy notes_write on public.notes for insert to authenticated\n"
    "  with check ((select auth.uid()) = user_id);\n"
    "commit;\n"
)


def _verify(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`checker verify ARGS` on the embedded engine, as a user runs it; the process and its JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", *args, "--engine", "embedded", "--format", "json"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, json.loads(done.stdout)


def test_broken_rollback_is_a_located_syntax_error_and_the_migration_is_still_verified(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (tmp_path / "m.sql").write_text(LEAKY, encoding="utf-8")
    (tmp_path / "m_rollback.sql").write_text("begin;\ndrop tabel public.notes;\ncommit;\n", encoding="utf-8")
    done, report = _verify(tmp_path, "m.sql", "--rollback", "m_rollback.sql")
    by_rule = {(f["rule"], Path(f["file"]).name, f["line"]) for f in report["findings"]}
    assert done.returncode == 2, done.stderr
    assert ("syntax-error", "m_rollback.sql", 2) in by_rule
    assert any(rule == "rls-probe" and name == "m.sql" for rule, name, _ in by_rule), report


def test_the_migrations_from_one_that_does_not_parse_are_recorded_as_not_applied(tmp_path: Path) -> None:
    """creditpilot's syntax error at its 7th file: the 25 files from there on were missing from the
    verification record, where a failed apply lists what it kept from running."""
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_a.sql").write_text(LEAKY, encoding="utf-8")
    (folder / "20240101000001_b.sql").write_text("alter tabel public.notes add column x int;\n")
    (folder / "20240101000002_c.sql").write_text("select 1;\n", encoding="utf-8")
    done, report = _verify(tmp_path, str(folder))
    assert done.returncode == 2, done.stderr
    statuses = [(Path(m["file"]).name, m["status"]) for m in report["verification"]["migrations"]]
    assert statuses == [
        ("20240101000000_a.sql", "applied"),
        ("20240101000001_b.sql", "not applied"),
        ("20240101000002_c.sql", "not applied"),
    ]
    after = [f for f in report["findings"] if Path(f["file"]).name == "20240101000002_c.sql"]
    assert [(f["rule"], f["severity"]) for f in after] == [("dynamic-apply", "info")]
    assert "20240101000001_b.sql, which does not parse" in after[0]["message"]
