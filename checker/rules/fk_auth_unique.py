"""fk-auth-unique: foreign keys into the auth schema reference its primary keys, not unique constraints."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.objects import range_var
from checker.rules._schema_support import declared_foreign_keys, relation_of
from checker.rules.base import Example, Issue, Rule

# Every table of GoTrue's auth schema is keyed by its `id` column.
AUTH_PRIMARY_KEY = ["id"]


def check(ctx: RuleContext) -> Iterator[Issue]:
    for statement in ctx.migration.statements:
        if statement.kind not in ("CreateStmt", "AlterTableStmt"):
            continue
        table = relation_of(statement).qualified
        for key in declared_foreign_keys(statement):
            target, columns = range_var(key.target), key.columns
            if target.schema == "auth" and columns and columns != AUTH_PRIMARY_KEY:
                yield Issue(
                    statement,
                    f"a foreign key of {table} references {target.qualified}({', '.join(columns)}), a unique "
                    "constraint of Supabase Auth: Auth's own migrations may change or drop it, and then "
                    "they fail or the key breaks",
                    f"reference {target.qualified}(id) and read the other columns through it",
                    key.location,
                    table,
                )


RULE = Rule(
    id="fk-auth-unique",
    severity=Severity.ERROR,
    summary="Foreign keys into the auth schema reference the primary key (id), not a unique constraint",
    rationale=(
        "The auth schema belongs to Supabase Auth (GoTrue), which changes its own tables in its "
        "migrations. A foreign key from a project's table onto one of Auth's unique constraints "
        "(auth.users(phone)) depends on an index Auth may replace or drop: its "
        "migration then fails or the project's key stops meaning what it meant. Only the primary "
        "key `id` is a stable target."
    ),
    bad=Example(
        "begin;\ncreate table public.invites (\n  id bigint primary key,\n"
        "  phone text references auth.users (phone)\n);\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate table public.invites (\n  id bigint primary key,\n"
        "  user_id uuid references auth.users (id)\n);\ncommit;\n"
    ),
    check=check,
    mirrors=("0021_fkey_to_auth_unique",),
)
