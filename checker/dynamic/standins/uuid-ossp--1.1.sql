-- Stand-in for uuid-ossp 1.1 on servers without it: same names, signatures, volatility and strictness.
-- Relocatable like the real one, so no function names the install schema (see pgcrypto's script).
\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

create function uuid_nil() returns uuid
language sql immutable strict parallel safe
return '00000000-0000-0000-0000-000000000000'::uuid;

-- The RFC 4122 appendix C name spaces.
create function uuid_ns_dns() returns uuid
language sql immutable strict parallel safe
return '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid;

create function uuid_ns_url() returns uuid
language sql immutable strict parallel safe
return '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid;

create function uuid_ns_oid() returns uuid
language sql immutable strict parallel safe
return '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid;

create function uuid_ns_x500() returns uuid
language sql immutable strict parallel safe
return '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid;

-- Time-based: 100 ns ticks since 1582-10-15, a random clock sequence, and a random node with the
-- multicast bit set, which RFC 4122 4.5 prescribes when no MAC address is used (as v1mc does).
create function uuid_generate_v1mc() returns uuid
language plpgsql volatile strict parallel safe as $$
declare
  ticks bigint := floor(extract(epoch from clock_timestamp()) * 10000000)::bigint + 122192928000000000;
  random_bytes bytea := uuid_send(pg_catalog.gen_random_uuid());
begin
  return (lpad(to_hex(ticks & 4294967295), 8, '0')
    || lpad(to_hex((ticks >> 32) & 65535), 4, '0')
    || lpad(to_hex(((ticks >> 48) & 4095) | 4096), 4, '0')
    || lpad(to_hex((get_byte(random_bytes, 0) & 63) | 128), 2, '0')
    || lpad(to_hex(get_byte(random_bytes, 1)), 2, '0')
    || lpad(to_hex(get_byte(random_bytes, 10) | 1), 2, '0')
    || encode(substring(random_bytes from 12), 'hex'))::uuid;
end
$$;

create function uuid_generate_v1() returns uuid
language sql volatile strict parallel safe
return uuid_generate_v1mc();

create function uuid_generate_v4() returns uuid
language sql volatile strict parallel safe
return pg_catalog.gen_random_uuid();

-- Name-based (RFC 4122 4.3): the hash of the name space's 16 bytes followed by the name's bytes, with the
-- version in the high nibble of byte 6 and the variant 10 in the top bits of byte 8.
create function uuid_generate_v3(namespace uuid, name text) returns uuid
language plpgsql immutable strict parallel safe as $$
declare
  hash bytea := decode(md5(uuid_send(namespace) || convert_to(name, getdatabaseencoding())), 'hex');
begin
  return encode(set_byte(set_byte(hash, 6, (get_byte(hash, 6) & 15) | 48), 8, (get_byte(hash, 8) & 63) | 128),
                'hex')::uuid;
end
$$;

create function uuid_generate_v5(namespace uuid, name text) returns uuid
language plpgsql immutable strict parallel safe as $$
declare
  data bytea := uuid_send(namespace) || convert_to(name, getdatabaseencoding());
  hash bytea;
begin
  -- @include sha1.plpgsql
  return encode(set_byte(set_byte(substring(hash for 16), 6, (get_byte(hash, 6) & 15) | 80), 8,
                         (get_byte(hash, 8) & 63) | 128), 'hex')::uuid;
end
$$;
