"""Wall time and peak RSS of `checker lint` against squawk on one generated, representative migration.

    python bench/lint_vs_squawk.py [--statements 12000] [--runs 5] [--linearity]
    python bench/lint_vs_squawk.py --measure ../shared/corpus   # re-measure CORPUS_SHARES

The generator writes the statement kinds in the proportions measured (with pglast) on a corpus of
real Supabase migrations (CORPUS_SHARES below), with function bodies shaped like real ones:
PL/pgSQL with DECLARE / IF / SELECT INTO / INSERT / RETURN NEW, trigger functions, SECURITY DEFINER
functions with SET search_path, DO blocks guarding CREATE TYPE, views, grants and comments.
Both tools run as child processes of this script, alternately; medians are compared.
Targets: checker's wall time <= squawk's (ratio <= 1.0), its peak RSS <= 2x squawk's.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import alternated, compare_with_squawk, print_samples, tool

# Statements per kind in ../shared/corpus (238 files, 2,476 statements), measured with
# `--measure`: libpg_query node kinds, ALTER TABLE split by its first command, functions by language.
CORPUS_STATEMENTS = 2476
CORPUS_SHARES: dict[str, int] = {
    "CreatePolicyStmt": 553,
    "IndexStmt": 402,
    "DropStmt": 218,
    "CreateStmt": 139,
    "AlterTable:AT_EnableRowSecurity": 138,
    "CommentStmt": 129,
    "Function:plpgsql": 127,
    "TransactionStmt": 110,
    "AlterTable:AT_AddColumn": 105,
    "GrantStmt": 100,
    "CreateTrigStmt": 98,
    "DoStmt": 63,
    "AlterTable:AT_AddConstraint": 59,
    "UpdateStmt": 37,
    "Function:sql": 32,
    "AlterTable:AT_DropConstraint": 31,
    "InsertStmt": 23,
    "AlterOwnerStmt": 23,
    "VariableSetStmt": 12,
    "AlterTable:AT_ChangeOwner": 9,
    "CreateEnumStmt": 7,
    "ViewStmt": 7,
    "AlterTable:AT_DropColumn": 7,
    "AlterTable:AT_DropNotNull": 7,
    "AlterEnumStmt": 7,
    "AlterTable:AT_ColumnDefault": 6,
    "AlterTable:AT_SetNotNull": 4,
    # Kinds below 0.2% (SelectStmt 4, CreateExtensionStmt 4, AlterPublicationStmt 4, ...: 20 in all)
    # are left out.
}
TABLES_IN_CORPUS = CORPUS_SHARES["CreateStmt"]  # the generator writes one block per table

Counts = dict[str, int]  # statements of each kind in the block
# (table number, occurrence in the block, block counts) -> one statement
Template = Callable[[int, int, Counts], str]


def _table(i: int, _: int, counts: Counts) -> str:
    parent = f"public.t{i - 1}" if i else "public.accounts"
    return (
        f"create table if not exists public.t{i} (\n"
        "  id uuid primary key default gen_random_uuid(),\n"
        "  user_id uuid not null references auth.users (id) on delete cascade,\n"
        f"  parent_id uuid references {parent} (id) on delete set null,\n"
        "  status text not null default 'new' check (status in ('new', 'active', 'done')),\n"
        "  amount numeric(12, 2) not null default 0 check (amount >= 0),\n"
        "  note text,\n"
        "  created_at timestamptz not null default now(),\n"
        "  updated_at timestamptz not null default now()\n);"
    )


_INDEX_COLUMNS = ("user_id", "parent_id", "status, created_at desc", "created_at", "lower(note)")


def _index(i: int, j: int, counts: Counts) -> str:
    columns = _INDEX_COLUMNS[j % len(_INDEX_COLUMNS)]
    name = f"t{i}_{j}_idx"
    where = " where status <> 'done'" if j == 2 else ""
    return f"create index if not exists {name} on public.t{i} using btree ({columns}){where};"


_POLICIES = (
    "for select to authenticated using ((select auth.uid()) = user_id)",
    "for insert to authenticated with check ((select auth.uid()) = user_id)",
    "for update to authenticated using ((select auth.uid()) = user_id) "
    "with check ((select auth.uid()) = user_id)",
    "for delete to authenticated using ((select auth.uid()) = user_id and (select public.is_admin()))",
    "for select to authenticated using (exists (select 1 from public.accounts a "
    "where a.id = parent_id and a.owner_id = (select auth.uid())))",
)


def _policy(i: int, j: int, counts: Counts) -> str:
    return f'create policy "t{i} policy {j}" on public.t{i} {_POLICIES[j % len(_POLICIES)]};'


def _drop(i: int, j: int, counts: Counts) -> str:
    # Corpus: 66% policies, 13% triggers, 10% functions, 9% tables, 2% indexes and views.
    kinds = (
        f'drop policy if exists "t{i} policy {j}" on public.t{i};',
        f'drop policy if exists "t{i} policy {j}" on public.t{i};',
        f"drop trigger if exists t{i}_touch on public.t{i};",
        f'drop policy if exists "t{i} policy {j}" on public.t{i};',
        f"drop function if exists public.t{i}_old_helper(uuid);",
        f'drop policy if exists "t{i} old policy" on public.t{i};',
        f"drop table if exists public.t{i}_legacy;",
        f'drop policy if exists "t{i} policy {j}" on public.t{i};',
    )
    return kinds[j % len(kinds)]


def _enable_rls(i: int, _: int, counts: Counts) -> str:
    return f"alter table public.t{i} enable row level security;"


def _comment(i: int, j: int, counts: Counts) -> str:
    if j % 2:
        return f"comment on column public.t{i}.status is 'Where the row is in its life: new, active, done.';"
    return f"comment on table public.t{i} is 'Rows of kind {i}, owned by the user who created them.';"


def _total_function(counts: Counts, i: int) -> str:
    """The block's SQL function, or the shared one when the block has none."""
    return f"public.t{i}_total(uuid)" if counts["Function:sql"] else "public.owner_total(uuid)"


