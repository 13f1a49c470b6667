"""destructive-change: a migration that drops, empties, retypes or renames existing tables and columns."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Catalog, Effects, ObjectRef
from checker.model.objects import range_var
from checker.rules._locks import form_rewrites
from checker.rules._policies import foreign_keys
from checker.rules._schema_support import (
    OwnObjects,
    drop_form,
    has_command,
    may_exist,
    relation_of,
    remember_own,
    table_commands,
)
from checker.rules.base import Example, Issue, Rule

_HINT = (
    "if the data may go, say why: -- checker-ignore destructive-change: <reason>; otherwise expand and "
    "contract (add the new, copy, switch readers, drop the old in a later release)"
)


def check(ctx: RuleContext) -> Iterator[Issue]:
    own = OwnObjects()
    created = ctx.created_by_migration()
    for effects in ctx.migration_effects:
        statement = effects.statement
        found = _FINDERS.get(statement.kind)
        if found:
            for target, issue in found(ctx, effects):
                if not own.has(target) and may_exist(ctx, target, statement, effects):
                    yield issue
        remember_own(effects, created, own)


def _drops(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    form = drop_form(effects.statement)[0]
    if form == "OBJECT_TYPE":
        yield from _columns_of_dropped_types(ctx, effects)
    if form != "OBJECT_TABLE":
        return
    for drop in effects.drops:
        name = drop.ref.qualified
        yield (
            drop.ref,
            Issue(
                effects.statement,
                f"drops table {name}, which this migration did not create: every row in it is lost",
                _HINT,
                None,
                name,
            ),
        )


def _columns_of_dropped_types(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    """DROP TYPE ... CASCADE drops the columns of that type (PostgreSQL: "drop cascades to column ...")."""
    earlier = ctx.migration_effects[: effects.statement.index]
    dropped = {drop.ref for before in earlier for drop in before.drops if drop.ref.kind == "column"}
    for drop in effects.drops:
        if drop.cascade and drop.ref.kind == "type":
            for column in (c for c in _typed_columns(ctx.before, drop.ref) if c not in dropped):
                typed, table = drop.ref.qualified, column.table_ref.qualified  # type: ignore[union-attr]
                message = (
                    f"drops type {typed} with CASCADE, which drops column {table}.{column.name} of that "
                    "type: every value in it is lost"
                )
                yield column, Issue(effects.statement, message, _HINT, drop.location, typed)


def _typed_columns(catalog: Catalog, type_ref: ObjectRef) -> Iterator[ObjectRef]:
    """The columns of a type (or of arrays of it), declared in CREATE TABLE or added since."""
    typed = f"{type_ref.schema}.{type_ref.name}"
    for dependent in catalog.dependents(type_ref):
        ref = dependent.ref
        if ref.kind == "column" and ref.table_ref is not None:
            table = catalog.find(ref.table_ref)
            if table is not None and ref.name in table.details.get("columns", ()):
                yield ref
        elif ref.kind == "table":
            present = dependent.details.get("columns", ())
            for name, type_ in dependent.details.get("column_types", {}).items():
                if name in present and type_.rstrip("[]") == typed:
                    yield ObjectRef("column", ref.schema, name, ref.name)


def _alter_table(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    statement = effects.statement
    if not has_command(statement, "AT_DropColumn", "AT_AlterColumnType"):
        return
    if statement.node.get("objtype") not in (None, "OBJECT_TABLE"):
        return
    table = relation_of(statement)
    for cmd in table_commands(statement):
        column = ObjectRef("column", table.schema, cmd.get("name", ""), table.name)
        shown = f"{table.qualified}.{column.name}"
        if cmd.get("subtype") == "AT_DropColumn":
            message = f"drops column {shown}, which this migration did not create: its values are lost " + (
                "and clients that still select it fail"
            )
            location = statement.node["relation"].get("location")
        elif cmd.get("subtype") == "AT_AlterColumnType":
            if form_rewrites(ctx, table, cmd):
                continue  # column-type-rewrite reports it, with the lock and the rewrite
            message = (
                f"changes the type of column {shown}: no rewrite is needed, but existing values are "
                "checked against the new type and API clients see it"
            )
            location = cmd.get("def", {}).get("ColumnDef", {}).get("location")
        else:
            continue
        yield column, Issue(statement, message, _HINT, location, table.qualified)


def _rename(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    statement = effects.statement
    node = statement.node
    kind = node.get("renameType")
    if kind == "OBJECT_TABLE":
        target = relation_of(statement)
        what = f"table {target.qualified}"
    elif kind == "OBJECT_COLUMN" and node.get("relationType") == "OBJECT_TABLE":
        table = relation_of(statement)
        target = ObjectRef("column", table.schema, node.get("subname", ""), table.name)
        what = f"column {table.qualified}.{target.name}"
    else:
        return
    yield (
        target,
        Issue(
            statement,
            f"renames {what} to {node.get('newname')}: API clients, functions and SQL elsewhere that "
            "use the old name break the moment this runs",
            _HINT,
            node["relation"].get("location"),
            relation_of(statement).qualified,
        ),
    )


def _truncate(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    named = [item.get("RangeVar", {}) for item in effects.statement.node.get("relations", [])]
    for rv in named:
        table = range_var(rv)
        yield table, _truncates(effects, table, "which this migration did not create", rv.get("location"))
    if effects.statement.node.get("behavior") == "DROP_CASCADE":
        # CASCADE empties every table whose foreign keys reach a truncated one, named or not
        for table, parent, rv in _referencing(ctx.before, [(range_var(rv), rv) for rv in named]):
            why = f"through CASCADE (its foreign key references {parent.qualified})"
            yield table, _truncates(effects, table, why, rv.get("location"))


def _truncates(effects: Effects, table: ObjectRef, why: str, location: int | None) -> Issue:
    message = f"truncates table {table.qualified}, {why}: every row is lost"
    return Issue(effects.statement, message, _HINT, location, table.qualified)


def _referencing(
    catalog: Catalog, truncated: list[tuple[ObjectRef, dict]]
) -> Iterator[tuple[ObjectRef, ObjectRef, dict]]:
    """The tables TRUNCATE ... CASCADE also empties, each with the table its key references and the
    named table's RangeVar that led there, in the order the cascade reaches them."""
    seen = {table for table, _ in truncated}
    queue = list(truncated)
    tables = [obj.ref for obj in catalog if obj.ref.kind == "table"]
    while queue:
        parent, rv = queue.pop(0)
        for table in tables:
            if table not in seen and any(fk["target"] == parent for fk in foreign_keys(catalog, table)):
                seen.add(table)
                queue.append((table, rv))
                yield table, parent, rv


