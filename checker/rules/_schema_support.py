"""Helpers the schema rules share: reading options, naming ALTER targets, tables the migration creates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from checker.context import RuleContext
from checker.model import CatalogObject, Effects, ObjectRef
from checker.model.objects import TEMP_SCHEMA, object_with_args, option_value, range_var, strings
from checker.parse import Derived, Fact, Statement

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


# --- facts of statements -------------------------------------------------------------------------
# What rules read of every statement of a kind, read with the model (checker.parse.Fact): rules ask
# these instead of loading the trees again.


def _relation_node(node: dict) -> dict:
    return node["relation"]


_RELATION = Fact(_relation_node, "AlterTableStmt", "IndexStmt", "CreateStmt", "CreateTrigStmt")


def _resolve_relation(statement: Statement) -> ObjectRef:
    return range_var(_RELATION(statement))


_RESOLVED_RELATION = Derived(_resolve_relation)


def relation_of(statement: Statement) -> ObjectRef:
    """The relation an ALTER TABLE / ALTER VIEW / RENAME / CREATE INDEX / CREATE TABLE names, as a table
    identity."""
    return _RESOLVED_RELATION(statement)


def relation_node(statement: Statement) -> dict:
    """The RangeVar of what those statements name, as written."""
    return _RELATION(statement)


def table_commands(statement: Statement) -> Iterator[dict]:
    """The commands of an ALTER TABLE (or ALTER VIEW, which PostgreSQL parses the same way)."""
    if statement.kind == "AlterTableStmt":
        yield from _commands(statement.node)


def has_command(statement: Statement, *subtypes: str) -> bool:
    """Whether an ALTER TABLE has a command of these forms (AT_SetNotNull, ...): most rules look for one
    or two forms and pass over the others' statements without loading their trees."""
    return any(form.subtype in subtypes for form in command_forms(statement))


class CommandForm(NamedTuple):
    subtype: str  # AT_AddColumn, ...
    name: str | None  # the column (or constraint) it names


def _read_command_forms(node: dict) -> tuple[CommandForm, ...]:
    return tuple(CommandForm(c.get("subtype", ""), c.get("name")) for c in _commands(node))


_COMMAND_FORMS = Fact(_read_command_forms, "AlterTableStmt")


def command_forms(statement: Statement) -> tuple[CommandForm, ...]:
    """The form of each command of an ALTER TABLE."""
    return _COMMAND_FORMS(statement) if statement.kind == "AlterTableStmt" else ()


def _commands(node: dict) -> list[dict]:
    return [item["AlterTableCmd"] for item in node.get("cmds", []) if "AlterTableCmd" in item]


def _read_drop(node: dict) -> tuple[str, bool]:
    return node.get("removeType", ""), bool(node.get("concurrent"))


_DROP = Fact(_read_drop, "DropStmt")


def drop_form(statement: Statement) -> tuple[str, bool]:
    """What a DROP removes (OBJECT_TABLE, OBJECT_INDEX, ...) and whether CONCURRENTLY."""
    return _DROP(statement) if statement.kind == "DropStmt" else ("", False)


def _read_concurrent(node: dict) -> bool:
    return bool(node.get("concurrent"))


_CONCURRENT = Fact(_read_concurrent, "IndexStmt")


def concurrently(statement: Statement) -> bool:
    """CREATE INDEX or DROP INDEX ... CONCURRENTLY."""
    if statement.kind == "DropStmt":
        return drop_form(statement)[1]
    return statement.kind == "IndexStmt" and _CONCURRENT(statement)


class ColumnType(NamedTuple):
    column: str
    type_names: list[str]  # as written: ["pg_catalog", "int4"], ["regproc"]
    location: int | None  # of the type


def _read_column_types(node: dict) -> tuple[ColumnType, ...]:
    typed = [(name, column.get("typeName", {})) for name, column in _column_defs(node)]
    return tuple(ColumnType(name, strings(of.get("names")), of.get("location")) for name, of in typed)


