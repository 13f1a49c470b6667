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


def test_broken_rollback_is_a_located_syntax_error_and_the_migration_is_still_verified(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (tmp_path / "m.sql").write_text(LEAKY, encoding="utf-8")
    (tmp_path / "m_rollback.sql").write_text("begin;\ndrop tabel public.notes;\ncommit;\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker",
            "verify",
            "m.sql",
            "--rollback",
            "m_rollback.sql",
            "--engine",
            "embedded",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    by_rule = {(f["rule"], Path(f["file"]).name, f["line"]) for f in report["findings"]}
    assert done.returncode == 2, done.stderr
    assert ("syntax-error", "m_rollback.sql", 2) in by_rule
    assert any(rule == "rls-probe" and name == "m.sql" for rule, name, _ in by_rule), report
