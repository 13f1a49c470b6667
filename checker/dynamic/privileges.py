"""Who runs what in the dynamic stage, as on a hosted Supabase project.

On Supabase, migrations run as `postgres`, which is not a superuser; the supautils extension lets it
create the extensions Supabase offers (running just that statement as `supabase_admin`) and reserves
Supabase's own roles, memberships and most server settings. Here:

- the superuser (`supabase_admin`, or the role of `--dsn`) runs only the seed and the checker's own
  catalog queries (pre-checks, snapshots, validation);
- everything a project wrote — baseline, migrations, rollbacks, smoke files — and the RLS probes run
  on a connection that logged in as `postgres` (or, on a `--dsn` server whose `postgres` is a
  superuser, as a role made for the run with postgres's attributes). Logging in as that role, not
  `SET ROLE`, is what matters: a session that started as a superuser can always become one again;
- `create extension`, `alter extension ... update` and `drop extension` of an extension in
  `PRIVILEGED_EXTENSIONS` run through SECURITY DEFINER functions of the schema `PRIVATE_SCHEMA`,
  inside the migration's own transaction, as supautils does. Those functions accept nothing else;
- `SET [LOCAL]`, `SET ... TO DEFAULT` and `RESET` of a setting in `ALLOWED_CONFIGS`
  (supautils.privileged_role_allowed_configs: `session_replication_role`, `pgrst.*` ...), and
  `ALTER ROLE <role> SET/RESET` of one, run the same way: supautils runs them as the superuser. Other
  settings, and ALTER ROLE ... SET of them, stay under PostgreSQL's own rules for postgres (from
  PostgreSQL 16, postgres administers anon, authenticated, service_role and authenticator, as on
  Supabase: the seed's 99_postgres.sql);
- statements on `RESERVED_ROLES` and grants of `RESERVED_MEMBERSHIPS` are refused as on Supabase.

A project's SQL may call the functions of `PRIVATE_SCHEMA` itself: only the migrating role may execute
them, and each checks its arguments as supautils checks the statement (names are quoted with %I, values
with %L), so a direct call does no more than the statement it stands for.

The facts are supabase/postgres's supautils configuration (ansible/files/postgresql_config/
supautils.conf.j2) and its extension scripts (postgresql_extension_custom_scripts/).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from checker.dynamic.seed import seed_file
from checker.dynamic.standins import STANDIN_COMMENT, STANDINS
from checker.errors import EngineError
from checker.model.objects import option_value
from checker.parse import Statement

MIGRATING_ROLE = "postgres"
POSTGRES_SEED_FILE = "99_postgres.sql"  # what the seed gives postgres
PRIVATE_SCHEMA = "checker_supautils"

# supautils.privileged_extensions. Not pgmq: supautils.conf.j2 has it "omitted because doesn't require
# superuser" (supabase/postgres#1299, "pgmq and partman owned by postgres"), so postgres creates it itself
# and owns its schema, its functions and the queue tables pgmq.create() makes.
PRIVILEGED_EXTENSIONS = frozenset(
    {
        "address_standardizer",
        "address_standardizer_data_us",
        "autoinc",
        "bloom",
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "dblink",
        "dict_int",
        "dict_xsyn",
        "earthdistance",
        "fuzzystrmatch",
        "hstore",
        "http",
        "hypopg",
        "index_advisor",
        "insert_username",
        "intarray",
        "isn",
        "ltree",
        "moddatetime",
        "orioledb",
        "pg_cron",
        "pg_graphql",
        "pg_hashids",
        "pg_jsonschema",
        "pg_net",
        "pg_partman",
        "pg_repack",
        "pg_stat_monitor",
        "pg_stat_statements",
        "pg_tle",
        "pg_trgm",
        "pg_walinspect",
        "pgaudit",
        "pgcrypto",
        "pgjwt",
        "pg_prewarm",
        "pgroonga",
        "pgroonga_database",
        "pgrouting",
        "pgrowlocks",
        "pgstattuple",
        "pgsodium",
        "pgtap",
        "plcoffee",
        "pljava",
        "plls",
        "plpgsql",
        "plpgsql_check",
        "plv8",
        "postgis",
        "postgis_raster",
        "postgis_sfcgal",
        "postgis_tiger_geocoder",
        "postgis_topology",
        "postgres_fdw",
        "refint",
        "rum",
        "seg",
        "sslinfo",
        "supabase_vault",
        "supautils",
        "tablefunc",
        "tcn",
        "timescaledb",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
        "vector",
        "wrappers",
    }
)
# Extensions the seed pre-installs that not every Supabase project has: pg_graphql, on by default from April
# 2022 (20220404205710_pg_graphql-on-by-default.sql) until April 2026 (20260421000000_pg_graphql-off-by-
# default.sql), and pgsodium, pre-installed until Postgres 15.8.1.060 (March 2025; new projects from April
# 2025 lack it). The seed installs them, as older projects' migrations assume (`drop extension pg_graphql`,
# the dumps' `create extension if not exists "pgsodium" with schema "pgsodium"`); a plain CREATE EXTENSION of
# one, which works on a newer project, replaces the seed's copy instead of failing.
SEED_GIVES_WAY = frozenset({"pg_graphql", "pgsodium"})
# supautils.extensions_parameter_overrides: pg_cron always lands in pg_catalog
EXTENSION_SCHEMA_OVERRIDES = {"pg_cron": "pg_catalog"}
# supautils.reserved_roles ("*": the role's settings may be changed, nothing else)
RESERVED_ROLES = (
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_read_only_user",
    "supabase_replication_admin",
    "dashboard_user",
    "pgbouncer",
    "service_role*",
    "authenticator*",
    "authenticated*",
    "anon*",
)
# supautils.privileged_role_allowed_configs: settings only a superuser may set in PostgreSQL that
# supautils lets postgres set (it runs the SET, RESET or ALTER ROLE ... SET as the superuser). A final
# `*` allows every name starting with what precedes it (supautils' is_string_in_comma_delimited_string).
ALLOWED_CONFIGS = (
    "auto_explain.log_min_duration",
    "auto_explain.log_nested_statements",
    "log_lock_waits",
    "log_min_messages",
    "pg_net.batch_size",
    "pg_net.ttl",
    "pgaudit.log",
    "pgaudit.log_catalog",
    "pgaudit.log_client",
    "pgaudit.log_level",
    "pgaudit.log_relation",
    "pgaudit.log_rows",
    "pgaudit.log_statement",
    "pgaudit.log_statement_once",
    "pgaudit.role",
    "pgrst.*",
    "plan_filter.*",
    "safeupdate.enabled",
    "session_replication_role",
    "track_io_timing",
)
# supautils.reserved_memberships
RESERVED_MEMBERSHIPS = frozenset(
    {"pg_read_server_files", "pg_write_server_files", "pg_execute_server_program", "authenticator"}
)

NEEDS_SUPERUSER_HINT = (
    "on Supabase, migrations run as the non-superuser postgres, which lacks this privilege: "
    "this statement needs superuser (or a grant Supabase does not give); it would fail there too"
)

# What supautils runs after creating these (extension-custom-scripts/<name>/after-create.sql).
_AFTER_CREATE = {
    "pgsodium": """
        grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) to service_role;
        grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) to service_role;
        grant execute on function pgsodium.crypto_aead_det_keygen() to service_role;""",
    "pg_tle": """
        grant pgtle_admin to {role};""",
    "pg_cron": """
        grant usage on schema cron to {role} with grant option;
        grant all on all functions in schema cron to {role} with grant option;
        grant all privileges on all tables in schema cron to {role} with grant option;
        revoke all on table cron.job from {role};
        grant select on table cron.job to {role} with grant option;""",
}


# PostgreSQL's own contrib extensions Supabase offers: their scripts are written to be safe in a schema
# others can create objects in (CVE-2020-14350), as trusted extensions' are.
CORE_CONTRIB = frozenset(
    {
        "autoinc",
        "bloom",
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "dblink",
        "dict_int",
        "dict_xsyn",
        "earthdistance",
        "fuzzystrmatch",
        "hstore",
        "insert_username",
        "intarray",
        "isn",
        "lo",
        "ltree",
        "moddatetime",
        "pg_stat_statements",
        "pg_trgm",
        "pg_walinspect",
        "pgcrypto",
        "pgrowlocks",
        "postgres_fdw",
        "refint",
        "seg",
        "sslinfo",
        "tablefunc",
        "tcn",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
    }
)

# supautils lets postgres create event triggers (as the superuser, then owned by postgres) and skips them
# for superusers; here that takes PostgreSQL 17's event_triggers setting, off wherever the superuser runs
# statements. Before 17 a project's event trigger would run as the superuser: not verified (capabilities).
EVENT_TRIGGERS_FROM = 17
# The start of a privileged function's refusal of what would run as the superuser here but not on
# Supabase: the statement is not verified (capabilities.lack_in_failure), not blamed.
REFUSAL = "checker cannot safely run"


def _event_trigger_sql(definer: str) -> str:
    return f"""
