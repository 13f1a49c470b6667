-- Stand-in for pgmq 1.5.1 (Supabase Queues): pgmq.meta, the message, queue and metrics types, and the queue
-- functions with pgmq's signatures. A queue is what it is in pgmq: a table pgmq.q_<name> of messages and an
-- archive pgmq.a_<name>, both members of the extension, so sending, reading with a visibility timeout,
-- popping, archiving and deleting behave as pgmq's do. Partitioned queues need pg_partman, which no engine
-- here offers: create_partitioned and convert_archive_partitioned stop with pgmq's message for that.
\echo Use "CREATE EXTENSION pgmq" to load this file. \quit

create table pgmq.meta (
  queue_name varchar unique not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamptz not null default now()
);

grant usage on schema pgmq to pg_monitor;
grant select on all tables in schema pgmq to pg_monitor;
grant select on all sequences in schema pgmq to pg_monitor;
alter default privileges in schema pgmq grant select on tables to pg_monitor;
alter default privileges in schema pgmq grant select on sequences to pg_monitor;

create type pgmq.message_record as (
  msg_id bigint,
  read_ct integer,
  enqueued_at timestamptz,
  vt timestamptz,
  message jsonb,
  headers jsonb
);

create type pgmq.queue_record as (
  queue_name varchar,
  is_partitioned boolean,
  is_unlogged boolean,
  created_at timestamptz
);

create type pgmq.metrics_result as (
  queue_name text,
  queue_length bigint,
  newest_msg_age_sec int,
  oldest_msg_age_sec int,
  total_messages bigint,
  scrape_time timestamptz,
  queue_visible_length bigint
);

-- Names and checks ---------------------------------------------------------------------------------------

