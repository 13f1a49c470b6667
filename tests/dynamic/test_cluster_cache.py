"""The cluster cache on real data directories: entries are complete or absent, per user, per key."""

from __future__ import annotations

import json
import multiprocessing
import os
import pwd
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from checker.dynamic import cluster_cache
from checker.dynamic.cluster_cache import (
    MANIFEST_NAME,
    MAX_SPARES,
    NEW_AGE,
    NEW_PREFIX,
    SPARES_NAME,
    STAGING_PREFIX,
    TRASH_PREFIX,
    UNUSED_AGE,
    CacheUnusable,
    ClusterCache,
    cache_key,
    cache_root,
    default_cache,
)
from checker.dynamic.engines.base import BOOTSTRAP_SUPERUSER, server_environment
from checker.dynamic.engines.local import unprivileged_user

from .helpers import require_engine

pytestmark = pytest.mark.postgres  # real data directories, made by initdb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, cleanly shut down data directory made by the embedded engine's initdb."""
    bindir = require_engine("embedded").bindir()
    run_as = unprivileged_user()
    folder = tmp_path_factory.mktemp("initdb")
    run_as.own(folder)
    run_as.may_enter(folder)
    data = folder / "data"
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", BOOTSTRAP_SUPERUSER, "--no-sync"],
        check=True,
        capture_output=True,
        env=server_environment(),
        cwd=folder,
        **run_as.subprocess_kwargs(),
    )
    return data


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ClusterCache:
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    return ClusterCache(cache_root())


