"""enum-value-unsafe-use: a value ALTER TYPE ... ADD VALUE adds is not used before its transaction commits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.effects import ADDED_LABEL
from checker.model.objects import range_var, strings
from checker.model.walk import OWN, TreeFacts, find_nodes
from checker.parse import Statement
from checker.rules._locks import column_type, lock_steps
from checker.rules.base import Example, Issue, Rule


class NewValue(NamedTuple):
    type: ObjectRef
    value: str
    added_by: Statement

    def of(self, type_parts: list[str]) -> bool:
        """Whether a type name (its parts as written, or a canonical name split at the dot) is this type."""
        if not type_parts or type_parts[-1] != self.type.name:
            return False
        return len(type_parts) == 1 or type_parts[-2] == self.type.schema


def check(ctx: RuleContext) -> Iterator[Issue]:
    labels = _Labels(ctx)
    added: list[NewValue] = []
    made_here: set[ObjectRef] = set()  # enum types CREATEd in the current transaction
    transaction = None
    for step in lock_steps(ctx):
        if step.transaction != transaction:
            transaction, added, made_here = step.transaction, [], set()
        for effects in step.effects.steps or (step.effects,):
            if added:
                yield from _uses(ctx, effects.statement, added, effects.conditional)
            for created in effects.creates:
                if created.ref.kind == "type":
                    made_here.add(created.ref)
                    labels.made(created.ref, created.details.get("labels"))
            for ref, change in effects.changes:
                if ref.kind != "type" or ADDED_LABEL not in change:
                    continue
                value, skip_if_there = change[ADDED_LABEL], effects.statement.node.get("skipIfNewValExists")
                # ADD VALUE IF NOT EXISTS of a value the type has (or may have) does nothing. PostgreSQL 17
                # and later take a value added to a type of the same transaction as safe (15 does not,
                # which the dynamic stage finds): nothing is reported that a version accepts.
                if not (skip_if_there and labels.may_have(ref, value)) and ref not in made_here:
                    added.append(NewValue(ref, value, effects.statement))
                labels.add(ref, value)


class _Labels:
    """Each enum type's labels as the migration goes (None: not known, a type the model never saw made)."""

    def __init__(self, ctx: RuleContext) -> None:
        self._before = ctx.before
        self._known: dict[ObjectRef, set[str] | None] = {}

    def _of(self, enum: ObjectRef) -> set[str] | None:
        if enum not in self._known:
            found = self._before.find(enum)
            listed = found.details.get("labels") if found is not None else None
            self._known[enum] = set(listed) if listed is not None else None
        return self._known[enum]

    def made(self, enum: ObjectRef, listed: list[str] | None) -> None:
        self._known[enum] = set(listed) if listed is not None else None

    def may_have(self, enum: ObjectRef, value: str) -> bool:
        known = self._of(enum)
        return known is None or value in known

    def add(self, enum: ObjectRef, value: str) -> None:
        known = self._of(enum)
        if known is not None:
            known.add(value)


def _uses(
    ctx: RuleContext, statement: Statement, added: list[NewValue], conditional: bool
) -> Iterator[Issue]:
    """Where the statement turns one of the new values into the enum: a cast of the literal, and a literal
    compared with, inserted into, or made the default of a column of the type (once per value: PostgreSQL
    stops at the first). `conditional`: a DO block's statement under IF, which may not run."""
    node = statement.node
    reported: set[NewValue] = set()
    for const, parts in _typed_literals(ctx, statement, node):
        text = const.get("sval", {}).get("sval")
        for new in added:
            if text == new.value and new.of(parts) and new not in reported:
                reported.add(new)
                yield _issue(statement, new, const.get("location"), conditional)


def _typed_literals(ctx: RuleContext, statement: Statement, node: dict) -> Iterator[tuple[dict, list[str]]]:
    """String literals of the statement with the type PostgreSQL gives them, where the statement says it."""
    for cast in find_nodes(node, "TypeCast"):
        if "A_Const" in cast.get("arg", {}):
            yield cast["arg"]["A_Const"], strings(cast.get("typeName", {}).get("names"))
    table = _own_table(statement, node)
    if table is None:
        return
    declared = _declared_types(node)

    def column_parts(column: str) -> list[str]:
        if column in declared:
            return declared[column]
        known = column_type(ctx, ObjectRef("column", table.schema, column, table.name))
        return known[0].split(".") if known else []

    for column, value in _column_values(node, _inserted_columns(ctx, table, node)):
        if "A_Const" in value:
            yield value["A_Const"], column_parts(column)
    for expr in TreeFacts(node, {"A_Expr": ("A_Expr" + OWN, None)}).own("A_Expr"):
        for column, const in _compared(expr):
            yield const, column_parts(column)


def _own_table(statement: Statement, node: dict) -> ObjectRef | None:
    """The table whose columns the statement's unqualified column names are (policies, partial indexes,
    writes, and CREATE / ALTER TABLE's defaults and checks)."""
    relation = node.get("table" if statement.kind in _POLICY_KINDS else "relation")
    if statement.kind not in _OWN_TABLE_KINDS or not isinstance(relation, dict):
        return None
    return range_var(relation)


