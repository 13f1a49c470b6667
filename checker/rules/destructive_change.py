"""destructive-change: a migration that drops, empties, retypes or renames existing tables and columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Catalog, Effects, ObjectRef
from checker.model.objects import range_var
from checker.parse import Statement
from checker.rules._schema_support import relation_of, table_commands
from checker.rules.base import Example, Issue, Rule

_HINT = (
    "if the data may go, say why: -- checker-ignore destructive-change: <reason>; otherwise expand and "
    "contract (add the new, copy, switch readers, drop the old in a later release)"
)


@dataclass
class _Own:
    """Tables and columns this migration has created so far: changing those destroys nothing."""

    refs: set[ObjectRef] = field(default_factory=set)

    def has(self, ref: ObjectRef) -> bool:
        key = _key(ref)
        return key in self.refs or (ref.table is not None and _key(ref.table_ref) in self.refs)

    def add(self, ref: ObjectRef) -> None:
        self.refs.add(_key(ref))


def _key(ref: ObjectRef | None) -> ObjectRef:
    assert ref is not None
    kind = "column" if ref.kind == "column" else "table"
    return ObjectRef(kind, ref.schema, ref.name, ref.table)


def check(ctx: RuleContext) -> Iterator[Issue]:
    own = _Own()
    created = ctx.created_by_migration()
    for effects in ctx.migration_effects:
        statement = effects.statement
        found = _FINDERS.get(statement.kind)
        if found:
            for target, issue in found(effects):
                if not own.has(target) and _may_exist(ctx.before, target, statement, effects):
                    yield issue
        _remember(effects, created, own)


def _may_exist(before: Catalog, target: ObjectRef, statement: Statement, effects: Effects) -> bool:
    """Whether the target can hold data when the statement runs.

    Without IF EXISTS it must exist, or the migration fails. With IF EXISTS, a table nobody is known
    to have created is taken as absent; a column only when its table's columns are known, since
    IF EXISTS on a column is mostly written for re-runs, not because the column may be missing.
    """
    if before.has(target):
        return True
    if not (statement.node.get("missing_ok") or any(d.missing_ok for d in effects.drops)):
        return True
    if target.kind != "column":
        return False
    table = before.find(target.table_ref)  # type: ignore[arg-type]
    return table is None or not table.details.get("columns")


def _remember(effects: Effects, created: dict, own: _Own) -> None:
    for item in effects.creates:
        if item.ref.kind in ("table", "column") and item.ref in created:
            own.add(item.ref)
    for old, new_name in effects.renames:
        if own.has(old) and new_name:
            own.add(ObjectRef(old.kind, old.schema, new_name, old.table))


def _drops(effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    if effects.statement.node.get("removeType") != "OBJECT_TABLE":
        return
    for drop in effects.drops:
        name = drop.ref.qualified
        yield (
            drop.ref,
            Issue(
                effects.statement,
                f"drops table {name}, which this migration did not create: every row in it is lost",
                _HINT,
                None,
                name,
            ),
        )


def _alter_table(effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    statement = effects.statement
    if statement.node.get("objtype") not in (None, "OBJECT_TABLE"):
        return
    table = relation_of(statement)
    for cmd in table_commands(statement):
        column = ObjectRef("column", table.schema, cmd.get("name", ""), table.name)
        shown = f"{table.qualified}.{column.name}"
        if cmd.get("subtype") == "AT_DropColumn":
            message = f"drops column {shown}, which this migration did not create: its values are lost " + (
                "and clients that still select it fail"
            )
            location = statement.node["relation"].get("location")
        elif cmd.get("subtype") == "AT_AlterColumnType":
            message = (
                f"changes the type of column {shown}: the table is rewritten under an exclusive lock, "
                "existing values can fail to convert or lose precision, and API clients see a new type"
            )
            location = cmd.get("def", {}).get("ColumnDef", {}).get("location")
        else:
            continue
        yield column, Issue(statement, message, _HINT, location, table.qualified)


def _rename(effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    statement = effects.statement
    node = statement.node
    kind = node.get("renameType")
    if kind == "OBJECT_TABLE":
        target = relation_of(statement)
        what = f"table {target.qualified}"
    elif kind == "OBJECT_COLUMN" and node.get("relationType") == "OBJECT_TABLE":
        table = relation_of(statement)
        target = ObjectRef("column", table.schema, node.get("subname", ""), table.name)
        what = f"column {table.qualified}.{target.name}"
    else:
        return
    yield (
        target,
        Issue(
            statement,
            f"renames {what} to {node.get('newname')}: API clients, functions and SQL elsewhere that "
            "use the old name break the moment this runs",
            _HINT,
            node["relation"].get("location"),
            relation_of(statement).qualified,
        ),
    )


def _truncate(effects: Effects) -> Iterator[tuple[ObjectRef, Issue]]:
    for item in effects.statement.node.get("relations", []):
        rv = item.get("RangeVar", {})
        table = range_var(rv)
        yield (
            table,
            Issue(
                effects.statement,
                f"truncates table {table.qualified}, which this migration did not create: every row is lost",
                _HINT,
                rv.get("location"),
                table.qualified,
            ),
        )


_FINDERS = {
    "DropStmt": _drops,
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "TruncateStmt": _truncate,
}


RULE = Rule(
    id="destructive-change",
    severity=Severity.WARNING,
    summary="Dropping, emptying, retyping or renaming existing tables and columns is called out",
    rationale=(
        "On a live Supabase project, a migration runs against production data and against API "
        "clients already deployed: DROP TABLE, DROP COLUMN and TRUNCATE delete data that no rollback "
        "brings back, ALTER COLUMN ... TYPE rewrites the table under an exclusive lock and can fail "
        "or silently round existing values, and renaming a table or column breaks every client and "
        "every supabase-js query that uses the old name, as PostgREST serves the new one at once. "
        "Only objects that existed before the migration count (the baseline, earlier migrations, "
        "whatever a statement without IF EXISTS needs to be there, and columns IF EXISTS drops from "
        "a table whose columns are not known); changing what the same "
        "migration created is fine, and rollbacks are not forward migrations. A warning by default, "
        "so reviewers see it; a project can make it an error in its policy and then suppress each "
        "intended case with a reason. Findings name the table, for exemptions."
    ),
    bad=Example(
        "begin;\nalter table public.users drop column birth_city;\ncommit;\n",
        baseline="create table public.users (id uuid primary key, birth_city text);\n",
    ),
    good=Example(
        "begin;\nalter table public.users add column birth_place text;\n"
        "update public.users set birth_place = birth_city;\ncommit;\n",
        baseline="create table public.users (id uuid primary key, birth_city text);\n",
    ),
    check=check,
)
