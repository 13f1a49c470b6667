"""The self-promotion probe: a user writing a column of their own row that policies trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.dynamic.promotion import PROMOTION, string_constants
from checker.findings import Severity

from .helpers import require_engine
from .test_later_access import check, found
from .test_stage import line_of, only, run, write

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def embedded() -> None:
    require_engine("embedded")


# Profiles keep each user's role; is_admin() trusts it; users may edit their own profile.
PROFILES = """
begin;
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  role text not null default 'user' check (role in ('user', 'admin'))
);
alter table public.profiles enable row level security;
create policy "profiles_select_own" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "profiles_update_own" on public.profiles
  for update to authenticated using (id = (select auth.uid())){check};
{guard}
create function public.is_admin() returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.profiles where id = (select auth.uid()) and role = 'admin') $$;

create table public.reports (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null
);
create index reports_user_id_idx on public.reports (user_id);
alter table public.reports enable row level security;
create policy "reports_select_own_or_admin" on public.reports
  for select to authenticated using (user_id = (select auth.uid()) or (select public.is_admin()));
commit;
"""

# What keeps the role out of the users' reach, each on its own.
GUARDS = {
    "with check keeping the role": {
        "check": "\n  with check (id = (select auth.uid())"
        " and role = (select p.role from public.profiles as p where p.id = (select auth.uid())))",
    },
    "column privileges": {
        "guard": "revoke update on public.profiles from anon, authenticated;\n"
        "grant update (full_name) on public.profiles to authenticated;",
    },
    "a trigger refusing the change": {
        "guard": """create function public.keep_role() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.role is distinct from old.role and (select auth.role()) <> 'service_role' then
    raise exception 'role is not yours to change';
  end if;
  return new;
end
$$;
create trigger profiles_keep_role before update on public.profiles
  for each row execute function public.keep_role();""",
    },
    "a trigger resetting it": {
        "guard": """create function public.reset_role() returns trigger
language plpgsql security definer set search_path = ''
as $$ begin new.role := old.role; return new; end $$;
create trigger profiles_reset_role before update on public.profiles
  for each row execute function public.reset_role();""",
    },
}


def profiles(check: str = "", guard: str = "") -> str:
    return PROFILES.format(check=check, guard=guard)


def test_a_user_setting_their_own_role_to_admin_is_an_error(tmp_path: Path) -> None:
    migration = write(tmp_path, "profiles.sql", profiles())
    (finding,) = only(run(migration, None, baseline=[]), PROMOTION)
    assert finding.severity is Severity.ERROR
    assert finding.line == line_of(migration, '"profiles_update_own"')
    assert "role = 'admin'" in finding.message and "public.profiles" in finding.message
    assert '"profiles_update_own"' in finding.message
    assert '"reports_select_own_or_admin" on public.reports' in finding.message


@pytest.mark.parametrize("guard", list(GUARDS))
def test_a_guarded_role_is_no_promotion(tmp_path: Path, guard: str) -> None:
    migration = write(tmp_path, "profiles.sql", profiles(**GUARDS[guard]))
    findings = run(migration, None, baseline=[])
    assert only(findings, PROMOTION) == []
    assert only(findings, "dynamic-apply") == []


ROLES_TABLE = """
begin;
create type public.app_role as enum ('user', 'moderator', 'admin');
create table public.user_roles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  role public.app_role not null default 'user'
);
alter table public.user_roles enable row level security;
create policy "user_roles_select_own" on public.user_roles
  for select to authenticated using (user_id = (select auth.uid()));
create policy "user_roles_update_own" on public.user_roles
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create function public.has_role(_role public.app_role) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.user_roles where user_id = (select auth.uid()) and role = _role) $$;
create function public.is_staff() returns boolean
language sql stable security definer set search_path = ''
as $$ select public.has_role('moderator') or public.has_role('admin') $$;
create table public.flags (
  id uuid primary key default gen_random_uuid(),
  reason text not null
);
alter table public.flags enable row level security;
create policy "flags_staff_all" on public.flags
  for all to authenticated using ((select public.is_staff())) with check ((select public.is_staff()));
commit;
"""


def test_an_enum_role_read_through_nested_helpers_is_found(tmp_path: Path) -> None:
    migration = write(tmp_path, "roles.sql", ROLES_TABLE)
    (finding,) = only(run(migration, None, baseline=[]), PROMOTION)
    assert finding.line == line_of(migration, '"user_roles_update_own"')
    assert "role = 'moderator'" in finding.message  # the first label of power that opens a policy
    assert '"flags_staff_all" on public.flags' in finding.message


FLAG = """
begin;
create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  name text,
  is_admin boolean not null default false,
  newsletter boolean not null default false
);
alter table public.users enable row level security;
create policy "users_all_own" on public.users
  for all to authenticated using (id = (select auth.uid())) with check (id = (select auth.uid()));
