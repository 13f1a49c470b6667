"""fk-unindexed: every foreign key the migration adds has an index that starts with its columns."""

from __future__ import annotations

from collections.abc import Iterator, Set

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Catalog, CatalogObject, ObjectRef
from checker.parse import Statement
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    dropped = _dropped_indexes(ctx)
    for ref, (statement, _) in ctx.created_by_migration().items():
        if ref.kind not in ("table", "constraint", "column"):
            continue
        holder = ctx.after.find(ref)
        if holder is None or holder.ref.kind != ref.kind:
            continue  # dropped again later in the migration
        table = ref if ref.kind == "table" else ref.table_ref
        for fk in holder.details.get("foreign_keys", []):
            if not _covered(fk["columns"], index_keys(ctx.after, table, dropped)):
                yield _issue(statement, table, fk)


def _dropped_indexes(ctx: RuleContext) -> set[tuple[str, str]]:
    """(schema, name) of the indexes the migration drops and does not create again.

    The catalog keeps an index under its table, and DROP INDEX names no table, so it stays there.
    """
    dropped: set[tuple[str, str]] = set()
    for effects in ctx.migration_effects:
        dropped |= {(d.ref.schema, d.ref.name) for d in effects.drops if d.ref.kind == "index"}
        dropped -= {(c.ref.schema, c.ref.name) for c in effects.creates if c.ref.kind == "index"}
    return dropped


def index_keys(
    catalog: Catalog, table: ObjectRef, dropped: Set[tuple[str, str]] = frozenset()
) -> list[list[str | None]]:
    """The column lists of a table's indexes: CREATE INDEX, primary keys and unique constraints."""
    owner = catalog.find(table)
    objects = ([owner] if owner else []) + catalog.members_of(table)
    return [
        key
        for obj in objects
        if not (obj.ref.kind == "index" and (obj.ref.schema, obj.ref.name) in dropped)
        for key in _keys_of(obj)
    ]


def _keys_of(obj: CatalogObject) -> list[list[str | None]]:
    details = obj.details
    if obj.ref.kind == "index":
        return [list(details.get("columns", []))]
    if obj.ref.kind not in ("table", "constraint", "column"):
        return []
    keys: list[list[str | None]] = [list(k) for k in details.get("unique", [])]
    if details.get("primary_key"):
        keys.append(list(details["primary_key"]))
    return keys


def _covered(columns: list[str], keys: list[list[str | None]]) -> bool:
    """PostgreSQL can use an index for the FK's lookups when the FK columns lead it, in any order."""
    width = len(columns)
    return any(len(key) >= width and set(key[:width]) == set(columns) for key in keys)


def _issue(statement: Statement, table: ObjectRef, fk: dict) -> Issue:
    columns, target = ", ".join(fk["columns"]), fk["target"].qualified
    return Issue(
        statement,
        f"foreign key {fk['name']} on {table.qualified} ({columns}) → {target} has no index "
        f"starting with ({columns}): every delete or key update in {target} scans "
        f"{table.qualified}, and so do joins along the key",
        f"create index on {table.qualified} ({columns});",
        fk.get("location"),
        table.qualified,
    )


RULE = Rule(
    id="fk-unindexed",
    severity=Severity.WARNING,
    summary="Foreign keys have an index on their columns",
    rationale=(
        "PostgreSQL indexes the referenced side of a foreign key (its primary key or unique "
        "constraint) but not the referencing columns. Without an index that starts with them, each "
        "delete or key update of a parent row scans the whole child table to enforce the key (and ON "
        "DELETE CASCADE), and the joins and row level security policies that filter on user_id or "
        "org_id scan too, which on Supabase means slow API calls once tables grow. A primary key, a "
        "unique constraint or an index whose leading columns are exactly the key's columns (the "
        "baseline's and this migration's alike, partial indexes included, as Supabase's linter "
        "counts them) is enough; an index on only some columns of a composite key is not, since it "
        "narrows the scan to the rows sharing that column, which may be most of the table. FKs to "
        "auth.users (created_by, updated_by) count like any other: deleting a user scans every such "
        "table. A warning: small lookup tables can do without."
    ),
    bad=Example(
        "begin;\ncreate table public.notes (\n  id uuid primary key,\n"
        "  author_id uuid not null references auth.users (id)\n);\ncommit;\n"
    ),
    good=Example(
        "begin;\ncreate table public.notes (\n  id uuid primary key,\n"
        "  author_id uuid not null references auth.users (id)\n);\n"
        "create index notes_author_id_idx on public.notes (author_id);\ncommit;\n"
    ),
    check=check,
    mirrors=("0001_unindexed_foreign_keys",),
)
