"""Object identities, name resolution and type-name normalisation.

Unqualified names resolve to `public`, as they do under Supabase's default search_path.
Function identities use PostgreSQL's rule: only IN, INOUT and VARIADIC argument types count.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from checker.model.walk import find_nodes

DEFAULT_SCHEMA = "public"
# Supabase's search_path for postgres ("$user", public, extensions): where unqualified names are found.
DEFAULT_SEARCH_PATH = (DEFAULT_SCHEMA, "extensions")
# Where temporary relations live: the session's own schema, searched first for relations and gone
# with the session. No project object: nothing the API reaches, nothing to validate or roll back.
TEMP_SCHEMA = "pg_temp"
# Where unqualified names go: `public` unless the file ran SET search_path (see search_path_scope).
_current_schema = contextvars.ContextVar("current_schema", default=DEFAULT_SCHEMA)
_search_path = contextvars.ContextVar("search_path", default=DEFAULT_SEARCH_PATH)
# The temporary relations the file made so far: an unqualified name finds them before any other
_temp_relations: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "temp_relations", default=frozenset()
)


def current_schema() -> str:
    return _current_schema.get()


def search_path_rest() -> tuple[str, ...]:
    """The schemas after the first on the search_path: where else an unqualified name may be found."""
    return tuple(schema for schema in _search_path.get()[1:] if schema != current_schema())


@contextmanager
def search_path_scope() -> Iterator[None]:
    """Start a file at the default search_path, in a session with no temporary relation; SET
    search_path inside it moves unqualified names."""
    tokens = (
        _current_schema.set(DEFAULT_SCHEMA),
        _search_path.set(DEFAULT_SEARCH_PATH),
        _temp_relations.set(frozenset()),
    )
    try:
        yield
    finally:
        _current_schema.reset(tokens[0])
        _search_path.reset(tokens[1])
        _temp_relations.reset(tokens[2])


def follow_search_path(kind: str, node: dict) -> None:
    """Track `SET [LOCAL] search_path = a, b` (the first schema takes new objects) and RESET."""
    if kind != "VariableSetStmt" or node.get("name") != "search_path":
        return
    if node.get("kind") in ("VAR_RESET", "VAR_SET_DEFAULT"):
        _current_schema.set(DEFAULT_SCHEMA)
        _search_path.set(DEFAULT_SEARCH_PATH)
        return
    schemas = [c["A_Const"].get("sval", {}).get("sval", "") for c in node.get("args", []) if "A_Const" in c]
    schemas = [name for name in schemas if name and name != "$user"]
    _current_schema.set(schemas[0] if schemas else DEFAULT_SCHEMA)
    _search_path.set(tuple(schemas) or (DEFAULT_SCHEMA,))


def remember_temporary(name: str, present: bool = True) -> None:
    """A temporary relation made (or dropped): unqualified names find it first until it is dropped."""
    names = _temp_relations.get()
    _temp_relations.set(names | {name} if present else names - {name})


def relation_schema(schema: str | None, name: str) -> str:
    """The schema a relation name resolves to: its own, pg_temp for the session's temporary relations
    (searched first), else the first on the search_path."""
    if schema:
        return TEMP_SCHEMA if schema.startswith("pg_temp") else schema
    return TEMP_SCHEMA if name in _temp_relations.get() else current_schema()


_PLAIN_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")  # an identifier, not SQL: what needs no quotes
# As PostgreSQL's quote_ident: every keyword that is not unreserved needs quotes.
_NEEDS_QUOTES = (
    frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS) | frozenset(COL_NAME_KEYWORDS)
)


def quote_ident(name: str) -> str:
    """An identifier as SQL must write it: PostgreSQL folds unquoted names to lower case."""
    if _PLAIN_IDENTIFIER.fullmatch(name) and name not in _NEEDS_QUOTES:
        return name
    return '"' + name.replace('"', '""') + '"'


# Kinds whose names share pg_class's namespace (a table and a view cannot share a name).
RELATION_KINDS = frozenset({"table", "view", "materialized view", "sequence", "index", "foreign table"})
# Kinds that live on a table and go away with it.
TABLE_MEMBER_KINDS = frozenset({"column", "constraint", "policy", "trigger", "index", "rule"})

_TYPE_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int2": "smallint",
    "smallint": "smallint",
    "int8": "bigint",
    "bigint": "bigint",
    "bool": "boolean",
    "boolean": "boolean",
    "float4": "real",
    "real": "real",
    "float8": "double precision",
    "float": "double precision",
    "double precision": "double precision",
    "varchar": "character varying",
    "character varying": "character varying",
    "bpchar": "character",
    "char": "character",
    "character": "character",
    "numeric": "numeric",
    "decimal": "numeric",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timetz": "time with time zone",
    "time": "time without time zone",
    "varbit": "bit varying",
}
# Not types in the catalog but column-definition shorthands (integer + a sequence): no CREATE TYPE.
SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})
BUILTIN_TYPES = SERIAL_TYPES | frozenset(_TYPE_ALIASES.values()) | frozenset(
    [
        "text",
        "uuid",
        "json",
        "jsonb",
        "date",
        "interval",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "money",
        "xml",
        "oid",
        "regclass",
        "regproc",
        "regprocedure",
        "regtype",
        "regrole",
        "regnamespace",
        "name",
        "tsvector",
        "tsquery",
        "point",
        "line",
        "lseg",
        "box",
        "path",
        "polygon",
        "circle",
        "bit",
        "int4range",
        "int8range",
        "numrange",
        "tsrange",
        "tstzrange",
        "daterange",
        "int4multirange",
        "int8multirange",
        "nummultirange",
        "tsmultirange",
        "tstzmultirange",
        "datemultirange",
        "regconfig",
        "regdictionary",
        "regoper",
        "regoperator",
        "regcollation",
        "jsonpath",
        "xid",
        "xid8",
        "cid",
        "tid",
        "pg_lsn",
        "macaddr8",
        "refcursor",
        "txid_snapshot",
        "pg_snapshot",
        "language_handler",
        "record",
        "trigger",
        "event_trigger",
        "void",
        "anyelement",
        "anyarray",
        "anynonarray",
        "anyenum",
        "anyrange",
        "anymultirange",
        "anycompatible",
        "anycompatiblearray",
        "internal",
        "cstring",
        "unknown",
        "citext",
        "ltree",
        "hstore",
        "vector",
    ]
)


class ObjectRef(NamedTuple):
    """The identity of one database object.

    `table` is set for objects that live on a table (columns, policies, triggers, constraints,
    indexes). `args` is the identity argument list of a function; None means "any overload"
    (a call site or `DROP FUNCTION f` without a list). A NamedTuple: models of large migrations
    create hundreds of thousands of these, and tuples are several times cheaper than dataclasses.
    """

    kind: str
    schema: str
    name: str
    table: str | None = None
    args: tuple[str, ...] | None = None

    @property
    def qualified(self) -> str:
        name = quote_ident(self.name)
        return f"{quote_ident(self.schema)}.{name}" if self.schema else name

    @property
    def table_ref(self) -> ObjectRef | None:
        return ObjectRef("table", self.schema, self.table) if self.table else None

    def display(self) -> str:
        if self.kind == "function" or self.kind == "procedure":
            args = "..." if self.args is None else ", ".join(self.args)
            return f"{self.kind} {self.qualified}({args})"
        table = self.table_ref.qualified if self.table_ref else ""
        if self.kind == "column":
            return f"column {table}.{quote_ident(self.name)}"
        if self.kind in ("policy", "trigger", "constraint", "rule"):
            return f'{self.kind} "{self.name}" on {table}'
        if self.kind in ("schema", "extension", "role"):
            return f"{self.kind} {quote_ident(self.name)}"
        return f"{self.kind} {self.qualified}"

    def matches(self, other: ObjectRef) -> bool:
        """Same object, treating an unknown argument list as a wildcard."""
        if (self.kind, self.schema, self.name, self.table) != (
            other.kind,
            other.schema,
            other.name,
            other.table,
        ):
            return False
        return self.args is None or other.args is None or self.args == other.args

    def without_args(self) -> ObjectRef:
        return ObjectRef(self.kind, self.schema, self.name, self.table, None)


def strings(items: list[dict] | None) -> list[str]:
    """The text of a libpg_query list of String nodes (qualified names, options)."""
    return [item["String"]["sval"] for item in items or () if "String" in item]


def split_name(parts: list[str]) -> tuple[str, str]:
    """(schema, name) of a possibly qualified name; the catalog part of a three-part name is dropped."""
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return current_schema(), parts[-1] if parts else ""


def range_var(node: dict) -> ObjectRef:
    """A table reference (RangeVar) as a table identity."""
    name = node.get("relname", "")
    if node.get("relpersistence") == "t":
        return ObjectRef("table", TEMP_SCHEMA, name)
    return ObjectRef("table", relation_schema(node.get("schemaname"), name), name)


def created_relation(node: dict) -> tuple[str, str]:
    """(schema, name) of the relation a CREATE makes: pg_temp for CREATE TEMP, else its schema or the
    first of the search_path (an unqualified CREATE TABLE x makes public.x beside a temporary x)."""
    name, schema = node.get("relname", ""), node.get("schemaname")
    if node.get("relpersistence") == "t" or (schema or "").startswith("pg_temp"):
        remember_temporary(name)  # the session's own: unqualified names find it first
        return TEMP_SCHEMA, name
    return schema or current_schema(), name


# Where a CREATE names the relation it makes: not a reference to an existing one
_CREATED_RELATION = {
    "CreateStmt": ("relation",),
    "ViewStmt": ("view",),
    "CreateSeqStmt": ("sequence",),
    "CreateTableAsStmt": ("into", "rel"),
}


def qualify_temporary(kind: str, node: dict) -> bool:
    """Write pg_temp into a statement's unqualified table references that name the session's temporary
    relations, as PostgreSQL's lookup resolves them (pg_temp is searched first): rules that read the
    tree later, outside the file's replay, then see the relation it meant. Only in files that made one;
    whether it may have written."""
    names = _temp_relations.get()
    if not names:
        return False
    made: object = node
    for key in _CREATED_RELATION.get(kind, ()):
        made = made.get(key, {}) if isinstance(made, dict) else {}
    ctes = {cte.get("ctename") for cte in find_nodes(node, "CommonTableExpr")}
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            relname = item.get("relname")
            if (
                item is not made
                and relname in names
                and relname not in ctes
                and "relpersistence" in item
                and not item.get("schemaname")
            ):
                item["schemaname"] = TEMP_SCHEMA
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)
    return True


def type_name(node: dict) -> str:
    """Canonical text of a TypeName: builtins by their SQL name, others schema-qualified."""
    parts = strings(node.get("names"))
    if node.get("pct_type"):
        return "%type " + ".".join(parts)
    if parts and parts[0] == "pg_catalog":
        parts = parts[1:]
    text = ".".join(parts)
    if len(parts) == 1:
        base = parts[0]  # already folded by the parser unless quoted: "Mood" is not mood
        text = _TYPE_ALIASES.get(base, base)
        if text not in BUILTIN_TYPES:
            text = f"{current_schema()}.{base}"
    suffix = "[]" * len(node.get("arrayBounds") or [])
    if node.get("setof"):
        return f"setof {text}{suffix}"
    return text + suffix


def user_type_ref(canonical: str) -> ObjectRef | None:
    """The type a canonical type name needs to exist, or None for builtins."""
    base = canonical.removeprefix("setof ").rstrip("[]")
    if base in BUILTIN_TYPES or base.startswith("%type") or "." not in base:
        return None
    schema, name = base.split(".", 1)
    if schema == "pg_catalog":
        return None
    return ObjectRef("type", schema, name)


def function_ref(name_parts: list[str], args: tuple[str, ...] | None, kind: str = "function") -> ObjectRef:
    schema, name = split_name(name_parts)
    return ObjectRef(kind, schema, name, None, args)


IDENTITY_MODES = frozenset({"FUNC_PARAM_IN", "FUNC_PARAM_INOUT", "FUNC_PARAM_VARIADIC", "FUNC_PARAM_DEFAULT"})


def identity_args(parameters: list[dict] | None) -> tuple[str, ...]:
    """The identity argument types of a parameter list (OUT and TABLE columns excluded)."""
    args = []
    for item in parameters or ():
        param = item.get("FunctionParameter", {})
        if param.get("mode", "FUNC_PARAM_DEFAULT") in IDENTITY_MODES and "argType" in param:
            args.append(type_name(param["argType"]))
    return tuple(args)


def object_with_args(owa: dict, kind: str = "function") -> ObjectRef:
    """The function an ObjectWithArgs names (DROP / ALTER FUNCTION); no argument list: any overload."""
    args = (
        None
        if owa.get("args_unspecified")
        else tuple(type_name(t["TypeName"]) for t in owa.get("objargs", []) if "TypeName" in t)
    )
    return function_ref(strings(owa["objname"]), args, kind)


def option_value(elem: dict) -> str:
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


# PostgreSQL's own catalogs: every database has them, no migration makes them.
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})


def tables_named(tree: object, *kinds: str) -> list[ObjectRef]:
    """The tables a query names, without its common table expressions (`with x as (...) ... from x`) and the
    system catalogs' (`pg_policies` unqualified: PostgreSQL searches pg_catalog first;
    information_schema.columns)."""
    ctes = cte_names(tree)
    named = find_nodes(tree, *(kinds or ("RangeVar",)))
    return [range_var(rv) for rv in named if is_project_table(rv) or on_search_path(rv, ctes)]


def is_project_table(range_var_node: dict) -> bool:
    """A project's table, named with its schema (a name without one may be a CTE, so only qualified names
    are checked with confidence); the system catalogs' views and tables are there already."""
    schema = range_var_node.get("schemaname")
    return bool(schema) and schema not in SYSTEM_SCHEMAS


def cte_names(tree: object) -> set[str]:
    """The names of a query's common table expressions (`with x as (...)`)."""
    return {cte.get("ctename") for cte in find_nodes(tree, "CommonTableExpr")}


def on_search_path(range_var_node: dict, ctes: set[str]) -> bool:
    """Whether a table a query names without its schema is one the search_path finds: not one of the
    query's WITH names, nor pg_catalog's (`pg_policies`: PostgreSQL searches pg_catalog first)."""
    name = range_var_node.get("relname") or ""
    return not range_var_node.get("schemaname") and name not in ctes and not name.startswith("pg_")
