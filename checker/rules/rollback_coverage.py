"""rollback-coverage: the rollback removes exactly what the migration created, in an order that works."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Catalog, Drop, Effects, ObjectRef
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.rollback is None:
        if ctx.policy.rollback_required and ctx.migration.statements:
            yield Issue(
                ctx.migration.statements[0],
                f"{ctx.migration.path} has no rollback, and the policy requires one",
                "add X_rollback.sql, X.down.sql or rollback/X.sql, or a [[migrations]] "
                "entry with rollback = ...",
            )
        return
    catalog = ctx.after.copy()
    for effects in ctx.rollback_effects:
        yield from _drops(effects, catalog)
        catalog.apply(effects, origin="rollback")
    yield from _left_behind(ctx, catalog)


def _drops(effects: Effects, catalog: Catalog) -> Iterator[Issue]:
    dropped_here = {d.ref for d in effects.drops}
    for drop in effects.drops:
        target = catalog.find(drop.ref)
        if target is None:
            yield from _missing_target(effects, drop, catalog)
            continue
        if target.origin in ("baseline", "known"):
            yield _data_loss(effects, target.ref, "drops")
            continue
        if not drop.cascade:
            blockers = [
                d
                for d in _blockers(catalog, target.ref)
                if d.ref not in dropped_here and not any(r.matches(d.ref) for r in dropped_here)
            ]
            if blockers:
                names = ", ".join(b.ref.display() for b in blockers[:3])
                yield Issue(
                    effects.statement,
                    f"dropping {target.ref.display()} fails here: {names} still depends on it",
                    f"drop {blockers[0].ref.display()} first, or use DROP ... CASCADE",
                    drop.location,
                    target.ref.qualified,
                )
                continue
        for removed in _cascade_preview(catalog, drop):
            if removed.origin in ("baseline", "known"):
                yield _data_loss(effects, removed.ref, "drops (through CASCADE)")


def _blockers(catalog: Catalog, ref: ObjectRef) -> list:
    """What makes a DROP without CASCADE fail: dependents, and for a schema anything still in it."""
    found = catalog.dependents(ref)
    if ref.kind == "schema":
        found += catalog.contents_of_schema(ref.name)
    return found


def _cascade_preview(catalog: Catalog, drop: Drop) -> list:
    return catalog.copy().remove(drop) if drop.cascade else []


def _missing_target(effects: Effects, drop: Drop, catalog: Catalog) -> Iterator[Issue]:
    ref = drop.ref
    if catalog.has(ref):  # a column the baseline's CREATE TABLE declared
        yield _data_loss(effects, ref, "drops")
    elif not drop.missing_ok:
        yield Issue(
            effects.statement,
            f"drops {ref.display()}, which does not exist at this point of the "
            "rollback: the rollback would fail",
            "drop it only once (IF EXISTS), with its exact name and signature",
            drop.location,
            ref.qualified,
        )


def _data_loss(effects: Effects, ref: ObjectRef, verb: str) -> Issue:
    return Issue(
        effects.statement,
        f"rollback {verb} {ref.display()}, which the migration did not create: "
        "rolling back would destroy data that existed before",
        "drop only what the migration creates",
        None,
        ref.qualified,
    )


def _left_behind(ctx: RuleContext, catalog: Catalog) -> Iterator[Issue]:
    rollback_name = ctx.rollback.path if ctx.rollback else "the rollback"
    for ref, (statement, location) in ctx.created_by_migration().items():
        if _survives(ref, catalog) and not _goes_with_parent(ref, ctx):
            yield Issue(
                statement,
                f"{ref.display()} is created here but {rollback_name} does not remove it",
                f"add to the rollback: {_drop_sql(ref)}",
                location,
                _object_name(ref),
            )


def _survives(ref: ObjectRef, catalog: Catalog) -> bool:
    """Still there after the rollback, and not as the rollback's own re-creation of what was there before,
    nor as part of an extension (dropped with it)."""
    if not catalog.has(ref):
        return False
    found = catalog.find(ref)
    return found is None or (found.origin != "rollback" and "extension" not in found.details)


def _goes_with_parent(ref: ObjectRef, ctx: RuleContext) -> bool:
    """Members of a table the rollback leaves are reported with that table, not one by one."""
    return ref.table is not None and ref.table_ref in ctx.created_by_migration()


def _object_name(ref: ObjectRef) -> str:
    if ref.args is not None:
        return f"{ref.qualified}({', '.join(ref.args)})"
    return ref.qualified


def _drop_sql(ref: ObjectRef) -> str:
    if ref.kind == "column":
        return f"alter table {ref.schema}.{ref.table} drop column if exists {ref.name};"
    if ref.kind in ("policy", "trigger"):
        return f"drop {ref.kind} if exists {ref.name} on {ref.schema}.{ref.table};"
    if ref.kind == "constraint":
        return f"alter table {ref.schema}.{ref.table} drop constraint if exists {ref.name};"
    if ref.kind in ("schema", "extension"):
        return f"drop {ref.kind} if exists {ref.name};"
    return f"drop {ref.kind} if exists {_object_name(ref)};"


RULE = Rule(
    id="rollback-coverage",
    severity=Severity.ERROR,
    summary="The rollback removes every object the migration creates, nothing else, in a working order",
    rationale=(
        "A rollback is only a rollback if running it returns the schema to where it was. Every table, "
        "added column, function (with its exact signature), policy, index, trigger, view, type, "
        "sequence, schema and extension the migration creates must be dropped; dropping an object the "
        "migration did not create (drop table public.users) destroys data; and the order must work: "
        "dropping table matches while function is_match_participant(public.matches, uuid) still takes "
        "its row type fails. Dropping the function first, or DROP ... CASCADE, is the way out."
    ),
    bad=Example(
        "begin;\ncreate table public.matches (id uuid primary key);\n"
        "create function public.is_member(m public.matches, uid uuid) returns boolean\n"
        "  language sql stable set search_path = '' as $$ select true $$;\ncommit;\n",
        rollback="begin;\ndrop table if exists public.matches;\n"
        "drop function if exists public.is_member(public.matches, uuid);\ncommit;\n",
    ),
    good=Example(
        "begin;\ncreate table public.matches (id uuid primary key);\n"
        "create function public.is_member(m public.matches, uid uuid) returns boolean\n"
        "  language sql stable set search_path = '' as $$ select true $$;\ncommit;\n",
        rollback="begin;\ndrop function if exists public.is_member(public.matches, uuid) cascade;\n"
        "drop table if exists public.matches;\ncommit;\n",
    ),
    check=check,
)
