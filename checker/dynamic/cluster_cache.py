"""A per-user cache of cleanly shut down PostgreSQL data directories, keyed by a hash.

The dynamic stage spends most of a small check on initdb and the Supabase seed, which give the same
cluster every time for one server binary and one seed. The engines store that cluster here once and
start each later run from a copy of it (see engines/local.py).

Layout, under `cache_root()` (mode 0700, owned by this user, else the cache is not used):

    <key>/data            the data directory (as the server left it after a clean shutdown)
    <key>/manifest.json   every file's relative path and size, written last; its mtime: last used
    <key>/spares/*        copies of data made ahead, each taken by one run with a rename
    .staging-<label>-*    an entry or spare being written, its owner recorded; renamed when complete
    .trash-*              directories on their way out (corrupt entries, finished runs' data)

Entries never change once renamed into place, so readers need no lock. Two runs storing the same
key race on the rename: one wins, the other discards its copy. A killed run leaves at most a staging
directory (with its owner recorded, reaped once that process is gone); an entry whose manifest is
missing or does not match its files (a disk filled up, someone deleted a file) is removed on lookup
and rebuilt by the caller; an entry unused for 30 days is pruned.

Copying costs what creating its files costs: here (ext4 in a VM) about 0.6 ms per inode, so a
seeded cluster's 1,100 files take 0.5-0.9 s whichever tool copies them (bench/dynamic_phases.py
--copy-methods), while the data itself (29 MB) copies in 10 ms. So a run takes a spare copy made
ahead by a detached, low-priority process started when the previous run stopped (`tidy_later`),
and hands its own data directory to that process to delete (`set_aside`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from checker.dynamic.engines import cleanup

APP_NAME = "supabase-migration-gate"
DATA_NAME = "data"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
STAGING_PREFIX = ".staging-"
SPARES_NAME = "spares"
MAX_SPARES = 2  # back-to-back runs (a test suite) each find one ready
TRASH_PREFIX = ".trash-"
PR_SET_PDEATHSIG = 1  # prctl option: the signal a child gets when its parent dies
# Nothing of the run's environment (its TMPDIR, a CI job's tokens) goes to the process outliving it.
_TIDIER_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
NEW_PREFIX = ".new-"  # a staging dir for the moment before its owner is recorded
UNUSED_AGE = 30 * 24 * 3600.0  # seconds after which an entry nobody looked up is removed
NEW_AGE = 60.0  # seconds after which a NEW_PREFIX dir (empty: it never holds data) was abandoned


class CacheUnusable(Exception):
    """The cache directory cannot be trusted (another owner, writable by others) or made."""


def cache_root() -> Path:
    """$CHECKER_CACHE_DIR, else $XDG_CACHE_HOME/<app>/clusters, else ~/.cache/<app>/clusters.

    Created with mode 0700. Raises CacheUnusable when it is not owned by this user or is writable by
    others: a cluster another user could have written would run their SQL as our superuser.
    """
    explicit = os.environ.get("CHECKER_CACHE_DIR")
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no HOME and no home directory in the password database
        base = ""
    if not (explicit or base):
        raise CacheUnusable("no home directory to keep a cache in")
    root = Path(explicit) if explicit else Path(base) / APP_NAME / "clusters"
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = root.lstat()
    except OSError as error:
        raise CacheUnusable(f"cannot create {root}: {error.strerror or error}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise CacheUnusable(f"{root} is not a directory")
    if info.st_uid != os.geteuid():
        raise CacheUnusable(f"{root} belongs to another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheUnusable(f"{root} is writable by other users")
    return root


def cache_key(*parts: str | bytes) -> str:
    """sha256 hex of the parts, each length-prefixed so ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        digest.update(len(raw).to_bytes(8, "big"))
        digest.update(raw)
    return digest.hexdigest()


def caching_disabled() -> bool:
    """CHECKER_NO_CACHE=1 (or any value but empty/0) turns the cache off."""
    return os.environ.get("CHECKER_NO_CACHE", "") not in ("", "0")


_noted: set[str] = set()


def _note_once(line: str) -> None:
    if line not in _noted:
        _noted.add(line)
        print(f"checker: {line}", file=sys.stderr)


def default_cache(note: Callable[[str], None] = _note_once) -> ClusterCache | None:
    """The user's cache, or None when disabled or refused (then `note` gets one line; never an error)."""
    if caching_disabled():
        return None
    try:
        return ClusterCache(cache_root())
    except CacheUnusable as why:
        note(f"not caching clusters: {why}")
        return None


def copy_cluster(source: Path, dest: Path) -> None:
    """Copy a data directory, keeping modes, owners and times (`dest` must not exist).

    `cp -a`: as fast as any other copy measured here, and on a file system that shares blocks
    (btrfs, XFS) `--reflink=auto` makes it nearly free. Hardlinks are not an option: the server
    rewrites files in place.
    """
    reflink = ["--reflink=auto"] if sys.platform.startswith("linux") else []  # GNU cp's option
    done = subprocess.run(
        ["cp", "-a", *reflink, "--", str(source), str(dest)],
        capture_output=True,
        text=True,
        preexec_fn=_die_with_parent,
    )
    if done.returncode != 0:
        raise OSError(f"cp -a {source} {dest}: {done.stderr.strip() or done.returncode}")


