-- Stand-in for Supabase Vault 0.3: vault.secrets, vault.decrypted_secrets and the two functions migrations
-- call, with Vault's signatures. The secret column holds the secret as given (the real one holds its
-- ciphertext), and decrypted_secret shows the same value.
\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default uuid_send(gen_random_uuid()),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);

comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';

create unique index on vault.secrets using btree (name) where name is not null;

create view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret, s.secret as decrypted_secret, s.key_id, s.nonce,
       s.created_at, s.updated_at
from vault.secrets as s;

create function vault.create_secret(new_secret text, new_name text = null, new_description text = '',
                                    new_key_id uuid = null)
returns uuid
language sql
security definer  -- as the real Vault's: callers write secrets only through these functions
set search_path = ''
begin atomic
  insert into vault.secrets (secret, name, description) values (new_secret, new_name, new_description)
  returning id;
end;

create function vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null,
                                    new_description text = null, new_key_id uuid = null)
returns void
language sql
security definer
set search_path = ''
begin atomic
  update vault.secrets as s
  set secret = coalesce(new_secret, s.secret),
      name = coalesce(new_name, s.name),
      description = coalesce(new_description, s.description),
      updated_at = pg_catalog.now()
  where s.id = secret_id;
end;

select pg_catalog.pg_extension_config_dump('vault.secrets', '');
