"""The row level security policy rules, through the real CLI: what each reports, where, and what it leaves.

Expected positions are computed from the SQL text of each case (line and column of a marker), so
every test pins the exact clause a finding points at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import REPO_ROOT, run_json
from dynamic.helpers import require_engine

from checker.dynamic.seed import apply_seed

INITPLAN = "rls-policy-initplan"
TO_PUBLIC = "rls-policy-to-public"
WITH_CHECK = "rls-policy-with-check"
USER_METADATA = "rls-policy-user-metadata"
MULTIPLE = "rls-multiple-permissive"
OURS = (INITPLAN, TO_PUBLIC, WITH_CHECK, USER_METADATA, MULTIPLE)

# A table whose rows belong to users (user_id references auth.users) and one nobody owns rows of.
NOTES = (
    "create table public.notes (\n"
    "  id uuid primary key,\n"
    "  user_id uuid not null references auth.users (id),\n"
    "  published boolean not null default false\n"
    ");\n"
    "alter table public.notes enable row level security;\n"
)
COUNTRIES = (
    "create table public.countries (code text primary key, name text not null);\n"
    "alter table public.countries enable row level security;\n"
)


def lint(folder: Path, migration: str, baseline: str | None = None, policy: str = "") -> list[dict]:
    """Lint one migration (runner-wrapped, as with the Supabase CLI) and return every finding."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "case"\n\n[tool.checker]\ntransaction = "runner"\n{policy}', encoding="utf-8"
    )
    (folder / "migration.sql").write_text(migration, encoding="utf-8")
    args: list[str | Path] = ["lint", "migration.sql"]
    if baseline is not None:
        (folder / "baseline.sql").write_text(baseline, encoding="utf-8")
        args += ["--baseline", "baseline.sql"]
    code, report, err = run_json(*args, cwd=folder)
    assert code in (0, 1), err
    return report["findings"]


def at(sql: str, marker: str, occurrence: int = 1) -> tuple[int, int]:
    """Line and column (1-based) where the given occurrence of `marker` starts in `sql`."""
    index = -1
    for _ in range(occurrence):
        index = sql.index(marker, index + 1)
    line = sql.count("\n", 0, index) + 1
    return line, index - (sql.rfind("\n", 0, index) + 1) + 1


def where(findings: list[dict], rule: str) -> list[tuple[int, int]]:
    return [(f["line"], f["column"]) for f in findings if f["rule"] == rule]


def only(findings: list[dict], rule: str) -> dict:
    matching = [f for f in findings if f["rule"] == rule]
    assert len(matching) == 1, matching
    return matching[0]


# --- rls-policy-initplan -----------------------------------------------------------------------


