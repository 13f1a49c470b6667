"""The tenancy model and the isolation probes on a team workspace, with real-world policy mistakes.

tests/fixtures/tenancy/workspace.sql is a correct schema (teams, team_members, projects, tasks, a
security definer helper); mistakes.toml lists mistakes from public write-ups and Supabase's RLS
guide, each one text replaced in it. Every mistake must be an error of `checker check`, the
correct schema must pass without a warning, on the embedded server and on PostgreSQL 15.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from checker.dynamic.stage import run_dynamic
from checker.findings import Finding, Severity
from checker.lint import lint_targets
from checker.policy import Policy, default_policy
from checker.targets import resolve_targets

from .helpers import require_engine
from .test_stage import ENGINES, ROOT, only

pytestmark = pytest.mark.postgres

FIXTURES = ROOT / "tests" / "fixtures" / "tenancy"
WORKSPACE = (FIXTURES / "workspace.sql").read_text()
ROLLBACK = FIXTURES / "workspace_rollback.sql"
MISTAKES = tomllib.loads((FIXTURES / "mistakes.toml").read_text())["mistake"]


def check(migration: Path, engine: str, policy: Policy | None = None) -> list[Finding]:
    """Both stages, as `checker check` runs them, with the default policy and no baseline."""
    require_engine(engine, ENGINES[engine])
    policy = policy or default_policy()
    result = lint_targets(resolve_targets([migration], policy, ROLLBACK), [], policy)
    assert not result.has_syntax_error
    return [*result.findings, *run_dynamic(result.units, [], policy, engine, ENGINES[engine])]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workspace.sql"
    path.write_text(text)
    return path


def shown(findings: list[Finding]) -> list[str]:
    return [f"{f.severity.value} {f.rule}: {f.message}" for f in findings if f.severity is not Severity.INFO]


@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_correct_workspace_passes_without_warnings(tmp_path: Path, engine: str) -> None:
    findings = check(write(tmp_path, WORKSPACE), engine)
    assert shown(findings) == []
    assert not [f for f in findings if "skipped" in f.message], findings  # every table was probed


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m["name"] for m in MISTAKES])
def test_each_mistake_is_an_error(tmp_path: Path, engine: str, mistake: dict) -> None:
    assert WORKSPACE.count(mistake["replace"]) == 1, "the mistake must change exactly one place"
    findings = check(write(tmp_path, WORKSPACE.replace(mistake["replace"], mistake["with"])), engine)
    leaks = [
        f.message
        for f in only(findings, "rls-probe", Severity.ERROR)
        if f.message.startswith(f"row level security leak on {mistake['table']}: {mistake['command']} as ")
    ]
    assert leaks, shown(findings)
    assert all("whose rows: " in leak and "allowed by policy" in leak for leak in leaks), leaks


def test_the_model_is_shown_per_table(tmp_path: Path) -> None:
    migration = write(tmp_path, WORKSPACE)
    command = [sys.executable, "-m", "checker", "tenancy", str(migration), "--rollback", str(ROLLBACK)]
    done = subprocess.run([*command, "--engine", "embedded"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.split("rls-tenancy  ", 1)[1] for line in done.stdout.splitlines() if "rls-tenancy" in line]
    members = "a group (members in public.team_members (user_id, role role))"
    assert lines == [
        f"tenancy of public.teams: {members} (inferred from the schema)",
        f"tenancy of public.team_members: team_id -> public.teams: {members} (inferred from the schema)",
        f"tenancy of public.projects: team_id -> public.teams: {members} (inferred from the schema)",
        "tenancy of public.tasks: project_id -> public.projects: team_id -> public.teams: "
        f"{members} (inferred from the schema)",
    ]
    assert '[rls.tenancy] "public.tasks" = "via:project_id"' in done.stdout


def stated(tenancy: dict[str, str]) -> Policy:
    policy = default_policy()
    policy.data["rls"] = {"tenancy": tenancy}
    return policy


def test_stated_tenancy_replaces_the_inferred_one(tmp_path: Path) -> None:
    policy = stated({"public.tasks": "user:assignee_id"})
    policy.data["rules"] = {**policy.data["rules"], "rls-tenancy": {"severity": "info"}}
    findings = check(write(tmp_path, WORKSPACE), "embedded", policy)
    models = {f.message.split(":")[0]: f.message for f in only(findings, "rls-tenancy")}
    assert models["tenancy of public.tasks"] == (
        "tenancy of public.tasks: a user's assignee_id (stated in [rls.tenancy])"
    )
    # probed as the assignee's rows; a task also sits under its team's project, whose members may
    # reassign it, so handing a task to another user is not probed as a leak
    assert shown(findings) == []
    assert not [f for f in only(findings, "rls-probe") if "skipped" in f.message]


AUDIT_LOG = """
begin;
create table public.audit_events (
  id bigint generated always as identity primary key,
  action text not null
);
alter table public.audit_events enable row level security;
create policy "audit_events_select" on public.audit_events
  for select to authenticated using ((select auth.uid()) is not null);
