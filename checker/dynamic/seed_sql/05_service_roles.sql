-- The platform's service roles besides the core ones of 00_roles.sql (supabase/postgres init scripts and
-- migrations, supabase/realtime). Each service owns its schema; `postgres` gets the owners' rights through
-- membership, which is what lets a project's migrations (run as a non-superuser `postgres` on Supabase) create
-- policies on storage.objects or triggers on auth.users.

do $seed$
begin
  -- GoTrue, storage-api and the webhooks log in as their admin role (NOINHERIT: only their own objects).
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin login noinherit noreplication;
    if current_setting('server_version_num')::int >= 160000 then  -- CREATEROLE: see 00_roles.sql
      alter role supabase_storage_admin createrole;
    end if;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin login noinherit noreplication;
    if current_setting('server_version_num')::int >= 160000 then  -- CREATEROLE: see 00_roles.sql
      alter role supabase_functions_admin createrole;
    end if;
  end if;
  -- Realtime creates its objects with SET ROLE; it never logs in.
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit noreplication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'dashboard_user') then
    create role dashboard_user nosuperuser createdb createrole replication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'pgbouncer') then
    create role pgbouncer login;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_read_only_user') then
    create role supabase_read_only_user login bypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_replication_admin') then
    create role supabase_replication_admin login replication;
  end if;
end
$seed$;

grant pg_read_all_data to supabase_read_only_user;
-- storage-api switches to the API roles through authenticator; realtime runs policies as them.
grant authenticator to supabase_storage_admin;
grant anon, authenticated, service_role to supabase_realtime_admin;
-- postgres's memberships in these roles are granted in 99_postgres.sql, with the other rights it gets.
