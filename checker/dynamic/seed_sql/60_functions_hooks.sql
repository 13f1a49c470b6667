-- Database webhooks (supabase/supabase docker/volumes/db/webhooks.sql): the dashboard writes them as
-- triggers `execute function supabase_functions.http_request(url, method, headers, params, timeout_ms)`.
-- On Supabase the function posts through pg_net; here it sends nothing and records the request instead,
-- so a migration's webhook runs and its effect can be inspected.

create schema if not exists supabase_functions authorization supabase_admin;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on schema supabase_functions to supabase_functions_admin;
alter default privileges in schema supabase_functions grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema supabase_functions grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema supabase_functions grant all on sequences to postgres, anon, authenticated, service_role;

create table if not exists supabase_functions.migrations (
  version text primary key,
  inserted_at timestamptz not null default now()
);

create table if not exists supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);
comment on table supabase_functions.hooks is 'Supabase Functions Hooks: Audit trail for triggered hooks.';
create index if not exists supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
create index if not exists supabase_functions_hooks_h_table_id_h_name_idx
  on supabase_functions.hooks (hook_table_id, hook_name);

-- Not on Supabase (pg_net keeps its own queue): what http_request would have sent.
create table if not exists supabase_functions.recorded_requests (
  id bigserial primary key,
  method text not null,
  url text not null,
  headers jsonb not null,
  params jsonb not null,
  payload jsonb,
  timeout_ms integer,
  created_at timestamptz not null default now()
);
comment on table supabase_functions.recorded_requests is
  'Requests supabase_functions.http_request() would have sent (the seed''s stand-in sends none).';

do $seed$
begin
  if to_regprocedure('supabase_functions.http_request()') is null then
    create function supabase_functions.http_request() returns trigger
      language plpgsql security definer set search_path = supabase_functions, pg_temp
    as $fn$
    declare
      url text := tg_argv[0];
      method text := tg_argv[1];
      headers jsonb := coalesce(nullif(tg_argv[2], 'null')::jsonb, '{"Content-Type": "application/json"}');
      params jsonb := coalesce(nullif(tg_argv[3], 'null')::jsonb, '{}');
      timeout_ms integer := nullif(tg_argv[4], 'null')::integer;
      payload jsonb;
      request_id bigint;
    begin
      -- Same argument checks as Supabase's function, so a bad webhook fails here too.
      if url is null or url = 'null' then
        raise exception 'url argument is missing';
      end if;
      if method is null or method = 'null' then
        raise exception 'method argument is missing';
      end if;
      if method not in ('GET', 'POST') then
        raise exception 'method argument % is invalid', method;
      end if;
      if method = 'POST' then
        payload := jsonb_build_object(
          'old_record', old, 'record', new, 'type', tg_op, 'table', tg_table_name, 'schema', tg_table_schema
        );
      end if;
      insert into recorded_requests (method, url, headers, params, payload, timeout_ms)
      values (method, url, headers, params, payload, timeout_ms)
      returning id into request_id;
      insert into hooks (hook_table_id, hook_name, request_id) values (tg_relid, tg_name, request_id);
      return new;
    end
    $fn$;
  end if;
end
$seed$;

alter table supabase_functions.migrations owner to supabase_functions_admin;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter table supabase_functions.recorded_requests owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;
insert into supabase_functions.migrations (version)
  values ('initial'), ('20210809183423_update_grants'), ('20240115163000_add_retry_to_http_request')
  on conflict do nothing;
