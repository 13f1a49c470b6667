-- The database itself and schema `public` (init script 00000000000000-initial-schema.sql,
-- demote-postgres). Left out on purpose: Supabase's `alter role anon set statement_timeout = '3s'` and
-- authenticated's '8s' would cut the checker's own probes short, and role settings are cluster-wide.

do $seed$
begin
  execute format('alter database %I set search_path to "$user", public, extensions', current_database());
  execute format('grant all on database %I to postgres, dashboard_user', current_database());
end
$seed$;

-- What the API roles may reach in `public`: tables and functions created by `postgres` (migrations) or by
-- supabase_admin (the dashboard) are open to them until RLS or a revoke says otherwise.
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
