"""The finding: the one record every stage, rule and report format shares."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    stage: str  # "static" | "dynamic"
    file: str
    line: int
    column: int
    message: str
    hint: str

    def to_dict(self) -> dict:
        """The fields in declaration order (as asdict gives them, without its deep copy: all are
        plain values), the severity as its text."""
        data = {name: getattr(self, name) for name in _FINDING_FIELDS}
        data["severity"] = self.severity.value
        return data

    @property
    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))

# Said of a finding a later migration of the same push puts right (a warning naming it): fix it here anyway.
FIX_HERE_TOO = " (here, so that this migration never deploys without it)"

# Findings that do not come from a rule module but from the pipeline itself.
SYNTAX_ERROR = "syntax-error"
# A migration the dynamic stage could not run on this machine's engines: exit 2, as bad input is.
NOT_VERIFIED = "dynamic-not-verified"
UNUSED_SUPPRESSION = "unused-suppression"
INVALID_SUPPRESSION = "invalid-suppression"
# A file the Supabase CLI skips, applies as a migration though it is a rollback, or cannot record.
MIGRATION_NAME = "migration-name"

# The dynamic stage's finding ids, with what each one means (SARIF rule metadata and policy checks).
DYNAMIC_RULES = {
    "dynamic-baseline": "The baseline does not apply on the Supabase-like database",
    "dynamic-precheck": "Runbook pre-checks: baseline tables exist, the migration's objects do not yet",
    "dynamic-apply": "The migration fails to apply",
    "dynamic-validation": "What the SQL declares (tables, constraints, RLS, policies) is not in the catalog",
    "dynamic-smoke": "The smoke test (insert and read back, rolled back) fails",
    "dynamic-seed-file": "A seed file (`supabase db reset` runs it after the migrations) fails on them",
    "rls-probe": "Row level security lets a user reach rows that are not theirs, or cannot be probed",
    "rls-missing-policy": "An owner cannot act on their own rows though a policy grants the command",
    "rls-self-promotion": "A signed-in user can write a column of their own row (a role) that policies "
    "trust, and so pass policies meant for others (administrators)",
    "rls-tenancy": "Whose rows each probed table holds, as the probes used it (off unless asked for)",
    "dynamic-rollback": "The rollback fails, leaves objects behind or drops objects that existed before",
    "dynamic-reapply": "The migration does not apply again after its rollback",
    "dynamic-stand-in": "An extension the migration created is the checker's stand-in on this server",
    "dynamic-lock": "A statement took a lock that blocks writes, or rewrote a table that existed before it",
    NOT_VERIFIED: "A migration was not run: it creates an extension no engine of this machine offers",
    # The advisor step's catalog conditions that no static rule mirrors (checker/dynamic/advisor.py).
    "index-invalid": "An index left invalid by a failed concurrent build: never used, still written",
    "queue-exposed-in-api": "pgmq queue tables without row level security are readable through pgmq_public",
    "graphql-table-exposed": "Relations anon or authenticated can read are listed in the GraphQL schema",
}
# The splinter lints the advisor-only findings mirror (the static rules carry theirs as Rule.mirrors).
ADVISOR_MIRRORS = {
    "queue-exposed-in-api": ("0019_insecure_queue_exposed_in_api",),
    "graphql-table-exposed": (
        "0026_pg_graphql_anon_table_exposed",
        "0027_pg_graphql_authenticated_table_exposed",
    ),
}
PIPELINE_RULES = {
    SYNTAX_ERROR: "SQL that PostgreSQL cannot parse",
    UNUSED_SUPPRESSION: "A suppression comment that matched no finding",
    INVALID_SUPPRESSION: "A suppression comment without rule ids or reason",
    MIGRATION_NAME: "A file of supabase/migrations the Supabase CLI skips, applies as a migration though it "
    "is a rollback, or cannot record because another file has its version",
}