def _die_with_parent() -> None:
    """In the child: a killed run's copy must not go on writing into a directory being reaped (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _manifest(data_dir: Path) -> dict[str, int]:
    """Relative path → size of every file under `data_dir` (directories are implied). About 6 ms
    for a seeded cluster's 1,100 files: scandir's entries carry what a walk would stat again."""
    found: dict[str, int] = {}
    _scan(str(data_dir), "", found)
    return found


def _scan(folder: str, prefix: str, found: dict[str, int]) -> None:
    with os.scandir(folder) as entries:
        for item in entries:
            if item.is_dir(follow_symlinks=False):
                _scan(item.path, f"{prefix}{item.name}/", found)
            else:
                found[prefix + item.name] = item.stat(follow_symlinks=False).st_size


class ClusterCache:
    def __init__(self, root: Path):
        self.root = root

    def entry(self, key: str) -> Path:
        return self.root / key

    def lookup(self, key: str) -> Path | None:
        """The data dir of a complete entry; a corrupt or half-written one is removed (→ None)."""
        entry = self.entry(key)
        if not entry.exists():
            return None
        if self._valid(entry, key):
            with contextlib.suppress(OSError):
                os.utime(entry / MANIFEST_NAME)  # last used: entries unused for UNUSED_AGE are pruned
            return entry / DATA_NAME
        self._discard(entry)
        return None

    def store(self, key: str, data_dir: Path) -> Path:
        """Copy a cleanly shut down data directory in under `key`; return the entry's data dir.

        Two runs storing the same key both succeed: the second rename fails and that copy is dropped.
        """
        self._reap_staging()
        staging = self._staging(key[:16])
        try:
            copy_cluster(data_dir, staging / DATA_NAME)
            self._write_manifest(staging, key)
            (staging / cleanup.OWNER_FILE).unlink(missing_ok=True)
            try:
                os.rename(staging, self.entry(key))
            except OSError:
                if self.lookup(key) is None:  # not a complete rival entry: a real failure
                    raise
        finally:
            if staging.exists():
                self._discard(staging)
        return self.entry(key) / DATA_NAME

    # --- copies made ahead ------------------------------------------------------------------------

    def copy_out(self, data_dir: Path, dest: Path) -> str:
        """Put a copy of the entry `data_dir` at `dest`; return how ("spare" or "copy").

        Creating files is what a copy costs (about 0.6 ms per inode on this machine's ext4, so a seeded
        cluster's 1,100 files take 0.7 s), while a rename is free: a run takes a spare copy made ahead
        when there is one (see `tidy_later`), else copies.
        """
        if self._take_spare(data_dir.parent / SPARES_NAME, dest):
            return "spare"
        copy_cluster(data_dir, dest)
        return "copy"

    def needs_spare(self, data_dir: Path, near: Path) -> bool:
        """Whether entry `data_dir` has too few spares, and they could be renamed to `near` (the same
        file system): then a run's stop calls `set_aside` and `tidy_later`."""
        return _same_device(data_dir, near) and _count(data_dir.parent / SPARES_NAME) < MAX_SPARES

    def set_aside(self, data_dir: Path) -> None:
        """Move a finished run's data directory into the trash, for `tidy_later`'s process to remove: a
        rename, where removing 1,100 files costs a run 20-90 ms. Left in place on another file system."""
        with contextlib.suppress(OSError):
            os.rename(data_dir, self.root / f"{TRASH_PREFIX}run-{os.getpid()}-{os.urandom(4).hex()}")

    @staticmethod
    def _take_spare(spares: Path, dest: Path) -> bool:
        with contextlib.suppress(OSError):
            for spare in sorted(spares.iterdir()):
                try:
                    os.rename(spare, dest)  # atomic: two runs never get the same spare
                    return True
                except OSError:
                    continue
        return False

    def tidy_later(self, key: str | None) -> None:
        """A detached, low-priority process (it outlives this run) runs `tidy(key)`."""
        subprocess.Popen(
            [sys.executable, "-m", __name__, str(self.root), *([key] if key else [])],
            cwd=self.root,
            env=_tidier_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: os.nice(10),
        )

    def tidy(self, key: str | None) -> None:
        """Remove what killed or finished runs left, then make a spare of entry `key`, if given."""
        self._reap_staging()
        if key is not None:
            self.make_spare(key)

    def make_spare(self, key: str) -> None:
        """Copy entry `key` into its spares until it has MAX_SPARES (counting copies other processes
        are making); each staged and renamed like an entry."""
        entry = self.entry(key)
        spares = entry / SPARES_NAME
        with contextlib.suppress(FileExistsError):
            spares.mkdir(mode=0o700)
        label = f"{key[:16]}-spare"
        while _count(spares) + len(list(self.root.glob(f"{STAGING_PREFIX}{label}-*"))) < MAX_SPARES:
            staging = self._staging(label)
            try:
                copy_cluster(entry / DATA_NAME, staging / DATA_NAME)
                os.rename(staging / DATA_NAME, spares / f"{os.getpid()}-{os.urandom(4).hex()}")
            finally:
                self._discard(staging)

    # --- integrity ---------------------------------------------------------------------------------

    @staticmethod
    def _write_manifest(staging: Path, key: str) -> None:
        files = _manifest(staging / DATA_NAME)
        path = staging / MANIFEST_NAME
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"format": MANIFEST_FORMAT, "key": key, "files": files}, out)
            out.flush()
            os.fsync(out.fileno())

    @staticmethod
    def _valid(entry: Path, key: str) -> bool:
        try:
            recorded = json.loads((entry / MANIFEST_NAME).read_text(encoding="utf-8"))
            data_dir = entry / DATA_NAME
            return (
                isinstance(recorded, dict)
                and recorded.get("format") == MANIFEST_FORMAT
                and recorded.get("key") == key
                and data_dir.is_dir()
                and recorded.get("files") == _manifest(data_dir)
            )
        except (OSError, ValueError):
            return False

    def _staging(self, label: str) -> Path:
        """A new staging directory that has its owner recorded from the moment it has its name, so
        a run killed at any point leaves a staging directory the next run can judge and reap."""
        fresh = Path(tempfile.mkdtemp(prefix=NEW_PREFIX, dir=self.root))
        cleanup.record_owner(fresh)
        staging = self.root / f"{STAGING_PREFIX}{label}-{fresh.name[len(NEW_PREFIX) :]}"
        os.rename(fresh, staging)
        return staging

    def _discard(self, path: Path) -> None:
        """Move aside in one step (so no reader sees half of it), then delete."""
        trash = self.root / f"{TRASH_PREFIX}{path.name}-{os.getpid()}"
        try:
            os.rename(path, trash)
        except OSError:
            trash = path
        shutil.rmtree(trash, ignore_errors=True)

    def _reap_staging(self, unused_age: float = UNUSED_AGE) -> list[str]:
        """Remove staging and trash directories left by runs that were killed, and unused entries;
        return the names of the entries removed."""
        here = cleanup.Owner.current()
        removed = []
        with contextlib.suppress(OSError):
            for leftover in self.root.iterdir():
                if _abandoned(leftover, here, unused_age):
                    self._discard(leftover)
                    removed += [] if leftover.name.startswith(".") else [leftover.name]
        return removed

    # --- trimming, e.g. before a CI job saves the cache for the next job --------------------------

    def trim(self, unused_for: float, wait: float = 60.0) -> tuple[list[str], int]:
        """Keep only the entries looked up or stored in the last `unused_for` seconds, without their
        spares (a restored spare costs the inodes a copy costs), once the copies other processes are
        making (a finished run's tidier) are done or `wait` seconds have passed. Returns the entries
        removed and the number of spares removed."""
        self._wait_for_staging(wait)
        removed = self._reap_staging(unused_age=unused_for)
        spares = 0
        for entry in self.entries():
            spares += _count(entry / SPARES_NAME)
            self._discard(entry / SPARES_NAME)
        return removed, spares

    def entries(self) -> list[Path]:
        with contextlib.suppress(OSError):
            return sorted(p for p in self.root.iterdir() if not p.name.startswith(".") and p.is_dir())
        return []

    def _wait_for_staging(self, wait: float) -> None:
        here = cleanup.Owner.current()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                staging = [p for p in self.root.iterdir() if p.name.startswith((STAGING_PREFIX, NEW_PREFIX))]
                if all(_abandoned(p, here) for p in staging):
                    return
            time.sleep(0.1)


