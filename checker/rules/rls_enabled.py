"""rls-enabled: every table created in an exposed schema has row level security turned on."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import ObjectRef
from checker.parse import Statement
from checker.rules._api_access import api_roles_left, schema_reached
from checker.rules.base import Example, Issue, Rule

NO_POLICY_ID = "rls-no-policy"
TABLE_PRIVILEGES = ("select", "insert", "update", "delete")


def check(ctx: RuleContext) -> Iterator[Issue]:
    for ref, (statement, location) in ctx.created_by_migration().items():
        if ref.kind != "table" or not ctx.is_exposed(ref) or not schema_reached(ctx, ref.schema):
            continue
        table = ctx.after.find(ref)
        if table is None:
            continue  # dropped again within the migration
        if not table.rls:
            yield _without_rls(ctx, ref, statement, location)
        elif not ctx.after.policies_on(ref):
            yield Issue(
                statement,
                f"table {ref.qualified} has row level security but no policy: only service_role can reach it",
                f"add policies for the roles that need {ref.qualified}, or exempt it with a reason",
                location,
                ref.qualified,
                NO_POLICY_ID,
                Severity.WARNING,
            )
    yield from _disables(ctx)


def _without_rls(ctx: RuleContext, ref: ObjectRef, statement: Statement, location: int | None) -> Issue:
    """An error, or a warning where a later migration of the run enables it (one push ships both: the
    window is the time between them, on a table nothing has written to)."""
    hint = f"add: alter table {ref.qualified} enable row level security;"
    if _unreachable(ctx, ref):
        return Issue(
            statement,
            f"table {ref.qualified} is created without row level security; the migration revokes every "
            "privilege anon and authenticated hold on it, so the API cannot reach it, but a later GRANT "
            "exposes every row",
            hint,
            location,
            ref.qualified,
            severity=Severity.WARNING,
        )
    dynamic = ctx.unread_sql_after(statement)
    if dynamic is not None:
        return Issue(
            statement,
            f"table {ref.qualified} is created without row level security as far as the model can read; "
            f"the DO block at {dynamic.where()} runs SQL built when it runs, which may enable it",
            hint,
            location,
            ref.qualified,
            severity=Severity.WARNING,
        )
    later = ctx.rls_enabled_later(ref)
    if later is None:
        message = "anon and authenticated can read and write every row through the API"
        return Issue(
            statement,
            f"table {ref.qualified} is created without row level security: {message}",
            hint,
            location,
            ref.qualified,
        )
    return Issue(
        statement,
        f"table {ref.qualified} is created without row level security, which {later.where()} {later.does}: "
        "until that migration runs, anon and authenticated can read and write every row through the API",
        hint + FIX_HERE_TOO,
        location,
        ref.qualified,
        severity=Severity.WARNING,
    )


def _disables(ctx: RuleContext) -> Iterator[Issue]:
    """DISABLE ROW LEVEL SECURITY that the migration leaves in force, on a table it did not create (the
    finding on a table it creates says how the migration leaves that table, later files included)."""
    created = ctx.created_by_migration()
    for effects in ctx.migration_effects:
        for table, action in effects.rls:
            if action != "disable" or not ctx.is_exposed(table):
                continue
            if table in created and schema_reached(ctx, table.schema):
                continue  # reported as a table created without row level security
            found = ctx.after.find(table)
            if found is None or found.rls:
                continue  # dropped, or enabled again, before the migration ends: no one sees the gap
            yield _disabled(ctx, effects.statement, table)


def _disabled(ctx: RuleContext, statement: Statement, table: ObjectRef) -> Issue:
    message = f"row level security is disabled on {table.qualified}, an exposed table"
    hint = "keep row level security on; grant access through policies instead"
    later = ctx.rls_enabled_later(table)
    if _unreachable(ctx, table):  # OnlineStore's trigger-only table, privileges revoked
        message += (
            "; the migration revokes every privilege anon and authenticated hold on it, so the API "
            "cannot reach it, but a later GRANT exposes every row"
        )
    elif later is not None:
        again = " again" if later.does == "enables" else ""
        message += f", which {later.where()} {later.does}{again}: until that migration runs, the API reads "
        message += "all rows"
    else:
        return Issue(statement, message, hint, None, table.qualified)
    return Issue(statement, message, hint, None, table.qualified, severity=Severity.WARNING)


def _unreachable(ctx: RuleContext, table: ObjectRef) -> bool:
    """Whether the migration leaves anon and authenticated no privilege on the table."""
    return not any(api_roles_left(ctx, table, privilege) for privilege in TABLE_PRIVILEGES)


RULE = Rule(
    id="rls-enabled",
    severity=Severity.ERROR,
    summary="Tables in exposed schemas must enable row level security in the same migration",
    rationale=(
        "Supabase exposes the public schema through its API, and grants anon and authenticated "
        "access to every new table there. Until row level security is enabled, any client holding "
        "the public anon key can read and change every row. Enabling it in the migration that creates "
        "the table closes that window; a table with RLS and no policy is reachable by service_role "
        "only, which is reported as rls-no-policy (a warning: sometimes that is the intent). A table a later "
        "migration of the same run enables it on, or drops (the Supabase CLI pushes both), is a warning "
        "naming that migration: the API reaches every row between the two. A table "
        "in a schema anon and authenticated cannot use is out of the API's reach and not reported: a "
        "schema the project makes grants them nothing until a migration grants USAGE (Supabase's guide "
        "to custom schemas grants it by hand), and public loses it only to a REVOKE."
    ),
    bad=Example(
        "begin;\ncreate table public.notes (\n  id uuid primary key,\n  user_id uuid not null\n);\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate table public.notes (\n  id uuid primary key,\n  user_id uuid not null\n);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_owner on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\ncommit;\n"
    ),
    check=check,
    extra_ids=(NO_POLICY_ID,),
    mirrors=("0013_rls_disabled_in_public", "0007_policy_exists_rls_disabled", "0008_rls_enabled_no_policy"),
)
