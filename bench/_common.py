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
    """Wall time and peak RSS of one child process (os.wait4 gives that child's own rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({child.returncode}): {child.stderr.read().decode()[-300:]}")
    return Sample(seconds, usage.ru_maxrss, child.returncode)


def median_of(command: list[str], runs: int, cwd: Path | None = None) -> Sample:
    samples = [run_once(command, cwd) for _ in range(runs)]
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


# Python as a user runs it: with the bytecode cache that pip writes on install (an environment with
# PYTHONDONTWRITEBYTECODE set would otherwise compile every module of the checker on every run).
WITH_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def alternated(commands: dict[str, list[str]], runs: int, cwd: Path | None = None) -> dict[str, Sample]:
    """Medians of commands run in turn (a, b, a, b, ...), so a noisy moment hits every one of them;
    one untimed run of each first (it writes the bytecode cache)."""
    for command in commands.values():
        run_once(command, cwd, WITH_BYTECODE)
    samples: dict[str, list[Sample]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            samples[label].append(run_once(command, cwd, WITH_BYTECODE))
    return {
        label: Sample(
            statistics.median(s.seconds for s in taken),
            statistics.median(s.max_rss_kb for s in taken),
            taken[-1].exit_code,
        )
        for label, taken in samples.items()
    }


def print_samples(samples: dict[str, Sample]) -> None:
    print(f"{'command':<24}{'seconds':>10}{'peak RSS MiB':>14}")
    for label, sample in samples.items():
        print(f"{label:<24}{sample.seconds:>10.3f}{sample.max_rss_kb / 1024:>14.1f}")


def verdict(name: str, value: float, target: float) -> str:
    return f"{name}: {value:.2f} (target <= {target:.2f}: {'met' if value <= target else 'NOT met'})"


def compare_with_squawk(migration: Path, runs: int) -> dict[str, Sample]:
    """`checker lint` and squawk on one file, alternated; prints both and the time and RSS ratios."""
    samples = alternated(
        {
            "checker lint": [tool("checker"), "lint", str(migration)],
            "squawk": [tool("squawk"), str(migration)],
        },
        runs,
        cwd=migration.parent,
    )
    print_samples(samples)
    ours, peer = samples["checker lint"], samples["squawk"]
    print(verdict("time ratio checker/squawk", ours.seconds / peer.seconds, 1.0))
    print(verdict("peak RSS ratio checker/squawk", ours.max_rss_kb / peer.max_rss_kb, 2.0))
    return samples
