-- Schema `extensions` and what a new Supabase project has installed in it (init script
-- 00000000000000-initial-schema.sql and the schema dump): each only where the server ships it.

create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres, dashboard_user;

do $seed$
declare
  wanted text;
begin
  -- pgjwt needs pgcrypto, so the order matters.
  foreach wanted in array array['uuid-ossp', 'pgcrypto', 'pgjwt', 'pg_stat_statements'] loop
    if exists (select from pg_catalog.pg_available_extensions where name = wanted) then
      execute format('create extension if not exists %I with schema extensions cascade', wanted);
    end if;
  end loop;
  -- Stand-in only where uuid-ossp cannot be installed (never replaces the extension's function).
  if not exists (select from pg_catalog.pg_extension where extname = 'uuid-ossp')
     and to_regprocedure('extensions.uuid_generate_v4()') is null then
    create function extensions.uuid_generate_v4() returns uuid
      language sql volatile parallel safe
      as 'select pg_catalog.gen_random_uuid()';
  end if;
end
$seed$;

-- `postgres` may use and re-grant everything in `extensions` (20230224042246).
grant all on all tables in schema extensions to postgres with grant option;
grant all on all routines in schema extensions to postgres with grant option;
grant all on all sequences in schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;
