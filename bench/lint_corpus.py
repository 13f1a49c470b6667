"""Wall time and peak RSS of `checker lint` against squawk on the corpus concatenated into one migration.

    python bench/lint_corpus.py [--corpus ../shared/corpus] [--runs 5]

The corpus's files (real Supabase migrations), sorted by folder then name, each followed by a
newline, make one file; both tools lint that same file, as child processes of this script, alternately.
Targets: checker's wall time <= squawk's (ratio <= 1.0), its peak RSS <= 2x squawk's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, compare_with_squawk

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def concatenate(corpus: Path, into: Path) -> int:
    """One migration from every .sql file of the corpus; returns the number of files."""
    files = sorted(corpus.rglob("*.sql"), key=lambda f: (f.parent.relative_to(corpus).parts, f.name))
    if not files:
        raise SystemExit(f"no .sql files under {corpus}")
    into.write_text("".join(f.read_text(encoding="utf-8") + "\n" for f in files), encoding="utf-8")
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        migration = Path(folder) / "corpus.sql"
        files = concatenate(args.corpus, migration)
        size = migration.stat().st_size / 1e3
        print(f"corpus: {files} files in one migration, {size:.0f} KB; {args.runs} runs each, alternated")
        compare_with_squawk(migration, args.runs)


if __name__ == "__main__":
    main()