_POLICY_KINDS = frozenset({"CreatePolicyStmt", "AlterPolicyStmt"})
_OWN_TABLE_KINDS = _POLICY_KINDS | {
    "IndexStmt", "UpdateStmt", "DeleteStmt", "InsertStmt", "CreateStmt", "AlterTableStmt"
}


def _declared_types(node: dict) -> dict[str, list[str]]:
    """The types of the columns the statement itself declares (CREATE TABLE, ADD COLUMN)."""
    return {
        coldef["colname"]: strings(coldef.get("typeName", {}).get("names"))
        for coldef in find_nodes(node, "ColumnDef")
        if "colname" in coldef
    }


def _inserted_columns(ctx: RuleContext, table: ObjectRef, node: dict) -> list[str]:
    """The columns an INSERT's values go to: its list, or else all of the table's, in their order."""
    if "cols" in node:
        return [target.get("ResTarget", {}).get("name", "") for target in node["cols"]]
    for catalog in (ctx.before, ctx.after):
        found = catalog.find(table)
        if found is not None and found.details.get("all_columns", True):
            return list(found.details.get("columns", []))
    return []


def _column_values(node: dict, columns: list[str]) -> Iterator[tuple[str, dict]]:
    """(column, value) pairs a statement writes or defaults: INSERT's VALUES, UPDATE's SET, a column's
    DEFAULT, ALTER COLUMN ... SET DEFAULT."""
    rows = node.get("selectStmt", {}).get("SelectStmt", {}).get("valuesLists", [])
    for row in rows:
        yield from zip(columns, row.get("List", {}).get("items", []), strict=False)
    for target in node.get("targetList", []) if "relation" in node and "cols" not in node else ():
        res = target.get("ResTarget", {})
        if "name" in res and "val" in res:
            yield res["name"], res["val"]
    for coldef in find_nodes(node, "ColumnDef"):
        for constraint in coldef.get("constraints", []):
            default = constraint.get("Constraint", {})
            if default.get("contype") == "CONSTR_DEFAULT" and "raw_expr" in default:
                yield coldef.get("colname", ""), default["raw_expr"]
    for command in node.get("cmds", []):
        cmd = command.get("AlterTableCmd", {})
        if cmd.get("subtype") == "AT_ColumnDefault" and "def" in cmd:
            yield cmd.get("name", ""), cmd["def"]


_COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})


def _compared(expr: dict) -> Iterator[tuple[str, dict]]:
    """(column, literal) of `column = 'x'`, `'x' <> column`, `column in ('x', ...)`."""
    left, right = expr.get("lexpr", {}), expr.get("rexpr", {})
    operator = strings(expr.get("name"))
    if expr.get("kind") == "AEXPR_IN" and _column(left):
        for item in right.get("List", {}).get("items", []):
            if "A_Const" in item:
                yield _column(left), item["A_Const"]  # type: ignore[misc]
    elif expr.get("kind") == "AEXPR_OP" and operator and operator[-1] in _COMPARISONS:
        for column, other in ((_column(left), right), (_column(right), left)):
            if column and "A_Const" in other:
                yield column, other["A_Const"]


def _column(node: dict) -> str | None:
    """The column an operand names, written alone or qualified (a sub-select's columns are not reached)."""
    fields = strings(node.get("ColumnRef", {}).get("fields")) if isinstance(node, dict) else []
    return fields[-1] if fields else None


def _issue(statement: Statement, new: NewValue, location: int | None, conditional: bool) -> Issue:
    name = new.type.qualified
    fails = "the migration fails"
    if conditional:
        fails = f"if the DO block runs this statement, {fails}"
    return Issue(
        statement,
        f"enum value '{new.value}' of {name} is used in the transaction that adds it "
        f"({new.added_by.where()}): PostgreSQL refuses it (\"unsafe use of new value\"), so {fails}",
        "move ALTER TYPE ... ADD VALUE to a migration of its own, before the one that uses the value (a "
        "new value can be used once its transaction has committed)",
        location,
        name,
        severity=Severity.WARNING if conditional else None,
    )


_BASELINE = (
    "create type public.task_status as enum ('open', 'done');\n"
    "create table public.tasks (id bigint primary key, status public.task_status not null default 'open');\n"
)

RULE = Rule(
    id="enum-value-unsafe-use",
    severity=Severity.ERROR,
    summary="A value ALTER TYPE ... ADD VALUE adds is not used in the same transaction",
    rationale=(
        "Since PostgreSQL 12, ALTER TYPE ... ADD VALUE may run in a transaction block, but the new value "
        "cannot be used until that transaction commits: a cast of it, a default, a CHECK or a policy "
        "comparing a column of the type with it, or a row written with it fails with \"unsafe use of new "
        "value\". The Supabase CLI runs each migration file in one transaction, so a file that adds a "
        "status and then uses it (a policy for the new role, the rows moved to the new state) never "
        "applies. Add the value in a migration of its own, before the one that uses it. A type the same "
        "transaction creates is left alone: PostgreSQL 17 and later accept its new values at once."
    ),
    bad=Example(
        "alter type public.task_status add value 'archived';\n"
        "update public.tasks set status = 'archived' where status = 'done';\n",
        baseline=_BASELINE,
        policy={"transaction": "runner"},
    ),
    good=Example(
        "alter type public.task_status add value 'archived';\n",
        baseline=_BASELINE,
        policy={"transaction": "runner"},
    ),
    check=check,
)
