"""extension-in-public: extensions go into the extensions schema, not public."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.objects import DEFAULT_SCHEMA
from checker.parse import Statement
from checker.rules._schema_support import extension_schema
from checker.rules.base import Example, Issue, Rule

# These come installed (in schema extensions, graphql or vault) on every Supabase project, so
# CREATE EXTENSION IF NOT EXISTS for them changes nothing there.
PREINSTALLED = frozenset({"pgcrypto", "uuid-ossp", "pg_graphql", "pg_stat_statements", "supabase_vault"})
# Extensions whose control file pins their schema: without WITH SCHEMA they go there, not to public.
PINNED_SCHEMA = {
    "plpgsql": "pg_catalog",
    "pg_cron": "pg_catalog",
    "pg_graphql": "graphql",
    "pgsodium": "pgsodium",
    "pgmq": "pgmq",
    "pg_tle": "pgtle",
    "supabase_vault": "vault",
}


def check(ctx: RuleContext) -> Iterator[Issue]:
    moved = _moves(ctx)
    for statement in ctx.migration.statements:
        if statement.kind != "CreateExtensionStmt":
            continue
        node = statement.node
        name = node["extname"]
        if any(index > statement.index and moved_name == name for index, moved_name in moved):
            continue
        if node.get("if_not_exists") and name in PREINSTALLED:
            continue
        schema, location = extension_schema(node)
        if schema is None and name in PINNED_SCHEMA:
            continue
        if schema in (None, DEFAULT_SCHEMA):
            yield Issue(
                statement,
                f"extension {name} is created in schema public"
                + (" (no WITH SCHEMA: the first schema on the search_path)" if schema is None else "")
                + ": its functions and tables become part of the API surface and clutter public",
                f'create extension if not exists "{name}" with schema extensions;',
                location,
                name,
            )


def _moves(ctx: RuleContext) -> list[tuple[int, str]]:
    """(statement index, extension) of each ALTER EXTENSION ... SET SCHEMA that moves one out of public."""
    return [
        (s.index, s.node["object"]["String"]["sval"]) for s in ctx.migration.statements if _moves_extension(s)
    ]


def _moves_extension(statement: Statement) -> bool:
    if statement.kind != "AlterObjectSchemaStmt":
        return False
    node = statement.node
    return (
        node.get("objectType") == "OBJECT_EXTENSION"
        and node.get("newschema") != DEFAULT_SCHEMA
        and "String" in node.get("object", {})
    )


RULE = Rule(
    id="extension-in-public",
    severity=Severity.WARNING,
    summary="Extensions are created in the extensions schema, not public",
    rationale=(
        "Supabase keeps extensions in their own schema, extensions, which is on the database's "
        "search_path but not exposed through the API. CREATE EXTENSION without WITH SCHEMA installs "
        "into the first schema of the search_path, which is public: the extension's functions become "
        "RPC endpoints anon can call, its tables appear in the API, and type or function names can "
        "clash with the project's own (Supabase's linter: extension_in_public). IF NOT EXISTS for an "
        "extension every Supabase project already has (pgcrypto, uuid-ossp, ...) is a no-op and not "
        "reported, nor are extensions whose control file pins their schema (pg_cron goes to "
        "pg_catalog); a later ALTER EXTENSION ... SET SCHEMA in the same migration counts as a fix."
    ),
    bad=Example("begin;\ncreate extension if not exists pg_trgm;\ncommit;\n"),
    good=Example("begin;\ncreate extension if not exists pg_trgm with schema extensions;\ncommit;\n"),
    check=check,
    mirrors=("0014_extension_in_public",),
)
