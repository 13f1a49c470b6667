"""unique-without-index: primary keys and unique constraints on existing tables reuse a concurrent index."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.effects import constraint_name
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.rules._locks import existing_table_commands
from checker.rules._schema_support import column_there
from checker.rules.base import Example, Issue, Rule

_KEYS = {"CONSTR_PRIMARY": "primary key", "CONSTR_UNIQUE": "unique"}


def check(ctx: RuleContext) -> Iterator[Issue]:
    for step, table, cmd in existing_table_commands(ctx):
        if cmd.get("subtype") not in ("AT_AddConstraint", "AT_AddColumn"):
            continue
        column = cmd["def"].get("ColumnDef", {}).get("colname")
        if cmd.get("missing_ok") and column and column_there(ctx, table, column, step.statement):
            continue  # ADD COLUMN IF NOT EXISTS of a column that is there: PostgreSQL skips it whole
        for con in find_nodes(cmd["def"], "Constraint"):
            if con.get("contype") in _KEYS and not con.get("indexname"):
                columns = [column] if column else strings(con.get("keys"))
                yield _issue(step.statement, table, con, column, columns)


def _issue(statement, table, con: dict, column: str | None, columns: list[str]) -> Issue:
    shown, kind = table.qualified, _KEYS[con["contype"]]
    name = constraint_name(table, con, column)
    index = f"{name}_idx"
    return Issue(
        statement,
        f"{kind} {name} on {shown}, which existed before this migration, builds its unique index "
        "while holding ACCESS EXCLUSIVE: every read and write of the table waits for the whole build",
        f"create unique index concurrently {index} on {shown} ({', '.join(columns)}); (outside a "
        f"transaction block), then: alter table {shown} add constraint {name} {kind} using index {index};",
        con.get("location"),
        shown,
    )


_BASELINE = "create table public.users (id uuid primary key, email text);\n"

RULE = Rule(
    id="unique-without-index",
    severity=Severity.ERROR,
    summary="Primary keys and unique constraints on existing tables attach an index built concurrently",
    rationale=(
        "ADD PRIMARY KEY and ADD UNIQUE build a unique index while the table is locked ACCESS "
        "EXCLUSIVE, so nothing reads or writes it for the whole build (a new column declared "
        "PRIMARY KEY or UNIQUE does the same). Build the index first with CREATE UNIQUE INDEX "
        "CONCURRENTLY (outside a transaction block; see index-concurrently), then attach it with "
        "ADD CONSTRAINT ... USING INDEX, which only takes the lock for a catalog change. Tables the "
        "migration created are empty and exempt."
    ),
    bad=Example(
        "begin;\nalter table public.users add constraint users_email_key unique (email);\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "create unique index concurrently users_email_key_idx on public.users (email);\n"
        "begin;\nalter table public.users add constraint users_email_key\n"
        "  unique using index users_email_key_idx;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