def _column_defs(node: dict) -> list[tuple[str, dict]]:
    """(name, ColumnDef) of each column a CREATE TABLE or ALTER TABLE declares: ALTER COLUMN ... TYPE
    names its column in the command, not in the definition."""
    if "cmds" in node:
        defining = [c for c in _commands(node) if "ColumnDef" in c.get("def", {})]
        named = [(c.get("name", ""), c["def"]["ColumnDef"]) for c in defining]
    else:
        named = [("", e["ColumnDef"]) for e in node.get("tableElts", []) if "ColumnDef" in e]
    return [(column.get("colname") or name, column) for name, column in named]


_COLUMN_TYPES = Fact(_read_column_types, "CreateStmt", "AlterTableStmt")


def declared_column_types(statement: Statement) -> tuple[ColumnType, ...]:
    """The columns a CREATE TABLE or ALTER TABLE declares, with their types, in the order written."""
    return _COLUMN_TYPES(statement) if statement.kind in _TABLE_KINDS else ()


class DeclaredForeignKey(NamedTuple):
    target: dict  # the RangeVar of the referenced table, as written
    columns: list[str]  # the referenced columns, as written
    location: int | None


def _read_foreign_keys(node: dict) -> tuple[DeclaredForeignKey, ...]:
    return tuple(
        DeclaredForeignKey(con["pktable"], strings(con.get("pk_attrs")), con.get("location"))
        for con in _declared_constraints(node)
        if con.get("contype") == "CONSTR_FOREIGN"
    )


_FOREIGN_KEYS = Fact(_read_foreign_keys, "CreateStmt", "AlterTableStmt")


def declared_foreign_keys(statement: Statement) -> tuple[DeclaredForeignKey, ...]:
    """The foreign keys a CREATE TABLE or ALTER TABLE declares, its columns' own ones where the column
    is, in the order written."""
    return _FOREIGN_KEYS(statement) if statement.kind in _TABLE_KINDS else ()


_TABLE_KINDS = ("CreateStmt", "AlterTableStmt")


def _declared_constraints(node: dict) -> Iterator[dict]:
    """The Constraint nodes a CREATE TABLE or ALTER TABLE declares, a column's own ones where the
    column is, in the order they are written (what a walk of the whole tree finds: PostgreSQL takes
    no sub-select in a default, check or generated expression, where any other could be)."""
    for element in _table_elements(node):
        if "ColumnDef" in element:
            for item in element["ColumnDef"].get("constraints", ()):
                if "Constraint" in item:
                    yield item["Constraint"]
        elif "Constraint" in element:
            yield element["Constraint"]


def _table_elements(node: dict) -> list[dict]:
    """What a CREATE TABLE (tableElts) or an ALTER TABLE's commands (their def) declare."""
    if "cmds" in node:
        return [command["def"] for command in _commands(node) if "def" in command]
    return node.get("tableElts", [])


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


def _read_if_exists(node: dict) -> bool:
    return bool(node.get("missing_ok"))


_IF_EXISTS = Fact(_read_if_exists, "AlterTableStmt")


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
    if _made_at_run_time_here(ctx, statement):
        return False  # a DO block of this migration may have made it (fk-order says so), empty
    if not (any(d.missing_ok for d in effects.drops) or _IF_EXISTS(statement)):
        return not _created_later(ctx, target.table_ref if target.kind == "column" else target)
    if target.kind != "column":
        return False
    table = before.find(target.table_ref)  # type: ignore[arg-type]
    return table is None or not table.details.get("columns")


def _made_at_run_time_here(ctx: RuleContext, statement: Statement) -> bool:
    """Whether a DO block of this migration before the statement runs SQL built when it runs that may
    make a table (`execute format('create table ...')`): what the model does not know may be its."""
    key = "schema support: first DO block that may make a table"
    if key not in ctx.unit.memo:
        makers = (effects.statement.index for effects in ctx.migration_effects if effects.unread_relations)
        ctx.unit.memo[key] = next(makers, None)
    first = ctx.unit.memo[key]
    return first is not None and first < statement.index


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