def _abandoned(path: Path, here: cleanup.Owner | None, unused_age: float = UNUSED_AGE) -> bool:
    """A trash directory (always), a staging directory whose run is certainly gone, or an entry
    nobody looked up for `unused_age` (servers and seeds change: old entries would pile up)."""
    if path.name.startswith(TRASH_PREFIX):
        return True
    if not path.name.startswith("."):
        with contextlib.suppress(OSError):
            return time.time() - (path / MANIFEST_NAME).stat().st_mtime > unused_age
        return False
    if path.name.startswith(NEW_PREFIX):
        with contextlib.suppress(OSError):
            return time.time() - path.stat().st_mtime > NEW_AGE
    return path.name.startswith(STAGING_PREFIX) and cleanup.owner_gone(path, here)


def _tidier_environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return _TIDIER_ENVIRONMENT | ({"PYTHONPATH": path} if path else {})


def _count(folder: Path) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:
        return 0


def _same_device(one: Path, other: Path) -> bool:
    try:
        return one.stat().st_dev == other.stat().st_dev
    except OSError:
        return False


if __name__ == "__main__":  # the background tidier: python -m checker.dynamic.cluster_cache ROOT [KEY]
    with contextlib.suppress(OSError):
        ClusterCache(Path(sys.argv[1])).tidy(sys.argv[2] if len(sys.argv) > 2 else None)
