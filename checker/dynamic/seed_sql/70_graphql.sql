-- GraphQL: pg_graphql lives in `graphql`, PostgREST exposes graphql_public.graphql(). Without pg_graphql,
-- Supabase keeps a placeholder function that answers with an error (20220404205710); the seed does the same
-- unless the function exists.
--
-- pg_graphql is pre-installed, as on every project created from 20220404205710_pg_graphql-on-by-default.sql
-- (April 2022) until 20260421000000_pg_graphql-off-by-default.sql (April 2026), whose migrations assume it:
-- `drop extension pg_graphql` (Supabase's API hardening guide) works there, and `supabase db pull` dumps
-- `create extension if not exists pg_graphql`. A newer project's `create extension pg_graphql` (no IF NOT
-- EXISTS) still works: the seed's copy gives way to it (checker/dynamic/privileges.py).

create schema if not exists graphql;
create schema if not exists graphql_public;

do $seed$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'pg_graphql') then
    create extension if not exists pg_graphql with schema graphql;
  end if;
end
$seed$;

do $seed$
begin
  if to_regprocedure('graphql_public.graphql(text, text, jsonb, jsonb)') is null then
    create function graphql_public.graphql(
      "operationName" text default null, query text default null,
      variables jsonb default null, extensions jsonb default null
    ) returns jsonb language sql as $fn$
      select jsonb_build_object(
        'errors', jsonb_build_array(jsonb_build_object('message', 'pg_graphql extension is not enabled.'))
      )
    $fn$;
  end if;
end
$seed$;

grant usage on schema graphql, graphql_public to postgres, anon, authenticated, service_role;
-- `postgres` may grant these schemas to a project's own roles (20231017062225).
grant usage on schema graphql, graphql_public to postgres with grant option;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to postgres, anon, authenticated, service_role;
alter default privileges in schema graphql_public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema graphql_public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema graphql_public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on sequences to postgres, anon, authenticated, service_role;
