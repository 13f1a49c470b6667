"""The SQL inside `DO $$ ... $$` blocks (PL/pgSQL), modelled like the file's own statements.

Idempotent migrations create types, policies and constraints inside DO blocks guarded by
IF NOT EXISTS or an exception handler. libpg_query's PL/pgSQL parser gives each embedded statement's
text; that text stands verbatim in the file, so its nodes' locations are shifted to point there.
EXECUTE of one string constant (`execute 'create type ...'`) runs SQL known beforehand: it is modelled
like the block's own statements. Other dynamic SQL (concatenation, format(), a query) is not: its text is
only known when it runs.

The statements run in order, as the file's own do. Those that may not run are conditional: inside
IF, CASE or a loop, in a block with an exception handler (a failure undoes the block's statements and
runs the handler instead), and after a RETURN or an EXIT to a label. The model keeps what they
create, so later statements find it, but cannot claim that it is there, nor how it is defined.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglast import parser as pg

from checker.model.objects import quote_ident, strings
from checker.model.walk import TreeFacts, find_nodes
from checker.parse import Statement, do_block_tree, plpgsql_function_tree, sql_tree


def embedded_statements(do: Statement, executed: bool = True) -> Iterator[Statement]:
    """The statements a PL/pgSQL DO block runs directly, located in the file (with those it EXECUTEs from
    a string constant, located at the string, unless not `executed`)."""
    for statement, _, _ in embedded_steps(do, executed):
        yield statement


def parsed_do_block(do: Statement) -> tuple[list | None, str]:
    """The PL/pgSQL tree of a DO block, or None (another language, or code PostgreSQL's PL/pgSQL grammar
    refuses: then its message, else "")."""
    body, language = do_body(do.node)
    if not body or language != "plpgsql":
        return None, ""
    try:
        return do_block_tree(body), ""
    except pg.ParseError as err:
        return None, str(err.args[0]) if err.args else "does not parse"


def embedded_steps(
    do: Statement, executed: bool = True, tree: list | None = None, looped: dict | None = None
) -> Iterator[tuple[Statement, bool, bool]]:
    """The statements a PL/pgSQL DO block runs directly (and EXECUTEs from a string constant, unless not
    `executed`), in order, each with whether it surely runs and whether a missing object it names would not
    fail the block (guarded: under IF, CASE or a loop, or in a block whose handler catches a missing
    object). `tree`, `looped`: the block's parsed_do_block and loop_expansions, where the caller has them."""
    tree = tree if tree is not None else parsed_do_block(do)[0]
    if tree is None:
        return
    body, _ = do_body(do.node)
    sure = {id(node) for node in _sure_statements(tree)}
    guarded = {id(node) for node in _guarded_statements(tree)}
    looped = looped if looped is not None else loop_expansions(tree)
    cursor = do.start
    not_code = _comments_and_strings(do, body)
    doubled = body_quote(do)[0] == "'"  # the body's quotes stand doubled in the file
    for sql in find_nodes(tree, *(_RUNS_SQL if executed else _RUNS_SQL[:1])):
        query, runs = _step_sql(sql)
        written = query.replace("'", "''") if doubled else query
        found = _in_code(do, written, cursor, not_code) if query else -1
        if found >= 0:
            cursor = found + len(written)
        start, end = (found, found + len(written)) if found >= 0 else (do.start, do.end)
        # where the SQL starts: an EXECUTE's string after its opening quote, if it stands there verbatim
        at = 0 if "sqlstmt" in sql else written.find(runs, 1) if runs else -1
        shift = do.source.byte_offset(found + at) if found >= 0 and at >= 0 else None
        for text in looped.get(id(sql)) or [runs]:
            try:
                parsed = sql_tree(text) if text is not None else {}
            except pg.ParseError:
                continue
            for raw in parsed.get("stmts", []):
                ((kind, node),) = raw["stmt"].items()
                _relocate(node, shift if text is runs else None)
                statement = Statement(do.source, do.index, kind, node, start, end)
                yield statement, id(sql) in sure, id(sql) in guarded


def unread_sql(tree: list | None, looped: dict | None = None) -> list[str]:
    """The SQL the block (its parsed_do_block, with its loop_expansions) EXECUTEs that is built when it runs
    (concatenation, format(), a query), as written: what that makes, moves or drops is not in the model."""
    if tree is None:
        return []
    looped = looped if looped is not None else loop_expansions(tree)
    return [
        query
        for step in _kinds_in(tree).nodes("PLpgSQL_stmt_dynexecute")
        for query, runs in [_step_sql(step)]
        if runs is None and id(step) not in looped
    ]


def may_make(expression: str) -> bool:
    """Whether SQL built at run time may make something or turn row level security on: all but a format()
    whose template can only drop, grant or comment (whatever fills it)."""
    return not _builds_only(expression, _MAKES_NOTHING)


