"""view-security-invoker: views in exposed schemas run as the caller; none of them reads auth.users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from checker.context import RuleContext
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import Effects, ObjectRef
from checker.model.walk import find_nodes
from checker.parse import Statement
from checker.rules._api_access import api_roles_left, revokes
from checker.rules._schema_support import def_elems, has_command, is_true, relation_of, table_commands
from checker.rules.base import Example, Issue, Rule

AUTH_USERS_ID = "auth-users-exposed"
VIEW_KINDS = ("view", "materialized view")


@dataclass
class _View:
    ref: ObjectRef
    statement: Statement
    location: int | None
    invoker: bool


def check(ctx: RuleContext) -> Iterator[Issue]:
    views = _final_views(ctx)
    for view in views.values():
        if not ctx.is_exposed(view.ref):
            continue
        if view.ref.kind == "view" and not view.invoker:
            yield _definer_view(view, ctx.later(lambda effects, ref=view.ref: _makes_invoker(effects, ref)))
        yield from _auth_users(ctx, view)


def _final_views(ctx: RuleContext) -> dict[ObjectRef, _View]:
    """The views the migration creates, as they stand at its end (ALTER VIEW ... SET applied)."""
    created = ctx.created_by_migration()
    views: dict[ObjectRef, _View] = {}
    for effects in ctx.migration_effects:
        statement = effects.statement
        for item in effects.creates:
            if item.ref.kind in VIEW_KINDS and item.ref in created:
                views[item.ref] = _View(item.ref, statement, item.location, _invoker(statement.node))
        if statement.kind == "AlterTableStmt":
            view = views.get(ObjectRef("view", *_parts(relation_of(statement))))
            if view is not None:
                view.invoker = _invoker_after(statement, view.invoker)
        for drop in effects.drops:
            views.pop(ObjectRef(drop.ref.kind, drop.ref.schema, drop.ref.name), None)
    return views


def _parts(ref: ObjectRef) -> tuple[str, str]:
    return ref.schema, ref.name


def _invoker(node: dict) -> bool:
    """Whether CREATE VIEW sets security_invoker (CREATE OR REPLACE replaces earlier options)."""
    return any(e.get("defname") == "security_invoker" and is_true(e) for e in def_elems(node.get("options")))


def _invoker_after(statement: Statement, invoker: bool) -> bool:
    if not has_command(statement, "AT_SetRelOptions", "AT_ResetRelOptions"):
        return invoker
    for cmd in table_commands(statement):
        for elem in def_elems([cmd.get("def", {})]):
            if elem.get("defname") != "security_invoker":
                continue
            if cmd.get("subtype") == "AT_SetRelOptions":
                invoker = is_true(elem)
            elif cmd.get("subtype") == "AT_ResetRelOptions":
                invoker = False
    return invoker


def _makes_invoker(effects: Effects, view: ObjectRef) -> bool:
    """Whether a statement (of a later migration) makes the view run as the caller, or drops it."""
    statement = effects.statement
    if _drops(effects, view):
        return True
    if statement.kind == "ViewStmt":
        return any(item.ref == view for item in effects.creates) and _invoker(statement.node)
    if statement.kind == "AlterTableStmt" and relation_of(statement).qualified == view.qualified:
        return _invoker_after(statement, False)
    return False


def _drops(effects: Effects, view: ObjectRef) -> bool:
    return any(drop.ref.kind == view.kind and drop.ref.qualified == view.qualified for drop in effects.drops)


def _definer_view(view: _View, fixed_by: Statement | None) -> Issue:
    name = view.ref.qualified
    what = f"view {name} in exposed schema {view.ref.schema} runs with its owner's rights"
    what += " (no security_invoker)"
    hint = f"create view {name} with (security_invoker = true) as ...; "
    hint += f"or: alter view {name} set (security_invoker = true);"
    if fixed_by is None:
        message = f"{what}: it bypasses the row level security of every table it reads"
        return Issue(view.statement, message, hint, view.location, name)
    verb = "drops" if fixed_by.kind == "DropStmt" else "sets"
    message = (
        f"{what}, which {fixed_by.where()} {verb}: until that migration runs, it bypasses the row level "
        "security of every table it reads"
    )
    hint += FIX_HERE_TOO
    return Issue(view.statement, message, hint, view.location, name, severity=Severity.WARNING)


def _auth_users(ctx: RuleContext, view: _View) -> Iterator[Issue]:
    """A view of auth.users that anon or authenticated can select (splinter's 0002 asks the same
    privilege): a warning naming a later migration of the run that drops it or revokes that SELECT."""
    readers = api_roles_left(ctx, view.ref, "select")
    query = view.statement.node.get("query")
    read = next((rv for rv in find_nodes(query, "RangeVar") if _is_auth_users(rv)), None)
    if read is None or not readers:
        return
    what = f"{view.ref.kind} {view.ref.qualified} in exposed schema {view.ref.schema} reads auth.users"
    publishes = "can publish users' e-mail addresses, phone numbers and metadata through the API"
    hint = (
        "read the columns you need from a table of your own (e.g. public.profiles filled by a trigger), or "
        "put the view in a schema the API does not expose"
    )
    ended_by = ctx.later_effects(_followed_through_renames(view.ref, readers))
    if ended_by is None:
        message, severity = f"{what}: it {publishes}", Severity.ERROR
    else:
        verb = f"revokes SELECT on it from {' and '.join(readers)}"
        if ended_by.statement.kind == "DropStmt":
            verb = "drops"
        until = f"which {ended_by.statement.where()} {verb}: until that migration runs"
        message = f"{what}, {until}, it {publishes}"
        hint, severity = hint + FIX_HERE_TOO, Severity.WARNING
    yield Issue(
        view.statement, message, hint, read.get("location"), view.ref.qualified, AUTH_USERS_ID, severity
    )


def _is_auth_users(rv: dict) -> bool:
    return rv.get("schemaname") == "auth" and rv.get("relname") == "users"


def _followed_through_renames(view: ObjectRef, readers: list[str]) -> Callable[[Effects], bool]:
    """_ends_reading for the later migrations' statements in order, under the name a later ALTER VIEW ...
    RENAME gives the view (artemis renames admins_profiles, then revokes admin_with_profile)."""
    named = [view]

    def ends(effects: Effects) -> bool:
        for old, new_name in effects.renames:
            if (old.schema, old.name) == (named[0].schema, named[0].name):
                named[0] = named[0]._replace(name=new_name)
        return _ends_reading(effects, named[0], readers)

    return ends


def _ends_reading(effects: Effects, view: ObjectRef, readers: list[str]) -> bool:
    """Whether a statement (of a later migration) drops the view or takes SELECT on it from its readers."""
    return _drops(effects, view) or all(revokes(effects.statement, view, "select", role) for role in readers)


RULE = Rule(
    id="view-security-invoker",
    severity=Severity.ERROR,
    summary="Views in exposed schemas set security_invoker = true and never read auth.users",
    rationale=(
        "A PostgreSQL view runs with the rights of its owner, and on Supabase that owner is usually "
        "postgres, which bypasses row level security: a view in the public schema hands anon and "
        "authenticated every row of the tables it reads, whatever their policies say. Since PostgreSQL "
        "15, `with (security_invoker = true)` makes the view check the caller's rights and policies "
        "instead (Supabase's linter: security_definer_view). A view or materialized view in an exposed "
        "schema that reads auth.users is reported as auth-users-exposed even with security_invoker: "
        "materialized views have no such option, and the view publishes auth data by design (while anon "
        "or authenticated can select it, as splinter's 0002 asks; a later migration of the run that "
        "revokes that SELECT or drops the view makes it a warning naming that file). Only "
        "views the migration creates (or re-creates) are checked; ALTER VIEW ... SET "
        "(security_invoker = true) later in the migration counts, and one in a later migration of the "
        "same run (pushed with it) makes the finding a warning naming that file."
    ),
    bad=Example(
        "begin;\ncreate view public.member_emails as\n  select u.id, u.email from auth.users u;\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate view public.open_matches with (security_invoker = true) as\n"
        "  select id, created_at from public.matches where status = 'proposed';\ncommit;\n",
        baseline="create table public.matches (id uuid primary key, status text, created_at timestamptz);\n",
    ),
    check=check,
    extra_ids=(AUTH_USERS_ID,),
    mirrors=("0010_security_definer_view", "0002_auth_users_exposed"),
)
