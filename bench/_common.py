"""Shared by the benchmarks: run a command as a child process, measure wall time and peak memory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int
    exit_code: int


def run_once(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Sample:
    """Wall time and peak RSS of one child process (os.wait4 gives that child's own rusage).
    `env`: variables added to this process's environment for the child."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env} if env else None,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({child.returncode}): {child.stderr.read().decode()[-300:]}")
    return Sample(seconds, usage.ru_maxrss, child.returncode)


def median_of(
    command: list[str], runs: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Sample:
    samples = [run_once(command, cwd, env) for _ in range(runs)]
    return Sample(
        statistics.median(s.seconds for s in samples),
        max(s.max_rss_kb for s in samples),
        samples[-1].exit_code,
    )


def tool(name: str) -> str:
    """A console script of this environment (next to the running interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed: pip install -e '.[test]'")
    return found
