"""What a migration and its rollback can touch, read from their SQL: the rollback check compares
catalog snapshots of these objects only, so its cost follows the migration, not the database.

The scope is every object whose name (or whose table's name) the two files mention anywhere, and
every object of a schema they create, drop, rename or grant on as a whole. Where the SQL runs code
the model cannot see into — EXECUTE, PERFORM and CALL in DO blocks, functions a statement executes
(anything pg_catalog does not provide), CALL, CASCADE, extensions, DROP/REASSIGN OWNED — the whole
catalog is compared, as before. What slips past both (a trigger fired by the file's DML doing DDL, a
function called in a DO block's IF condition) is caught by a fingerprint of which objects exist
outside the scope (snapshot.py `Fingerprint`); a change to an existing object's attributes outside
the scope made that way is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psycopg
from pglast import parser as pg

from checker.context import RuleContext
from checker.model.do_blocks import do_body, embedded_statements
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.parse import ParsedFile, Statement, do_block_tree

NAME_BYTES = 63  # NAMEDATALEN - 1: longer strings (bodies, literals) name no object

# Statements whose function calls run while the file runs (a CREATE TABLE's defaults do not).
_EXECUTING = frozenset(
    {
        *("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"),
        *("CreateTableAsStmt", "AlterTableStmt"),
    }
)
_OPAQUE_STATEMENTS = {
    "CallStmt": "it calls a procedure",
    "ExecuteStmt": "it executes a prepared statement",
    "DropOwnedStmt": "DROP OWNED drops whatever a role owns",
    "ReassignOwnedStmt": "REASSIGN OWNED changes whatever a role owns",
    "CreateExtensionStmt": "an extension's script creates and grants more than it names",
    "AlterExtensionStmt": "an extension's script creates and grants more than it names",
    "AlterExtensionContentsStmt": "it changes an extension's members",
}
_OPAQUE_PLPGSQL = {
    "PLpgSQL_stmt_dynexecute": "a DO block runs dynamic SQL (EXECUTE)",
    "PLpgSQL_stmt_dynfors": "a DO block loops over dynamic SQL",
    "PLpgSQL_stmt_perform": "a DO block calls a function (PERFORM)",
    "PLpgSQL_stmt_call": "a DO block calls a procedure",
}


@dataclass(frozen=True)
class Scope:
    names: frozenset[str] = frozenset()  # identifiers the files mention
    schemas: frozenset[str] = frozenset()  # schemas taken whole
    whole: str = ""  # why the whole catalog is compared instead; empty when the names suffice

    def params(self) -> dict[str, list[str]]:
        return {"names": sorted(self.names), "schemas": sorted(self.schemas)}


def unit_scope(conn: psycopg.Connection, context: RuleContext) -> Scope:
    """The scope of a migration and its rollback; `conn` tells pg_catalog's functions from the project's."""
    files = [context.migration] + ([context.rollback] if context.rollback else [])
    statements = [s for parsed in files for s in _with_embedded(parsed)]
    why = next((reason for s in statements if (reason := _opaque(s))), "")
    if not why:
        calls = {name for s in statements for name in _calls(s)}
        why = _project_function(conn, calls)
    if why:
        return Scope(whole=why)
    names = frozenset(name for s in statements for name in _identifiers(s.node))
    schemas = frozenset(name for s in statements for name in _whole_schemas(s))
    return Scope(names, schemas)


def _with_embedded(parsed: ParsedFile) -> Iterator[Statement]:
    for statement in parsed.statements:
        yield statement
        if statement.kind == "DoStmt":
            yield from embedded_statements(statement)


def _opaque(statement: Statement) -> str:
    node, kind = statement.node, statement.kind
    if kind in _OPAQUE_STATEMENTS:
        return _OPAQUE_STATEMENTS[kind]
    if kind == "DropStmt" and node.get("removeType") == "OBJECT_EXTENSION":
        return "dropping an extension drops its members"
    if node.get("behavior") == "DROP_CASCADE" or any(
        cmd.get("behavior") == "DROP_CASCADE" for cmd in find_nodes(node, "AlterTableCmd")
    ):
        return "CASCADE drops objects the file does not name"
    if kind == "DoStmt":
        return _opaque_do_block(node)
    return ""


def _opaque_do_block(node: dict) -> str:
    body, language = do_body(node)
    if language != "plpgsql":
        return f"a DO block in {language}"
    try:
        tree = do_block_tree(body)
    except pg.ParseError:
        return "a DO block the parser cannot read"
    return next((why for kind, why in _OPAQUE_PLPGSQL.items() if next(find_nodes(tree, kind), None)), "")


def _calls(statement: Statement) -> Iterator[tuple[str, ...]]:
    """The functions a statement runs as it executes, as their (possibly qualified) names."""
    if statement.kind not in _EXECUTING:
        return
    for call in find_nodes(statement.node, "FuncCall"):
        yield tuple(strings(call.get("funcname")))


def _project_function(conn: psycopg.Connection, calls: Iterable[tuple[str, ...]]) -> str:
    """Why the file runs code of the project's (a function not in pg_catalog), else ""."""
    unqualified = set()
    for name in calls:
        if len(name) > 1 and name[-2] != "pg_catalog":
            return f"it runs the function {'.'.join(name)}"
        unqualified.add(name[-1])
    if not unqualified:
        return ""
    builtin = {row[0] for row in conn.execute(_BUILTIN, [sorted(unqualified)]).fetchall()}
    missing = sorted(unqualified - builtin)
    return f"it runs the function {missing[0]}" if missing else ""


_BUILTIN = """select distinct proname::text from pg_catalog.pg_proc
where pronamespace = 'pg_catalog'::regnamespace and proname = any(%s)"""


def _identifiers(tree: object) -> Iterator[str]:
    """Every string of the tree short enough to be a name: relation, column, index, policy, schema..."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item.encode()) <= NAME_BYTES:
            yield item


def _whole_schemas(statement: Statement) -> Iterator[str]:
    """Schemas whose every object the statement may change: created, dropped, renamed, owned, granted on."""
    node, kind = statement.node, statement.kind
    if kind == "CreateSchemaStmt":
        yield node.get("schemaname", "")
    elif kind == "DropStmt" and node.get("removeType") == "OBJECT_SCHEMA":
        for item in node.get("objects", []):
            yield from strings([item])
    elif kind in ("RenameStmt", "AlterOwnerStmt") and "OBJECT_SCHEMA" in (
        node.get("renameType"),
        node.get("objectType"),
    ):
        yield from (name for name in (node.get("subname"), node.get("newname")) if name)
        yield from strings([node["object"]]) if "object" in node else ()
    elif kind == "GrantStmt" and node.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        for item in node.get("objects", []):
            yield from strings([item])
