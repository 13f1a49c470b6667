"""foreign-table-in-api: foreign tables in exposed schemas are not readable by the API roles."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._exposed_relation import unguarded_relations
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    yield from unguarded_relations(
        ctx, "foreign table", "foreign tables have no row level security: the remote rows are served"
    )


RULE = Rule(
    id="foreign-table-in-api",
    severity=Severity.WARNING,
    summary="Foreign tables in exposed schemas are not selectable by anon or authenticated",
    rationale=(
        "A foreign table (postgres_fdw, Supabase's wrappers) reads rows from another system with "
        "the credentials of its user mapping; PostgreSQL cannot put row level security on it. In "
        "an exposed schema Supabase's default privileges grant it to anon and authenticated, so "
        "the API hands every remote row to every caller. Keep foreign tables in a private schema, "
        "or revoke SELECT from anon and authenticated in the same migration."
    ),
    bad=Example(
        "begin;\ncreate foreign table public.stripe_customers (id text, email text)\n"
        "  server stripe_server options (object 'customers');\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate schema if not exists private;\n"
        "create foreign table private.stripe_customers (id text, email text)\n"
        "  server stripe_server options (object 'customers');\ncommit;\n"
    ),
    check=check,
    mirrors=("0017_foreign_table_in_api",),
)
