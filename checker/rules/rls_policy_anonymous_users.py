"""rls-policy-anonymous-users: policies meant for signed-up users say so, or anonymous sign-ins pass them."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.walk import clause_nodes
from checker.rules._policies import clause_location, is_true, migration_policies, role_guard
from checker.rules.base import Example, Issue, Rule
from checker.rules.rls_policy_auth_null import Value, value


def _any_user(tree: object) -> bool:
    """True for every signed-in user: `true`, `auth.uid() is not null`, `auth.role() = 'authenticated'`."""
    if tree is None or is_true(tree):
        return True
    if role_guard(tree) == frozenset({"authenticated"}):
        return True
    return isinstance(tree, dict) and "NullTest" in tree and value(tree) is Value.FALSE


def _reads_is_anonymous(tree: object) -> bool:
    return any(c.get("sval", {}).get("sval") == "is_anonymous" for c in clause_nodes(tree, "A_Const"))


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if not (policy.statement and policy.permissive and ctx.is_exposed(policy.table)):
            continue
        if policy.roles != ("authenticated",):
            continue
        trees = [t for t in (policy.using, policy.with_check) if t is not None]
        if not trees or not all(_any_user(t) for t in trees) or any(_reads_is_anonymous(t) for t in trees):
            continue
        yield Issue(
            policy.statement,
            f"{policy.display()} ({policy.command}, to authenticated) admits every signed-in user: "
            "with anonymous sign-ins enabled, visitors who never signed up pass it too",
            "if it is meant for signed-up users, add: "
            "and (select (auth.jwt() ->> 'is_anonymous')::boolean) is false",
            clause_location(trees[0], policy.location),
            f"{policy.table.qualified}.{policy.name}",
        )


RULE = Rule(
    id="rls-policy-anonymous-users",
    severity=Severity.INFO,
    summary="Policies for any signed-in user say whether anonymous sign-ins count",
    rationale=(
        "Supabase's anonymous sign-ins give a visitor a real user and the authenticated role, with "
        "`is_anonymous: true` in the JWT. A policy `to authenticated` that admits any signed-in "
        "user (`using (true)`, `auth.uid() is not null`, `auth.role() = 'authenticated'`) lets "
        "them in as well, which is rarely what 'users who signed up' meant. Supabase's advisor "
        "reports this once per project when anonymous sign-ins are on (a setting of Auth, not of "
        "the database); this rule points at the policies concerned, at info level as the advisor "
        "does. Policies that read the is_anonymous claim, or tie rows to auth.uid(), are not reported."
    ),
    bad=Example(
        'begin;\ncreate policy "members read" on public.reports\n'
        "  for select to authenticated using (true);\ncommit;\n",
        baseline="create table public.reports (id bigint primary key, body text);\n"
        "alter table public.reports enable row level security;\n",
    ),
    good=Example(
        'begin;\ncreate policy "members read" on public.reports for select to authenticated\n'
        "  using ((select (auth.jwt() ->> 'is_anonymous')::boolean) is false);\ncommit;\n",
        baseline="create table public.reports (id bigint primary key, body text);\n"
        "alter table public.reports enable row level security;\n",
    ),
    check=check,
    mirrors=("0012_auth_allow_anonymous_sign_ins",),
)
