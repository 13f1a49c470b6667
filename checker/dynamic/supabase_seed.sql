-- Make a fresh PostgreSQL database look, to a migration, like a Supabase project's database.
--
-- Written from Supabase's documented behaviour and its published database init scripts; it is
-- idempotent (a second run changes nothing) and skips whatever already exists, so it can also run
-- on top of a real supabase/postgres image. It must run as a superuser (every engine hands one out).
--
-- Reproduced:
--   * roles anon, authenticated (NOLOGIN NOINHERIT), service_role (NOLOGIN NOINHERIT BYPASSRLS),
--     authenticator (LOGIN NOINHERIT, member of anon, authenticated, service_role, supabase_admin),
--     supabase_admin (superuser), supabase_auth_admin (owner of the auth schema's objects);
--   * schema extensions with "uuid-ossp" and pgcrypto in it when the server has them, usage granted
--     to anon, authenticated, service_role; the database's search_path is "$user", public, extensions;
--   * schema auth (usage granted to anon, authenticated, service_role) with auth.users (GoTrue's
--     common columns) and auth.uid(), auth.role(), auth.email(), auth.jwt(), which read
--     request.jwt.claim.<name> first and then request.jwt.claims, as PostgREST sets them;
--   * usage on schema public for anon, authenticated, service_role, and default privileges so that
--     tables, sequences and functions created in public (by the migrating role or supabase_admin)
--     are fully granted to them: a new table is open to the API roles until RLS is enabled;
--   * the empty publication supabase_realtime (migrations add tables to it).
--
-- Stand-ins, used only when the server lacks the extension (the embedded engine has neither):
--   * without "uuid-ossp": extensions.uuid_generate_v4() returning gen_random_uuid();
--   * without pgcrypto: nothing; only the core gen_random_uuid() exists, not crypt()/gen_salt()/digest().
--
-- Not reproduced: GoTrue itself and the rest of the auth schema (sessions, identities, refresh
-- tokens, MFA tables), the storage schema, realtime, pg_graphql, PostgREST, pg_net/pgsodium/vault,
-- pg_cron, the per-role statement timeouts, supabase_functions/edge functions, event triggers that
-- Supabase installs, and the non-superuser `postgres` role of hosted projects.

-- Roles ------------------------------------------------------------------------------------------
do $seed$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin login superuser createdb createrole replication bypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole noreplication;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$seed$;

grant anon, authenticated, service_role, supabase_admin to authenticator;

-- Extensions -------------------------------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

do $seed$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'uuid-ossp') then
    create extension if not exists "uuid-ossp" with schema extensions;
  end if;
  if exists (select from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
    create extension if not exists pgcrypto with schema extensions;
  end if;
  -- Stand-in only where uuid-ossp cannot be installed (never replaces the extension's function).
  if not exists (select from pg_catalog.pg_extension where extname = 'uuid-ossp') then
    create or replace function extensions.uuid_generate_v4() returns uuid
      language sql volatile parallel safe
      as 'select pg_catalog.gen_random_uuid()';
  end if;
end
$seed$;

do $seed$
begin
  execute format('alter database %I set search_path to "$user", public, extensions', current_database());
end
$seed$;

-- Schema public: what the API roles may reach ----------------------------------------------------
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to anon, authenticated, service_role;

-- Schema auth ------------------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin;

create table if not exists auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false
);
alter table auth.users owner to supabase_auth_admin;
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';

create or replace function auth.uid() returns uuid
  language sql stable
  as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$fn$;

create or replace function auth.role() returns text
  language sql stable
  as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$fn$;

create or replace function auth.email() returns text
  language sql stable
  as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$fn$;

create or replace function auth.jwt() returns jsonb
  language sql stable
  as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$fn$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;

-- Realtime's publication -------------------------------------------------------------------------
do $seed$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$seed$;
