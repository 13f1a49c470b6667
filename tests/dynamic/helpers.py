"""What the dynamic-stage tests share: engines that must run under CI, and leftover detection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.engines import ENGINES, Engine, EngineOptions
from checker.dynamic.engines.cleanup import pid_alive, postmaster_pid
from checker.dynamic.engines.dsn import DsnEngine
from checker.dynamic.seed import apply_seed

SERVER_ENGINES = ("embedded", "local")


def require_engine(name: str, options: EngineOptions | None = None) -> Engine:
    """An unstarted engine; skip when it cannot run here, but under CI=true that is a failure."""
    options = options or EngineOptions()
    reason = ENGINES[name].unavailable_reason(options)
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but engine {name} is unavailable: {reason}")
        pytest.skip(f"engine {name} unavailable: {reason}")
    return ENGINES[name](options)


@contextmanager
def seeded_database(server: str, *setup: str) -> Iterator[psycopg.Connection]:
    """A fresh database on the running `server`, seeded like Supabase, then `setup` run in it."""
    with DsnEngine(EngineOptions(dsn=server)) as uri, psycopg.connect(uri, autocommit=True) as connection:
        apply_seed(connection)
        for statement in setup:
            connection.execute(statement)
        yield connection


def children_of(pid: int) -> set[int]:
    """Direct children (a postmaster's backends and workers) found through /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def server_processes(pgdata: Path) -> set[int]:
    """The postmaster of `pgdata` and its children, while it runs."""
    pid = postmaster_pid(pgdata)
    assert pid is not None, f"no postmaster.pid in {pgdata}"
    return {pid} | children_of(pid)


def still_alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if pid_alive(pid)}
