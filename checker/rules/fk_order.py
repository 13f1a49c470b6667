"""fk-order: every statement refers only to objects that exist when it runs."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator

from checker.context import RuleContext, effects_of
from checker.findings import Severity
from checker.model import Drop, Effects, ObjectRef, Reference
from checker.model.catalog import same_object
from checker.parse import Statement
from checker.rules._policies import policy_head
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    creators = Creators(ctx.migration_effects)
    reported: set = set()  # one finding per missing object and file: the first reference
    bodies_checked = True
    for effects in ctx.migration_effects:
        bodies_checked = function_bodies_checked(effects.statement, bodies_checked)
        own = {created.ref for created in effects.creates}
        missing = ctx.missing_when_run(effects.statement)
        for reference in _sure_references(effects):
            if reference.target in own or reference.target in reported or reference.target not in missing:
                continue
            if not reference.lasting and not bodies_checked:
                continue  # SET check_function_bodies = off: PostgreSQL does not look inside bodies
            issue = _missing(effects.statement, reference, creators, ctx)
            if issue:
                reported.add(reference.target)
                yield issue
    yield from _policies_on_views(ctx)
    yield from _dropped_missing(ctx)


# What a DROP without IF EXISTS fails on when it is not there: a policy or trigger of a table the model knows.
_DROPPED_OF_TABLES = frozenset({"policy", "trigger"})


def _dropped_missing(ctx: RuleContext) -> Iterator[Issue]:
    """DROP POLICY / DROP TRIGGER of one that does not exist when it runs fails ("does not exist"): on a
    fresh database (supabase db reset) it was made nowhere the migrations reach, a dashboard maybe."""
    for effects in ctx.migration_effects:
        absent = ctx.absent_when_dropped(effects.statement)
        for drop in _sure_drops(effects):
            ref = drop.ref
            if drop.missing_ok or ref not in absent or ref.kind not in _DROPPED_OF_TABLES:
                continue
            of = ref.table_ref
            table = (ctx.before.find(of) or ctx.after.find(of)) if of else None
            if table is None or table.origin == "known":
                continue  # fk-order reports an unknown table; Supabase's own are not the model's to list
            yield _drop_of_missing(ctx, effects.statement, drop)


def _sure_drops(effects: Effects) -> list[Drop]:
    """What the statement drops whatever the database holds: of a DO block, not a drop under IF (`if exists
    (select from pg_policies ...) then drop policy ...`) or a handler, which runs only when it may."""
    if not effects.steps:
        return list(effects.drops)
    return [drop for step in effects.steps if not (step.guarded or step.conditional) for drop in step.drops]


def _drop_of_missing(ctx: RuleContext, statement: Statement, drop: Drop) -> Issue:
    ref, hint = drop.ref, f"write drop {drop.ref.kind} if exists, or create it in an earlier migration"
    message = f"drops {ref.display()}, which does not exist when it runs: "
    dynamic = ctx.unread_sql_before(statement, making=True)
    if dynamic is not None:  # a warning: the SQL the model cannot read may well have made it
        message += f"the DO block at {dynamic.where()} runs SQL built when it runs, which may have made it"
        return Issue(statement, message, hint, drop.location, ref.qualified, severity=Severity.WARNING)
    message += "no migration before it, nor the baseline, creates it, so the migration fails on a fresh "
    message += "database (supabase db reset)"
    return Issue(statement, message, hint, drop.location, ref.qualified)


def _policies_on_views(ctx: RuleContext) -> Iterator[Issue]:
    """A policy belongs to a table: a FROM clause may name a view, a policy may not."""
    for effects in ctx.migration_effects:
        statement = effects.statement
        if statement.kind != "CreatePolicyStmt":
            continue
        name, target, location = policy_head(statement)
        found = ctx.after.find(target)
        if found is not None and found.ref.kind in ("view", "materialized view"):
            policy = f'policy "{name}"'
            yield Issue(
                statement,
                f"{policy} is created on {found.ref.kind} {target.qualified}: PostgreSQL refuses it "
                f'("{target.name}" is not a table), and the migration fails here',
                "put the policy on the tables the view reads: a view with security_invoker = true applies "
                "their policies to whoever reads it",
                location,
                target.qualified,
            )


def _sure_references(effects: Effects) -> list[Reference]:
    """What the statement refers to when it runs: of a DO block, the statements a missing object fails (not
    one under `if exists (... the table ...)`, nor one whose handler catches undefined_table)."""
    if not effects.steps:
        return effects.all_references()
    return [reference for step in effects.steps if not step.guarded for reference in step.all_references()]


def function_bodies_checked(statement: Statement, current: bool) -> bool:
    """Follow `SET check_function_bodies` (pg_dump and the Supabase CLI's dumps turn it off)."""
    if statement.kind != "VariableSetStmt" or statement.node.get("name") != "check_function_bodies":
        return current
    node = statement.node
    if node.get("kind") in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return True
    constants = [a["A_Const"] for a in node.get("args", []) if "A_Const" in a]
    values = [str(c.get("sval", {}).get("sval", c.get("boolval", {}).get("boolval", ""))) for c in constants]
    return values[0].lower() not in ("off", "false", "0", "") if values else current


class Creators:
    """The objects some effects create, in statement order and indexed by name: every way of
    providing a reference (`_provides`) needs the same name, so a lookup reads only that name's list."""

    def __init__(self, all_effects: Iterable[Effects]) -> None:
        self._by_name: dict[str, list[tuple[ObjectRef, Statement]]] = defaultdict(list)
        for effects in all_effects:
            for created in effects.creates:
                self._by_name[created.ref.name].append((created.ref, effects.statement))

    def providers(self, wanted: ObjectRef) -> Iterator[Statement]:
        """The statements that create what `wanted` names, in order."""
        for ref, creator in self._by_name.get(wanted.name, ()):
            if _provides(ref, wanted):
                yield creator


def _created_later(target: ObjectRef, statement: Statement, creators: Creators) -> Statement | None:
    return next((c for c in creators.providers(target) if c.index > statement.index), None)


def _provides(created: ObjectRef, wanted: ObjectRef) -> bool:
    if wanted.kind == "function" and not wanted.schema:
        return created.kind in ("function", "procedure") and created.name == wanted.name
    return same_object(created, wanted)


def _missing(
    statement: Statement, reference: Reference, creators: Creators, ctx: RuleContext
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
    if target.kind == "column":
        what = f'column "{target.name}" of {target.table_ref.qualified}, which that table does not have'
        nowhere = f"{what} (not in the definition the model saw, nor added since): PostgreSQL fails here"
        hint = "correct the column's name, or add the column (alter table ... add column) before this "
        hint += "statement"
    else:
        what = f"{target.display()}, which no SQL the model can read creates"
        nowhere = f"{target.display()}, which is created nowhere "
        nowhere += "(not in this migration, the baseline, or the known Supabase objects)"
        hint = "create it first, add the file that creates it to the baseline, or list it under [known] "
        hint += "in the policy"
    dynamic = ctx.unread_sql_before(statement, making=True)
    if dynamic is not None:  # a warning: the SQL the model cannot read may well have made it
        return Issue(
            statement,
            f"{reference.reason} refers to {what}; the DO block at {dynamic.where()} runs SQL built when it "
            "runs (EXECUTE), which may have",
            hint,
            reference.location,
            target.qualified,
            severity=Severity.WARNING,
        )
    message = f"{reference.reason} refers to {nowhere}"
    return Issue(statement, message, hint, reference.location, target.qualified)


def _created_in_later_file(target: ObjectRef, ctx: RuleContext) -> Statement | None:
    key = "fk-order: creators in later files"
    if key not in ctx.unit.memo:  # indexed once per migration, on its first missing reference
        ctx.unit.memo[key] = Creators(e for parsed in ctx.unit.later for e in effects_of(parsed))
    return next(ctx.unit.memo[key].providers(target), None)


def safe_order(all_effects: list[Effects]) -> tuple[list[Statement], list[list[Statement]]]:
    """The creating statements in an order where each comes after what it needs, and any cycles.

    Of the statements whose needs are met, the earliest in the file comes first (a heap of them)."""
    creators = Creators(all_effects)
    by_index = {e.statement.index: e.statement for e in all_effects if e.creates}
    needs: dict[int, set[int]] = {index: set() for index in by_index}
    for effects in all_effects:
        if effects.creates:
            own = effects.statement.index
            for reference in effects.all_references():
                needs[own].update(c.index for c in creators.providers(reference.target) if c.index != own)
    needed_by: dict[int, list[int]] = defaultdict(list)
    for index, wanted in needs.items():
        for need in wanted:
            needed_by[need].append(index)
    unmet = {index: len(wanted) for index, wanted in needs.items()}
    ready = [index for index, count in unmet.items() if count == 0]
    heapq.heapify(ready)
    order: list[Statement] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(by_index[index])
        for dependent in needed_by[index]:
            unmet[dependent] -= 1
            if unmet[dependent] == 0:
                heapq.heappush(ready, dependent)
    placed = {s.index for s in order}
    cycles = [[by_index[i] for i in sorted(needs) if i not in placed]] if len(placed) < len(needs) else []
    return order, cycles


def _order_hint(ctx: RuleContext) -> str:
    """The same for every finding of a migration: worked out once, on the first one."""
    key = "fk-order: hint"
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = _safe_order_hint(ctx)
    return ctx.unit.memo[key]


def _safe_order_hint(ctx: RuleContext) -> str:
    order, cycles = safe_order(ctx.migration_effects)
    if cycles:
        names = ", ".join(f"line {s.line}" for s in cycles[0])
        return (
            f"the statements at {names} need each other: create the tables without the foreign keys, "
            "then add them with ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY once all exist"
        )
    summary = [f"{_first_created(s, ctx)} (line {s.line})" for s in order[:12]]
    shown = ", ".join(summary) + (", ..." if len(order) > 12 else "")
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
        "CONSTRAINT way out of a cycle). An object created nowhere the model can read, after a DO block "
        "that EXECUTEs SQL built when it runs (a type re-made, tables moved by format()), is a warning: "
        "that SQL may have made it. A policy created on a view fails the same way (a policy needs a table), "
        "and so does DROP POLICY or DROP TRIGGER without IF EXISTS of one that is not there (made in a "
        "dashboard, say: the migrations fail on a fresh database), outside an IF that asks the catalog. "
        "Columns too: an index, a key, a foreign key's referenced columns, ALTER / RENAME / COMMENT ON "
        "COLUMN naming a column its table does not have fail with \"column does not exist\"; the model "
        "knows the columns of a table a plain CREATE TABLE made (not LIKE, INHERITS or OF a type) and "
        "follows ADD, DROP and RENAME COLUMN."
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
