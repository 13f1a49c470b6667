"""add-column-required: a NOT NULL column added to an existing table brings a value for its rows."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.effects import NOT_NULL_CONSTRAINTS
from checker.model.objects import SERIAL_TYPES, type_name
from checker.rules._locks import existing_table_commands
from checker.rules._schema_support import column_there
from checker.rules.base import Example, Issue, Rule

# What gives the existing rows a value.
_FILLS = frozenset({"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"})


def check(ctx: RuleContext) -> Iterator[Issue]:
    for step, table, cmd in existing_table_commands(ctx):
        coldef = cmd.get("def", {}).get("ColumnDef", {}) if cmd.get("subtype") == "AT_AddColumn" else {}
        kinds = {c.get("Constraint", {}).get("contype") for c in coldef.get("constraints", [])}
        if not kinds & NOT_NULL_CONSTRAINTS or kinds & _FILLS or _is_serial(coldef):
            continue
        name, shown = coldef.get("colname", ""), table.qualified
        if cmd.get("missing_ok") and column_there(ctx, table, name, step.statement):
            continue  # ADD COLUMN IF NOT EXISTS of a column that is there: skipped whole
        yield Issue(
            step.statement,
            f"column {shown}.{name} is added NOT NULL without a default: the migration fails on a table "
            "that has rows (\"column contains null values\"), as production's has, while it passes on "
            "a fresh database whose tables are empty",
            f"add it with a default for the existing rows (alter table {shown} add column {name} ... "
            "not null default ...;, a constant default is instant), or add it nullable, fill it, then "
            "set not null (see set-not-null)",
            coldef.get("location"),
            shown,
        )


def _is_serial(coldef: dict) -> bool:
    """serial and bigserial fill each row from their sequence (add-column-volatile-default: a rewrite)."""
    return type_name(coldef.get("typeName", {})) in SERIAL_TYPES


_BASELINE = "create table public.tasks (id bigint primary key, title text);\n"

RULE = Rule(
    id="add-column-required",
    severity=Severity.ERROR,
    summary="NOT NULL columns added to existing tables have a default for the rows already there",
    rationale=(
        "ALTER TABLE ... ADD COLUMN ... NOT NULL (or PRIMARY KEY) without a DEFAULT gives the existing "
        "rows null, which the constraint refuses: the migration fails with \"column contains null "
        "values\" on any table that has rows. It passes `supabase db reset` and a fresh CI database, "
        "whose tables are empty, and fails on production's. A default fills the rows (a constant one "
        "without a rewrite since PostgreSQL 11); identity and generated columns fill themselves. Tables "
        "the migration created are exempt, as for the lock rules; so is ADD COLUMN IF NOT EXISTS of a "
        "column that is already there, which PostgreSQL skips."
    ),
    bad=Example(
        "begin;\nalter table public.tasks add column position integer not null;\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nalter table public.tasks add column position integer not null default 0;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
