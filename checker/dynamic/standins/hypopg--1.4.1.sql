-- Stand-in for HypoPG 1.4.1, written from its documented interface: the functions and views with HypoPG's
-- signatures, in the schema given (relocatable, as the real one). A hypothetical index is checked by building
-- it for real in a subtransaction that is rolled back at once (so a wrong CREATE INDEX fails as it would),
-- and the session remembers what it was; the planner never sees it, and hiding an index hides nothing.
-- The session's hypothetical and hidden indexes are kept as JSON in two custom settings (backend-local, as
-- HypoPG keeps them in memory; unlike HypoPG's, they are undone when the transaction that made them rolls
-- back). The functions call none of each other: the extension may be moved to any schema.
\echo Use "CREATE EXTENSION hypopg" to load this file. \quit

create function hypopg_reset_index() returns void
language sql volatile cost 100
as $$ select pg_catalog.set_config('checker_hypopg.indexes', '[]', false) $$;

create function hypopg_reset() returns void
language sql volatile cost 100
as $$
  select pg_catalog.set_config('checker_hypopg.indexes', '[]', false),
         pg_catalog.set_config('checker_hypopg.hidden', '[]', false)
$$;

create function hypopg_create_index(in sql_order text, out indexrelid oid, out indexname text)
returns setof record
language plpgsql strict volatile cost 100
as $$
declare
  made jsonb := coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb;
  taken oid[];
  before oid[];
  entries jsonb := '[]';
  entry jsonb;
  statement text;
  number int := 0;
  fake oid;
  built record;
begin
  foreach statement in array pg_catalog.regexp_split_to_array(sql_order, ';') loop
    continue when pg_catalog.btrim(statement, e' \t\r\n') = '';
    number := number + 1;
    if statement !~* '^\s*create\s+(unique\s+)?index\M' then
      raise warning 'hypopg: SQL order #% is not a CREATE INDEX statement', number;
      continue;
    end if;
    -- HypoPG's oids come from the range PostgreSQL keeps for objects made at initdb: the highest free one.
    taken := array(select (e ->> 'indexrelid')::oid from pg_catalog.jsonb_array_elements(made || entries) e);
    select o::oid into fake from pg_catalog.generate_series(16383, 12000, -1) o
      where o::oid <> all (taken)
        and not exists (select from pg_catalog.pg_class c where c.oid = o::oid)
      limit 1;
    if fake is null then
      raise exception 'hypopg: not more oid available'
        using hint = 'Remove hypothetical indexes that are no longer needed';
    end if;
    -- The name, CONCURRENTLY and IF NOT EXISTS go: HypoPG names the index itself, and it is built here
    -- inside a transaction.
    statement := pg_catalog.regexp_replace(statement,
      '^(\s*create\s+(unique\s+)?index)\s+(concurrently\s+)?(if\s+not\s+exists\s+)?((?!on\s)("[^"]*"|[^\s(]+)\s+)?(?=on\s)',
      '\1 ', 'i');
    before := array(select c.oid from pg_catalog.pg_class c where c.relkind in ('i', 'I'));
    built := null;
    begin
      execute statement;
      select i.indrelid, i.indnatts, i.indisunique, i.indkey::text as indkey, i.indcollation::text as indcollation,
             i.indclass::text as indclass, i.indoption::text as indoption, c.relam,
             pg_catalog.pg_get_indexdef(c.oid) as indexdef, pg_catalog.pg_relation_size(c.oid) as size,
             a.amname, t.relname, n.nspname,
             (select pg_catalog.string_agg(coalesce(ta.attname::text, 'expr'), '_' order by k.n)
                from pg_catalog.unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                left join pg_catalog.pg_attribute ta on ta.attrelid = i.indrelid and ta.attnum = k.attnum
                where k.n <= i.indnkeyatts) as columns
        into built
        from pg_catalog.pg_class c
        join pg_catalog.pg_index i on i.indexrelid = c.oid
        join pg_catalog.pg_am a on a.oid = c.relam
        join pg_catalog.pg_class t on t.oid = i.indrelid
        join pg_catalog.pg_namespace n on n.oid = t.relnamespace
        where c.relkind in ('i', 'I') and c.oid <> all (before)
        order by c.oid
        limit 1;
      raise exception using errcode = 'CKHYP', message = 'checker_hypopg: undo';
    exception when sqlstate 'CKHYP' then
      null;  -- the index was built and is gone again; `built` keeps what it was
    end;
    continue when built is null;  -- CREATE INDEX IF NOT EXISTS of an index that exists
    entry := pg_catalog.jsonb_build_object(
      'indexrelid', fake,
      'indexname', pg_catalog.left(
        '<' || fake || '>' || built.amname || '_'
          || case when built.nspname <> 'public' then built.nspname || '_' else '' end
          || built.relname || coalesce('_' || built.columns, ''), 63),
      'indrelid', built.indrelid, 'innatts', built.indnatts, 'indisunique', built.indisunique,
      'indkey', built.indkey, 'indcollation', built.indcollation, 'indclass', built.indclass,
      'indoption', built.indoption, 'amid', built.relam, 'size', built.size,
      'indexdef', pg_catalog.regexp_replace(built.indexdef, '^(CREATE (UNIQUE )?INDEX )\S+ ', '\1'));
    entries := entries || pg_catalog.jsonb_build_array(entry);
    indexrelid := fake;
    indexname := entry ->> 'indexname';
    return next;
  end loop;
  perform pg_catalog.set_config('checker_hypopg.indexes', (made || entries)::text, false);
end
$$;

create function hypopg_drop_index(in indexid oid) returns bool
language plpgsql strict volatile cost 100
as $$
declare
  made jsonb := coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb;
  kept jsonb;
