"""sensitive-columns-exposed: an exposed table without row level security holds no credentials or PII."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RlsRemedy, RuleContext
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import ObjectRef
from checker.parse import Statement
from checker.rules._api_access import api_roles_left
from checker.rules._schema_support import created_tables
from checker.rules.base import Example, Issue, Rule

# Column names that say what they hold (the advisor's list; "-" and "_" alike, any case).
# fmt: off
SENSITIVE_NAMES = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "secret_key", "private_key", "api_key",
    "apikey", "auth_key", "token", "jwt", "access_token", "refresh_token", "oauth_token",
    "session_token", "bearer_token", "auth_code", "session_id", "session_key", "session_secret",
    "recovery_code", "backup_code", "verification_code", "otp", "two_factor", "2fa_secret", "2fa_code",
    "ssn", "social_security", "social_security_number", "driver_license", "drivers_license",
    "license_number", "passport_number", "passport_id", "national_id", "tax_id", "credit_card",
    "card_number", "cvv", "cvc", "cvn", "bank_account", "account_number", "routing_number", "iban",
    "swift_code", "bic", "health_record", "medical_record", "patient_id", "insurance_number",
    "health_insurance", "medical_insurance", "treatment", "mac_address", "macaddr", "imei",
    "device_uuid", "pgp_key", "gpg_key", "ssh_key", "certificate", "license_key", "activation_key",
    "facial_recognition",
})
# fmt: on


def is_sensitive(column: str) -> bool:
    return column.lower().replace("-", "_") in SENSITIVE_NAMES


def check(ctx: RuleContext) -> Iterator[Issue]:
    for table, statement, location in created_tables(ctx):
        if table.rls or not ctx.is_exposed(table.ref):
            continue
        columns = sorted(c for c in table.details.get("columns", []) if is_sensitive(c))
        roles = api_roles_left(ctx, table.ref, "select") if columns else []
        if roles:
            yield _exposed(table.ref, columns, roles, (statement, location), ctx.rls_enabled_later(table.ref))


def _exposed(
    ref: ObjectRef,
    columns: list[str],
    roles: list[str],
    at: tuple[Statement, int | None],
    later: RlsRemedy | None,
) -> Issue:
    """The finding; a warning naming the later migration of the run that enables row level security (one
    push ships both), as rls-enabled says of the same table."""
    name = ref.qualified
    hint = f"alter table {name} enable row level security; and add policies for each user's rows"
    holds = f"table {name} has no row level security and holds {', '.join(columns)}"
    reads = f"{' and '.join(roles)} can read every row of it through the API"
    if later is None:
        return Issue(at[0], f"{holds}: {reads}", hint, at[1], name)
    message = f"{holds}, until {later.where()} {later.does} it: meanwhile {reads}"
    hint += FIX_HERE_TOO
    return Issue(at[0], message, hint, at[1], name, severity=Severity.WARNING)


RULE = Rule(
    id="sensitive-columns-exposed",
    severity=Severity.ERROR,
    summary="Exposed tables without row level security hold no credential or personal-data columns",
    rationale=(
        "A table in an exposed schema without row level security is readable by anyone holding the "
        "project's public anon key. When its columns are named like credentials or personal data "
        "(password, token, api_key, ssn, credit_card, iban, ...: the advisor's list), the leak is "
        "not hypothetical. rls-enabled reports the missing row level security on every such table; "
        "this rule names the columns at stake, as Supabase's advisor does."
    ),
    bad=Example("begin;\ncreate table public.api_clients (id bigint primary key, api_key text);\ncommit;\n"),
    good=Example(
        "begin;\ncreate table public.api_clients (id bigint primary key, api_key text);\n"
        "alter table public.api_clients enable row level security;\ncommit;\n"
    ),
    check=check,
    mirrors=("0023_sensitive_columns_exposed",),
)
