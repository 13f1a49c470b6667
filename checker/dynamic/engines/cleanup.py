"""Clean-up that survives failures, Ctrl-C, SIGTERM, interpreter exit, and (on the next run) SIGKILL.

A CI runner cancels a job with SIGTERM, which by default kills Python without running `finally`
blocks or `__exit__`, leaving a postgres process, a temp directory or a container behind.
`sigterm_as_interrupt()` turns SIGTERM into KeyboardInterrupt so `with engine:` blocks unwind, and
every started engine is tracked so whatever is still open at interpreter exit is stopped too.

SIGKILL (an OOM kill, a runner killing the process group hard) cannot be handled in-process, so each
run records its owner where it creates its server: an `Owner` (pid, process start time from
/proc/<pid>/stat, boot id, pid namespace) in the file OWNER_FILE of the run's temp directory, or in
labels on its container. The next start of the same engine kind reaps leftovers whose owner is gone:
- gone means another boot, or the same boot and pid namespace with no live process of that pid and
  start time (a recycled pid has another start time, so it is not mistaken for the owner);
- an owner in another pid namespace (a checker in another container) cannot be judged: left alone;
- anything without a readable owner record (or recorded by another user) is never touched;
- a temp directory is reaped by stopping its postmaster and whatever else runs on it, then removing
  it (`reap_orphan_dirs`); a container is removed with force (the docker engine, which keeps a
  *running* container from another boot: on a Docker host shared by several machines that owner
  may well be alive elsewhere, while a reboot leaves this host's containers exited anyway).
Reaping costs one directory listing (or one label-filtered container list) when nothing is left
over, and it never fails a run: a leftover it cannot remove stays for a person to look at.
Without /proc (macOS) nothing is recorded and nothing is reaped.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Protocol


class Stoppable(Protocol):
    def stop(self) -> None: ...


_open: list[Stoppable] = []


def track(engine: Stoppable) -> None:
    """Remember a started engine so it is stopped at interpreter exit if nobody else stops it."""
    if engine not in _open:
        _open.append(engine)


def untrack(engine: Stoppable) -> None:
    with contextlib.suppress(ValueError):
        _open.remove(engine)


@atexit.register
def stop_all_open() -> None:
    """Stop engines still open, newest first (atexit also runs after an uncaught exception)."""
    while _open:
        engine = _open.pop()
        with contextlib.suppress(Exception):
            engine.stop()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    # An interrupt may land while a query runs inside a transaction block: as the block unwinds,
    # psycopg logs (WARNING) that its rollback failed. The run reports the interruption itself.
    psycopg_log = logging.getLogger("psycopg")
    level = psycopg_log.level
    psycopg_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        psycopg_log.setLevel(level)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while cleaning up, then re-deliver them.

    A second Ctrl-C in the middle of `stop()` would otherwise abandon a half-removed server.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in received:
            os.kill(os.getpid(), signum)


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting for a parent that never reaps it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid recorded in PGDATA/postmaster.pid, if the file exists and is readable."""
    try:
        first_line = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first_line)
    except (OSError, ValueError):
        return None


