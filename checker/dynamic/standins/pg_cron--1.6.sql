-- Stand-in for pg_cron 1.6: its schema, tables and functions, with jobs stored in cron.job as the real
-- one stores them. There is no scheduler, so nothing runs and cron.job_run_details stays empty.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema cron;
create sequence cron.jobid_seq;
create sequence cron.runid_seq;
grant select on sequence cron.jobid_seq, cron.runid_seq to public;

create table cron.job (
  jobid bigint primary key default pg_catalog.nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  -- pg_cron's C code fills in the port setting; inet_server_port() alone is NULL over a Unix socket.
  nodeport int not null default coalesce(pg_catalog.inet_server_port(),
                                          pg_catalog.current_setting('port')::int),
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
grant select on cron.job to public;
alter table cron.job enable row level security;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);

create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
grant select, delete on cron.job_run_details to public;
alter table cron.job_run_details enable row level security;
create policy cron_job_run_details_policy on cron.job_run_details
  using (username operator(pg_catalog.=) current_user);

select pg_catalog.pg_extension_config_dump('cron.job', '');
select pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');
select pg_catalog.pg_extension_config_dump('cron.job_run_details', '');
select pg_catalog.pg_extension_config_dump('cron.runid_seq', '');

-- The functions below run as the extension's owner (pg_cron's C code writes cron.job whatever the
-- caller's table privileges), so the caller is read from the role setting, which SET ROLE changes.
create function cron._caller() returns text
language sql stable
return case when pg_catalog.current_setting('role') operator(pg_catalog.=) 'none' then session_user::text
            else pg_catalog.current_setting('role') end;

-- pg_cron parses cron syntax; this only checks the shape: five fields, '@' macros, or 'N seconds'.
create function cron._check_schedule(schedule text) returns text
language plpgsql immutable as $$
begin
  if schedule !~* '^\s*(@[a-z]+|[1-5]?[0-9]\s+seconds?|([-0-9*,/$A-Za-z]+\s+){4}[-0-9*,/$A-Za-z]+)\s*$' then
    raise exception 'invalid schedule: %', schedule;
  end if;
  return schedule;
end
$$;

create function cron.schedule(schedule text, command text) returns bigint
language sql strict security definer set search_path = pg_catalog, pg_temp
begin atomic
  insert into cron.job (schedule, command, username) values (cron._check_schedule(schedule), command, cron._caller())
  returning jobid;
end;

-- A job name already used by the caller replaces that job, as in pg_cron.
create function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql security definer set search_path = pg_catalog, pg_temp
begin atomic
  insert into cron.job (jobname, schedule, command, username)
  values (job_name, cron._check_schedule(schedule), command, cron._caller())
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid;
end;

create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
                                          username text default null, active boolean default true)
returns bigint
language sql security definer set search_path = pg_catalog, pg_temp
begin atomic
  insert into cron.job (jobname, schedule, command, database, username, active)
  values (job_name, cron._check_schedule(schedule), command, database, coalesce(username, cron._caller()), active)
  on conflict (jobname, username) do update
    set schedule = excluded.schedule, command = excluded.command, database = excluded.database,
        active = excluded.active
  returning jobid;
end;
revoke all on function cron.schedule_in_database(text, text, text, text, text, boolean) from public;

create function cron.unschedule(job_id bigint) returns bool
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  delete from cron.job where jobid = job_id and username = cron._caller();
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end
$$;

create function cron.unschedule(job_name text) returns bool
language plpgsql strict security definer set search_path = pg_catalog, pg_temp as $$
begin
  delete from cron.job where jobname = job_name and username = cron._caller();
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end
$$;

-- NULL leaves a field as it is.
create function cron.alter_job(job_id bigint, schedule text default null, command text default null,
                               database text default null, username text default null,
                               active boolean default null)
returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  update cron.job as j
  set schedule = coalesce(cron._check_schedule(alter_job.schedule), j.schedule),
      command = coalesce(alter_job.command, j.command),
      database = coalesce(alter_job.database, j.database),
      username = coalesce(alter_job.username, j.username),
      active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id and j.username = cron._caller();
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
end
$$;
revoke all on function cron.alter_job(bigint, text, text, text, text, boolean) from public;

-- pg_cron's trigger tells its scheduler to reload cron.job; with no scheduler there is nothing to tell.
create function cron.job_cache_invalidate() returns trigger
language plpgsql as $$
begin
  return null;
end
$$;

create trigger cron_job_cache_invalidate
after insert or update or delete or truncate on cron.job
for each statement execute function cron.job_cache_invalidate();
