-- The memberships Supabase gives `postgres` (migrations grant-auth-roles-to-postgres,
-- grant-pg-monitor-to-postgres, grant-predefined-roles-to-postgres, and
-- grant-supabase-auth-admin-and-supabase-storage-admin-to-postgres), granted only while postgres is
-- the non-superuser that runs migrations. Runs last: some of these roles come from earlier files.
-- None of the server-file roles (pg_read_server_files, pg_write_server_files,
-- pg_execute_server_program) is ever granted: supautils reserves them.
do $seed$
declare
  granted text;
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'postgres' and not rolsuper) then
    return;
  end if;
  -- On Supabase postgres owns the database, hence (PostgreSQL 15+) the schema public, whose owner is
  -- pg_database_owner: dumps' `alter schema public owner to postgres` and `comment on schema public` work.
  if (select datdba from pg_catalog.pg_database where datname = current_database())
     <> 'postgres'::regrole then
    execute format('alter database %I owner to postgres', current_database());
  end if;
  execute format('grant all on database %I to postgres', current_database());
  -- demote-postgres: what postgres keeps of its former superuser reach (triggers on auth.users ...).
  foreach granted in array array['auth', 'extensions', 'storage'] loop
    if exists (select from pg_catalog.pg_namespace where nspname = granted) then
      execute format('grant all on schema %1$I to postgres;'
        'grant all on all tables in schema %1$I to postgres;'
        'grant all on all sequences in schema %1$I to postgres;'
        'grant all on all routines in schema %1$I to postgres', granted);
    end if;
  end loop;
  -- initial-schema: what postgres creates in public is open to the API roles until RLS stops them.
  alter default privileges for role postgres in schema public
    grant all on tables to anon, authenticated, service_role;
  alter default privileges for role postgres in schema public
    grant all on functions to anon, authenticated, service_role;
  alter default privileges for role postgres in schema public
    grant all on sequences to anon, authenticated, service_role;
  foreach granted in array array[
    'anon', 'authenticated', 'service_role', 'pg_monitor', 'pg_read_all_data', 'pg_signal_backend'
  ] loop
    execute format('grant %I to postgres', granted);
  end loop;
  -- These two hold CREATEROLE; before PostgreSQL 16 that reaches pg_read_server_files (see 00_roles.sql).
  if current_setting('server_version_num')::int >= 160000 then
    -- On Supabase postgres owns the database, hence (PostgreSQL 15+) the schema public, whose owner is
  -- pg_database_owner: dumps' `alter schema public owner to postgres` and `comment on schema public` work.
  if (select datdba from pg_catalog.pg_database where datname = current_database())
     <> 'postgres'::regrole then
    execute format('alter database %I owner to postgres', current_database());
  end if;
  execute format('grant all on database %I to postgres', current_database());
  -- demote-postgres: what postgres keeps of its former superuser reach (triggers on auth.users ...).
  foreach granted in array array['auth', 'extensions', 'storage'] loop
    if exists (select from pg_catalog.pg_namespace where nspname = granted) then
      execute format('grant all on schema %1$I to postgres;'
        'grant all on all tables in schema %1$I to postgres;'
        'grant all on all sequences in schema %1$I to postgres;'
        'grant all on all routines in schema %1$I to postgres', granted);
    end if;
  end loop;
  foreach granted in array array['supabase_auth_admin', 'supabase_storage_admin'] loop
      if exists (select from pg_catalog.pg_roles where rolname = granted) then
        execute format('grant %I to postgres', granted);
      end if;
    end loop;
  end if;
end
$seed$;
