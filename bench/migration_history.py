"""`checker verify` on a folder of N small migrations with rollbacks: the whole history, and a pull
request that adds one migration to it.

    python bench/migration_history.py [--sizes 10,40,160,300] [--runs 3] [--full-runs 1]

Each migration creates one table with a foreign key to the previous migration's table, an index, row
level security and a policy; its rollback drops the table. Per N:
- full: `checker verify migrations` (no REF): seconds, seconds per migration (target: flat as N
  grows) and the phases of `--timings`. The probes of the first few migrations are cheaper (their
  chain of foreign keys is shorter than the probes' depth limit of 6), so compare N >= 40 too.
- pull request: the folder in a git repository, N-1 migrations committed and one added (its only
  foreign key is to auth.users, so it also runs alone); `checker verify --changed-since HEAD` once
  cold (no cached state for this history) and then warm (median of --runs), beside `checker verify`
  on a folder holding that one migration alone, run alternately with the warm runs. Target: warm / alone <= 2.
Every run is a child process of this script, with its caches in a private temporary directory
(CHECKER_CACHE_DIR), warmed by one single-migration run before anything is measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import WITH_BYTECODE, Sample, run_once, tool

POLICY = 'transaction = "runner"\n'
SHOWN_PHASES = ("apply", "validate", "probes", "advisor", "rollback", "reapply", "precheck")


def migration(i: int, standalone: bool = False) -> str:
    """Table i references table i-1, except the first and a standalone one (it runs alone)."""
    parent = "" if standalone or i == 0 else f" references public.entry_{i - 1} (id)"
    return "\n".join(
        [
            f"create table public.entry_{i} (",
            "  id uuid primary key default gen_random_uuid(),",
            "  user_id uuid not null references auth.users (id) on delete cascade,",
            f"  parent_id uuid{parent},",
            "  body text not null",
            ");",
            f"create index entry_{i}_user_id_idx on public.entry_{i} (user_id);",
            f"alter table public.entry_{i} enable row level security;",
            f"create policy entry_{i}_owner on public.entry_{i} for all to authenticated",
            "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);",
            "",
        ]
    )


def write_migration(folder: Path, i: int, standalone: bool = False) -> None:
    name = f"2024{i:010d}_entry_{i}"
    (folder / f"{name}.sql").write_text(migration(i, standalone))
    (folder / f"{name}.down.sql").write_text(f"drop table public.entry_{i};\n")


def project(root: Path, size: int) -> Path:
    """A git repository whose migrations folder has size-1 migrations committed and one more added."""
    folder = root / "migrations"
    folder.mkdir(parents=True)
    (root / "policy.toml").write_text(POLICY)
    for i in range(size - 1):
        write_migration(folder, i)
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "history"]):
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", *command]
        subprocess.run(git, cwd=root, check=True)
    write_migration(folder, size - 1, standalone=True)
    return root


def alone(root: Path, size: int) -> Path:
    """A folder holding only the migration the pull request adds."""
    (root / "migrations").mkdir(parents=True)
    (root / "policy.toml").write_text(POLICY)
    write_migration(root / "migrations", size - 1, standalone=True)
    return root


class Verify:
    """`checker verify` runs in one folder, each with its phase timings."""

    def __init__(self, root: Path, cache: Path, *extra: str) -> None:
        self.root = root
        self.timings = root / "timings.json"
        self.env = {**WITH_BYTECODE, "CHECKER_CACHE_DIR": str(cache)}
        self.command = [
            tool("checker"),
            "verify",
            "migrations",
            "--config",
            "policy.toml",
            "--engine",
            "embedded",
            "--timings",
            str(self.timings),
            *extra,
        ]

    def once(self) -> tuple[Sample, dict[str, float]]:
        sample = run_once(self.command, self.root, self.env)
        return sample, json.loads(self.timings.read_text())


def phase_line(timings: dict[str, float]) -> str:
    other = sum(seconds for name, seconds in timings.items() if name not in SHOWN_PHASES)
    return "".join(f"{timings.get(name, 0.0):>9.2f}" for name in SHOWN_PHASES) + f"{other:>9.2f}"


def measure(size: int, scratch: Path, cache: Path, runs: int, full_runs: int) -> dict:
    history = project(scratch / f"history-{size}", size)
    single = Verify(alone(scratch / f"alone-{size}", size), cache)
    full = [Verify(history, cache).once() for _ in range(full_runs)]
    pull_request = Verify(history, cache, "--changed-since", "HEAD")
    cold = pull_request.once()
    warm, by_itself = [], []
    for _ in range(runs):  # alternated, so both see the same machine load
        warm.append(pull_request.once())
        by_itself.append(single.once())
    return {"full": full, "cold": cold, "warm": warm, "alone": by_itself}


def median_run(runs: list[tuple[Sample, dict[str, float]]]) -> tuple[float, dict[str, float], float]:
    """The median wall time, with the timings of the run that took it (or the nearest), and the
    largest peak RSS in MiB."""
    seconds = statistics.median(sample.seconds for sample, _ in runs)
    _, timings = min(runs, key=lambda run: abs(run[0].seconds - seconds))
    return seconds, timings, max(sample.max_rss_kb for sample, _ in runs) / 1024


def report(results: dict[int, dict], runs: int) -> None:
    print("full history: checker verify migrations (embedded engine), seconds")
    phases = "".join(f"{name:>9}" for name in SHOWN_PHASES)
    print(f"{'N':>5}{'total':>9}{'per mig':>9}{'checks':>9}{phases}{'other':>9}{'RSS MiB':>9}")
    per_migration = []
    for size, result in results.items():
        seconds, timings, rss = median_run(result["full"])
        checks = sum(timings.get(name, 0.0) for name in SHOWN_PHASES) / size
        per_migration.append(checks)
        print(f"{size:>5}{seconds:>9.2f}{seconds / size:>9.3f}{checks:>9.3f}{phase_line(timings)}{rss:>9.0f}")
    print("per mig: total / N; checks: the per-migration phases / N (start, seed and stop excluded)")
    pairs = zip(results, per_migration, strict=True)
    relative = ", ".join(f"N={size}: {checks / per_migration[0]:.2f}" for size, checks in pairs)
    print(f"checks per migration relative to the smallest N: {relative} (target: flat, about 1)")
    print()
    print(f"pull request adding one migration: --changed-since HEAD; warm = median of {runs} runs")
    print(f"{'N':>5}{'cold':>9}{'warm':>9}{'alone':>9}{'ratio':>9}  warm phases:{phases}{'other':>9}")
    for size, result in results.items():
        cold = result["cold"][0].seconds
        warm, timings, _ = median_run(result["warm"])
        by_itself, _, _ = median_run(result["alone"])
        ratio = warm / by_itself
        verdict = "met" if ratio <= 2.0 else "NOT met"
        print(
            f"{size:>5}{cold:>9.2f}{warm:>9.2f}{by_itself:>9.2f}{ratio:>9.2f}  {verdict:<12}"
            f"{phase_line(timings)}"
        )
    print("ratio = warm / alone (target <= 2.00)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,40,160,300", help="comma-separated N (default 10,40,160,300)")
    parser.add_argument("--runs", type=int, default=3, help="warm pull-request and single-migration runs")
    parser.add_argument("--full-runs", type=int, default=1, help="full-history runs per N (median)")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if sizes[0] < 2:
        raise SystemExit("--sizes: each N must be at least 2 (a history and the migration added to it)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        cache = root / "cache"
        Verify(alone(root / "warm-up", 2), cache).once()  # caches anything not tied to a history
        results = {size: measure(size, root, cache, args.runs, args.full_runs) for size in sizes}
    report(results, args.runs)


if __name__ == "__main__":
    main()
