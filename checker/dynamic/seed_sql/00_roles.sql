-- Supabase's roles, as a hosted project has them (see seed.py for how the seed files run).
-- Idempotent: each role is created only when missing; existing roles are never altered.
--
-- `postgres` is what runs migrations. On Supabase it is not a superuser (the init migration
-- demote-postgres): NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS. Before PostgreSQL 16,
-- CREATEROLE may grant any non-superuser role, pg_read_server_files included (Supabase's supautils
-- blocks that; nothing here can), so on those servers postgres is made without CREATEROLE.
-- Where `postgres` already exists as a superuser (a server the checker did not make), it is left
-- alone and the run uses a role of its own (checker/dynamic/privileges.py).

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
    create role supabase_auth_admin login noinherit noreplication;
    if current_setting('server_version_num')::int >= 160000 then  -- see above: CREATEROLE before 16
      alter role supabase_auth_admin createrole;
    end if;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'postgres') then
    create role postgres login nosuperuser createdb replication bypassrls;
    if current_setting('server_version_num')::int >= 160000 then
      alter role postgres createrole;
    end if;
  end if;
end
$seed$;

-- Supabase also grants supabase_admin to authenticator; not here: with the memberships below
-- (postgres -> supabase_storage_admin -> authenticator) it would let a migration SET ROLE to a superuser.
grant anon, authenticated, service_role to authenticator;
