-- Realtime: the `supabase_realtime` publication projects add their tables to, and Broadcast's
-- realtime.messages whose RLS policies projects write (supabase/realtime tenant migrations).

create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin with grant option;

-- On Supabase the table is partitioned by day and realtime creates the partitions; a plain table keeps
-- inserts working here without that job.
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
);
alter table realtime.messages owner to supabase_realtime_admin;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;

do $seed$
begin
  -- The channel a Broadcast policy is evaluated for (realtime sets it per subscription).
  if to_regprocedure('realtime.topic()') is null then
    create function realtime.topic() returns text language sql stable as $fn$
      select nullif(current_setting('realtime.topic', true), '')::text
    $fn$;
  end if;
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
    create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
      returns void language sql as $fn$
      insert into realtime.messages (payload, event, topic, private, extension)
      values (payload, event, topic, private, 'broadcast')
    $fn$;
  end if;
  -- Called from projects' triggers to broadcast row changes.
  if to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)') is null then
    create function realtime.broadcast_changes(
      topic_name text, event_name text, operation text, table_name text, table_schema text,
      new record, old record, level text default 'ROW'
    ) returns void language plpgsql as $fn$
    begin
      perform realtime.send(
        jsonb_build_object(
          'operation', operation, 'table', table_name, 'schema', table_schema,
          'record', case when operation in ('INSERT', 'UPDATE') then to_jsonb(new) end,
          'old_record', case when operation in ('UPDATE', 'DELETE') then to_jsonb(old) end
        ),
        event_name, topic_name, true
      );
    end
    $fn$;
  end if;
end
$seed$;
alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  owner to supabase_realtime_admin;

grant all on all sequences in schema realtime to postgres, dashboard_user;
grant all on all routines in schema realtime to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on routines to postgres, dashboard_user;

-- `alter publication supabase_realtime add table ...` needs the publication's owner: on Supabase that is
-- `postgres` (the dashboard's Realtime toggle runs as it).
do $seed$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$seed$;
alter publication supabase_realtime owner to postgres;