begin
  kept := coalesce((select pg_catalog.jsonb_agg(e) from pg_catalog.jsonb_array_elements(made) e
                    where (e ->> 'indexrelid')::oid <> indexid), '[]');
  perform pg_catalog.set_config('checker_hypopg.indexes', kept::text, false);
  return pg_catalog.jsonb_array_length(kept) < pg_catalog.jsonb_array_length(made);
end
$$;

-- indexprs and indpred are null: a pg_node_tree cannot be made from SQL.
create function hypopg(out indexname text, out indexrelid oid,
                       out indrelid oid, out innatts integer,
                       out indisunique boolean, out indkey int2vector,
                       out indcollation oidvector, out indclass oidvector,
                       out indoption oidvector, out indexprs pg_node_tree,
                       out indpred pg_node_tree, out amid oid)
returns setof record
language sql volatile cost 100
as $$
  select e ->> 'indexname', (e ->> 'indexrelid')::oid, (e ->> 'indrelid')::oid, (e ->> 'innatts')::int,
         (e ->> 'indisunique')::boolean, (e ->> 'indkey')::int2vector, (e ->> 'indcollation')::oidvector,
         (e ->> 'indclass')::oidvector, (e ->> 'indoption')::oidvector, null::pg_node_tree, null::pg_node_tree,
         (e ->> 'amid')::oid
  from pg_catalog.jsonb_array_elements(
    coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb) e
$$;

-- HypoPG's columns; the table may have been dropped since.
create view hypopg_list_indexes
as
  select h.indexrelid,
         h.indexname as index_name,
         (select s.nspname from pg_catalog.pg_class r join pg_catalog.pg_namespace s on s.oid = r.relnamespace
           where r.oid = h.indrelid) as schema_name,
         coalesce((select r.relname from pg_catalog.pg_class r where r.oid = h.indrelid), '<dropped>') as table_name,
         (select m.amname from pg_catalog.pg_am m where m.oid = h.amid) as am_name
  from hypopg() h;

-- The size the index had when it was built on the table's rows at the time (HypoPG estimates it).
create function hypopg_relation_size(in indexid oid) returns bigint
language plpgsql strict volatile cost 100
as $$
declare
  size bigint;
begin
  select (e ->> 'size')::bigint into size
  from pg_catalog.jsonb_array_elements(
    coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb) e
  where (e ->> 'indexrelid')::oid = indexid;
  if not found then
    raise exception 'oid % is not a hypothetical index', indexid;
  end if;
  return size;
end
$$;

create function hypopg_get_indexdef(in indexid oid) returns text
language sql strict volatile cost 100
as $$
  select e ->> 'indexdef'
  from pg_catalog.jsonb_array_elements(
    coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb) e
  where (e ->> 'indexrelid')::oid = indexid
$$;

create function hypopg_hide_index(in indexid oid) returns bool
language plpgsql strict volatile cost 100
as $$
declare
  hidden jsonb := coalesce(nullif(pg_catalog.current_setting('checker_hypopg.hidden', true), ''), '[]')::jsonb;
begin
  if not exists (select from pg_catalog.pg_index i where i.indexrelid = indexid)
     and not exists (
       select from pg_catalog.jsonb_array_elements(
         coalesce(nullif(pg_catalog.current_setting('checker_hypopg.indexes', true), ''), '[]')::jsonb) e
       where (e ->> 'indexrelid')::oid = indexid)
     or hidden @> pg_catalog.jsonb_build_array(indexid) then
    return false;
  end if;
  perform pg_catalog.set_config('checker_hypopg.hidden', (hidden || pg_catalog.to_jsonb(indexid))::text, false);
  return true;
end
$$;

create function hypopg_unhide_index(in indexid oid) returns bool
language plpgsql strict volatile cost 100
as $$
declare
  hidden jsonb := coalesce(nullif(pg_catalog.current_setting('checker_hypopg.hidden', true), ''), '[]')::jsonb;
begin
  if not hidden @> pg_catalog.jsonb_build_array(indexid) then
    return false;
  end if;
  perform pg_catalog.set_config('checker_hypopg.hidden', (
    select coalesce(pg_catalog.jsonb_agg(v), '[]') from pg_catalog.jsonb_array_elements(hidden) v
    where v <> pg_catalog.to_jsonb(indexid))::text, false);
  return true;
end
$$;

create function hypopg_unhide_all_indexes() returns void
language sql volatile cost 100
as $$ select pg_catalog.set_config('checker_hypopg.hidden', '[]', false) $$;

create function hypopg_hidden_indexes() returns table (indexid oid)
language sql strict volatile
as $$
  select (v #>> '{}')::oid
  from pg_catalog.jsonb_array_elements(
    coalesce(nullif(pg_catalog.current_setting('checker_hypopg.hidden', true), ''), '[]')::jsonb) h(v)
$$;

-- HypoPG's columns: the hidden real indexes, then the hidden hypothetical ones, by name.
create view hypopg_hidden_indexes
as
  select hidden.indexid as indexrelid, ix.relname as index_name, s.nspname as schema_name,
         r.relname as table_name, m.amname as am_name, false as is_hypo
  from hypopg_hidden_indexes() hidden
  join pg_catalog.pg_class ix on ix.oid = hidden.indexid and ix.relkind in ('i', 'I')
  join pg_catalog.pg_namespace s on s.oid = ix.relnamespace
  join pg_catalog.pg_index i on i.indexrelid = ix.oid
  join pg_catalog.pg_class r on r.oid = i.indrelid
  join pg_catalog.pg_am m on m.oid = ix.relam
  union all
  select l.indexrelid, l.index_name, l.schema_name, l.table_name, l.am_name, true
  from hypopg_list_indexes l
  where l.indexrelid in (select indexid from hypopg_hidden_indexes())
  order by index_name;
