"""rls-policy-to-public: policies name the roles they are for, and never open an owned table to writes."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.walk import clause_nodes
from checker.rules._policies import (
    PER_ROW_FUNCTIONS,
    STORAGE_OBJECTS,
    PolicyDef,
    call_name,
    group_keys_after,
    is_true,
    migration_policies,
    owners_after,
    privileged_update_only,
    replaced_later,
    until_replaced,
)
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if not policy.permissive or policy.statement is None or policy.grants_nothing:
            continue  # a restrictive policy only takes access away, for whoever it names
        opened = _always_true(policy, ctx)
        if opened:
            yield until_replaced(opened, replaced_later(ctx, policy))
        elif not policy.roles_given and _meant_for_users(policy):
            issue = Issue(
                policy.statement,
                f"{policy.display()} ({policy.command}) has no TO clause, so it applies to PUBLIC: "
                "anon (anyone holding the public API key) included",
                "add the role it is for, e.g. to authenticated (or to anon, authenticated if "
                "signed-out clients really need it)",
                policy.location,
                policy.table.qualified,
            )
            yield until_replaced(issue, replaced_later(ctx, policy))


def _meant_for_users(policy: PolicyDef) -> bool:
    """Writes are for signed-in users; a read is deliberately public unless it asks who is reading."""
    if policy.command != "select":
        return True
    return any(call_name(call) in PER_ROW_FUNCTIONS for call in clause_nodes(policy.using, "FuncCall"))


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
    if clause == "with check" and privileged_update_only(ctx, policy):
        return None  # admins may write any values; no one else reaches a row
    roles = ", ".join(sorted(policy.client_roles))
    opens = f"{policy.display()} ({policy.command}) is {clause.upper()} (true) for {roles}"
    if policy.table == STORAGE_OBJECTS:
        every = "every file of every bucket, private ones included"
        can = _can(policy, clause, every, "files into any bucket and folder")
        hint = (
            f"restrict it to a bucket and the uploader, e.g. {clause} (bucket_id = 'avatars' and owner_id = "
        )
        hint += "(select auth.uid()::text))"
        return _opened(policy, tree, f"{opens} on storage.objects: every caller can {can}", hint)
    owners, groups = owners_after(ctx, policy.table), group_keys_after(ctx, policy.table)
    if not owners and not groups:
        return _unowned_rows_opened(policy, clause, tree, opens)
    whose, keys = ("user", owners) if owners else ("group", groups)
    key = sorted(keys)[0]
    can = _can(policy, clause, f"every {whose}'s rows", f"rows of any {whose}")
    message = f"{opens} on a table whose rows have owners ({', '.join(sorted(keys))}): every caller can {can}"
    if owners:
        hint = f"restrict it to the owner, e.g. {clause} ((select auth.uid()) = {key})"
        return _opened(policy, tree, message, hint)
    hint = f"restrict it to the group's members, as the table's other policies test {key}"
    if clause == "with check":  # a public form (a lead, a ticket) writes into a group's rows on purpose
        message += "; fine for a form anyone may send to any group"
        return _opened(policy, tree, message, hint, Severity.WARNING)
    return _opened(policy, tree, message, hint)


def _unowned_rows_opened(policy: PolicyDef, clause: str, tree: dict, opens: str) -> Issue | None:
    """A table nobody owns rows of (a lookup table, a shared list): reading it or sending rows into it
    with `true` is a deliberate open door; changing or deleting every row of it (USING (true) of an
    UPDATE, DELETE or ALL policy) is a warning: GigPass's events, which any signed-in user could rewrite."""
    if clause != "using" or policy.command not in ("update", "delete", "all"):
        return None
    can = _can(policy, clause, "every row", "")
    message = f"{opens} on a table whose rows have no owner: every caller can {can}"
    hint = "if only some users may change it, test who they are (an admin helper, a role), or its owner"
    return _opened(policy, tree, message, hint, Severity.WARNING)


def _can(policy: PolicyDef, clause: str, rows: str, written: str) -> str:
    """What the open clause lets every caller do: USING (true) reaches the rows for the policy's commands;
    WITH CHECK (true) refuses no written row (an insert's, an update's new values), whatever USING says."""
    if clause == "using":
        return f"{_VERBS[policy.command]} {rows}"
    return f"write {written} (WITH CHECK refuses no row)"


def _opened(
    policy: PolicyDef, tree: dict, message: str, hint: str, severity: Severity = Severity.ERROR
) -> Issue:
    if policy.command == "select":
        # A public read is a common, deliberate choice (public profiles); it only exposes data.
        message += "; fine if the table is public on purpose"
        hint = "if some rows are private, " + hint
    return Issue(
        policy.statement,  # type: ignore[arg-type]
        message,
        hint,
        tree["A_Const"].get("location", policy.location),
        policy.table.qualified,
        severity=None if policy.command == "select" else severity,
    )


RULE = Rule(
    id="rls-policy-to-public",
    severity=Severity.WARNING,
    summary="Policies name their roles (TO ...); USING / WITH CHECK (true) never opens owned rows to writes",
    rationale=(
        "A policy without TO applies to PUBLIC, which on Supabase includes anon: every request made "
        "with the public API key. Writing TO authenticated says who the policy is for and keeps "
        "anonymous requests from even evaluating it, which is why Supabase's guide to RLS performance "
        "asks for roles in every policy. Reads without TO are accepted when they are "
        "deliberately public, which this rule takes to mean that USING does not ask who is reading "
        "(no auth.uid(), auth.jwt(), auth.role() or current_setting()); a read that does, and every "
        "insert, update, delete or all policy without TO, is a warning. USING (true) or WITH CHECK "
        "(true) for anon, authenticated or public on a table whose rows belong to users (a column "
        "compared with auth.uid() in a policy of the table, a foreign key to auth.users, "
        "public.users, public.profiles or another table keyed by auth.users, or the primary key of "
        "public.users or public.profiles themselves) is an error for insert, "
        "update, delete and all: any client can then write, change or delete every user's rows. For "
        "select it is a warning: a public read is often meant (Supabase's own quick-start makes "
        "profiles viewable by everyone) and only exposes data, so it is called out for review rather "
        "than failing the gate. Audit columns (created_by, updated_by, modified_by, deleted_by, "
        "inserted_by, ...) record who touched a row, not who owns it, and do not make a table owned "
        "unless a policy compares them with auth.uid(). On lookup tables without an owner column, "
        "true is a deliberate open door and is not reported. storage.objects counts as owned (Storage "
        "records each file's uploader): true there opens every file of every bucket, private ones "
        "included, to every caller. Restrictive policies only narrow access "
        "and are not checked."
    ),
    bad=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "-- any signed-in user can rewrite anyone's notes\n"
        "create policy notes_update on public.notes for update to authenticated using (true);\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.notes (id uuid primary key, user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_select on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "create policy notes_update on public.notes for update to authenticated\n"
        "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);\n"
        "create table public.countries (code text primary key, name text not null);\n"
        "alter table public.countries enable row level security;\n"
        "-- nobody owns a country: reading them all is the point\n"
        "create policy countries_read on public.countries for select to anon, authenticated using (true);\n"
        "commit;\n"
    ),
    check=check,
    mirrors=("0024_permissive_rls_policy",),
)
