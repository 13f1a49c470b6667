"""What one statement does to the schema: the objects it creates and drops and the ones it needs.

Each handler reads one libpg_query node kind. Statements with no schema effect (DML, GRANT,
SET, DO blocks, ...) yield empty effects; rules that care about them read the statement itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pglast import parser as pg

from checker.model.objects import (
    RELATION_KINDS,
    TEMP_SCHEMA,
    ObjectRef,
    created_relation,
    cte_names,
    current_schema,
    function_ref,
    identity_args,
    is_project_table,
    object_with_args,
    on_search_path,
    option_value,
    qualify_temporary,
    range_var,
    relation_schema,
    remember_temporary,
    search_path_rest,
    split_name,
    strings,
    tables_named,
    type_name,
    user_type_ref,
)
from checker.model.walk import clause_facts, clause_nodes, find_nodes
from checker.parse import Statement, sql_tree


@dataclass(slots=True)
class Reference:
    """An object a statement needs to exist when it runs."""

    target: ObjectRef
    reason: str  # e.g. "foreign key", "argument type", "function called by the policy"
    location: int | None = None  # byte offset of the referring clause
    # False for what PostgreSQL checks only when the statement runs and then forgets, such as the
    # tables a LANGUAGE SQL body reads: they must exist first, but do not block a later DROP.
    lasting: bool = True
    # An unqualified name: the other schemas of the search_path it may be found in (the target holds
    # the first), as `moddatetime(updated_at)` finds extensions.moddatetime
    also_in: tuple[str, ...] = ()


def elsewhere(names: list[str]) -> tuple[str, ...]:
    """Where else the search_path finds a name written without its schema; nowhere for a qualified one."""
    return search_path_rest() if len(names) == 1 else ()


@dataclass(slots=True)
class Created:
    ref: ObjectRef
    details: dict = field(default_factory=dict)
    depends_on: list[Reference] = field(default_factory=list)
    location: int | None = None
    if_not_exists: bool = False
    conditional: bool = False  # in a DO block, where it may not run (IF, an exception handler, ...)
    # made without a name (`create index on t (a)`): PostgreSQL picks one not taken, t_a_idx1 after t_a_idx
    name_chosen: bool = False


@dataclass(slots=True)
class Drop:
    ref: ObjectRef
    cascade: bool = False
    missing_ok: bool = False
    location: int | None = None


@dataclass(slots=True)
class Effects:
    statement: Statement
    creates: list[Created] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    rls: list[tuple[ObjectRef, str]] = field(default_factory=list)  # (table, "enable"|"disable"|"force")
    renames: list[tuple[ObjectRef, str]] = field(default_factory=list)  # (object, new name)
    moves: list[tuple[ObjectRef, str]] = field(default_factory=list)  # (object, new schema): SET SCHEMA
    changes: list[tuple[ObjectRef, dict]] = field(default_factory=list)  # new details (ALTER POLICY)
    # A DO block: the effects of the statements it runs, in order (the lists above hold them all)
    steps: list[Effects] = field(default_factory=list)
    conditional: bool = False  # a step that may not run
    guarded: bool = False  # a step a missing object it names does not fail (under IF, or a handler)
    unread_sql: bool = False  # a DO block EXECUTEs SQL built when it runs: what it does is not modelled
    unread_makes: bool = False  # ... SQL that may make something or turn row level security on
    unread_relations: bool = False  # ... SQL that may make a table or view
    refused: str = ""  # a DO block's PL/pgSQL that the grammar refuses: the parser's message
    or_replace: bool = False  # CREATE OR REPLACE

    def compact(self) -> None:
        """Once its handler ran: the empty lists (most of them: a statement does one or two kinds of
        thing) become one shared empty tuple, as a migration holds an Effects per statement."""
        # Spelled out: a loop of getattr / setattr over the names costs three times as much.
        if not self.creates:
            self.creates = ()  # type: ignore[assignment]
        if not self.drops:
            self.drops = ()  # type: ignore[assignment]
        if not self.references:
            self.references = ()  # type: ignore[assignment]
        if not self.rls:
            self.rls = ()  # type: ignore[assignment]
        if not self.renames:
            self.renames = ()  # type: ignore[assignment]
        if not self.moves:
            self.moves = ()  # type: ignore[assignment]
        if not self.changes:
            self.changes = ()  # type: ignore[assignment]
        if not self.steps:
            self.steps = ()  # type: ignore[assignment]

    def merge(self, other: Effects) -> None:
        """Add what another statement does (one run inside this one, e.g. in a DO block)."""
        for name in _LISTS:
            getattr(self, name).extend(getattr(other, name))

    def all_references(self) -> list[Reference]:
        refs = list(self.references)
        for created in self.creates:
            refs.extend(created.depends_on)
        return refs


_LISTS = ("creates", "drops", "references", "rls", "renames", "moves", "changes")

Handler = Callable[[Statement, Effects], None]
_HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for kind in kinds:
            _HANDLERS[kind] = handler
        return handler

    return register


def statement_effects(statement: Statement) -> Effects:
    node = statement.node
    if qualify_temporary(statement.kind, node):
        statement.keep()  # rules read the names it wrote
    effects = Effects(statement, or_replace=bool(node.get("replace")))
    handler = _HANDLERS.get(statement.kind)
    if handler:
        handler(statement, effects)
    statement.read_facts()
    effects.compact()
    return effects


@handles("DoStmt")
def _do_block(stmt: Statement, fx: Effects) -> None:
    from checker.model.do_blocks import (
        embedded_steps,
        loop_expansions,
        may_make,
        may_make_relation,
        parsed_do_block,
        unread_sql,
    )

    tree, fx.refused = parsed_do_block(stmt)
    looped = loop_expansions(tree) if tree is not None else {}
    unread = unread_sql(tree, looped)
    fx.unread_sql, fx.unread_makes = bool(unread), any(map(may_make, unread))
    fx.unread_relations = any(map(may_make_relation, unread))
    for inner, sure, guarded in embedded_steps(stmt, tree=tree, looped=looped):
        step = statement_effects(inner)
        step.guarded = guarded
        if not sure:
            step.conditional = True
            for created in step.creates:
                created.conditional = True
        fx.merge(step)
        fx.steps.append(step)


# --- tables -----------------------------------------------------------------------------------


@handles("CreateStmt")
def _create_table(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    table = ObjectRef("table", *created_relation(node["relation"]))
    columns: list[str] = []
    details = {"columns": columns, "primary_key": [], "foreign_keys": [], "unique": [], "column_types": {}}
    created = Created(
        table,
        details,
        location=node["relation"].get("location"),
        if_not_exists=bool(node.get("if_not_exists")),
    )
    fx.creates.append(created)
    for element in node.get("tableElts", []):
        if "ColumnDef" in element:
            _column(table, element["ColumnDef"], created, fx)
        elif "Constraint" in element:
            _table_constraint(table, element["Constraint"], None, created, fx)
    for parent in node.get("inhRelations", []):
        if "RangeVar" in parent:
            created.depends_on.append(
                Reference(range_var(parent["RangeVar"]), "parent table", parent["RangeVar"].get("location"))
            )
    if "partbound" in node and node.get("inhRelations"):
        details["partition"] = True
    # Columns come only from the definition's own list: not from LIKE, a parent, or a composite type.
    elements = node.get("tableElts", [])
    liked = any("TableLikeClause" in element for element in elements)
    details["all_columns"] = not (liked or node.get("inhRelations") or node.get("ofTypename"))
    details["not_null"] = sorted(set(details.get("not_null", [])) | set(details.get("primary_key") or []))


def _column(table: ObjectRef, coldef: dict, created: Created, fx: Effects) -> Created:
    name = coldef["colname"]
    column = ObjectRef("column", table.schema, name, table.name)
    col_type = type_name(coldef["typeName"]) if "typeName" in coldef else ""
    created.details.setdefault("columns", []).append(name)
    created.details.setdefault("column_types", {})[name] = col_type
    typmods = type_modifiers(coldef.get("typeName", {}))
    created.details.setdefault("column_typmods", {})[name] = typmods
    needed = user_type_ref(col_type)
    if needed:
        type_node = coldef["typeName"]
        created.depends_on.append(
            Reference(
                needed,
                "column type",
                type_node.get("location"),
                also_in=elsewhere(strings(type_node.get("names"))),
            )
        )
    required = bool(coldef.get("is_not_null"))
    for item in coldef.get("constraints", []):
        _table_constraint(table, item["Constraint"], name, created, fx)
        required = required or item["Constraint"].get("contype") in NOT_NULL_CONSTRAINTS
    if required:
        created.details.setdefault("not_null", []).append(name)
    details = {"type": col_type, "typmods": typmods, "required": required}
    return Created(column, details, location=coldef.get("location"))


# Column constraints that make it refuse null.
NOT_NULL_CONSTRAINTS = frozenset({"CONSTR_NOTNULL", "CONSTR_PRIMARY"})


def type_modifiers(type_node: dict) -> tuple[int, ...]:
    """The integer modifiers of a TypeName: varchar(20) -> (20,), numeric(10, 2) -> (10, 2)."""
    return tuple(
        item["A_Const"]["ival"].get("ival", 0)
        for item in type_node.get("typmods") or ()
        if "ival" in item.get("A_Const", {})
    )


def _table_constraint(table: ObjectRef, con: dict, column: str | None, created: Created, fx: Effects) -> None:
    contype = con.get("contype")
    keys = [column] if column else strings(con.get("keys"))
    details = created.details
    if con.get("indexname") and contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        # ADD CONSTRAINT ... USING INDEX names no column: the key's columns are the index's, which
        # only the catalog knows (Catalog.add fills them in where the model saw the index made).
        details["using_index"] = con["indexname"]
        return
    if contype in _CONSTRAINT_SUFFIX:
        name = constraint_name(table, con, column)
        columns = [column] if column else strings(con.get("fk_attrs") or con.get("keys"))
        if contype == "CONSTR_CHECK" and not column:  # the columns it reads: it goes with any of them
            read = (strings(ref.get("fields"))[-1:] for ref in find_nodes(con.get("raw_expr"), "ColumnRef"))
            columns = list(dict.fromkeys(name for names in read for name in names))
        details.setdefault("constraints", {})[name] = {"type": contype, "columns": columns}
    if contype == "CONSTR_PRIMARY":
        details["primary_key"] = keys
    elif contype == "CONSTR_UNIQUE":
        details.setdefault("unique", []).append(keys)
    elif contype == "CONSTR_FOREIGN":
        target = range_var(con["pktable"])
        fk_columns = [column] if column else strings(con.get("fk_attrs"))
        details.setdefault("foreign_keys", []).append(
            {
                "columns": fk_columns,
                "target": target,  # the identity, names as stored; `.qualified` is for messages only
                "location": con.get("location"),
                "name": constraint_name(table, con, column),
            }
        )
        created.depends_on.append(Reference(target, "foreign key", con["pktable"].get("location")))
        referenced = strings(con.get("pk_attrs"))
        fx.references += column_references(target, referenced, "foreign key", con["pktable"].get("location"))
    elif contype == "CONSTR_CHECK":
        details.setdefault("checks", []).append(con.get("conname"))


def column_references(
    table: ObjectRef, columns: list[str], reason: str, location: int | None
) -> list[Reference]:
    """The named columns of a table a statement needs (Catalog.resolves knows a table's column list)."""
    return [
        Reference(ObjectRef("column", table.schema, name, table.name), reason, location)
        for name in columns
        if name
    ]


# Constraints whose columns are a list of names (a CHECK's are an expression, an exclusion's operators).
_KEYS = frozenset({"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_FOREIGN"})

_CONSTRAINT_SUFFIX = {
    "CONSTR_PRIMARY": "pkey",
    "CONSTR_UNIQUE": "key",
    "CONSTR_FOREIGN": "fkey",
    "CONSTR_CHECK": "check",
    "CONSTR_EXCLUSION": "excl",
}


def constraint_name(table: ObjectRef, con: dict, column: str | None) -> str:
    """The constraint's name, or the one PostgreSQL chooses: t_pkey, t_a_b_key, t_a_fkey, t_a_check."""
    if con.get("conname"):
        return con["conname"]
    if con.get("indexname"):  # USING INDEX without a name: the constraint takes the index's
        return con["indexname"]
    contype = con.get("contype", "")
    if contype == "CONSTR_PRIMARY":
        return _implicit_name(table, [], "pkey")
    if column:
        columns = [column]
    elif contype == "CONSTR_CHECK":
        columns = _first_column(con.get("raw_expr"))
    else:
        columns = strings(con.get("fk_attrs") or con.get("keys"))
    return _implicit_name(table, columns, _CONSTRAINT_SUFFIX.get(contype, "con"))


def _first_column(expr: object) -> list[str]:
    for ref in find_nodes(expr, "ColumnRef"):
        names = strings(ref.get("fields"))
        return names[-1:]
    return []


NAME_BYTES = 63  # NAMEDATALEN - 1
_NAMED_EXPRESSIONS = {"CoalesceExpr": "coalesce", "CaseExpr": "case", "NullIfExpr": "nullif"}


def _expression_name(expr: object) -> str:
    """What PostgreSQL calls an index expression in the index's name (FigureColname): a function's
    name, a column's, a cast's argument; else "expr"."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return "expr"
    ((kind, node),) = expr.items()
    if kind == "FuncCall":
        return strings(node.get("funcname"))[-1]
    if kind == "ColumnRef":
        return (strings(node.get("fields")) or ["expr"])[-1]
    if kind == "TypeCast":
        named = _expression_name(node.get("arg"))
        return named if named != "expr" else (strings(node.get("typeName", {}).get("names")) or ["expr"])[-1]
    if kind == "MinMaxExpr":
        return "greatest" if node.get("op") == "IS_GREATEST" else "least"
    return _NAMED_EXPRESSIONS.get(kind, "expr")


def _implicit_name(table: ObjectRef, columns: list[str], suffix: str) -> str:
    """The name PostgreSQL makes (makeObjectName): table, columns and label joined by `_`, the longer of
    the table and column parts shortened first to fit 63 bytes. Not the numbered name it picks when
    that name is taken."""
    first, second = table.name.encode(), "_".join(columns).encode()[: NAME_BYTES + 1]
    room = NAME_BYTES - len(suffix) - 1 - (1 if columns else 0)
    keep_first, keep_second = len(first), len(second)
    while keep_first + keep_second > room:
        if keep_first > keep_second:
            keep_first -= 1
        else:
            keep_second -= 1
    parts = [_clip(first, keep_first)] + ([_clip(second, keep_second)] if columns else []) + [suffix]
    return "_".join(parts)


def _clip(name: bytes, length: int) -> str:
    """The first `length` bytes of a UTF-8 name, not cutting a character (pg_mbcliplen)."""
    return name[:length].decode("utf-8", errors="ignore")


_ALTER_RLS = {
    "AT_EnableRowSecurity": "enable",
    "AT_DisableRowSecurity": "disable",
    "AT_ForceRowSecurity": "force",
    "AT_NoForceRowSecurity": "no force",
}


@handles("AlterTableStmt")
def _alter_table(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    if node.get("objtype") in _VIEW_TYPES and not node.get("missing_ok"):
        view = range_var(node["relation"])._replace(kind="relation")  # ALTER TABLE on a view finds it too
        fx.references.append(Reference(view, "altered view", node["relation"].get("location")))
    if node.get("objtype") not in (None, "OBJECT_TABLE"):
        return  # ALTER INDEX / VIEW / SEQUENCE options: nothing else the model tracks
    table = range_var(node["relation"])
    for item in node.get("cmds", []):
        _alter_table_cmd(table, item["AlterTableCmd"], fx)
    if node.get("missing_ok"):  # IF EXISTS: a missing table makes the statement a notice
        _table_need_not_exist(table, fx)


_VIEW_TYPES = frozenset({"OBJECT_VIEW", "OBJECT_MATVIEW"})


def _table_need_not_exist(table: ObjectRef, fx: Effects) -> None:
    """Drop the references to the table (and to the relation) of an ALTER TABLE IF EXISTS: it need not
    exist; what else the statement names must, where the table does."""
    relation = table._replace(kind="relation")
    fx.references = [r for r in fx.references if r.target not in (table, relation)]
    for created in fx.creates:
        created.depends_on = [r for r in created.depends_on if r.target not in (table, relation)]


def _schema_name(relation: dict) -> tuple[str, str]:
    ref = range_var(relation)
    return ref.schema, ref.name


# ALTER TABLE forms PostgreSQL runs on other relations too: pg_dump writes `ALTER TABLE x_id_seq OWNER
# TO ...` for a sequence (owner, options, tablespace, logged: ATSimplePermissions' relation kinds).
_ANY_RELATION_FORMS = frozenset(
    {
        "AT_ChangeOwner",
        "AT_SetRelOptions",
        "AT_ResetRelOptions",
        "AT_ReplaceRelOptions",
        "AT_SetTableSpace",
        "AT_SetLogged",
        "AT_SetUnLogged",
    }
)


# ALTER TABLE forms on one existing column (named by `name`; IF EXISTS sets missing_ok where allowed).
_COLUMN_FORMS = frozenset(
    {
        "AT_AlterColumnType",
        "AT_ColumnDefault",
        "AT_DropNotNull",
        "AT_SetNotNull",
        "AT_DropColumn",
        "AT_SetStatistics",
        "AT_SetStorage",
        "AT_SetCompression",
        "AT_AddIdentity",
        "AT_SetIdentity",
        "AT_DropIdentity",
        "AT_SetOptions",
        "AT_ResetOptions",
    }
)


def _alter_table_cmd(table: ObjectRef, cmd: dict, fx: Effects) -> None:
    subtype = cmd.get("subtype")
    if subtype in _ANY_RELATION_FORMS:
        fx.references.append(Reference(table._replace(kind="relation"), "altered relation"))
    else:
        fx.references.append(Reference(table, "altered table"))
    if subtype in _COLUMN_FORMS and not cmd.get("missing_ok"):
        fx.references += column_references(table, [cmd.get("name", "")], "altered column", None)
    if subtype in _ALTER_RLS:
        fx.rls.append((table, _ALTER_RLS[subtype]))
    elif subtype == "AT_AddColumn":
        holder = Created(table, {})
        column = _column(table, cmd["def"]["ColumnDef"], holder, fx)
        column.if_not_exists = bool(cmd.get("missing_ok"))
        column.depends_on = [Reference(table, "table of the column"), *holder.depends_on]
        column.details.update(holder.details)
        fx.creates.append(column)
    elif subtype == "AT_DropColumn":
        fx.drops.append(
            Drop(
                ObjectRef("column", table.schema, cmd["name"], table.name),
                cmd.get("behavior") == "DROP_CASCADE",
                bool(cmd.get("missing_ok")),
            )
        )
    elif subtype in ("AT_SetNotNull", "AT_DropNotNull"):
        column = ObjectRef("column", table.schema, cmd.get("name", ""), table.name)
        fx.changes.append((column, {"not_null": subtype == "AT_SetNotNull"}))
    elif subtype == "AT_AddConstraint":
        _add_constraint(table, cmd["def"]["Constraint"], fx)
    elif subtype == "AT_DropConstraint":
        fx.drops.append(
            Drop(
                ObjectRef("constraint", table.schema, cmd["name"], table.name),
                cmd.get("behavior") == "DROP_CASCADE",
                bool(cmd.get("missing_ok")),
            )
        )


def _add_constraint(table: ObjectRef, con: dict, fx: Effects) -> None:
    holder = Created(table, {})
    _table_constraint(table, con, None, holder, fx)
    if con.get("contype") in _KEYS:
        keys = strings(con.get("fk_attrs") or con.get("keys"))
        fx.references += column_references(table, keys, "key", con.get("location"))
    name = constraint_name(table, con, None)
    ref = ObjectRef("constraint", table.schema, name, table.name)
    index = con.get("indexname")
    if index and index != name:  # PostgreSQL renames the index after the constraint
        fx.renames.append((ObjectRef("index", table.schema, index, table.name), name))
    details = {"contype": con.get("contype"), **holder.details}
    fx.creates.append(
        Created(
            ref,
            details,
            [Reference(table, "table of the constraint"), *holder.depends_on],
            con.get("location"),
            name_chosen=not (con.get("conname") or index),  # USING INDEX: the index's name
        )
    )


# --- indexes, functions, triggers, policies, views -----------------------------------------------


@handles("IndexStmt")
def _create_index(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    table = range_var(node["relation"])
    elems = [elem["IndexElem"] for elem in node.get("indexParams", []) if "IndexElem" in elem]
    columns = [elem.get("name") for elem in elems]
    # PostgreSQL names an index after all its columns, INCLUDE ones too (ChooseIndexColumnNames)
    elems += [e["IndexElem"] for e in node.get("indexIncludingParams", []) if "IndexElem" in e]
    named = [elem.get("name") or _expression_name(elem.get("expr")) for elem in elems]
    name = node.get("idxname") or _implicit_name(table, named, "idx")
    ref = ObjectRef("index", table.schema, name, table.name)
    fx.creates.append(
        Created(
            ref,
            {
                "columns": columns,
                "unique": bool(node.get("unique")),
                "concurrent": bool(node.get("concurrent")),
                "partial": "whereClause" in node,
            },
            [Reference(table, "indexed table", node["relation"].get("location"))],
            node["relation"].get("location"),
            bool(node.get("if_not_exists")),
            name_chosen=not node.get("idxname"),
        )
    )
    # PostgreSQL looks the columns up before it asks whether IF NOT EXISTS finds the index made
    indexed = [elem.get("name") for elem in elems]
    fx.references += column_references(table, indexed, "indexed column", node["relation"].get("location"))


@handles("CreateFunctionStmt")
def _create_function(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    kind = "procedure" if node.get("is_procedure") else "function"
    ref = function_ref(strings(node["funcname"]), identity_args(node.get("parameters")), kind)
    options = function_options(node.get("options", []))
    details = {"replace": bool(node.get("replace")), **options}
    if "returnType" in node:
        details["returns"] = type_name(node["returnType"])
    created = Created(ref, details, location=None)
    for item in node.get("parameters", []):
        param = item["FunctionParameter"]
        needed = user_type_ref(type_name(param["argType"])) if "argType" in param else None
        if needed:
            arg = param["argType"]
            where, also_in = arg.get("location"), elsewhere(strings(arg["names"]))
            created.depends_on.append(Reference(needed, "argument type", where, also_in=also_in))
    if "returnType" in node:
        needed = user_type_ref(details["returns"])
        if needed:
            returns = node["returnType"]
            where, also_in = returns.get("location"), elsewhere(strings(returns["names"]))
            created.depends_on.append(Reference(needed, "return type", where, also_in=also_in))
    created.depends_on.extend(_sql_body_references(node, options))
    fx.creates.append(created)


def function_options(options: list[dict]) -> dict:
    """A CREATE FUNCTION's options: security, search_path, language, body (the AS string), volatility."""
    found: dict = {"security_definer": False, "search_path": None, "language": None, "body": None}
    for item in options:
        elem = item.get("DefElem", {})
        name, arg = elem.get("defname"), elem.get("arg", {})
        if name == "language":
            found["language"] = arg.get("String", {}).get("sval", "").lower()
        elif name == "security":
            found["security_definer"] = bool(arg.get("Boolean", {}).get("boolval"))
        elif name == "as":
            found["body"] = "".join(strings(arg.get("List", {}).get("items")))
        elif name == "set" and arg.get("VariableSetStmt", {}).get("name") == "search_path":
            setting = arg["VariableSetStmt"]
            found["search_path"] = [str(v) for v in find_nodes(setting.get("args", []), "sval")] or [
                _const_text(a) for a in setting.get("args", [])
            ]
        elif name == "volatility":
            found["volatility"] = arg.get("String", {}).get("sval")
    return found


def _const_text(node: dict) -> str:
    for value in find_nodes(node, "String"):
        return value.get("sval", "")
    return ""


def _sql_body_references(node: dict, options: dict) -> list[Reference]:
    """Tables a LANGUAGE SQL body reads: PostgreSQL checks them when the function is created."""
    if options.get("language") != "sql":
        return []
    if "sql_body" in node:
        tree: object = node["sql_body"]
    elif options.get("body"):
        try:
            tree = sql_tree(options["body"])
        except pg.ParseError:
            return []
    else:
        return []
    return [
        Reference(range_var(rv), "table read by the function body", lasting=False)
        for rv in find_nodes(tree, "RangeVar")
        if is_project_table(rv)
    ]


@handles("CreateTrigStmt")
def _create_trigger(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    table = range_var(node["relation"])
    ref = ObjectRef("trigger", table.schema, node["trigname"], table.name)
    names = strings(node["funcname"])
    function = function_ref(names, ())
    fx.creates.append(
        Created(
            ref,
            {"function": function.qualified},
            [
                Reference(table, "table of the trigger", node["relation"].get("location")),
                Reference(function, "trigger function", also_in=elsewhere(names)),
            ],
            node["relation"].get("location"),
        )
    )


@handles("CreatePolicyStmt")
def _create_policy(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    table = range_var(node["table"])
    ref = ObjectRef("policy", table.schema, node["policy_name"], table.name)
    details = {
        "command": node.get("cmd_name", "all"),
        "permissive": node.get("permissive", False),
        "using": node.get("qual"),
        "with_check": node.get("with_check"),
        **_policy_roles(node),
    }
    depends = [Reference(table, "table of the policy", node["table"].get("location"))]
    depends.extend(
        _called_functions([node.get("qual"), node.get("with_check")], "function called by the policy")
    )
    fx.creates.append(Created(ref, details, depends, node["table"].get("location")))


def _called_functions(trees: list, reason: str) -> list[Reference]:
    """The functions the clauses call, then the tables they read, each in document order (one walk
    of each clause, which the policy rules read again)."""
    refs = []
    found = [clause_facts(tree) for tree in trees if tree is not None]
    for call in (call for facts in found for call in facts.nodes("FuncCall")):
        parts = strings(call.get("funcname"))
        if parts and parts[0] != "pg_catalog":
            ref = function_ref(parts, None)
            refs.append(
                Reference(
                    ref if len(parts) > 1 else ObjectRef("function", "", parts[-1]),
                    reason,
                    call.get("location"),
                )
            )
    read = [rv for facts in found for rv in facts.nodes("RangeVar")]
    named = {rv.get("relname") for rv in read if not rv.get("schemaname")}
    # An unqualified name is a table of the search_path, unless the clause's own WITH names it, or
    # it is one of pg_catalog's, which PostgreSQL searches first.
    ctes = {cte.get("ctename") for tree in trees if named for cte in clause_nodes(tree, "CommonTableExpr")}
    for rv in read:
        name = rv.get("relname", "")
        if is_project_table(rv):
            refs.append(Reference(range_var(rv), "table read by the policy", rv.get("location")))
        elif on_search_path(rv, ctes):
            where, also_in = rv.get("location"), elsewhere([name])
            refs.append(Reference(range_var(rv), "table read by the policy", where, also_in=also_in))
    return refs


@handles("AlterPolicyStmt")
def _alter_policy(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    table = range_var(node["table"])
    ref = ObjectRef("policy", table.schema, node["policy_name"], table.name)
    changes = {
        key: node[field] for key, field in (("using", "qual"), ("with_check", "with_check")) if field in node
    }
    if node.get("roles"):
        changes.update(_policy_roles(node))
    fx.changes.append((ref, changes))


def _policy_roles(node: dict) -> dict:
    """The TO list; libpg_query fills in PUBLIC (location -1) when TO is left out."""
    specs = [r["RoleSpec"] for r in node.get("roles", []) if "RoleSpec" in r]
    roles = [s.get("rolename") or s.get("roletype", "").removeprefix("ROLESPEC_").lower() for s in specs]
    return {"roles": roles or ["public"], "roles_given": any(s.get("location", -1) >= 0 for s in specs)}


@handles("ViewStmt")
def _create_view(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    view = node["view"]
    sources = tables_named(node["query"])
    ref = ObjectRef("view", *created_relation(view))
    if ref.schema != TEMP_SCHEMA and any(src.schema == TEMP_SCHEMA for src in sources):
        ref = ref._replace(schema=TEMP_SCHEMA)  # PostgreSQL makes such a view temporary too
        remember_temporary(ref.name)
    options = {
        elem["DefElem"]["defname"]: option_value(elem["DefElem"])
        for elem in node.get("options", [])
        if "DefElem" in elem
    }
    depends = [Reference(src, "table read by the view") for src in sources]
    fx.creates.append(
        Created(
            ref,
            {"options": options, "sources": [s.qualified for s in sources]},
            depends,
            view.get("location"),
            bool(node.get("replace")),
        )
    )


@handles("CreateTableAsStmt")
def _create_table_as(stmt: Statement, fx: Effects) -> None:
    into = stmt.node["into"]["rel"]
    kind = "materialized view" if stmt.node.get("objtype") == "OBJECT_MATVIEW" else "table"
    schema, name = created_relation(into)
    fx.creates.append(
        Created(
            ObjectRef(kind, schema, name),
            {"columns": []},
            location=into.get("location"),
            if_not_exists=bool(stmt.node.get("if_not_exists")),
        )
    )


@handles("CreateForeignTableStmt")
def _create_foreign_table(stmt: Statement, fx: Effects) -> None:
    relation = stmt.node["base"]["relation"]
    fx.creates.append(
        Created(
            ObjectRef("foreign table", *created_relation(relation)),
            {"columns": [], "server": stmt.node.get("servername")},
            location=relation.get("location"),
            if_not_exists=bool(stmt.node["base"].get("if_not_exists")),
        )
    )


# --- types, sequences, schemas, extensions ---------------------------------------------------------


@handles("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateRangeStmt")
def _create_type(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    if "typevar" in node:
        schema, name = created_relation(node["typevar"])
    else:
        # a domain's typeName is its base type; its own name is domainname
        schema, name = split_name(strings(node.get("domainname") or node.get("typeName")))
    labels = {"labels": strings(node["vals"])} if stmt.kind == "CreateEnumStmt" and "vals" in node else {}
    fx.creates.append(Created(ObjectRef("type", schema, name), labels))


ADDED_LABEL, RENAMED_LABEL = "added label", "renamed label"  # changes the catalog applies to `labels`


@handles("AlterEnumStmt")
def _alter_enum(stmt: Statement, fx: Effects) -> None:
    """ADD VALUE and RENAME VALUE: the labels the type has (a new value's use is judged by
    enum-value-unsafe-use)."""
    node = stmt.node
    ref = ObjectRef("type", *split_name(strings(node.get("typeName"))))
    if node.get("oldVal") and node.get("newVal"):
        fx.changes.append((ref, {RENAMED_LABEL: (node["oldVal"], node["newVal"])}))
    elif node.get("newVal"):
        fx.changes.append((ref, {ADDED_LABEL: node["newVal"]}))


@handles("CreateSeqStmt")
def _create_sequence(stmt: Statement, fx: Effects) -> None:
    seq = stmt.node["sequence"]
    schema, name = created_relation(seq)
    fx.creates.append(
        Created(
            ObjectRef("sequence", schema, name),
            location=seq.get("location"),
            if_not_exists=bool(stmt.node.get("if_not_exists")),
        )
    )


# The API roles, whose USAGE of a schema the model follows (a schema's "usage <role>" details).
API_ROLES = ("anon", "authenticated")


@handles("CreateSchemaStmt")
def _create_schema(stmt: Statement, fx: Effects) -> None:
    name = stmt.node.get("schemaname") or ""
    # a new schema grants nothing to anyone: the API roles reach it only once granted USAGE
    usage = {f"usage {role}": False for role in API_ROLES}
    fx.creates.append(
        Created(ObjectRef("schema", "", name), usage, if_not_exists=bool(stmt.node.get("if_not_exists")))
    )


@handles("GrantStmt")
def _grant(stmt: Statement, fx: Effects) -> None:
    """GRANT / REVOKE on the project's functions and tables needs them; USAGE (or ALL) ON SCHEMA to the API
    roles or PUBLIC, which includes them, is what the model follows of privileges."""
    node = stmt.node
    if node.get("targtype") != "ACL_TARGET_OBJECT":
        return
    verb = "granted" if node.get("is_grant") else "revoked"
    fx.references += _projects_objects(node.get("objtype", ""), node.get("objects") or [], verb)
    if node.get("objtype") != "OBJECT_SCHEMA":
        return
    privileges = {p["AccessPriv"].get("priv_name") for p in node.get("privileges") or [] if "AccessPriv" in p}
    if privileges and "usage" not in privileges:
        return  # no list means ALL PRIVILEGES
    named = {grantee(item.get("RoleSpec", {})) for item in node.get("grantees") or []}
    roles = API_ROLES if "public" in named else [r for r in API_ROLES if r in named]
    if roles:
        usage = {f"usage {role}": bool(node.get("is_grant")) for role in roles}
        for obj in node.get("objects") or []:
            fx.changes.append((ObjectRef("schema", "", obj.get("String", {}).get("sval", "")), usage))


def grantee(spec: dict) -> str:
    """A GRANT's or REVOKE's role as named ("public" for PUBLIC; CURRENT_USER and the like count so)."""
    return spec.get("rolename", "public") if spec.get("roletype") == "ROLESPEC_CSTRING" else "public"


@handles("CreateExtensionStmt")
def _create_extension(stmt: Statement, fx: Effects) -> None:
    options = {
        e["DefElem"]["defname"]: option_value(e["DefElem"])
        for e in stmt.node.get("options", [])
        if "DefElem" in e
    }
    name = stmt.node["extname"]
    # Where its objects go (its control file may fix it); the catalog takes any function or type
    # there as one it may bring, so these need no list but the types columns use most
    schema = EXTENSION_SCHEMAS.get(name) or options.get("schema") or current_schema()
    fx.creates.append(
        Created(
            ObjectRef("extension", "", name),
            {"schema": options.get("schema"), "installed_in": schema},
            if_not_exists=bool(stmt.node.get("if_not_exists")),
        )
    )
    for type_ in EXTENSION_TYPES.get(name, ()):  # so `extensions.vector(1536)` columns resolve
        fx.creates.append(Created(ObjectRef("type", schema, type_), {"extension": name}, if_not_exists=True))
    home, tables = EXTENSION_TABLES.get(name, ("", ()))
    for table, columns in tables:
        details = {"columns": list(columns), "extension": name}
        fx.creates.append(Created(ObjectRef("table", home, table), details, if_not_exists=True))


# The types that common extensions bring (the ones migrations use as column types), as objects of the
# catalog; any other function or type in the extension's schema counts as one it may bring.
EXTENSION_TYPES = {
    "vector": ("vector", "halfvec", "sparsevec"),
    "postgis": ("geometry", "geography", "box2d", "box3d"),
    "citext": ("citext",),
    "hstore": ("hstore",),
    "ltree": ("ltree", "lquery", "ltxtquery"),
    "cube": ("cube",),
    "isn": ("isbn", "isbn13", "issn", "ean13", "upc"),
    "seg": ("seg",),
    "pg_trgm": ("gtrgm",),
    "pgmq": ("message_record", "queue_record", "metrics_result"),  # `returns setof pgmq.message_record`
    "http": ("http_header", "http_request", "http_response", "http_method", "content_type"),
}
# Extensions whose control file fixes their schema (the types land there whatever the statement says).
EXTENSION_SCHEMAS = {"pgmq": "pgmq"}
# The tables an extension's script makes in a schema of its own, whatever WITH SCHEMA says (functions
# and views of the project read pg_net's responses and pg_cron's jobs), with their columns.
EXTENSION_TABLES = {
    "pg_net": (
        "net",
        (
            ("http_request_queue", ("id", "method", "url", "headers", "body", "timeout_milliseconds")),
            ("_http_response", ("id", "status_code", "content_type", "headers", "content", "timed_out",
                                "error_msg", "created")),
        ),
    ),
    "pg_cron": (
        "cron",
        (
            ("job", ("jobid", "schedule", "command", "nodename", "nodeport", "database", "username",
                     "active", "jobname")),
            ("job_run_details", ("jobid", "runid", "job_pid", "database", "username", "command", "status",
                                 "return_message", "start_time", "end_time")),
        ),
    ),
}


# --- tables an extension's functions make and drop --------------------------------------------------

# pgmq's queue functions: a queue is the table pgmq.q_<name> and its archive pgmq.a_<name>, the name in
# lower case (pgmq.format_table_name); `select pgmq.create('jobs')` is how Supabase Queues are made.
_QUEUE_CREATE = frozenset({"create", "create_unlogged", "create_partitioned"})
_QUEUE_DROP = frozenset({"drop_queue"})
_QUEUE_COLUMNS = ["msg_id", "read_ct", "enqueued_at", "vt", "message", "headers"]


@handles("InsertStmt", "UpdateStmt", "DeleteStmt")
def _write_rows(stmt: Statement, fx: Effects) -> None:
    fx.references += _rows_tables(stmt.node, "table the statement writes or reads")


@handles("SelectStmt")
def _select(stmt: Statement, fx: Effects) -> None:
    if stmt.node.get("fromClause"):  # a query of tables (most SELECTs call a function: no walk)
        fx.references += _rows_tables(stmt.node, "table the statement reads")
    if "pgmq" not in stmt.source.text[stmt.start : stmt.end]:
        return
    for call in find_nodes(stmt.node, "FuncCall"):
        names = strings(call.get("funcname"))
        queue = _first_string(call) if len(names) == 2 and names[0] == "pgmq" else None
        if queue is None:
            continue
        tables = [ObjectRef("table", "pgmq", f"{prefix}_{queue.lower()}") for prefix in ("q", "a")]
        if names[1] in _QUEUE_CREATE:
            fx.creates.extend(_queue_table(table, call.get("location")) for table in tables)
        elif names[1] in _QUEUE_DROP:
            fx.drops.extend(Drop(t, missing_ok=True, location=call.get("location")) for t in tables)


def _rows_tables(node: dict, reason: str) -> list[Reference]:
    """The project's tables a top-level INSERT, UPDATE, DELETE or SELECT names, which must be there when it
    runs: those of the public schema (qualified, or unqualified and found there by the search_path, where a
    name may also be a table of another schema on it), not a WITH query's name. Supabase's own schemas hold
    more than the model lists: not checked."""
    ctes = cte_names(node)
    found = []
    target = [node["relation"]] if "relation" in node else []  # the written table: a bare RangeVar
    for rv in [*target, *find_nodes(node, "RangeVar")]:
        schema = rv.get("schemaname")
        if not schema and not on_search_path(rv, ctes):
            continue
        table = range_var(rv)
        if table.schema == "public":
            also_in = () if schema else elsewhere([table.name])
            found.append(Reference(table, reason, rv.get("location"), also_in=also_in))
    return found


def _queue_table(table: ObjectRef, location: int | None) -> Created:
    details = {"columns": list(_QUEUE_COLUMNS), "primary_key": ["msg_id"], "extension": "pgmq"}
    return Created(table, details, location=location, if_not_exists=True)  # pgmq.create makes it once


def _first_string(call: dict) -> str | None:
    """The first argument of a call when it is a string constant (`'jobs'`)."""
    args = call.get("args") or []
    constant = args[0].get("A_Const", {}) if args else {}
    return constant.get("sval", {}).get("sval")


# --- drops and renames ---------------------------------------------------------------------------

_OBJTYPE_KIND = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "function",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_EXTENSION": "extension",
    "OBJECT_POLICY": "policy",
    "OBJECT_TRIGGER": "trigger",
    "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_COLUMN": "column",
    "OBJECT_RULE": "rule",
    "OBJECT_TABCONSTRAINT": "constraint",
}


@handles("DropStmt")
def _drop(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    kind = _OBJTYPE_KIND.get(node.get("removeType", ""))
    if not kind:
        return
    cascade = node.get("behavior") == "DROP_CASCADE"
    for obj in node.get("objects", []):
        ref = _dropped_ref(kind, obj)
        if ref:
            fx.drops.append(Drop(ref, cascade, bool(node.get("missing_ok"))))
            if ref.schema == TEMP_SCHEMA:
                remember_temporary(ref.name, present=False)  # the name finds a lasting relation again


def _dropped_ref(kind: str, obj: dict) -> ObjectRef | None:
    if "ObjectWithArgs" in obj:
        return object_with_args(obj["ObjectWithArgs"], "procedure" if kind == "procedure" else "function")
    if "TypeName" in obj:
        schema, name = split_name(strings(obj["TypeName"]["names"]))
        return ObjectRef("type", schema, name)
    if "String" in obj:
        return ObjectRef(kind, "", obj["String"]["sval"])
    parts = strings(obj.get("List", {}).get("items"))
    if not parts:
        return None
    if kind in ("policy", "trigger", "rule"):
        schema, table = _relation_name(parts[:-1])
        return ObjectRef(kind, schema, parts[-1], table)
    schema, name = _relation_name(parts) if kind in RELATION_KINDS else split_name(parts)
    return ObjectRef(kind, schema, name)


def _relation_name(parts: list[str]) -> tuple[str, str]:
    """(schema, name) of a relation's possibly qualified name: the session's temporary ones first."""
    name = parts[-1] if parts else ""
    return relation_schema(parts[-2] if len(parts) >= 2 else None, name), name


@handles("RenameStmt")
def _rename(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    target = _named_object(_OBJTYPE_KIND.get(node.get("renameType", ""), "object"), node)
    if target:
        fx.renames.append((target, node.get("newname", "")))
        if target.kind == "column":
            where = node.get("relation", {}).get("location")
            fx.references.append(Reference(target, "renamed column", where))
        if target.schema == TEMP_SCHEMA and target.kind in RELATION_KINDS:
            remember_temporary(target.name, present=False)
            remember_temporary(node.get("newname", ""))


@handles("CommentStmt")
def _comment(stmt: Statement, fx: Effects) -> None:
    """COMMENT ON a function or table of the project, or a column, needs it."""
    node = stmt.node
    fx.references += _projects_objects(node.get("objtype", ""), [node.get("object", {})], "commented")
    parts = strings(node.get("object", {}).get("List", {}).get("items"))
    if node.get("objtype") == "OBJECT_COLUMN" and len(parts) >= 2:
        schema, table = _relation_name(parts[:-1])
        fx.references.append(Reference(ObjectRef("column", schema, parts[-1], table), "commented column"))


@handles("AlterFunctionStmt")
def _alter_function(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    function = {"ObjectWithArgs": node.get("func", {})}
    fx.references += _projects_objects(node.get("objtype", ""), [function], "altered")
    changes = _function_changes(node.get("actions", []))
    if changes:
        kind = "procedure" if node.get("objtype") == "OBJECT_PROCEDURE" else "function"
        fx.changes.append((object_with_args(node.get("func", {}), kind), changes))


def _function_changes(actions: list[dict]) -> dict:
    """What ALTER FUNCTION changes of the options the model keeps: SECURITY DEFINER / INVOKER, and the
    search_path it SETs (pinned), or RESETs or SETs TO DEFAULT (no longer pinned)."""
    options = function_options(actions)
    changes: dict = {}
    for item in actions:
        elem = item.get("DefElem", {})
        setting = elem.get("arg", {}).get("VariableSetStmt", {})
        if elem.get("defname") == "security":
            changes["security_definer"] = options["security_definer"]
        elif setting.get("kind") == "VAR_RESET_ALL" or setting.get("name") == "search_path":
            pinned = setting.get("kind") in ("VAR_SET_VALUE", "VAR_SET_CURRENT")
            changes["search_path"] = options["search_path"] if pinned else None
    return changes


# The object types whose GRANT, COMMENT or ALTER names functions, and tables.
_FUNCTION_TYPES = frozenset({"OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE"})


def _projects_objects(objtype: str, objects: list[dict], verb: str) -> list[Reference]:
    """The functions (any overload of the name: argument types are not compared here) and tables of the
    public schema a statement names: the project's own, which must exist when it runs. Supabase's schemas
    hold more than the model lists, and an unqualified function the search path decides: not checked."""
    found = []
    for item in objects:
        location = None
        if objtype in _FUNCTION_TYPES and "ObjectWithArgs" in item:
            parts = strings(item["ObjectWithArgs"].get("objname"))
            kind = "procedure" if objtype == "OBJECT_PROCEDURE" else "function"
            ref = function_ref(parts, None, kind) if len(parts) > 1 else None
        elif objtype == "OBJECT_TABLE" and "RangeVar" in item:
            ref, location = range_var(item["RangeVar"]), item["RangeVar"].get("location")
        elif objtype == "OBJECT_TABLE" and "List" in item:
            ref = ObjectRef("table", *_relation_name(strings(item["List"].get("items"))))
        else:
            ref = None
        if ref is not None and ref.schema == "public":
            found.append(Reference(ref, f"{verb} {ref.kind}", location))
    return found


@handles("AlterObjectSchemaStmt")
def _set_schema(stmt: Statement, fx: Effects) -> None:
    node = stmt.node
    target = _named_object(_OBJTYPE_KIND.get(node.get("objectType", ""), "object"), node)
    if target and node.get("newschema"):
        fx.moves.append((target, node["newschema"]))


def _named_object(kind: str, node: dict) -> ObjectRef | None:
    """The object an ALTER ... RENAME / SET SCHEMA names: on a relation, or by its own name."""
    if "relation" in node:
        schema, name = _schema_name(node["relation"])
        if kind in ("column", "policy", "trigger", "rule", "constraint"):
            return ObjectRef(kind, schema, node.get("subname", ""), name)
        return ObjectRef(kind, schema, name)
    if "object" in node:
        return _dropped_ref(kind, node["object"])
    if kind == "schema" and node.get("subname"):
        return ObjectRef("schema", "", node["subname"])
    return None
