"""A `checker verify` killed with SIGTERM while the migration runs leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import SERVER_ENGINES, require_engine, server_processes, still_alive

ROOT = Path(__file__).resolve().parents[2]
SLOW_MIGRATION = "begin;\nselect pg_sleep(120);\ncommit;\n"


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """The run's own TMPDIR, so only this run's server directory is looked for (short, traversable)."""
    path = Path(tempfile.mkdtemp(prefix="kill-t-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _start_verify(folder: Path, engine_args: list[str]) -> subprocess.Popen[str]:
    (folder / "slow.sql").write_text(SLOW_MIGRATION, encoding="utf-8")
    (folder / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(folder), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "checker", "verify", "slow.sql", *engine_args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, what: str, child: subprocess.Popen[str], seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if child.poll() is not None:
            pytest.fail(f"verify ended ({child.returncode}) before {what}: {child.stderr.read()[-1500:]}")
        time.sleep(0.1)
    child.kill()
    pytest.fail(f"no {what} within {seconds}s")


def _terminate(child: subprocess.Popen[str]) -> str:
    child.send_signal(signal.SIGTERM)
    try:
        _, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("verify did not end within 60 s of SIGTERM")
    return err


def _sleeping_backend(pgdata: Path) -> set[int] | None:
    """The server's processes, once a backend runs the migration's pg_sleep."""
    if not (pgdata / "postmaster.pid").exists():
        return None
    processes = server_processes(pgdata)
    for pid in processes:
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "SELECT" in title or "idle in transaction" in title:
            return processes
    return None


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_sigterm_during_the_migration_removes_server_and_temp_dir(name: str, private_tmp: Path) -> None:
    require_engine(name)
    child = _start_verify(private_tmp, ["--engine", name])
    pgdata = _wait_for(
        lambda: next(iter(private_tmp.glob("checker-*/data")), None), "server directory", child
    )
    processes = _wait_for(lambda: _sleeping_backend(pgdata), "migration in progress", child)
    err = _terminate(child)
    assert child.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not still_alive(processes)
    assert list(private_tmp.glob("checker-*")) == []


@pytest.mark.docker
def test_sigterm_during_the_migration_removes_the_container(private_tmp: Path) -> None:
    from support.docker_required import require_docker
    from support.images import postgres_test_image

    from checker.dynamic.engines.docker import LABEL

    client = require_docker()
    image = postgres_test_image()
    before = {c.id for c in client.containers.list(all=True, filters={"label": LABEL})}
    child = _start_verify(private_tmp, ["--engine", "docker", "--image", image])

    def running() -> list:
        return [c for c in client.containers.list(filters={"label": LABEL}) if c.id not in before]

    (container,) = _wait_for(running, "container", child, seconds=180)
    _wait_for(lambda: _container_sleeping(container), "migration in progress", child, seconds=180)
    err = _terminate(child)
    assert child.returncode == 130, err
    assert client.containers.list(all=True, filters={"id": container.id}) == []


def _container_sleeping(container) -> bool:
    found = container.exec_run(
        [
            "psql",
            "-U",
            "postgres",
            "-Atc",
            "select count(*) from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()",
        ],
    )
    return found.exit_code == 0 and found.output.decode().strip() not in ("", "0")
