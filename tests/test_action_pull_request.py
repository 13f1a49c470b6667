"""The action on a pull request, its steps run as the runner runs them: the base commit a one-commit
checkout lacks is fetched and only the changed migrations are reported; the cache a job restores is
trimmed to what the job used and saved only when the job stored something new."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from test_action_report import checker_on_path, run_lint_step, run_step, step
from test_workflows import load_yaml

from checker.dynamic.cluster_cache import MANIFEST_NAME, ClusterCache, cache_key

RLS_MISSING = "create table public.{name} (id bigint primary key);\n"
CACHE_DIR = ".cache/supabase-migration-gate/clusters"  # under HOME, as the action's steps name it


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """A one-commit clone of a pull request (as actions/checkout makes it) and its base commit."""
    origin = tmp_path / "origin"
    (origin / "sql").mkdir(parents=True)
    git(origin, "init", "-q", "-b", "main")
    (origin / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (origin / "sql" / "0001_old.sql").write_text(RLS_MISSING.format(name="old"), encoding="utf-8")
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "base")
    base = git(origin, "rev-parse", "HEAD")
    (origin / "sql" / "0002_new.sql").write_text(RLS_MISSING.format(name="new"), encoding="utf-8")
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "the pull request")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    return clone, base


def changed_since(clone: Path, ref: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    output = tmp_path / "changed_output"
    output.write_text("", encoding="utf-8")
    done = run_step("changed", {"INPUT_CHANGED_SINCE": ref, "GITHUB_OUTPUT": str(output)}, clone)
    return done, output.read_text(encoding="utf-8")


def test_the_base_commit_is_fetched_and_only_the_changed_migration_is_reported(
    pull_request: tuple[Path, str], tmp_path: Path
) -> None:
    clone, base = pull_request
    assert subprocess.run(["git", "-C", str(clone), "cat-file", "-e", base]).returncode != 0
    done, outputs = changed_since(clone, base, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs == f"ref={base}\n"
    linted, lint_outputs = run_lint_step(clone, tmp_path, "sql/", "text", CHANGED_SINCE=base)
    assert linted.returncode == 0, linted.stderr
    assert "exit-code=1" in lint_outputs
    assert "public.new" in linted.stdout and "0002_new.sql" in linted.stdout
    assert "0001_old.sql" not in linted.stdout, "a migration the pull request did not change was reported"


def test_a_base_branch_the_checkout_lacks_is_fetched_by_name(
    pull_request: tuple[Path, str], tmp_path: Path
) -> None:
    clone, base = pull_request
    git(tmp_path / "origin", "branch", "release", base)
    done, outputs = changed_since(clone, "release", tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs == f"ref={base}\n"


def test_a_base_that_cannot_be_fetched_checks_everything_with_a_warning(
    pull_request: tuple[Path, str], tmp_path: Path
) -> None:
    clone, _ = pull_request
    done, outputs = changed_since(clone, "0" * 40, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs == ""
    assert "::warning::changed-since" in done.stdout and "every migration is checked" in done.stdout


def test_a_push_checks_everything(pull_request: tuple[Path, str], tmp_path: Path) -> None:
    done, outputs = changed_since(pull_request[0], "", tmp_path)
    assert (done.returncode, outputs) == (0, "")


def _entry(cache: ClusterCache, name: str, tmp_path: Path, age: float) -> str:
    data = tmp_path / f"data-{name}"
    data.mkdir()
    (data / "PG_VERSION").write_text("18\n", encoding="utf-8")
    key = cache_key(name)
    cache.store(key, data)
    os.utime(cache.entry(key) / MANIFEST_NAME, (time.time() - age,) * 2)
    return key


def trim(home: Path, started: float, restored: list[str], tmp_path: Path) -> tuple[str, set[str]]:
    output = tmp_path / "trim_output"
    output.write_text("", encoding="utf-8")
    env = {
        "STARTED": str(int(started)),
        "RESTORED": " ".join(restored),
        "GITHUB_OUTPUT": str(output),
        "PATH": checker_on_path(tmp_path),
    }
    done = run_step("cache-trim", env, home)
    assert done.returncode == 0, done.stderr
    return output.read_text(encoding="utf-8"), {p.name for p in (home / CACHE_DIR).iterdir()}


def test_the_cache_keeps_what_the_job_used_and_is_saved_when_the_job_stored_something(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    cache = ClusterCache(home / CACHE_DIR)
    cache.root.mkdir(parents=True, mode=0o700)
    earlier_history = _entry(cache, "an earlier pull request's history", tmp_path, age=7 * 86400)
    seeded = _entry(cache, "seeded cluster", tmp_path, age=7 * 86400)
    started = time.time() - 30
    assert cache.lookup(seeded) is not None  # the job's run started from it
    this_history = _entry(cache, "this pull request's history", tmp_path, age=0)
    outputs, kept = trim(home, started, [earlier_history, seeded], tmp_path)
    assert kept == {seeded, this_history}
    assert outputs == "save=true\n"


def test_the_cache_is_not_saved_again_when_the_job_stored_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = ClusterCache(home / CACHE_DIR)
    cache.root.mkdir(parents=True, mode=0o700)
    seeded = _entry(cache, "seeded cluster", tmp_path, age=86400)
    history = _entry(cache, "the history", tmp_path, age=86400)
    started = time.time() - 30
    assert cache.lookup(seeded) is not None and cache.lookup(history) is not None
    outputs, kept = trim(home, started, [seeded, history], tmp_path)
    assert (outputs, kept) == ("", {seeded, history})


def test_the_cache_steps_restore_and_save_the_directory_the_check_uses() -> None:
    steps = {s.get("id") or s["name"]: s for s in load_yaml(REPO_ROOT / "action.yml")["runs"]["steps"]}
    restore, save = steps["cache-restore"], steps["Save the checker's cache"]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == f"~/{CACHE_DIR}"
    assert save["with"]["key"] == "${{ steps.cache-restore.outputs.cache-primary-key }}"
    for step_id in ("verify", "cache-trim"):
        assert f'CHECKER_CACHE_DIR="$HOME/{CACHE_DIR}"' in step(step_id)["run"]
    assert "--changed-since" in step("verify")["run"] and "--changed-since" in step("lint")["run"]


def verify_step(clone: Path, home: Path, tmp_path: Path, event: str, changed_since: str) -> str:
    """The dynamic step as the runner runs it on the embedded engine; returns its Markdown report."""
    report = tmp_path / f"report-{event}.md"
    env = {
        "INPUT_PATHS": "sql/",
        "INPUT_ENGINE": "embedded",
        "INPUT_CACHE": "true",
        "REPORT": str(report),
        "CHANGED_SINCE": changed_since,
        "EVENT_NAME": event,
        "GITHUB_OUTPUT": str(tmp_path / f"verify-output-{event}"),
        "HOME": str(home),
        "PATH": checker_on_path(tmp_path),
    }
    done = run_step("verify", env, clone)
    assert done.returncode == 0, done.stderr
    return report.read_text(encoding="utf-8")


@pytest.mark.postgres
def test_a_push_caches_its_migrations_as_the_history_the_next_pull_requests_first_run_restores(
    pull_request: tuple[Path, str], tmp_path: Path
) -> None:
    clone, _ = pull_request
    home = tmp_path / "home"
    home.mkdir()
    git(clone, "fetch", "-q", "--unshallow")
    pushed = git(clone, "rev-parse", "HEAD")
    record = verify_step(clone, home, tmp_path, "push", "")
    assert "applied unchecked" not in record and "restored from cache" not in record  # a full check
    entries = ClusterCache(home / CACHE_DIR).entries()
    assert len(entries) == 2, "the seeded cluster and the pushed commit's history"
    (clone / "sql" / "0003_next.sql").write_text(RLS_MISSING.format(name="next"), encoding="utf-8")
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "the next pull request")
    record = verify_step(clone, home, tmp_path, "pull_request", pushed)
    assert "sql/0001_old.sql … sql/0002_new.sql (2 migrations)` | restored from cache |" in record
    assert "0003_next.sql" in record


def test_the_cache_key_names_the_runners_system(tmp_path: Path) -> None:
    output = tmp_path / "key_output"
    done = run_step("cache-key", {"RUNNER_OS": "Linux", "GITHUB_OUTPUT": str(output)}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert output.read_text(encoding="utf-8") == "prefix=supabase-migration-gate-Linux-\n"
    assert "runner." not in (REPO_ROOT / "action.yml").read_text(encoding="utf-8")


def test_with_no_paths_the_action_checks_the_supabase_project(tmp_path: Path) -> None:
    """The default `paths` is empty: the Supabase CLI project's supabase/migrations, in its defaults
    (runner mode: a file without BEGIN/COMMIT is fine)."""
    project = tmp_path / "app"
    (project / "supabase" / "migrations").mkdir(parents=True)
    (project / "supabase" / "config.toml").write_text("[db]\nmajor_version = 15\n", encoding="utf-8")
    (project / "supabase" / "migrations" / "20240101000000_t.sql").write_text(
        RLS_MISSING.format(name="t") + "alter table public.t enable row level security;\n", encoding="utf-8"
    )
    done, outputs = run_lint_step(project, tmp_path, "", "text")
    assert done.returncode == 0, done.stderr
    assert "exit-code=0" in outputs, done.stdout
    assert "checked 1 file(s)" in done.stdout
