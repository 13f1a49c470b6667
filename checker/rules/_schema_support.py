"""Helpers the schema rules share: reading options, naming ALTER targets, tables the migration creates."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.model import CatalogObject, ObjectRef
from checker.model.objects import function_ref, range_var, strings, type_name
from checker.parse import Statement

# The spellings PostgreSQL accepts for a true boolean reloption (unique prefixes aside).
TRUE_WORDS = frozenset({"true", "on", "yes", "1", "t", "y"})


def option_text(elem: dict) -> str:
    """The value of a DefElem as lower-case text; a bare option (`with (security_invoker)`) is true."""
    arg = elem.get("arg")
    if not arg:
        return "true"
    for key, field in (("String", "sval"), ("Boolean", "boolval"), ("Integer", "ival")):
        if key in arg:
            value = arg[key].get(field)
            if key == "Boolean":
                return "true" if value else "false"
            return str(value if value is not None else 0).lower()
    if "TypeName" in arg:  # a bare word such as `yes` parses as a type name
        return ".".join(strings(arg["TypeName"].get("names"))).lower()
    return ""


def is_true(elem: dict) -> bool:
    return option_text(elem) in TRUE_WORDS


def def_elems(items: list | None) -> Iterator[dict]:
    """The DefElem nodes of an option list (some lists wrap them in a List node)."""
    for item in items or ():
        if "DefElem" in item:
            yield item["DefElem"]
        elif "List" in item:
            yield from def_elems(item["List"].get("items"))


def altered_function(node: dict) -> ObjectRef:
    """The function an ALTER FUNCTION names; without an argument list it names every overload."""
    owa = node["func"]
    args = (
        None
        if owa.get("args_unspecified")
        else tuple(type_name(t["TypeName"]) for t in owa.get("objargs", []) if "TypeName" in t)
    )
    kind = "procedure" if node.get("objtype") == "OBJECT_PROCEDURE" else "function"
    return function_ref(strings(owa["objname"]), args, kind)


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
