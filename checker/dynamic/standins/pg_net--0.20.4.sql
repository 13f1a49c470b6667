-- Stand-in for pg_net: the tables, types and request functions of pg_net 0.20, whose signatures migrations
-- name (Supabase's grants, database webhooks). Requests land in net.http_request_queue and stay there:
-- there is no worker, so nothing is sent and net._http_response stays empty.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

-- Pinned (StandIn.pinned): created without a schema the extension lands in the caller's schema, often public
-- beside the project's functions; with pg_catalog alone, none of them can be what a name below means.
-- LOCAL: the setting ends with this script (a plain SET would outlive CREATE EXTENSION, into the migration).
set local search_path = pg_catalog, pg_temp;

create schema if not exists net;

create domain net.http_method as text
check (value ilike 'get' or value ilike 'post' or value ilike 'delete');

create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);

create index on net._http_response (created);

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');

create type net.http_response as (status_code integer, headers jsonb, body text);

create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);

-- Percent-encoding of everything but RFC 3986's unreserved characters, over UTF-8.
create function net._urlencode_string(string varchar) returns text
language sql immutable
begin atomic
  select string_agg(
           case when chr(byte) ~ '[A-Za-z0-9._~-]' then chr(byte) else '%' || upper(lpad(to_hex(byte), 2, '0')) end,
           '' order by i)
  from (select i, get_byte(convert_to(string, 'UTF8'), i) as byte
        from generate_series(0, length(convert_to(string, 'UTF8')) - 1) as i) as bytes;
end;

create function net._encode_url_with_params_array(url text, params_array text[]) returns text
language sql immutable
return url || case when cardinality(params_array) > 0
                   then case when strpos(url, '?') > 0 then '&' else '?' end || array_to_string(params_array, '&')
                   else '' end;

-- Queues one request and returns its id; the public functions below differ only in what they pass.
create function net._enqueue(method text, url text, params jsonb, headers jsonb, body jsonb, timeout_milliseconds int)
returns bigint
language sql
begin atomic
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  select method,
         net._encode_url_with_params_array(url, coalesce(
           array_agg(net._urlencode_string(key) || '=' || coalesce(net._urlencode_string(value), '')), '{}')),
         headers, convert_to(body::text, 'UTF8'), timeout_milliseconds
  from jsonb_each_text(coalesce(params, '{}'))
  returning id;
end;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql
return net._enqueue('GET', url, params, headers, null, timeout_milliseconds);

-- As pg_net: a missing Content-Type becomes application/json, any other content type is refused.
create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql as $$
declare
  content_type text := (select value from jsonb_each_text(coalesce(headers, '{}')) where lower(key) = 'content-type'
                        limit 1);
begin
  if content_type is null then
    headers := coalesce(headers, '{}') || '{"Content-Type": "application/json"}';
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  return net._enqueue('POST', url, params, headers, body, timeout_milliseconds);
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language sql
return net._enqueue('DELETE', url, params, headers, body, timeout_milliseconds);

-- No response ever arrives, so every request reads as unknown (pg_net's answer for one still in flight);
-- async = false returns at once instead of waiting forever.
create function net.http_collect_response(request_id bigint, async bool default true)
returns net.http_response_result
language sql
return ('ERROR', 'request matching request_id not found', null)::net.http_response_result;

grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