def test_initplan_bare_uid_is_reported_at_the_call(tmp_path: Path) -> None:
    sql = NOTES + (
        "create policy notes_own on public.notes for select to authenticated\n"
        "  using (auth.uid() = user_id);\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, INITPLAN) == [at(sql, "auth.uid()")]
    finding = only(findings, INITPLAN)
    assert finding["severity"] == "warning"
    assert "notes_own" in finding["message"] and "auth.uid()" in finding["message"]
    assert "(select auth.uid())" in finding["hint"]


def test_initplan_wrapped_uid_is_fine(tmp_path: Path) -> None:
    sql = NOTES + (
        "create policy notes_own on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
        "create policy notes_in on public.notes for insert to authenticated\n"
        "  with check (user_id in (select auth.uid()));\n"
    )
    assert where(lint(tmp_path, sql), INITPLAN) == []


@pytest.mark.parametrize(
    "expression, call",
    [
        ("(auth.jwt() ->> 'sub')::uuid = user_id", "auth.jwt()"),
        ("auth.role() = 'authenticated'", "auth.role()"),
        ("current_setting('request.jwt.claims', true)::json ->> 'sub' = user_id::text", "current_setting("),
    ],
)
def test_initplan_other_request_functions(tmp_path: Path, expression: str, call: str) -> None:
    sql = (
        NOTES
        + "create policy notes_in on public.notes for insert to authenticated\n"
        + f"  with check ({expression});\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, INITPLAN) == [at(sql, call)]
    assert "WITH CHECK" in only(findings, INITPLAN)["message"]


def test_initplan_one_finding_per_clause_naming_every_function(tmp_path: Path) -> None:
    sql = NOTES + (
        "create policy notes_upd on public.notes for update to authenticated\n"
        "  using (auth.uid() = user_id or auth.role() = 'service_role')\n"
        "  with check (auth.uid() = user_id);\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, INITPLAN) == [at(sql, "auth.uid()"), at(sql, "auth.uid()", 2)]
    using = next(f for f in findings if f["rule"] == INITPLAN)
    assert "auth.uid() and auth.role()" in using["message"]


def test_initplan_inside_a_subquery_that_reads_a_table(tmp_path: Path) -> None:
    members = "create table public.members (user_id uuid, team text);\n"
    bad = (
        NOTES
        + members
        + (
            "create policy notes_team on public.notes for select to authenticated using (\n"
            "  exists (select 1 from public.members m where m.user_id = auth.uid()));\n"
        )
    )
    assert where(lint(tmp_path / "bad", bad), INITPLAN) == [at(bad, "auth.uid()")]
    good = bad.replace("= auth.uid()", "= (select auth.uid())")
    assert where(lint(tmp_path / "good", good), INITPLAN) == []


def test_initplan_checks_alter_policy(tmp_path: Path) -> None:
    baseline = NOTES + (
        "create policy notes_own on public.notes for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
    )
    sql = "alter policy notes_own on public.notes\n  using (user_id = auth.uid());\n"
    assert where(lint(tmp_path, sql, baseline), INITPLAN) == [at(sql, "auth.uid()")]


def test_initplan_ignores_the_baseline(tmp_path: Path) -> None:
    baseline = NOTES + (
        "create policy notes_own on public.notes for select to authenticated using (auth.uid() = user_id);\n"
    )
    sql = "create index notes_user_id_idx on public.notes (user_id);\n"
    assert where(lint(tmp_path, sql, baseline), INITPLAN) == []


# --- rls-policy-to-public ----------------------------------------------------------------------


def test_to_public_write_without_to_is_a_warning_at_the_table(tmp_path: Path) -> None:
    sql = (
        NOTES
        + "create policy notes_del on public.notes for delete\n  using ((select auth.uid()) = user_id);\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, TO_PUBLIC) == [at(sql, "public.notes for delete")]
    finding = only(findings, TO_PUBLIC)
    assert finding["severity"] == "warning"
    assert "no TO clause" in finding["message"] and "anon" in finding["message"]
    assert "to authenticated" in finding["hint"]


def test_to_public_read_that_asks_who_reads_is_a_warning(tmp_path: Path) -> None:
    sql = (
        NOTES
        + "create policy notes_sel on public.notes for select\n  using ((select auth.uid()) = user_id);\n"
    )
    assert where(lint(tmp_path, sql), TO_PUBLIC) == [at(sql, "public.notes for select")]


def test_to_public_deliberately_public_read_is_fine(tmp_path: Path) -> None:
    sql = NOTES + (
        "create policy notes_published on public.notes for select using (published);\n"
        "create policy notes_del on public.notes for delete to public\n"
        "  using ((select auth.uid()) = user_id);\n"
    )
    assert where(lint(tmp_path, sql), TO_PUBLIC) == []


@pytest.mark.parametrize("command", ["insert", "update", "delete", "all"])
def test_to_public_true_write_for_authenticated_on_an_owned_table_is_an_error(
    tmp_path: Path, command: str
) -> None:
    clause = "with check" if command == "insert" else "using"
    policy = f"create policy notes_w on public.notes for {command} to authenticated\n  {clause} (true);\n"
    sql = NOTES + policy
    findings = lint(tmp_path, sql)
    assert where(findings, TO_PUBLIC) == [at(sql, "true")]
    finding = only(findings, TO_PUBLIC)
    assert finding["severity"] == "error"
    said = "write rows of any user" if command == "insert" else "every user's rows"
    assert "user_id" in finding["message"] and said in finding["message"]


GROUP_SERVICES = (
    "create table public.orgs (id uuid primary key);\n"
    "create table public.org_members (org_id uuid not null references public.orgs (id),\n"
    "  user_id uuid not null references auth.users (id), primary key (org_id, user_id));\n"
    "create table public.services (id uuid primary key, org_id uuid not null references public.orgs (id));\n"
    "alter table public.services enable row level security;\n"
    "create function public.is_member(org uuid) returns boolean language sql stable security definer\n"
    "  set search_path = '' as $$ select exists (select 1 from public.org_members m\n"
    "    where m.org_id = org and m.user_id = (select auth.uid())) $$;\n"
    "create policy services_members on public.services for select to authenticated\n  {members};\n"
)


@pytest.mark.parametrize(
    ("policy", "severity", "said"),
    [
        # authority-engine's "Service role can manage GA4 metrics", to PUBLIC
        ("for all using (true) with check (true)", "error", "read and change every group's rows"),
        ("for delete to authenticated using (true)", "error", "delete every group's rows"),
        # chess-map-frontend's master-admin policy: only WITH CHECK is open (and the message says so)
        (
            "for all using ((select auth.jwt() ->> 'user_role') = 'admin') with check (true)",
            "warning",
            "write rows of any group (WITH CHECK refuses no row)",
        ),
        ("for insert to anon with check (true)", "warning", "fine for a form anyone may send"),  # a lead form
    ],
)
@pytest.mark.parametrize(
    "members",
    [
        "using (exists (select 1 from public.org_members m where m.org_id = services.org_id\n"
        "                 and m.user_id = (select auth.uid())))",
        # deploy-vercel: the key is handed to a helper that asks the membership table
        "using ((select public.is_member(org_id)))",
    ],
)
def test_true_on_a_table_whose_rows_belong_to_groups(
    tmp_path: Path, policy: str, severity: str, said: str, members: str
) -> None:
    """Rows a table's policies tie to a group through a membership table (services.org_id) have owners
    too: USING (true) opens every group's rows; WITH CHECK (true) lets anyone write into any group, which
    a public form does on purpose (a warning). Before, such a table counted as a lookup table."""
    sql = GROUP_SERVICES.replace("{members}", members)
    sql += f"create policy services_open on public.services {policy};\n"
    finding = only(lint(tmp_path, sql), TO_PUBLIC)
    assert (finding["severity"], "org_id" in finding["message"]) == (severity, True), finding
    assert said in finding["message"], finding


def test_to_public_true_read_of_an_owned_table_is_a_warning(tmp_path: Path) -> None:
    sql = NOTES + "create policy notes_all on public.notes for select to authenticated\n  using (true);\n"
    findings = lint(tmp_path, sql)
    assert where(findings, TO_PUBLIC) == [at(sql, "true")]
    finding = only(findings, TO_PUBLIC)
    assert finding["severity"] == "warning"
    assert "read every user's rows" in finding["message"] and "on purpose" in finding["message"]


def test_to_public_supabase_quick_start_profiles_are_not_an_error(tmp_path: Path) -> None:
    # Supabase's user-management quick-start, as its docs write it.
    sql = (
        "create table profiles (\n"
        "  id uuid references auth.users not null primary key,\n"
        "  updated_at timestamp with time zone,\n"
        "  username text unique\n"
        ");\n"
        "alter table profiles enable row level security;\n"
        'create policy "Public profiles are viewable by everyone." on profiles\n'
        "  for select using (true);\n"
        'create policy "Users can insert their own profile." on profiles\n'
        "  for insert with check ((select auth.uid()) = id);\n"
    )
    findings = [f for f in lint(tmp_path, sql) if f["rule"] == TO_PUBLIC]
    assert findings and all(f["severity"] == "warning" for f in findings), findings


@pytest.mark.parametrize(
    "column",
    # resolved_by: cocktailsop's platform_bugs names the staff member who resolved a report; uploaded_by,
    # entered_by_user_id: unity-hoa's shared documents and ledger entries, read by every resident;
    # applied_by: clinicnest's product usage, which professional applied a product
    ["created_by", "updated_by", "modified_by", "deletedBy", "inserted_by_id", "resolved_by", "closedBy",
     "uploaded_by", "entered_by_user_id", "applied_by", "performed_by"],
)
def test_to_public_audit_columns_do_not_make_rows_owned(tmp_path: Path, column: str) -> None:
    sql = (
        f"create table public.pages (id bigint primary key, {column} uuid references auth.users (id));\n"
        "alter table public.pages enable row level security;\n"
        "create policy pages_edit on public.pages for update to authenticated using (true);\n"
    )
    # not owned rows (no error): rows of no one that every signed-in user may change (a warning)
    found = [f for f in lint(tmp_path, sql) if f["rule"] == TO_PUBLIC]
    assert [(f["severity"], "rows have no owner" in f["message"]) for f in found] == [("warning", True)]


@pytest.mark.parametrize(
    ("policy", "severity"),
    [
        ("for update to authenticated using (true)", "warning"),
        ("for delete to authenticated using (true)", "warning"),
        ("for all to anon using (true)", "warning"),
        ("for update to authenticated using (true) with check (true)", "warning"),
        # reading or sending rows into a table nobody owns rows of is a deliberate open door
        ("for select to anon, authenticated using (true)", None),
        ("for insert to anon with check (true)", None),
        ("for update to authenticated using (public.is_admin())", None),
    ],
)
def test_to_public_rows_of_no_one_opened_to_changes(
    tmp_path: Path, policy: str, severity: str | None
) -> None:
    """GigPass's events (survey round 18): `for update using (true)` on a table whose rows belong to no one
    lets every signed-in user rewrite every event; a warning, since a shared list may be meant so."""
    sql = (
        "create table public.events (id bigint primary key, title text);\n"
        "alter table public.events enable row level security;\n"
        "create function public.is_admin() returns boolean language sql stable as $$ select false $$;\n"
        f"create policy events_policy on public.events {policy};\n"
    )
    found = [f["severity"] for f in lint(tmp_path, sql) if f["rule"] == TO_PUBLIC]
    assert found == ([severity] if severity else []), found


def test_to_public_audit_column_compared_with_the_user_still_owns(tmp_path: Path) -> None:
    sql = (
        "create table public.pages (id bigint primary key, created_by uuid references auth.users (id));\n"
        "alter table public.pages enable row level security;\n"
        "create policy pages_own on public.pages for delete to authenticated\n"
        "  using ((select auth.uid()) = created_by);\n"
        "create policy pages_edit on public.pages for update to authenticated using (true);\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, TO_PUBLIC) == [at(sql, "true")]
    assert only(findings, TO_PUBLIC)["severity"] == "error"


def test_to_public_true_on_a_lookup_table_is_fine(tmp_path: Path) -> None:
    sql = COUNTRIES + (
        "create policy countries_read on public.countries for select to anon, authenticated using (true);\n"
    )
    assert where(lint(tmp_path, sql), TO_PUBLIC) == []


def test_to_public_with_check_true_for_anon(tmp_path: Path) -> None:
    sql = NOTES + "create policy notes_in on public.notes for insert to anon\n  with check (true);\n"
    findings = lint(tmp_path, sql)
    assert where(findings, TO_PUBLIC) == [at(sql, "true")]
    assert only(findings, TO_PUBLIC)["severity"] == "error"


def test_to_public_owner_column_found_through_another_policy(tmp_path: Path) -> None:
    # No foreign key: the baseline's policy is what says owner_id names the owner.
    baseline = (
        "create table public.docs (id bigint primary key, owner_id uuid not null);\n"
        "alter table public.docs enable row level security;\n"
        "create policy docs_own on public.docs for select to authenticated\n"
        "  using ((select auth.uid()) = owner_id);\n"
    )
    sql = "create policy docs_edit on public.docs for update to authenticated\n  using (true);\n"
    findings = lint(tmp_path, sql, baseline)
    assert where(findings, TO_PUBLIC) == [at(sql, "true")]
    assert "owner_id" in only(findings, TO_PUBLIC)["message"]


def test_to_public_owner_column_through_a_profile_table(tmp_path: Path) -> None:
    sql = (
        "create table public.members (id uuid primary key references auth.users (id));\n"
        "create table public.posts (id bigint primary key, author uuid references public.members (id));\n"
        "alter table public.posts enable row level security;\n"
        "create policy posts_read on public.posts for select to authenticated using (true);\n"
    )
    assert where(lint(tmp_path, sql), TO_PUBLIC) == [at(sql, "true")]


@pytest.mark.parametrize(
    "policy",
    [
        "create policy notes_srv on public.notes for all to service_role using (true) with check (true);\n",
        "create policy notes_r on public.notes as restrictive for select to authenticated using (true);\n",
    ],
)
def test_to_public_service_role_and_restrictive_true_are_fine(tmp_path: Path, policy: str) -> None:
    assert where(lint(tmp_path, NOTES + policy), TO_PUBLIC) == []


# --- rls-policy-with-check ---------------------------------------------------------------------


def test_with_check_that_drops_the_group_using_checks_names_it(tmp_path: Path) -> None:
    """gonasi's organization_members_update: USING asks for the org's owner, WITH CHECK only about the
    row's user and role, so an owner can move a member into any org: the finding says organization_id, and
    the hint is not to tie a member's row to its writer."""
    sql = (
        "create table public.orgs (id uuid primary key);\n"
        "create table public.members (org_id uuid not null references public.orgs (id),\n"
        "  user_id uuid not null references auth.users (id), role text not null,\n"
        "  primary key (org_id, user_id));\n"
        "alter table public.members enable row level security;\n"
        "create function public.is_owner(org uuid) returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select true $$;\n"
        "create policy members_upd on public.members for update to authenticated\n"
        "  using (public.is_owner(org_id)) with check (user_id <> (select auth.uid()) and role <> 'owner');\n"
    )
    finding = only(lint(tmp_path, sql), WITH_CHECK)
    assert "nor checks org_id as its USING does" in finding["message"], finding
    whole_row = sql.replace(
        "public.is_owner(org_id)", "public.is_owner(org_id) and row(members.*) is not null"
    )
    assert "nor checks org_id as its USING does:" in only(lint(tmp_path, whole_row), WITH_CHECK)["message"]
    assert "repeat USING's test of org_id" in finding["hint"], finding


@pytest.mark.parametrize(
    ("test", "allowlist"),
    [
        ("(select auth.email()) = any (array['amy@example.com', 'fred@example.com'])", True),
        ("auth.email() in ('amy@example.com', 'fred@example.com')", True),
        ("((select auth.jwt()) ->> 'email') = any ('{amy@example.com}'::text[])", True),
        ("(select auth.uid()) = '00000000-0000-0000-0000-0000000000aa'::uuid", True),
        # not a fixed list: a column of the row, a domain
        ("(select auth.email()) = user_id::text", False),
        ("(select auth.email()) like '%@example.com'", False),
    ],
    ids=["any-array", "in-list", "jwt-claim", "one-uuid", "row-column", "domain"],
)
def test_with_check_of_a_fixed_list_of_accounts_is_an_administrators_policy(
    tmp_path: Path, test: str, allowlist: bool
) -> None:
    """freeplay's "Managers can modify all user data": staff named by their e-mail manage every row, as an
    is_manager() helper comparing the same list would (survey round 19)."""
    staff = f"create policy notes_staff on public.notes for all to authenticated\n  using ({test})"
    sql = NOTES + f"{staff} with check ({test});\n"
    assert (where(lint(tmp_path, sql), WITH_CHECK) == []) is allowlist


def test_a_user_column_beside_the_group_key_the_policies_follow_is_not_the_owner(tmp_path: Path) -> None:
    """crmnex's lead_distribution_logs (survey round 22): a workspace's log of the member each lead went to.
    Its policies follow workspace_id; assigned_to, in no key and compared with no one, names a member, not
    the row's owner: `with check (true)` is a form into any workspace's rows (a warning), as the probes say.
    Compared with auth.uid() by some policy, it owns the rows again."""
    sql = (
        "create table public.workspaces (id uuid primary key);\n"
        "create table public.members (workspace_id uuid not null references public.workspaces (id),\n"
        "  user_id uuid not null references auth.users (id), primary key (workspace_id, user_id));\n"
        "create table public.logs (id uuid primary key,\n"
        "  workspace_id uuid not null references public.workspaces (id),\n"
        "  assigned_to uuid references auth.users (id));\n"
        "alter table public.logs enable row level security;\n"
        "create policy logs_read on public.logs for select to authenticated using (workspace_id in\n"
        "  (select workspace_id from public.members where user_id = (select auth.uid())));\n"
        "create policy logs_insert on public.logs for insert to authenticated with check (true);\n"
    )
    found = [(f["rule"], f["severity"]) for f in lint(tmp_path, sql) if f["rule"] in (TO_PUBLIC, WITH_CHECK)]
    assert found == [(TO_PUBLIC, "warning")], found
    mine = sql + "create policy logs_mine on public.logs for select to authenticated\n"
    mine += "  using (assigned_to = (select auth.uid()));\n"
    found = [(f["rule"], f["severity"]) for f in lint(tmp_path, mine) if f["rule"] in (TO_PUBLIC, WITH_CHECK)]
    assert sorted(found) == [(TO_PUBLIC, "error"), (WITH_CHECK, "error")], found


@pytest.mark.parametrize(
    ("subject", "held"),
    [
        ("(auth.jwt() ->> 'sub')", True),
        ("((select auth.jwt()) ->> 'sub')", True),
        ("(select auth.jwt() ->> 'sub')", True),
        ("(auth.jwt() ->> 'email')", False),
        ("(auth.jwt() -> 'app_metadata' ->> 'sub')", False),
    ],
    ids=["sub", "selected-jwt", "selected-claim", "email-claim", "nested-claim"],
)
def test_the_tokens_subject_is_the_users_id(tmp_path: Path, subject: str, held: bool) -> None:
    """b2b-materialidad (survey round 23) signs users in through Clerk: `id = (auth.jwt() ->> 'sub')` holds a
    profile to its user, as `id = auth.uid()` does."""
    sql = (
        "create table public.profiles (id text primary key, full_name text);\n"
        "alter table public.profiles enable row level security;\n"
        "create policy profiles_insert on public.profiles for insert to authenticated\n"
        f"  with check (id = {subject});\n"
    )
    assert (where(lint(tmp_path, sql), WITH_CHECK) == []) is held


def test_with_check_update_falls_back_to_an_owner_using(tmp_path: Path) -> None:
    sql = NOTES + (
        "create policy notes_upd on public.notes for update to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n"
    )
    assert where(lint(tmp_path, sql), WITH_CHECK) == []


def test_with_check_update_with_using_true_and_no_with_check(tmp_path: Path) -> None:
    sql = NOTES + "create policy notes_upd on public.notes for update to authenticated\n  using (true);\n"
    findings = lint(tmp_path, sql)
    assert where(findings, WITH_CHECK) == [at(sql, "true")]
    finding = only(findings, WITH_CHECK)
    assert finding["severity"] == "error"
    assert "no WITH CHECK" in finding["message"] and "user_id" in finding["message"]
    assert "with check ((select auth.uid()) = user_id)" in finding["hint"]


@pytest.mark.parametrize(
    "policy, marker",
    [
        (
            "for insert to authenticated with check ((select auth.uid()) is not null)",
            "(select auth.uid()) is",
        ),
        ("for all to authenticated using ((select auth.role()) = 'authenticated')", "(select auth.role())"),
        ("for update using ((select auth.uid()) = user_id) with check (published)", "published)"),
        ("for insert to anon with check (user_id is not null)", "user_id is not"),
        ("for insert to anon with check (user_id is null or published)", "user_id is null or"),
    ],
)
def test_with_check_write_side_that_ignores_the_owner(tmp_path: Path, policy: str, marker: str) -> None:
    sql = NOTES + f"create policy notes_w on public.notes {policy};\n"
    assert where(lint(tmp_path, sql), WITH_CHECK) == [at(sql, marker)]


@pytest.mark.parametrize(
    "policy",
    [
        "for insert to authenticated with check ((select auth.uid()) = user_id)",
        "for update to authenticated using ((select auth.uid()) = user_id)"
        " with check (user_id = (select auth.uid()))",
        "for insert to authenticated with check (public.is_editor(id))",
        "for insert to authenticated with check (exists (select 1 from public.editors e"
        " where e.user_id = (select auth.uid())))",
        "for all using ((select auth.role()) = 'service_role')",
        # erp-taller-saas: the token's role claim, as auth.role() reads it
        "for all using (auth.jwt() ->> 'role' = 'service_role')"
        " with check (auth.jwt() ->> 'role' = 'service_role')",
        "for all to service_role using (true)",
        "as restrictive for insert to authenticated with check (true)",
        # ardmore-home-finder: an anonymous contact form's rows belong to no one
        "for insert to anon, authenticated with check (published and user_id is null)",
    ],
)
def test_with_check_write_side_held_to_the_owner(tmp_path: Path, policy: str) -> None:
    helpers = (
        "create table public.editors (user_id uuid primary key);\n"
        "create function public.is_editor(note uuid) returns boolean language sql stable\n"
        "  set search_path = '' as $$ select true $$;\n"
    )
    sql = NOTES + helpers + f"create policy notes_w on public.notes {policy};\n"
    assert where(lint(tmp_path, sql), WITH_CHECK) == []


def test_with_check_lookup_table_without_owner_is_fine(tmp_path: Path) -> None:
    sql = (
        COUNTRIES
        + "create policy countries_in on public.countries for insert to authenticated with check (true);\n"
    )
    assert where(lint(tmp_path, sql), WITH_CHECK) == []


# --- rls-policy-user-metadata ------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression, marker",
    [
        ("((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin'", "'user_metadata'"),
        ("((select auth.jwt()) #>> '{user_metadata,role}') = 'admin'", "'{user_metadata"),
        (
            "exists (select 1 from auth.users u where u.id = (select auth.uid())"
            " and u.raw_user_meta_data ->> 'admin' = 'true')",
            "u.raw_user_meta_data",
        ),
    ],
)
def test_user_metadata_is_an_error(tmp_path: Path, expression: str, marker: str) -> None:
    sql = (
        COUNTRIES
        + "create policy countries_admin on public.countries for update to authenticated\n"
        + f"  using ({expression});\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, USER_METADATA) == [at(sql, marker)]
    finding = only(findings, USER_METADATA)
    assert finding["severity"] == "error" and "countries_admin" in finding["message"]
    assert "app_metadata" in finding["hint"]


def test_user_metadata_app_metadata_is_fine(tmp_path: Path) -> None:
    sql = COUNTRIES + (
        "create policy countries_admin on public.countries for update to authenticated\n"
        "  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');\n"
    )
    assert where(lint(tmp_path, sql), USER_METADATA) == []


def test_user_metadata_in_alter_policy_with_check(tmp_path: Path) -> None:
    baseline = COUNTRIES + (
        "create policy countries_admin on public.countries for insert to authenticated with check (false);\n"
    )
    sql = (
        "alter policy countries_admin on public.countries\n"
        "  with check ((select auth.jwt()) -> 'user_metadata' ->> 'role' = 'admin');\n"
    )
    findings = lint(tmp_path, sql, baseline)
    assert where(findings, USER_METADATA) == [at(sql, "'user_metadata'")]
    assert "WITH CHECK" in only(findings, USER_METADATA)["message"]


# --- rls-multiple-permissive -------------------------------------------------------------------

OWN_SELECT = (
    "create policy notes_own on public.notes for select to authenticated\n"
    "  using ((select auth.uid()) = user_id);\n"
)


def test_multiple_two_selects_for_authenticated(tmp_path: Path) -> None:
    sql = (
        NOTES
        + OWN_SELECT
        + "create policy notes_pub on public.notes for select to authenticated using (published);\n"
    )
    findings = lint(tmp_path, sql)
    assert where(findings, MULTIPLE) == [at(sql, "public.notes for select to authenticated using (published")]
    finding = only(findings, MULTIPLE)
    assert finding["severity"] == "warning"
    assert "notes_pub" in finding["message"] and "notes_own" in finding["message"]


@pytest.mark.parametrize(
    "second, reported",
    [
        ("for all to authenticated using ((select auth.uid()) = user_id)", True),  # all includes select
        ("using (published)", True),  # no TO: public, authenticated included
        ("for select to anon using (published)", False),
        ("for insert to authenticated with check ((select auth.uid()) = user_id)", False),
        ("as restrictive for select to authenticated using (published)", False),
        ("for all to service_role using (true)", False),  # bypasses RLS: never evaluated
    ],
)
def test_multiple_overlap_of_roles_and_commands(tmp_path: Path, second: str, reported: bool) -> None:
    sql = NOTES + OWN_SELECT + f"create policy notes_second on public.notes {second};\n"
    assert where(lint(tmp_path, sql), MULTIPLE) == ([at(sql, "public.notes", 4)] if reported else [])


def test_multiple_counts_the_baseline_but_reports_the_migration(tmp_path: Path) -> None:
    baseline = (
        NOTES
        + OWN_SELECT
        + "create policy notes_pub on public.notes for select to authenticated using (published);\n"
    )
    sql = "create policy notes_third on public.notes for select to authenticated\n  using (published);\n"
    findings = lint(tmp_path, sql, baseline)
    assert where(findings, MULTIPLE) == [at(sql, "public.notes")]
    assert "notes_own" in only(findings, MULTIPLE)["message"]


def test_multiple_a_recreated_policy_is_not_its_own_twin(tmp_path: Path) -> None:
    baseline = NOTES + OWN_SELECT
    sql = "drop policy notes_own on public.notes;\n" + OWN_SELECT
    assert where(lint(tmp_path, sql, baseline), MULTIPLE) == []


# --- policy severities, suppressions, the project's own SQL ------------------------------------


def test_policy_changes_a_rule_severity(tmp_path: Path) -> None:
    sql = (
        NOTES
        + "create policy notes_own on public.notes for select to authenticated\n"
        + "  using (auth.uid() = user_id);\n"
    )
    raised = lint(
        tmp_path / "error", sql, policy='[tool.checker.rules.rls-policy-initplan]\nseverity = "error"\n'
    )
    assert only(raised, INITPLAN)["severity"] == "error"
    off = lint(tmp_path / "off", sql, policy='[tool.checker.rules.rls-policy-initplan]\nseverity = "off"\n')
    assert where(off, INITPLAN) == []


def test_policy_changes_the_error_variant_of_to_public(tmp_path: Path) -> None:
    sql = NOTES + "create policy notes_all on public.notes for update to authenticated using (true);\n"
    lowered = lint(tmp_path, sql, policy='[tool.checker.rules.rls-policy-to-public]\nseverity = "warning"\n')
    assert only(lowered, TO_PUBLIC)["severity"] == "warning"


def test_suppression_comment_covers_a_policy(tmp_path: Path) -> None:
    policy = "create policy notes_upd on public.notes for update to authenticated using (true);\n"
    reason = "-- checker-ignore rls-policy-with-check, rls-policy-to-public: moderators edit any note\n"
    findings = lint(tmp_path, NOTES + reason + policy)
    assert where(findings, WITH_CHECK) == [] and where(findings, TO_PUBLIC) == []
    assert not [f for f in findings if f["rule"] in ("unused-suppression", "invalid-suppression")], findings


def test_project_sql_passes_the_rls_rules() -> None:
    code, report, err = run_json("lint", "sql/", cwd=REPO_ROOT)
    assert code == 0, (err, report["findings"])
    assert [f for f in report["findings"] if f["rule"] in OURS] == []


def test_multiple_leaves_storage_bucket_policies_alone(tmp_path: Path) -> None:
    sql = (
        "create policy avatars_read on storage.objects for select to authenticated\n"
        "  using (bucket_id = 'avatars');\n"
        "create policy docs_read on storage.objects for select to authenticated\n"
        "  using (bucket_id = 'docs' and (select auth.uid())::text = (storage.foldername(name))[1]);\n"
    )
    assert where(lint(tmp_path, sql), MULTIPLE) == []


# --- the PostgreSQL semantics rls-policy-with-check relies on ----------------------------------

OWNER = "00000000-0000-0000-0000-00000000000a"
OTHER = "00000000-0000-0000-0000-00000000000b"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with require_engine("embedded") as uri:
        with psycopg.connect(uri, autocommit=True) as conn:
            apply_seed(conn)
            conn.execute("insert into auth.users (id) values (%s), (%s)", (OWNER, OTHER))
        yield uri


def _writes_as_owner(uri: str, policy: str, write: str) -> bool:
    """Create public.notes with the policy, then run `write` as OWNER; False if RLS refuses it."""
    with psycopg.connect(uri) as conn:
        conn.execute(
            NOTES + "create policy notes_read on public.notes for select to authenticated using (true);\n"
        )
        conn.execute(f"create policy notes_w on public.notes {policy}")
        conn.execute("insert into public.notes (id, user_id) values (gen_random_uuid(), %s)", (OWNER,))
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (f'{{"sub": "{OWNER}"}}',))
        try:
            conn.execute(write, (OTHER,))
            return True
        except psycopg.errors.InsufficientPrivilege:
            return False
        finally:
            conn.rollback()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "policy, write, reported",
    [
        (
            "for update to authenticated using ((select auth.uid()) = user_id)",
            "update public.notes set user_id = %s",
            False,
        ),
        ("for update to authenticated using (true)", "update public.notes set user_id = %s", True),
        (
            "for insert to authenticated with check ((select auth.uid()) is not null)",
            "insert into public.notes (id, user_id) values (gen_random_uuid(), %s)",
            True,
        ),
        # no expression at all: PostgreSQL admits nothing (not "no check")
        (
            "for insert to authenticated",
            "insert into public.notes (id, user_id) values (gen_random_uuid(), %s)",
            False,
        ),
        (
            "for all to authenticated",
            "insert into public.notes (id, user_id) values (gen_random_uuid(), %s)",
            False,
        ),
        (
            "as permissive for all to public",
            "insert into public.notes (id, user_id) values (gen_random_uuid(), %s)",
            False,
        ),
        (
            "for all to authenticated using (false) with check (false)",
            "insert into public.notes (id, user_id) values (gen_random_uuid(), %s)",
            False,
        ),
    ],
)
def test_with_check_findings_match_what_postgresql_allows(
    database: str, tmp_path: Path, policy: str, write: str, reported: bool
) -> None:
    """A reported policy really lets a user write a row owned by someone else; an unreported one does not."""
    assert _writes_as_owner(database, policy, write) is reported
    sql = NOTES + f"create policy notes_w on public.notes {policy};\n"
    findings = lint(tmp_path, sql)
    assert bool(where(findings, WITH_CHECK)) is reported
    if not reported:
        assert where(findings, TO_PUBLIC) == [], "a policy that admits nothing opens nothing to anyone"


def test_rls_enabled_skips_a_schema_the_api_roles_cannot_use(tmp_path: Path) -> None:
    """An exposed schema anon and authenticated may not use: its tables are out of the API's reach. A new
    schema grants them nothing (Supabase's guide to custom schemas grants USAGE by hand); a GRANT opens it,
    a REVOKE closes it again, in the order written; PUBLIC counts for both."""
    table = "create schema private;\ncreate table private.kvstore (key text primary key, value jsonb);\n"
    grant = "grant usage on schema private to anon, authenticated;\n"
    revoke = "revoke usage on schema private from anon, authenticated;\n"
    exposed = 'exposed_schemas = ["public", "private"]\n'
    assert where(lint(tmp_path / "a", table, policy=exposed), "rls-enabled") == []
    assert where(lint(tmp_path / "b", table + grant, policy=exposed), "rls-enabled") == [(2, 14)]
    assert where(lint(tmp_path / "c", table + grant + revoke, policy=exposed), "rls-enabled") == []
    regrant = table + grant + revoke + "grant usage on schema private to public;\n"
    assert where(lint(tmp_path / "d", regrant, policy=exposed), "rls-enabled") == [(2, 14)]


@pytest.mark.parametrize(
    ("command", "severity"), [("update", "error"), ("delete", "error"), ("select", "warning")]
)
def test_to_public_true_on_storage_objects_opens_every_file(
    tmp_path: Path, command: str, severity: str
) -> None:
    """nextbase's `"anything 1plzjhd_*"` policies: storage.objects has no owner column a policy compares,
    but Storage records each file's uploader, and true reaches every bucket's files."""
    sql = (
        "insert into storage.buckets (id, name) values ('user-assets', 'user-assets');\n"
        f'create policy "anything" on storage.objects for {command} to public using (true);\n'
    )
    finding = only(lint(tmp_path, sql), TO_PUBLIC)
    assert (finding["line"], finding["severity"]) == (2, severity), finding
    assert "every file of every bucket" in finding["message"] and "owner_id" in finding["hint"]


STORAGE_POLICIES = (
    "insert into storage.buckets (id, name) values ('content', 'content');\n"
    'create policy "own folder" on storage.objects for select to authenticated\n'
    "  using (bucket_id = 'content' and (storage.foldername(name))[1] = (select auth.uid()::text));\n"
    'create policy "own delete" on storage.objects for delete to authenticated\n'
    "  using (bucket_id = 'content' and owner = (select auth.uid()));\n"
)


@pytest.mark.parametrize(
    ("check", "reported"),
    [
        ("bucket_id = 'content' and name like 'events/%'", False),  # hivecom: a fixed folder, nobody's
        ("bucket_id = 'content' and (storage.foldername(name))[1] = 'events'", False),
        ("bucket_id = 'content' and starts_with(name, 'events/')", False),
        ("bucket_id = 'content' and name like '%/events/%'", True),  # any folder, another user's too
        ("bucket_id = 'content'", True),
        ("bucket_id = 'images'", False),  # chess-map-frontend: another bucket, with no per-user folders
        ("bucket_id in ('content', 'images')", True),
        ("bucket_id = 'images' and (storage.foldername(name))[1] = 'x'", False),
    ],
)
def test_with_check_on_storage_objects_ties_the_path_not_the_owner_storage_sets(
    tmp_path: Path, check: str, reported: bool
) -> None:
    """Storage sets owner and owner_id from the uploader's token; the path is the client's to choose."""
    sql = (
        STORAGE_POLICIES
        + f'create policy "upload" on storage.objects for insert to authenticated\n  with check ({check});\n'
    )
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "rls-policy-with-check"]
    assert bool(found) == reported, found
    if reported:
        assert "does not tie name to auth.uid()" in found[0]["message"], found


@pytest.mark.parametrize(
    ("update", "reported"),
    [
        ("using (bucket_id = 'content')", True),  # frycomnew's avatars: anyone overwrites anyone's file
        ("to authenticated using (bucket_id = 'content')", True),
        ("to authenticated using (bucket_id = 'content' and owner = (select auth.uid()))", False),
    ],
)
def test_an_update_of_storage_objects_reaches_only_the_users_own_files(
    tmp_path: Path, update: str, reported: bool
) -> None:
    """Storage sets owner on the new file, but an UPDATE's USING picks the files it overwrites: whose they
    are, owner says (survey round 18, frycomnew)."""
    sql = STORAGE_POLICIES + f'create policy "replace" on storage.objects for update {update};\n'
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "rls-policy-with-check"]
    assert bool(found) == reported, found
    if reported:
        assert "does not tie name, owner to auth.uid()" in found[0]["message"], found


def test_a_users_table_is_owned_row_by_row(tmp_path: Path) -> None:
    """rapid-steno's public.users (email, password_hash) under `for all using (true)` without TO: each row
    is its user's, so anyone can read and change every user's row (it passed as a lookup table)."""
    found = lint(
        tmp_path,
        "create table public.users (id uuid primary key default gen_random_uuid(), email text not null,\n"
        "  password_hash text);\nalter table public.users enable row level security;\n"
        'create policy "Allow all operations on users" on public.users for all using (true);\n',
    )
    errors = {(f["rule"], f["line"]) for f in found if f["severity"] == "error"}
    assert errors == {("rls-policy-to-public", 4), ("rls-policy-with-check", 4)}, found


def test_a_table_without_rls_that_the_api_roles_lost_every_privilege_on_is_a_warning(tmp_path: Path) -> None:
    """OnlineStore's admin_domains, read only by a definer trigger: `revoke all ... from anon, authenticated`
    leaves the API no way in, so 'anon and authenticated can read and write every row' was not true."""
    table = "create table public.admin_domains (domain text primary key);\n"

    def severities(grants: str) -> list[str]:
        return [f["severity"] for f in lint(tmp_path, table + grants) if f["rule"] == "rls-enabled"]

    assert severities("revoke all on table public.admin_domains from anon, authenticated;\n") == ["warning"]
    # Supabase grants the roles directly: revoking from PUBLIC takes nothing from them
    assert severities("revoke all on table public.admin_domains from public;\n") == ["error"]
    read_only = "revoke insert, update, delete on public.admin_domains from anon, authenticated;\n"
    assert severities(read_only) == ["error"]


def test_rls_disabled_on_a_table_the_api_roles_lost_every_privilege_on_is_a_warning(tmp_path: Path) -> None:
    """OnlineStore turns RLS off on a table only a definer trigger reads, and revokes all from the API."""
    baseline = "create table public.admin_domains (domain text primary key);\n"
    baseline += "alter table public.admin_domains enable row level security;\n"
    disabled = "alter table public.admin_domains disable row level security;\n"
    revoked = "revoke all on public.admin_domains from anon, authenticated;\n"
    for sql, expected in ((disabled + revoked, "warning"), (disabled, "error")):
        found = lint(tmp_path, sql, baseline)
        assert [f["severity"] for f in found if f["rule"] == "rls-enabled"] == [expected], found


@pytest.mark.parametrize("schema", ["auth", "public"])
def test_a_projects_own_wrapper_of_auth_uid_is_read_as_its_helper(tmp_path: Path, schema: str) -> None:
    """deploy-vercel's auth.current_uid() (auth.uid(), or an API key's user): a function the project made in
    Supabase's auth schema is the project's helper as one in public is, not a Supabase function that
    ties no row (a false rls-policy-with-check error)."""
    sql = NOTES + (
        f"create function {schema}.current_uid() returns uuid language sql stable set search_path = ''\n"
        "  as $$ select auth.uid() $$;\n"
        "create policy notes_upd on public.notes for update to authenticated\n"
        f"  using ((select {schema}.current_uid()) = user_id);\n"
    )
    assert where(lint(tmp_path, sql), WITH_CHECK) == []


ADMINS = (
    "create table public.profiles (id uuid primary key references auth.users (id), is_admin boolean);\n"
    "alter table public.profiles enable row level security;\n"
    "create policy profiles_own on public.profiles for select to authenticated\n"
    "  using (id = (select auth.uid()));\n"
)
ADMIN_GATE = "exists (select 1 from public.profiles p where p.id = (select auth.uid()) and p.is_admin)"


@pytest.mark.parametrize(
    ("using", "other", "flagged"),
    [
        # clubandplayer-app's ad_leads: only admins reach a row, and may write any values
        (ADMIN_GATE, "", False),
        ("public.is_admin()", "", False),
        # beside an owners' update policy, the open check lets owners hand their notes to anyone
        (ADMIN_GATE, "create policy notes_own_upd on public.notes for update to authenticated\n"
         "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);\n", True),
        # every signed-in user passes USING: every caller writes any values
        ("(select auth.uid()) is not null", "", True),
        # USING reads the row (a published note): its owner's test is not the admins'
        ("published", "", True),
        # faithflow's national events: super administrators, of the rows in one state
        ("published and public.is_admin()", "", False),
    ],
    ids=[
        "admins-by-profile", "admins-by-helper", "beside-owners-update", "every-user", "reads-the-row",
        "admins-of-some-rows",
    ],
)
def test_an_admins_update_with_check_true_is_no_open_write(
    tmp_path: Path, using: str, other: str, flagged: bool
) -> None:
    sql = ADMINS + NOTES + (
        "create function public.is_admin() returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select coalesce((select is_admin from public.profiles\n"
        "  where id = (select auth.uid())), false) $$;\n"
        f"{other}create policy notes_admin_upd on public.notes for update to authenticated\n"
        f"  using ({using}) with check (true);\n"
    )
    found = lint(tmp_path, sql)
    assert bool(where(found, TO_PUBLIC)) == flagged, found
    assert bool(where(found, WITH_CHECK)) == flagged, found


def test_an_admins_update_whose_check_keeps_a_state_is_no_open_write(tmp_path: Path) -> None:
    """faithflow: `using (scope = 'national' and has_role(auth.uid(), 'super_admin')) with check (scope =
    'national')`: only super administrators reach a row, and the check keeps it national."""
    sql = ADMINS + NOTES + (
        "create function public.is_admin() returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select coalesce((select is_admin from public.profiles\n"
        "  where id = (select auth.uid())), false) $$;\n"
        "create policy notes_admin_upd on public.notes for update to authenticated\n"
        "  using (published and public.is_admin()) with check (published);\n"
    )
    assert where(lint(tmp_path, sql), WITH_CHECK) == []


@pytest.mark.parametrize(("using", "flagged"), [("is_admin()", False), ("now() is not null", True)])
def test_an_unqualified_helper_made_nowhere_the_model_sees_is_a_helper(
    tmp_path: Path, using: str, flagged: bool
) -> None:
    """video-vault, orydia: is_admin() and user_has_role() are made only in files the Supabase CLI skips (a
    `-` after the version); PostgreSQL has no function of that name, so it is the project's, whose test the
    static rules trust, as they do a helper they see made. now() is PostgreSQL's and asks nothing of the
    user."""
    sql = NOTES + f"create policy notes_admin_all on public.notes for all to authenticated using ({using});\n"
    assert bool(where(lint(tmp_path, sql), WITH_CHECK)) == flagged


STAMP_CARDS = (
    "create table public.organizations (id uuid primary key, name text not null);\n"
    "create table public.staff_users (id uuid primary key,\n"
    "  auth_id uuid not null unique references auth.users,\n"
    "  organization_id uuid not null references public.organizations);\n"
    "create table public.stamp_cards (id uuid primary key,\n"
    "  organization_id uuid not null references public.organizations, stamps integer not null default 0);\n"
    "alter table public.organizations enable row level security;\n"
    "alter table public.staff_users enable row level security;\n"
    "alter table public.stamp_cards enable row level security;\n"
    "create function public.auth_org_id() returns uuid language sql stable security definer\n"
    "  set search_path = '' as $$\n"
    "  select organization_id from public.staff_users where auth_id = auth.uid() $$;\n"
    "create policy staff_self on public.staff_users for select to authenticated\n"
    "  using (auth_id = (select auth.uid()));\n"
    "create policy stamp_cards_read on public.stamp_cards for select to authenticated using ({tenant});\n"
    "create policy stamp_cards_service on public.stamp_cards for update using (true);\n"
)


@pytest.mark.parametrize(
    "tenant",
    [
        "organization_id = (select public.auth_org_id())",
        "organization_id = public.auth_org_id()",
        "organization_id in (select public.auth_org_id())",
        "organization_id = any (array[public.auth_org_id()])",
    ],
)
def test_a_key_compared_with_a_helpers_answer_makes_the_rows_a_groups(tmp_path: Path, tenant: str) -> None:
    """MenuOS's stamp cards: `organization_id = auth_org_id()` ties the rows to the reader's organization as
    an inline sub-select of the staff table does, so `for update using (true)` opens every group's rows
    (an error; it was only the "no TO clause" warning)."""
    found = [f for f in lint(tmp_path, STAMP_CARDS.replace("{tenant}", tenant)) if f["rule"] == TO_PUBLIC]
    assert [f["severity"] for f in found] == ["error"], found
    assert "every caller can change every group's rows" in found[0]["message"]


MINE = "organization_id = (select public.auth_org_id())"


@pytest.mark.parametrize(
    ("policy", "flagged"),
    [
        # MenuOS's WhatsApp templates: the system's (no organization) rewritten or deleted by anyone
        (f"for all to authenticated using (organization_id is null or {MINE})", True),
        (f"for delete to authenticated using ({MINE} or organization_id is null)", True),
        # rows no one owns yet, to claim: an update only
        (f"for update to authenticated using (organization_id is null or {MINE})", False),
        # the null rows only for a role
        (f"for all to authenticated using ((organization_id is null and is_admin()) or {MINE})", False),
    ],
)
def test_rows_no_one_owns_are_not_deleted_by_everyone(tmp_path: Path, policy: str, flagged: bool) -> None:
    sql = STAMP_CARDS.replace("{tenant}", "organization_id = (select public.auth_org_id())") + (
        "create function public.is_admin() returns boolean language sql stable as $$ select false $$;\n"
        "alter table public.stamp_cards alter column organization_id drop not null;\n"
        f"create policy stamp_cards_manage on public.stamp_cards {policy};\n"
    )
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "rls-unowned-rows-writable"]
    assert bool(found) == flagged, found
