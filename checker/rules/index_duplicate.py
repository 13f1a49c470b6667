"""index-duplicate: a migration does not create an index identical to one its table already has."""

from __future__ import annotations

import json
from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.objects import range_var
from checker.parse import Statement
from checker.rules.base import Example, Issue, Rule

_KEYS = frozenset({"CONSTR_PRIMARY", "CONSTR_UNIQUE"})
# What does not change the index's definition: its name, how it is built, where the text stood.
_IGNORED = frozenset({"idxname", "concurrent", "if_not_exists", "location", "relation", "idxcomment"})


def signature(node: dict) -> str:
    """The definition of a CREATE INDEX without its name: two equal signatures are one index twice."""
    return json.dumps(_strip(node), sort_keys=True)


def _strip(item: object) -> object:
    if isinstance(item, list):
        return [_strip(child) for child in item]
    if isinstance(item, dict):
        return {k: _strip(v) for k, v in item.items() if k not in _IGNORED}
    return item


def check(ctx: RuleContext) -> Iterator[Issue]:
    seen: dict[tuple[ObjectRef, str], ObjectRef] = {}
    for statement in ctx.migration.statements:
        if statement.kind != "IndexStmt":
            continue
        table = range_var(statement.node["relation"])
        index = _created_index(ctx, statement)
        if index is None:
            continue
        key = (table, signature(statement.node))
        twin = seen.get(key)
        if twin is not None and ctx.after.find(twin) is None:
            twin = None  # dropped in between
        twin = twin or _constraint_twin(ctx, table, statement.node)
        if twin is not None and twin.name != index.name and ctx.after.find(index) is not None:
            yield Issue(
                statement,
                f"index {index.name} on {table.qualified} is identical to {twin.name}: every write "
                "updates both, and queries use only one",
                f"drop one of them: drop index {ObjectRef('index', index.schema, index.name).qualified};",
                statement.node["relation"].get("location"),
                f"{table.qualified}.{index.name}",
            )
        seen.setdefault(key, index)


def _constraint_twin(ctx: RuleContext, table: ObjectRef, node: dict) -> ObjectRef | None:
    """The index of a primary key or unique constraint a plain unique index repeats (same columns)."""
    plain = node.get("unique") and not any(k in node for k in ("whereClause", "indexIncludingParams"))
    params = [p.get("IndexElem", {}) for p in node.get("indexParams", [])]
    if not plain or node.get("accessMethod", "btree") != "btree" or not all(map(_plain_column, params)):
        return None
    columns = [p.get("name") for p in params]
    found = ctx.after.find(table)
    holders = [found, *ctx.after.members_of(table)] if found is not None else []
    for holder in holders:
        for name, constraint in holder.details.get("constraints", {}).items():
            if constraint.get("type") in _KEYS and constraint.get("columns") == columns:
                return ObjectRef("index", table.schema, name, table.name)
    return None


def _plain_column(param: dict) -> bool:
    """A column in ascending order, as a primary key or unique constraint indexes it."""
    return (
        "name" in param
        and param.get("ordering", "SORTBY_DEFAULT") == "SORTBY_DEFAULT"
        and param.get("nulls_ordering", "SORTBY_NULLS_DEFAULT") == "SORTBY_NULLS_DEFAULT"
        and not set(param) - {"name", "ordering", "nulls_ordering"}
    )


def _created_index(ctx: RuleContext, statement: Statement) -> ObjectRef | None:
    effects = ctx.effects_for(statement)
    return next((c.ref for c in effects.creates if c.ref.kind == "index" and not c.if_not_exists), None)


RULE = Rule(
    id="index-duplicate",
    severity=Severity.WARNING,
    summary="A table does not get two identical indexes",
    rationale=(
        "Two indexes with the same definition (table, method, columns or expressions, order, "
        "uniqueness, predicate) under different names, or a unique index repeating the index of a "
        "primary key or unique constraint, double the cost of every insert, update and "
        "delete and the disk they take, while the planner reads only one. Indexes the migration "
        "creates are compared with each other here; the dynamic stage's advisor step compares "
        "them with every index the database has, the baseline's included."
    ),
    bad=Example(
        "begin;\ncreate index posts_author_idx on public.posts (author_id);\n"
        "create index posts_author_id_idx on public.posts (author_id);\ncommit;\n",
        baseline="create table public.posts (id bigint primary key, author_id uuid);\n",
    ),
    good=Example(
        "begin;\ncreate index posts_author_idx on public.posts (author_id);\n"
        "create index posts_author_created_idx on public.posts (author_id, id);\ncommit;\n",
        baseline="create table public.posts (id bigint primary key, author_id uuid);\n",
    ),
    check=check,
    mirrors=("0009_duplicate_index",),
)
