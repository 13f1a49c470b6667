"""rls-policy-with-check: a policy that lets users write rows holds the written row to its owner."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.objects import strings
from checker.rules._policies import (
    STORAGE_OBJECTS,
    PolicyDef,
    buckets_named,
    clause_location,
    conjuncts,
    foreign_keys,
    holds_to_owner,
    migration_policies,
    owners_after,
    policies_after,
    privileged_update_only,
    replaced_later,
    row_columns,
    uid_comparisons,
    until_replaced,
)
from checker.rules.base import Example, Issue, Rule

WRITE_COMMANDS = ("insert", "update", "all")


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if (
            policy.command not in WRITE_COMMANDS
            or not policy.permissive
            or not policy.client_roles
            or policy.statement is None
            or policy.grants_nothing
            or privileged_update_only(ctx, policy)
        ):
            continue
        clause, tree = _write_side(policy)
        if policy.table == STORAGE_OBJECTS:
            owners = _storage_owners(_bucket_owners(ctx, policy), tree, reached=clause == "using")
        else:
            owners = owners_after(ctx, policy.table)
        if not owners or holds_to_owner(tree, owners, ctx.after):
            continue
        columns = ", ".join(sorted(owners))
        message = (
            f"{policy.display()} ({policy.command}) {_what(clause)} does not tie {columns} to auth.uid()"
        )
        hint = f"add: with check ((select auth.uid()) = {sorted(owners)[0]})"
        # USING holds the row to a group by a key (has_org_role(organization_id, ...)): WITH CHECK must too
        keys = {c for fk in foreign_keys(ctx.after, policy.table) for c in fk["columns"]}
        unchecked = [c for c in _left_unchecked(policy) if c in keys and c not in owners]
        if clause == "with check" and unchecked:
            shown = ", ".join(unchecked)
            message += f", nor checks {shown} as its USING does"
            hint += f", or make WITH CHECK repeat USING's test of {shown}"
        issue = Issue(
            policy.statement,
            f"{message}: a user can write rows that belong to someone else",
            hint,
            clause_location(tree, policy.location),
            policy.table.qualified,
        )
        yield until_replaced(issue, replaced_later(ctx, policy))


# Storage sets these from the uploader's token: a client never chooses them.
_SET_BY_STORAGE = frozenset({"owner", "owner_id"})


def _bucket_owners(ctx: RuleContext, policy: PolicyDef) -> frozenset[str]:
    """The owner columns of the files of the policy's buckets: what the policies of the same buckets (or of
    any bucket) compare with auth.uid(). A bucket of shared images need not follow another bucket's
    per-user folders (chess-map-frontend's map_assets beside parent_ids)."""
    buckets = buckets_named(policy)
    if not buckets:
        return owners_after(ctx, STORAGE_OBJECTS)
    owners: set[str] = set()
    for other in policies_after(ctx, STORAGE_OBJECTS):
        theirs = buckets_named(other)
        if not theirs or theirs & buckets:
            trees = (other.using, other.with_check)
            owners.update(column for tree in trees for column, _ in uid_comparisons(tree))
    return frozenset(owners)


def _storage_owners(owners: frozenset[str], check: dict | None, reached: bool) -> frozenset[str]:
    """The columns of storage.objects the check must tie to the user: not those Storage sets on the new
    file (but where the check is an UPDATE's USING, which also picks the files reached: whose they are,
    owner says), nor the path when the check puts the file in a fixed folder (`name like 'events/%'`),
    which is no user's folder."""
    if not reached:
        owners = owners - _SET_BY_STORAGE
    fixed = any(_fixed_folder(part) for part in conjuncts(check)) if check is not None else False
    return owners - {"name"} if fixed else owners


def _fixed_folder(part: object) -> bool:
    """`name like 'x/%'`, `name = 'x/y'`, `(storage.foldername(name))[1] = 'x'`, `starts_with(name, 'x/')`."""
    if not isinstance(part, dict):
        return False
    expr = part.get("A_Expr")
    if (
        expr is not None
        and expr.get("kind") in ("AEXPR_LIKE", "AEXPR_OP")
        and strings(expr.get("name"))
        in (
            ["~~"],
            ["="],
        )
    ):
        sides = (expr.get("lexpr"), expr.get("rexpr"))
        return any(_is_path(a) and _constant_prefix(b) for a, b in (sides, sides[::-1]))
    call = part.get("FuncCall")
    if call is not None and strings(call.get("funcname"))[-1:] == ["starts_with"]:
        args = call.get("args") or []
        return len(args) == 2 and _is_path(args[0]) and _constant_prefix(args[1])
    return False


def _is_path(node: object) -> bool:
    """The file's name, or a folder of it (storage.foldername(name)[n])."""
    if not isinstance(node, dict):
        return False
    if "A_Indirection" in node:
        node = node["A_Indirection"].get("arg") or {}
        call = node.get("FuncCall", {})
        return strings(call.get("funcname"))[-1:] == ["foldername"] and _is_path(
            (call.get("args") or [{}])[0]
        )
    return strings(node.get("ColumnRef", {}).get("fields"))[-1:] == ["name"]


def _constant_prefix(node: object) -> bool:
    """A string constant that does not start with a wildcard."""
    value = node.get("A_Const", {}).get("sval", {}).get("sval") if isinstance(node, dict) else None
    return bool(value) and value[0] not in "%_"


def _left_unchecked(policy: PolicyDef) -> list[str]:
    """The row's columns USING reads and WITH CHECK does not (an update can move the row out of reach)."""
    return sorted(
        row_columns(policy.using, policy.table.name) - row_columns(policy.with_check, policy.table.name)
    )


def _write_side(policy: PolicyDef) -> tuple[str, dict | None]:
    """The expression new rows are checked against. Without WITH CHECK, UPDATE and ALL fall back to
    USING (INSERT has no USING: without WITH CHECK it admits nothing, and is skipped above)."""
    if policy.with_check is not None or policy.command == "insert":
        return "with check", policy.with_check
    return "using", policy.using


def _what(clause: str) -> str:
    if clause == "with check":
        return "checks new rows with a WITH CHECK that"
    return "has no WITH CHECK, and its USING, which stands in for it,"


RULE = Rule(
    id="rls-policy-with-check",
    severity=Severity.ERROR,
    summary="Insert, update and all policies hold the written row to its owner (WITH CHECK)",
    rationale=(
        "USING decides which existing rows a command can see and target; WITH CHECK decides which "
        "rows it may leave behind. PostgreSQL uses the WITH CHECK expression of an INSERT, UPDATE or "
        "ALL policy for new and changed rows, and when an UPDATE or ALL policy has none, its USING "
        "expression takes that role. So update using ((select auth.uid()) = user_id) without WITH "
        "CHECK is safe, while using (true), or a WITH CHECK that only asks whether someone is signed "
        "in (auth.uid() is not null, auth.role() = 'authenticated'), lets a user insert rows in "
        "another user's name or move rows to them by changing user_id. The rule reports a permissive "
        "insert, update or all policy for anon, authenticated or public on a table whose rows have "
        "owners (see rls-policy-to-public) when that write-side expression neither compares an owner "
        "column with auth.uid() nor hands the check to a sub-select or to a function of the project "
        "(is_member(org_id), which a static check cannot read and therefore trusts)."
    ),
    bad=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_insert on public.notes for insert to authenticated\n"
        "  with check ((select auth.uid()) is not null);\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_insert on public.notes for insert to authenticated\n"
        "  with check ((select auth.uid()) = user_id);\n"
        "commit;\n"
    ),
    check=check,
)
