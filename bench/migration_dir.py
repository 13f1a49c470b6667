"""`checker lint DIR` on a directory of 300 migration files, against squawk on the same files.

    python bench/migration_dir.py [--files 300] [--runs 5]

Each file is a typical Supabase migration (a table with a foreign key to the previous file's table, an
index, RLS, two policies, a function), so every file is checked against the model of all before it.
Target: about a second or less for 300 files; the ratio to squawk is printed for scale.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_of, tool

POLICY = 'transaction = "runner"\n'


def migration(i: int) -> str:
    parent = f"public.entry_{i - 1}" if i else "auth.users"
    return "\n".join(
        [
            f"create table public.entry_{i} (",
            "  id uuid primary key default gen_random_uuid(),",
            "  user_id uuid not null references auth.users (id) on delete cascade,",
            f"  parent_id uuid references {parent} (id),",
            "  body text not null,",
            "  created_at timestamptz not null default now()",
            ");",
            f"create index entry_{i}_user_id_idx on public.entry_{i} (user_id);",
            f"create index entry_{i}_parent_id_idx on public.entry_{i} (parent_id);",
            f"alter table public.entry_{i} enable row level security;",
            f"create policy entry_{i}_owner_read on public.entry_{i} for select to authenticated",
            "  using ((select auth.uid()) = user_id);",
            f"create policy entry_{i}_owner_write on public.entry_{i} for insert to authenticated",
            "  with check ((select auth.uid()) = user_id);",
            f"create function public.entry_{i}_count() returns bigint language sql stable",
            f"  set search_path = '' as $$ select count(*) from public.entry_{i} $$;",
            "",
        ]
    )


def generate(folder: Path, files: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(files):
        path = folder / f"2024{i:010d}_entry_{i}.sql"
        path.write_text(migration(i))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        paths = generate(root / "migrations", args.files)
        (root / "policy.toml").write_text(POLICY)
        ours = median_of(
            [tool("checker"), "lint", "--config", "policy.toml", "migrations"], args.runs, cwd=root
        )
        peer = median_of([tool("squawk"), *(str(p) for p in paths)], args.runs, cwd=root)
    print(f"directory: {args.files} migration files, {args.runs} runs each (median wall time)")
    print(f"{'tool':<16}{'seconds':>10}{'peak RSS MiB':>14}")
    print(f"{'checker lint':<16}{ours.seconds:>10.3f}{ours.max_rss_kb / 1024:>14.1f}")
    print(f"{'squawk':<16}{peer.seconds:>10.3f}{peer.max_rss_kb / 1024:>14.1f}")
    print(f"ratio checker/squawk: {ours.seconds / peer.seconds:.2f}")
    print(f"target about 1 s for {args.files} files: {'met' if ours.seconds <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
