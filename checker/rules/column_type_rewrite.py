"""column-type-rewrite: a column type change that rewrites an existing table under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.objects import type_name
from checker.rules._locks import alter_table_steps, form_rewrites
from checker.rules._schema_support import has_command, table_commands
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for step, table in alter_table_steps(ctx):
        if not has_command(step.statement, "AT_AlterColumnType"):
            continue
        retyped = [
            cmd
            for cmd in table_commands(step.statement)
            if cmd.get("subtype") == "AT_AlterColumnType" and form_rewrites(ctx, table, cmd)
        ]
        if table in step.locks and retyped:  # one finding per statement, at its first rewriting form
            cmd, shown = retyped[0], table.qualified
            coldef = cmd["def"]["ColumnDef"]
            yield Issue(
                step.statement,
                f"changes the type of {shown}.{cmd.get('name')} to {type_name(coldef['typeName'])}: "
                f"PostgreSQL rewrites {shown} and rebuilds its indexes under ACCESS EXCLUSIVE (every read "
                "and write waits until the transaction ends); existing values can fail to convert or lose "
                "precision, and API clients see a new type",
                "expand and contract: add a column of the new type, fill it in batches (and keep it in "
                "step with a trigger), switch readers, then drop the old column in a later release; "
                "varchar(n) to text or to a longer varchar, and numeric to more precision at the same "
                "scale, need no rewrite",
                coldef.get("location"),
                shown,
            )


_BASELINE = "create table public.orders (id integer primary key, note varchar(40));\n"

RULE = Rule(
    id="column-type-rewrite",
    severity=Severity.ERROR,
    summary="Column type changes on existing tables do not rewrite the table",
    rationale=(
        "ALTER COLUMN ... TYPE takes ACCESS EXCLUSIVE and, unless the old type converts to the new "
        "one without a function (binary coercible), rewrites every row and rebuilds every index of "
        "the table: on a large table the site waits minutes. integer to bigint, text to jsonb and "
        "a USING clause that computes the value rewrite (USING the column cast to the new type, as "
        "`supabase db diff` writes it, is the conversion PostgreSQL makes anyway); varchar(n) to "
        "text, to varchar without a limit or to a longer varchar(m), and numeric(p, s) to "
        "numeric(p2 >= p, s) or to plain numeric, and text or varchar to citext and back (citext "
        "declares those casts WITHOUT FUNCTION) do not (they "
        "still take the lock briefly, see lock-timeout). A change the model cannot decide (the "
        "column's old type unknown) is reported only when no old type could avoid the rewrite. "
        "The data-loss side of a type change is part of this finding, so destructive-change does "
        "not report the same statement again. Tables the migration created are exempt."
    ),
    bad=Example(
        "begin;\nalter table public.orders alter column id type bigint;\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nalter table public.orders alter column note type varchar(200);\n"
        "alter table public.orders alter column note type text;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
