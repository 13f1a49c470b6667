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

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from checker.dynamic.seed import seed_file
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


def _function_sql(role: str, seed_copies: dict[str, int] | None = None) -> str:
    """The privileged functions; `role` (already quoted) alone may execute them. `seed_copies`: the oids of
    the SEED_GIVES_WAY extensions the seed installed, which a project's plain CREATE EXTENSION replaces."""
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

-- caller_schema: the caller's current_schema(), where CREATE EXTENSION without SCHEMA puts an extension
-- whose control file names none (here the search_path is pg_catalog's).
create or replace function {PRIVATE_SCHEMA}.create_extension(
  name text, in_schema text, version text, with_cascade boolean, if_not_exists boolean, caller_schema text
) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
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
  execute format('create extension %I', name)
    || case when in_schema is null then '' else format(' schema %I', in_schema) end
    || case when version is null then '' else format(' version %L', version) end
    || case when with_cascade then ' cascade' else '' end;
  case name {after} else null; end case;
end $fn$;

-- The seed's copy of a SEED_GIVES_WAY extension makes way for a migration that creates the extension, or
-- the schema the copy is in, without IF NOT EXISTS (a newer project's `create schema pgsodium; create
-- extension pgsodium with schema pgsodium`): run before the migration's snapshot, so that its rollback is
-- compared with a project that never had the copy. The copy stays where something already uses it (the
-- CREATE then fails, as on a project that has the extension).
create or replace function {PRIVATE_SCHEMA}.give_way(extension_name text, schema_name text) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
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
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
begin
  perform {PRIVATE_SCHEMA}.require_privileged(name);
  execute format('alter extension %I update', name)
    || case when version is null then '' else format(' to %L', version) end;
end $fn$;

create or replace function {PRIVATE_SCHEMA}.drop_extension(
  name text, if_exists boolean, with_cascade boolean
) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
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
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
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
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
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

revoke all on all functions in schema {PRIVATE_SCHEMA} from public;
grant execute on function {PRIVATE_SCHEMA}.create_extension(text, text, text, boolean, boolean, text)
  to {role};
grant execute on function {PRIVATE_SCHEMA}.alter_extension_update(text, text) to {role};
grant execute on function {PRIVATE_SCHEMA}.drop_extension(text, boolean, boolean) to {role};
grant execute on function {PRIVATE_SCHEMA}.set_setting(text, text[], boolean) to {role};
grant execute on function {PRIVATE_SCHEMA}.alter_role_setting(text, text, text, text[]) to {role};
"""


# --- statements supautils takes over ------------------------------------------------------------


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
            _sval(options.get("new_version", {}).get("arg")),
            cascade,
            bool(node.get("if_not_exists")),
        ]
        call = f"select {PRIVATE_SCHEMA}.create_extension(%s, %s, %s, %s, %s, pg_catalog.current_schema())"
        return [(call, arguments)]
    if kind == "AlterExtensionStmt" and node.get("extname") in PRIVILEGED_EXTENSIONS:
        version = _sval(_options(node).get("new_version", {}).get("arg"))
        return [(f"select {PRIVATE_SCHEMA}.alter_extension_update(%s, %s)", [node["extname"], version])]
    if kind == "DropStmt" and node.get("removeType") == "OBJECT_EXTENSION":
        names = [_sval(item) for item in node.get("objects") or []]
        if names and all(name in PRIVILEGED_EXTENSIONS for name in names):
            cascade = node.get("behavior") == "DROP_CASCADE"
            missing_ok = bool(node.get("missing_ok"))
            call = f"select {PRIVATE_SCHEMA}.drop_extension(%s, %s, %s)"
            return [(call, [name, missing_ok, cascade]) for name in names]
    return None


def give_way_calls(statements: Iterable[Statement]) -> list[tuple[str, list[object]]]:
    """The calls that make the seed's SEED_GIVES_WAY copies give way to a migration that creates one of
    them, or a schema (the one a copy is in), without IF NOT EXISTS; the admin runs them first."""
    calls: list[tuple[str, list[object]]] = []
    for statement in statements:
        node = statement.node
        if node.get("if_not_exists"):
            continue
        if statement.kind == "CreateExtensionStmt" and node.get("extname") in SEED_GIVES_WAY:
            calls.append((_GIVE_WAY, [node["extname"], None]))
        elif statement.kind == "CreateSchemaStmt" and node.get("schemaname"):
            calls.append((_GIVE_WAY, [None, node["schemaname"]]))
    return calls


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
    admin.execute(_function_sql(role, {str(name): int(oid) for name, oid in seed_copies}))
    return session


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
