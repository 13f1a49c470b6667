-- Stand-in for pgsodium 3.1.8 (the version Supabase ships) on servers without it. Its catalog follows the
-- real extension's, read off it built from source: the same 137 functions (names, arguments with their
-- defaults, results, volatility, strictness, security definer, search_path and privileges), types, key table,
-- views, roles and event trigger. libsodium is C, so the cryptography here is an approximation written in
-- PL/pgSQL over PostgreSQL's sha256()/sha512():
--   * exact: crypto_hash_sha256/512, crypto_auth_hmacsha256/512 and crypto_auth (HMAC-SHA-512-256);
--   * same lengths, round trips and failures, other bytes: secretbox, aead_det, aead_ietf (a keyed SHA-512
--     stream and tag), generichash, shorthash, pwhash (argon2id's string shape), kdf, derive_key (from a
--     random root key made at install, where the real one reads the server's key);
--   * refused: crypto_box*, crypto_sign*, crypto_signcrypt*, crypto_kx session keys, crypto_stream_xchacha20*
--     and the masking functions of Transparent Column Encryption raise feature_not_supported with a message
--     starting "checker stand-in:", which the dynamic stage reports as not verified (standins.unreproduced).
-- SECURITY LABEL FOR pgsodium needs the real extension's label provider, which SQL cannot register.
\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

-- The extension's roles (not members of it): keyiduser uses keys by id, keyholder also holds raw keys,
-- keymaker makes them.
do $roles$
declare
  wanted text;
begin
  foreach wanted in array array['pgsodium_keyiduser', 'pgsodium_keyholder', 'pgsodium_keymaker'] loop
    if not exists (select from pg_catalog.pg_roles where rolname = wanted) then
      execute format('create role %I nologin', wanted);
    end if;
  end loop;
end
$roles$;
grant pgsodium_keyiduser to pgsodium_keyholder;
grant pgsodium_keyiduser to pgsodium_keymaker;
grant pgsodium_keyholder to pgsodium_keymaker;

grant usage on schema pgsodium to public;
create schema pgsodium_masks;
grant usage on schema pgsodium_masks to pgsodium_keyiduser;

create type pgsodium.key_status as enum ('default', 'valid', 'invalid', 'expired');
create type pgsodium.key_type as enum (
  'aead-ietf', 'aead-det', 'hmacsha512', 'hmacsha256', 'auth', 'shorthash', 'generichash', 'kdf', 'secretbox',
  'secretstream', 'stream_xchacha20'
);
create type pgsodium._key_id_context as (key_id bigint, key_context bytea);
create type pgsodium.crypto_box_keypair as (public bytea, secret bytea);
create type pgsodium.crypto_sign_keypair as (public bytea, secret bytea);
create type pgsodium.crypto_kx_keypair as (public bytea, secret bytea);
create type pgsodium.crypto_kx_session as (rx bytea, tx bytea);
create type pgsodium.crypto_signcrypt_keypair as (public bytea, secret bytea);
create type pgsodium.crypto_signcrypt_state_key as (state bytea, shared_key bytea);

create sequence pgsodium.key_key_id_seq;
create table pgsodium.key (
  id uuid primary key default gen_random_uuid(),
  status pgsodium.key_status default 'valid',
  created timestamptz not null default current_timestamp,
  expires timestamptz,
  key_type pgsodium.key_type,
  key_id bigint default nextval('pgsodium.key_key_id_seq'),
  key_context bytea default '\x7067736f6469756d' check (length(key_context) = 8),
  name text constraint pgsodium_key_unique_name unique,
  associated_data text default 'associated',
  raw_key bytea,
  raw_key_nonce bytea,
  parent_key uuid references pgsodium.key (id),
  comment text,
  user_data text,
  constraint pgsodium_raw check (
    case when raw_key is not null then key_id is null and key_context is null and parent_key is not null
    else key_id is not null and key_context is not null and parent_key is null end
  )
);
alter sequence pgsodium.key_key_id_seq owned by pgsodium.key.key_id;
create unique index key_key_id_key_context_key_type_idx on pgsodium.key (key_id, key_context, key_type);
create index key_status_idx on pgsodium.key (status) where status in ('valid', 'default');
create unique index key_status_idx1 on pgsodium.key (status) where status = 'default';
comment on table pgsodium.key is
  'This table holds metadata for derived keys given a key_id and key_context. The raw key is never stored.';
select pg_catalog.pg_extension_config_dump('pgsodium.key', '');
select pg_catalog.pg_extension_config_dump('pgsodium.key_key_id_seq', '');

create view pgsodium.valid_key as
  select id, name, status, key_type, key_id, key_context, created, expires, associated_data
  from pgsodium.key
  where status in ('valid', 'default') and case when expires is null then true else expires > now() end;

-- Transparent Column Encryption's rules, read from the columns' security labels (none can be set here).
create view pgsodium.masking_rule as
  with const as (
    select
      'encrypt +with +key +id +([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})' as pattern_key_id,
      'encrypt +with +key +column +([\w\"\-$]+)' as pattern_key_id_column,
      '(?<=associated) +\(([\w\"\-$, ]+)\)' as pattern_associated_columns,
      '(?<=nonce) +([\w\"\-$]+)' as pattern_nonce_column,
      '(?<=decrypt with view) +([\w\"\-$]+\.[\w\"\-$]+)' as pattern_view_name,
      '(?<=security invoker)' as pattern_security_invoker
  ), rules_from_seclabels as (
    select
      sl.objoid as attrelid, sl.objsubid as attnum, c.relnamespace::regnamespace as relnamespace, c.relname,
      a.attname, format_type(a.atttypid, a.atttypmod) as format_type, sl.label as col_description,
      (regexp_match(sl.label, k.pattern_key_id_column, 'i'))[1] as key_id_column,
      (regexp_match(sl.label, k.pattern_key_id, 'i'))[1] as key_id,
      (regexp_match(sl.label, k.pattern_associated_columns, 'i'))[1] as associated_columns,
      (regexp_match(sl.label, k.pattern_nonce_column, 'i'))[1] as nonce_column,
      coalesce(
        (regexp_match(sl2.label, k.pattern_view_name, 'i'))[1],
        c.relnamespace::regnamespace || '.' || quote_ident('decrypted_' || c.relname)
      ) as view_name,
      100 as priority,
      (regexp_match(sl.label, k.pattern_security_invoker, 'i'))[1] is not null as security_invoker
    from const k, pg_seclabel sl
    join pg_class c on sl.classoid = c.tableoid and sl.objoid = c.oid
    join pg_attribute a on a.attrelid = c.oid and sl.objsubid = a.attnum
    left join pg_seclabel sl2 on sl2.objoid = c.oid and sl2.objsubid = 0
    where a.attnum > 0 and c.relnamespace::regnamespace::oid <> 'pg_catalog'::regnamespace::oid
      and not a.attisdropped and sl.label ilike 'ENCRYPT%' and sl.provider = 'pgsodium'
  )
  select distinct on (attrelid, attnum)
    attrelid, attnum, relnamespace, relname, attname, format_type, col_description, key_id_column, key_id,
    associated_columns, nonce_column, view_name, priority, security_invoker
  from rules_from_seclabels
  order by attrelid, attnum, priority desc;

create view pgsodium.mask_columns as
  select a.attname, a.attrelid, m.key_id, m.key_id_column, m.associated_columns, m.nonce_column, m.format_type
  from pg_attribute a
  left join pgsodium.masking_rule m on m.attrelid = a.attrelid and m.attname = a.attname
  where a.attnum > 0 and not a.attisdropped
  order by a.attnum;

-- --- the stand-in's own helpers (not in the real extension) -------------------------------------------

create function pgsodium._checker_not_reproduced(signature text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $fn$
begin
  raise exception using errcode = 'feature_not_supported',
    message = 'checker stand-in: pgsodium.' || signature || ' is not reproduced',
    hint = 'the checker''s pgsodium stand-in has the function''s signature only; Supabase has the real one';
end
$fn$;

-- n random bytes: each block hashes two v4 UUIDs (244 bits from the server's strong random source).
create function pgsodium._checker_random(n integer) returns bytea
language sql volatile strict set search_path = pg_catalog, pg_temp as $fn$
  select coalesce(substring(string_agg(
    pg_catalog.sha512(uuid_send(pg_catalog.gen_random_uuid()) || uuid_send(pg_catalog.gen_random_uuid())),
    ''::bytea) from 1 for n), ''::bytea)
  from generate_series(1, (n + 63) / 64)
$fn$;

-- HMAC (RFC 2104) over SHA-256 or SHA-512, byte for byte.
create function pgsodium._checker_hmac(message bytea, key bytea, algorithm text) returns bytea
language plpgsql immutable strict set search_path = pg_catalog, pg_temp as $fn$
declare
  block integer := case algorithm when 'sha256' then 64 else 128 end;
  padded bytea;
  inner_pad bytea;
  outer_pad bytea;
begin
  padded := case when length(key) > block then
      case algorithm when 'sha256' then pg_catalog.sha256(key) else pg_catalog.sha512(key) end
    else key end;
  padded := padded || decode(repeat('00', block - length(padded)), 'hex');
  inner_pad := padded;
  outer_pad := padded;
  for i in 0 .. block - 1 loop
    inner_pad := set_byte(inner_pad, i, get_byte(padded, i) # 54);
    outer_pad := set_byte(outer_pad, i, get_byte(padded, i) # 92);
  end loop;
  if algorithm = 'sha256' then
    return pg_catalog.sha256(outer_pad || pg_catalog.sha256(inner_pad || message));
  end if;
  return pg_catalog.sha512(outer_pad || pg_catalog.sha512(inner_pad || message));
end
$fn$;

-- n bytes of keystream for a key and nonce.
create function pgsodium._checker_stream(key bytea, nonce bytea, n integer) returns bytea
language sql immutable set search_path = pg_catalog, pg_temp as $fn$
  select coalesce(substring(string_agg(
    pg_catalog.sha512(key || coalesce(nonce, ''::bytea) || int4send(block)), ''::bytea order by block)
    from 1 for n), ''::bytea)
  from generate_series(0, n / 64) as block
$fn$;

create function pgsodium._checker_xor(data bytea, pad bytea) returns bytea
language plpgsql immutable strict set search_path = pg_catalog, pg_temp as $fn$
declare
  result bytea := data;
begin
  for i in 0 .. length(data) - 1 loop
    result := set_byte(result, i, get_byte(data, i) # get_byte(pad, i));
  end loop;
  return result;
end
$fn$;

-- Encrypt: the message xor'ed with the key's stream, then a tag over nonce, additional data and ciphertext.
create function pgsodium._checker_seal(
  message bytea, additional bytea, nonce bytea, key bytea, tag_length integer
) returns bytea
language plpgsql immutable set search_path = pg_catalog, pg_temp as $fn$
declare
  sealed bytea := pgsodium._checker_xor(message, pgsodium._checker_stream(key, nonce, length(message)));
begin
  if message is null or key is null then
    return null;
  end if;
  return sealed || substring(pgsodium._checker_hmac(
    coalesce(nonce, ''::bytea) || coalesce(additional, ''::bytea) || sealed, key, 'sha512') from 1 for tag_length);
end
$fn$;

-- Decrypt, or fail with the real function's message where the tag does not match (wrong key, nonce, data).
create function pgsodium._checker_open(
  ciphertext bytea, additional bytea, nonce bytea, key bytea, tag_length integer, failure text
) returns bytea
language plpgsql immutable set search_path = pg_catalog, pg_temp as $fn$
declare
  sealed bytea;
begin
  if ciphertext is null or key is null then
    return null;
  end if;
  if length(ciphertext) <= tag_length then  -- the callers check first, with the real message
    raise exception using errcode = 'data_exception', message = failure;
  end if;
  sealed := substring(ciphertext from 1 for length(ciphertext) - tag_length);
  if substring(ciphertext from length(sealed) + 1) <> substring(pgsodium._checker_hmac(
      coalesce(nonce, ''::bytea) || coalesce(additional, ''::bytea) || sealed, key, 'sha512') from 1 for tag_length)
  then
    raise exception using errcode = 'data_exception', message = failure;
  end if;
  return pgsodium._checker_xor(sealed, pgsodium._checker_stream(key, nonce, length(sealed)));
end
$fn$;

-- The root key that derived keys (key ids) come from: random per database, readable by its owner only,
-- pgsodium_keymaker (as the real server key is only the C code's), never a superuser: the derivation runs
-- as it, and a superuser-owned SECURITY DEFINER function would let the project's SQL act as a superuser.
create table pgsodium._checker_root_key (key bytea not null);
insert into pgsodium._checker_root_key select pgsodium._checker_random(32);
revoke all on pgsodium._checker_root_key from public;
alter table pgsodium._checker_root_key owner to pgsodium_keymaker;

create function pgsodium._checker_derived(key_id bigint, key_len integer, context bytea) returns bytea
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $fn$
begin
  if key_len < 16 or key_len > 64 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_derive: invalid key size requested';
  end if;
  if length(context) <> 8 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_derive: context must be 8 bytes';
  end if;
  return substring(pgsodium._checker_hmac(int8send(key_id) || context,
    (select key from pgsodium._checker_root_key), 'sha512') from 1 for key_len);
end
$fn$;
alter function pgsodium._checker_derived(bigint, integer, bytea) owner to pgsodium_keymaker;

-- {public, secret} for a key pair: the public key is a hash of the secret; a signing secret carries its
-- public key after it, as libsodium's does.
create function pgsodium._checker_keypair(secret bytea, secret_length integer) returns bytea[]
language sql immutable strict set search_path = pg_catalog, pg_temp as $fn$
  select array[pg_catalog.sha256(secret),
    case when secret_length = 64 then secret || pg_catalog.sha256(secret) else secret end]
$fn$;

create function pgsodium.create_key(key_type pgsodium.key_type DEFAULT 'aead-det'::pgsodium.key_type, name text DEFAULT NULL::text, raw_key bytea DEFAULT NULL::bytea, raw_key_nonce bytea DEFAULT NULL::bytea, parent_key uuid DEFAULT NULL::uuid, key_context bytea DEFAULT '\x7067736f6469756d'::bytea, expires timestamp with time zone DEFAULT NULL::timestamp with time zone, associated_data text DEFAULT ''::text) returns pgsodium.valid_key
language plpgsql volatile security definer set search_path = '' as $fn$
declare
  new_key pgsodium.key;
  valid_key pgsodium.valid_key;
begin
  insert into pgsodium.key (key_id, key_context, key_type, raw_key, raw_key_nonce, parent_key, expires, name, associated_data)
  values (
    case when raw_key is null then nextval('pgsodium.key_key_id_seq'::regclass) end,
    case when raw_key is null then key_context end,
    key_type, raw_key,
    case when raw_key is not null then coalesce(raw_key_nonce, pgsodium.crypto_aead_det_noncegen()) end,
    case when parent_key is null and raw_key is not null then (pgsodium.create_key('aead-det')).id else parent_key end,
    expires, name, associated_data)
  returning * into new_key;
  select * into valid_key from pgsodium.valid_key where id = new_key.id;
  return valid_key;
end
$fn$;

create function pgsodium.create_mask_view(relid oid, debug boolean DEFAULT false) returns void
language plpgsql volatile set search_path = pg_catalog as $fn$
begin
  perform pgsodium._checker_not_reproduced('create_mask_view(oid, boolean)');
end
$fn$;

create function pgsodium.create_mask_view(relid oid, subid integer, debug boolean DEFAULT false) returns void
language plpgsql volatile set search_path = pg_catalog as $fn$
begin
  perform pgsodium._checker_not_reproduced('create_mask_view(oid, integer, boolean)');
end
$fn$;

create function pgsodium.crypto_aead_det_decrypt(ciphertext bytea, additional bytea, key bytea, nonce bytea DEFAULT NULL::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if ciphertext is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt: ciphertext cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt: key cannot be NULL';
  end if;
  if length(ciphertext) <= 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt: invalid message';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt: invalid key';
  end if;
  if nonce is not null and length(nonce) <> 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt: invalid nonce';
  end if;
  return pgsodium._checker_open(ciphertext, additional, nonce, key, 32, 'pgsodium_crypto_aead_det_decrypt: invalid ciphertext');
end
$fn$;

create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea, nonce bytea DEFAULT NULL::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt_by_id: message cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt_by_id: key context cannot be NULL';
  end if;
  if nonce is not null and length(nonce) <> 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt_by_id: invalid nonce';
  end if;
  if length(message) <= 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_decrypt_by_id: invalid message';
  end if;
  return pgsodium._checker_open(message, additional, nonce, pgsodium._checker_derived(key_id, 32, context), 32, 'pgsodium_crypto_aead_det_decrypt_by_id: invalid ciphertext');
end
$fn$;

create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-det';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_det_decrypt(message, additional, key.decrypted_raw_key, null);
  end if;
  return pgsodium.crypto_aead_det_decrypt(message, additional, key.key_id, key.key_context, null);
end
$fn$;

create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-det';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_det_decrypt(message, additional, key.decrypted_raw_key, nonce);
  end if;
  return pgsodium.crypto_aead_det_decrypt(message, additional, key.key_id, key.key_context, nonce);
end
$fn$;

create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key bytea, nonce bytea DEFAULT NULL::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt: message cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt: key cannot be NULL';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt: invalid key';
  end if;
  if nonce is not null and length(nonce) <> 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt: invalid nonce';
  end if;
  return pgsodium._checker_seal(message, additional, nonce, key, 32);
end
$fn$;

create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea, nonce bytea DEFAULT NULL::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt_by_id: message cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt_by_id: key context cannot be NULL';
  end if;
  if nonce is not null and length(nonce) <> 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_det_encrypt_by_id: invalid nonce';
  end if;
  return pgsodium._checker_seal(message, additional, nonce, pgsodium._checker_derived(key_id, 32, context), 32);
end
$fn$;

create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-det';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_det_encrypt(message, additional, key.decrypted_raw_key, null);
  end if;
  return pgsodium.crypto_aead_det_encrypt(message, additional, key.key_id, key.key_context, null);
end
$fn$;

create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-det';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_det_encrypt(message, additional, key.decrypted_raw_key, nonce);
  end if;
  return pgsodium.crypto_aead_det_encrypt(message, additional, key.key_id, key.key_context, nonce);
end
$fn$;

create function pgsodium.crypto_aead_det_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_aead_det_noncegen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(16);
end
$fn$;

create function pgsodium.crypto_aead_ietf_decrypt(message bytea, additional bytea, nonce bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: ciphertext cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: nonce cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: key cannot be NULL';
  end if;
  if length(message) <= 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: invalid message';
  end if;
  if length(nonce) <> 12 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: invalid nonce';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt: invalid key';
  end if;
  return pgsodium._checker_open(message, additional, nonce, key, 16, 'pgsodium_crypto_aead_ietf_decrypt: invalid ciphertext');
end
$fn$;

create function pgsodium.crypto_aead_ietf_decrypt(message bytea, additional bytea, nonce bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: ciphertext cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: nonce cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: key context cannot be NULL';
  end if;
  if length(message) <= 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: invalid message';
  end if;
  if length(nonce) <> 12 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_decrypt_by_id: invalid nonce';
  end if;
  return pgsodium._checker_open(message, additional, nonce, pgsodium._checker_derived(key_id, 32, context), 16, 'pgsodium_crypto_aead_ietf_decrypt_by_id: invalid ciphertext');
end
$fn$;

create function pgsodium.crypto_aead_ietf_decrypt(message bytea, additional bytea, nonce bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-ietf';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_ietf_decrypt(message, additional, nonce, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_aead_ietf_decrypt(message, additional, nonce, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_aead_ietf_encrypt(message bytea, additional bytea, nonce bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt: nonce cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt: key cannot be NULL';
  end if;
  if length(nonce) <> 12 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt: invalid nonce';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt: invalid key';
  end if;
  return pgsodium._checker_seal(message, additional, nonce, key, 16);
end
$fn$;

create function pgsodium.crypto_aead_ietf_encrypt(message bytea, additional bytea, nonce bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt_by_id: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt_by_id: nonce cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt_by_id: key context cannot be NULL';
  end if;
  if length(nonce) <> 12 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_aead_ietf_encrypt_by_id: invalid nonce';
  end if;
  return pgsodium._checker_seal(message, additional, nonce, pgsodium._checker_derived(key_id, 32, context), 16);
end
$fn$;

create function pgsodium.crypto_aead_ietf_encrypt(message bytea, additional bytea, nonce bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'aead-ietf';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_aead_ietf_encrypt(message, additional, nonce, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_aead_ietf_encrypt(message, additional, nonce, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_aead_ietf_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_aead_ietf_noncegen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(12);
end
$fn$;

create function pgsodium.crypto_auth(message bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_auth: invalid key';
  end if;
  return substring(pgsodium._checker_hmac(message, key, 'sha512') from 1 for 32);
end
$fn$;

create function pgsodium.crypto_auth(message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth(message, pgsodium._checker_derived(key_id, 32, context));
end
$fn$;

create function pgsodium.crypto_auth(message bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'auth';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_auth(message, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_auth(message, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256(message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium._checker_hmac(message, pgsodium._checker_derived(key_id, 32, context), 'sha256');
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256(message bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'hmacsha256';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_auth_hmacsha256(message, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_auth_hmacsha256(message, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256(message bytea, secret bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if length(secret) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_auth_hmacsha256: invalid key';
  end if;
  return pgsodium._checker_hmac(message, secret, 'sha256');
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256_verify(hash bytea, message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth_hmacsha256(message, key_id, context) = hash;
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256_verify(hash bytea, message bytea, secret bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth_hmacsha256(message, secret) = hash;
end
$fn$;

create function pgsodium.crypto_auth_hmacsha256_verify(signature bytea, message bytea, key_uuid uuid) returns boolean
language plpgsql stable security definer set search_path = '' as $fn$
begin
  return pgsodium.crypto_auth_hmacsha256(message, key_uuid) = signature;
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512(message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium._checker_hmac(message, pgsodium._checker_derived(key_id, 32, context), 'sha512');
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512(message bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'hmacsha512';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_auth_hmacsha512(message, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_auth_hmacsha512(message, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512(message bytea, secret bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if length(secret) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_auth_hmacsha512: invalid key';
  end if;
  return pgsodium._checker_hmac(message, secret, 'sha512');
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512_verify(hash bytea, message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth_hmacsha512(message, key_id, context) = hash;
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512_verify(hash bytea, message bytea, secret bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth_hmacsha512(message, secret) = hash;
end
$fn$;

create function pgsodium.crypto_auth_hmacsha512_verify(signature bytea, message bytea, key_uuid uuid) returns boolean
language plpgsql stable security definer set search_path = '' as $fn$
begin
  return pgsodium.crypto_auth_hmacsha512(message, key_uuid) = signature;
end
$fn$;

create function pgsodium.crypto_auth_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_auth_verify(mac bytea, message bytea, key bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth(message, key) = mac;
end
$fn$;

create function pgsodium.crypto_auth_verify(mac bytea, message bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns boolean
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_auth(message, key_id, context) = mac;
end
$fn$;

create function pgsodium.crypto_auth_verify(mac bytea, message bytea, key_uuid uuid) returns boolean
language plpgsql stable security definer set search_path = '' as $fn$
begin
  return pgsodium.crypto_auth(message, key_uuid) = mac;
end
$fn$;

create function pgsodium.crypto_box(message bytea, nonce bytea, public bytea, secret bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_box(bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_box_new_keypair() returns pgsodium.crypto_box_keypair
language plpgsql volatile as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium._checker_random(32), 32);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_box_keypair;
end
$fn$;

create function pgsodium.crypto_box_new_seed() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_box_noncegen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(24);
end
$fn$;

create function pgsodium.crypto_box_open(ciphertext bytea, nonce bytea, public bytea, secret bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_box_open(bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_box_seal(message bytea, public_key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_box_seal(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_box_seal_open(ciphertext bytea, public_key bytea, secret_key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_box_seal_open(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_box_seed_new_keypair(seed bytea) returns pgsodium.crypto_box_keypair
language plpgsql immutable as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium.crypto_generichash(seed), 32);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_box_keypair;
end
$fn$;

create function pgsodium.crypto_cmp(text, text) returns boolean
language plpgsql immutable strict as $fn$
begin
  return $1 = $2;
end
$fn$;

create function pgsodium.crypto_generichash(message bytea, key bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_generichash(message, pgsodium._checker_derived(key, 32, context));
end
$fn$;

create function pgsodium.crypto_generichash(message bytea, key bytea DEFAULT NULL::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return substring(pgsodium._checker_hmac(message, coalesce(key, ''::bytea), 'sha512') from 1 for 32);
end
$fn$;

create function pgsodium.crypto_generichash(message bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'generichash';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_generichash(message, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_generichash(message, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_generichash_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_hash_sha256(message bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pg_catalog.sha256(message);
end
$fn$;

create function pgsodium.crypto_hash_sha512(message bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pg_catalog.sha512(message);
end
$fn$;

create function pgsodium.crypto_kdf_derive_from_key(subkey_size bigint, subkey_id bigint, context bytea, primary_key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if subkey_size < 16 or subkey_size > 64 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_kdf_derive_from_key: invalid key size requested';
  end if;
  return substring(pgsodium._checker_hmac(int8send(subkey_id) || context, primary_key, 'sha512') from 1 for subkey_size::integer);
end
$fn$;

create function pgsodium.crypto_kdf_derive_from_key(subkey_size integer, subkey_id bigint, context bytea, primary_key uuid) returns bytea
language plpgsql stable strict security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = primary_key and key_type = 'kdf';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_kdf_derive_from_key(subkey_size, subkey_id, context, key.decrypted_raw_key);
  end if;
  return pgsodium.derive_key(key.key_id, subkey_size, key.key_context);
end
$fn$;

create function pgsodium.crypto_kdf_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_kx_client_session_keys(client_pk bytea, client_sk bytea, server_pk bytea) returns pgsodium.crypto_kx_session
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_kx_client_session_keys(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_kx_new_keypair() returns pgsodium.crypto_kx_keypair
language plpgsql volatile as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium._checker_random(32), 32);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_kx_keypair;
end
$fn$;

create function pgsodium.crypto_kx_new_seed() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_kx_seed_new_keypair(seed bytea) returns pgsodium.crypto_kx_keypair
language plpgsql immutable strict as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium.crypto_generichash(seed), 32);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_kx_keypair;
end
$fn$;

create function pgsodium.crypto_kx_server_session_keys(server_pk bytea, server_sk bytea, client_pk bytea) returns pgsodium.crypto_kx_session
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_kx_server_session_keys(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_pwhash(password bytea, salt bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return substring(pgsodium._checker_hmac(password, salt, 'sha512') from 1 for 32);
end
$fn$;

create function pgsodium.crypto_pwhash_saltgen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(16);
end
$fn$;

create function pgsodium.crypto_pwhash_str(password bytea) returns bytea
language plpgsql volatile as $fn$
declare
  salt bytea := pgsodium._checker_random(16);
  hashed text;
begin
  hashed := '$argon2id$v=19$m=262144,t=3,p=1$' || rtrim(encode(salt, 'base64'), '=') || '$'
    || rtrim(encode(substring(pgsodium._checker_hmac(password, salt, 'sha512') from 1 for 32), 'base64'), '=');
  return convert_to(hashed, 'sql_ascii') || decode(repeat('00', 128 - length(hashed)), 'hex');
end
$fn$;

create function pgsodium.crypto_pwhash_str_verify(hashed_password bytea, password bytea) returns boolean
language plpgsql immutable as $fn$
declare
  parts text[] := string_to_array(rtrim(convert_from(rtrim(hashed_password, '\x00'::bytea), 'sql_ascii')), '$');
  salt bytea;
begin
  if array_length(parts, 1) <> 6 or parts[2] <> 'argon2id' then
    return false;
  end if;
  salt := decode(rpad(parts[5], (length(parts[5]) + 3) / 4 * 4, '='), 'base64');
  return parts[6] = rtrim(encode(substring(pgsodium._checker_hmac(password, salt, 'sha512') from 1 for 32), 'base64'), '=');
end
$fn$;

create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox: nonce cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox: key cannot be NULL';
  end if;
  if length(nonce) <> 24 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox: invalid nonce';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox: invalid key';
  end if;
  return pgsodium._checker_seal(message, null, nonce, key, 16);
end
$fn$;

create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_by_id: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_by_id: nonce cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_by_id: key context cannot be NULL';
  end if;
  if length(nonce) <> 24 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_by_id: invalid nonce';
  end if;
  return pgsodium._checker_seal(message, null, nonce, pgsodium._checker_derived(key_id, 32, context), 16);
end
$fn$;

create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'secretbox';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_secretbox(message, nonce, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_secretbox(message, nonce, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_secretbox_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_secretbox_noncegen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(24);
end
$fn$;

create function pgsodium.crypto_secretbox_open(ciphertext bytea, nonce bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if ciphertext is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: nonce cannot be NULL';
  end if;
  if key is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: key cannot be NULL';
  end if;
  if length(ciphertext) <= 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: invalid message';
  end if;
  if length(nonce) <> 24 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: invalid nonce';
  end if;
  if length(key) <> 32 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open: invalid key';
  end if;
  return pgsodium._checker_open(ciphertext, null, nonce, key, 16, 'pgsodium_crypto_secretbox_open: invalid message');
end
$fn$;

create function pgsodium.crypto_secretbox_open(message bytea, nonce bytea, key_id bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if message is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: message cannot be NULL';
  end if;
  if nonce is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: nonce cannot be NULL';
  end if;
  if key_id is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: key id cannot be NULL';
  end if;
  if context is null then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: key context cannot be NULL';
  end if;
  if length(message) <= 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: invalid message';
  end if;
  if length(nonce) <> 24 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_secretbox_open_by_id: invalid nonce';
  end if;
  return pgsodium._checker_open(message, null, nonce, pgsodium._checker_derived(key_id, 32, context), 16, 'pgsodium_crypto_secretbox_open_by_id: invalid message');
end
$fn$;

create function pgsodium.crypto_secretbox_open(message bytea, nonce bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'secretbox';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_secretbox_open(message, nonce, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_secretbox_open(message, nonce, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_secretstream_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_shorthash(message bytea, key bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium.crypto_shorthash(message, pgsodium._checker_derived(key, 16, context));
end
$fn$;

create function pgsodium.crypto_shorthash(message bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  if length(key) <> 16 then
    raise exception using errcode = 'data_exception', message = 'pgsodium_crypto_shorthash: invalid key';
  end if;
  return substring(pgsodium._checker_hmac(message, key, 'sha512') from 1 for 8);
end
$fn$;

create function pgsodium.crypto_shorthash(message bytea, key_uuid uuid) returns bytea
language plpgsql stable security definer set search_path = '' as $fn$
declare
  key pgsodium.decrypted_key;
begin
  select * into strict key from pgsodium.decrypted_key v where id = key_uuid and key_type = 'shorthash';
  if key.decrypted_raw_key is not null then
    return pgsodium.crypto_shorthash(message, key.decrypted_raw_key);
  end if;
  return pgsodium.crypto_shorthash(message, key.key_id, key.key_context);
end
$fn$;

create function pgsodium.crypto_shorthash_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(16);
end
$fn$;

create function pgsodium.crypto_sign(message bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_detached(message bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_detached(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_final_create(state bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_final_create(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_final_verify(state bytea, signature bytea, key bytea) returns boolean
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_final_verify(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_init() returns bytea
language plpgsql immutable strict as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_init()');
end
$fn$;

create function pgsodium.crypto_sign_new_keypair() returns pgsodium.crypto_sign_keypair
language plpgsql volatile as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium._checker_random(32), 64);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_sign_keypair;
end
$fn$;

create function pgsodium.crypto_sign_new_seed() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_sign_open(signed_message bytea, key bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_open(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_seed_new_keypair(seed bytea) returns pgsodium.crypto_sign_keypair
language plpgsql immutable as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(seed, 64);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_sign_keypair;
end
$fn$;

create function pgsodium.crypto_sign_update(state bytea, message bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_update(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_update_agg1(state bytea, message bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_update_agg1(bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_update_agg2(cur_state bytea, initial_state bytea, message bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_update_agg2(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_sign_verify_detached(sig bytea, message bytea, key bytea) returns boolean
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_sign_verify_detached(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_signcrypt_new_keypair() returns pgsodium.crypto_signcrypt_keypair
language plpgsql volatile as $fn$
declare
  pair bytea[] := pgsodium._checker_keypair(pgsodium._checker_random(32), 32);
begin
  return row(pair[1], pair[2])::pgsodium.crypto_signcrypt_keypair;
end
$fn$;

create function pgsodium.crypto_signcrypt_sign_after(state bytea, sender_sk bytea, ciphertext bytea) returns bytea
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_signcrypt_sign_after(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_signcrypt_sign_before(sender bytea, recipient bytea, sender_sk bytea, recipient_pk bytea, additional bytea) returns pgsodium.crypto_signcrypt_state_key
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_signcrypt_sign_before(bytea, bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_signcrypt_verify_after(state bytea, signature bytea, sender_pk bytea, ciphertext bytea) returns boolean
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_signcrypt_verify_after(bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_signcrypt_verify_before(signature bytea, sender bytea, recipient bytea, additional bytea, sender_pk bytea, recipient_sk bytea) returns pgsodium.crypto_signcrypt_state_key
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_signcrypt_verify_before(bytea, bytea, bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_signcrypt_verify_public(signature bytea, sender bytea, recipient bytea, additional bytea, sender_pk bytea, ciphertext bytea) returns boolean
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_signcrypt_verify_public(bytea, bytea, bytea, bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20(bigint, bytea, bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20(bigint, bytea, bigint, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20(bigint, bytea, bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20(bigint, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_keygen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_noncegen() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(24);
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_xor(bytea, bytea, bigint, context bytea DEFAULT '\x70676f736469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20_xor(bytea, bytea, bigint, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_xor(bytea, bytea, bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20_xor(bytea, bytea, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_xor_ic(bytea, bytea, bigint, bigint, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20_xor_ic(bytea, bytea, bigint, bigint, bytea)');
end
$fn$;

create function pgsodium.crypto_stream_xchacha20_xor_ic(bytea, bytea, bigint, bytea) returns bytea
language plpgsql immutable as $fn$
begin
  perform pgsodium._checker_not_reproduced('crypto_stream_xchacha20_xor_ic(bytea, bytea, bigint, bytea)');
end
$fn$;

create function pgsodium.decrypted_columns(relid oid) returns text
language plpgsql volatile set search_path = '' as $fn$
begin
  perform pgsodium._checker_not_reproduced('decrypted_columns(oid)');
end
$fn$;

create function pgsodium.derive_key(key_id bigint, key_len integer DEFAULT 32, context bytea DEFAULT '\x7067736f6469756d'::bytea) returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_derived(key_id, key_len, context);
end
$fn$;

create function pgsodium.disable_security_label_trigger() returns void
language sql volatile security definer set search_path = '' as $fn$
select
$fn$;

create function pgsodium.enable_security_label_trigger() returns void
language sql volatile security definer set search_path = '' as $fn$
select
$fn$;

create function pgsodium.encrypted_column(relid oid, m record) returns text
language plpgsql volatile set search_path = '' as $fn$
begin
  perform pgsodium._checker_not_reproduced('encrypted_column(oid, record)');
end
$fn$;

create function pgsodium.encrypted_columns(relid oid) returns text
language plpgsql volatile set search_path = '' as $fn$
begin
  perform pgsodium._checker_not_reproduced('encrypted_columns(oid)');
end
$fn$;

create function pgsodium.get_key_by_id(uuid) returns pgsodium.valid_key
language sql volatile security definer set search_path = '' as $fn$
select * from pgsodium.valid_key where id = $1
$fn$;

create function pgsodium.get_key_by_name(text) returns pgsodium.valid_key
language sql volatile security definer set search_path = '' as $fn$
select * from pgsodium.valid_key where name = $1
$fn$;

create function pgsodium.get_named_keys(filter text DEFAULT '%'::text) returns SETOF pgsodium.valid_key
language sql volatile security definer set search_path = '' as $fn$
select * from pgsodium.valid_key vk where vk.name ilike filter
$fn$;

create function pgsodium.has_mask(role regrole, source_name text) returns boolean
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('has_mask(regrole, text)');
end
$fn$;

create function pgsodium.key_encrypt_secret_raw_key() returns trigger
language plpgsql volatile as $fn$
begin
  new.raw_key := case when new.raw_key is null or new.parent_key is null then null else
    pgsodium.crypto_aead_det_encrypt(new.raw_key, pg_catalog.convert_to(new.id::text || new.associated_data, 'utf8'),
      new.parent_key, new.raw_key_nonce) end;
  return new;
end
$fn$;

create function pgsodium.mask_columns(source_relid oid) returns TABLE(attname name, key_id text, key_id_column text, associated_column text, nonce_column text, format_type text)
language sql volatile as $fn$
select attname, key_id, key_id_column, associated_columns, nonce_column, format_type
from pgsodium.mask_columns where attrelid = source_relid
$fn$;

create function pgsodium.mask_role(masked_role regrole, source_name text, view_name text) returns void
language plpgsql volatile security definer set search_path = pg_catalog as $fn$
begin
  perform pgsodium._checker_not_reproduced('mask_role(regrole, text, text)');
end
$fn$;

create function pgsodium.pgsodium_derive(key_id bigint, key_len integer DEFAULT 32, context bytea DEFAULT decode('pgsodium'::text, 'escape'::text)) returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_derived(key_id, key_len, context);
end
$fn$;

create function pgsodium.quote_assoc(text, boolean DEFAULT false) returns text
language plpgsql volatile as $fn$
begin
  perform pgsodium._checker_not_reproduced('quote_assoc(text, boolean)');
end
$fn$;

create function pgsodium.randombytes_buf(size integer) returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(size);
end
$fn$;

create function pgsodium.randombytes_buf_deterministic(size integer, seed bytea) returns bytea
language plpgsql immutable as $fn$
begin
  return pgsodium._checker_stream(seed, null, size);
end
$fn$;

create function pgsodium.randombytes_new_seed() returns bytea
language plpgsql volatile as $fn$
begin
  return pgsodium._checker_random(32);
end
$fn$;

create function pgsodium.randombytes_random() returns integer
language plpgsql volatile as $fn$
begin
  return ('x' || encode(pgsodium._checker_random(4), 'hex'))::bit(32)::integer;
end
$fn$;

create function pgsodium.randombytes_uniform(upper_bound integer) returns integer
language plpgsql volatile as $fn$
begin
  return floor(random() * upper_bound)::integer;
end
$fn$;

create function pgsodium.sodium_base642bin(base64 text) returns bytea
language plpgsql immutable as $fn$
begin
  return decode(rpad(translate(base64, '-_', '+/'), (length(base64) + 3) / 4 * 4, '='), 'base64');
end
$fn$;

create function pgsodium.sodium_bin2base64(bin bytea) returns text
language plpgsql immutable as $fn$
begin
  return translate(rtrim(encode(bin, 'base64'), '='), E'+/\n', '-_');
end
$fn$;

create function pgsodium.trg_mask_update() returns event_trigger
language plpgsql volatile set search_path = '' as $fn$
declare
  r record;
begin
  if (select bool_or(in_extension) from pg_event_trigger_ddl_commands()) then
    return;
  end if;
  for r in
    select e.* from pg_event_trigger_ddl_commands() e
    where e.object_type in ('table', 'table column') and exists (
      select from pg_catalog.pg_seclabel s where s.objoid = e.objid and s.provider = 'pgsodium')
  loop
    perform pgsodium.update_mask(r.objid);
  end loop;
end
$fn$;

create function pgsodium.update_mask(target oid, debug boolean DEFAULT false) returns void
language plpgsql volatile security definer set search_path = '' as $fn$
begin
  perform pgsodium._checker_not_reproduced('update_mask(oid, boolean)');
end
$fn$;

create function pgsodium.update_masks(debug boolean DEFAULT false) returns void
language plpgsql volatile set search_path = '' as $fn$
begin
  perform pgsodium._checker_not_reproduced('update_masks(boolean)');
end
$fn$;

create function pgsodium.version() returns text
language sql volatile as $fn$
select '3.1.8'::text
$fn$;

-- --- what needs the functions above -------------------------------------------------------------------

create view pgsodium.decrypted_key as
  select id, status, created, expires, key_type, key_id, key_context, name, associated_data, raw_key,
    case
      when raw_key is null then null
      else case
        when parent_key is null then null
        else pgsodium.crypto_aead_det_decrypt(
          raw_key, convert_to(id::text || associated_data, 'utf8'), parent_key, raw_key_nonce)
      end
    end as decrypted_raw_key,
    raw_key_nonce, parent_key, comment
  from pgsodium.key;

create trigger key_encrypt_secret_trigger_raw_key before insert or update of raw_key on pgsodium.key
  for each row execute function pgsodium.key_encrypt_secret_raw_key();

create aggregate pgsodium.crypto_sign_update_agg(message bytea) (
  sfunc = pgsodium.crypto_sign_update_agg1, stype = bytea
);
create aggregate pgsodium.crypto_sign_update_agg(state bytea, message bytea) (
  sfunc = pgsodium.crypto_sign_update_agg2, stype = bytea
);

create event trigger pgsodium_trg_mask_update on ddl_command_end
  when tag in ('SECURITY LABEL', 'ALTER TABLE')
  execute function pgsodium.trg_mask_update();

grant select, insert, update, delete, truncate, references, trigger on pgsodium.key to pgsodium_keymaker;
grant select, update, usage on sequence pgsodium.key_key_id_seq to pgsodium_keymaker;
grant select, insert, update, delete, truncate, references, trigger
  on pgsodium.decrypted_key, pgsodium.mask_columns, pgsodium.masking_rule, pgsodium.valid_key to pgsodium_keyholder;
grant select on pgsodium.valid_key to pgsodium_keyiduser;
alter default privileges in schema pgsodium grant all on tables to pgsodium_keyholder;
alter default privileges in schema pgsodium grant all on sequences to pgsodium_keyholder;
alter default privileges in schema pgsodium_masks grant all on tables to pgsodium_keyiduser;
alter default privileges in schema pgsodium_masks grant all on sequences to pgsodium_keyiduser;
alter default privileges in schema pgsodium_masks grant all on functions to pgsodium_keyiduser;

-- Privileges as the real extension's (its ACLs; `postgres`, its owner there, is the installing superuser here).

revoke all on function pgsodium.create_key(pgsodium.key_type, text, bytea, bytea, uuid, bytea, timestamp with time zone, text) from public;
grant execute on function pgsodium.create_key(pgsodium.key_type, text, bytea, bytea, uuid, bytea, timestamp with time zone, text) to public;
grant execute on function pgsodium.create_key(pgsodium.key_type, text, bytea, bytea, uuid, bytea, timestamp with time zone, text) to pgsodium_keymaker;
grant execute on function pgsodium.create_key(pgsodium.key_type, text, bytea, bytea, uuid, bytea, timestamp with time zone, text) to pgsodium_keyiduser;
alter function pgsodium.create_key(pgsodium.key_type, text, bytea, bytea, uuid, bytea, timestamp with time zone, text) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) from public;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_keygen() from public;
grant execute on function pgsodium.crypto_aead_det_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_det_noncegen() from public;
grant execute on function pgsodium.crypto_aead_det_noncegen() to public;
grant execute on function pgsodium.crypto_aead_det_noncegen() to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_ietf_decrypt(bytea, bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_aead_ietf_encrypt(bytea, bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_ietf_keygen() from public;
grant execute on function pgsodium.crypto_aead_ietf_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_aead_ietf_noncegen() from public;
grant execute on function pgsodium.crypto_aead_ietf_noncegen() to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth(bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth(bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth(bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth(bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth(bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth(bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth(bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_hmacsha256(bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256(bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth_hmacsha256(bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256(bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth_hmacsha256(bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth_hmacsha256(bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_hmacsha256(bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth_hmacsha256_keygen() from public;
grant execute on function pgsodium.crypto_auth_hmacsha256_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth_hmacsha256_verify(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_hmacsha512(bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512(bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth_hmacsha512(bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512(bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth_hmacsha512(bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth_hmacsha512(bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_hmacsha512(bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth_hmacsha512_verify(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_keygen() from public;
grant execute on function pgsodium.crypto_auth_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_auth_verify(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_auth_verify(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_auth_verify(bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_auth_verify(bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_auth_verify(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_auth_verify(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_auth_verify(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_auth_verify(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_box(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_box(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_box_new_keypair() from public;
grant execute on function pgsodium.crypto_box_new_keypair() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_box_noncegen() from public;
grant execute on function pgsodium.crypto_box_noncegen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_box_open(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_box_open(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_box_seed_new_keypair(bytea) from public;
grant execute on function pgsodium.crypto_box_seed_new_keypair(bytea) to pgsodium_keymaker;
revoke all on function pgsodium.crypto_generichash(bytea, bytea) from public;
grant execute on function pgsodium.crypto_generichash(bytea, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_generichash(bytea, uuid) from public;
grant execute on function pgsodium.crypto_generichash(bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_generichash(bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_generichash(bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_generichash_keygen() from public;
grant execute on function pgsodium.crypto_generichash_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kdf_derive_from_key(bigint, bigint, bytea, bytea) from public;
grant execute on function pgsodium.crypto_kdf_derive_from_key(bigint, bigint, bytea, bytea) to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kdf_derive_from_key(integer, bigint, bytea, uuid) from public;
grant execute on function pgsodium.crypto_kdf_derive_from_key(integer, bigint, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_kdf_derive_from_key(integer, bigint, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_kdf_derive_from_key(integer, bigint, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kdf_keygen() from public;
grant execute on function pgsodium.crypto_kdf_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kx_new_keypair() from public;
grant execute on function pgsodium.crypto_kx_new_keypair() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kx_new_seed() from public;
grant execute on function pgsodium.crypto_kx_new_seed() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_kx_seed_new_keypair(bytea) from public;
grant execute on function pgsodium.crypto_kx_seed_new_keypair(bytea) to pgsodium_keymaker;
revoke all on function pgsodium.crypto_secretbox(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_secretbox(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_secretbox(bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_secretbox(bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_secretbox(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_secretbox(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_secretbox(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_secretbox(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_secretbox_keygen() from public;
grant execute on function pgsodium.crypto_secretbox_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_secretbox_noncegen() from public;
grant execute on function pgsodium.crypto_secretbox_noncegen() to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_secretbox_open(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_secretbox_open(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_secretbox_open(bytea, bytea, bigint, bytea) from public;
grant execute on function pgsodium.crypto_secretbox_open(bytea, bytea, bigint, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_secretbox_open(bytea, bytea, uuid) from public;
grant execute on function pgsodium.crypto_secretbox_open(bytea, bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_secretbox_open(bytea, bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_secretbox_open(bytea, bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_shorthash(bytea, bytea) from public;
grant execute on function pgsodium.crypto_shorthash(bytea, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.crypto_shorthash(bytea, uuid) from public;
grant execute on function pgsodium.crypto_shorthash(bytea, uuid) to pgsodium_keymaker;
grant execute on function pgsodium.crypto_shorthash(bytea, uuid) to pgsodium_keyiduser;
alter function pgsodium.crypto_shorthash(bytea, uuid) owner to pgsodium_keymaker;
revoke all on function pgsodium.crypto_shorthash_keygen() from public;
grant execute on function pgsodium.crypto_shorthash_keygen() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_sign_final_create(bytea, bytea) from public;
grant execute on function pgsodium.crypto_sign_final_create(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_sign_final_verify(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_sign_final_verify(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_sign_init() from public;
grant execute on function pgsodium.crypto_sign_init() to pgsodium_keyholder;
revoke all on function pgsodium.crypto_sign_new_keypair() from public;
grant execute on function pgsodium.crypto_sign_new_keypair() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_sign_update(bytea, bytea) from public;
grant execute on function pgsodium.crypto_sign_update(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_sign_update_agg1(bytea, bytea) from public;
grant execute on function pgsodium.crypto_sign_update_agg1(bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_sign_update_agg2(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_sign_update_agg2(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_signcrypt_new_keypair() from public;
grant execute on function pgsodium.crypto_signcrypt_new_keypair() to pgsodium_keymaker;
revoke all on function pgsodium.crypto_signcrypt_sign_after(bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_signcrypt_sign_after(bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_signcrypt_sign_before(bytea, bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_signcrypt_sign_before(bytea, bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_signcrypt_verify_after(bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_signcrypt_verify_after(bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_signcrypt_verify_before(bytea, bytea, bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_signcrypt_verify_before(bytea, bytea, bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.crypto_signcrypt_verify_public(bytea, bytea, bytea, bytea, bytea, bytea) from public;
grant execute on function pgsodium.crypto_signcrypt_verify_public(bytea, bytea, bytea, bytea, bytea, bytea) to pgsodium_keyholder;
revoke all on function pgsodium.derive_key(bigint, integer, bytea) from public;
grant execute on function pgsodium.derive_key(bigint, integer, bytea) to pgsodium_keymaker;
alter function pgsodium.disable_security_label_trigger() owner to pgsodium_keymaker;
alter function pgsodium.enable_security_label_trigger() owner to pgsodium_keymaker;
alter function pgsodium.get_key_by_id(uuid) owner to pgsodium_keymaker;
alter function pgsodium.get_key_by_name(text) owner to pgsodium_keymaker;
alter function pgsodium.get_named_keys(text) owner to pgsodium_keymaker;
alter function pgsodium.mask_role(regrole, text, text) owner to pgsodium_keymaker;
revoke all on function pgsodium.pgsodium_derive(bigint, integer, bytea) from public;
grant execute on function pgsodium.pgsodium_derive(bigint, integer, bytea) to pgsodium_keymaker;
revoke all on function pgsodium.randombytes_buf(integer) from public;
grant execute on function pgsodium.randombytes_buf(integer) to pgsodium_keyiduser;
revoke all on function pgsodium.randombytes_buf_deterministic(integer, bytea) from public;
grant execute on function pgsodium.randombytes_buf_deterministic(integer, bytea) to pgsodium_keymaker;
grant execute on function pgsodium.randombytes_buf_deterministic(integer, bytea) to pgsodium_keyiduser;
revoke all on function pgsodium.randombytes_new_seed() from public;
grant execute on function pgsodium.randombytes_new_seed() to pgsodium_keymaker;
revoke all on function pgsodium.randombytes_random() from public;
grant execute on function pgsodium.randombytes_random() to pgsodium_keyiduser;
revoke all on function pgsodium.randombytes_uniform(integer) from public;
grant execute on function pgsodium.randombytes_uniform(integer) to pgsodium_keyiduser;
alter function pgsodium.update_mask(oid, boolean) owner to pgsodium_keymaker;
