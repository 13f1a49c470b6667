-- What Supabase gives `postgres` (the init migration demote-postgres and the migrations that grant it
-- roles), applied only while postgres is the non-superuser that runs migrations. Runs last: some of
-- these roles and schemas come from earlier files. None of the server-file roles
-- (pg_read_server_files, pg_write_server_files, pg_execute_server_program) is ever granted:
-- supautils reserves them.
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
  -- demote-postgres: what postgres keeps of its former superuser reach (triggers on auth.users ...).
  foreach granted in array array['auth', 'extensions', 'storage'] loop
    if exists (select from pg_catalog.pg_namespace where nspname = granted) then
      execute format('grant all on schema %1$I to postgres;'
        'grant all on all tables in schema %1$I to postgres;'
        'grant all on all sequences in schema %1$I to postgres;'
        'grant all on all routines in schema %1$I to postgres', granted);
    end if;
  end loop;
  -- supabase_realtime_admin stands in for supautils.policy_grants (policies on realtime.messages).
  foreach granted in array array[
    'anon', 'authenticated', 'service_role', 'pg_monitor', 'pg_read_all_data', 'pg_signal_backend',
    'supabase_realtime_admin'
  ] loop
    execute format('grant %I to postgres', granted);
  end loop;
  -- Owner rights on auth, storage and webhooks (policies, triggers, ALTER on their tables). Before
  -- PostgreSQL 16 a role with CREATEROLE reaches pg_read_server_files, so postgres never joins one there.
  foreach granted in array array['supabase_auth_admin', 'supabase_storage_admin', 'supabase_functions_admin'] loop
    if exists (
      select from pg_catalog.pg_roles where rolname = granted
        and (not rolcreaterole or current_setting('server_version_num')::int >= 160000)
    ) then
      execute format('grant %I to postgres', granted);
    end if;
  end loop;
end
$seed$;
