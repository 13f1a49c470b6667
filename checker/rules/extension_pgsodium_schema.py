"""extension-pgsodium-schema: pgsodium is created where its schema exists, on a fresh Supabase stack too."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.parse import Statement
from checker.rules._schema_support import extension_schema
from checker.rules.base import Example, Issue, Rule

EXTENSION = SCHEMA = "pgsodium"  # its control file pins it to the schema of its name


def check(ctx: RuleContext) -> Iterator[Issue]:
    made = _made_before_the_migration(ctx)
    for statement in ctx.migration.statements:
        if statement.kind == "CreateSchemaStmt" and statement.node.get("schemaname") == SCHEMA:
            made = True
        elif _names_the_schema(statement) and not made:
            yield Issue(
                statement,
                "create extension pgsodium with schema pgsodium needs the schema: Supabase's images made it "
                "until Postgres 15.8.1.060 (March 2025), so the statement works on an older project, but a "
                "project created since April 2025, a branch and a local stack of CLI 2.20.4 or later fail "
                'on it (schema "pgsodium" does not exist, supabase/cli#3358)',
                "create the schema first: create schema if not exists pgsodium; or leave WITH SCHEMA out "
                "(the extension's control file names it); or drop the statement if the project does not "
                "use pgsodium, which Supabase deprecates",
                None,
                SCHEMA,
            )


def _made_before_the_migration(ctx: RuleContext) -> bool:
    """A schema pgsodium the baseline or an earlier migration made (not only the policy's known one)."""
    found = ctx.before.find(ObjectRef("schema", "", SCHEMA))
    return found is not None and found.origin != "known"


def _names_the_schema(statement: Statement) -> bool:
    if statement.kind != "CreateExtensionStmt" or statement.node.get("extname") != EXTENSION:
        return False
    return extension_schema(statement.node)[0] == SCHEMA


RULE = Rule(
    id="extension-pgsodium-schema",
    severity=Severity.WARNING,
    summary="CREATE EXTENSION pgsodium WITH SCHEMA pgsodium comes after the schema is made",
    rationale=(
        "Supabase pre-installed pgsodium in schema pgsodium until Postgres 15.8.1.060 (March 2025), so "
        "every `supabase db pull` dump of an older project says create extension if not exists "
        '"pgsodium" with schema "pgsodium", which does nothing there. Newer images make neither the '
        "extension nor its schema: the same statement fails with schema \"pgsodium\" does not exist on "
        "a project created since April 2025, on a preview branch, and on `supabase db reset` with CLI "
        "2.20.4 or later (supabase/cli#3358), which is how several public projects found out. Creating "
        "the schema first, or leaving WITH SCHEMA out (pgsodium's control file names its schema, which "
        "CREATE EXTENSION then makes), works on both. A warning: the older project itself deploys."
    ),
    bad=Example('create extension if not exists "pgsodium" with schema "pgsodium";\n'),
    good=Example(
        "create schema if not exists pgsodium;\n"
        "create extension if not exists pgsodium with schema pgsodium;\n"
    ),
    check=check,
)
