"""The one small interface every database engine of the dynamic stage implements.

An engine hands out a connection string to a *fresh, throwaway database* created for this run and
removes everything it started (server process, temp directory, container, database) in `stop()`.
"""

from __future__ import annotations

import abc
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from checker.dynamic.engines import cleanup
from checker.errors import EngineError

if TYPE_CHECKING:
    from checker.dynamic.cluster_cache import ClusterCache


@dataclass(frozen=True)
class EngineOptions:
    pg_bin: str | None = None  # local: directory with initdb/pg_ctl/postgres
    pg_version: str | None = None  # local/docker: major version wanted, e.g. "15"
    image: str | None = None  # docker: image to run
    dsn: str | None = None  # dsn: an existing server, reached as a role that may CREATE DATABASE


class Engine(abc.ABC):
    """`cache`, `start_from`, `seeded`, `seeded_key` and `save_to_cache`: see dynamic/cluster_cache.py.
    Only engines that run their own server from a data directory (local, embedded) cache; the others
    keep `cache` None."""

    name: str = "engine"
    # The server was started for this run, so its roles are the run's to change (not a --dsn server's).
    owns_server: bool = True
    seeded_key: str = ""  # the key of this server's seeded cluster (server identity + seed identity)

    def __init__(self, options: EngineOptions | None = None):
        self.options = options or EngineOptions()
        self.cache: ClusterCache | None = None
        self.start_from: Path | None = None  # set before start(): copy this cached data dir, skip initdb
        # After start(): the server runs on a copy of start_from (False: it could not be copied, or was
        # not set, and the server runs on a fresh initdb without the seed).
        self.seeded = False

    def save_to_cache(self, key: str) -> Path:
        """Stop the server cleanly, store its data directory under `key`, start it again (same URI)."""
        raise EngineError(f"the {self.name} engine does not cache clusters")

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        """Why this engine cannot run here (one line), or None when it looks usable. Cheap: no start."""
        return None

    @classmethod
    def available_extensions(cls, options: EngineOptions) -> frozenset[str] | None:
        """The extensions this engine's server can create, without starting it; None when unknown."""
        return None

    @classmethod
    def server_major(cls, options: EngineOptions) -> int | None:
        """The major version of this engine's server, without starting it; None when unknown."""
        return None

    @abc.abstractmethod
    def start(self) -> str:
        """Start (or reach) a server and create a fresh database; return its libpq URI (superuser)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Remove everything `start` made. Idempotent; must be safe to call after a partial start."""

    @property
    @abc.abstractmethod
    def server_version(self) -> str:
        """Human-readable PostgreSQL version of the running server (after start)."""

    def __enter__(self) -> str:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fetch_server_version(uri: str) -> str:
    """`server_version` of the server behind `uri` (asked once, right after start)."""
    import psycopg  # imported late: the static stage never needs a database driver

    with psycopg.connect(uri, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


PGDATA_NAME = "data"

# The superuser an engine's server is initialised with, as on Supabase; `postgres` is made by the seed.
BOOTSTRAP_SUPERUSER = "supabase_admin"

# All a PostgreSQL server process needs from its environment; nothing of the checker's (CI tokens).
_SERVER_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
}


def server_environment() -> dict[str, str]:
    """The environment a server process (initdb, postgres) is started with."""
    return dict(_SERVER_ENVIRONMENT)


class ServerDirEngine(Engine):
    """An engine that runs its own server from a data directory inside a temporary directory."""

    tempdir_prefix = "checker-"  # one per engine kind: a run reaps only its own kind's leftovers

    def __init__(self, options: EngineOptions | None = None):
        super().__init__(options)
        self.tempdir: Path | None = None
        self._version = ""

    @property
    def server_version(self) -> str:
        return self._version

    @property
    def pgdata(self) -> Path:
        assert self.tempdir is not None
        return self.tempdir / PGDATA_NAME

    def make_tempdir(self) -> Path:
        """This run's temp directory, owner recorded, after reaping what killed runs of this kind left."""
        root = Path(tempfile.gettempdir())
        cleanup.reap_orphan_dirs(root, self.tempdir_prefix, PGDATA_NAME)
        self.tempdir = Path(tempfile.mkdtemp(prefix=self.tempdir_prefix, dir=root))
        cleanup.record_owner(self.tempdir)
        return self.tempdir
