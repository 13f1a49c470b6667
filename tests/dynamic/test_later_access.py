"""A table's access changed by a later migration than the one that made it: a policy added to it is probed
there (onlook's `0006_rls.sql`), and row level security enabled by the next file of the same push is a
window between two migrations, not an open table (MarkFlow, nextbase)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json

from .helpers import require_engine

pytestmark = pytest.mark.postgres

NOTES = """create table public.notes (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id),
  body text not null default ''
);
"""
OWN_NOTES = """alter table public.notes enable row level security;
create policy notes_select_own on public.notes for select to authenticated
  using ((select auth.uid()) = owner_id);
create policy notes_insert_own on public.notes for insert to authenticated
  with check ((select auth.uid()) = owner_id);
"""
DISABLE = "alter table public.notes disable row level security;\n"


@pytest.fixture(autouse=True)
def embedded() -> None:
    require_engine("embedded")


def check(tmp_path: Path, files: dict[str, str], command: str = "check") -> tuple[int, dict]:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text('transaction = "runner"\n', encoding="utf-8")
    code, report, _ = run_json(command, "--config", policy, folder, "--engine", "embedded", cwd=tmp_path)
    return code, report


def found(report: dict, severity: str) -> list[tuple[str, str, str]]:
    chosen = [f for f in report["findings"] if f["severity"] == severity]
    return [(Path(f["file"]).name, f["rule"], f["message"]) for f in chosen]


def test_a_policy_a_later_migration_adds_to_an_earlier_table_is_probed(tmp_path: Path) -> None:
    widened = (
        "create policy notes_select_signed_in on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) is not null);\n"
    )
    code, report = check(tmp_path, {"0001_notes.sql": NOTES + OWN_NOTES, "0002_widen.sql": widened})
    errors = found(report, "error")
    assert code == 1 and errors, report
    assert all(name == "0002_widen.sql" and rule == "rls-probe" for name, rule, _ in errors), errors
    assert any('"notes_select_signed_in"' in message for _, _, message in errors), errors


def test_row_level_security_the_next_migration_enables_is_a_window_not_an_open_table(tmp_path: Path) -> None:
    files = {"0001_notes.sql": NOTES, "0002_rls.sql": OWN_NOTES}
    code, verified = check(tmp_path, files, "verify")  # the advisor's own rls-enabled included
    assert code == 0 and not found(verified, "error"), found(verified, "error")
    assert ("0001_notes.sql", "rls-enabled") in {(name, rule) for name, rule, _ in found(verified, "warning")}
    code, report = check(tmp_path, files)
    assert code == 0 and not found(report, "error"), found(report, "error")
    warnings = {(name, rule): message for name, rule, message in found(report, "warning")}
    for rule in ("rls-enabled", "dynamic-validation"):
        assert "0002_rls.sql:1:1 enables" in warnings[("0001_notes.sql", rule)], warnings
    first, second = report["verification"]["migrations"]
    assert first["probes_skipped"] == [
        f"public.notes: row level security is off until {tmp_path}/migrations/0002_rls.sql:1:1 enables it;"
        " probed there"
    ]
    assert second["probes"] and all(probe["expected"] for probe in second["probes"]), second


@pytest.mark.parametrize("made", [NOTES, NOTES + OWN_NOTES + DISABLE], ids=["created-without", "disabled"])
def test_a_table_without_row_level_security_the_next_migration_drops_is_a_window(
    tmp_path: Path, made: str
) -> None:
    """diggerhq's job links and freeplay's parts (RLS disabled, then the table dropped by a rebuild): open
    until the migration that drops them runs, as until one that enables row level security."""
    code, report = check(tmp_path, {"0001_notes.sql": made, "0002_drop.sql": "drop table public.notes;\n"})
    assert code == 0 and not found(report, "error"), found(report, "error")
    warnings = {(name, rule): message for name, rule, message in found(report, "warning")}
    assert "0002_drop.sql:1:1 drops: until" in warnings[("0001_notes.sql", "rls-enabled")], warnings
    if made == NOTES:
        assert "0002_drop.sql:1:1 drops it" in warnings[("0001_notes.sql", "dynamic-validation")], warnings
        skipped = report["verification"]["migrations"][0]["probes_skipped"]
        assert skipped == [
            f"public.notes: row level security is off until {tmp_path}/migrations/0002_drop.sql:1:1 drops it;"
            " not probed"
        ]


OPEN_INSERT = (
    "create policy notes_insert_any on public.notes for insert to authenticated with check (true);\n"
    "create policy notes_select_own on public.notes for select to authenticated\n"
    "  using ((select auth.uid()) = owner_id);\n"
)


@pytest.mark.parametrize(
    ("fix", "ends"),
    [
        ("drop policy notes_insert_any on public.notes;\n", 'drops or rewrites policy "notes_insert_any"'),
        ("revoke insert on public.notes from authenticated;\n", "revokes INSERT from authenticated"),
    ],
    ids=["policy-dropped", "privilege-revoked"],
)
def test_a_leak_the_next_migration_ends_is_a_warning_naming_it(tmp_path: Path, fix: str, ends: str) -> None:
    """freeorbarter's "System can insert ..." policies, dropped by a hardening file; collect's update policy,
    whose command a later file revokes from authenticated: the leak lasts until that migration runs."""
    made = NOTES + "alter table public.notes enable row level security;\n" + OPEN_INSERT
    _, report = check(tmp_path, {"0001_notes.sql": made, "0002_fix.sql": fix})
    leaks = [(name, message) for name, rule, message in found(report, "warning") if rule == "rls-probe"]
    assert leaks and all(name == "0001_notes.sql" for name, _ in leaks), report
    assert all(f"0002_fix.sql:1:1 {ends}" in message for _, message in leaks), leaks
    assert "rls-probe" not in {rule for _, rule, _ in found(report, "error")}
    (tmp_path / "alone").mkdir()
    _, alone = check(tmp_path / "alone", {"0001_notes.sql": made})
    assert "rls-probe" in {rule for _, rule, _ in found(alone, "error")}, "alone, nothing ends the leak"
