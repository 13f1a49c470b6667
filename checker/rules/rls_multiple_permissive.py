"""rls-multiple-permissive: one permissive policy per table, role and command."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._policies import (
    BYPASS_ROLES,
    COMMANDS,
    SUPABASE_SCHEMAS,
    PolicyDef,
    migration_policies,
    policies_after,
)
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    mine = {(p.table, p.name) for p in migration_policies(ctx) if p.table.schema not in SUPABASE_SCHEMAS}
    for table in sorted({table for table, _ in mine}):
        ordered = sorted(policies_after(ctx, table), key=lambda p: _order(p, ctx))
        for index, policy in enumerate(ordered):
            if (table, policy.name) not in mine or not policy.permissive or policy.statement is None:
                continue
            clash = _first_overlap(policy, ordered[:index])
            if clash:
                earlier, roles, commands = clash
                yield Issue(
                    policy.statement,
                    f"{policy.display()} is a second permissive policy for {roles} on {commands}, "
                    f'next to "{earlier.name}": PostgreSQL evaluates both for every such query',
                    'combine them into one policy (using (a) or (b)), or make one "as restrictive" '
                    "if it must hold in addition",
                    policy.location,
                    table.qualified,
                )


def _order(policy: PolicyDef, ctx: RuleContext) -> tuple[int, int]:
    """Policies from before the migration first, then the migration's in statement order."""
    statement = policy.statement
    if statement is None or statement.source.path != ctx.migration.path:
        return (0, 0)
    return (1, statement.index)


def _first_overlap(policy: PolicyDef, earlier: list[PolicyDef]) -> tuple[PolicyDef, str, str] | None:
    for other in earlier:
        if not other.permissive:
            continue
        commands = policy.commands & other.commands
        roles = _shared_roles(policy.roles, other.roles)
        if commands and roles:
            return other, roles, ", ".join(c for c in COMMANDS if c in commands)
    return None


def _shared_roles(mine: tuple[str, ...], theirs: tuple[str, ...]) -> str:
    """The roles both policies apply to, minus roles that bypass RLS; PUBLIC applies to every role."""
    if "public" in mine and "public" in theirs:
        return "every role (public)"
    if "public" in mine:
        shared = set(theirs)
    elif "public" in theirs:
        shared = set(mine)
    else:
        shared = set(mine) & set(theirs)
    return ", ".join(sorted(shared - BYPASS_ROLES))


RULE = Rule(
    id="rls-multiple-permissive",
    severity=Severity.WARNING,
    summary="At most one permissive policy per table, role and command (FOR ALL counts for each)",
    rationale=(
        "Permissive policies are combined with OR: for a query PostgreSQL evaluates every permissive "
        "policy that applies to the role and command, row by row, so two policies cost two "
        "expressions per row where one (a OR b) would do, and the access rule is split over places "
        "that are easy to change one at a time. FOR ALL counts for select, insert, update and delete, "
        "and a policy without TO applies to every role. Supabase's database linter reports this on a "
        "live database (multiple_permissive_policies); this rule checks the policies a migration "
        "creates against the ones already on the table (baseline and earlier migrations included). "
        "Policies for service_role are left out: it bypasses row level security, so they are never "
        "evaluated; so are tables in Supabase's own schemas (storage.objects holds a set of policies "
        "per bucket, each limited by bucket_id, as Supabase documents it)."
    ),
    bad=Example(
        "begin;\n"
        "create table public.posts (id uuid primary key, user_id uuid not null, published boolean);\n"
        "alter table public.posts enable row level security;\n"
        "create policy posts_select_own on public.posts for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "create policy posts_select_published on public.posts for select to authenticated\n"
        "  using (published);\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.posts (id uuid primary key, user_id uuid not null, published boolean);\n"
        "alter table public.posts enable row level security;\n"
        "create policy posts_select on public.posts for select to authenticated\n"
        "  using ((select auth.uid()) = user_id or published);\n"
        "commit;\n"
    ),
    check=check,
    mirrors=("0006_multiple_permissive_policies",),
)
