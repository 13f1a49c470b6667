"""table-primary-key: every table the migration creates has a primary key by the migration's end."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Catalog, CatalogObject
from checker.model.objects import range_var
from checker.parse import Fact
from checker.rules._schema_support import created_tables, relation_node
from checker.rules.base import Example, Issue, Rule

LIKE_INDEXES = 1 << 6  # CREATE_TABLE_LIKE_INDEXES in libpg_query's TableLikeOption bits


def check(ctx: RuleContext) -> Iterator[Issue]:
    for table, statement, location in created_tables(ctx):
        made = statement.kind == "CreateStmt"
        if (made and relation_node(statement).get("relpersistence") == "t") or table.details.get("partition"):
            continue  # temporary tables live for one session; partitions share their parent's key
        if has_primary_key(ctx.after, table) or (made and _copies_key(ctx.after, _LIKES(statement))):
            continue
        name = table.ref.qualified
        yield Issue(
            statement,
            f"table {name} has no primary key: rows cannot be told apart for updates and deletes "
            "through the API, and logical replication (Realtime) cannot send its updates and deletes",
            f"add a primary key, e.g. id bigint generated always as identity primary key, or: "
            f"alter table {name} add primary key (...);",
            location,
            name,
        )


def has_primary_key(catalog: Catalog, table: CatalogObject) -> bool:
    if table.details.get("primary_key"):
        return True
    return any(
        member.details.get("primary_key") or member.details.get("contype") == "CONSTR_PRIMARY"
        for member in catalog.members_of(table.ref)
    )


def _copies_key(catalog: Catalog, likes: tuple[tuple[int, dict], ...]) -> bool:
    """CREATE TABLE (LIKE x INCLUDING INDEXES) copies x's primary key; an unknown x gets the benefit."""
    for options, relation in likes:
        if options & LIKE_INDEXES:
            source = catalog.find(range_var(relation))
            if source is None or has_primary_key(catalog, source):
                return True
    return False


def _read_likes(node: dict) -> tuple[tuple[int, dict], ...]:
    """The (options, table) of each LIKE of a CREATE TABLE."""
    likes = [item["TableLikeClause"] for item in node.get("tableElts", []) if "TableLikeClause" in item]
    return tuple((like.get("options", 0), like["relation"]) for like in likes)


_LIKES = Fact(_read_likes, "CreateStmt")


RULE = Rule(
    id="table-primary-key",
    severity=Severity.WARNING,
    summary="Tables have a primary key",
    rationale=(
        "Supabase's API and dashboard identify a row by its primary key: without one, the table "
        "editor cannot edit rows, PostgREST clients cannot reliably update or delete a single row, "
        "and Realtime (logical replication) cannot publish updates and deletes, whose replica "
        "identity defaults to the primary key. Large tables without one are also slower to "
        "maintain. A key added later in the same migration (ALTER TABLE ... ADD PRIMARY KEY) counts; "
        "partitions (their parent's key covers them), temporary tables and CREATE TABLE (LIKE x "
        "INCLUDING INDEXES) copies of a keyed table are not reported. A one-row settings table is "
        "the usual deliberate case: exempt it by name in the policy, with the reason."
    ),
    bad=Example(
        "begin;\ncreate table public.page_views (\n  path text not null,\n"
        "  seen_at timestamptz\n);\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate table public.page_views (\n  id bigint generated always as identity primary key,\n"
        "  path text not null,\n  seen_at timestamptz\n);\ncommit;\n"
    ),
    check=check,
    mirrors=("0004_no_primary_key",),
)
