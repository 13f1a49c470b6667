"""materialized-view-in-api: materialized views in exposed schemas are not readable by the API roles."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._exposed_relation import unguarded_relations
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    yield from unguarded_relations(
        ctx, "materialized view", "materialized views have no row level security: every row is served"
    )


RULE = Rule(
    id="materialized-view-in-api",
    severity=Severity.WARNING,
    summary="Materialized views in exposed schemas are not selectable by anon or authenticated",
    rationale=(
        "A materialized view stores the rows its query returned when it was last refreshed, read "
        "with its owner's rights, and PostgreSQL has no row level security for it. Supabase's "
        "default privileges grant every new relation in an exposed schema to anon and "
        "authenticated, so the API serves all of its rows to every caller. Create it in a schema "
        "the API does not expose (and read it through a security-invoker function or view), or "
        "revoke SELECT from anon and authenticated in the same migration."
    ),
    bad=Example(
        "begin;\ncreate materialized view public.leaderboard as\n"
        "  select user_id, sum(points) as points from public.scores group by user_id;\ncommit;\n",
        baseline="create table public.scores (user_id uuid, points int);\n",
    ),
    good=Example(
        "begin;\ncreate materialized view public.leaderboard as\n"
        "  select user_id, sum(points) as points from public.scores group by user_id;\n"
        "revoke select on public.leaderboard from anon, authenticated;\ncommit;\n",
        baseline="create table public.scores (user_id uuid, points int);\n",
    ),
    check=check,
    mirrors=("0016_materialized_view_in_api",),
)
