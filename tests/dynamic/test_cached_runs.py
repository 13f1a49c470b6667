"""Runs of the dynamic stage on the cluster cache: warm runs start from the seeded cluster and report
what cold runs report; concurrent and killed first runs leave one valid entry or none."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.cluster_cache import STAGING_PREFIX, ClusterCache
from checker.dynamic.engines.local import server_identity, unprivileged_user
from checker.dynamic.seed import apply_seed

from .helpers import SERVER_ENGINES, require_engine, server_processes, still_alive

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = """create table public.notes (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  body text not null
);
alter table public.notes enable row level security;
create policy "own notes" on public.notes for all to authenticated
  using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
"""
ROLLBACK = "drop table public.notes;\n"


@pytest.fixture
def private_dirs() -> Iterator[tuple[Path, Path]]:
    """(TMPDIR, cache dir) of this test alone: short, traversable by the server's user."""
    base = Path(tempfile.mkdtemp(prefix="cache-t-"))
    base.chmod(0o755)
    tmp, cache = base / "t", base / "c"
    tmp.mkdir(mode=0o755)
    yield tmp, cache
    shutil.rmtree(base, ignore_errors=True)


def _project(folder: Path) -> Path:
    (folder / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (folder / "20240101_notes.sql").write_text(MIGRATION, encoding="utf-8")
    (folder / "20240101_notes_rollback.sql").write_text(ROLLBACK, encoding="utf-8")
    return folder


def _check(
    folder: Path, tmp: Path, cache: Path, engine: str = "embedded", **settings: str
) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "CHECKER_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    env.pop("CHECKER_NO_CACHE", None)
    env.update(settings)
    command = [sys.executable, "-m", "checker", "verify", "20240101_notes.sql", "--engine", engine]
    command += ["--format", "json", "--progress"]
    return subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(child: subprocess.Popen[str]) -> tuple[dict, str]:
    out, err = child.communicate(timeout=600)
    assert child.returncode in (0, 1) and out.strip(), err
    return _without_timings(json.loads(out)), err


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in ("seconds", "duration")}
    if isinstance(value, list):
        return [_without_timings(item) for item in value]
    return value


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.iterdir()) if cache.exists() else []


