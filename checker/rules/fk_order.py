"""fk-order: every statement refers only to objects that exist when it runs."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext, effects_of
from checker.findings import Severity
from checker.model import Effects, ObjectRef, Reference
from checker.model.catalog import same_object
from checker.parse import Statement
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    creators = _creators(ctx.migration_effects)
    catalog = ctx.before.copy()
    reported: set = set()  # one finding per missing object and file: the first reference
    bodies_checked = True
    for effects in ctx.migration_effects:
        bodies_checked = _function_bodies_checked(effects.statement, bodies_checked)
        own = {created.ref for created in effects.creates}
        for reference in effects.all_references():
            if reference.target in own or reference.target in reported or catalog.exists(reference.target):
                continue
            if not reference.lasting and not bodies_checked:
                continue  # SET check_function_bodies = off: PostgreSQL does not look inside bodies
            issue = _missing(effects.statement, reference, creators, ctx)
            if issue:
                reported.add(reference.target)
                yield issue
        catalog.apply(effects)


def _function_bodies_checked(statement: Statement, current: bool) -> bool:
    """Follow `SET check_function_bodies` (pg_dump and the Supabase CLI's dumps turn it off)."""
    node = statement.node
    if statement.kind != "VariableSetStmt" or node.get("name") != "check_function_bodies":
        return current
    if node.get("kind") in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return True
    constants = [a["A_Const"] for a in node.get("args", []) if "A_Const" in a]
    values = [str(c.get("sval", {}).get("sval", c.get("boolval", {}).get("boolval", ""))) for c in constants]
    return values[0].lower() not in ("off", "false", "0", "") if values else current


def _creators(all_effects: list[Effects]) -> list[tuple[ObjectRef, Statement]]:
    return [(created.ref, effects.statement) for effects in all_effects for created in effects.creates]


def _created_later(
    target: ObjectRef, statement: Statement, creators: list[tuple[ObjectRef, Statement]]
) -> Statement | None:
    for ref, creator in creators:
        if creator.index > statement.index and _provides(ref, target):
            return creator
    return None


def _provides(created: ObjectRef, wanted: ObjectRef) -> bool:
    if wanted.kind == "function" and not wanted.schema:
        return created.kind in ("function", "procedure") and created.name == wanted.name
    return same_object(created, wanted)


def _missing(
    statement: Statement, reference: Reference, creators: list[tuple[ObjectRef, Statement]], ctx: RuleContext
) -> Issue | None:
    target = reference.target
    later = _created_later(target, statement, creators)
    if later is not None:
        return Issue(
            statement,
            f"{reference.reason} refers to {target.display()}, which is created later (line {later.line})",
            _order_hint(ctx),
            reference.location,
            target.qualified,
        )
    in_later_file = _created_in_later_file(target, ctx)
    if in_later_file is not None:
        return Issue(
            statement,
            f"{reference.reason} refers to {target.display()}, which a later migration creates "
            f"({in_later_file.where()})",
            "move the statement into a migration that runs after that one, or create the object earlier",
            reference.location,
            target.qualified,
        )
    if target.kind == "function" and (not target.schema or target.schema == "pg_catalog"):
        return None  # an unqualified call to a function nobody creates is a built-in
    return Issue(
        statement,
        f"{reference.reason} refers to {target.display()}, which is created nowhere "
        "(not in this migration, the baseline, or the known Supabase objects)",
        "create it first, add the file that creates it to the baseline, or list it under [known] "
        "in the policy",
        reference.location,
        target.qualified,
    )


def _created_in_later_file(target: ObjectRef, ctx: RuleContext) -> Statement | None:
    for parsed in ctx.unit.later:
        for effects in effects_of(parsed):
            if any(_provides(created.ref, target) for created in effects.creates):
                return effects.statement
    return None


def safe_order(all_effects: list[Effects]) -> tuple[list[Statement], list[list[Statement]]]:
    """The creating statements in an order where each comes after what it needs, and any cycles."""
    creators = _creators(all_effects)
    needs: dict[int, set[int]] = {}
    by_index = {e.statement.index: e.statement for e in all_effects if e.creates}
    for effects in all_effects:
        if not effects.creates:
            continue
        wanted = needs.setdefault(effects.statement.index, set())
        for reference in effects.all_references():
            for ref, creator in creators:
                if creator.index != effects.statement.index and _provides(ref, reference.target):
                    wanted.add(creator.index)
    order: list[Statement] = []
    done: set[int] = set()
    pending = sorted(needs)
    while pending:
        ready = [i for i in pending if needs[i] <= done]
        if not ready:
            break
        done.add(ready[0])
        order.append(by_index[ready[0]])
        pending.remove(ready[0])
    cycles = [[by_index[i] for i in pending]] if pending else []
    return order, cycles


def _order_hint(ctx: RuleContext) -> str:
    order, cycles = safe_order(ctx.migration_effects)
    if cycles:
        names = ", ".join(f"line {s.line}" for s in cycles[0])
        return (
            f"the statements at {names} need each other: create the tables without the foreign keys, "
            "then add them with ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY once all exist"
        )
    summary = [f"{_first_created(s, ctx)} (line {s.line})" for s in order]
    shown = ", ".join(summary[:12]) + (", ..." if len(summary) > 12 else "")
    return f"reorder the creating statements; a safe order is: {shown}"


def _first_created(statement: Statement, ctx: RuleContext) -> str:
    effects = ctx.migration_effects[statement.index]
    return effects.creates[0].ref.display() if effects.creates else statement.kind


RULE = Rule(
    id="fk-order",
    severity=Severity.ERROR,
    summary="Objects are created before anything refers to them",
    rationale=(
        "PostgreSQL resolves a foreign key's table, a function's argument and return types, a SQL "
        "function's body, the functions a policy calls and a trigger's function when the statement "
        "runs. A migration that creates blind_chats before matches fails on a fresh database even if it "
        "worked on a developer's copy where matches already existed. The rule replays the file against "
        "the baseline and Supabase's own objects (auth.users, auth.uid(), ...), reports each reference to "
        "an object that does not exist yet, and suggests a safe order (or the ALTER TABLE ... ADD "
        "CONSTRAINT way out of a cycle)."
    ),
    bad=Example(
        "begin;\ncreate table public.chats (\n  id uuid primary key,\n"
        "  match_id uuid not null references public.matches (id)\n);\n"
        "create table public.matches (id uuid primary key);\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate table public.matches (id uuid primary key);\n"
        "create table public.chats (\n  id uuid primary key,\n"
        "  match_id uuid not null references public.matches (id)\n);\ncommit;\n"
    ),
    check=check,
)
