"""Start time: `checker lint` on a one-statement migration, beside `python -c pass` and `checker --version`.

    python bench/lint_start.py [--runs 15]

What a pre-commit hook pays on every run for a small file. Target: <= 0.12 s (median).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import alternated, print_samples, tool, verdict

ONE_STATEMENT = "create table public.notes (id bigint primary key, body text);\n"
TARGET_SECONDS = 0.12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        migration = Path(folder) / "one.sql"
        migration.write_text(ONE_STATEMENT)
        samples = alternated(
            {
                "python -c pass": [sys.executable, "-c", "pass"],
                "checker --version": [tool("checker"), "--version"],
                "checker lint one.sql": [tool("checker"), "lint", str(migration)],
            },
            args.runs,
            cwd=Path(folder),
        )
    print(f"{args.runs} runs each, alternated (medians)")
    print_samples(samples)
    print(verdict("checker lint one.sql, seconds", samples["checker lint one.sql"].seconds, TARGET_SECONDS))


if __name__ == "__main__":
    main()
