-- Stand-in for pgjwt 0.2.0: JSON Web Tokens signed with HMAC. Like the original it calls hmac() in its
-- own schema, so pgcrypto must sit in the same schema (as on Supabase, where both are in `extensions`).
\echo Use "CREATE EXTENSION pgjwt" to load this file. \quit

-- base64url without padding (RFC 7515 section 2).
create function url_encode(data bytea) returns text
language sql immutable
return translate(encode(data, 'base64'), E'+/=\n', '-_');

create function url_decode(data text) returns bytea
language sql immutable
return decode(translate(data, '-_', '+/') || repeat('=', (4 - length(data) % 4) % 4), 'base64');

-- An unknown algorithm reaches hmac() as '' and fails there, as in the original.
create function algorithm_sign(signables text, secret text, algorithm text) returns text
language sql immutable
return @extschema@.url_encode(@extschema@.hmac(signables, secret,
  case algorithm when 'HS256' then 'sha256' when 'HS384' then 'sha384' when 'HS512' then 'sha512' else '' end));

create function sign(payload json, secret text, algorithm text default 'HS256') returns text
language sql immutable
begin atomic
  select signables || '.' || @extschema@.algorithm_sign(signables, secret, algorithm)
  from (select @extschema@.url_encode(convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8'))
               || '.' || @extschema@.url_encode(convert_to(payload::text, 'utf8')) as signables) as token;
end;

-- NULL for anything that is not a number, so a malformed exp/nbf claim leaves that bound open.
create function try_cast_double(inp text) returns double precision
language plpgsql immutable as $$
begin
  return inp::double precision;
exception when others then
  return null;
end
$$;

-- valid: the signature matches and now lies within [nbf, exp).
create function verify(token text, secret text, algorithm text default 'HS256')
returns table(header json, payload json, valid boolean)
language sql immutable
begin atomic
  select jwt.header, jwt.payload,
         jwt.signed and tstzrange(
           to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'nbf')),
           to_timestamp(@extschema@.try_cast_double(jwt.payload ->> 'exp'))
         ) @> current_timestamp
  from regexp_split_to_array(token, '\.') as part,
       lateral (select convert_from(@extschema@.url_decode(part[1]), 'utf8')::json as header,
                       convert_from(@extschema@.url_decode(part[2]), 'utf8')::json as payload,
                       part[3] = @extschema@.algorithm_sign(part[1] || '.' || part[2], secret, algorithm) as signed
               ) as jwt;
end;