-- "q" or "a" and the queue's name, lower-cased: the table the queue or its archive lives in.
create function pgmq.format_table_name(queue_name text, prefix text) returns text
language plpgsql
as $$
begin
  if strpos(queue_name, '$') > 0 or strpos(queue_name, ';') > 0 or strpos(queue_name, '--') > 0
     or strpos(queue_name, '''') > 0 then
    raise exception 'queue name contains invalid characters: $, ;, --, or \''';
  end if;
  return lower(prefix || '_' || queue_name);
end
$$;

create function pgmq.validate_queue_name(queue_name text) returns void
language plpgsql
as $$
begin
  if length(queue_name) >= 48 then
    raise exception 'queue name is too long, maximum length is 48 characters';
  end if;
end
$$;

create function pgmq._extension_exists(extension_name text) returns boolean
language sql
return exists (select from pg_catalog.pg_extension where extname = extension_name);

create function pgmq._belongs_to_pgmq(table_name text) returns boolean
language sql
return exists (
  select from pg_catalog.pg_depend d
  join pg_catalog.pg_class c on c.oid = d.objid and d.classid = 'pg_catalog.pg_class'::regclass
  join pg_catalog.pg_extension e on e.oid = d.refobjid
  where e.extname = 'pgmq' and c.relname = table_name and c.relnamespace = 'pgmq'::regnamespace);

create function pgmq._get_pg_partman_schema() returns text
language sql
return (select extnamespace::regnamespace::text from pg_catalog.pg_extension where extname = 'pg_partman');

create function pgmq._get_pg_partman_major_version() returns int
language sql
return (select split_part(extversion, '.', 1)::int from pg_catalog.pg_extension where extname = 'pg_partman');

create function pgmq._ensure_pg_partman_installed() returns void
language plpgsql
as $$
begin
  if not pgmq._extension_exists('pg_partman') then
    raise exception 'pg_partman is required for partitioned queues';
  end if;
end
$$;

-- A whole number partitions by msg_id, anything else (an interval) by enqueued_at.
create function pgmq._get_partition_col(partition_interval text) returns text
language sql
return case when partition_interval ~ '^\s*[+-]?\d+\s*$' then 'msg_id' else 'enqueued_at' end;

-- Creating and dropping queues ----------------------------------------------------------------------------

-- The queue table (unlogged when asked), its archive, their indexes and the queue's row in pgmq.meta.
create function pgmq._create_queue(queue_name text, unlogged boolean) returns void
language plpgsql
as $$
declare
  queue text := pgmq.format_table_name(queue_name, 'q');
  archive text := pgmq.format_table_name(queue_name, 'a');
begin
  perform pgmq.validate_queue_name(queue_name);
  execute format(
    'create %s table if not exists pgmq.%I (
       msg_id bigint primary key generated always as identity,
       read_ct int not null default 0,
       enqueued_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb,
       headers jsonb)', case when unlogged then 'unlogged' else '' end, queue);
  execute format(
    'create table if not exists pgmq.%I (
       msg_id bigint primary key,
       read_ct int not null default 0,
       enqueued_at timestamptz not null default now(),
       archived_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb,
       headers jsonb)', archive);
  if pgmq._extension_exists('pgmq') then
    if not pgmq._belongs_to_pgmq(queue) then
      execute format('alter extension pgmq add table pgmq.%I', queue);
      execute format('alter extension pgmq add sequence pgmq.%I', queue || '_msg_id_seq');
    end if;
    if not pgmq._belongs_to_pgmq(archive) then
      execute format('alter extension pgmq add table pgmq.%I', archive);
    end if;
  end if;
  execute format('create index if not exists %I on pgmq.%I (vt asc)', queue || '_vt_idx', queue);
  execute format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name,
                 archive);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (_create_queue.queue_name, false, unlogged)
  on conflict do nothing;
end
$$;

create function pgmq.create_non_partitioned(queue_name text) returns void
language sql
begin atomic
  select pgmq._create_queue(queue_name, false);
end;

create function pgmq.create_unlogged(queue_name text) returns void
language sql
begin atomic
  select pgmq._create_queue(queue_name, true);
end;

create function pgmq."create"(queue_name text) returns void
language sql
begin atomic
  select pgmq.create_non_partitioned(queue_name);
end;

create function pgmq.create_partitioned(
  queue_name text,
  partition_interval text default '10000',
  retention_interval text default '100000'
) returns void
language plpgsql
as $$
begin
  perform pgmq.validate_queue_name(queue_name);
  perform pgmq._ensure_pg_partman_installed();
  raise exception feature_not_supported using
    message = 'partitioned queues are not reproduced by the checker''s pgmq stand-in';
end
$$;

create function pgmq.convert_archive_partitioned(
  table_name text,
  partition_interval text default '10000',
  retention_interval text default '100000',
  leading_partition int default 10
) returns void
language plpgsql
as $$
begin
  perform pgmq.format_table_name(table_name, 'a');
  perform pgmq._ensure_pg_partman_installed();
  raise exception feature_not_supported using
    message = 'partitioned queues are not reproduced by the checker''s pgmq stand-in';
end
$$;

-- Leaves the archive out of the extension, so dropping the queue (or pgmq) keeps it.
create function pgmq.detach_archive(queue_name text) returns void
language plpgsql
as $$
begin
  if pgmq._extension_exists('pgmq') then
    execute format('alter extension pgmq drop table pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  end if;
end
$$;

-- Drops the queue and its archive (tables detached from the extension first, as Supabase's version does only
-- for those still attached) and forgets it in pgmq.meta.
create function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql
as $$
declare
  queue text := pgmq.format_table_name(queue_name, 'q');
  archive text := pgmq.format_table_name(queue_name, 'a');
begin
  if pgmq._belongs_to_pgmq(queue) then
    execute format('alter extension pgmq drop table pgmq.%I', queue);
  end if;
  if exists (select from pg_catalog.pg_depend d join pg_catalog.pg_extension e on e.oid = d.refobjid
             where e.extname = 'pgmq' and d.classid = 'pg_catalog.pg_class'::regclass
               and d.objid = to_regclass(format('pgmq.%I', queue || '_msg_id_seq'))) then
    execute format('alter extension pgmq drop sequence pgmq.%I', queue || '_msg_id_seq');
  end if;
  if pgmq._belongs_to_pgmq(archive) then
    execute format('alter extension pgmq drop table pgmq.%I', archive);
  end if;
  execute format('drop table if exists pgmq.%I', queue);
  execute format('drop table if exists pgmq.%I', archive);
  delete from pgmq.meta as m where m.queue_name = drop_queue.queue_name;
  return true;
end
$$;

create function pgmq.drop_queue(queue_name text, partitioned boolean) returns boolean
language plpgsql
as $$
begin
  raise warning 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. '
                'Use drop_queue(queue_name) instead';
  return pgmq.drop_queue(queue_name);
end
$$;

-- Deletes every message of the queue; returns how many there were.
create function pgmq.purge_queue(queue_name text) returns bigint
language plpgsql
as $$
declare
  queue text := pgmq.format_table_name(queue_name, 'q');
  purged bigint;
begin
  execute format('select count(*) from pgmq.%I', queue) into purged;
  execute format('truncate table pgmq.%I', queue);
  return purged;
end
$$;

-- Sending -------------------------------------------------------------------------------------------------

-- Every send and send_batch ends here: messages become visible at `delay`.
create function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
returns setof bigint
language plpgsql
as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message, headers) values ($1, $2, $3) returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msg, headers;
end
$$;

create function pgmq.send(queue_name text, msg jsonb) returns setof bigint
language sql
return pgmq.send(queue_name, msg, null::jsonb, clock_timestamp());

create function pgmq.send(queue_name text, msg jsonb, headers jsonb) returns setof bigint
language sql
return pgmq.send(queue_name, msg, headers, clock_timestamp());

create function pgmq.send(queue_name text, msg jsonb, delay integer) returns setof bigint
language sql
return pgmq.send(queue_name, msg, null::jsonb, clock_timestamp() + make_interval(secs => delay));

create function pgmq.send(queue_name text, msg jsonb, delay timestamptz) returns setof bigint
language sql
return pgmq.send(queue_name, msg, null::jsonb, delay);

create function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer) returns setof bigint
language sql
return pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay));

-- The i-th headers go with the i-th message (the shorter array is padded with nulls).
create function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
returns setof bigint
language plpgsql
as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message, headers)
     select $1, m.message, m.header from unnest($2, coalesce($3, array[]::jsonb[])) as m (message, header)
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msgs, headers;
end
$$;

create function pgmq.send_batch(queue_name text, msgs jsonb[]) returns setof bigint
language sql
return pgmq.send_batch(queue_name, msgs, null::jsonb[], clock_timestamp());

create function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[]) returns setof bigint
language sql
return pgmq.send_batch(queue_name, msgs, headers, clock_timestamp());

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer) returns setof bigint
language sql
return pgmq.send_batch(queue_name, msgs, null::jsonb[], clock_timestamp() + make_interval(secs => delay));

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz) returns setof bigint
language sql
return pgmq.send_batch(queue_name, msgs, null::jsonb[], delay);

create function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
returns setof bigint
language sql
return pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay));

-- Reading -------------------------------------------------------------------------------------------------

-- Up to `qty` visible messages (oldest first, matching `conditional` when it is not {}), hidden for `vt`
-- seconds and counted as read once more.
create function pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
returns setof pgmq.message_record
language plpgsql
as $$
begin
  return query execute format(
    'update pgmq.%1$I as m
     set vt = clock_timestamp() + $1, read_ct = m.read_ct + 1
     from (select msg_id from pgmq.%1$I
           where vt <= clock_timestamp() and ($3 = ''{}''::jsonb or message @> $3)
           order by msg_id limit $2
           for update skip locked) as picked
     where m.msg_id = picked.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'))
  using make_interval(secs => vt), qty, coalesce(conditional, '{}');
end
$$;

-- As read, but waits (polling every poll_interval_ms) up to max_poll_seconds for a message to show up.
create function pgmq.read_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer default 5,
  poll_interval_ms integer default 100,
  conditional jsonb default '{}'
) returns setof pgmq.message_record
language plpgsql
as $$
declare
  give_up timestamptz := clock_timestamp() + make_interval(secs => max_poll_seconds);
  got bigint;
begin
  while clock_timestamp() < give_up loop
    return query select * from pgmq.read(queue_name, vt, qty, conditional);
    get diagnostics got = row_count;
    if got > 0 then
      return;
    end if;
    perform pg_sleep(poll_interval_ms / 1000.0);
  end loop;
end
$$;

-- Takes the oldest visible message off the queue.
create function pgmq.pop(queue_name text) returns setof pgmq.message_record
language plpgsql
as $$
begin
  return query execute format(
    'delete from pgmq.%1$I
     where msg_id = (select msg_id from pgmq.%1$I where vt <= clock_timestamp()
                     order by msg_id limit 1 for update skip locked)
     returning msg_id, read_ct, enqueued_at, vt, message, headers',
    pgmq.format_table_name(queue_name, 'q'));
end
$$;

-- Hides (or shows) a message until `vt` seconds from now.
create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record
language plpgsql
as $$
begin
  return query execute format(
    'update pgmq.%I set vt = clock_timestamp() + $1 where msg_id = $2
     returning msg_id, read_ct, enqueued_at, vt, message, headers',
    pgmq.format_table_name(queue_name, 'q'))
  using make_interval(secs => vt), msg_id;
end
$$;

-- Archiving and deleting ----------------------------------------------------------------------------------

create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql
as $$
begin
  return query execute format(
    'with moved as (delete from pgmq.%I where msg_id = any($1)
                    returning msg_id, vt, read_ct, enqueued_at, message, headers)
     insert into pgmq.%I (msg_id, vt, read_ct, enqueued_at, message, headers)
     select msg_id, vt, read_ct, enqueued_at, message, headers from moved
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  using msg_ids;
end
$$;

create function pgmq.archive(queue_name text, msg_id bigint) returns boolean
language sql
return exists (select from pgmq.archive(queue_name, array[msg_id]));

create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql
as $$
begin
  return query execute format('delete from pgmq.%I where msg_id = any($1) returning msg_id',
                              pgmq.format_table_name(queue_name, 'q'))
  using msg_ids;
end
$$;

create function pgmq.delete(queue_name text, msg_id bigint) returns boolean
language sql
return exists (select from pgmq.delete(queue_name, array[msg_id]));

-- Queues and their metrics ---------------------------------------------------------------------------------

create function pgmq.list_queues() returns setof pgmq.queue_record
language sql
begin atomic
  select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta;
end;

create function pgmq.metrics(queue_name text) returns pgmq.metrics_result
language plpgsql
as $$
declare
  queue text := pgmq.format_table_name(queue_name, 'q');
  result pgmq.metrics_result;
begin
  execute format(
    'select $1, count(*), extract(epoch from now() - max(enqueued_at))::int,
            extract(epoch from now() - min(enqueued_at))::int,
            (select case when is_called then last_value else 0 end from pgmq.%I),
            now(), count(*) filter (where vt <= now())
     from pgmq.%I',
    queue || '_msg_id_seq', queue)
  into result
  using queue_name;
  return result;
end
$$;

create function pgmq.metrics_all() returns setof pgmq.metrics_result
language sql
begin atomic
  select (pgmq.metrics(m.queue_name)).* from pgmq.meta as m;
end;
