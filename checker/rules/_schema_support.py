"""Helpers the schema rules share: reading options, naming ALTER targets, tables the migration creates."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.model import CatalogObject, ObjectRef
from checker.model.objects import object_with_args, option_value, range_var
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


def created_tables(ctx: RuleContext) -> Iterator[tuple[CatalogObject, Statement, int | None]]:
    """Tables the migration creates and leaves in place, with the statement and name location."""
    for ref, (statement, location) in ctx.created_by_migration().items():
        if ref.kind != "table":
            continue
        table = ctx.after.find(ref)
        if table is not None and table.ref.kind == "table":
            yield table, statement, location
