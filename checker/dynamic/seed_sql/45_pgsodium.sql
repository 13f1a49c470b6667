-- pgsodium: pre-installed in schema `pgsodium` on Supabase's PostgreSQL 15 and 16 images (supabase/postgres
-- migrations/schema-15.sql), which is why `supabase db pull` dumps of those projects say
-- `create extension if not exists "pgsodium" with schema "pgsodium"`. Installed here where the server
-- offers it (the real one, or the checker's stand-in on the embedded server), with what Supabase adds:
-- supautils' after-create grants (privileges.py _AFTER_CREATE has the same for a project's own CREATE),
-- service_role in pgsodium_keyholder (20230529180330_alter_api_roles_for_inherit.sql) and postgres's
-- memberships (99_postgres.sql).

do $seed$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'pgsodium')
     and not exists (select from pg_catalog.pg_extension where extname = 'pgsodium') then
    create schema if not exists pgsodium;
    create extension pgsodium with schema pgsodium;
    grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) to service_role;
    grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) to service_role;
    grant execute on function pgsodium.crypto_aead_det_keygen() to service_role;
  end if;
  if exists (select from pg_catalog.pg_roles where rolname = 'pgsodium_keyholder') then
    grant pgsodium_keyholder to service_role;
  end if;
end
$seed$;