_FINDERS = {
    "DropStmt": _drops,
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "TruncateStmt": _truncate,
}


RULE = Rule(
    id="destructive-change",
    severity=Severity.WARNING,
    summary="Dropping, emptying, retyping or renaming existing tables and columns is called out",
    rationale=(
        "On a live Supabase project, a migration runs against production data and against API "
        "clients already deployed: DROP TABLE, DROP COLUMN and TRUNCATE delete data that no rollback "
        "brings back, ALTER COLUMN ... TYPE rewrites the table under an exclusive lock and can fail "
        "or silently round existing values, and renaming a table or column breaks every client and "
        "every supabase-js query that uses the old name, as PostgREST serves the new one at once. "
        "Only objects that existed before the migration count (the baseline, earlier migrations, "
        "whatever a statement without IF EXISTS needs to be there, and columns IF EXISTS drops from "
        "a table whose columns are not known); changing what the same "
        "migration created is fine, and rollbacks are not forward migrations. A warning by default, "
        "so reviewers see it; a project can make it an error in its policy and then suppress each "
        "intended case with a reason. Findings name the table, for exemptions."
    ),
    bad=Example(
        "begin;\nalter table public.users drop column birth_city;\ncommit;\n",
        baseline="create table public.users (id uuid primary key, birth_city text);\n",
    ),
    good=Example(
        "begin;\nalter table public.users add column birth_place text;\n"
        "update public.users set birth_place = birth_city;\ncommit;\n",
        baseline="create table public.users (id uuid primary key, birth_city text);\n",
    ),
    check=check,
)
