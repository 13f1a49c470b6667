-- Stand-in for plpgsql_check 2.7 (Supabase ships 2.7.11), written from its interface: every function with
-- plpgsql_check's signature. Checking does what plpgsql_check does before it looks at a function (a PL/pgSQL
-- function is required, a DML trigger needs its table and only a trigger takes one), then compiles the
-- function with PL/pgSQL's own validator, whatever check_function_bodies says: a syntax error is reported
-- as plpgsql_check reports an error (level error, its SQLSTATE and message); nothing else is found (no
-- unknown columns, unused variables or performance warnings). The profiler, coverage and tracer record
-- nothing; plpgsql_check_pragma answers 1 as the real one does.
\echo Use "CREATE EXTENSION plpgsql_check" to load this file. \quit

-- A function named as plpgsql_check takes names: with its argument types, or alone if it is not overloaded.
create function @extschema@._checker_function(name text) returns regprocedure
language sql stable strict
as $$
  select case when name like '%(%' then name::pg_catalog.regprocedure
              else name::pg_catalog.regproc::pg_catalog.oid::pg_catalog.regprocedure end
$$;

-- The issues of one function: the checks plpgsql_check makes first, then PL/pgSQL's validator.
create function @extschema@._checker_issues(funcoid regprocedure, relid regclass)
returns table (code text, message text, detail text, hint text, context text)
language plpgsql
set check_function_bodies = on
as $$
declare
  proc record;
begin
  select p.prolang, p.prorettype into proc from pg_catalog.pg_proc p where p.oid = funcoid;
  if proc.prolang <> (select l.oid from pg_catalog.pg_language l where l.lanname = 'plpgsql') then
    raise exception '% is not a plpgsql function', funcoid using errcode = 'invalid_parameter_value';
  end if;
  if proc.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype and coalesce(relid, 0) = 0 then
    raise exception 'missing trigger relation' using errcode = 'invalid_parameter_value',
      hint = 'Trigger relation oid must be valid';
  end if;
  if proc.prorettype <> 'pg_catalog.trigger'::pg_catalog.regtype and coalesce(relid, 0) <> 0 then
    raise exception 'function is not trigger' using errcode = 'invalid_parameter_value',
      hint = 'Trigger relation oid must not be valid for non dml trigger function.';
  end if;
  begin
    perform pg_catalog.plpgsql_validator(funcoid);
  exception when others then
    get stacked diagnostics code = returned_sqlstate, message = message_text, detail = pg_exception_detail,
      hint = pg_exception_hint;
    detail := nullif(detail, '');
    hint := nullif(hint, '');
    return next;  -- context stays null: the stand-in's own calls are all it would name
  end;
end
$$;

create function @extschema@.plpgsql_check_function_tb(funcoid regprocedure,
                                       relid regclass default 0,
                                       fatal_errors boolean default true,
                                       other_warnings boolean default true,
                                       performance_warnings boolean default false,
                                       extra_warnings boolean default true,
                                       security_warnings boolean default false,
                                       compatibility_warnings boolean default false,
                                       oldtable name default null,
                                       newtable name default null,
                                       anyelememttype regtype default 'int',
                                       anyenumtype regtype default '-',
                                       anyrangetype regtype default 'int4range',
                                       anycompatibletype regtype default 'int',
                                       anycompatiblerangetype regtype default 'int4range',
                                       without_warnings boolean default false,
                                       all_warnings boolean default false,
                                       use_incomment_options boolean default true,
                                       incomment_options_usage_warning boolean default false,
                                       constant_tracing boolean default true)
returns table(functionid regproc,
              lineno int,
              statement text,
              sqlstate text,
              message text,
              detail text,
              hint text,
              level text,
              "position" int,
              query text,
              context text)
language sql
as $$
  select funcoid::pg_catalog.regproc, null::int, null::text, i.code, i.message, i.detail, i.hint,
         'error'::text, null::int, null::text, i.context
  from @extschema@._checker_issues(funcoid, relid) i
$$;

