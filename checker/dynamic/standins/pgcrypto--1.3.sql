-- Stand-in for pgcrypto 1.3 on servers without it. Names, argument and result types, volatility and
-- strictness follow the real extension (its arguments are unnamed, so these are too).
-- pgcrypto is relocatable, so nothing here names the install schema: PL/pgSQL bodies use built-ins only,
-- and functions that call siblings have SQL-standard bodies, which bind callees when created.
\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

create function gen_random_uuid() returns uuid
language sql volatile parallel safe
return pg_catalog.gen_random_uuid();

create function gen_random_bytes(integer) returns bytea
language plpgsql volatile strict parallel safe as $$
begin
  if $1 < 1 or $1 > 1024 then
    raise exception 'Length not in range';
  end if;
  -- A v4 UUID comes from the server's strong random source; its bytes 1-6, 8 and 10-16 are fully random.
  return substring((
    select string_agg(substring(u from 1 for 6) || substring(u from 8 for 1) || substring(u from 10), ''::bytea)
    from (select uuid_send(pg_catalog.gen_random_uuid()) as u from generate_series(1, ($1 + 13) / 14)) as uuids
  ) from 1 for $1);
end
$$;

create function digest(bytea, text) returns bytea
language plpgsql immutable strict parallel safe as $$
declare
  data bytea := $1;
  hash bytea;
begin
  case lower($2)
    when 'md5' then return decode(md5(data), 'hex');
    when 'sha1' then
      -- @include sha1.plpgsql
      return hash;
    when 'sha224' then return sha224(data);
    when 'sha256' then return sha256(data);
    when 'sha384' then return sha384(data);
    when 'sha512' then return sha512(data);
    else raise exception 'Cannot use "%": No such hash algorithm', $2;
  end case;
end
$$;

-- pgcrypto hashes a text argument's bytes as stored, in the database encoding.
create function digest(text, text) returns bytea
language sql immutable strict parallel safe
return digest(convert_to($1, getdatabaseencoding()), $2);