def _touch_function(counts: Counts, i: int) -> str:
    """The block's trigger function (its first PL/pgSQL function on even blocks), or the shared one."""
    return f"public.t{i}_touch()" if counts["Function:plpgsql"] and i % 2 == 0 else "public.touch()"


def _plpgsql(i: int, j: int, counts: Counts) -> str:
    if (i + j) % 2 == 0:  # a trigger function
        return (
            f"create or replace function public.t{i}_touch()\n returns trigger\n language plpgsql\n"
            " security definer\n set search_path = ''\nas $$\ndeclare\n  v_parent uuid;\nbegin\n"
            "  new.updated_at := now();\n"
            "  if new.parent_id is not null then\n"
            f"    select p.id into v_parent from public.t{max(i - 1, 0)} p where p.id = new.parent_id;\n"
            "    if v_parent is null then\n"
            "      raise exception 'unknown parent %', new.parent_id using errcode = '23503';\n"
            "    end if;\n  end if;\n"
            "  if tg_op = 'INSERT' then\n"
            "    insert into public.audit_log (table_name, row_id, actor, action)\n"
            f"    values ('t{i}', new.id, auth.uid(), tg_op);\n  end if;\n"
            "  return new;\nend;\n$$;"
        )
    return (
        f"create or replace function public.t{i}_close(p_id uuid, p_note text default null)\n"
        " returns integer\n language plpgsql\n security definer\n set search_path = public, pg_temp\n"
        "as $$\ndeclare\n  v_count integer := 0;\n  v_row record;\nbegin\n"
        f"  for v_row in select id from public.t{i} where parent_id = p_id and status <> 'done' loop\n"
        f"    update public.t{i} set status = 'done', note = coalesce(p_note, note) where id = v_row.id;\n"
        "    v_count := v_count + 1;\n  end loop;\n"
        "  return v_count;\nexception when others then\n"
        "  raise warning 'close failed: %', sqlerrm;\n  return 0;\nend;\n$$;"
    )


def _add_column(i: int, j: int, counts: Counts) -> str:
    default = " default 0" if j % 2 else ""
    kind = "integer not null" if j % 2 else "text"
    return f"alter table public.t{i} add column if not exists extra_{j} {kind}{default};"


def _grant(i: int, j: int, counts: Counts) -> str:
    grants = (
        f"grant execute on function {_total_function(counts, i)} to authenticated;",
        f"revoke execute on function {_total_function(counts, i)} from anon;",
        f"grant select, insert, update, delete on table public.t{i} to authenticated;",
    )
    return grants[j % len(grants)]


def _trigger(i: int, _: int, counts: Counts) -> str:
    return (
        f"create trigger t{i}_touch before insert or update on public.t{i}\n"
        f"  for each row execute function {_touch_function(counts, i)};"
    )


