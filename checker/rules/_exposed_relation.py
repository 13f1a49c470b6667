"""Relations without row level security in an exposed schema (materialized views, foreign tables):
readable by whoever the API lets in, unless the migration revokes SELECT from anon and authenticated."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.rules._api_access import api_roles_left, created_exposed
from checker.rules.base import Issue


def unguarded_relations(ctx: RuleContext, kind: str, why: str) -> Iterator[Issue]:
    for ref, statement, location in created_exposed(ctx, kind):
        roles = api_roles_left(ctx, ref, "select")
        if not roles:
            continue
        yield Issue(
            statement,
            f"{kind} {ref.qualified} in exposed schema {ref.schema} is readable by {' and '.join(roles)} "
            f"through the API, and {why}",
            f"create it in a schema the API does not expose, or: revoke select on {ref.qualified} "
            f"from {', '.join(roles)};",
            location,
            ref.qualified,
        )