commit;
"""
AUDIT_ROLLBACK = "begin;\ndrop table if exists public.audit_events;\ncommit;\n"


def test_service_only_and_public_tables_as_stated(tmp_path: Path) -> None:
    migration = tmp_path / "audit.sql"
    migration.write_text(AUDIT_LOG)
    (tmp_path / "audit_rollback.sql").write_text(AUDIT_ROLLBACK)

    def probes(policy: Policy) -> list[Finding]:
        targets = resolve_targets([migration], policy, tmp_path / "audit_rollback.sql")
        result = lint_targets(targets, [], policy)
        return only(run_dynamic(result.units, [], policy, "embedded", ENGINES["embedded"]), "rls-probe")

    (inferred,) = probes(default_policy())  # nobody's rows by the schema: not probed, said so
    assert inferred.severity is Severity.INFO and "nobody's rows by the schema" in inferred.message
    leaks = probes(stated({"public.audit_events": "service_only"}))
    assert [f.severity for f in leaks] == [Severity.ERROR, Severity.ERROR], leaks
    assert "user A sees 1 row(s) only service_role may reach" in leaks[0].message
    assert "user D (signed in, owning nothing, in no group) sees 1" in leaks[1].message
    (public,) = probes(stated({"public.audit_events": "public"}))
    assert "stated public in [rls.tenancy]" in public.message


# clinicnest (survey round 17): policies hand the user's id to a helper that returns their clinic's id.
CLINICS = """begin;
create table public.tenants (id uuid primary key default gen_random_uuid(), name text not null);
create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  tenant_id uuid not null references public.tenants (id) on delete cascade
);
create index profiles_tenant_id_idx on public.profiles (tenant_id);
create function public.get_user_tenant_id(p_user_id uuid) returns uuid
  language sql stable security definer set search_path = ''
  as $$ select tenant_id from public.profiles where user_id = p_user_id limit 1 $$;
alter table public.tenants enable row level security;
alter table public.profiles enable row level security;
create policy tenants_select on public.tenants for select to authenticated
  using (id = public.get_user_tenant_id((select auth.uid())));
create policy profiles_select on public.profiles for select to authenticated
  using (tenant_id = public.get_user_tenant_id((select auth.uid())));
create policy tenants_insert on public.tenants for insert to authenticated
  with check (not exists (select 1 from public.profiles where user_id = (select auth.uid())));
commit;
"""


def test_what_a_helper_makes_of_the_users_id_is_a_group_not_the_user(tmp_path: Path) -> None:
    """`id = get_user_tenant_id(auth.uid())` compares with the user's clinic, not the user: the clinics are
    groups whose members are the profiles, colleagues read each other's profiles, and a new clinic made at
    sign-up is nobody else's row."""
    migration = tmp_path / "clinics.sql"
    migration.write_text(CLINICS)
    policy = default_policy()
    policy.data["rules"] = {**policy.data["rules"], "rls-tenancy": {"severity": "info"}}
    result = lint_targets(resolve_targets([migration], policy), [], policy)
    findings = [*result.findings, *run_dynamic(result.units, [], policy, "embedded", ENGINES["embedded"])]
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    tenancy = {f.message for f in only(findings, "rls-tenancy")}
    group = "a group (members in public.profiles (user_id))"
    assert f"tenancy of public.tenants: {group} (inferred from the schema)" in tenancy, tenancy