def may_make_relation(expression: str) -> bool:
    """Whether SQL built at run time may make a table or view: all but a format() whose template only
    alters, drops, grants or comments (fms's `format('alter table %I add column ...', t)`)."""
    return not _builds_only(expression, _MAKES_NO_RELATION)


# What a statement built at run time may be and still make nothing nor turn row level security on
# (clstr-reactnative's `format('drop policy if exists %I on public.profiles', ...)`, over pg_policies).
_MAKES_NOTHING = frozenset({"DropStmt", "GrantStmt", "CommentStmt", "VariableSetStmt", "AlterFunctionStmt"})


# ... and still make no table or view: it may alter one, or add an index, a policy, a trigger to it.
_MAKES_NO_RELATION = _MAKES_NOTHING | {
    "AlterTableStmt", "RenameStmt", "AlterOwnerStmt", "IndexStmt", "CreatePolicyStmt", "AlterPolicyStmt",
    "CreateTrigStmt", "CreateFunctionStmt",
}


def _builds_only(expression: str, kinds: frozenset[str]) -> bool:
    """Whether an EXECUTE's `format('<constant template>', ...)` builds only statements of these kinds,
    whatever its arguments (each placeholder filled with a name)."""
    template, args = _format_call(expression)
    text = _apply_format(template, ["checker_name"] * len(args)) if template is not None else None
    try:
        statements = sql_tree(text).get("stmts", []) if text else []
    except pg.ParseError:
        return False
    return bool(statements) and all(next(iter(raw["stmt"])) in kinds for raw in statements)


def loop_expansions(tree: object) -> dict[int, list[str]]:
    """The SQL each EXECUTE format(...) inside a FOREACH over a literal array runs, once per element
    (`foreach t in array array['vendors', 'bookings'] loop execute format('alter table public.%I enable
    row level security', t)`), by the EXECUTE's node; the format's other arguments must be constants."""
    found: dict[int, list[str]] = {}
    if not _kinds_in(tree).nodes("PLpgSQL_stmt_foreach_a"):
        return found
    for function in _kinds_in(tree).nodes("PLpgSQL_function"):
        names = [next(iter(datum.values()), {}).get("refname") for datum in function.get("datums", [])]
        for loop in find_nodes(function, "PLpgSQL_stmt_foreach_a"):
            values = _literal_array(loop.get("expr", {}).get("PLpgSQL_expr", {}).get("query", ""))
            varno = loop.get("varno", -1)
            if not values or loop.get("slice") or not 0 <= varno < len(names):
                continue
            for execute in find_nodes(loop.get("body"), "PLpgSQL_stmt_dynexecute"):
                query = execute.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
                texts = [_formatted(query, names[varno], value) for value in values]
                if all(text is not None for text in texts):
                    found[id(execute)] = texts  # type: ignore[assignment]
    return found


def _over_literal_array(loop: dict) -> bool:
    return _literal_array(loop.get("expr", {}).get("PLpgSQL_expr", {}).get("query", "")) is not None


def _literal_array(expression: str) -> list[str] | None:
    """The strings of `array['a', 'b']`, else None."""
    target = _only_target(expression)
    elements = target.get("A_ArrayExpr", {}).get("elements") if target else None
    values = [_constant_text(element) for element in elements or []]
    return values if values and all(v is not None for v in values) else None  # type: ignore[return-value]


def _formatted(expression: str, variable: str, value: str) -> str | None:
    """What `format('<template>', <variable or string constants>...)` makes with the variable set to value:
    %I quotes an identifier, %L a literal, %s puts the text (PostgreSQL's format); else None."""
    template, args = _format_call(expression)
    values = [value if strings(arg.get("ColumnRef", {}).get("fields")) == [variable] else _constant_text(arg)
              for arg in args]
    if template is None or any(v is None for v in values):
        return None
    return _apply_format(template, values)  # type: ignore[arg-type]


def _format_call(expression: str) -> tuple[str | None, list[dict]]:
    """The constant template and the other arguments of `format('<template>', ...)`; (None, []) otherwise."""
    call = (_only_target(expression) or {}).get("FuncCall", {})
    args = call.get("args") or []
    if strings(call.get("funcname"))[-1:] != ["format"] or not args:
        return None, []
    return _constant_text(args[0]), args[1:]


_PLACEHOLDER = re.compile(r"%(?:(\d+)\$)?([ILs%])")


def _apply_format(template: str, values: list[str]) -> str | None:
    position = 0
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[last : match.start()])
        last = match.end()
        if match[2] == "%":
            parts.append("%")
            continue
        index = int(match[1]) - 1 if match[1] else position
        position = index + 1
        if index >= len(values):
            return None
        text = values[index]
        if match[2] == "I":
            text = quote_ident(text)
        elif match[2] == "L":
            text = "'" + text.replace("'", "''") + "'"
        parts.append(text)
    return "".join(parts) + template[last:]


