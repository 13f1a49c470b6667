"""--changed-since: the unchanged migrations before the first changed one are applied without their
checks, their database is cached, and the next run starts from it (checker/dynamic/history.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import run_checker, run_json

from .helpers import require_engine

POLICY = 'transaction = "runner"\n'
# Unchanged history: a table, and a stamp no second application could reproduce.
HISTORY = (
    "create table public.stamps (stamp uuid not null);\n"
    "insert into public.stamps values (gen_random_uuid());\n"
)
HISTORY_ROLLBACK = "drop table public.stamps;\n"
PROFILES = (
    "create table public.profiles (id uuid primary key references auth.users (id));\n"
    "alter table public.profiles enable row level security;\n"
    "create policy profiles_own on public.profiles for all to authenticated\n"
    "  using ((select auth.uid()) = id) with check ((select auth.uid()) = id);\n"
)
PROFILES_ROLLBACK = "drop table public.profiles;\n"
# The changed migration: a public read the probes find, and a rollback that leaves a table behind.
LEAKY = (
    "create table public.notes (\n"
    "  id bigint primary key, user_id uuid not null references public.profiles (id));\n"
    "create index notes_user_id_idx on public.notes (user_id);\n"
    "alter table public.notes enable row level security;\n"
    "create policy notes_read on public.notes for select to authenticated using (true);\n"
    "create policy notes_write on public.notes for insert to authenticated\n"
    "  with check ((select auth.uid()) = user_id);\n"
    "create table public.notes_archive (id bigint primary key);\n"
)
LEAKY_ROLLBACK = "drop table public.notes;\n"
# Shows the stamp the history left: the migration fails with it in its message.
SHOW_STAMP = "do $$ begin raise exception 'stamp %', (select stamp from public.stamps); end $$;\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    require_engine("embedded")
    cache = tmp_path / "cache"
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(cache))
    monkeypatch.delenv("CHECKER_NO_CACHE", raising=False)
    return cache


def git(folder: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)


def project(root: Path, committed: dict[str, str], added: dict[str, str]) -> Path:
    """A git repository: `committed` files in HEAD, `added` ones new in the work tree."""
    (root / "migrations").mkdir(parents=True)
    (root / "policy.toml").write_text(POLICY, encoding="utf-8")
    for name, text in committed.items():
        (root / "migrations" / name).write_text(text, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "history")
    for name, text in added.items():
        (root / "migrations" / name).write_text(text, encoding="utf-8")
    return root


def verify(root: Path, *extra: str) -> tuple[int, dict]:
    engine = () if "--engine" in extra else ("--engine", "embedded")
    code, report, err = run_json("verify", "migrations", "--config", "policy.toml", *engine, *extra, cwd=root)
    assert "Traceback" not in err, err
    return code, report


def statuses(report: dict) -> dict[str, str]:
    return {Path(m["file"]).name: m["status"] for m in report["verification"]["migrations"]}


def findings_on(report: dict, *names: str) -> set[tuple]:
    return {
        (f["rule"], Path(f["file"]).name, f["line"], f["column"], f["message"])
        for f in report["findings"]
        if Path(f["file"]).name in names
    }


def entries(cache: Path) -> set[str]:
    """Complete cache entries (staging directories and spare copies start with a dot)."""
    return {entry.name for entry in cache.iterdir() if not entry.name.startswith(".")}


def stamp(report: dict) -> str:
    (message,) = [
        f["message"] for f in report["findings"] if f["rule"] == "dynamic-apply" and "stamp" in f["message"]
    ]
    return message.split("stamp ", 1)[1].split()[0]


HISTORY_FILES = {
    "001_stamps.sql": HISTORY,
    "001_stamps.down.sql": HISTORY_ROLLBACK,
    "002_profiles.sql": PROFILES,
    "002_profiles.down.sql": PROFILES_ROLLBACK,
}


def test_changed_migration_has_the_findings_of_a_full_run(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p", HISTORY_FILES, {"003_notes.sql": LEAKY, "003_notes.down.sql": LEAKY_ROLLBACK}
    )
    _, full = verify(root)
    _, changed = verify(root, "--changed-since", "HEAD")
    expected = findings_on(full, "003_notes.sql", "003_notes.down.sql")
    assert {rule for rule, *_ in expected} >= {"rls-probe", "dynamic-rollback"}, expected
    assert findings_on(changed, "003_notes.sql", "003_notes.down.sql") == expected
    assert not findings_on(changed, "001_stamps.sql", "002_profiles.sql")
    assert statuses(changed) == {
        "001_stamps.sql": "applied unchecked",
        "002_profiles.sql": "applied unchecked",
        "003_notes.sql": "applied",
    }
    (notes,) = [m for m in changed["verification"]["migrations"] if m["file"].endswith("003_notes.sql")]
    assert notes["rollback"]["status"] == "differences" and notes["probes"]


def test_second_run_restores_the_history_and_a_changed_history_makes_a_new_entry(
    tmp_path: Path, private_cache: Path
) -> None:
    root = project(tmp_path / "p", HISTORY_FILES, {"003_show.sql": SHOW_STAMP})
    _, first = verify(root, "--changed-since", "HEAD")
    _, second = verify(root, "--changed-since", "HEAD")
    assert statuses(first)["001_stamps.sql"] == "applied unchecked"
    assert statuses(second) == {
        "001_stamps.sql": "restored from cache",
        "002_profiles.sql": "restored from cache",
        "003_show.sql": "failed",
    }
    # the history's INSERT did not run again: the restored row is the first run's
    assert stamp(second) == stamp(first)
    # the text record shows the restored history as one line, not one per migration
    _, text, _ = run_checker(
        "verify",
        "migrations",
        "--config",
        "policy.toml",
        "--engine",
        "embedded",
        "--changed-since",
        "HEAD",
        cwd=root,
    )
    history_lines = [line for line in text.splitlines() if "restored from cache" in line]
    assert history_lines == [
        "  migrations/001_stamps.sql … migrations/002_profiles.sql (2 migrations): restored from cache"
    ], text
    before = entries(private_cache)

    (root / "migrations" / "002_profiles.sql").write_text(PROFILES + "-- reviewed\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "touch an old migration")
    _, third = verify(root, "--changed-since", "HEAD")
    assert statuses(third)["001_stamps.sql"] == "applied unchecked"
    assert stamp(third) != stamp(first)
    assert len(entries(private_cache) - before) == 1  # a new key, beside the old entry


def test_without_a_cache_the_history_is_applied_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECKER_NO_CACHE", "1")
    root = project(tmp_path / "p", HISTORY_FILES, {"003_show.sql": SHOW_STAMP})
    _, first = verify(root, "--changed-since", "HEAD")
    _, second = verify(root, "--changed-since", "HEAD")
    assert statuses(second)["001_stamps.sql"] == "applied unchecked"
    assert stamp(second) != stamp(first)


def test_an_unchanged_migration_that_fails_is_reported_and_nothing_is_cached(
    tmp_path: Path, private_cache: Path
) -> None:
    broken = {"001_stamps.sql": HISTORY, "002_broken.sql": "insert into public.missing values (1);\n"}
    root = project(tmp_path / "p", broken, {"003_notes.sql": PROFILES})
    for _ in range(2):
        code, report = verify(root, "--changed-since", "HEAD")
        assert code == 1
        assert statuses(report) == {
            "001_stamps.sql": "applied unchecked",
            "002_broken.sql": "failed",
            "003_notes.sql": "not applied",
        }
        rules = {(f["rule"], Path(f["file"]).name) for f in report["findings"]}
        assert ("dynamic-apply", "002_broken.sql") in rules
        assert ("dynamic-apply", "003_notes.sql") in rules  # not applied: it builds on the failure
    # only the seeded cluster: no state after a failure
    assert len(entries(private_cache)) == 1


def test_a_dsn_server_applies_the_history_unchecked_and_caches_nothing(
    tmp_path: Path, private_cache: Path
) -> None:
    root = project(tmp_path / "p", HISTORY_FILES, {"003_show.sql": SHOW_STAMP})
    with require_engine("embedded") as uri:
        reports = [
            verify(root, "--changed-since", "HEAD", "--engine", "dsn", "--dsn", uri)[1] for _ in range(2)
        ]
    for report in reports:
        assert statuses(report) == {
            "001_stamps.sql": "applied unchecked",
            "002_profiles.sql": "applied unchecked",
            "003_show.sql": "failed",
        }
    assert stamp(reports[0]) != stamp(reports[1])
    assert not private_cache.exists() or not entries(private_cache)


def test_the_lock_table_is_about_the_changed_migrations(tmp_path: Path) -> None:
    root = project(tmp_path / "p", HISTORY_FILES, {"003_notes.sql": LEAKY})
    _, out, err = run_checker(
        "lint", "migrations", "--config", "policy.toml", "--changed-since", "HEAD", cwd=root
    )
    assert "locks on tables that existed before each migration" in out, out + err
    assert "003_notes.sql" in out and "002_profiles.sql" not in out, out