create or replace function {PRIVATE_SCHEMA}.create_event_trigger(
  name text, event text, tags text[], function text[], caller_schemas name[], owner_role text
) returns void
language plpgsql {definer} as $fn$
declare
  runs regprocedure;
begin
  owner_role := {PRIVATE_SCHEMA}.acting_as(owner_role);
  if event not in ('ddl_command_start', 'ddl_command_end', 'sql_drop', 'table_rewrite') then
    -- a login trigger would run as the checker's superuser when it connects (before any SET)
    raise exception feature_not_supported using message = format(
      '{REFUSAL} an event trigger on %s, which would run as the checker''s superuser,', event);
  end if;
  runs := {PRIVATE_SCHEMA}.function_named(function, '{{}}', caller_schemas);
  if {PRIVATE_SCHEMA}.superusers(runs) then
    raise exception using errcode = 'XX000',
      message = 'Non-superuser owned event trigger must execute a non-superuser owned function',
      detail = format('The current user "%s" is not a superuser and the function "%s" is owned by a '
                      'superuser', owner_role, array_to_string(function, '.'));
  end if;
  execute format('create event trigger %I on %I', name, event)
    || case when tags is null then ''
            else format(' when tag in (%s)', (select string_agg(quote_literal(t), ', ') from unnest(tags) t))
       end
    || format(' execute function %s()', runs::regproc);
  perform {PRIVATE_SCHEMA}.give_to_caller('event trigger', name, owner_role);
