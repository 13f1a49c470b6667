"""rls-unowned-rows-writable: a policy that lets callers delete rows lets them delete only rows they own."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._policies import (
    PolicyDef,
    clause_location,
    disjuncts,
    group_keys_after,
    migration_policies,
    operand_column,
    owners_after,
    replaced_later,
    until_replaced,
)
from checker.rules.base import Example, Issue, Rule

# FOR ALL and FOR DELETE reach a row through USING to delete it; an UPDATE-only policy admitting rows no
# one owns may be a pool of rows to claim (`assignee_id is null or assignee_id = auth.uid()`).
_DELETING = frozenset({"delete", "all"})


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if policy.command not in _DELETING or not policy.permissive or not policy.client_roles:
            continue
        if policy.statement is None or policy.using is None:
            continue
        keys = owners_after(ctx, policy.table) | group_keys_after(ctx, policy.table)
        for test in disjuncts(policy.using):
            column = _null_tested(test)
            if column in keys:
                issue = _issue(policy, column, test)  # type: ignore[arg-type]
                yield until_replaced(issue, replaced_later(ctx, policy))
                break


def _null_tested(tree: object) -> str | None:
    """The column of `column IS NULL`."""
    test = tree.get("NullTest") if isinstance(tree, dict) else None
    if not test or test.get("nulltesttype") != "IS_NULL":
        return None
    return operand_column(test.get("arg"))


def _issue(policy: PolicyDef, column: str, test: dict) -> Issue:
    roles = ", ".join(sorted(policy.client_roles))
    can = "change and delete" if policy.command == "all" else "delete"
    if policy.command == "all" and policy.with_check is None:
        can = "change, delete and add"  # USING stands in for the missing WITH CHECK
    return Issue(
        policy.statement,  # type: ignore[arg-type]
        f"{policy.display()} ({policy.command}) admits every row whose {column} is null to every {roles} "
        f"caller: anyone can {can} the rows no one owns (shared defaults, system rows)",
        f"keep `{column} is null` to a select policy, and test the owner (or a role) in the policy that "
        "writes and deletes",
        clause_location(test, policy.location),
        policy.table.qualified,
    )


_TEMPLATES = (
    "begin;\ncreate table public.templates (\n  id uuid primary key default gen_random_uuid(),\n"
    "  user_id uuid references auth.users (id),\n  body text not null\n);\n"
    "create index templates_user_id_idx on public.templates (user_id);\n"
    "alter table public.templates enable row level security;\n"
)

RULE = Rule(
    id="rls-unowned-rows-writable",
    severity=Severity.ERROR,
    summary="Policies that let callers delete rows (FOR DELETE, FOR ALL) admit no row whose owner is null",
    rationale=(
        "Rows whose owner or group key is null are often the ones everyone shares: the templates, "
        "categories or settings the system ships (`organization_id is null`). Reading them is meant; a "
        "FOR ALL or FOR DELETE policy whose USING admits them (`using (organization_id is null or "
        "<member of organization_id>)`) also lets every caller delete them, and FOR ALL change them (and, "
        "without a WITH CHECK, add more), so one user rewrites what every other user is sent. The "
        "null test belongs in a select policy; the policy that writes tests the owner or a role. An "
        "UPDATE-only policy is not reported: rows with no owner may be a pool users claim."
    ),
    bad=Example(
        _TEMPLATES + "create policy templates_manage on public.templates for all to authenticated\n"
        "  using (user_id is null or user_id = (select auth.uid()));\ncommit;\n"
    ),
    good=Example(
        _TEMPLATES + "create policy templates_read on public.templates for select to authenticated\n"
        "  using (user_id is null or user_id = (select auth.uid()));\n"
        "create policy templates_manage on public.templates for all to authenticated\n"
        "  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));\ncommit;\n"
    ),
    check=check,
)
