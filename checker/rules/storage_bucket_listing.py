"""storage-bucket-listing: a public bucket is not given a SELECT policy that lets clients list its files."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.objects import range_var, strings
from checker.model.walk import clause_nodes
from checker.parse import Statement
from checker.rules._policies import (
    STORAGE_OBJECTS,
    clause_location,
    conjuncts,
    is_true,
    migration_policies,
    role_guard,
)
from checker.rules.base import Example, Issue, Rule

BUCKETS = ObjectRef("table", "storage", "buckets")
EVERY_BUCKET = "*"


def listed_bucket(tree: object) -> str | None:
    """The bucket whose every file a SELECT expression shows: `true` (or none) shows every bucket,
    `bucket_id = 'x'` (any casts) all of x; a role test such as `auth.role() = 'authenticated'`
    narrows who, not which files; anything more (a folder, an owner) narrows the files."""
    parts = [part for part in conjuncts(tree) if role_guard(part) is None] if tree is not None else []
    if not parts or all(is_true(part) for part in parts):
        return EVERY_BUCKET
    if len(parts) != 1:
        return None
    expr = parts[0].get("A_Expr", {}) if isinstance(parts[0], dict) else {}
    if expr.get("kind") != "AEXPR_OP" or strings(expr.get("name")) != ["="]:
        return None
    columns = [strings(c.get("fields"))[-1:] for c in clause_nodes(expr, "ColumnRef")]
    constants = [c["sval"]["sval"] for c in clause_nodes(expr, "A_Const") if "sval" in c]
    if columns == [["bucket_id"]] and len(constants) == 1 and not list(clause_nodes(expr, "FuncCall")):
        return constants[0]
    return None


def public_buckets(statements: list[Statement]) -> set[str]:
    """Bucket ids an `insert into storage.buckets (id, ..., public) values (..., true)` makes public."""
    found: set[str] = set()
    for statement in statements:
        if statement.kind != "InsertStmt" or range_var(statement.node["relation"]) != BUCKETS:
            continue
        node = statement.node
        columns = [c.get("ResTarget", {}).get("name") for c in node.get("cols", [])]
        if "id" not in columns or "public" not in columns:
            continue
        for row in node.get("selectStmt", {}).get("SelectStmt", {}).get("valuesLists", []):
            values = row.get("List", {}).get("items", [])
            bucket = values[columns.index("id")].get("A_Const", {}).get("sval", {}).get("sval")
            if bucket and is_true(values[columns.index("public")]):
                found.add(bucket)
    return found


def check(ctx: RuleContext) -> Iterator[Issue]:
    public = public_buckets(ctx.migration.statements)
    for policy in migration_policies(ctx):
        if (
            policy.table != STORAGE_OBJECTS
            or not policy.permissive
            or policy.command not in ("select", "all")
        ):
            continue
        if policy.statement is None or not policy.client_roles:
            continue
        bucket = listed_bucket(policy.using)
        shown = sorted(public) if bucket == EVERY_BUCKET else [bucket] if bucket in public else []
        if shown:
            yield Issue(
                policy.statement,
                f"{policy.display()} lets clients list every file of the public bucket(s) "
                f"{', '.join(shown)}; a public bucket serves its files by URL without any select policy",
                f'drop policy "{policy.name}" on storage.objects; or narrow it to the folders users may list',
                clause_location(policy.using, policy.location),
                f"storage.objects.{policy.name}",
            )


RULE = Rule(
    id="storage-bucket-listing",
    severity=Severity.WARNING,
    summary="Public storage buckets get no SELECT policy that lists all their files",
    rationale=(
        "Files of a public bucket are downloadable by URL without any policy. A SELECT policy on "
        "storage.objects that admits the API roles for the whole bucket (`using (bucket_id = "
        "'avatars')`, or `using (true)`) adds one thing: anyone can list every file name in it, "
        "which usually exposes more than the URLs handed out. A role test (`and auth.role() = "
        "'authenticated'`) narrows who may list, not what. Buckets made public by an INSERT "
        "into storage.buckets in the same migration are checked here; the dynamic stage's advisor "
        "step checks every public bucket in the catalog."
    ),
    bad=Example(
        "begin;\ninsert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);\n"
        'create policy "Avatars are listable" on storage.objects for select to public\n'
        "  using (bucket_id = 'avatars');\ncommit;\n"
    ),
    good=Example(
        "begin;\ninsert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);\n"
        'create policy "Users list their avatars" on storage.objects for select to authenticated\n'
        "  using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);\n"
        "commit;\n"
    ),
    check=check,
    mirrors=("0025_public_bucket_allows_listing",),
)
