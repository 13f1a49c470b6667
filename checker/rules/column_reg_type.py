"""column-reg-type: table columns never store reg* types that pg_upgrade cannot carry over."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._schema_support import declared_column_types, relation_of
from checker.rules.base import Example, Issue, Rule

# OID-holding types whose values pg_upgrade cannot translate (regclass, regtype and regrole it can).
UNSUPPORTED = frozenset(
    {
        "regcollation",
        "regconfig",
        "regdictionary",
        "regnamespace",
        "regoper",
        "regoperator",
        "regproc",
        "regprocedure",
    }
)
_TABLE_STATEMENTS = {"CreateStmt": "relation", "AlterTableStmt": "relation"}


def check(ctx: RuleContext) -> Iterator[Issue]:
    for statement in ctx.migration.statements:
        key = _TABLE_STATEMENTS.get(statement.kind)
        if key is None:
            continue
        table = relation_of(statement).qualified
        for column in declared_column_types(statement):
            names = column.type_names
            type_ = names[-1] if names else ""
            if type_ in UNSUPPORTED and (len(names) == 1 or names[0] == "pg_catalog"):
                yield Issue(
                    statement,
                    f"column {table}.{column.column} has type {type_}: it stores an OID, which "
                    "pg_upgrade cannot carry over, so the project can no longer be upgraded in place",
                    f"store the object's name instead (text, or {type_}::text when written), and look it "
                    "up with to_regproc / to_regnamespace when read",
                    column.location,
                    f"{table}.{column.column}",
                )


RULE = Rule(
    id="column-reg-type",
    severity=Severity.WARNING,
    summary="Table columns do not use reg* types pg_upgrade cannot carry over (regproc, regnamespace, ...)",
    rationale=(
        "Values of regproc, regprocedure, regoper, regoperator, regconfig, regdictionary, "
        "regnamespace and regcollation are object identifiers (OIDs). pg_upgrade keeps table data "
        "as it is but not the OIDs of these objects, so it refuses to upgrade a database with "
        "such a column outside pg_catalog, and Supabase cannot move the project to a newer "
        "PostgreSQL in place. regclass, regtype and regrole are preserved and allowed. Store names "
        "as text instead."
    ),
    bad=Example("begin;\ncreate table public.hooks (id bigint primary key, handler regproc);\ncommit;\n"),
    good=Example("begin;\ncreate table public.hooks (id bigint primary key, handler text);\ncommit;\n"),
    check=check,
    mirrors=("0018_unsupported_reg_types",),
)