def _do_block(i: int, _: int, counts: Counts) -> str:
    return (
        "do $$\nbegin\n"
        f"  if not exists (select 1 from pg_type where typname = 't{i}_kind') then\n"
        f"    create type public.t{i}_kind as enum ('small', 'large');\n"
        "  end if;\nend\n$$;"
    )


def _add_constraint(i: int, j: int, counts: Counts) -> str:
    return f"alter table public.t{i} add constraint t{i}_amount_{j}_check check (amount < 1000000 + {j});"


def _update(i: int, _: int, counts: Counts) -> str:
    stale = "created_at < now() - interval '1 day'"
    return f"update public.t{i} set status = 'active' where status = 'new' and {stale};"


def _sql_function(i: int, _: int, counts: Counts) -> str:
    return (
        f"create or replace function public.t{i}_total(p_user uuid)\n returns numeric\n language sql\n"
        " stable\n security definer\n set search_path = ''\nas $$\n"
        f"  select coalesce(sum(t.amount), 0) from public.t{i} t\n"
        "  join public.accounts a on a.id = t.parent_id\n"
        "  where t.user_id = p_user and t.status <> 'done'\n$$;"
    )


def _drop_constraint(i: int, j: int, counts: Counts) -> str:
    return f"alter table public.t{i} drop constraint if exists t{i}_amount_{j}_check;"


def _insert(i: int, _: int, counts: Counts) -> str:
    return (
        "insert into public.audit_log (table_name, row_id, actor, action)\n"
        f"  select 't{i}', id, user_id, 'backfill' from public.t{i} on conflict do nothing;"
    )


def _alter_owner(i: int, _: int, counts: Counts) -> str:
    return f"alter function {_total_function(counts, i)} owner to postgres;"


def _set(_: int, j: int, counts: Counts) -> str:
    return "set lock_timeout = '5s';" if j % 2 == 0 else "set statement_timeout = '60s';"


def _table_owner(i: int, _: int, counts: Counts) -> str:
    return f"alter table public.t{i} owner to postgres;"


def _enum(i: int, _: int, counts: Counts) -> str:
    return f"create type public.t{i}_state as enum ('draft', 'live', 'archived');"


def _view(i: int, _: int, counts: Counts) -> str:
    return (
        f"create or replace view public.t{i}_summary with (security_invoker = true) as\n"
        f"  select user_id, status, count(*) as items, sum(amount) as total\n"
        f"  from public.t{i} group by user_id, status;"
    )


def _drop_column(i: int, j: int, counts: Counts) -> str:
    return f"alter table public.t{i} drop column if exists extra_{j};"


def _drop_not_null(i: int, _: int, counts: Counts) -> str:
    return f"alter table public.t{i} alter column note drop not null;"


def _alter_enum(i: int, _: int, counts: Counts) -> str:
    kind = f"public.t{i}_kind" if counts["DoStmt"] else "public.item_kind"
    return f"alter type {kind} add value if not exists 'medium';"


def _column_default(i: int, _: int, counts: Counts) -> str:
    return f"alter table public.t{i} alter column note set default '';"


def _set_not_null(i: int, _: int, counts: Counts) -> str:
    return f"alter table public.t{i} alter column note set not null;"


# The order statements take inside one table's block (each needs only what comes before it).
TEMPLATES: dict[str, Template] = {
    "VariableSetStmt": _set,
    "DropStmt": _drop,
    "DoStmt": _do_block,
    "CreateEnumStmt": _enum,
    "CreateStmt": _table,
    "AlterTable:AT_ChangeOwner": _table_owner,
    "AlterTable:AT_AddColumn": _add_column,
    "AlterTable:AT_DropColumn": _drop_column,
    "AlterTable:AT_AddConstraint": _add_constraint,
    "AlterTable:AT_DropConstraint": _drop_constraint,
    "AlterTable:AT_DropNotNull": _drop_not_null,
    "AlterTable:AT_ColumnDefault": _column_default,
    "AlterTable:AT_SetNotNull": _set_not_null,
    "AlterEnumStmt": _alter_enum,
    "IndexStmt": _index,
    "AlterTable:AT_EnableRowSecurity": _enable_rls,
    "CreatePolicyStmt": _policy,
    "Function:plpgsql": _plpgsql,
    "Function:sql": _sql_function,
    "CreateTrigStmt": _trigger,
    "GrantStmt": _grant,
    "AlterOwnerStmt": _alter_owner,
    "CommentStmt": _comment,
    "ViewStmt": _view,
    "UpdateStmt": _update,
    "InsertStmt": _insert,
}