create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  total numeric not null
);
alter table public.invoices enable row level security;
create policy "invoices_admins_read" on public.invoices
  for select to authenticated
  using (exists (select 1 from public.users as u where u.id = (select auth.uid()) and {test}));
commit;
"""


def test_a_user_approving_themselves_is_found(tmp_path: Path) -> None:
    """Accounts an administrator approves (is_approved defaults to false): the probe approves its users as
    one would, and D, unapproved again, approves themselves through their own profile."""
    approved = FLAG.replace("newsletter boolean", "is_approved boolean").format(test="u.is_approved")
    (finding,) = only(run(write(tmp_path, "approved.sql", approved), None, baseline=[]), PROMOTION)
    assert "is_approved = True" in finding.message and '"invoices_admins_read"' in finding.message


def test_an_admin_flag_is_found_and_a_flag_of_no_power_is_not(tmp_path: Path) -> None:
    admin = write(tmp_path, "admin.sql", FLAG.format(test="u.is_admin"))
    (finding,) = only(run(admin, None, baseline=[]), PROMOTION)
    assert "is_admin = True" in finding.message and '"users_all_own"' in finding.message
    # a user may subscribe themselves: a policy gated on it is no one's power
    newsletter = write(tmp_path, "newsletter.sql", FLAG.format(test="u.newsletter"))
    assert only(run(newsletter, None, baseline=[]), PROMOTION) == []


# Staff rows keyed by the login, a role with no default: the probe's own row for D would take the first
# value the CHECK names, super_admin, unless D is made an ordinary user first.
STAFF = """
begin;
create table public.staff (
  id uuid primary key default gen_random_uuid(),
  auth_id uuid unique references auth.users (id) on delete set null,
  name text,
  role text not null check (role in ('super_admin', 'manager', 'waiter'))
);
alter table public.staff enable row level security;
create function public.auth_role() returns text
language sql stable security definer set search_path = ''
as $$ select role from public.staff where auth_id = (select auth.uid()) limit 1 $$;
create policy "staff_select_own" on public.staff for select using (auth_id = (select auth.uid()));
create policy "staff_update_own" on public.staff for update using (auth_id = (select auth.uid()));
create table public.menus (
  id uuid primary key default gen_random_uuid(),
  title text not null
);
alter table public.menus enable row level security;
create policy "menus_managers_write" on public.menus
  for all using (public.auth_role() in ('super_admin', 'manager'));
commit;
"""


def test_the_probe_user_starts_without_the_power_its_row_was_made_with(tmp_path: Path) -> None:
    migration = write(tmp_path, "staff.sql", STAFF)
    (finding,) = only(run(migration, None, baseline=[]), PROMOTION)
    assert "role = 'super_admin'" in finding.message and '"menus_managers_write"' in finding.message


# Roles kept apart, as Supabase's RBAC guide and Lovable's apps do: rows of (user, role) users must not add.
USER_ROLES = """
begin;
create type public.app_role as enum ('admin', 'user');
create table public.user_roles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.app_role not null,
  unique (user_id, role)
);
alter table public.user_roles enable row level security;
create function public.has_role(_user_id uuid, _role public.app_role) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.user_roles where user_id = _user_id and role = _role) $$;
create policy "user_roles_select_own" on public.user_roles
  for select to authenticated using (user_id = (select auth.uid()));
create policy "user_roles_insert" on public.user_roles
  for insert to authenticated with check ({insert});
create table public.secrets (
  id uuid primary key default gen_random_uuid(),
  value text not null
);
alter table public.secrets enable row level security;
create policy "secrets_admins_read" on public.secrets
  for select to authenticated using (public.has_role((select auth.uid()), 'admin'));
