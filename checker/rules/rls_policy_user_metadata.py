"""rls-policy-user-metadata: no policy decides on user_metadata, which every user can edit."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.objects import strings
from checker.model.walk import clause_nodes
from checker.rules._policies import policy_clauses
from checker.rules.base import Example, Issue, Rule

JWT_KEY = "user_metadata"  # auth.jwt() -> 'user_metadata'
USERS_COLUMN = "raw_user_meta_data"  # auth.users, where the claim is copied from


def check(ctx: RuleContext) -> Iterator[Issue]:
    for clause in policy_clauses(ctx):
        location = _first_use(clause.tree)
        if location is None:
            continue
        yield Issue(
            clause.statement,
            f'{clause.name.upper()} of policy "{clause.policy}" on {clause.table.qualified} reads '
            "user_metadata, which every signed-in user can change for themselves",
            "decide on app_metadata (auth.jwt() -> 'app_metadata', set only by the server) "
            "or on a table the user cannot write",
            location,
            clause.table.qualified,
        )


def _first_use(tree: object) -> int | None:
    """Where the expression first names user_metadata: a JSON key, a path or a column."""
    found = [c.get("location", -1) for c in clause_nodes(tree, "A_Const") if _names_metadata(c)]
    found += [
        ref.get("location", -1)
        for ref in clause_nodes(tree, "ColumnRef")
        if any(f.lower() == USERS_COLUMN for f in strings(ref.get("fields")))
    ]
    return min(found) if found else None


def _names_metadata(const: dict) -> bool:
    text = const.get("sval", {}).get("sval")
    if not isinstance(text, str):
        return False
    # '{user_metadata,role}' is the path form used with #> and #>>.
    keys = text.strip("{}").split(",") if text.startswith("{") else [text]
    return any(key.strip().strip('"').lower() in (JWT_KEY, USERS_COLUMN) for key in keys)


RULE = Rule(
    id="rls-policy-user-metadata",
    severity=Severity.ERROR,
    summary="Policies never read user_metadata (auth.jwt() -> 'user_metadata', raw_user_meta_data)",
    rationale=(
        "Supabase Auth keeps two metadata objects per user. user_metadata (raw_user_meta_data in "
        "auth.users) is the user's own: any signed-in client can set it with "
        "supabase.auth.updateUser({ data: { role: 'admin' } }), and the next JWT carries it. A policy "
        "that grants access on auth.jwt() -> 'user_metadata' ->> 'role', or on a lookup of "
        "auth.users.raw_user_meta_data, therefore lets users grant themselves that access. "
        "app_metadata (raw_app_meta_data) can only be written with the service role key and is the "
        "place for roles and tenants. Supabase's database linter reports the JWT form on a live "
        "database (rls_references_user_metadata); this rule also catches the column and the "
        "#> '{user_metadata,...}' path forms, in CREATE and ALTER POLICY."
    ),
    bad=Example(
        "begin;\n"
        "create table public.reports (id uuid primary key, body text);\n"
        "alter table public.reports enable row level security;\n"
        "create policy reports_admin on public.reports for select to authenticated\n"
        "  using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');\n"
        "commit;\n"
    ),
    good=Example(
        "begin;\n"
        "create table public.reports (id uuid primary key, body text);\n"
        "alter table public.reports enable row level security;\n"
        "create policy reports_admin on public.reports for select to authenticated\n"
        "  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');\n"
        "commit;\n"
    ),
    check=check,
    mirrors=("0015_rls_references_user_metadata",),
)