PREAMBLE = """begin;
create table if not exists public.accounts (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id)
);
create table if not exists public.audit_log (
  id bigint generated always as identity primary key,
  table_name text not null, row_id uuid, actor uuid, action text not null,
  at timestamptz not null default now()
);
create or replace function public.is_admin()
 returns boolean
 language sql
 stable
 security definer
 set search_path = ''
as $$
  select coalesce((select auth.jwt() ->> 'role') = 'admin', false)
$$;
create or replace function public.owner_total(p_user uuid)
 returns bigint
 language sql
 stable
as $$
  select count(*) from public.audit_log l where l.actor = p_user
$$;
create or replace function public.touch()
 returns trigger
 language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
create type public.item_kind as enum ('small', 'large');
alter table public.accounts enable row level security;
alter table public.audit_log enable row level security;"""


def _count_in_block(kind: str, block: int) -> int:
    """How many statements of a kind block `block` gets: spread evenly, exact over many blocks
    (BEGIN / COMMIT count as one pair)."""
    rate = CORPUS_SHARES[kind] / TABLES_IN_CORPUS / (2 if kind == "TransactionStmt" else 1)
    return int((block + 1) * rate) - int(block * rate)


def _block(i: int) -> list[str]:
    counts = {kind: _count_in_block(kind, i) for kind in TEMPLATES}
    # Every statement runs in a transaction, as in the corpus: a new one starts before some blocks.
    lines = ["commit;", "begin;"] if _count_in_block("TransactionStmt", i) else []
    for kind, count in counts.items():
        lines += [TEMPLATES[kind](i, j, counts) for j in range(count)]
    return lines


def generate(path: Path, statements: int) -> int:
    """A migration of about `statements` statements, one block per table; returns the count."""
    lines = [PREAMBLE]
    count = 9
    block = 0
    while count < statements:
        written = _block(block)
        lines += written
        count += len(written)
        block += 1
    path.write_text("\n".join([*lines, "commit;"]) + "\n")
    return count + 1


def measure(corpus: Path) -> None:
    """Print the statement kinds of a corpus as CORPUS_SHARES counts them."""
    from pglast import parser as pg

    shares: collections.Counter[str] = collections.Counter()
    for file in sorted(corpus.rglob("*.sql")):
        for raw in json.loads(pg.parse_sql_json(file.read_text())).get("stmts", []):
            ((kind, node),) = raw["stmt"].items()
            shares[_measured_kind(kind, node)] += 1
    total = sum(shares.values())
    print(f"{total} statements")
    for kind, count in shares.most_common():
        print(f"    {kind!r}: {count},  # {100 * count / total:.1f}%")


def _measured_kind(kind: str, node: dict) -> str:
    if kind == "AlterTableStmt" and node.get("objtype") in (None, "OBJECT_TABLE"):
        commands = [c["AlterTableCmd"].get("subtype") for c in node.get("cmds", [])]
        return f"AlterTable:{commands[0] if commands else ''}"
    if kind == "CreateFunctionStmt":
        options = [o["DefElem"] for o in node.get("options", [])]
        language = [o["arg"]["String"]["sval"] for o in options if o["defname"] == "language"]
        return f"Function:{language[0] if language else ''}"
    return kind


def linearity(folder: Path, statements: int, runs: int) -> None:
    """Seconds per statement of `checker lint` at half and full size (flat when the cost is linear)."""
    commands = {}
    sizes = {}
    for size in (statements // 2, statements):
        path = folder / f"size_{size}.sql"
        sizes[f"checker lint {size}"] = generate(path, size)
        commands[f"checker lint {size}"] = [tool("checker"), "lint", str(path)]
    samples = alternated(commands, runs, cwd=folder)
    print_samples(samples)
    per = [samples[label].seconds / sizes[label] * 1e6 for label in commands]
    print(f"microseconds per statement: {per[0]:.1f} (half size), {per[1]:.1f} (full size)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=12_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--linearity", action="store_true", help="also time half the size")
    parser.add_argument("--measure", type=Path, help="print the statement shares of a corpus and stop")
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as folder:
        migration = Path(folder) / "large_migration.sql"
        count = generate(migration, args.statements)
        size = migration.stat().st_size / 1e6
        print(f"migration: {count} statements, {size:.2f} MB; {args.runs} runs each, alternated")
        compare_with_squawk(migration, args.runs)
        if args.linearity:
            linearity(Path(folder), args.statements, args.runs)


if __name__ == "__main__":
    main()