def _only_target(expression: str) -> dict | None:
    """The one expression of `select <expression>`, else None."""
    try:
        statements = sql_tree(f"select {expression}").get("stmts", [])
    except pg.ParseError:
        return None
    select = statements[0]["stmt"].get("SelectStmt", {}) if len(statements) == 1 else {}
    targets = select.get("targetList", []) if select.keys() <= {"targetList", "limitOption", "op"} else []
    return targets[0]["ResTarget"].get("val", {}) if len(targets) == 1 else None


def _constant_text(node: dict) -> str | None:
    """A string constant's text (through a cast: 'x'::text), else None."""
    node = node.get("TypeCast", {}).get("arg", node) if isinstance(node, dict) else {}
    return node.get("A_Const", {}).get("sval", {}).get("sval") if isinstance(node, dict) else None


def function_body_trees(body: str, language: str, returns_set: bool = False) -> list[dict]:
    """The parse trees of the SQL a function body runs: a LANGUAGE sql body, or each query and expression
    of a PL/pgSQL body (`return (select ...)`, `select ... into v from ...`); none where it does not parse."""
    try:
        if language == "sql":
            return [sql_tree(body)]
        if language != "plpgsql":
            return []
        tree = plpgsql_function_tree(body, "setof record" if returns_set else "record")
    except pg.ParseError:
        return []
    trees = []
    for expression in find_nodes(tree, "PLpgSQL_expr"):
        query = expression.get("query", "")
        for text in (query, f"select {query}"):
            try:
                trees.append(sql_tree(text))
                break
            except pg.ParseError:
                continue
    return trees


# The steps that run SQL: a statement of the block's own, and EXECUTE (read when its text is a constant)
_RUNS_SQL = ("PLpgSQL_stmt_execsql", "PLpgSQL_stmt_dynexecute")


def _step_sql(step: dict) -> tuple[str, str | None]:
    """A step's text in the block, and the SQL it runs: an EXECUTE's only when its argument is one string
    constant (what concatenation or format() makes is known only when it runs)."""
    if "sqlstmt" in step:
        query = step["sqlstmt"].get("PLpgSQL_expr", {}).get("query", "")
        return query, query
    argument = step.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
    return argument, _string_constant(argument)


def _string_constant(expression: str) -> str | None:
    """The value of an expression that is one string literal ('...', E'...', $q$...$q$), else None."""
    target = _only_target(expression)
    return target.get("A_Const", {}).get("sval", {}).get("sval") if target else None


def body_quote(do: Statement) -> tuple[str, int]:
    """How the block's body is quoted in the file ("$", or "'" with its quotes doubled there) and where it
    starts; ("", -1) when it cannot be found as written."""
    body, _ = do_body(do.node)
    text = do.source.text
    for quote, written in (("$", body), ("'", body.replace("'", "''"))):
        start = text.find(quote + written, do.start, do.end) + 1 if body else 0
        if start > do.start:
            return quote, start
    return "", -1


def _comments_and_strings(do: Statement, body: str) -> list[tuple[int, int]]:
    """The file's spans of the block's comments and string literals, where a statement's text may
    stand without being the statement (`-- create table x` before `create table x`)."""
    quote, start = body_quote(do)
    if not quote:
        return []
    try:
        tokens = pg.scan(body)
    except pg.ParseError:
        return []
    kinds = ("SQL_COMMENT", "C_COMMENT", "SCONST", "USCONST")

    def in_file(offset: int) -> int:  # in single quotes, each quote of the body stands doubled in the file
        return start + offset + (body.count("'", 0, offset) if quote == "'" else 0)

    return [(in_file(t.start), in_file(t.end + 1)) for t in tokens if t.name in kinds]


def _in_code(do: Statement, query: str, cursor: int, not_code: list[tuple[int, int]]) -> int:
    """The first place at or after `cursor` where `query` stands in the block's code, or -1. It may start
    where a string does (EXECUTE's '...'): a statement never starts with a quote or a comment's dash."""
    found = do.source.text.find(query, cursor, do.end)
    while found >= 0 and any(start < found < end for start, end in not_code):
        found = do.source.text.find(query, found + 1, do.end)
    return found


