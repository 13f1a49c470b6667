"""The SQL inside `DO $$ ... $$` blocks (PL/pgSQL), modelled like the file's own statements.

Idempotent migrations create types, policies and constraints inside DO blocks guarded by
IF NOT EXISTS or an exception handler. libpg_query's PL/pgSQL parser gives each embedded statement's
text; that text stands verbatim in the file, so its nodes' locations are shifted to point there.
Dynamic SQL (EXECUTE '...') is not modelled: its text is only known when it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pglast import parser as pg

from checker.model.walk import find_nodes
from checker.parse import Statement


def embedded_statements(do: Statement) -> Iterator[Statement]:
    """The statements a PL/pgSQL DO block runs directly, located in the file."""
    body, language = _body(do.node)
    if not body or language != "plpgsql":
        return
    try:
        tree = json.loads(pg.parse_plpgsql_json(f"do $checker_do$ {body} $checker_do$"))
    except pg.ParseError:
        return
    cursor = do.start
    for sql in find_nodes(tree, "PLpgSQL_stmt_execsql"):
        query = sql.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
        found = do.source.text.find(query, cursor, do.end) if query else -1
        try:
            parsed = json.loads(pg.parse_sql_json(query))
        except pg.ParseError:
            continue
        if found >= 0:
            cursor = found + len(query)
        shift = do.source.byte_offset(found) if found >= 0 else None
        for raw in parsed.get("stmts", []):
            ((kind, node),) = raw["stmt"].items()
            _relocate(node, shift)
            start, end = (found, found + len(query)) if found >= 0 else (do.start, do.end)
            yield Statement(do.source, do.index, kind, node, start, end)


def _body(node: dict) -> tuple[str, str]:
    body, language = "", "plpgsql"
    for item in node.get("args", []):
        elem = item.get("DefElem", {})
        value = elem.get("arg", {}).get("String", {}).get("sval", "")
        if elem.get("defname") == "as":
            body = value
        elif elem.get("defname") == "language":
            language = value.lower()
    return body, language


def _relocate(tree: object, shift: int | None) -> None:
    """Make node locations byte offsets into the file (or unknown, -1, when the text was not found)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            location = item.get("location")
            if isinstance(location, int) and location >= 0:
                item["location"] = location + shift if shift is not None else -1
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)
