"""function-search-path: functions the migration creates (or makes SECURITY DEFINER) pin their search_path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from checker.context import RuleContext
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import Effects, ObjectRef
from checker.parse import Statement
from checker.rules._schema_support import altered_function, def_elems
from checker.rules.base import Example, Issue, Rule

ROUTINE_KINDS = ("function", "procedure")
# SET search_path = ... and SET search_path FROM CURRENT pin the path; RESET and SET ... TO DEFAULT unpin it.
_PINNING = {"VAR_SET_VALUE", "VAR_SET_CURRENT"}


@dataclass
class _Routine:
    ref: ObjectRef
    created: Statement
    pinned: bool
    definer_at: tuple[Statement, int | None] | None  # the SECURITY DEFINER clause, when there is one
    earlier: bool = False  # made by an earlier migration, altered by this one
    was_at_risk: bool = False  # (earlier) SECURITY DEFINER without a fixed search_path before this one


def check(ctx: RuleContext) -> Iterator[Issue]:
    routines = _final_routines(ctx)
    for routine in routines.values():
        if routine.pinned or (routine.earlier and (routine.was_at_risk or routine.definer_at is None)):
            continue  # an earlier migration's function is this one's finding only where this one made it so
        if routine.definer_at is not None:
            ended = ctx.later_effects(lambda effects, ref=routine.ref: _ending(effects, ref) is not None)
            end = None if ended is None else (ended.statement, _ending(ended, routine.ref))
            yield _definer_issue(routine, end)
        elif ctx.is_exposed(routine.ref):
            yield _exposed_issue(routine)


def _final_routines(ctx: RuleContext) -> dict[ObjectRef, _Routine]:
    """The functions the migration creates as they stand at its end (later ALTERs and DROPs applied)."""
    created = ctx.created_by_migration()
    routines: dict[ObjectRef, _Routine] = {}
    for effects in ctx.migration_effects:
        statement = effects.statement
        if statement.kind == "CreateFunctionStmt":
            for item in effects.creates:
                if item.ref in created:
                    routines[item.ref] = _created(item.ref, item.details, statement)
        elif statement.kind == "AlterFunctionStmt":
            target = altered_function(statement.node)
            altered = [routine for routine in routines.values() if target.matches(routine.ref)]
            earlier = None if altered else _earlier(ctx, target, statement)
            if earlier is not None:
                routines[earlier.ref] = earlier
            for routine in altered or ([earlier] if earlier else []):
                _apply_alter(routine, statement)
        _forget_dropped(routines, effects)
    return routines


def _earlier(ctx: RuleContext, target: ObjectRef, statement: Statement) -> _Routine | None:
    """A function an earlier migration (or the baseline) made, as it stood before this migration."""
    found = ctx.before.find(target)
    if found is None or found.ref.kind not in ROUTINE_KINDS:
        return None
    pinned = found.details.get("search_path") is not None
    definer = (statement, None) if found.details.get("security_definer") else None
    at_risk = definer is not None and not pinned
    return _Routine(found.ref, statement, pinned, definer, earlier=True, was_at_risk=at_risk)


def _created(ref: ObjectRef, details: dict, statement: Statement) -> _Routine:
    definer = None
    if details.get("security_definer"):
        options = def_elems(statement.node.get("options"))
        location = next((e.get("location") for e in options if e.get("defname") == "security"), None)
        definer = (statement, location)
    return _Routine(ref, statement, details.get("search_path") is not None, definer)


def _apply_alter(routine: _Routine, statement: Statement) -> None:
    for action in def_elems(statement.node.get("actions")):
        name = action.get("defname")
        if name == "security":
            on = bool(action.get("arg", {}).get("Boolean", {}).get("boolval"))
            routine.definer_at = (statement, action.get("location")) if on else None
        elif name in ("set", "reset"):
            setting = action.get("arg", {}).get("VariableSetStmt", {})
            if setting.get("kind") == "VAR_RESET_ALL":
                routine.pinned = False
            elif setting.get("name") == "search_path":
                routine.pinned = setting.get("kind") in _PINNING


def _forget_dropped(routines: dict[ObjectRef, _Routine], effects: Effects) -> None:
    for drop in effects.drops:
        if drop.ref.kind in ROUTINE_KINDS:
            for ref in [r for r in routines if drop.ref.matches(r)]:
                del routines[ref]


def signature(ref: ObjectRef) -> str:
    return f"{ref.qualified}({', '.join(ref.args or ())})"


def _ending(effects: Effects, ref: ObjectRef) -> str | None:
    """What a statement (of a later migration) does that ends the routine's risk: pins its search_path
    (CREATE OR REPLACE with SET search_path, ALTER ... SET search_path: "fixes"), makes it SECURITY INVOKER
    (CREATE OR REPLACE without SECURITY DEFINER, ALTER ... SECURITY INVOKER), or drops it; None if nothing."""
    statement = effects.statement
    if any(drop.ref.kind in ROUTINE_KINDS and drop.ref.matches(ref) for drop in effects.drops):
        return "drops"
    if statement.kind == "CreateFunctionStmt":
        for item in effects.creates:
            if item.ref.matches(ref) and item.details.get("search_path") is not None:
                return "fixes"
            if item.ref.matches(ref) and not item.details.get("security_definer"):
                return _INVOKER
    if statement.kind == "AlterFunctionStmt" and altered_function(statement.node).matches(ref):
        routine = _Routine(ref, statement, False, (statement, None))
        _apply_alter(routine, statement)
        return "fixes" if routine.pinned else _INVOKER if routine.definer_at is None else None
    return None


_INVOKER = "makes SECURITY INVOKER"


def _definer_issue(routine: _Routine, ended_by: tuple[Statement, str | None] | None) -> Issue:
    statement, location = routine.definer_at  # type: ignore[misc]
    name = signature(routine.ref)
    what = f"{routine.ref.kind} {name} is SECURITY DEFINER without a fixed search_path"
    risk = "a caller who puts their own objects first on the path runs them with the owner's rights"
    hint = (
        f"add `set search_path = ''` to {name} and schema-qualify every name in its body "
        f"(or: alter {routine.ref.kind} {name} set search_path = '';)"
    )
    if ended_by is None:
        return Issue(statement, f"{what}: {risk}", hint, location, name)
    message = f"{what}, which {ended_by[0].where()} {ended_by[1]}: until that migration runs, {risk}"
    hint += FIX_HERE_TOO
    return Issue(statement, message, hint, location, name, severity=Severity.WARNING)


def _exposed_issue(routine: _Routine) -> Issue:
    name = signature(routine.ref)
    return Issue(
        routine.created,
        f"{routine.ref.kind} {name} in exposed schema {routine.ref.schema} has no fixed search_path: "
        "what its unqualified names resolve to depends on the caller's session",
        f"add `set search_path = ''` to {name} and schema-qualify every name in its body",
        None,
        name,
        severity=Severity.WARNING,
    )


RULE = Rule(
    id="function-search-path",
    severity=Severity.ERROR,
    summary="Functions set their own search_path; SECURITY DEFINER functions must",
    rationale=(
        "A function resolves unqualified table, function and operator names through the search_path "
        "of whoever calls it. Supabase exposes functions in the public schema as RPC endpoints, so the "
        "caller is any API user; a SECURITY DEFINER function (commonly used to read auth tables or "
        "bypass row level security on purpose) runs with its owner's rights, usually postgres, and a "
        "caller who can create objects in a schema on the path can substitute their own and run them "
        "as the owner. Pinning `set search_path = ''` (and qualifying names) in the function, or with "
        "ALTER FUNCTION ... SET search_path later in the same migration, closes that: an error for "
        "SECURITY DEFINER functions, a warning for other functions in exposed schemas (Supabase's "
        "database linter reports these as function_search_path_mutable). An earlier migration's function "
        "that this one makes SECURITY DEFINER, or unpins, by ALTER FUNCTION is this one's error. A later "
        "migration of the same run that pins it, makes it SECURITY INVOKER or drops it makes the error a "
        "warning naming that file."
    ),
    bad=Example(
        "begin;\ncreate function public.user_email(uid uuid) returns text\n"
        "  language sql stable security definer\n"
        "  as $$ select email from auth.users where id = uid $$;\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate function public.user_email(uid uuid) returns text\n"
        "  language sql stable security definer set search_path = ''\n"
        "  as $$ select email from auth.users where id = uid $$;\n"
        "revoke execute on function public.user_email(uuid) from public, anon;\ncommit;\n"
    ),
    check=check,
    mirrors=("0011_function_search_path_mutable",),
)
