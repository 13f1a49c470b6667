-- What Supabase gives `postgres` (the init migration demote-postgres and the migrations that grant it
-- roles), applied only while postgres is the non-superuser that runs migrations. Runs last: some of
-- these roles and schemas come from earlier files. None of the server-file roles
-- (pg_read_server_files, pg_write_server_files, pg_execute_server_program) is ever granted:
-- supautils reserves them. On a --dsn server whose postgres is a superuser, the run's own role stands
-- in for it: this file runs again with `checker.migrating_role` set to that role.
do $seed$
declare
  granted text;
  migrator text := coalesce(nullif(current_setting('checker.migrating_role', true), ''), 'postgres');
begin
  if not exists (select from pg_catalog.pg_roles where rolname = migrator and not rolsuper) then
    return;
  end if;
  -- On Supabase postgres owns the database, hence (PostgreSQL 15+) the schema public, whose owner is
  -- pg_database_owner: dumps' `alter schema public owner to postgres` and `comment on schema public` work.
  if (select datdba from pg_catalog.pg_database where datname = current_database())
     <> migrator::regrole then
    execute format('alter database %I owner to %I', current_database(), migrator);
  end if;
  -- initial-schema: what it creates in public is open to the API roles until RLS stops them.
  foreach granted in array array['tables', 'functions', 'sequences'] loop
    execute format('alter default privileges for role %I in schema public grant all on %s to anon, authenticated, '
      'service_role', migrator, granted);
  end loop;
  -- demote-postgres: what postgres keeps of its former superuser reach (triggers on auth.users ...).
  foreach granted in array array['auth', 'extensions', 'storage'] loop
    if exists (select from pg_catalog.pg_namespace where nspname = granted) then
      execute format('grant all on schema %1$I to %2$I;'
        'grant all on all tables in schema %1$I to %2$I;'
        'grant all on all sequences in schema %1$I to %2$I;'
        'grant all on all routines in schema %1$I to %2$I', granted, migrator);
    end if;
  end loop;
  -- supabase_realtime_admin stands in for supautils.policy_grants (policies on realtime.messages).
  foreach granted in array array[
    'anon', 'authenticated', 'service_role', 'pg_monitor', 'pg_read_all_data', 'pg_signal_backend',
    'supabase_realtime_admin'
  ] loop
    execute format('grant %I to %I', granted, migrator);
  end loop;
  -- create_pgsodium_and_vault: pgsodium's roles with ADMIN (the vault's tables through pgsodium_keyiduser,
  -- 50_vault.sql; pgsodium's functions through the others, 45_pgsodium.sql).
  foreach granted in array array['pgsodium_keyiduser', 'pgsodium_keyholder', 'pgsodium_keymaker'] loop
    if exists (select from pg_catalog.pg_roles where rolname = granted) then
      execute format('grant %I to %I with admin option', granted, migrator);
    end if;
  end loop;
  -- grant_with_admin_to_postgres_16_and_above: from 16, CREATEROLE acts only on roles one administers,
  -- so Supabase gives postgres ADMIN on the API roles (ALTER ROLE authenticated SET ..., GRANT anon TO ...),
  -- and on authenticator (supabase/postgres nix/tests/expected/z_17_roles.out: postgres | authenticator
  -- | t), whose settings supautils lets postgres change (reserved_roles 'authenticator*'): ALTER ROLE
  -- authenticator SET statement_timeout = ... works there. Safe here: authenticator is a member of the
  -- API roles only (see 00_roles.sql), and the runner refuses other statements on it, as supautils does.
  if current_setting('server_version_num')::int >= 160000 then
    execute format('grant anon, authenticated, service_role, authenticator to %I with admin option', migrator);
  end if;
  -- supautils.privileged_role_allowed_configs: the pgaudit settings postgres may change (SET, ALTER ROLE
  -- ... SET pgaudit.log = 'write'). pgaudit is preloaded on Supabase, so they exist before any CREATE
  -- EXTENSION; where it is not loaded they are placeholders, which a non-superuser may store in a role's
  -- settings only with SET on the parameter (PostgreSQL 15+). pgaudit.log_parameter is not in the list.
  if current_setting('server_version_num')::int >= 150000 then
    foreach granted in array array[
      'pgaudit.log', 'pgaudit.log_catalog', 'pgaudit.log_client', 'pgaudit.log_level', 'pgaudit.log_relation',
      'pgaudit.log_rows', 'pgaudit.log_statement', 'pgaudit.log_statement_once', 'pgaudit.role'
    ] loop
      execute format('grant set on parameter %s to %I', granted, migrator);
    end loop;
  end if;
  -- Owner rights on auth, storage and webhooks (policies, triggers, ALTER on their tables). Before
  -- PostgreSQL 16 a role with CREATEROLE reaches pg_read_server_files, so postgres never joins one there.
  foreach granted in array array['supabase_auth_admin', 'supabase_storage_admin', 'supabase_functions_admin'] loop
    if exists (
      select from pg_catalog.pg_roles where rolname = granted
        and (not rolcreaterole or current_setting('server_version_num')::int >= 160000)
    ) then
      execute format('grant %I to %I', granted, migrator);
    end if;
  end loop;
end
$seed$;
