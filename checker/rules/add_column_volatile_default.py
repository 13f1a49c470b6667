"""add-column-volatile-default: a new column on an existing table is not written into every row."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._locks import existing_table_commands, volatile_default
from checker.rules._schema_support import column_there
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for step, table, cmd in existing_table_commands(ctx):
        coldef = cmd.get("def", {}).get("ColumnDef", {})
        why = volatile_default(coldef) if cmd.get("subtype") == "AT_AddColumn" else None
        name, shown = coldef.get("colname", ""), table.qualified
        if why and cmd.get("missing_ok") and column_there(ctx, table, name, step.statement):
            continue  # ADD COLUMN IF NOT EXISTS of a column that is there: skipped whole, no rewrite
        if why:
            yield Issue(
                step.statement,
                f"column {shown}.{name} is added with {why}: PostgreSQL rewrites the whole table "
                f"under ACCESS EXCLUSIVE, and every read and write of {shown} waits until the "
                "transaction ends",
                f"add the column without the default (alter table {shown} add column {name} ...;), "
                f"set the default for new rows (alter table {shown} alter column {name} set default "
                "...;), then fill the existing rows in batches of UPDATEs; constant and stable "
                "defaults (now(), 'x', 0) take the fast path and need none of this",
                coldef.get("location"),
                shown,
            )


_BASELINE = "create table public.users (id bigint primary key, email text);\n"

RULE = Rule(
    id="add-column-volatile-default",
    severity=Severity.ERROR,
    summary="Columns added to existing tables have no volatile default (no table rewrite)",
    rationale=(
        "Since PostgreSQL 11, ADD COLUMN with a constant or stable default (a literal, now(), "
        "current_timestamp) only records the default in the catalog: instant. A volatile default "
        "(gen_random_uuid(), uuid_generate_v4(), random(), clock_timestamp(), nextval()), a serial "
        "or identity column and a stored generated column need a value computed per row, so "
        "PostgreSQL rewrites the table while holding ACCESS EXCLUSIVE: no reads or writes until it "
        "is done. Add the column bare, give it the default for new rows, and backfill in batches. "
        "Functions the checker cannot classify are not reported (the dynamic stage's lock trace "
        "shows the rewrite); tables the migration created are exempt."
    ),
    bad=Example(
        "begin;\nalter table public.users add column api_key uuid default gen_random_uuid();\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nalter table public.users add column api_key uuid;\n"
        "alter table public.users alter column api_key set default gen_random_uuid();\n"
        "alter table public.users add column created_at timestamptz not null default now();\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