end $fn$;
"""


def reserved_role(name: str, settings_only: bool = False) -> bool:
    """Whether supautils reserves the role; `settings_only`: an ALTER ROLE ... SET, allowed on `name*`.

    The `*` is no wildcard here: supautils (is_reserved_role) removes it and compares the rest with the
    role's name, so `anon*` reserves `anon`, not `anon_reader`.
    """
    return name in RESERVED_ROLES or (not settings_only and configurable_role(name))


def configurable_role(name: str) -> bool:
    """A reserved role whose settings supautils lets postgres change (`name*` in reserved_roles)."""
    return any(pattern.endswith("*") and name == pattern[:-1] for pattern in RESERVED_ROLES)


def allowed_config(name: str | None) -> bool:
    """Whether supautils lets postgres set the setting: the name as written (case counts, as in
    supautils' strcmp), or a prefix before a final `*`."""
    if not name:
        return False
    return any(
        name.startswith(pattern[:-1]) if len(pattern) > 1 and pattern.endswith("*") else name == pattern
        for pattern in ALLOWED_CONFIGS
    )


def _sql_list(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _function_sql(role: str, seed_copies: dict[str, int] | None = None, major: int = 15) -> str:
    """The privileged functions; `role` (already quoted) alone may execute them. `seed_copies`: the oids of
    the SEED_GIVES_WAY extensions the seed installed, which a project's plain CREATE EXTENSION replaces.
    From PostgreSQL 17 they run with event triggers off, as supautils skips postgres's event triggers for
    the superuser: a project's event trigger never runs as the superuser (EVENT_TRIGGERS_FROM)."""
    definer = "security definer set search_path = pg_catalog, pg_temp"
    if major >= EVENT_TRIGGERS_FROM:
        definer += " set event_triggers = off"
    allowed = _sql_list(sorted(PRIVILEGED_EXTENSIONS))
    exact_configs = _sql_list(name for name in ALLOWED_CONFIGS if not name.endswith("*"))
    config_prefixes = _sql_list(name[:-1] for name in ALLOWED_CONFIGS if name.endswith("*"))
    reserved = _sql_list(name for name in RESERVED_ROLES if not name.endswith("*"))
    configurable = _sql_list(name[:-1] for name in RESERVED_ROLES if name.endswith("*"))
    copies = sorted((seed_copies or {}).items())
    seed_values = ", ".join(f"('{name}'::name, {oid}::oid)" for name, oid in copies)
    seed_values = seed_values or "(null::name, null::oid)"
    overrides = " ".join(
        f"when '{name}' then '{schema}'" for name, schema in EXTENSION_SCHEMA_OVERRIDES.items()
    )
    after = " ".join(
        f"when '{name}' then execute $after${script.format(role=role)}$after$;"
        for name, script in _AFTER_CREATE.items()
    )
    core_contrib = _sql_list(sorted(CORE_CONTRIB))
    pinned_standins = _sql_list(sorted(name for name, standin in STANDINS.items() if standin.pinned))
    event_trigger_sql = _event_trigger_sql(definer) if major >= EVENT_TRIGGERS_FROM else ""
    event_trigger_grant = (
        f"\ngrant execute on function {PRIVATE_SCHEMA}.create_event_trigger("
        f"text, text, text[], text[], name[], text) to {role};"
        if event_trigger_sql
        else ""
    )
    # Every function's search_path names pg_temp last: unnamed, the session's temporary schema is searched
    # first, and a temporary view named pg_roles or pg_extension would answer the checks below.
    return f"""
create schema if not exists {PRIVATE_SCHEMA};
revoke all on schema {PRIVATE_SCHEMA} from public;
grant usage on schema {PRIVATE_SCHEMA} to {role};

create or replace function {PRIVATE_SCHEMA}.require_privileged(name text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
begin
  if name is null or name <> all (array[{allowed}]) then
    raise exception insufficient_privilege using
      message = format('permission denied to manage extension %s', name),
      hint = 'Supabase lets postgres manage only the extensions it offers';
  end if;
end $fn$;

-- An extension's script runs as the superuser with the extension's schema and those of the extensions it
-- requires on its search_path (PostgreSQL puts pg_temp last there): a function or operator the project put
-- in one of those schemas, one that matches a call better than pg_catalog's, could be what the script's
-- names mean. The scripts of PostgreSQL's trusted and contrib extensions are written to be safe there.
-- Another, and every stand-in but a pinned one (StandIn.pinned), is created where the project has nothing:
-- a relocatable one in an empty schema, then moved (`create extension vector` in public beside the
-- project's functions); otherwise it is refused (not verified). Returns the schema to create in.
create or replace function {PRIVATE_SCHEMA}.script_schema(name text, in_schema text, with_cascade boolean)
returns text
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
declare
  available record;
  searched oid[];
begin
  select bool_or(v.trusted) as trusted, bool_and(v.relocatable) as relocatable, max(v.schema) as schema,
         max(v.comment) as comment,
         array_agg(distinct r.required) filter (where r.required is not null) as requires
  into available
  from pg_available_extension_versions v left join lateral unnest(v.requires) r (required) on true
  where v.name = script_schema.name;
  if (available.trusted or name in ({core_contrib}))
     and coalesce(available.comment, '') not like '{STANDIN_COMMENT}%' then
    return in_schema;
  end if;
  if name in ({pinned_standins}) and available.comment like '{STANDIN_COMMENT}%' then
    return in_schema;  -- a stand-in whose script searches pg_catalog only
  end if;
  -- pg_catalog is the superuser's: only what the project can create in is searched
  searched := array(
    select schema_oid from (
      select n.oid from pg_namespace n
      where n.nspname in (in_schema, available.schema)
         or n.nspname in (select v.schema from pg_available_extension_versions v
                          where v.name = any(available.requires))
      union
      select e.extnamespace from pg_extension e where e.extname = any(available.requires)
    ) as schemas (schema_oid)
    where schema_oid <> 'pg_catalog'::regnamespace
  );
  if not exists (select from pg_proc p join pg_roles r on r.oid = p.proowner
                 where p.pronamespace = any(searched) and not r.rolsuper)
     and not exists (select from pg_operator o join pg_roles r on r.oid = o.oprowner
                     where o.oprnamespace = any(searched) and not r.rolsuper) then
    return in_schema;
  end if;
  -- an empty schema the extension is moved from after, where what it requires is installed already (CASCADE
  -- would leave it there); its name is not one the migration could take first
  if available.relocatable and in_schema is not null and not exists (
    select from unnest(available.requires) r (required)
    where not exists (select from pg_extension e where e.extname = r.required)
  ) then
    return 'checker_install_' || md5(random()::text);
  end if;
  raise exception feature_not_supported using message = format(
    '{REFUSAL} the script of extension %s, which would run as the superuser next to the project''s '
    'functions or operators (in %s),', name,
    (select string_agg(quote_ident(nspname), ', ') from pg_namespace where oid = any(searched)));
end $fn$;

-- A trigger runs as whoever writes the row: on a table the superuser's own functions write (vault.secrets,
-- through vault.create_secret), a trigger of the project's would run as the superuser. So nobody but its
-- owner may add a trigger to a superuser's table here (extensions grant ALL, TRIGGER included, to some of
-- their roles, which postgres belongs to): run after the seed and after each CREATE EXTENSION.
create or replace function {PRIVATE_SCHEMA}.no_triggers_on_superuser_tables() returns void
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
declare
  granted record;
begin
  for granted in
    select distinct c.oid::regclass as relation,
           case when a.grantee = 0 then 'public' else quote_ident(g.rolname) end as grantee
    from pg_class c
    join pg_roles o on o.oid = c.relowner and o.rolsuper
    cross join lateral aclexplode(c.relacl) a
    left join pg_roles g on g.oid = a.grantee
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.privilege_type = 'TRIGGER' and a.grantee <> c.relowner
  loop
    -- a superuser's REVOKE acts as the owner's, and CASCADE takes the grants made from it
    execute format('revoke trigger on %s from %s cascade', granted.relation, granted.grantee);
  end loop;
end $fn$;

-- caller_schema: the caller's current_schema(), where CREATE EXTENSION without SCHEMA puts an extension
-- whose control file names none (here the search_path is pg_catalog's).
create or replace function {PRIVATE_SCHEMA}.create_extension(
  name text, in_schema text, version text, with_cascade boolean, if_not_exists boolean, caller_schema text
) returns void
language plpgsql {definer} as $fn$
declare
  install_in text;
begin
  perform {PRIVATE_SCHEMA}.require_privileged(name);
  if exists (select from pg_extension where extname = name) and if_not_exists then
    raise notice 'extension "%" already exists, skipping', name;
    return;
  end if;
  in_schema := case name {overrides} else in_schema end;
  if in_schema is null and not exists (
    select from pg_available_extension_versions v
    where v.name = create_extension.name and v.schema is not null
  ) then
    if caller_schema is null then
      raise exception invalid_schema_name using message = 'no schema has been selected to create in';
    end if;
    in_schema := caller_schema;
  end if;
  install_in := {PRIVATE_SCHEMA}.script_schema(name, in_schema, with_cascade);
  if install_in is distinct from in_schema then
    execute format('create schema %I', install_in);
  end if;
  execute format('create extension %I', name)
    || case when install_in is null then '' else format(' schema %I', install_in) end
    || case when version is null then '' else format(' version %L', version) end
    || case when with_cascade then ' cascade' else '' end;
  if install_in is distinct from in_schema then  -- moving objects runs no script
    execute format('alter extension %I set schema %I', name, in_schema);
    execute format('drop schema %I', install_in);
  end if;
  case name {after} else null; end case;
  perform {PRIVATE_SCHEMA}.no_triggers_on_superuser_tables();
end $fn$;

-- The seed's copy of a SEED_GIVES_WAY extension makes way for a migration that creates the extension, or
-- the schema the copy is in, without IF NOT EXISTS (a newer project's `create schema pgsodium; create
-- extension pgsodium with schema pgsodium`): run before the migration's snapshot, so that its rollback is
-- compared with a project that never had the copy. The copy stays where something already uses it (the
-- CREATE then fails, as on a project that has the extension).
create or replace function {PRIVATE_SCHEMA}.give_way(extension_name text, schema_name text) returns void
language plpgsql {definer} as $fn$
declare
  seed_copy name;
begin
  select e.extname into seed_copy
  from pg_extension e join (values {seed_values}) as seed (extname, oid) using (extname, oid)
  join pg_namespace n on n.oid = e.extnamespace
  where e.extname = extension_name or n.nspname = schema_name;
  if seed_copy is null then
    return;
  end if;
  execute format('drop extension %I', seed_copy);
  if schema_name is not null then
    execute format('drop schema %I', schema_name);
  end if;
exception when dependent_objects_still_exist then
  null;
end $fn$;

create or replace function {PRIVATE_SCHEMA}.alter_extension_update(name text, version text) returns void
language plpgsql {definer} as $fn$
declare
  installed_in text;
begin
  perform {PRIVATE_SCHEMA}.require_privileged(name);
  installed_in := (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace
                   where e.extname = name);
  if {PRIVATE_SCHEMA}.script_schema(name, installed_in, true) is distinct from installed_in then
    raise exception feature_not_supported using message = format(
      '{REFUSAL} the update script of extension %s, which would run as the superuser next to the '
      'project''s functions or operators,', name);
  end if;
  execute format('alter extension %I update', name)
    || case when version is null then '' else format(' to %L', version) end;
  perform {PRIVATE_SCHEMA}.no_triggers_on_superuser_tables();
end $fn$;

create or replace function {PRIVATE_SCHEMA}.drop_extension(
  name text, if_exists boolean, with_cascade boolean
) returns void
language plpgsql {definer} as $fn$
begin
  perform {PRIVATE_SCHEMA}.require_privileged(name);
  execute format('drop extension %s %I', case when if_exists then 'if exists' else '' end, name)
    || case when with_cascade then ' cascade' else '' end;
end $fn$;

create or replace function {PRIVATE_SCHEMA}.require_allowed_config(name text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
begin
  if name is null or not (
    name = any (array[{exact_configs}]::text[])
    or exists (select from unnest(array[{config_prefixes}]::text[]) as allowed (prefix)
               where starts_with(name, prefix))
  ) then
    raise exception insufficient_privilege using
      message = format('permission denied to set parameter "%s"', name),
      hint = 'Supabase lets postgres set only the settings of supautils.privileged_role_allowed_configs';
  end if;
end $fn$;

-- ' TO value, value' or ' TO DEFAULT' (values: NULL), each value a quoted literal.
create or replace function {PRIVATE_SCHEMA}.setting_values(vals text[]) returns text
language plpgsql immutable set search_path = pg_catalog, pg_temp as $fn$
begin
  if vals is null then
    return ' to default';
  end if;
  if cardinality(vals) = 0 or array_position(vals, null) is not null then
    raise exception 'a setting needs one or more values';
  end if;
  return ' to ' || (select string_agg(format('%L', value), ', ' order by position)
                    from unnest(vals) with ordinality as listed (value, position));
end $fn$;

-- SET [LOCAL] name TO vals (vals NULL: TO DEFAULT, which is what RESET does), as the superuser.
create or replace function {PRIVATE_SCHEMA}.set_setting(name text, vals text[], is_local boolean)
returns void
language plpgsql {definer} as $fn$
begin
  perform {PRIVATE_SCHEMA}.require_allowed_config(name);
  execute format('set %s %I', case when is_local then 'local' else 'session' end, name)
    || {PRIVATE_SCHEMA}.setting_values(vals);
end $fn$;

-- ALTER ROLE role [IN DATABASE db] SET name TO vals (vals NULL: RESET name), as the superuser, for
-- supautils' configurable reserved roles and the roles the session's login role is (or is a member
-- of); never for a superuser or another reserved role.
create or replace function {PRIVATE_SCHEMA}.alter_role_setting(
  role_name text, in_database text, name text, vals text[]
) returns void
language plpgsql {definer} as $fn$
begin
  perform {PRIVATE_SCHEMA}.require_allowed_config(name);
  if role_name is null
     or role_name = any (array[{reserved}]::text[])
     or exists (select from pg_roles where rolname = role_name and rolsuper)
     or not (role_name = any (array[{configurable}]::text[])
             or pg_has_role(session_user, role_name, 'MEMBER')) then
    raise exception insufficient_privilege using
      message = format('permission denied to alter role "%s"', role_name),
      hint = 'Supabase lets postgres change the settings of its own roles and of anon, authenticated, '
        'service_role and authenticator';
  end if;
  if in_database is not null and in_database <> current_database() then
    raise exception insufficient_privilege using
      message = format('permission denied to alter role "%s" in database "%s"', role_name, in_database);
  end if;
  execute format('alter role %I', role_name)
    || case when in_database is null then '' else format(' in database %I', in_database) end
    || case when vals is null then format(' reset %I', name)
            else format(' set %I', name) || {PRIVATE_SCHEMA}.setting_values(vals) end;
end $fn$;

-- Statements supautils runs as the superuser for postgres, then gives postgres what they made: each
-- function builds only its own statement from quoted parts. acting_as: the role the caller acts as
-- (current_user at the call), which its login may act as and which is no superuser; names the caller
-- wrote unqualified are looked up on the caller's search_path, then written qualified.
create or replace function {PRIVATE_SCHEMA}.acting_as(owner_role text) returns text
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
begin
  if not exists (select from pg_roles where rolname = owner_role and not rolsuper)
     or not pg_has_role(session_user, owner_role, 'MEMBER') then
    raise exception insufficient_privilege using
      message = format('role "%s" is not the caller''s', owner_role);
  end if;
  return owner_role;
end $fn$;

-- The function a statement names, looked up in the catalog: a qualified name in its schema, an unqualified
-- one in the caller's schemas in order (current_schemas(true) at the call; never the session's temporary
-- schema, which PostgreSQL does not search for functions). Nothing runs on the caller's search_path: a
-- function or operator of theirs would run as the superuser here.
create or replace function {PRIVATE_SCHEMA}.function_named(
  names text[], arguments oid[], caller_schemas name[]
) returns regprocedure
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
declare
  found regprocedure;
begin
  select p.oid into found
  from unnest(case when cardinality(names) = 2 then array[names[1]::name] else caller_schemas end)
       with ordinality as searched (schema_name, position)
  join pg_namespace n on n.nspname = searched.schema_name
  join pg_proc p on p.pronamespace = n.oid
  where cardinality(names) in (1, 2) and p.proname = names[cardinality(names)]
    and p.proargtypes = array_to_string(arguments, ' ')::oidvector and n.oid <> pg_my_temp_schema()
  order by searched.position
  limit 1;
  if found is null then
    raise exception undefined_function using message = format(
      'function %s(%s) does not exist', array_to_string(names, '.'),
      (select string_agg(format_type(a, null), ', ') from unnest(arguments) a));
  end if;
  return found;
end $fn$;

-- PostgreSQL lets only a superuser own an event trigger or a foreign data wrapper: supautils makes the
-- caller one for the ALTER ... OWNER alone (inside the caller's transaction, so no one else sees it).
create or replace function {PRIVATE_SCHEMA}.give_to_caller(kind text, name text, owner_role text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
begin
  if kind <> all (array['event trigger', 'foreign data wrapper']) then
    raise exception invalid_parameter_value using message = format('not given by supautils: %s', kind);
  end if;
  execute format('alter role %I superuser', owner_role);
  execute format('alter %s %I owner to %I', kind, name, owner_role);
  execute format('alter role %I nosuperuser', owner_role);
end $fn$;

-- Whether a wrapper handler reads nothing: the wrappers stand-in's (the fdw_handler type's input function,
-- which refuses when asked for routines), where a wrapper without its validator exposes nothing.
create or replace function {PRIVATE_SCHEMA}.reads_nothing(handler regprocedure) returns boolean
language sql stable set search_path = pg_catalog, pg_temp as $fn$
  select exists (select from pg_proc p join pg_language l on l.oid = p.prolang
                 where p.oid = handler and l.lanname = 'internal' and p.prosrc = 'fdw_handler_in')
$fn$;

-- Whether a superuser owns the function: one a project wrote must not run as the superuser.
create or replace function {PRIVATE_SCHEMA}.superusers(function regprocedure) returns boolean
language sql stable set search_path = pg_catalog, pg_temp as $fn$
  select r.rolsuper from pg_proc p join pg_roles r on r.oid = p.proowner where p.oid = function
$fn$;

-- options: name, value pairs; separator: what stands between a name and its value
create or replace function {PRIVATE_SCHEMA}.option_list(options text[], separator text) returns text
language sql immutable set search_path = pg_catalog, pg_temp as $fn$
  select coalesce(string_agg(quote_ident(options[i]) || separator || quote_literal(options[i + 1]), ', '), '')
  from generate_subscripts(options, 1) i where i % 2 = 1
$fn$;

create or replace function {PRIVATE_SCHEMA}.comment_on_extension(name text, comment text) returns void
language plpgsql {definer} as $fn$
begin
  execute format('comment on extension %I is %L', name, comment);
end $fn$;

-- schemas null: FOR ALL TABLES; options: name, value pairs of WITH (...)
create or replace function {PRIVATE_SCHEMA}.create_publication(
  name text, schemas text[], options text[], owner_role text
) returns void
language plpgsql {definer} as $fn$
begin
  owner_role := {PRIVATE_SCHEMA}.acting_as(owner_role);
  if exists (select from unnest(options) with ordinality o (v, i)
             where i % 2 = 1 and v <> all (array['publish', 'publish_via_partition_root',
                                                  'publish_generated_columns'])) then
    raise exception syntax_error using message = 'unrecognized publication parameter';
  end if;
  execute format('create publication %I', name)
    || case when schemas is null then ' for all tables'
            else ' for tables in schema ' || (select string_agg(quote_ident(s), ', ') from unnest(schemas) s)
       end
    || case when cardinality(options) > 0
            then format(' with (%s)', {PRIVATE_SCHEMA}.option_list(options, ' = ')) else '' end;
  execute format('alter publication %I owner to %I', name, owner_role);
end $fn$;

create or replace function {PRIVATE_SCHEMA}.alter_publication_schemas(
  name text, action text, schemas text[]
) returns void
language plpgsql {definer} as $fn$
begin
  if action is null or action <> all (array['add', 'set', 'drop']) then
    raise exception syntax_error using message = 'unrecognized publication action';
  end if;
  execute format('alter publication %I %s tables in schema ', name, action)
    || (select string_agg(quote_ident(s), ', ') from unnest(schemas) s);
end $fn$;

-- handler, validator: the names as written (null: none). The wrapper's handler must come with the validator
-- of its own extension (stripe_fdw_handler with stripe_fdw_validator, postgres_fdw_handler with
-- postgres_fdw_validator): without it nothing would check the options of its servers and user mappings
-- (postgres_fdw's `password_required`, which keeps postgres from logging back in as the superuser). A
-- validator runs when the wrapper is made, as the superuser here: one the project wrote is refused.
create or replace function {PRIVATE_SCHEMA}.create_foreign_data_wrapper(
  name text, handler text[], validator text[], options text[], caller_schemas name[], owner_role text
) returns void
language plpgsql {definer} as $fn$
declare
  runs regprocedure;
  checks regprocedure;
begin
  owner_role := {PRIVATE_SCHEMA}.acting_as(owner_role);
  if handler is not null then
    runs := {PRIVATE_SCHEMA}.function_named(handler, '{{}}', caller_schemas);
  end if;
  if validator is not null then
    checks := {PRIVATE_SCHEMA}.function_named(validator, array['text[]'::regtype, 'oid'::regtype]::oid[],
                                              caller_schemas);
  end if;
  if checks is not null and not {PRIVATE_SCHEMA}.superusers(checks) then
    raise exception feature_not_supported using message = format(
      '{REFUSAL} the project''s own wrapper validator %s, which would run as the superuser,', checks);
  end if;
  if runs is not null and not {PRIVATE_SCHEMA}.reads_nothing(runs) and (checks is null or not exists (
    select from pg_depend h join pg_depend v on v.refclassid = h.refclassid and v.refobjid = h.refobjid
    join pg_proc hp on hp.oid = h.objid join pg_proc vp on vp.oid = v.objid
    where h.classid = 'pg_proc'::regclass and h.objid = runs and h.deptype = 'e'
      and v.classid = 'pg_proc'::regclass and v.objid = checks and v.deptype = 'e'
      and right(hp.proname, 8) = '_handler' and vp.proname = left(hp.proname, -8) || '_validator'
  )) then
    raise exception feature_not_supported using message = format(
      '{REFUSAL} a wrapper whose handler %s comes without its own validator (nothing would check its '
      'servers'' options),', runs);
  end if;
  execute format('create foreign data wrapper %I', name)
    || case when runs is null then '' else format(' handler %s', runs::regproc) end
    || case when checks is null then '' else format(' validator %s', checks::regproc) end
    || case when cardinality(options) > 0
            then format(' options (%s)', {PRIVATE_SCHEMA}.option_list(options, ' ')) else '' end;
  perform {PRIVATE_SCHEMA}.give_to_caller('foreign data wrapper', name, owner_role);
end $fn$;
{event_trigger_sql}
revoke all on all functions in schema {PRIVATE_SCHEMA} from public;
grant execute on function {PRIVATE_SCHEMA}.create_extension(text, text, text, boolean, boolean, text)
  to {role};
grant execute on function {PRIVATE_SCHEMA}.alter_extension_update(text, text) to {role};
grant execute on function {PRIVATE_SCHEMA}.drop_extension(text, boolean, boolean) to {role};
grant execute on function {PRIVATE_SCHEMA}.set_setting(text, text[], boolean) to {role};
grant execute on function {PRIVATE_SCHEMA}.comment_on_extension(text, text) to {role};
grant execute on function {PRIVATE_SCHEMA}.create_publication(text, text[], text[], text) to {role};
grant execute on function {PRIVATE_SCHEMA}.alter_publication_schemas(text, text, text[]) to {role};
grant execute on function {PRIVATE_SCHEMA}.create_foreign_data_wrapper(
  text, text[], text[], text[], name[], text) to {role};{event_trigger_grant}
grant execute on function {PRIVATE_SCHEMA}.alter_role_setting(text, text, text, text[]) to {role};
"""


# --- statements supautils takes over ------------------------------------------------------------


def requested_version(statement: Statement) -> str | None:
    """The VERSION a CREATE EXTENSION asks for, if any."""
    return _version(statement.node) if statement.kind == "CreateExtensionStmt" else None


def _version(node: dict) -> str | None:
    return _sval(_options(node).get("new_version", {}).get("arg"))


def _sval(node: dict | None) -> str | None:
    return (node or {}).get("String", {}).get("sval")


def _options(node: dict) -> dict[str, dict]:
    return {item["DefElem"]["defname"]: item["DefElem"] for item in node.get("options") or []}


_OWN_ROLE_SPECS = {
    "ROLESPEC_CURRENT_USER": "current_user",
    "ROLESPEC_CURRENT_ROLE": "current_role",
    "ROLESPEC_SESSION_USER": "session_user",
}


def _setting_values(setting: dict) -> tuple[str, list[str] | None] | None:
    """A SET/RESET of an allowed setting as (name, values), values None for TO DEFAULT and RESET; None
    for anything else (another setting, RESET ALL, SET ... FROM CURRENT, a value that is not a constant).

    Each value is the text PostgreSQL makes of the constant (flatten_set_variable_args): `5`, `-3`,
    `1.5`, `on` and `'on'` alike; quoted again with %L by the function, so `to 5` becomes `to '5'`,
    which PostgreSQL reads the same way.
    """
    name = setting.get("name")
    if not allowed_config(name):
        return None
    if setting.get("kind") in ("VAR_SET_DEFAULT", "VAR_RESET"):
        return name, None
    if setting.get("kind") != "VAR_SET_VALUE":
        return None
    values = []
    for arg in setting.get("args") or []:
        constant = arg.get("A_Const", {})
        if "sval" in constant:
            values.append(str(constant["sval"].get("sval", "")))
        elif "ival" in constant:
            values.append(str(int(constant["ival"].get("ival", 0))))
        elif "fval" in constant:
            values.append(str(constant["fval"].get("fval", "")))
        else:
            return None
    return (name, values) if values else None


def privileged_call(kind: str, node: dict) -> list[tuple[str, list[object]]] | None:
    """The privileged-function calls standing for a statement supautils runs as the superuser (an
    extension statement, a SET or ALTER ROLE ... SET of an allowed setting), or None for the others.

    Extensions Supabase does not offer and settings it does not allow get no call: the statement runs
    as it is and PostgreSQL refuses it to the non-superuser, as Supabase does.
    """
    if kind == "VariableSetStmt":
        setting = _setting_values(node)
        if setting is None:
            return None
        call = f"select {PRIVATE_SCHEMA}.set_setting(%s, %s, %s)"
        return [(call, [setting[0], setting[1], bool(node.get("is_local"))])]
    if kind == "AlterRoleSetStmt":
        role = node.get("role") or {}
        setting = _setting_values(node.get("setstmt") or {})
        own = _OWN_ROLE_SPECS.get(role.get("roletype"))
        if setting is None or (own is None and role.get("roletype") != "ROLESPEC_CSTRING"):
            return None  # ALTER ROLE ALL SET: left to PostgreSQL, which wants a superuser
        arguments: list[object] = [node.get("database"), setting[0], setting[1]]
        if own:  # current_user as the caller has it, not as it is inside the function
            return [(f"select {PRIVATE_SCHEMA}.alter_role_setting({own}, %s, %s, %s)", arguments)]
        call = f"select {PRIVATE_SCHEMA}.alter_role_setting(%s, %s, %s, %s)"
        return [(call, [role.get("rolename"), *arguments])]
    if kind == "CreateExtensionStmt" and node.get("extname") in PRIVILEGED_EXTENSIONS:
        options = _options(node)
        cascade = "cascade" in options and option_value(options["cascade"]) == "true"
        arguments = [
            node["extname"],
            _sval(options.get("schema", {}).get("arg")),
            _version(node),
            cascade,
            bool(node.get("if_not_exists")),
        ]
        call = f"select {PRIVATE_SCHEMA}.create_extension(%s, %s, %s, %s, %s, pg_catalog.current_schema())"
        return [(call, arguments)]
    if kind == "AlterExtensionStmt" and node.get("extname") in PRIVILEGED_EXTENSIONS:
        version = _sval(_options(node).get("new_version", {}).get("arg"))
        return [(f"select {PRIVATE_SCHEMA}.alter_extension_update(%s, %s)", [node["extname"], version])]
    if kind in _POSTGRES_MAY:
        call = _POSTGRES_MAY[kind](node)
        return [call] if call else None
    if kind == "DropStmt" and node.get("removeType") == "OBJECT_EXTENSION":
        names = [_sval(item) for item in node.get("objects") or []]
        if names and all(name in PRIVILEGED_EXTENSIONS for name in names):
            cascade = node.get("behavior") == "DROP_CASCADE"
            missing_ok = bool(node.get("missing_ok"))
            call = f"select {PRIVATE_SCHEMA}.drop_extension(%s, %s, %s)"
            return [(call, [name, missing_ok, cascade]) for name in names]
    return None


# --- statements supautils runs as the superuser for its privileged role (postgres) ---------------
# The schemas the statement's names are looked up in, and the role it runs as (which owns what it makes).
_AS_CALLER = "pg_catalog.current_schemas(true), current_user"
_SCHEMA_OBJECTS = {"PUBLICATIONOBJ_TABLES_IN_SCHEMA"}
_PUBLICATION_ACTIONS = {"AP_AddObjects": "add", "AP_SetObjects": "set", "AP_DropObjects": "drop"}
Call = tuple[str, list[object]]


def _comment_on_extension(node: dict) -> Call | None:
    if node.get("objtype") != "OBJECT_EXTENSION":
        return None
    return f"select {PRIVATE_SCHEMA}.comment_on_extension(%s, %s)", [
        _sval(node.get("object")),
        node.get("comment"),
    ]


def _publication_schemas(node: dict) -> list[str] | None:
    """The schemas of FOR TABLES IN SCHEMA, when that is all the statement names (None otherwise)."""
    specs = [item.get("PublicationObjSpec", {}) for item in node.get("pubobjects") or []]
    if not specs or any(spec.get("pubobjtype") not in _SCHEMA_OBJECTS for spec in specs):
        return None
    return [spec.get("name") for spec in specs]


def _create_publication(node: dict) -> Call | None:
    """FOR ALL TABLES and FOR TABLES IN SCHEMA need the superuser in PostgreSQL; other forms do not."""
    schemas = _publication_schemas(node)
    if not node.get("for_all_tables") and schemas is None:
        return None
    options = [value for elem in _options(node).values() for value in (elem["defname"], option_value(elem))]
    call = f"select {PRIVATE_SCHEMA}.create_publication(%s, %s, %s, current_user)"
    return call, [node.get("pubname"), None if node.get("for_all_tables") else schemas, options]


def _alter_publication(node: dict) -> Call | None:
    schemas = _publication_schemas(node)
    action = _PUBLICATION_ACTIONS.get(node.get("action", ""))
    if schemas is None or action is None:
        return None
    call = f"select {PRIVATE_SCHEMA}.alter_publication_schemas(%s, %s, %s)"
    return call, [node.get("pubname"), action, schemas]


def _names(elem: dict | None) -> list[str] | None:
    """A DefElem's qualified name (HANDLER a.b), or None for NO HANDLER."""
    items = ((elem or {}).get("arg") or {}).get("List", {}).get("items")
    return [_sval(item) for item in items] if items else None


def _create_foreign_data_wrapper(node: dict) -> Call:
    functions = {item["DefElem"]["defname"]: item["DefElem"] for item in node.get("func_options") or []}
    options = [
        value for elem in _options(node).values() for value in (elem["defname"], _sval(elem.get("arg")))
    ]
    call = f"select {PRIVATE_SCHEMA}.create_foreign_data_wrapper(%s, %s, %s, %s, {_AS_CALLER})"
    arguments = [
        node.get("fdwname"),
        _names(functions.get("handler")),
        _names(functions.get("validator")),
        options,
    ]
    return call, arguments


def _create_event_trigger(node: dict) -> Call | None:
    filters = [item["DefElem"] for item in node.get("whenclause") or []]
    if any(elem.get("defname") != "tag" for elem in filters):
        return None  # PostgreSQL knows no other filter: its own error
    tags = [tag for elem in filters for tag in _names(elem) or []] or None
    call = f"select {PRIVATE_SCHEMA}.create_event_trigger(%s, %s, %s, %s, {_AS_CALLER})"
    return call, [
        node.get("trigname"),
        node.get("eventname"),
        tags,
        [_sval(n) for n in node.get("funcname") or []],
    ]


_POSTGRES_MAY: dict[str, Callable[[dict], Call | None]] = {
    "CommentStmt": _comment_on_extension,
    "CreatePublicationStmt": _create_publication,
    "AlterPublicationStmt": _alter_publication,
    "CreateFdwStmt": _create_foreign_data_wrapper,
    "CreateEventTrigStmt": _create_event_trigger,
}


def privileged_do_block(do: Statement, conn: psycopg.Connection) -> str | None:
    """A DO block's text with each statement supautils would run as the superuser (it hooks them inside
    PL/pgSQL too) made a PERFORM of its privileged call, on as many lines (errors keep their line
    numbers); None when the block has none. Dynamic SQL (EXECUTE '...') is left as it is."""
    from checker.model.do_blocks import body_quote, embedded_statements

    quote, _ = body_quote(do)
    if not quote or not _may_be_privileged(do):
        return None
    text, pieces, kept_from = do.source.text, [], do.start
    for inner in embedded_statements(do, executed=False):  # an EXECUTE's string is no statement to replace
        calls = privileged_call(inner.kind, inner.node)
        if not calls or inner.start <= do.start:  # not located in the block's text
            continue
        performs = "; ".join(_perform(conn, call, arguments) for call, arguments in calls)
        if "$" in performs:
            return None  # could close the block's dollar quote
        if quote == "'":
            performs = performs.replace("'", "''")  # the body's own quotes are doubled in the file
        pieces += [text[kept_from : inner.start], performs + "\n" * text.count("\n", inner.start, inner.end)]
        kept_from = inner.end
    return "".join(pieces) + text[kept_from : do.end] if pieces else None


# Words a statement supautils runs as the superuser has: a DO block without one is not parsed again.
_PRIVILEGED_WORDS = re.compile(r"extension|publication|wrapper|event\s+trigger|\bset\b|role|schema", re.I)


def _may_be_privileged(statement: Statement) -> bool:
    """Whether a DO block may hold such a statement (the top-level ones are always looked at)."""
    return statement.kind == "DoStmt" and _PRIVILEGED_WORDS.search(statement.text) is not None


def _perform(conn: psycopg.Connection, call: str, arguments: list[object]) -> str:
    """`select f(%s)` with its arguments as literals, as a PL/pgSQL PERFORM."""
    return "perform " + psycopg.ClientCursor(conn).mogrify(call, arguments).removeprefix("select ")


def give_way_calls(statements: Iterable[Statement]) -> list[Call]:
    """The calls that make the seed's SEED_GIVES_WAY copies give way to a migration whose first word on one
    of them, or on a schema (the one a copy is in), is a CREATE without IF NOT EXISTS; the admin runs them
    first. A migration that drops or alters the copy before creating it (`drop extension pg_graphql;
    create extension pg_graphql`) meets the seed's copy, as an older project does."""
    from checker.model.do_blocks import embedded_statements

    calls: list[Call] = []
    named: set[tuple[str, str]] = set()  # ("extension" | "schema", name) already named by a statement
    for statement in statements:
        inner = list(embedded_statements(statement)) if _may_be_privileged(statement) else [statement]
        for kind, name, plain_create in (found for s in inner for found in _extension_or_schema_named(s)):
            if plain_create and (kind, name) not in named and (kind == "schema" or name in SEED_GIVES_WAY):
                calls.append((_GIVE_WAY, [name, None] if kind == "extension" else [None, name]))
            named.add((kind, name))
    return calls


def _extension_or_schema_named(statement: Statement) -> list[tuple[str, str, bool]]:
    """The extensions and schemas a statement creates, drops or alters: (kind, name, a plain CREATE)."""
    node, kind = statement.node, statement.kind
    plain = not node.get("if_not_exists")
    if kind == "CreateExtensionStmt":
        return [("extension", node.get("extname", ""), plain)]
    if kind in ("AlterExtensionStmt", "AlterExtensionContentsStmt"):
        return [("extension", node.get("extname", ""), False)]
    if kind == "CreateSchemaStmt" and node.get("schemaname"):
        return [("schema", node["schemaname"], plain)]
    dropped = {"OBJECT_EXTENSION": "extension", "OBJECT_SCHEMA": "schema"}.get(node.get("removeType", ""))
    if kind == "DropStmt" and dropped:
        return [(dropped, _sval(item) or "", False) for item in node.get("objects") or []]
    return []


_GIVE_WAY = f"select {PRIVATE_SCHEMA}.give_way(%s, %s)"


def reserved_refusal(kind: str, node: dict) -> str | None:
    """Why supautils refuses the statement on Supabase (reserved roles and memberships), or None."""
    if kind == "GrantRoleStmt" and node.get("is_grant", False):
        granted = [item.get("AccessPriv", {}).get("priv_name") for item in node.get("granted_roles") or []]
        reserved = sorted(name for name in granted if name in RESERVED_MEMBERSHIPS)
        if reserved:
            return f"permission denied to grant role {reserved[0]}: Supabase reserves that membership"
    names: list[str | None] = []
    settings_only = kind == "AlterRoleSetStmt"
    if kind in ("AlterRoleStmt", "AlterRoleSetStmt"):
        names = [(node.get("role") or {}).get("rolename")]
    elif kind == "DropRoleStmt":
        names = [item.get("RoleSpec", {}).get("rolename") for item in node.get("roles") or []]
    elif kind == "RenameStmt" and node.get("renameType") == "OBJECT_ROLE":
        names = [node.get("subname")]
    for name in names:
        if name and reserved_role(name, settings_only):
            return f'permission denied to alter role "{name}": Supabase reserves that role'
    return None


@dataclass
class MigratingSession:
    """How the migrating connection logs in, and what the run made for it (removed by `drop`)."""

    uri: str
    login_role: str
    created_role: str | None = None
    member_of_postgres: bool = False

    @property
    def acts_as(self) -> str:
        """The role the project's SQL runs as: postgres, or the run's own role standing in for it."""
        return MIGRATING_ROLE if self.created_role is None or self.member_of_postgres else self.login_role

    def connect(self, timeout_uri: str) -> psycopg.Connection:
        try:
            return psycopg.connect(timeout_uri, autocommit=True, connect_timeout=30)
        except psycopg.Error as err:
            raise EngineError(
                f"cannot log in as {self.login_role}, the non-superuser that runs migrations: "
                f"{' '.join(str(err).split())}"
            ) from None

    def drop(self, admin: psycopg.Connection) -> None:
        """Remove the run's own role (its objects in this database first; it has none elsewhere)."""
        if self.created_role is not None and not (admin.closed or admin.broken):
            role = sql.Identifier(self.created_role)
            database = sql.Identifier(admin.info.dbname)
            admin.execute(sql.SQL("alter database {} owner to current_user").format(database))
            admin.execute(sql.SQL("drop owned by {} cascade").format(role))
            admin.execute(sql.SQL("drop role if exists {}").format(role))
            self.created_role = None


def prepare_migrating_session(admin: psycopg.Connection, superuser_uri: str) -> MigratingSession:
    """After the seed: the role that runs the project's SQL, and the privileged functions it may call.

    `postgres` when it is a non-superuser that may log in (every server the checker starts). On a
    `--dsn` server whose `postgres` is a superuser, a role of the run's own, with postgres's Supabase
    attributes and a random password, dropped at the end; where that cannot be made, the run stops.
    """
    row = admin.execute(
        "select rolsuper, rolcanlogin from pg_catalog.pg_roles where rolname = %s", [MIGRATING_ROLE]
    ).fetchone()
    if row is not None and not row[0] and row[1]:
        session = MigratingSession(make_conninfo(superuser_uri, user=MIGRATING_ROLE), MIGRATING_ROLE)
    else:
        session = _run_role(admin, superuser_uri, member_of_postgres=row is not None and not row[0])
    role = sql.Identifier(session.acts_as).as_string(admin)
    seed_copies = admin.execute(
        "select extname, oid from pg_catalog.pg_extension where extname = any(%s)", [sorted(SEED_GIVES_WAY)]
    ).fetchall()
    copies = {str(name): int(oid) for name, oid in seed_copies}
    admin.execute(_function_sql(role, copies, admin.info.server_version // 10000))
    admin.execute(f"select {PRIVATE_SCHEMA}.no_triggers_on_superuser_tables()")
    return session


def superuser_session(conn: psycopg.Connection) -> psycopg.Connection:
    """A superuser connection of the checker's. Its queries name nothing the project could define: the
    search_path is pg_catalog's (the database's default has public, where postgres could add a
    public.format(text, text, text) that matches a call better than pg_catalog's and would run as the
    superuser). From PostgreSQL 17 no event trigger runs on it (supautils skips postgres's event triggers
    for the superuser; a project's would otherwise run as the superuser)."""
    conn.execute("set search_path = pg_catalog, pg_temp")
    if conn.info.server_version >= EVENT_TRIGGERS_FROM * 10000:
        conn.execute("set event_triggers = off")
    return conn


def _run_role(admin: psycopg.Connection, superuser_uri: str, member_of_postgres: bool) -> MigratingSession:
    name = f"checker_postgres_{secrets.token_hex(6)}"
    password = secrets.token_urlsafe(24)
    create_role = "createrole" if admin.info.server_version >= 160000 else "nocreaterole"
    try:
        admin.execute(
            sql.SQL("create role {} login nosuperuser createdb replication bypassrls {} password {}").format(
                sql.Identifier(name), sql.SQL(create_role), sql.Literal(password)
            )
        )
    except psycopg.Error as err:
        raise EngineError(
            "refusing to run: the migrations must run as a non-superuser, and no such role can be made "
            f"on this server ({' '.join(str(err).split())})"
        ) from None
    uri = make_conninfo(superuser_uri, user=name, password=password)
    session = MigratingSession(uri, name, created_role=name, member_of_postgres=member_of_postgres)
    if member_of_postgres:
        admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(MIGRATING_ROLE), sql.Identifier(name)))
    else:
        # The grants and memberships the seed gives postgres, given to the run's role instead.
        with admin.transaction():
            admin.execute("select set_config('checker.migrating_role', %s, true)", [name])
            admin.execute(seed_file(POSTGRES_SEED_FILE))
    if member_of_postgres:
        # The project's SQL runs as postgres (owners, default privileges), from a non-superuser login.
        setting = sql.SQL("alter role {} set role = {}")
        admin.execute(setting.format(sql.Identifier(name), sql.Literal(MIGRATING_ROLE)))
    return session
