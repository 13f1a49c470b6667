"""Wall time of `checker lint` against squawk on the same generated migration (>= 10,000 statements).

    python bench/lint_vs_squawk.py [--statements 10000] [--runs 5]

Both run as child processes of this script, alternately, and the medians are compared.
Target: checker's wall time <= squawk's (ratio <= 1.0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_of, tool

STATEMENTS_PER_TABLE = 5


def generate(path: Path, statements: int) -> int:
    """A Supabase-style migration: tables with FKs, indexes, RLS and policies, in one transaction."""
    lines = ["begin;"]
    for i in range(max(1, -(-(statements - 2) // STATEMENTS_PER_TABLE))):  # ceiling: at least `statements`
        lines += [
            f"create table public.item_{i} (id uuid primary key default gen_random_uuid(), "
            f"user_id uuid not null references auth.users (id) on delete cascade, "
            f"quantity integer not null check (quantity > 0), note text, "
            f"created_at timestamptz default now());",
            f"create index item_{i}_user_id_idx on public.item_{i} (user_id);",
            f"alter table public.item_{i} enable row level security;",
            f"create policy item_{i}_owner on public.item_{i} for select to authenticated "
            f"using ((select auth.uid()) = user_id);",
            f"create policy item_{i}_service on public.item_{i} for all to service_role "
            f"using (true) with check (true);",
        ]
    lines.append("commit;")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        migration = Path(folder) / "large_migration.sql"
        count = generate(migration, args.statements)
        ours = median_of([tool("checker"), "lint", str(migration)], args.runs, cwd=Path(folder))
        peer = median_of([tool("squawk"), str(migration)], args.runs, cwd=Path(folder))
    print(f"migration: {count} statements, {args.runs} runs each (median wall time)")
    print(f"{'tool':<16}{'seconds':>10}{'peak RSS MiB':>14}")
    print(f"{'checker lint':<16}{ours.seconds:>10.3f}{ours.max_rss_kb / 1024:>14.1f}")
    print(f"{'squawk':<16}{peer.seconds:>10.3f}{peer.max_rss_kb / 1024:>14.1f}")
    ratio = ours.seconds / peer.seconds
    print(f"ratio checker/squawk: {ratio:.2f} (target <= 1.00: {'met' if ratio <= 1.0 else 'NOT met'})")


if __name__ == "__main__":
    main()
