"""rls-policy-to-public: policies name the roles they are for, and never open an owned table wholesale."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.walk import find_nodes
from checker.rules._policies import (
    PER_ROW_FUNCTIONS,
    PolicyDef,
    call_name,
    is_true,
    migration_policies,
    owner_columns,
)
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if not policy.permissive or policy.statement is None:
            continue  # a restrictive policy only takes access away, for whoever it names
        opened = _always_true(policy, ctx)
        if opened:
            yield opened
        elif not policy.roles_given and _meant_for_users(policy):
            yield Issue(
                policy.statement,
                f"{policy.display()} ({policy.command}) has no TO clause, so it applies to PUBLIC: "
                "anon (anyone holding the public API key) included",
                "add the role it is for, e.g. to authenticated (or to anon, authenticated if "
                "signed-out clients really need it)",
                policy.location,
                policy.table.qualified,
            )


def _meant_for_users(policy: PolicyDef) -> bool:
    """Writes are for signed-in users; a read is deliberately public unless it asks who is reading."""
    if policy.command != "select":
        return True
    return any(call_name(call) in PER_ROW_FUNCTIONS for call in find_nodes(policy.using, "FuncCall"))


_VERBS = {
    "select": "read",
    "insert": "insert",
    "update": "change",
    "delete": "delete",
    "all": "read and change",
}


def _true_clause(policy: PolicyDef) -> tuple[str, dict] | None:
    for name, tree in (("using", policy.using), ("with check", policy.with_check)):
        if is_true(tree):
            return name, tree
    return None


def _always_true(policy: PolicyDef, ctx: RuleContext) -> Issue | None:
    found = _true_clause(policy) if policy.client_roles else None
    if found is None:
        return None
    clause, tree = found
    owners = owner_columns(ctx.after, policy.table)
    if not owners:
        return None  # a lookup table nobody owns rows of: true is a deliberate open door
    roles = ", ".join(sorted(policy.client_roles))
    verb = _VERBS[policy.command]
    return Issue(
        policy.statement,  # type: ignore[arg-type]
        f"{policy.display()} ({policy.command}) is {clause.upper()} (true) for {roles} on a table whose "
        f"rows have owners ({', '.join(sorted(owners))}): every caller can {verb} every user's rows",
        f"restrict it to the owner, e.g. {clause} ((select auth.uid()) = {sorted(owners)[0]})",
        tree["A_Const"].get("location", policy.location),
        policy.table.qualified,
        severity=Severity.ERROR,
    )


RULE = Rule(
    id="rls-policy-to-public",
    severity=Severity.WARNING,
    summary="Policies name their roles (TO ...); USING / WITH CHECK (true) never opens owned rows",
    rationale=(
        "A policy without TO applies to PUBLIC, which on Supabase includes anon: every request made "
        "with the public API key. Writing TO authenticated says who the policy is for and keeps "
        "anonymous requests from even evaluating it, which is why Supabase's guide to RLS performance "
        "asks for roles in every policy. Reads without TO are accepted when they are "
        "deliberately public, which this rule takes to mean that USING does not ask who is reading "
        "(no auth.uid(), auth.jwt(), auth.role() or current_setting()); a read that does, and every "
        "insert, update, delete or all policy without TO, is a warning. Worse is USING (true) or WITH "
        "CHECK (true) for anon, authenticated or public on a table whose rows belong to users (a "
        "column compared with auth.uid() in a policy of the table, or a foreign key to auth.users, "
        "public.users, public.profiles or another table keyed by auth.users): any client then reads or "
        "writes every user's rows, which is an error. On lookup tables without such a column, true is "
        "a deliberate open door and is not reported; a public read of owned rows that is really meant "
        "(say, public profiles) is documented with a suppression comment giving the reason. "
        "Restrictive policies only narrow access and are not checked."
    ),
    bad=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select on public.notes for select to authenticated using (true);\n"
        "create policy notes_insert on public.notes for insert\n"
        "  with check ((select auth.uid()) = user_id);\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "create policy notes_insert on public.notes for insert to authenticated\n"
        "  with check ((select auth.uid()) = user_id);\n"
        "commit;\n"
    ),
    check=check,
)
