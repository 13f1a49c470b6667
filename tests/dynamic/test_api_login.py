"""The probes log in as PostgREST does (checker/dynamic/api_login.py): session_user is authenticator,
the session acts as the migrating role between requests, and the role graph is given back exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.api_login import api_connection
from checker.dynamic.engines import EngineOptions
from checker.dynamic.privileges import MigratingSession, prepare_migrating_session, superuser_session
from checker.dynamic.probes import as_service_role
from checker.dynamic.seed import apply_seed
from checker.dynamic.world import USER_A, jwt_claims

from .helpers import require_engine
from .test_stage import items, only

pytestmark = pytest.mark.postgres

# Every grant of authenticator, with its options and grantor (the columns PostgreSQL 16 added included).
_MEMBERSHIPS = """
select to_jsonb(m) - 'oid' - 'roleid' || jsonb_build_object('member', m.member::regrole::text)
from pg_catalog.pg_auth_members m where m.roleid = 'authenticator'::regrole"""


@pytest.fixture(scope="module", params=["embedded", "local"])
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[psycopg.Connection, MigratingSession]]:
    """A seeded server: PostgreSQL 18 (embedded) and 15 (local), whose role grants differ."""
    engine = require_engine(
        request.param, EngineOptions(pg_version="15") if request.param == "local" else None
    )
    with engine as uri, psycopg.connect(uri, autocommit=True) as admin:
        superuser_session(admin)
        apply_seed(admin)
        yield admin, prepare_migrating_session(admin, uri)


def memberships(admin: psycopg.Connection) -> list[str]:
    return sorted(json.dumps(row[0], sort_keys=True) for row in admin.execute(_MEMBERSHIPS))


def test_the_probe_session_is_authenticator_acting_as_postgres(
    seeded: tuple[psycopg.Connection, MigratingSession],
) -> None:
    admin, session = seeded
    before = memberships(admin)
    with api_connection(admin, session.uri, session.acts_as) as conn:
        assert conn is not None
        assert conn.execute("select session_user, current_user").fetchone() == ("authenticator", "postgres")
        conn.execute("set role service_role")
        conn.execute("reset role")  # what the probes do after making their rows
        assert conn.execute("select current_user").fetchone() == ("postgres",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set role supabase_admin")  # no way up to the superuser
    assert memberships(admin) == before
    assert admin.execute("select pg_has_role('authenticator', 'postgres', 'MEMBER')").fetchone() == (False,)


def test_an_unusable_api_login_leaves_the_migrating_connection_in_charge(
    seeded: tuple[psycopg.Connection, MigratingSession],
) -> None:
    admin, session = seeded
    admin.execute("alter role authenticator nologin")
    try:
        with api_connection(admin, session.uri, session.acts_as) as conn:
            assert conn is None
    finally:
        admin.execute("alter role authenticator login")


# supabase-custom-claims' is_claims_admin(): anything but an API request is trusted as an internal writer.
CLAIMS_ADMIN = """
alter table public.items enable row level security;
create function public.is_claims_admin() returns boolean language plpgsql as $$
begin
  if session_user = 'authenticator' then
    return coalesce((current_setting('request.jwt.claims', true)::jsonb)->'app_metadata'->'claims_admin',
                    'false')::boolean;
  end if;
  return true;  -- not a user session: a trigger or the dashboard
end $$;
create policy "items_select_claims_admin" on public.items
  for select to authenticated using (public.is_claims_admin() or (select auth.uid()) = user_id);
"""
# A guard in a trigger, not a policy: API callers but the service may only write their own rows.
API_GUARD = """
alter table public.items enable row level security;
create function public.only_own_items() returns trigger language plpgsql as $$
begin
  if session_user = 'authenticator' and auth.role() is distinct from 'service_role'
     and new.user_id is distinct from auth.uid() then
    raise exception 'not yours';
  end if;
  return new;
end $$;
create trigger only_own_items before insert on public.items
  for each row execute function public.only_own_items();
create policy "items_insert_any" on public.items for insert to authenticated with check (true);
"""
ROLLBACK = """begin;
drop table if exists public.items;
drop function if exists public.is_claims_admin();
drop function if exists public.only_own_items();
commit;
"""


@pytest.mark.parametrize("extra", [CLAIMS_ADMIN, API_GUARD], ids=["claims-admin", "trigger-guard"])
def test_a_test_of_session_user_sees_an_api_request(tmp_path: Path, extra: str) -> None:
    findings = items(tmp_path, extra, rollback=ROLLBACK)
    assert not only(findings, "rls-probe"), findings  # neither a leak nor a public read
    assert not only(findings, "dynamic-rollback"), findings


def test_settings_a_migration_gives_the_api_login_do_not_switch_the_probes_off(tmp_path: Path) -> None:
    """`alter role authenticator set default_transaction_read_only = on` (or row_security = off) would make
    every probe fail or read past RLS: the probe's login sets them back."""
    leaky = (
        "alter table public.items enable row level security;\n"
        "alter role authenticator set default_transaction_read_only = on;\n"
        "alter role authenticator set row_security = off;\n"
        'create policy "items_select_signed_in" on public.items for select to authenticated\n'
        "  using ((select auth.uid()) is not null);\n"
    )
    rollback = "begin;\ndrop table if exists public.items;\nalter role authenticator reset all;\ncommit;\n"
    findings = items(tmp_path, leaky, rollback=rollback)
    leaks = [f.message for f in only(findings, "rls-probe") if f.severity.value == "error"]
    assert any("items_select_signed_in" in message for message in leaks), findings


def test_an_access_token_hook_sees_no_request_after_the_probes_service_role_work(
    seeded: tuple[psycopg.Connection, MigratingSession],
) -> None:
    """GoTrue calls the hook on a connection of its own, where no request's claims are set: the probe's
    rows, made with the service key's claims, must not show through (a hook branching on auth.role())."""
    admin, session = seeded
    with session.connect(session.uri) as migrating:
        migrating.execute(
            "create function public.seen_hook(event jsonb) returns jsonb language plpgsql as $$ begin\n"
            "  return jsonb_set(event, '{claims,seen}', to_jsonb(coalesce(auth.role(), 'nobody'))); end $$;\n"
            "grant execute on function public.seen_hook(jsonb) to supabase_auth_admin"
        )
    with api_connection(admin, session.uri, session.acts_as) as conn, conn.transaction(force_rollback=True):
        assert conn is not None
        with as_service_role(conn):
            assert conn.execute("select auth.role()").fetchone() == ("service_role",)
        assert jwt_claims(conn, "authenticated", USER_A)["seen"] == "nobody"