create function @extschema@.plpgsql_check_function(funcoid regprocedure,
                                       relid regclass default 0,
                                       format text default 'text',
                                       fatal_errors boolean default true,
                                       other_warnings boolean default true,
                                       performance_warnings boolean default false,
                                       extra_warnings boolean default true,
                                       security_warnings boolean default false,
                                       compatibility_warnings boolean default false,
                                       oldtable name default null,
                                       newtable name default null,
                                       anyelememttype regtype default 'int',
                                       anyenumtype regtype default '-',
                                       anyrangetype regtype default 'int4range',
                                       anycompatibletype regtype default 'int',
                                       anycompatiblerangetype regtype default 'int4range',
                                       without_warnings boolean default false,
                                       all_warnings boolean default false,
                                       use_incomment_options boolean default true,
                                       incomment_options_usage_warning boolean default false,
                                       constant_tracing boolean default true)
returns setof text
language sql
as $$
  select case pg_catalog.lower(format)
    when 'json' then
      pg_catalog.jsonb_pretty(pg_catalog.jsonb_build_object(
        'function', funcoid::pg_catalog.oid::text,
        'issues', coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'level', 'error', 'sqlState', i.code, 'message', i.message, 'detail', i.detail, 'hint', i.hint,
          'context', i.context)), '[]')))
    when 'xml' then
      '<Function oid="' || funcoid::pg_catalog.oid || '">' || coalesce(pg_catalog.string_agg(
        '<Issue><Level>error</Level><Sqlstate>' || i.code || '</Sqlstate><Message>'
          || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(i.message, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
          || '</Message></Issue>', ''), '') || '</Function>'
    else pg_catalog.string_agg('error:' || i.code || ':' || i.message, e'\n')
  end
  from @extschema@._checker_issues(funcoid, relid) i
  having pg_catalog.lower(format) in ('json', 'xml') or pg_catalog.count(i.*) > 0
$$;

create function @extschema@.plpgsql_check_function_tb(name text,
                                       relid regclass default 0,
                                       fatal_errors boolean default true,
                                       other_warnings boolean default true,
                                       performance_warnings boolean default false,
                                       extra_warnings boolean default true,
                                       security_warnings boolean default false,
                                       compatibility_warnings boolean default false,
                                       oldtable name default null,
                                       newtable name default null,
                                       anyelememttype regtype default 'int',
                                       anyenumtype regtype default '-',
                                       anyrangetype regtype default 'int4range',
                                       anycompatibletype regtype default 'int',
                                       anycompatiblerangetype regtype default 'int4range',
                                       without_warnings boolean default false,
                                       all_warnings boolean default false,
                                       use_incomment_options boolean default true,
                                       incomment_options_usage_warning boolean default false,
                                       constant_tracing boolean default true)
returns table(functionid regproc,
              lineno int,
              statement text,
              sqlstate text,
              message text,
              detail text,
              hint text,
              level text,
              "position" int,
              query text,
              context text)
language sql
as $$
  select @extschema@._checker_function(name)::pg_catalog.regproc, null::int, null::text, i.code, i.message, i.detail, i.hint,
         'error'::text, null::int, null::text, i.context
  from @extschema@._checker_issues(@extschema@._checker_function(name), relid) i
$$;

create function @extschema@.plpgsql_check_function(name text,
                                       relid regclass default 0,
                                       format text default 'text',
                                       fatal_errors boolean default true,
                                       other_warnings boolean default true,
                                       performance_warnings boolean default false,
                                       extra_warnings boolean default true,
                                       security_warnings boolean default false,
                                       compatibility_warnings boolean default false,
                                       oldtable name default null,
                                       newtable name default null,
                                       anyelememttype regtype default 'int',
                                       anyenumtype regtype default '-',
                                       anyrangetype regtype default 'int4range',
                                       anycompatibletype regtype default 'int',
                                       anycompatiblerangetype regtype default 'int4range',
                                       without_warnings boolean default false,
                                       all_warnings boolean default false,
                                       use_incomment_options boolean default true,
                                       incomment_options_usage_warning boolean default false,
                                       constant_tracing boolean default true)
returns setof text
language sql
as $$
  select case pg_catalog.lower(format)
    when 'json' then
      pg_catalog.jsonb_pretty(pg_catalog.jsonb_build_object(
        'function', @extschema@._checker_function(name)::pg_catalog.oid::text,
        'issues', coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'level', 'error', 'sqlState', i.code, 'message', i.message, 'detail', i.detail, 'hint', i.hint,
          'context', i.context)), '[]')))
    when 'xml' then
      '<Function oid="' || @extschema@._checker_function(name)::pg_catalog.oid || '">' || coalesce(pg_catalog.string_agg(
        '<Issue><Level>error</Level><Sqlstate>' || i.code || '</Sqlstate><Message>'
          || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(i.message, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
          || '</Message></Issue>', ''), '') || '</Function>'
    else pg_catalog.string_agg('error:' || i.code || ':' || i.message, e'\n')
  end
  from @extschema@._checker_issues(@extschema@._checker_function(name), relid) i
  having pg_catalog.lower(format) in ('json', 'xml') or pg_catalog.count(i.*) > 0
$$;

create function @extschema@.__plpgsql_show_dependency_tb(funcoid regprocedure,
                                           relid regclass default 0,
                                           anyelememttype regtype default 'int',
                                           anyenumtype regtype default '-',
                                           anyrangetype regtype default 'int4range',
                                           anycompatibletype regtype default 'int',
                                           anycompatiblerangetype regtype default 'int4range')
returns table(type text,
              oid oid,
              schema text,
              name text,
              params text)
language sql
as $$ select null::text, null::oid, null::text, null::text, null::text where false $$;

create function @extschema@.__plpgsql_show_dependency_tb(name text,
                                           relid regclass default 0,
                                           anyelememttype regtype default 'int',
                                           anyenumtype regtype default '-',
                                           anyrangetype regtype default 'int4range',
                                           anycompatibletype regtype default 'int',
                                           anycompatiblerangetype regtype default 'int4range')
returns table(type text,
              oid oid,
              schema text,
              name text,
              params text)
language sql
as $$ select null::text, null::oid, null::text, null::text, null::text where false $$;

create function @extschema@.plpgsql_show_dependency_tb(funcoid regprocedure,
                                           relid regclass default 0,
                                           anyelememttype regtype default 'int',
                                           anyenumtype regtype default '-',
                                           anyrangetype regtype default 'int4range',
                                           anycompatibletype regtype default 'int',
                                           anycompatiblerangetype regtype default 'int4range')
returns table(type text,
              oid oid,
              schema text,
              name text,
              params text)
language sql
as $$
  select * from @extschema@.__plpgsql_show_dependency_tb($1, $2, $3, $4, $5, $6, $7) order by 1, 3, 4
$$;

create function @extschema@.plpgsql_show_dependency_tb(fnname text,
                                           relid regclass default 0,
                                           anyelememttype regtype default 'int',
                                           anyenumtype regtype default '-',
                                           anyrangetype regtype default 'int4range',
                                           anycompatibletype regtype default 'int',
                                           anycompatiblerangetype regtype default 'int4range')
returns table(type text,
              oid oid,
              schema text,
              name text,
              params text)
language sql
as $$
  select * from @extschema@.__plpgsql_show_dependency_tb($1, $2, $3, $4, $5, $6, $7) order by 1, 3, 4
$$;

create function @extschema@.plpgsql_profiler_function_tb(funcoid regprocedure)
returns table(lineno int,
              stmt_lineno int,
              queryids int8[],
              cmds_on_row int,
              exec_stmts int8,
              exec_stmts_err int8,
              total_time double precision,
              avg_time double precision,
              max_time double precision[],
              processed_rows int8[],
              source text)
language sql strict
as $$
  select null::int, null::int, null::int8[], null::int, null::int8, null::int8, null::float8, null::float8,
         null::float8[], null::int8[], null::text
  where false
$$;

create function @extschema@.plpgsql_profiler_function_tb(name text)
returns table(lineno int,
              stmt_lineno int,
              queryids int8[],
              cmds_on_row int,
              exec_stmts int8,
              exec_stmts_err int8,
              total_time double precision,
              avg_time double precision,
              max_time double precision[],
              processed_rows int8[],
              source text)
language sql strict
as $$
  select null::int, null::int, null::int8[], null::int, null::int8, null::int8, null::float8, null::float8,
         null::float8[], null::int8[], null::text
  where false
$$;

create function @extschema@.plpgsql_profiler_function_statements_tb(funcoid regprocedure)
returns table(stmtid int,
              parent_stmtid int,
              parent_note text,
              block_num int,
              lineno int,
              queryid int8,
              exec_stmts int8,
              exec_stmts_err int8,
              total_time double precision,
              avg_time double precision,
              max_time double precision,
              processed_rows int8,
              stmtname text)
language sql strict
as $$
  select null::int, null::int, null::text, null::int, null::int, null::int8, null::int8, null::int8,
         null::float8, null::float8, null::float8, null::int8, null::text
  where false
$$;

create function @extschema@.plpgsql_profiler_function_statements_tb(name text)
returns table(stmtid int,
              parent_stmtid int,
              parent_note text,
              block_num int,
              lineno int,
              queryid int8,
              exec_stmts int8,
              exec_stmts_err int8,
              total_time double precision,
              avg_time double precision,
              max_time double precision,
              processed_rows int8,
              stmtname text)
language sql strict
as $$
  select null::int, null::int, null::text, null::int, null::int, null::int8, null::int8, null::int8,
         null::float8, null::float8, null::float8, null::int8, null::text
  where false
$$;

create function @extschema@.plpgsql_profiler_install_fake_queryid_hook() returns void
language sql strict
as $$ select $$;

create function @extschema@.plpgsql_profiler_remove_fake_queryid_hook() returns void
language sql strict
as $$ select $$;

create function @extschema@.plpgsql_profiler_reset_all() returns void
language sql strict
as $$ select $$;

create function @extschema@.plpgsql_profiler_reset(funcoid regprocedure) returns void
language sql strict
as $$ select $$;

create function @extschema@.plpgsql_coverage_statements(funcoid regprocedure) returns double precision
language sql
as $$ select null::double precision $$;

create function @extschema@.plpgsql_coverage_statements(name text) returns double precision
language sql
as $$ select null::double precision $$;

create function @extschema@.plpgsql_coverage_branches(funcoid regprocedure) returns double precision
language sql
as $$ select null::double precision $$;

create function @extschema@.plpgsql_coverage_branches(name text) returns double precision
language sql
as $$ select null::double precision $$;

create function @extschema@.plpgsql_check_pragma(variadic name text[]) returns integer
language sql volatile
as $$ select 1 $$;

create function @extschema@.plpgsql_profiler_functions_all()
returns table(funcoid regprocedure,
              exec_count int8,
              exec_stmts_err int8,
              total_time double precision,
              avg_time double precision,
              stddev_time double precision,
              min_time double precision,
              max_time double precision)
language sql strict
as $$
  select null::regprocedure, null::int8, null::int8, null::float8, null::float8, null::float8, null::float8,
         null::float8
  where false
$$;

-- The profiler's and the tracer's switches: remembered for the session (the real ones are settings too).
create function @extschema@.plpgsql_check_profiler(enable boolean default null) returns boolean
language plpgsql volatile
as $$
begin
  if enable is not null then
    perform pg_catalog.set_config('plpgsql_check.profiler', case when enable then 'on' else 'off' end, false);
  end if;
  return coalesce(pg_catalog.current_setting('plpgsql_check.profiler', true), 'off') = 'on';
end
$$;

create function @extschema@.plpgsql_check_tracer(enable boolean default null, verbosity text default null)
returns boolean
language plpgsql volatile
as $$
begin
  if enable is not null then
    perform pg_catalog.set_config('plpgsql_check.tracer', case when enable then 'on' else 'off' end, false);
  end if;
  if verbosity is not null then
    perform pg_catalog.set_config('plpgsql_check.tracer_verbosity', verbosity, false);
  end if;
  return coalesce(pg_catalog.current_setting('plpgsql_check.tracer', true), 'off') = 'on';
end
$$;