commit;
"""


def test_a_user_inserting_their_own_admin_role_is_an_error_and_admins_granting_roles_is_not(
    tmp_path: Path,
) -> None:
    own = write(tmp_path, "own.sql", USER_ROLES.format(insert="user_id = (select auth.uid())"))
    (finding,) = only(run(own, None, baseline=[]), PROMOTION)
    assert finding.line == line_of(own, '"user_roles_insert"')
    assert "inserted a row of public.user_roles for themselves with role = 'admin'" in finding.message
    assert '"secrets_admins_read" on public.secrets' in finding.message
    admins = write(
        tmp_path, "admins.sql", USER_ROLES.format(insert="public.has_role((select auth.uid()), 'admin')")
    )
    assert only(run(admins, None, baseline=[]), PROMOTION) == []


def test_only_the_policy_that_let_the_insert_through_is_named(tmp_path: Path) -> None:
    both = USER_ROLES.format(insert="user_id = (select auth.uid())").replace(
        "create table public.secrets",
        'create policy "user_roles_admins_insert" on public.user_roles\n'
        "  for insert to authenticated with check (public.has_role((select auth.uid()), 'admin'));\n"
        "create table public.secrets",
    )
    (finding,) = only(run(write(tmp_path, "both.sql", both), None, baseline=[]), PROMOTION)
    assert '(allowed by "user_roles_insert")' in finding.message, finding.message


# Renters may become hosts (owners of cars) on their own; only admin is kept from them (car-rental apps).
CHOSEN = """
begin;
create type public.user_role as enum ('renter', 'owner', 'admin');
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  role public.user_role not null default 'renter'
);
alter table public.profiles enable row level security;
create policy "profiles_select_own" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "profiles_choose_role" on public.profiles for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()) and role in ('renter', 'owner'));
create function public.my_role() returns public.user_role
language sql stable security definer set search_path = ''
as $$ select role from public.profiles where id = (select auth.uid()) $$;
create table public.requests (
  id uuid primary key default gen_random_uuid(),
  city text not null
);
alter table public.requests enable row level security;
create policy "requests_hosts_read" on public.requests
  for select to authenticated using (public.my_role() in ('owner', 'admin'));
commit;
"""


def test_a_role_the_update_policy_lets_users_choose_is_theirs(tmp_path: Path) -> None:
    migration = write(tmp_path, "chosen.sql", CHOSEN)
    assert only(run(migration, None, baseline=[]), PROMOTION) == []


# A signup trigger copying the role from user_metadata, which the client sends (cluben, faithflow).
SIGNUP = """
begin;
create type public.user_role as enum ('admin', 'security', 'cashier');
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  role public.user_role not null default 'security'
);
alter table public.profiles enable row level security;
create policy "profiles_select_own" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create function public.get_user_role(_uid uuid) returns public.user_role
language sql stable security definer set search_path = ''
as $$ select role from public.profiles where id = _uid $$;
create table public.settings (
  id uuid primary key default gen_random_uuid(),
  value text
);
alter table public.settings enable row level security;
create policy "settings_admins_read" on public.settings
  for select to authenticated using (public.get_user_role((select auth.uid())) = 'admin');
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, role) values (new.id, {role});
  return new;
end
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
commit;
"""


def test_a_role_claimed_at_sign_up_is_an_error_and_one_the_trigger_sets_is_not(tmp_path: Path) -> None:
    claimed = "coalesce((new.raw_user_meta_data ->> 'role')::public.user_role, 'security')"
    migration = write(tmp_path, "claimed.sql", SIGNUP.format(role=claimed))
    (finding,) = only(run(migration, None, baseline=[]), PROMOTION)
    assert finding.line == line_of(migration, "create trigger on_auth_user_created")
    assert "claiming user_metadata role = 'admin'" in finding.message
    assert '"settings_admins_read" on public.settings' in finding.message
    fixed = write(tmp_path, "fixed.sql", SIGNUP.format(role="'security'"))
    assert only(run(fixed, None, baseline=[]), PROMOTION) == []


def test_a_promotion_a_later_file_of_the_push_ends_is_a_warning_naming_it(tmp_path: Path) -> None:
    """faithflow: users updated their own role until a later file pinned it in WITH CHECK."""
    fix = (
        'drop policy "profiles_update_own" on public.profiles;\n'
        'create policy "profiles_update_own_but_role" on public.profiles for update to authenticated\n'
        "  using (id = (select auth.uid())) with check (id = (select auth.uid())\n"
        "  and role = (select p.role from public.profiles as p where p.id = (select auth.uid())));\n"
    )
    _, report = check(tmp_path, {"0001_profiles.sql": profiles(), "0002_fix.sql": fix})
    warned = [(name, message) for name, rule, message in found(report, "warning") if rule == PROMOTION]
    assert [name for name, _ in warned] == ["0001_profiles.sql"], report
    assert '0002_fix.sql:1:1 drops or rewrites policy "profiles_update_own"' in warned[0][1]
    assert PROMOTION not in {rule for _, rule, _ in found(report, "error")}
    # faithflow's 20260109 files opened it again: an error there
    reopen = (
        'drop policy "profiles_update_own_but_role" on public.profiles;\n'
        'create policy "profiles_update_again" on public.profiles for update to authenticated\n'
        "  using (id = (select auth.uid()));\n"
    )
    (tmp_path / "again").mkdir()
    files = {"0001_profiles.sql": profiles(), "0002_fix.sql": fix, "0003_reopen.sql": reopen}
    _, report = check(tmp_path / "again", files)
    errors = [name for name, rule, _ in found(report, "error") if rule == PROMOTION]
    assert errors == ["0003_reopen.sql"], report


# Members of an organisation, its admins manage its projects; {update} who may edit a membership row.
ORGS = """
begin;
create table public.orgs (
  id uuid primary key default gen_random_uuid(),
  name text not null
);
create table public.org_members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  primary key (org_id, user_id)
);
create function public.is_org_admin(_org uuid) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.org_members
  where org_id = _org and user_id = (select auth.uid()) and role in ('owner', 'admin')) $$;
