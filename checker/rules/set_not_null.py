"""set-not-null: SET NOT NULL on an existing column goes through a validated check constraint first."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.effects import constraint_name
from checker.model.objects import strings
from checker.rules._locks import Step, alter_table_steps
from checker.rules._schema_support import has_command, table_commands
from checker.rules.base import Example, Issue, Rule

_FORMS = ("AT_AddConstraint", "AT_ValidateConstraint", "AT_DropNotNull", "AT_SetNotNull")


def check(ctx: RuleContext) -> Iterator[Issue]:
    pending: dict[tuple[ObjectRef, str], str] = {}  # NOT VALID `col is not null` checks -> column
    proven: set[ObjectRef] = set()  # columns a valid check constraint proves not null
    released: set[ObjectRef] = set()  # columns the migration dropped NOT NULL of
    for step, table in alter_table_steps(ctx):
        if not has_command(step.statement, *_FORMS):
            continue
        for cmd in table_commands(step.statement):
            subtype = cmd.get("subtype")
            con = cmd.get("def", {}).get("Constraint", {})
            column = _not_null_check(con) if subtype == "AT_AddConstraint" else None
            if column:
                ref = ObjectRef("column", table.schema, column, table.name)
                if con.get("skip_validation"):
                    pending[(table, constraint_name(table, con, None))] = column
                else:
                    proven.add(ref)
            elif subtype == "AT_ValidateConstraint" and (table, cmd.get("name", "")) in pending:
                proven.add(ObjectRef("column", table.schema, pending[(table, cmd["name"])], table.name))
            elif subtype == "AT_DropNotNull":
                released.add(ObjectRef("column", table.schema, cmd.get("name", ""), table.name))
            elif subtype == "AT_SetNotNull":
                ref = ObjectRef("column", table.schema, cmd.get("name", ""), table.name)
                already = ref not in released and ctx.before.is_not_null(ref)
                if table in step.locks and ref not in step.new_columns and ref not in proven and not already:
                    yield _issue(step, ref)


def _not_null_check(con: dict) -> str | None:
    """The column of a `check (col is not null)` constraint."""
    test = con.get("raw_expr", {}).get("NullTest", {}) if con.get("contype") == "CONSTR_CHECK" else {}
    fields = strings(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
    return fields[-1] if test.get("nulltesttype") == "IS_NOT_NULL" and fields else None


def _issue(step: Step, column: ObjectRef) -> Issue:
    table, name = column.table_ref.qualified, column.name  # type: ignore[union-attr]
    check_name = f"{column.table}_{name}_not_null"
    return Issue(
        step.statement,
        f"set not null on {table}.{name}, a column that existed before this migration, scans the whole "
        f"table under ACCESS EXCLUSIVE: every read and write of {table} waits until the transaction ends",
        f"alter table {table} add constraint {check_name} check ({name} is not null) not valid; commit; "
        f"then in a later transaction: alter table {table} validate constraint {check_name}; "
        f"alter table {table} alter column {name} set not null; alter table {table} drop constraint "
        f"{check_name}; (PostgreSQL 12+ skips the scan when a valid check constraint proves the column "
        "not null)",
        None,
        table,
    )


_BASELINE = "create table public.users (id uuid primary key, email text);\n"

RULE = Rule(
    id="set-not-null",
    severity=Severity.ERROR,
    summary="SET NOT NULL on an existing column is proven first by a validated NOT VALID check constraint",
    rationale=(
        "ALTER COLUMN ... SET NOT NULL takes ACCESS EXCLUSIVE and scans the whole table to prove no "
        "row is null: on a large table every query waits for the scan. Since PostgreSQL 12 the scan "
        "is skipped when a valid check constraint `col is not null` already proves it, and such a "
        "constraint can be added NOT VALID (instant) and validated in a later transaction under "
        "SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes. The checker follows that "
        "sequence through the migration (and its transactions), and exempts tables and columns the "
        "migration created (a column added and filled in the same migration is reported by the "
        "lock trace of the dynamic stage, not here), and a column of the table's primary key, NOT NULL "
        "already (nothing is scanned), unless the migration dropped its NOT NULL first."
    ),
    bad=Example(
        "begin;\nalter table public.users alter column email set not null;\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nalter table public.users add constraint users_email_not_null\n"
        "  check (email is not null) not valid;\ncommit;\n"
        "begin;\nalter table public.users validate constraint users_email_not_null;\n"
        "alter table public.users alter column email set not null;\n"
        "alter table public.users drop constraint users_email_not_null;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