def _settled(cache: Path) -> list[Path]:
    """The cache's entries once the tidier a run leaves behind is done (it outlives the run): its
    staging and trash directories are gone."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(p.name.startswith(".") for p in _entries(cache)):
        time.sleep(0.05)
    return _entries(cache)


@pytest.mark.parametrize("engine", SERVER_ENGINES)
def test_a_warm_run_starts_from_the_cache_and_reports_what_the_cold_run_did(
    engine: str, private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    require_engine(engine)
    tmp, cache = private_dirs
    folder = _project(tmp_path)
    cold, cold_err = _finish(_check(folder, tmp, cache, engine))
    assert "seeding it like a Supabase project" in cold_err
    (entry,) = _settled(cache)
    warm, warm_err = _finish(_check(folder, tmp, cache, engine))
    assert "started from a cached copy of the seeded cluster" in warm_err
    assert "seeding it" not in warm_err
    assert warm == cold
    assert _settled(cache) == [entry]
    assert ClusterCache(cache).lookup(entry.name) is not None, "the run changed the cached cluster"
    assert list(tmp.iterdir()) == []


def test_a_cache_trimmed_and_carried_to_another_directory_as_a_ci_job_saves_it_starts_the_next_run(
    private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """What the action does between jobs: `checker cache trim`, then actions/cache's tar of the
    directory, restored elsewhere on another runner."""
    require_engine("embedded")
    tmp, cache = private_dirs
    folder = _project(tmp_path)
    cold, _ = _finish(_check(folder, tmp, cache))
    _settled(cache)
    env = {**os.environ, "CHECKER_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    trim = [sys.executable, "-m", "checker", "cache", "trim", "--unused-for", "600"]
    subprocess.run(trim, env=env, check=True, capture_output=True)
    archive = tmp_path / "cache.tar"
    subprocess.run(["tar", "-C", str(cache), "-cf", str(archive), "."], check=True)
    restored = cache.parent / "restored"
    restored.mkdir(mode=0o700)
    subprocess.run(["tar", "-C", str(restored), "-xf", str(archive)], check=True)
    warm, warm_err = _finish(_check(folder, tmp, restored))
    assert "started from a cached copy of the seeded cluster" in warm_err
    assert warm == cold


def test_no_cache_runs_initdb_and_the_seed_and_stores_nothing(
    private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    require_engine("embedded")
    tmp, cache = private_dirs
    _report, err = _finish(_check(_project(tmp_path), tmp, cache, CHECKER_NO_CACHE="1"))
    assert "seeding it like a Supabase project" in err
    assert _entries(cache) == []


def test_two_concurrent_first_runs_both_succeed_and_leave_one_entry(
    private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    require_engine("embedded")
    tmp, cache = private_dirs
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    children = [_check(_project(folder), tmp, cache) for folder in folders]
    (first, _), (second, _) = (_finish(child) for child in children)
    assert first == second
    (entry,) = _settled(cache)
    assert ClusterCache(cache).lookup(entry.name) is not None


def test_a_cold_run_killed_while_storing_leaves_nothing_a_later_run_uses(
    private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    require_engine("embedded")
    tmp, cache = private_dirs
    folder = _project(tmp_path)
    child = _check(folder, tmp, cache)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(STAGING_PREFIX) for p in _entries(cache)):
        assert child.poll() is None and time.monotonic() < deadline, "no cluster was being stored"
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    staged = [p for p in _entries(cache) if p.name.startswith(STAGING_PREFIX)]
    assert staged, "the store finished before the kill: nothing half-written to test"
    assert [p for p in _entries(cache) if not p.name.startswith(".")] == []
    _report, err = _finish(_check(folder, tmp, cache))
    assert "seeding it like a Supabase project" in err  # the half-written copy was not used
    (entry,) = _settled(cache)
    assert ClusterCache(cache).lookup(entry.name) is not None
    assert list(tmp.iterdir()) == [], "the killed run's server directory was not reaped"


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_an_engine_started_from_a_cached_cluster_holds_the_seed_and_leaves_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    cold = require_engine(name)
    with cold as uri:
        with psycopg.connect(uri, autocommit=True) as conn:
            apply_seed(conn)
        assert cold.cache is not None and not cold.seeded
        stored = cold.save_to_cache(cold.seeded_key)
        with psycopg.connect(uri, autocommit=True) as conn:  # the same URI after the restart
            assert conn.execute("select count(*) from pg_roles where rolname = 'anon'").fetchone() == (1,)
    warm = require_engine(name)
    assert warm.seeded_key == cold.seeded_key
    warm.start_from = warm.cache.lookup(warm.seeded_key)
    assert warm.start_from == stored
    with warm as uri:
        assert warm.seeded
        with psycopg.connect(uri, autocommit=True) as conn:
            assert conn.execute("select to_regclass('auth.users') is not null").fetchone() == (True,)
            conn.execute("create table public.scratch (id int)")
        info = warm.pgdata.stat()
        run_as = unprivileged_user()
        assert info.st_mode & 0o777 == 0o700
        assert info.st_uid == (run_as.uid if run_as.uid is not None else os.geteuid())
        assert (warm.pgdata / "global" / "pg_control").stat().st_uid == info.st_uid
        tempdir, processes = warm.tempdir, server_processes(warm.pgdata)
    assert tempdir is not None and not tempdir.exists()
    assert not still_alive(processes)
    assert warm.cache.lookup(warm.seeded_key) == stored, "the run wrote into the cached cluster"


def test_a_cached_cluster_that_cannot_be_copied_falls_back_to_initdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    engine = require_engine("embedded")
    engine.start_from = tmp_path / "removed meanwhile"
    with engine as uri:
        assert not engine.seeded
        with psycopg.connect(uri, autocommit=True) as conn:
            assert conn.execute("select to_regclass('auth.users')").fetchone() == (None,)


def test_a_cache_dir_writable_by_others_is_noted_once_and_not_used(
    private_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    require_engine("embedded")
    tmp, cache = private_dirs
    cache.mkdir()
    cache.chmod(0o777)
    _report, err = _finish(_check(_project(tmp_path), tmp, cache))
    notes = [line for line in err.splitlines() if "not caching clusters" in line]
    assert notes == [f"checker: not caching clusters: {cache} is writable by other users"]
    assert "seeding it like a Supabase project" in err
    assert _entries(cache) == []


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_the_seeded_key_follows_the_installation_not_its_path_or_install_time(
    name: str, tmp_path: Path
) -> None:
    """A CI runner installs the same server at a new path and time on every run: the cache it
    restores (actions/cache) must still match. A different extension set must not."""
    engine = require_engine(name)
    bindir = engine.bindir()
    copy = tmp_path / "install"
    for part in ("bin", "lib", "share"):
        if (bindir.parent / part).is_dir():  # copy, not copy2: new modification times
            shutil.copytree(bindir.parent / part, copy / part, copy_function=shutil.copy, symlinks=True)
    moved = copy / "bin"
    assert (moved / "postgres").stat().st_mtime_ns != (bindir / "postgres").stat().st_mtime_ns
    assert server_identity(moved) == server_identity(bindir)
    extension = copy / "share" / "extension"
    extension.mkdir(parents=True, exist_ok=True)
    (extension / "scratch_extension.control").write_text("default_version = '1.0'\n", encoding="utf-8")
    assert server_identity(moved) != server_identity(bindir)