def test_a_user_in_no_group_cannot_join_another_users_group_through_their_own_row(tmp_path: Path) -> None:
    """clinicnest (survey round 18): a profile is its user's row and names the user's clinic, so an insert
    policy that asks only whose row it is lets user D, in no clinic yet, join any clinic (and read all its
    rows). Only one profile per user: A, who has theirs, could not show it."""
    joining = "create policy profiles_insert on public.profiles for insert to authenticated\n"
    joining += "  with check (user_id = (select auth.uid()));\ncommit;\n"
    migration = tmp_path / "clinics.sql"
    migration.write_text(CLINICS.replace("commit;\n", joining))
    policy = default_policy()
    result = lint_targets(resolve_targets([migration], policy), [], policy)
    findings = run_dynamic(result.units, [], policy, "embedded", ENGINES["embedded"])
    (leak,) = [f for f in only(findings, "rls-probe") if f.severity is Severity.ERROR]
    assert "leak on public.profiles: INSERT as authenticated: user D (signed in" in leak.message
    assert "making user D's membership of user B's public.tenants group" in leak.message, leak.message
    assert "check that they may join that group" in leak.hint


ORGS = """begin;
create table public.organizations (id uuid primary key default gen_random_uuid(), name text not null);
create table public.org_users (
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null,
  role text not null default 'member',
  primary key (org_id, user_id)
);
create index on public.org_users (user_id);
create table public.materials (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null
);
create index on public.materials (org_id);
create function public.is_org_member(target_org_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.org_users ou
                 where ou.org_id = target_org_id and ou.user_id = auth.uid());
$$;
revoke execute on function public.is_org_member(uuid) from public, anon;
alter table public.organizations enable row level security;
alter table public.org_users enable row level security;
alter table public.materials enable row level security;
create policy organizations_all on public.organizations to authenticated
  using (public.is_org_member(id)) with check (public.is_org_member(id));
create policy org_users_all on public.org_users to authenticated
  using (public.is_org_member(org_id)) with check (public.is_org_member(org_id));
create policy materials_all on public.materials to authenticated
  using (public.is_org_member(org_id)) with check (public.is_org_member(org_id));
commit;
"""


def test_a_membership_user_column_without_a_foreign_key_that_the_helper_compares_is_the_users(
    tmp_path: Path,
) -> None:
    """lockstock (survey round 20): org_users.user_id references nothing, and only is_org_member()'s body
    compares it with auth.uid(); every table was skipped as nobody's. The helper's comparison makes it the
    user column of a membership table, so the organizations are groups and a wrong policy is found."""
    policy = default_policy()
    policy.data["rules"] = {**policy.data["rules"], "rls-tenancy": {"severity": "info"}}

    def verify(sql: str) -> list[Finding]:
        migration = tmp_path / "orgs.sql"
        migration.write_text(sql)
        result = lint_targets(resolve_targets([migration], policy), [], policy)
        return run_dynamic(result.units, [], policy, "embedded", ENGINES["embedded"])

    findings = verify(ORGS)
    tenancy = {f.message for f in only(findings, "rls-tenancy")}
    group = "public.organizations: a group (members in public.org_users (user_id, role role))"
    assert f"tenancy of public.materials: org_id -> {group} (inferred from the schema)" in tenancy, tenancy
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    opened = "create policy materials_all on public.materials to authenticated\n  using (true)"
    findings = verify(ORGS.replace(opened.replace("(true)", "(public.is_org_member(org_id))"), opened))
    leaks = [f.message for f in only(findings, "rls-probe") if f.severity is Severity.ERROR]
    assert any(leak.startswith("row level security leak on public.materials: SELECT") for leak in leaks), (
        leaks
    )
