"""`create extension` as on Supabase: the real one, else a stand-in, else "not verified" (exit 2).

Runs the real CLI on real servers: the embedded PostgreSQL 18 (no postgis; pgcrypto as a stand-in)
and Debian's PostgreSQL 15 with postgis (installed by .ci/run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.dynamic.engines import EngineOptions
from checker.dynamic.engines.local import LocalEngine

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]

POSTGIS_MIGRATION = """\
create extension if not exists postgis with schema extensions;
create table public.places (id bigint primary key, spot extensions.geometry(point, 4326));
alter table public.places enable row level security;
"""


def verify(folder: Path, *args: str, target: str = "m.sql") -> tuple[int, list[dict]]:
    done = subprocess.run(
        [sys.executable, "-m", "checker", "verify", target, "--format", "json", *args],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)["findings"] if done.stdout.strip() else []


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    return tmp_path


def require_local_postgis() -> None:
    require_engine("local")
    if "postgis" not in (LocalEngine.available_extensions(EngineOptions()) or frozenset()):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the local PostgreSQL has no postgis (.ci/run installs it)")
        pytest.skip("the local PostgreSQL has no postgis (Debian: postgresql-15-postgis-3)")


def test_an_extension_no_engine_has_is_not_verified_and_exits_2(folder: Path) -> None:
    require_engine("embedded")
    # a repeat of the CREATE (a no-op where the extension exists: quivr's init has one) is not said again
    (folder / "m.sql").write_text(
        POSTGIS_MIGRATION + POSTGIS_MIGRATION.splitlines()[0] + "\n", encoding="utf-8"
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 2, findings
    (finding,) = [f for f in findings if f["rule"] == "dynamic-not-verified"]
    assert finding["severity"] == "error" and finding["line"] == 1
    assert "extension postgis" in finding["message"] and "not verified" in finding["message"]
    assert "postgresql-15-postgis-3" in finding["hint"] and "supabase/postgres" in finding["hint"]
    assert [f for f in findings if f["rule"] == "dynamic-apply"] == []  # never blamed on the migration


@pytest.mark.parametrize("accept", [("--accept-unverified",), ()])
def test_unverified_migrations_can_be_accepted_as_warnings(folder: Path, accept: tuple[str, ...]) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(POSTGIS_MIGRATION, encoding="utf-8")
    if not accept:
        (folder / "pyproject.toml").write_text('[tool.checker]\nunverified = "warn"\n', encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded", *accept)
    assert code == 0, findings
    assert [f["severity"] for f in findings if f["rule"] == "dynamic-not-verified"] == ["warning"]


def test_the_local_engine_with_postgis_applies_it_as_postgres(folder: Path) -> None:
    require_local_postgis()
    (folder / "m.sql").write_text(POSTGIS_MIGRATION, encoding="utf-8")
    code, findings = verify(folder, "--engine", "local")
    assert code == 0, findings


def test_auto_picks_the_engine_that_has_every_extension(folder: Path) -> None:
    require_local_postgis()
    require_engine("embedded")  # first in auto's order, but without postgis
    (folder / "m.sql").write_text(POSTGIS_MIGRATION, encoding="utf-8")
    code, findings = verify(folder, "--engine", "auto")
    assert code == 0, findings
    assert not [f for f in findings if f["rule"] == "dynamic-not-verified"]


def test_a_stand_in_is_reported_once_with_what_it_approximates(folder: Path) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "drop extension if exists pgcrypto cascade;\n"
        "create extension pgcrypto with schema extensions;\n"
        "create table public.t (id bigint primary key, h bytea default extensions.digest('x', 'sha1'));\n"
        "alter table public.t enable row level security;\n",
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    (standin,) = [f for f in findings if f["rule"] == "dynamic-stand-in"]
    assert standin["severity"] == "info" and standin["line"] == 2
    assert "pgcrypto" in standin["message"] and "not bcrypt" in standin["message"]
    assert "postgresql-15" in standin["hint"]


def test_a_pre_installed_stand_in_is_reported_where_the_migration_calls_it(folder: Path) -> None:
    """The seed pre-installs pgcrypto in extensions, as Supabase does; on PostgreSQL 18 it is the stand-in."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "create table public.accounts (id bigint primary key, pin text);\n"
        "alter table public.accounts enable row level security;\n"
        "insert into public.accounts values (1, extensions.crypt('1234', extensions.gen_salt('bf')));\n",
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    (standin,) = [f for f in findings if f["rule"] == "dynamic-stand-in"]
    assert standin["line"] == 3 and "pgcrypto" in standin["message"]


