-- Stand-in for pgsql-http 1.6 (the `http` extension): its domains, types and functions with the real
-- signatures, in the schema the extension is created in (`extensions` on Supabase). Nothing is sent: each
-- request is recorded in @extschema@._checker_http_requests and answered with an empty response (status,
-- content type and content null, no headers), which no code can take for the server's answer.
\echo Use "CREATE EXTENSION http" to load this file. \quit

create domain @extschema@.http_method as text;

create domain @extschema@.content_type as text check (value ~ '^\S+\/\S+');

create type @extschema@.http_header as (field varchar, value varchar);

create type @extschema@.http_response as (
  status integer,
  content_type varchar,
  headers @extschema@.http_header[],
  content varchar
);

create type @extschema@.http_request as (
  method @extschema@.http_method,
  uri varchar,
  headers @extschema@.http_header[],
  content_type varchar,
  content varchar
);

-- Not part of pgsql-http: where the stand-in keeps the requests it did not send.
create table @extschema@._checker_http_requests (
  id bigint generated always as identity primary key,
  request @extschema@.http_request not null,
  requested_at timestamptz not null default clock_timestamp()
);
grant select, insert on @extschema@._checker_http_requests to public;

-- libcurl options: the names are checked loosely (CURLOPT_*) and kept for the session.
create function @extschema@.http_set_curlopt(curlopt varchar, value varchar) returns boolean
language plpgsql
as $$
begin
  if curlopt is null or upper(curlopt) !~ '^CURLOPT_[A-Z0-9_]+$' then
    raise exception 'curl option ''%'' is not available for run-time configuration', curlopt;
  end if;
  perform set_config('checker_http.curlopt',
                     (coalesce(nullif(current_setting('checker_http.curlopt', true), ''), '{}')::jsonb
                      || jsonb_build_object(upper(curlopt), value))::text, false);
  return true;
end
$$;

create function @extschema@.http_reset_curlopt() returns boolean
language sql
return set_config('checker_http.curlopt', '{}', false) is not null;

create function @extschema@.http_list_curlopt() returns table (curlopt text, value text)
language sql
begin atomic
  select key, value
  from jsonb_each_text(coalesce(nullif(current_setting('checker_http.curlopt', true), ''), '{}')::jsonb);
end;

create function @extschema@.http_header(field varchar, value varchar) returns @extschema@.http_header
language sql
return row(field, value)::@extschema@.http_header;

-- The one function every other request goes through: the real one sends the request with libcurl.
create function @extschema@.http(request @extschema@.http_request) returns @extschema@.http_response
language plpgsql
as $$
begin
  if request.uri is null then
    raise exception 'http_request.uri is NULL';
  end if;
  if request.method is null then
    raise exception 'http_request.method is NULL';
  end if;
  insert into @extschema@._checker_http_requests (request) values (request);
  return row(null, null, array[]::@extschema@.http_header[], null)::@extschema@.http_response;
end
$$;

create function @extschema@.http_get(uri varchar) returns @extschema@.http_response
language sql
return @extschema@.http(row('GET', uri, null, null, null)::@extschema@.http_request);

create function @extschema@.http_post(uri varchar, content varchar, content_type varchar)
returns @extschema@.http_response
language sql
return @extschema@.http(row('POST', uri, null, content_type, content)::@extschema@.http_request);

create function @extschema@.http_put(uri varchar, content varchar, content_type varchar)
returns @extschema@.http_response
language sql
return @extschema@.http(row('PUT', uri, null, content_type, content)::@extschema@.http_request);

create function @extschema@.http_patch(uri varchar, content varchar, content_type varchar)
returns @extschema@.http_response
language sql
return @extschema@.http(row('PATCH', uri, null, content_type, content)::@extschema@.http_request);

create function @extschema@.http_delete(uri varchar) returns @extschema@.http_response
language sql
return @extschema@.http(row('DELETE', uri, null, null, null)::@extschema@.http_request);

create function @extschema@.http_delete(uri varchar, content varchar, content_type varchar)
returns @extschema@.http_response
language sql
return @extschema@.http(row('DELETE', uri, null, content_type, content)::@extschema@.http_request);

create function @extschema@.http_head(uri varchar) returns @extschema@.http_response
language sql
return @extschema@.http(row('HEAD', uri, null, null, null)::@extschema@.http_request);

-- Form encoding as pgsql-http does it: letters, digits and -._~ stay, a space becomes +, every other byte
-- of the UTF-8 text becomes %XX; a zero byte ends the text.
create function @extschema@.urlencode(string bytea) returns text
language sql
immutable strict
begin atomic
  select coalesce(string_agg(
           case when byte = 32 then '+'
                when byte between 48 and 57 or byte between 65 and 90 or byte between 97 and 122
                     or byte in (45, 46, 95, 126) then chr(byte)
                else '%' || upper(lpad(to_hex(byte), 2, '0')) end,
           '' order by i), '')
  from (select i, get_byte(string, i) as byte
        from generate_series(0, coalesce(nullif(position('\x00'::bytea in string), 0) - 1, length(string)) - 1)
             as i) as bytes;
end;

create function @extschema@.urlencode(string varchar) returns text
language sql
immutable strict
return @extschema@.urlencode(convert_to(string, 'UTF8'));

-- A JSON object's scalar members as key=value&...; nested values are skipped, null is empty.
create function @extschema@.urlencode(data jsonb) returns text
language plpgsql
immutable strict
as $$
begin
  if jsonb_typeof(data) <> 'object' then
    raise exception invalid_parameter_value using message = 'cannot call urlencode_jsonb on a non-object';
  end if;
  return (select nullif(string_agg(@extschema@.urlencode(key::varchar) || '=' ||
                                   @extschema@.urlencode(coalesce(data ->> key, '')::varchar), '&'), '')
          from jsonb_object_keys(data) as key
          where key <> '' and jsonb_typeof(data -> key) not in ('object', 'array'));
end
$$;

create function @extschema@.http_get(uri varchar, data jsonb) returns @extschema@.http_response
language sql
return @extschema@.http(row('GET', uri || '?' || @extschema@.urlencode(data), null, null, null)::@extschema@.http_request);

create function @extschema@.http_post(uri varchar, data jsonb) returns @extschema@.http_response
language sql
return @extschema@.http(row('POST', uri, null, 'application/x-www-form-urlencoded',
                            @extschema@.urlencode(data))::@extschema@.http_request);

create function @extschema@.text_to_bytea(data text) returns bytea
language sql
immutable strict
return convert_to(data, 'UTF8');

create function @extschema@.bytea_to_text(data bytea) returns text
language sql
immutable strict
return convert_from(data, 'UTF8');