create function public.is_org_member(_org uuid) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.org_members
  where org_id = _org and user_id = (select auth.uid())) $$;
alter table public.orgs enable row level security;
alter table public.org_members enable row level security;
create policy "orgs_members_read" on public.orgs for select to authenticated using (public.is_org_member(id));
create policy "org_members_read" on public.org_members
  for select to authenticated using (public.is_org_member(org_id));
create policy "org_members_update" on public.org_members
  for update to authenticated using ({update}) with check ({update});
create table public.projects (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  name text not null
);
create index projects_org_id_idx on public.projects (org_id);
alter table public.projects enable row level security;
create policy "projects_members_read" on public.projects
  for select to authenticated using (public.is_org_member(org_id));
create policy "projects_admins_delete" on public.projects
  for delete to authenticated using (public.is_org_admin(org_id));
commit;
"""


def test_a_member_raising_their_own_role_in_a_group_is_an_error(tmp_path: Path) -> None:
    """A member may edit their own membership row (notification settings, say), role included."""
    own = write(tmp_path, "own.sql", ORGS.format(update="user_id = (select auth.uid())"))
    (finding,) = only(run(own, None, baseline=[]), PROMOTION)
    assert finding.line == line_of(own, '"org_members_update"')
    assert "set role = 'owner' on their own row of public.org_members" in finding.message
    assert '"projects_admins_delete" on public.projects' in finding.message
    admins = write(tmp_path, "admins.sql", ORGS.format(update="public.is_org_admin(org_id)"))
    assert only(run(admins, None, baseline=[]), PROMOTION) == []


# A text role with no CHECK, compared with 'admin' only in a policy (gouda); the signup trigger copies it.
NO_CHECK = """create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  role text not null default 'user'
);
alter table public.profiles enable row level security;
create policy "profiles_own" on public.profiles
  for select to authenticated using ((select auth.uid()) = id);
{update}create table public.reports (id uuid primary key default gen_random_uuid(), body text);
alter table public.reports enable row level security;
create policy "reports_admins_read" on public.reports for select to authenticated using (
  exists (select 1 from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'));
"""
SIGNUP_FILE = """create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, role) values (new.id, coalesce(new.raw_user_meta_data ->> 'role', 'user'));
  return new;
end
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
"""


def test_a_text_role_without_check_is_tried_with_the_values_the_policies_name(tmp_path: Path) -> None:
    update = (
        'create policy "profiles_update_own" on public.profiles\n'
        "  for update using ((select auth.uid()) = id);\n"
    )
    migration = write(tmp_path, "no_check.sql", NO_CHECK.format(update=update))
    (finding,) = only(run(migration, None, baseline=[]), PROMOTION)
    assert "set role = 'admin'" in finding.message, finding.message


def test_a_signup_trigger_in_a_file_of_its_own_is_asked(tmp_path: Path) -> None:
    """A migration that only makes the signup trigger gives the RLS probes no table: it is asked still."""
    files = {"0001_schema.sql": NO_CHECK.format(update=""), "0002_signup.sql": SIGNUP_FILE}
    _, report = check(tmp_path, files)
    errors = [(name, message) for name, rule, message in found(report, "error") if rule == PROMOTION]
    assert [name for name, _ in errors] == ["0002_signup.sql"], report
    assert "claiming user_metadata role = 'admin'" in errors[0][1]


def test_string_constants_are_read_by_the_scanner() -> None:
    text = "select 'admin', E'it''s', $x$owner$x$ -- 'not this'\n from t where a = 'a''b'"
    assert string_constants(text) == ("admin", "it's", "owner", "a'b")
