"""Where `checker lint`'s time and memory go, phase by phase, against squawk's whole run on the same file.

    python bench/lint_phases.py [--statements 12000] [--runs 5]
    python bench/lint_phases.py --file migration.sql

Each checker run is a child process that times its own phases (imports, parse, model, catalog
replay, rules) and reads its peak RSS after each; squawk runs alternately. The table prints each
phase's median, the running total, and the running total as a share of squawk's median wall time:
the share before the rules is what any rule set costs on top of (the floor of this design).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import WITH_BYTECODE, run_once, tool

PHASES = ("start and imports", "parse", "model", "replay", "rules")
COLUMNS = "{:<20}{:>9}{:>9}{:>14}{:>14}{:>12}"


def child(path: Path, started: float) -> None:
    """One lint in this process, by phase (the steps lint_targets takes, with the collector paused);
    `started`: the wall clock when the parent started this process."""
    import gc
    import resource

    gc.disable()
    marks: list[tuple[float, float]] = []

    def mark() -> None:
        marks.append((time.time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    from checker.context import MigrationUnit, RuleContext
    from checker.lint import baseline_catalog, lint_unit, parse_file
    from checker.policy import load_policy
    from checker.rules import all_rules

    policy, rules = load_policy(None), list(all_rules())
    mark()
    parsed = parse_file(path)
    mark()
    context = RuleContext(MigrationUnit(parsed, None, baseline_catalog(policy, []), []), policy)
    _ = context.migration_effects
    mark()
    _ = context.after
    mark()
    lint_unit(context, rules)
    mark()
    seconds = [marks[0][0] - started] + [b[0] - a[0] for a, b in itertools.pairwise(marks)]
    print(json.dumps({"seconds": seconds, "rss": [m[1] for m in marks]}))


def measure(path: Path, runs: int) -> None:
    checker = [sys.executable, __file__, "--child", str(path)]
    squawk = [tool("squawk"), str(path)]
    run_once(squawk, path.parent, WITH_BYTECODE)
    phases: list[list[float]] = []
    peaks: list[list[float]] = []
    squawk_samples = []
    for _ in range(runs):
        out = subprocess.run(
            [*checker, str(time.time())], capture_output=True, text=True, check=True, env=WITH_BYTECODE
        )
        result = json.loads(out.stdout)
        phases.append(result["seconds"])
        peaks.append(result["rss"])
        squawk_samples.append(run_once(squawk, path.parent, WITH_BYTECODE))
    peer = statistics.median(s.seconds for s in squawk_samples)
    peer_rss = statistics.median(s.max_rss_kb for s in squawk_samples) / 1024
    print(f"squawk: {peer:.3f} s, {peer_rss:.1f} MiB peak RSS (median of {runs})")
    print(COLUMNS.format("phase", "seconds", "total", "total/squawk", "peak RSS MiB", "RSS/squawk"))
    total = 0.0
    for index, name in enumerate(PHASES):
        seconds = statistics.median(run[index] for run in phases)
        rss = statistics.median(run[index] for run in peaks)
        total += seconds
        ratios = f"{total / peer:.2f}", f"{rss:.1f}", f"{rss / peer_rss:.2f}"
        print(COLUMNS.format(name, f"{seconds:.3f}", f"{total:.3f}", *ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=12_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", type=Path, help="a migration to measure instead of the generated one")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), float(args.child[1]))
        return
    if args.file:
        measure(args.file.resolve(), args.runs)
        return
    from lint_vs_squawk import generate

    with tempfile.TemporaryDirectory() as folder:
        migration = Path(folder) / "large_migration.sql"
        count = generate(migration, args.statements)
        print(f"migration: {count} statements, {migration.stat().st_size / 1e6:.2f} MB")
        measure(migration, args.runs)


if __name__ == "__main__":
    main()
