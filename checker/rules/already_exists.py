"""already-exists: a migration creates only what is not there yet, or says IF NOT EXISTS / OR REPLACE."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.catalog import CatalogObject
from checker.model.effects import Created
from checker.parse import Statement
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for statement in ctx.migration.statements:
        for item, holder in ctx.there_when_created(statement):
            yield _already_there(ctx, statement, item, holder)


def _already_there(ctx: RuleContext, statement: Statement, item: Created, holder: CatalogObject) -> Issue:
    ref = item.ref
    made = holder.created_by.where() if holder.created_by is not None else f"the {holder.origin}"
    if ref.kind == "column":
        made = f"{made}, with {holder.ref.display()}"
    message = f"creates {ref.display()}, which {made} already made: PostgreSQL fails here "
    message += '("already exists")'
    hint = f"drop the earlier {ref.kind} first, create it only where it is missing (IF NOT EXISTS where "
    hint += "PostgreSQL has it), or leave the statement out if it repeats an earlier migration"
    dynamic = ctx.unread_sql_before(statement)
    if dynamic is not None and dynamic is not holder.made_after:  # SQL built since it was made may drop it
        message += f"; unless the DO block at {dynamic.where()}, running SQL built when it runs, dropped it"
        return Issue(statement, message, hint, item.location, ref.qualified, severity=Severity.WARNING)
    return Issue(statement, message, hint, item.location, ref.qualified)


_POLICY = (
    "create policy \"read own\" on public.notes for select to authenticated\n"
    "  using ((select auth.uid()) = user_id);\n"
)
_NOTES = (
    "create table public.notes (id bigint primary key, user_id uuid not null);\n"
    "alter table public.notes enable row level security;\n" + _POLICY
)

RULE = Rule(
    id="already-exists",
    severity=Severity.ERROR,
    summary="A migration creates only what is not there yet, or says IF NOT EXISTS / OR REPLACE",
    rationale=(
        "CREATE of a table, policy, function, type, index, constraint or column that an earlier "
        "statement, an earlier migration or the baseline already made fails with \"already exists\". "
        "It happens when a file repeats what an earlier one did (a policy re-created after it was "
        "fixed in the dashboard, a migration copied under a new version) and passes on a developer's "
        "database where the earlier file never ran, then fails `supabase db reset` and every fresh "
        "deployment. IF NOT EXISTS, OR REPLACE, a DROP before, or a DO block that checks the catalog "
        "first avoid it; what a DO block's built SQL may have dropped makes it a warning."
    ),
    bad=Example(
        "begin;\n" + _POLICY + "commit;\n",
        baseline=_NOTES,
    ),
    good=Example(
        "begin;\ndrop policy if exists \"read own\" on public.notes;\n" + _POLICY + "commit;\n",
        baseline=_NOTES,
    ),
    check=check,
)
