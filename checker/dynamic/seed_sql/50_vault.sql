-- Vault: secrets that projects' migrations store for their cron jobs and webhooks
-- (vault.create_secret(...), then reading vault.decrypted_secrets). The supabase_vault extension is used
-- when the server has it; otherwise a stand-in with the extension's tables and signatures is created.
-- The stand-in does NOT encrypt: `secret` holds the value as given. It exists only so that migrations using
-- the vault run in a throwaway database.

do $seed$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'supabase_vault')
     or to_regclass('vault.secrets') is not null then
    return;
  end if;
  if exists (select from pg_catalog.pg_available_extensions where name = 'supabase_vault') then
    begin
      create schema if not exists vault;
      create extension supabase_vault with schema vault cascade;
      return;
    exception when others then
      -- e.g. the extension needs pgsodium's server key; fall back to the stand-in below.
      raise notice 'supabase_vault not installed (%); using the seed''s stand-in', sqlerrm;
    end;
  end if;

  create schema if not exists vault;
  create table vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp
  );
  comment on table vault.secrets is 'Stand-in for supabase_vault: secrets are stored unencrypted.';
  create unique index secrets_name_idx on vault.secrets (name) where name is not null;

  create view vault.decrypted_secrets as
    select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
    from vault.secrets;

  create function vault.create_secret(
    new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
  ) returns uuid language sql security definer set search_path = pg_catalog, pg_temp as $fn$
    insert into vault.secrets (secret, name, description, key_id)
    values (new_secret, new_name, new_description, new_key_id)
    returning id
  $fn$;

  create function vault.update_secret(
    secret_id uuid, new_secret text default null, new_name text default null,
    new_description text default null, new_key_id uuid default null
  ) returns void language sql security definer set search_path = pg_catalog, pg_temp as $fn$
    update vault.secrets
    set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
        description = coalesce(new_description, description), key_id = coalesce(new_key_id, key_id),
        updated_at = now()
    where id = secret_id
  $fn$;

  -- As the extension: nobody but the granted roles may call these or read the secrets.
  revoke all on function vault.create_secret(text, text, text, uuid) from public;
  revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
  alter schema vault owner to supabase_admin;
  alter table vault.secrets owner to supabase_admin;
  alter view vault.decrypted_secrets owner to supabase_admin;
  alter function vault.create_secret(text, text, text, uuid) owner to supabase_admin;
  alter function vault.update_secret(uuid, text, text, text, uuid) owner to supabase_admin;
end
$seed$;

-- `postgres` manages secrets in migrations; the API roles never see them.
do $seed$
begin
  if to_regclass('vault.secrets') is not null then
    grant usage on schema vault to postgres with grant option;
    grant select, delete on vault.secrets to postgres with grant option;
    grant select on vault.decrypted_secrets to postgres with grant option;
    grant execute on function vault.create_secret(text, text, text, uuid) to postgres with grant option;
    grant execute on function vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;
    -- The extension grants ALL on its schema, table and view to pgsodium_keyiduser, a role Supabase gives
    -- postgres (create_pgsodium_and_vault; 99_postgres.sql): so a migration's foreign key to vault.secrets
    -- (REFERENCES) works there.
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgsodium_keyiduser') then
      create role pgsodium_keyiduser nologin;
    end if;
    grant all on schema vault to pgsodium_keyiduser;
    grant all on table vault.secrets to pgsodium_keyiduser;
    grant all on table vault.decrypted_secrets to pgsodium_keyiduser;
  end if;
end
$seed$;