def _runs_on(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is still a server on `pgdata` (a stale postmaster.pid may name a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc at all: trust the pid file
    except OSError:
        return False
    return str(pgdata).encode() in cmdline


def kill_stray_postmaster(pgdata: Path) -> None:
    """Stop a server on `pgdata` that nobody recorded, e.g. when a signal interrupted its start."""
    pid = postmaster_pid(pgdata)
    if pid is not None and pid_alive(pid) and _runs_on(pid, pgdata):
        kill_postmaster(pid)


def kill_postmaster(pid: int, timeout: float = 10.0) -> None:
    """Immediate shutdown (SIGQUIT): the postmaster stops its children and exits; SIGKILL if it hangs.

    Only for a postmaster that is not our child (a child must be reaped with `Popen.wait`).
    """
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def _mentions(pid: str, needle: bytes) -> bool:
    for part in ("cmdline", "environ"):
        try:
            if needle in Path(f"/proc/{pid}/{part}").read_bytes():
                return True
        except OSError:
            continue
    return False


def processes_on(path: Path) -> set[int]:
    """Live processes (other than this one) naming `path` in their command line or environment."""
    needle = str(path).encode()
    return {
        int(proc.name)
        for proc in Path("/proc").glob("[0-9]*")
        if int(proc.name) != os.getpid() and _mentions(proc.name, needle) and pid_alive(int(proc.name))
    }


def kill_processes_on(path: Path) -> None:
    """SIGKILL what still runs on `path` (in its command line or environment, e.g. PGDATA).

    An interrupted initdb is killed alone by subprocess.run; the bootstrap postgres it spawned lives
    on for a moment and keeps writing into the directory we are about to remove.
    """
    for pid in processes_on(path):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def remove_tree(path: Path | None, timeout: float = 5.0) -> None:
    """Remove a temp directory the engine made, retrying while a dying process still writes into it."""
    if path is None:
        return
    deadline = time.monotonic() + timeout
    while True:
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists() or time.monotonic() > deadline:
            return
        kill_processes_on(path)
        time.sleep(0.05)


def clear_server_dir(
    tempdir: Path | None, pgdata: Path, set_aside: Callable[[Path], None] | None = None
) -> None:
    """Last step of a local server's stop: nothing may run on, or remain in, its temp directory.

    Handles a start a signal interrupted: a postmaster nobody recorded (stopped in order, so its
    children go too), initdb's orphans, then the directory itself. `set_aside`, once nothing runs on
    it, may move the data directory out, to be removed later (the cluster cache's trash).
    """
    if tempdir is None:
        return
    kill_stray_postmaster(pgdata)
    kill_processes_on(tempdir)
    if set_aside is not None and pgdata.is_dir():
        set_aside(pgdata)
    remove_tree(tempdir)


# --- reaping the leftovers of a killed run ------------------------------------------------------

OWNER_FILE = "checker-owner.json"


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def process_start_time(pid: int) -> str | None:
    """Start time of a live, non-zombie `pid` (clock ticks since boot, field 22 of /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


@dataclass(frozen=True)
class Owner:
    """The process a run belongs to, precise enough to tell whether it still lives."""

    pid: int
    start: str
    boot_id: str
    pid_ns: str

    @classmethod
    def current(cls) -> Owner | None:
        """This process; None without /proc, where liveness cannot be proven (nothing is then reaped)."""
        start = process_start_time(os.getpid())
        if start is None:
            return None
        try:
            pid_ns = os.readlink("/proc/self/ns/pid")
        except OSError:
            pid_ns = ""
        return cls(os.getpid(), start, _read("/proc/sys/kernel/random/boot_id"), pid_ns)

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Owner | None:
        """The owner in `fields` (as `fields()` wrote them); None when it is incomplete or malformed."""
        try:
            owner = cls(int(fields["pid"]), fields["start"], fields["boot_id"], fields["pid_ns"])
        except (KeyError, TypeError, ValueError):
            return None
        return owner if owner.start and owner.boot_id else None

    def fields(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}

    def gone(self, here: Owner) -> bool:
        """Whether this owner is certainly dead, judged from `here` (the current process)."""
        if self.boot_id != here.boot_id:
            return True
        if self.pid_ns != here.pid_ns:
            return False  # its pids are not ours to look up
        return process_start_time(self.pid) != self.start


def record_owner(tempdir: Path, owner: Owner | None = None) -> None:
    """Mark `tempdir` as the run of `owner` (default: this process), to be reaped once it is gone."""
    owner = owner or Owner.current()
    if owner is not None:
        (tempdir / OWNER_FILE).write_text(json.dumps(owner.fields()))


def _recorded_owner(tempdir: Path) -> Owner | None:
    """The owner recorded in `tempdir`, only if this user wrote it (so only this user's runs are reaped)."""
    path = tempdir / OWNER_FILE
    try:
        info = path.lstat()
        if info.st_uid != os.geteuid() or not stat.S_ISREG(info.st_mode):
            return None
        fields = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return Owner.from_fields(fields) if isinstance(fields, dict) else None


def owner_gone(tempdir: Path, here: Owner | None) -> bool:
    """Whether `tempdir` records an owner of this user that is certainly dead (judged from `here`)."""
    owner = _recorded_owner(tempdir)
    return here is not None and owner is not None and owner.gone(here)


def reap_orphan_dirs(root: Path, prefix: str, pgdata_name: str) -> None:
    """Stop and remove the server directories `root/prefix*` of runs whose owner is gone."""
    here = Owner.current()
    if here is None:
        return
    with contextlib.suppress(OSError):
        for tempdir in root.glob(f"{prefix}*"):
            if owner_gone(tempdir, here):
                with contextlib.suppress(OSError):
                    clear_server_dir(tempdir, tempdir / pgdata_name)