def _sure_statements(tree: object) -> list[dict]:
    """The steps running SQL (_RUNS_SQL) that run whenever the block runs to its end."""
    sure: list[dict] = []
    left = False  # a RETURN or an EXIT to a label was passed: what follows may not run
    kinds = _kinds_in(tree)
    may_leave = any(kinds.nodes(kind) for kind in _LEAVING)

    def walk(statements: list) -> None:
        nonlocal left
        for item in statements:
            ((kind, node),) = item.items()
            if kind in _RUNS_SQL and not left:
                sure.append(node)
            elif kind == "PLpgSQL_stmt_block" and "exceptions" not in node and not left:
                walk(node.get("body", []))
            elif kind == "PLpgSQL_stmt_foreach_a" and _over_literal_array(node) and not left:
                walk(node.get("body", []))  # a loop over array['a', 'b'] runs its body for each
            # IF, CASE, loops, blocks with a handler: their statements may not run (nothing is sure)
            if may_leave and _leaves_within(kind, node):
                left = True

    for function in kinds.nodes("PLpgSQL_function"):
        walk([function["action"]] if function.get("action") else [])
    return sure


_LEAVING = ("PLpgSQL_stmt_return", "PLpgSQL_stmt_exit")
# Conditions a handler catches that include a missing table, type, column or function.
_MISSING_CAUGHT = frozenset(
    {
        "others",
        "undefined_table",
        "undefined_object",
        "undefined_column",
        "undefined_function",
        "syntax_error_or_access_rule_violation",
        "42P01",  # the same by SQLSTATE: undefined_table, undefined_object, undefined_column,
        "42704",  # undefined_function, the class of syntax and access errors
        "42703",
        "42883",
        "42000",
    }
)


_UNDER_A_CONDITION = (
    "PLpgSQL_stmt_if",
    "PLpgSQL_stmt_case",
    "PLpgSQL_stmt_loop",
    "PLpgSQL_stmt_while",
    "PLpgSQL_stmt_fori",
    "PLpgSQL_stmt_fors",
    "PLpgSQL_stmt_foreach_a",
    "PLpgSQL_stmt_dynfors",
)


def _guarded_statements(tree: object) -> list[dict]:
    """The SQL statements that run only under a condition (IF, CASE, a loop's), or inside a block whose
    handler catches a missing object: a missing reference does not fail the block there."""
    guarded: list[dict] = []
    kinds = _kinds_in(tree)
    for kind in _UNDER_A_CONDITION:
        for node in kinds.nodes(kind):
            if not (kind == "PLpgSQL_stmt_foreach_a" and _over_literal_array(node)):
                guarded.extend(find_nodes(node, *_RUNS_SQL))
    for block in kinds.nodes("PLpgSQL_stmt_block"):
        handlers = find_nodes(block.get("exceptions"), "PLpgSQL_exception") if block.get("exceptions") else ()
        if any(map(_swallows_a_missing_object, handlers)):
            guarded.extend(find_nodes(block.get("body"), *_RUNS_SQL))
    return guarded


def _swallows_a_missing_object(handler: dict) -> bool:
    """A handler that catches a missing object and does not raise an error of its own."""
    caught = {c.get("condname") for c in find_nodes(handler.get("conditions"), "PLpgSQL_condition")}
    raises = any(
        r.get("elog_level") == _ERROR_LEVEL for r in find_nodes(handler.get("action"), "PLpgSQL_stmt_raise")
    )
    return bool(caught & _MISSING_CAUGHT) and not raises


_ERROR_LEVEL = 21  # elog's ERROR: RAISE EXCEPTION, and a bare RAISE (re-raising)


_INDEXED_KINDS = ("PLpgSQL_function", "PLpgSQL_stmt_block", "PLpgSQL_stmt_dynexecute", *_UNDER_A_CONDITION)
_INDEXED = {kind: (None, None) for kind in (*_INDEXED_KINDS, *_LEAVING)}
_last_indexed: list = [None, None]  # the last tree indexed and its TreeFacts: one DO block at a time


def _kinds_in(tree: object) -> TreeFacts:
    """The nodes of the kinds the block's analysis asks about, from one walk of its tree (not one walk per
    kind: a DO block is asked about a dozen kinds, most of which it does not have). The model reads one
    block at a time, so the last tree's walk is kept (with the tree, so that its id stays its own)."""
    if _last_indexed[0] is not tree:
        _last_indexed[:] = [tree, TreeFacts(tree, _INDEXED)]
    return _last_indexed[1]


def _leaves_within(kind: str, node: dict) -> bool:
    """Whether the step is, or holds, a RETURN or an EXIT to a label."""
    return _leaves(kind, node) or any(_leaves(k, n) for k in _LEAVING for n in find_nodes(node, k))


def _leaves(kind: str, node: dict) -> bool:
    # EXIT or CONTINUE without a label only leaves a loop, which the statements after it do not need
    return kind == "PLpgSQL_stmt_return" or (kind == "PLpgSQL_stmt_exit" and bool(node.get("label")))


def do_body(node: dict) -> tuple[str, str]:
    """A DO block's body and its language (plpgsql unless it says otherwise)."""
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