def _files(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def _leftovers(cache: ClusterCache) -> list[str]:
    return sorted(p.name for p in cache.root.iterdir() if p.name.startswith("."))


def test_lookup_of_a_missing_entry_is_none(cache: ClusterCache) -> None:
    assert cache.lookup(cache_key("nothing stored")) is None


def test_store_then_lookup_gives_an_identical_copy(cache: ClusterCache, cluster: Path) -> None:
    key = cache_key("server", "seed")
    stored = cache.store(key, cluster)
    assert cache.lookup(key) == stored
    assert _files(stored) == _files(cluster)
    assert stored.stat().st_mode & 0o777 == cluster.stat().st_mode & 0o777
    assert stored.stat().st_uid == cluster.stat().st_uid
    assert _leftovers(cache) == []


def test_the_root_is_private(cache: ClusterCache) -> None:
    assert cache.root.stat().st_mode & 0o777 == 0o700


def test_key_parts_cannot_run_together() -> None:
    assert cache_key("ab", "c") != cache_key("a", "bc")
    assert cache_key("a", b"b") == cache_key(b"a", "b")


def test_a_changed_seed_makes_a_new_entry(cache: ClusterCache, cluster: Path) -> None:
    first, second = cache_key("server 18.1", "seed sha256 aaaa"), cache_key("server 18.1", "seed sha256 bbbb")
    assert first != second
    cache.store(first, cluster)
    assert cache.lookup(second) is None
    cache.store(second, cluster)
    assert cache.lookup(first) is not None and cache.lookup(second) is not None


def _corrupt_by_removing_the_manifest(entry: Path) -> None:
    (entry / MANIFEST_NAME).unlink()


def _corrupt_by_truncating_a_file(entry: Path) -> None:
    victim = max((entry / "data" / "base").rglob("*"), key=lambda p: p.stat().st_size)
    with open(victim, "r+b") as handle:
        handle.truncate(victim.stat().st_size // 2)


def _corrupt_by_removing_a_file(entry: Path) -> None:
    (entry / "data" / "global" / "pg_control").unlink()


@pytest.mark.parametrize(
    "corrupt",
    [_corrupt_by_removing_the_manifest, _corrupt_by_truncating_a_file, _corrupt_by_removing_a_file],
)
def test_a_corrupt_entry_is_removed_and_rebuilt(cache: ClusterCache, cluster: Path, corrupt) -> None:
    key = cache_key("corrupt")
    entry = cache.store(key, cluster).parent
    corrupt(entry)
    assert cache.lookup(key) is None
    assert not entry.exists()
    rebuilt = cache.store(key, cluster)
    assert cache.lookup(key) == rebuilt
    assert _files(rebuilt) == _files(cluster)
    assert _leftovers(cache) == []


def _store_after(barrier, root: str, key: str, cluster: str) -> None:
    barrier.wait()
    ClusterCache(Path(root)).store(key, Path(cluster))


def test_two_concurrent_first_stores_both_succeed_and_leave_one_entry(
    cache: ClusterCache, cluster: Path
) -> None:
    key = cache_key("concurrent")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_store_after, args=(barrier, str(cache.root), key, str(cluster)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert [p.name for p in cache.root.iterdir()] == [key]
    assert _files(cache.lookup(key)) == _files(cluster)


_KILLED_STORE = """
import sys, time
from pathlib import Path
from checker.dynamic import cluster_cache

def slow_copy(source, dest):
    dest.mkdir()
    (dest / "PG_VERSION").write_text("18")
    print("copying", flush=True)
    time.sleep(120)

cluster_cache.copy_cluster = slow_copy
cluster_cache.ClusterCache(Path(sys.argv[1])).store(sys.argv[2], Path(sys.argv[3]))
"""


def test_a_store_killed_midway_leaves_nothing_a_later_run_uses(cache: ClusterCache, cluster: Path) -> None:
    key = cache_key("killed")
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_STORE, str(cache.root), key, str(cluster)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stdout.readline() == "copying\n"
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert [p.name.startswith(STAGING_PREFIX) for p in cache.root.iterdir()] == [True]
    assert cache.lookup(key) is None
    cache.store(key, cluster)
    assert [p.name for p in cache.root.iterdir()] == [key], "the killed run's staging dir was not reaped"


def test_a_staging_dir_of_a_live_run_is_left_alone(cache: ClusterCache, cluster: Path) -> None:
    live = cache.root / f"{STAGING_PREFIX}live"
    live.mkdir()
    cluster_cache.cleanup.record_owner(live)  # this very process: alive
    cache.store(cache_key("other"), cluster)
    assert live.exists()


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@needs_root
def test_a_cache_dir_owned_by_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    nobody = pwd.getpwnam("nobody")
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(root))
    with pytest.raises(CacheUnusable, match="another user"):
        cache_root()
    notes: list[str] = []
    assert default_cache(notes.append) is None
    assert notes == [f"not caching clusters: {root} belongs to another user"]


def test_a_cache_dir_writable_by_others_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "open"
    root.mkdir()
    root.chmod(0o777)
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(root))
    notes: list[str] = []
    assert default_cache(notes.append) is None
    assert notes == [f"not caching clusters: {root} is writable by other users"]


def test_the_default_root_is_in_the_users_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHECKER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "supabase-migration-gate" / "clusters"


def test_no_cache_turns_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CHECKER_NO_CACHE", "1")
    assert default_cache() is None


def test_the_manifest_lists_every_file_with_its_size(cache: ClusterCache, cluster: Path) -> None:
    stored = cache.store(cache_key("manifest"), cluster)
    files = json.loads((stored.parent / MANIFEST_NAME).read_text())["files"]
    assert files == {str(p.relative_to(stored)): p.stat().st_size for p in stored.rglob("*") if p.is_file()}


def test_a_new_staging_dir_killed_before_its_owner_was_recorded_is_reaped_once_old(
    cache: ClusterCache, cluster: Path
) -> None:
    old, fresh = cache.root / f"{NEW_PREFIX}old", cache.root / f"{NEW_PREFIX}fresh"
    old.mkdir()
    fresh.mkdir()
    long_ago = time.time() - NEW_AGE - 1
    os.utime(old, (long_ago, long_ago))
    cache.store(cache_key("after a kill"), cluster)
    assert not old.exists()
    assert fresh.exists(), "a run that is recording its owner right now lost its staging dir"


def test_a_finished_runs_data_dir_set_aside_is_removed_by_the_tidier(
    cache: ClusterCache, cluster: Path
) -> None:
    run_dir = cache.root.parent / "run-data"
    subprocess.run(["cp", "-a", str(cluster), str(run_dir)], check=True)
    assert cache.needs_spare(cache.store(cache_key("kept"), cluster), run_dir.parent)
    cache.set_aside(run_dir)
    assert not run_dir.exists()
    assert sorted(p.name.startswith(TRASH_PREFIX) for p in cache.root.iterdir()) == [False, True]
    cache.tidy(cache_key("kept"))
    assert [p.name for p in cache.root.iterdir()] == [cache_key("kept")]
    assert not cache.needs_spare(cache.lookup(cache_key("kept")), run_dir.parent)


def test_the_tidier_makes_a_spare_that_a_run_takes_by_renaming(cache: ClusterCache, cluster: Path) -> None:
    key = cache_key("spare")
    stored = cache.store(key, cluster)
    cache.tidy(key)
    spares = sorted((stored.parent / SPARES_NAME).iterdir())
    assert len(spares) == MAX_SPARES
    assert all(_files(spare) == _files(cluster) for spare in spares)
    for index, spare in enumerate(spares):
        dest = cache.root.parent / f"run-{index}"
        assert cache.copy_out(stored, dest) == "spare"
        assert not spare.exists() and _files(dest) == _files(cluster)
    assert cache.copy_out(stored, cache.root.parent / "next") == "copy"
    assert cache.lookup(key) == stored, "spares are not part of the entry's manifest"


def test_an_entry_unused_for_a_month_is_pruned_at_the_next_store(cache: ClusterCache, cluster: Path) -> None:
    unused, used = cache_key("old server"), cache_key("current server")
    cache.store(unused, cluster)
    cache.store(used, cluster)
    long_ago = time.time() - UNUSED_AGE - 1
    for key in (unused, used):
        os.utime(cache.entry(key) / MANIFEST_NAME, (long_ago, long_ago))
    assert cache.lookup(used) is not None  # a lookup marks it used
    cache.store(cache_key("new seed"), cluster)
    assert not cache.entry(unused).exists()
    assert cache.lookup(used) is not None


def test_trim_keeps_what_was_used_lately_without_its_spares(cache: ClusterCache, cluster: Path) -> None:
    """What a CI job runs before saving the cache for the next job: the entries it used, nothing more."""
    earlier, used = cache_key("an earlier pull request's history"), cache_key("the seeded cluster")
    for key in (earlier, used):
        cache.store(key, cluster)
        cache.tidy(key)
    an_hour_ago = time.time() - 3600
    for key in (earlier, used):
        os.utime(cache.entry(key) / MANIFEST_NAME, (an_hour_ago, an_hour_ago))
    assert cache.lookup(used) is not None  # this job's lookup
    (cache.root / f"{TRASH_PREFIX}a-finished-run").mkdir()
    removed, spares = cache.trim(unused_for=600)
    assert removed == [earlier]
    assert spares == MAX_SPARES  # the kept entry's (the removed entry's went with it)
    assert [p.name for p in cache.root.iterdir()] == [used]
    assert sorted(p.name for p in cache.entry(used).iterdir()) == ["data", MANIFEST_NAME]
    assert cache.lookup(used) is not None


def test_trim_waits_for_a_copy_another_process_is_making(cache: ClusterCache, cluster: Path) -> None:
    """A finished run's tidier may still be copying a spare when the job trims: trim waits for it (its
    staging dir is not cut from under it) and then removes the spare, which does not get saved."""
    key = cache_key("seeded")
    stored = cache.store(key, cluster)
    live = cache.root / f"{STAGING_PREFIX}{key[:16]}-spare-pending"
    live.mkdir()
    cluster_cache.cleanup.record_owner(live)  # this process: alive

    def tidier_finishes() -> None:
        (stored.parent / SPARES_NAME).mkdir()
        os.rename(live, stored.parent / SPARES_NAME / "made-while-trim-waited")

    threading.Timer(1.0, tidier_finishes).start()
    started = time.monotonic()
    assert cache.trim(unused_for=600) == ([], 1)
    assert time.monotonic() - started >= 0.9, "trim did not wait for the copy in progress"
    assert not (stored.parent / SPARES_NAME).exists()


def test_trim_gives_up_waiting_for_a_copy_that_does_not_end(cache: ClusterCache, cluster: Path) -> None:
    live = cache.root / f"{STAGING_PREFIX}stuck"
    live.mkdir()
    cluster_cache.cleanup.record_owner(live)
    started = time.monotonic()
    cache.trim(unused_for=600, wait=0.5)
    assert 0.4 < time.monotonic() - started < 5
    assert live.exists(), "a live run's staging dir was removed"


def test_the_cache_commands_print_the_directory_and_trim_it(cache: ClusterCache, cluster: Path) -> None:
    old = cache_key("old")
    cache.store(old, cluster)
    os.utime(cache.entry(old) / MANIFEST_NAME, (time.time() - 7200,) * 2)
    env = {**os.environ, "CHECKER_CACHE_DIR": str(cache.root), "PYTHONPATH": str(ROOT)}
    checker = [sys.executable, "-m", "checker", "cache"]
    shown = subprocess.run([*checker, "dir"], env=env, capture_output=True, text=True)
    assert shown.stdout.strip() == str(cache.root)
    command = [*checker, "trim", "--unused-for", "3600"]
    trimmed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert trimmed.returncode == 0, trimmed.stderr
    assert trimmed.stdout.strip() == "removed 1 unused entries and 0 spare copies; kept 0"
    assert not cache.entry(old).exists()
    refused = subprocess.run(command, env={**env, "CHECKER_NO_CACHE": "1"}, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "checker: error: the cache is turned off (CHECKER_NO_CACHE)"
