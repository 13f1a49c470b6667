"""rls-policy-initplan: auth.uid() and friends in a policy run once per statement, not once per row."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._policies import call_text, per_row_calls, policy_clauses
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for clause in policy_clauses(ctx):
        calls = per_row_calls(clause.tree)
        if not calls:
            continue
        names = list(dict.fromkeys(call_text(call) for call in calls))
        yield Issue(
            clause.statement,
            f'{clause.name.upper()} of policy "{clause.policy}" on {clause.table.qualified} calls '
            f"{' and '.join(names)} directly: PostgreSQL evaluates "
            f"{'them' if len(calls) > 1 else 'it'} again for every row it checks",
            f"wrap each call in a sub-select, e.g. (select {names[0][:-1]}{_args(names[0])})) "
            f"instead of {names[0]}",
            calls[0].get("location"),
            clause.table.qualified,
        )


def _args(name: str) -> str:
    return "'...'" if name == "current_setting()" else ""


RULE = Rule(
    id="rls-policy-initplan",
    severity=Severity.WARNING,
    summary="Policies call auth.uid(), auth.jwt(), auth.role() and current_setting() as (select ...)",
    rationale=(
        "A policy's USING and WITH CHECK expressions are added to every query on the table and "
        "evaluated for each row the query looks at. auth.uid(), auth.jwt(), auth.role(), auth.email() "
        "and current_setting() are STABLE functions that parse the request's JWT settings, so a bare "
        "call is repeated row by row; written as a scalar sub-select, (select auth.uid()), PostgreSQL "
        "plans it as an InitPlan, runs it once per statement and compares each row with the cached "
        "value. Supabase measures orders of magnitude on large tables, and its database linter "
        "(splinter, auth_rls_initplan) reports the same pattern on a live database; this rule finds it "
        "in the migration before it is merged. A call inside a sub-select that reads a table (exists "
        "(select 1 from members where user_id = auth.uid())) still runs once per row of that sub-select "
        "and is reported too; ALTER POLICY expressions are checked like CREATE POLICY ones."
    ),
    bad=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select_own on public.notes for select to authenticated\n"
        "  using (auth.uid() = user_id);\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select_own on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "commit;\n"
    ),
    check=check,
    mirrors=("0003_auth_rls_initplan",),
)