# pg_graphql was on by default from April 2022 (20220404205710_pg_graphql-on-by-default.sql) until April
# 2026 (20260421000000_pg_graphql-off-by-default.sql): the seed pre-installs it, as projects of those years
# have it, and a newer project's plain CREATE replaces the seed's copy. Each form applies on the embedded
# server.
GRAPHQL_MIGRATIONS = {
    # Supabase's API hardening guide, as leadminer's 20241205095428_migrate_to_private_schema.sql runs it
    "hardening": "DROP EXTENSION pg_graphql;\n",
    # a project made since April 2026 turning GraphQL on
    "newer project": "create extension pg_graphql with schema graphql;\nselect graphql.get_schema_version();",
    # Supabase's docs, upgrading pg_graphql
    "upgrade": "drop extension pg_graphql;\ncreate extension pg_graphql;\n",
    # every `supabase db pull` dump
    "dump": 'CREATE EXTENSION IF NOT EXISTS "pg_graphql" WITH SCHEMA "graphql";\n',
}


@pytest.mark.parametrize("form", sorted(GRAPHQL_MIGRATIONS))
def test_pg_graphql_statements_of_either_generation_apply(folder: Path, form: str) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(GRAPHQL_MIGRATIONS[form], encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    assert [f for f in findings if f["severity"] != "info"] == []


@pytest.mark.parametrize("extension", ["pg_graphql", "pgsodium"])
def test_dropping_a_seed_extension_where_the_server_lacks_it_is_not_verified(
    folder: Path, extension: str
) -> None:
    """Debian's PostgreSQL 15 has neither: the seed cannot pre-install them, so the DROP is not blamed."""
    require_engine("local")
    (folder / "m.sql").write_text(f"DROP EXTENSION {extension};\n", encoding="utf-8")
    code, findings = verify(folder, "--engine", "local")
    assert code == 2, findings
    (finding,) = [f for f in findings if f["rule"] == "dynamic-not-verified"]
    assert f"extension {extension}" in finding["message"] and finding["line"] == 1
    assert [f for f in findings if f["rule"] == "dynamic-apply"] == []


# How real projects create and use the extensions Supabase offers and the embedded server lacks: each
# applies there through the checker's stand-in, reported at the CREATE EXTENSION.
STANDIN_MIGRATIONS = {
    # Supabase Wrappers, as FlutterKaigi/2024's 20240904185013_add_stripe_wrapper.sql declares Stripe's
    "wrappers": """\
create extension if not exists wrappers with schema extensions;
create foreign data wrapper stripe_wrapper handler stripe_fdw_handler validator stripe_fdw_validator;
create server stripe_server foreign data wrapper stripe_wrapper
  options (api_key_id '5e4e0c80-1b2c-4d5e-8f90-a1b2c3d4e5f6', api_key_name 'stripe');
create schema stripe;
create foreign table stripe.checkout_sessions (id text, customer text, attrs jsonb)
  server stripe_server options (object 'checkout/sessions', rowid_column 'id');
select name, version from extensions.stripe_fdw_meta();
""",
    # every `supabase db pull` dump has this line (a project's remote_schema.sql)
    "pg_graphql": """\
CREATE EXTENSION IF NOT EXISTS "pg_graphql" WITH SCHEMA "graphql";
comment on schema public is '@graphql({"inflect_names": true})';
create function public.gql(query text) returns jsonb language sql as $$ select graphql.resolve(query) $$;
select public.gql('{ __typename }');
""",
    # Supabase Queues, as a hand-written migration creates a queue and wraps pgmq for Edge Functions
    "pgmq": """\
CREATE EXTENSION IF NOT EXISTS pgmq;
SELECT FROM pgmq.create('queue_sync_steam');
create function public.pgmq_read(queue_name text, vt integer, qty integer)
  returns setof pgmq.message_record language plpgsql security definer set search_path = pgmq as $$
begin
  return query select * from pgmq.read(queue_name, vt, qty);
end $$;
revoke all on function public.pgmq_read(text, integer, integer) from public, anon, authenticated;
select pgmq.send_batch('queue_sync_steam', array['{"profile_id": 1}'::jsonb]);
select count(*) from public.pgmq_read('queue_sync_steam', 30, 10);
""",
    # pgsql-http, as chatbot-ui's setup.sql calls storage's API from a function
    "http": """\
create extension http with schema extensions;
create function public.delete_object(bucket text, object text, out status int, out content text)
returns record language plpgsql security definer as $$
begin
  select into status, content result.status::int, result.content::text
  from extensions.http((
    'DELETE', 'http://kong:8000/storage/v1/object/' || bucket || '/' || object,
    array[extensions.http_header('authorization', 'Bearer key')], null, null
  )::extensions.http_request) as result;
end $$;
revoke all on function public.delete_object(text, text) from public, anon, authenticated;
select * from public.delete_object('avatars', 'a.png');
""",
    # pgaudit as Supabase's docs enable it, and as a `supabase db pull` dump of a project that has it (the
    # grants on its functions); its settings are the ones supautils lets postgres change
    "pgaudit": """\
CREATE EXTENSION IF NOT EXISTS "pgaudit" WITH SCHEMA "public";
alter role postgres set pgaudit.log to 'write, ddl';
alter role authenticated set pgaudit.log to 'write';
set pgaudit.log_level = 'info';
GRANT ALL ON FUNCTION "public"."pgaudit_ddl_command_end"() TO "postgres";
GRANT ALL ON FUNCTION "public"."pgaudit_sql_drop"() TO "service_role";
""",
    # HypoPG as a migration tries an index before creating it (hypopg_create_index, then the list)
    "hypopg": """\
CREATE EXTENSION IF NOT EXISTS "hypopg" WITH SCHEMA "extensions";
create table public.events (id bigint primary key, kind text not null);
alter table public.events enable row level security;
select * from extensions.hypopg_create_index('create index on public.events (kind)');
select count(*) from extensions.hypopg_list_indexes;
select extensions.hypopg_reset();
""",
    # Supabase's Query Performance advisor, asked from SQL (cascade brings hypopg, which it requires)
    "index_advisor": """\
create extension if not exists index_advisor with schema extensions cascade;
create table public.books (id bigint primary key, title text);
alter table public.books enable row level security;
select index_statements, errors from extensions.index_advisor('select id from public.books where title = $1');
""",
    # plpgsql_check as a project's verify_function() asks it about its own functions (from a dump)
    "plpgsql_check": """\
CREATE EXTENSION IF NOT EXISTS "plpgsql_check" WITH SCHEMA "extensions";
create function public.verify_function(f regproc, relid regclass default 0) returns void
language plpgsql security definer set search_path = public, extensions as $$
declare
  error text[];
begin
  select array_agg(plpgsql_check_function) into error
  from plpgsql_check_function(funcoid => f, relid => relid, performance_warnings => true,
                              extra_warnings => true, security_warnings => true);
  if array_length(error, 1) > 0 then
    raise exception 'Error when checking function %', f using detail = array_to_string(error, E'\\n');
  end if;
end $$;
revoke all on function public.verify_function(regproc, regclass) from public, anon, authenticated;
create function public.answer() returns int language plpgsql as $$ begin return 42; end $$;
select public.verify_function('public.answer');
""",
    # pg_tle as capgo's dump creates it (no schema: its control file names pgtle), then a TLE registered as
    # database.dev's installer does it; postgres may, as Supabase grants it pgtle_admin after the create
    "pg_tle": """\
CREATE EXTENSION IF NOT EXISTS "pg_tle";
select pgtle.uninstall_extension_if_exists('hello');
select pgtle.install_extension('hello', '1.0', 'Says hello',
  $_pg_tle_$ create function hello() returns text language sql as $$ select 'hello' $$; $_pg_tle_$);
select count(*) from pgtle.available_extensions() where name = 'hello';
""",
}


def test_a_dump_with_supabases_advisor_extensions_applies(folder: Path) -> None:
    """As capgo's and community-archive's `supabase db pull` baselines create them, hypopg first."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        'CREATE EXTENSION IF NOT EXISTS "hypopg" WITH SCHEMA "extensions";\n'
        'CREATE EXTENSION IF NOT EXISTS "index_advisor" WITH SCHEMA "extensions";\n',
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    standins = [f for f in findings if f["rule"] == "dynamic-stand-in"]
    reported = sorted((f["line"], f["message"].split()[1]) for f in standins)
    assert reported == [(1, "hypopg"), (2, "index_advisor")]


@pytest.mark.parametrize("extension", sorted(STANDIN_MIGRATIONS))
def test_extensions_supabase_offers_apply_through_their_stand_ins(folder: Path, extension: str) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(STANDIN_MIGRATIONS[extension], encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    assert [f for f in findings if f["rule"] in ("dynamic-not-verified", "dynamic-apply")] == []
    (standin,) = [f for f in findings if f["rule"] == "dynamic-stand-in"]
    assert standin["line"] == 1 and f"extension {extension} is the checker's stand-in" in standin["message"]


# pgsodium is pre-installed on Supabase's PostgreSQL 15 and 16 (supabase/postgres migrations/schema-15.sql):
# every `supabase db pull` dump of those projects creates it IF NOT EXISTS, and projects encrypt with it.
PGSODIUM_DUMP = """\
CREATE EXTENSION IF NOT EXISTS "pgsodium" WITH SCHEMA "pgsodium";
create table public.notes (id uuid primary key default gen_random_uuid(), body bytea);
alter table public.notes enable row level security;
select pgsodium.create_key(name => 'notes');
insert into public.notes (body) select pgsodium.crypto_aead_det_encrypt(
  convert_to('hello', 'utf8'), convert_to('notes', 'utf8'),
  (select id from pgsodium.valid_key where name = 'notes'));
select convert_from(pgsodium.crypto_aead_det_decrypt(body, convert_to('notes', 'utf8'),
  (select id from pgsodium.valid_key where name = 'notes')), 'utf8') from public.notes;
"""


def test_a_dump_that_creates_pgsodium_applies_where_supabase_pre_installs_it(folder: Path) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(PGSODIUM_DUMP, encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    assert [f for f in findings if f["severity"] != "info"] == []
    (standin,) = [f for f in findings if f["rule"] == "dynamic-stand-in"]
    assert standin["line"] == 1 and "pgsodium" in standin["message"]


def test_a_newer_projects_plain_create_extension_pgsodium_replaces_the_seeds_copy(folder: Path) -> None:
    """Projects made since April 2025 have no pgsodium until they create it (supabase/cli#3358)."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "create extension pgsodium;\nselect length(pgsodium.crypto_aead_det_keygen());\n", encoding="utf-8"
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    assert [f for f in findings if f["severity"] != "info"] == []


def test_a_newer_projects_own_pgsodium_schema_and_its_rollback_meet_no_seed_copy(folder: Path) -> None:
    """A project made since April 2025 creates the schema, then the extension, and its rollback drops both:
    the seed's copy makes way before the migration, so nothing is blamed (before: "schema pgsodium already
    exists", then nine rollback differences against the copy)."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "begin;\ncreate schema pgsodium;\ncreate extension pgsodium with schema pgsodium;\n"
        "select length(pgsodium.crypto_aead_det_keygen());\ncommit;\n",
        encoding="utf-8",
    )
    (folder / "r.sql").write_text(
        "begin;\ndrop extension pgsodium;\ndrop schema pgsodium;\ncommit;\n", encoding="utf-8"
    )
    code, findings = verify(folder, "--engine", "embedded", "--rollback", "r.sql")
    assert code == 0, findings
    assert [f for f in findings if f["severity"] != "info"] == []


def test_a_newer_projects_pgsodium_made_in_a_do_block_meets_no_seed_copy(folder: Path) -> None:
    """The seed's copy makes way for a CREATE inside a DO block as for one at the top level."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "do $$ begin create extension pgsodium with schema pgsodium; end $$;\n"
        "select length(pgsodium.crypto_aead_det_keygen());\n",
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    assert [f for f in findings if f["severity"] != "info"] == []


def test_a_schema_the_seeds_pgsodium_is_used_from_stays_and_its_creation_is_blamed(folder: Path) -> None:
    """Where an earlier migration already uses the seed's copy, it is the project's pgsodium: a later
    CREATE SCHEMA pgsodium fails, as on a project that has the extension."""
    require_engine("embedded")
    migrations = folder / "migrations"
    migrations.mkdir()
    (migrations / "1_keys.sql").write_text(
        "create table public.keys (id bigint primary key,\n"
        "  nonce bytea default pgsodium.crypto_aead_det_noncegen());\n"
        "alter table public.keys enable row level security;\n",
        encoding="utf-8",
    )
    (migrations / "2_schema.sql").write_text("create schema pgsodium;\n", encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded", target="migrations")
    assert code == 1, findings
    (failure,) = [f for f in findings if f["rule"] == "dynamic-apply"]
    assert failure["file"].endswith("2_schema.sql") and failure["line"] == 1, failure
    assert 'schema "pgsodium" already exists' in failure["message"]


@pytest.mark.parametrize(
    "reading",
    [
        "select count(*) from stripe.customers;",
        "import foreign schema stripe from server stripe_server into stripe;",
        "analyze stripe.customers;",
    ],
)
def test_reading_a_foreign_table_of_the_wrappers_stand_in_is_not_verified(folder: Path, reading: str) -> None:
    """Declaring works as on Supabase; reading asks the handler, which the stand-in cannot be."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        STANDIN_MIGRATIONS["wrappers"].replace("checkout_sessions", "customers") + reading + "\n",
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 2, findings
    (lack,) = [f for f in findings if f["rule"] == "dynamic-not-verified"]
    assert lack["line"] == 9 and "foreign table of the wrappers stand-in" in lack["message"], lack
    assert [f for f in findings if f["rule"] == "dynamic-apply"] == []


def test_a_version_supabase_ships_and_the_server_lacks_makes_the_servers_own(folder: Path) -> None:
    """gridaco/grida pins pgmq 1.4.4; the stand-in is 1.5.1: said (info), not blamed, and the later
    migrations run (before: "has no installation script nor update path", and the rest not applied)."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "create extension if not exists pg_net with schema extensions version '0.14.0';\n"
        "create extension pgmq version '1.4.4';\n"
        "select from pgmq.create('jobs');\n"
        "create extension if not exists pg_trgm with schema extensions;\n"
        "create extension if not exists pg_trgm with schema extensions version '1.5';\n",  # offered: silent
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    versions = [(f["line"], f["message"]) for f in findings if f["rule"] == "dynamic-apply"]
    assert versions == [
        (1, "extension pg_net 0.14.0 is not on this server: its 0.20.4 was created instead"),
        (2, "extension pgmq 1.4.4 is not on this server: its 1.5.1 was created instead"),
    ]


def test_a_pgsodium_function_the_stand_in_does_not_reproduce_is_not_verified(folder: Path) -> None:
    """Not a failure of the migration: the stand-in refuses crypto_box_seal, and the run says so (exit 2)."""
    require_engine("embedded")
    (folder / "m.sql").write_text(
        "create table public.t (id bigint primary key);\nalter table public.t enable row level security;\n"
        "select pgsodium.crypto_box_seal('x'::bytea, (pgsodium.crypto_box_new_keypair()).public);\n",
        encoding="utf-8",
    )
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 2, findings
    assert [f["rule"] for f in findings if f["severity"] == "error"] == ["dynamic-not-verified"]
    (refused,) = [f for f in findings if f["rule"] == "dynamic-not-verified"]
    assert refused["line"] == 3
    refusal = "pgsodium.crypto_box_seal(bytea, bytea) is not reproduced by the checker's stand-in"
    assert refusal in refused["message"]
    assert "real pgsodium" in refused["hint"]


LABELLED = (
    "create table public.t (id bigint primary key, secret text);\n"
    "alter table public.t enable row level security;\n"
    "security label for pgsodium on column public.t.secret is 'ENCRYPT WITH KEY ID "
    "dfc44293-c411-4e9e-bd23-95c9a1d32ede';\n"
)


def test_a_pgsodium_security_label_is_not_run_on_the_stand_in_and_the_run_goes_on(folder: Path) -> None:
    """SECURITY LABEL FOR pgsodium (Transparent Column Encryption, herocast's first migration) needs the
    label provider the real pgsodium registers: skipped with a warning, and what does not need it verifies."""
    require_engine("embedded")
    (folder / "m.sql").write_text(LABELLED + "insert into public.t values (1, 'x');\n", encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 0, findings
    (skipped,) = [f for f in findings if f["severity"] != "info"]
    assert skipped["rule"] == "dynamic-apply" and skipped["severity"] == "warning" and skipped["line"] == 3
    assert skipped["message"].startswith("not run: SECURITY LABEL FOR pgsodium")


def test_what_needs_the_skipped_label_is_not_verified_rather_than_blamed(folder: Path) -> None:
    """On Supabase the label makes public.decrypted_t; here it cannot, so a statement reading it fails for
    the server's want, not the migration's."""
    require_engine("embedded")
    reads = "select decrypted_secret from public.decrypted_t;\n"
    (folder / "m.sql").write_text(LABELLED + reads, encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 2, findings
    (refused,) = [f for f in findings if f["severity"] == "error"]
    assert refused["rule"] == "dynamic-not-verified" and refused["line"] == 4
    assert "after the run skipped SECURITY LABEL FOR pgsodium at m.sql:3" in refused["message"]


def test_a_security_label_without_any_provider_is_not_verified(folder: Path) -> None:
    """Where no provider is loaded at all (no pgsodium: Debian's PostgreSQL 15), the label itself fails."""
    require_engine("local")
    (folder / "m.sql").write_text(LABELLED, encoding="utf-8")
    code, findings = verify(folder, "--engine", "local")
    assert code == 2, findings
    (refused,) = [f for f in findings if f["severity"] == "error"]
    assert refused["rule"] == "dynamic-not-verified" and refused["line"] == 3
    assert "label provider" in refused["message"] and "supabase/postgres" in refused["hint"]


def test_a_failure_unrelated_to_the_skipped_label_is_still_blamed(folder: Path) -> None:
    require_engine("embedded")
    (folder / "m.sql").write_text(LABELLED + "select nonexistent from public.other;\n", encoding="utf-8")
    code, findings = verify(folder, "--engine", "embedded")
    assert code == 1, findings
    (failed,) = [f for f in findings if f["severity"] == "error"]
    assert failed["rule"] == "dynamic-apply" and failed["line"] == 4
