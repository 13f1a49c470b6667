"""extension-table-altered: no statement that needs a table's owner runs on a table an extension made."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.parse import Statement
from checker.rules._policies import policy_table
from checker.rules._schema_support import relation_node
from checker.rules.base import Example, Issue, Rule

# What PostgreSQL allows a table's owner only: ALTER TABLE (row level security too), policies, indexes,
# triggers. GRANT and REVOKE are not among them: a REVOKE without the privilege to give up only warns.
_NAMES_ITS_TABLE = {
    "AlterTableStmt": "ALTER TABLE", "IndexStmt": "CREATE INDEX", "CreateTrigStmt": "CREATE TRIGGER"
}
_NAMES_ITS_POLICY_TABLE = {"CreatePolicyStmt": "CREATE POLICY", "AlterPolicyStmt": "ALTER POLICY"}


def check(ctx: RuleContext) -> Iterator[Issue]:
    for statement in ctx.migration.statements:
        found = _owner_only(statement)
        if found is None:
            continue
        command, (schema, name), location = found
        # an unqualified name: Supabase's search_path finds an extension's table in public or extensions
        for table in (ObjectRef("table", s, name) for s in ([schema] if schema else _SEARCHED)):
            extension = ctx.after.extension_making(table) or ctx.before.extension_making(table)
            if extension is not None:
                yield _issue(statement, command, table, location, extension)
                break


_SEARCHED = ("public", "extensions")


def _owner_only(statement: Statement) -> tuple[str, tuple[str, str], int | None] | None:
    """The owner-only command a statement is, the (schema, name) of the table it names as written, and
    where."""
    if statement.kind in _NAMES_ITS_TABLE:
        node = relation_node(statement)
        named = (node.get("schemaname", ""), node.get("relname", ""))
        return _NAMES_ITS_TABLE[statement.kind], named, node.get("location")
    if statement.kind in _NAMES_ITS_POLICY_TABLE:
        node = policy_table(statement)
        named = (node.get("schemaname", ""), node.get("relname", ""))
        return _NAMES_ITS_POLICY_TABLE[statement.kind], named, node.get("location")
    return None


def _issue(
    statement: Statement, command: str, table: ObjectRef, location: int | None, extension: str
) -> Issue:
    return Issue(
        statement,
        f"{command} on {table.qualified}, which extension {extension} made: on Supabase an extension's "
        "objects belong to supabase_admin, and postgres, which runs the migrations, is refused (\"must be "
        f'owner of table {table.name}")',
        f"leave {extension}'s tables as it makes them; to keep them out of the API, create the extension "
        f"in a schema the API does not expose (create extension {extension} with schema extensions)",
        location,
        table.qualified,
    )


RULE = Rule(
    id="extension-table-altered",
    severity=Severity.ERROR,
    summary="No ALTER TABLE, policy, index or trigger on a table an extension made (postgres owns none)",
    rationale=(
        "On Supabase, CREATE EXTENSION runs as supabase_admin (supautils does it for postgres), so the "
        "tables an extension makes belong to supabase_admin. PostgreSQL lets only a table's owner alter it, "
        "turn on its row level security, give it policies, indexes or triggers: a migration that does so "
        "to PostGIS's public.spatial_ref_sys, as the database advisor's `rls_disabled_in_public` seems to "
        'ask, fails with "must be owner of table spatial_ref_sys" (supabase/splinter#125). The table holds '
        "reference data; an extension created in the extensions schema keeps it out of the API. The "
        "tables are those the scripts of PostgreSQL's own extensions make (PostGIS's where the servers "
        "have it); an unknown extension's tables are not known."
    ),
    bad=Example(
        "create extension if not exists postgis;\n"
        "alter table public.spatial_ref_sys enable row level security;\n",
        policy={"transaction": "runner"},
    ),
    good=Example(
        "create extension if not exists postgis with schema extensions;\n",
        policy={"transaction": "runner"},
    ),
    check=check,
)
