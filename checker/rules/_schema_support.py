"""Helpers the schema rules share: reading options, naming ALTER targets, tables the migration creates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from checker.context import RuleContext
from checker.model import CatalogObject, Effects, ObjectRef
from checker.model.objects import TEMP_SCHEMA, object_with_args, option_value, range_var
from checker.parse import Statement

# The spellings PostgreSQL accepts for a true boolean reloption (unique prefixes aside).
TRUE_WORDS = frozenset({"true", "on", "yes", "1", "t", "y"})


def is_true(elem: dict) -> bool:
    return option_value(elem) in TRUE_WORDS


def def_elems(items: list | None) -> Iterator[dict]:
    """The DefElem nodes of an option list (some lists wrap them in a List node)."""
    for item in items or ():
        if "DefElem" in item:
            yield item["DefElem"]
        elif "List" in item:
            yield from def_elems(item["List"].get("items"))


def extension_schema(node: dict) -> tuple[str | None, int | None]:
    """The schema a CREATE EXTENSION names (WITH SCHEMA), and where; (None, None) without one."""
    for elem in def_elems(node.get("options")):
        if elem.get("defname") == "schema":
            return option_value(elem), elem.get("location")
    return None, None


def altered_function(node: dict) -> ObjectRef:
    """The function an ALTER FUNCTION names; without an argument list it names every overload."""
    kind = "procedure" if node.get("objtype") == "OBJECT_PROCEDURE" else "function"
    return object_with_args(node["func"], kind)


def relation_of(statement: Statement) -> ObjectRef:
    """The relation an ALTER TABLE / ALTER VIEW / RENAME names, as a table identity."""
    return range_var(statement.node["relation"])


def table_commands(statement: Statement) -> Iterator[dict]:
    """The commands of an ALTER TABLE (or ALTER VIEW, which PostgreSQL parses the same way)."""
    if statement.kind != "AlterTableStmt":
        return
    for item in statement.node.get("cmds", []):
        if "AlterTableCmd" in item:
            yield item["AlterTableCmd"]


def declared_columns(statement: Statement) -> Iterator[dict]:
    """The ColumnDef nodes a CREATE TABLE or ALTER TABLE declares, in the order they are written."""
    for element in _table_elements(statement):
        if "ColumnDef" in element:
            yield element["ColumnDef"]


def declared_constraints(statement: Statement) -> Iterator[dict]:
    """The Constraint nodes a CREATE TABLE or ALTER TABLE declares, a column's own ones where the
    column is, in the order they are written (what a walk of the whole tree finds: PostgreSQL takes
    no sub-select in a default, check or generated expression, where any other could be)."""
    for element in _table_elements(statement):
        if "ColumnDef" in element:
            for item in element["ColumnDef"].get("constraints", ()):
                if "Constraint" in item:
                    yield item["Constraint"]
        elif "Constraint" in element:
            yield element["Constraint"]


def _table_elements(statement: Statement) -> Iterator[dict]:
    if statement.kind == "CreateStmt":
        yield from statement.node.get("tableElts", ())
    else:
        for command in table_commands(statement):
            if "def" in command:
                yield command["def"]


def created_tables(ctx: RuleContext) -> Iterator[tuple[CatalogObject, Statement, int | None]]:
    """Tables the migration creates and leaves in place, with the statement and name location; not an
    extension's (pg_net's, a pgmq queue), whose shape is the extension's, not the project's choice."""
    for ref, (statement, location) in ctx.created_by_migration().items():
        if ref.kind != "table":
            continue
        table = ctx.after.find(ref)
        if table is not None and table.ref.kind == "table" and "extension" not in table.details:
            yield table, statement, location


@dataclass
class OwnObjects:
    """Tables and columns this migration has created so far, and the session's temporary ones: changing
    those destroys nothing and locks nobody out (the table is empty and no one else can see it yet)."""

    refs: set[ObjectRef] = field(default_factory=set)

    def has(self, ref: ObjectRef) -> bool:
        if ref.schema == TEMP_SCHEMA:
            return True
        key = _key(ref)
        return key in self.refs or (ref.table is not None and _key(ref.table_ref) in self.refs)

    def add(self, ref: ObjectRef) -> None:
        self.refs.add(_key(ref))


def _key(ref: ObjectRef | None) -> ObjectRef:
    assert ref is not None
    kind = "column" if ref.kind == "column" else "table"
    return ObjectRef(kind, ref.schema, ref.name, ref.table)


def may_exist(ctx: RuleContext, target: ObjectRef, statement: Statement, effects: Effects) -> bool:
    """Whether the target can hold data when the statement runs.

    Without IF EXISTS it must exist, or the migration fails, unless a later migration of the run creates
    its table (without IF NOT EXISTS): then it is not there yet, and fk-order says so. With IF EXISTS, a
    table nobody is known to have created is taken as absent; a column only when its table's columns are
    known, since IF EXISTS on a column is mostly written for re-runs, not because it may be missing.
    """
    before = ctx.before
    if before.has(target):
        return True
    if not (statement.node.get("missing_ok") or any(d.missing_ok for d in effects.drops)):
        return not _created_later(ctx, target.table_ref if target.kind == "column" else target)
    if target.kind != "column":
        return False
    table = before.find(target.table_ref)  # type: ignore[arg-type]
    return table is None or not table.details.get("columns")


def _created_later(ctx: RuleContext, table: ObjectRef | None) -> bool:
    """Whether a later migration of the run creates the table outright (CREATE TABLE without IF NOT
    EXISTS), worked out once per table."""
    if table is None or not ctx.unit.later:
        return False
    key = ("schema support: created later", table)
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = ctx.later(lambda effects: _creates_outright(effects, table)) is not None
    return ctx.unit.memo[key]


def _creates_outright(effects: Effects, table: ObjectRef) -> bool:
    return any(item.ref == table and not item.if_not_exists for item in effects.creates)


# What a migration makes that no one else uses yet: changing it locks nobody out.
_OWN_KINDS = frozenset({"table", "column", "view", "materialized view", "sequence"})


def remember_own(effects: Effects, created: dict, own: OwnObjects) -> None:
    for item in effects.creates:
        if item.ref.kind in _OWN_KINDS and item.ref in created:
            own.add(item.ref)
    for old, new_name in effects.renames:
        if own.has(old) and new_name:
            own.add(ObjectRef(old.kind, old.schema, new_name, old.table))


def column_there(ctx: RuleContext, table: ObjectRef, column: str, statement: Statement) -> bool:
    """Whether the column exists when the statement runs: before the migration, or made by an earlier
    statement of it (ADD COLUMN IF NOT EXISTS of such a column is skipped whole)."""
    ref = ObjectRef("column", table.schema, column, table.name)
    made = ctx.created_by_migration().get(ref)
    return ctx.before.has(ref) or (made is not None and made[0].index < statement.index)