-- RFC 2104: H((K' xor opad) || H((K' xor ipad) || message)), K' the key hashed if longer than a block and
-- zero-padded to the block (128 bytes for SHA-384/512, 64 for the others).
create function hmac(bytea, bytea, text) returns bytea
language sql immutable strict parallel safe
begin atomic
  with block as (
    select case when lower($3) in ('sha384', 'sha512') then 128 else 64 end as size
  ), padded as (
    select k || decode(repeat('00', size - length(k)), 'hex') as k, size
    from block, lateral (select case when length($2) > size then digest($2, $3) else $2 end as k) as key
  ), pads as (
    select decode(string_agg(lpad(to_hex(get_byte(k, i) # 54), 2, '0'), '' order by i), 'hex') as ipad,
           decode(string_agg(lpad(to_hex(get_byte(k, i) # 92), 2, '0'), '' order by i), 'hex') as opad
    from padded, generate_series(0, size - 1) as i
  )
  select digest(opad || digest(ipad || $1, $3), $3) from pads;
end;

create function hmac(text, text, text) returns bytea
language sql immutable strict parallel safe
return hmac(convert_to($1, getdatabaseencoding()), convert_to($2, getdatabaseencoding()), $3);

-- Salts keep pgcrypto's shapes (bf: $2a$NN$ + 22 characters, md5: $1$ + 8, xdes: _ + 8, des: 2) so code
-- that checks a hash's length or prefix still works; crypt() below is not the real algorithm.
create function gen_salt(text, integer) returns text
language plpgsql volatile strict parallel safe as $$
declare
  chars text := translate(encode(sha256(uuid_send(pg_catalog.gen_random_uuid())), 'base64'), '+/=', './');
begin
  case lower($1)
    when 'bf' then
      if $2 < 4 or $2 > 31 then
        raise exception 'gen_salt: Incorrect number of rounds';
      end if;
      return '$2a$' || lpad($2::text, 2, '0') || '$' || substring(chars for 22);
    when 'md5' then return '$1$' || substring(chars for 8);
    when 'xdes' then return '_' || substring(chars for 8);
    when 'des' then return substring(chars for 2);
    else raise exception 'gen_salt: Unknown salt algorithm';
  end case;
end
$$;

create function gen_salt(text) returns text
language sql volatile strict parallel safe
return gen_salt($1, case lower($1) when 'bf' then 6 else 725 end);

-- Not bcrypt/MD5-crypt/DES: the result is the salt followed by a SHA-256 of salt and password, cut to the
-- real result's length. crypt(p, crypt(p, s)) = crypt(p, s) holds because the salt is read back from the
-- front of the hash, so password checks written for pgcrypto behave the same; real hashes do not verify.
create function crypt(text, text) returns text
language plpgsql immutable strict parallel safe as $$
declare
  salt text := case
    when $2 ~ '^\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{22}' then substring($2 for 29)
    when $2 ~ '^\$1\$[^$]{1,8}' then substring($2 from '^\$1\$[^$]{1,8}') || '$'
    when $2 ~ '^_[./A-Za-z0-9]{8}' then substring($2 for 9)
    when $2 ~ '^[./A-Za-z0-9]{2}' then substring($2 for 2)
  end;
  total integer := case left($2, 2) when '$2' then 60 when '$1' then length(salt) + 22 else length(salt) + 11 end;
begin
  if salt is null then
    raise exception 'invalid salt';
  end if;
  return salt || substring(
    translate(encode(sha256(convert_to(salt || $1, getdatabaseencoding())), 'base64'), '+/=', './')
    for total - length(salt));
end
$$;

-- Not OpenPGP: a stand-in format, '\x63686b01' || 16-byte salt || data xor keystream || tag, where the
-- keystream is SHA-256(password || salt || block number) and the tag SHA-256(password || everything before
-- it). The password round-trips and a wrong one fails as pgcrypto's does; options are accepted and ignored,
-- and real pgcrypto cannot read the result.
create function pgp_sym_encrypt_bytea(bytea, text, text) returns bytea
language plpgsql volatile strict parallel safe as $$
declare
  secret bytea := convert_to($2, 'UTF8');
  salt bytea := substring(sha256(uuid_send(pg_catalog.gen_random_uuid())) for 16);
  head bytea := '\x63686b01'::bytea || salt;
  body bytea := $1;
begin
  -- @include keystream_xor.plpgsql
  return head || body || sha256(secret || head || body);
end
$$;

create function pgp_sym_decrypt_bytea(bytea, text, text) returns bytea
language plpgsql immutable strict parallel safe as $$
declare
  secret bytea := convert_to($2, 'UTF8');
  head bytea := substring($1 for 20);
  salt bytea := substring($1 from 5 for 16);
  body bytea := substring($1 from 21 for greatest(length($1) - 52, 0));
begin
  if length($1) < 52 or substring(head for 4) <> '\x63686b01'::bytea
     or sha256(secret || head || body) <> substring($1 from length($1) - 31) then
    raise exception 'Wrong key or corrupt data';
  end if;
  -- @include keystream_xor.plpgsql
  return body;
end
$$;

create function pgp_sym_encrypt_bytea(bytea, text) returns bytea
language sql volatile strict parallel safe
return pgp_sym_encrypt_bytea($1, $2, '');

create function pgp_sym_decrypt_bytea(bytea, text) returns bytea
language sql immutable strict parallel safe
return pgp_sym_decrypt_bytea($1, $2, '');

-- The text variants carry UTF-8, as pgcrypto's do.
create function pgp_sym_encrypt(text, text, text) returns bytea
language sql volatile strict parallel safe
return pgp_sym_encrypt_bytea(convert_to($1, 'UTF8'), $2, $3);

create function pgp_sym_encrypt(text, text) returns bytea
language sql volatile strict parallel safe
return pgp_sym_encrypt_bytea(convert_to($1, 'UTF8'), $2, '');

create function pgp_sym_decrypt(bytea, text, text) returns text
language sql immutable strict parallel safe
return convert_from(pgp_sym_decrypt_bytea($1, $2, $3), 'UTF8');

create function pgp_sym_decrypt(bytea, text) returns text
language sql immutable strict parallel safe
return convert_from(pgp_sym_decrypt_bytea($1, $2, ''), 'UTF8');

-- Not a block cipher: raw encryption's stand-in keeps its shape, data XOR the keystream of the pgp_sym_*
-- stand-in keyed by the key, the IV and the type. decrypt undoes encrypt with the same key, IV and type (XOR
-- is its own inverse); lengths stay as they are (no padding), and real pgcrypto cannot read the result.
create function encrypt_iv(bytea, bytea, bytea, text) returns bytea
language plpgsql immutable strict parallel safe as $$
declare
  secret bytea := $2;
  salt bytea := $3 || convert_to($4, 'UTF8');
  body bytea := $1;
begin
  -- @include keystream_xor.plpgsql
  return body;
end
$$;

create function decrypt_iv(bytea, bytea, bytea, text) returns bytea
language sql immutable strict parallel safe
return encrypt_iv($1, $2, $3, $4);

create function encrypt(bytea, bytea, text) returns bytea
language sql immutable strict parallel safe
return encrypt_iv($1, $2, ''::bytea, $3);

create function decrypt(bytea, bytea, text) returns bytea
language sql immutable strict parallel safe
return encrypt_iv($1, $2, ''::bytea, $3);

-- ASCII armor as OpenPGP writes it (RFC 4880 6.2): header lines, base64 and a checksum line, which is not
-- the CRC-24 (dearmor does not check it); dearmor reads back what armor wrote.
create function armor(bytea, text[], text[]) returns text
language plpgsql immutable strict parallel safe as $$
declare
  headers text := '';
begin
  if cardinality($2) <> cardinality($3) then
    raise exception 'mismatched array dimensions';
  end if;
  for i in 1 .. coalesce(cardinality($2), 0) loop
    headers := headers || $2[i] || ': ' || $3[i] || E'\n';
  end loop;
  return E'-----BEGIN PGP MESSAGE-----\n' || headers || E'\n' || encode($1, 'base64') || E'\n='
    || substring(encode(sha256($1), 'base64') for 4) || E'\n-----END PGP MESSAGE-----\n';
end
$$;

create function armor(bytea) returns text
language sql immutable strict parallel safe
return armor($1, '{}'::text[], '{}'::text[]);

create function dearmor(text) returns bytea
language plpgsql immutable strict parallel safe as $$
declare
  lines text[] := regexp_split_to_array(btrim($1, E' \n'), E'\r?\n');
  first integer := array_position(lines, '');
begin
  if lines[1] !~ '^-----BEGIN PGP [A-Z ]+-----$' or first is null then
    raise exception 'Corrupt ascii-armor';
  end if;
  return decode(array_to_string(lines[first + 1 : cardinality(lines) - 2], ''), 'base64');
end
$$;

create function pgp_armor_headers(text, out key text, out value text) returns setof record
language sql immutable strict parallel safe
begin atomic
  select split_part(line, ': ', 1), substring(line from position(': ' in line) + 2)
  from unnest((regexp_split_to_array(btrim($1, E' \n'), E'\r?\n'))[2:]) with ordinality as l(line, n)
  where n < coalesce(array_position((regexp_split_to_array(btrim($1, E' \n'), E'\r?\n'))[2:], ''), 1);
end;

-- Public-key OpenPGP needs real keys and ciphers: these have the signatures only, and refuse as the dynamic
-- stage reads a stand-in's refusal (feature_not_supported, "checker stand-in: ..."): not verified, not wrong.
do $refused$
declare
  f record;
begin
  for f in select * from (values
    ('pgp_pub_encrypt', 'text, bytea', 'bytea', 'volatile'),
    ('pgp_pub_encrypt', 'text, bytea, text', 'bytea', 'volatile'),
    ('pgp_pub_encrypt_bytea', 'bytea, bytea', 'bytea', 'volatile'),
    ('pgp_pub_encrypt_bytea', 'bytea, bytea, text', 'bytea', 'volatile'),
    ('pgp_pub_decrypt', 'bytea, bytea', 'text', 'immutable'),
    ('pgp_pub_decrypt', 'bytea, bytea, text', 'text', 'immutable'),
    ('pgp_pub_decrypt', 'bytea, bytea, text, text', 'text', 'immutable'),
    ('pgp_pub_decrypt_bytea', 'bytea, bytea', 'bytea', 'immutable'),
    ('pgp_pub_decrypt_bytea', 'bytea, bytea, text', 'bytea', 'immutable'),
    ('pgp_pub_decrypt_bytea', 'bytea, bytea, text, text', 'bytea', 'immutable'),
    ('pgp_key_id', 'bytea', 'text', 'immutable')) as refused(name, args, result, volatility)
  loop
    execute format(
      'create function %I(%s) returns %s language plpgsql %s strict parallel safe as %L',
      f.name, f.args, f.result, f.volatility,
      format('begin raise exception using errcode = %L, message = %L; end', 'feature_not_supported',
             format('checker stand-in: pgcrypto.%s(%s) is not reproduced', f.name, f.args)));
  end loop;
end
$refused$;
