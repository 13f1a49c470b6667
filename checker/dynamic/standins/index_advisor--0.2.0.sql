-- Stand-in for index_advisor 0.2.0 (Supabase's Query Performance advisor): index_advisor(query) with the
-- real one's result columns. The query is planned as a generic plan (its $n parameters unknown), so it must
-- be one statement that PostgreSQL can plan here, and the plan's costs are given before and after; with no
-- hypothetical planning behind it, after equals before and index_statements is always empty. A query that
-- cannot be planned gives null costs and the reason in errors, as the real one reports errors.
\echo Use "CREATE EXTENSION index_advisor" to load this file. \quit

create function index_advisor(query text)
returns table (
  startup_cost_before jsonb,
  startup_cost_after jsonb,
  total_cost_before jsonb,
  total_cost_after jsonb,
  index_statements text[],
  errors text[]
)
volatile
language plpgsql
as $$
declare
  plan jsonb;
  cleaned text;
begin
  -- Comments go first (they often hold semicolons), then one trailing semicolon.
  cleaned := pg_catalog.regexp_replace(query, '/\*.*?\*/', ' ', 'g');
  cleaned := pg_catalog.regexp_replace(cleaned, '--[^\r\n]*', ' ', 'g');
  cleaned := pg_catalog.regexp_replace(pg_catalog.btrim(cleaned, e' \t\r\n'), ';\s*$', '');
  begin
    if pg_catalog.strpos(cleaned, ';') > 0 then
      raise exception 'Query must not contain a semicolon';
    end if;
    execute 'explain (format json, generic_plan) ' || cleaned into plan;
  exception when others then
    return query select null::jsonb, null::jsonb, null::jsonb, null::jsonb, array[]::text[],
      array[sqlerrm]::text[];
    return;
  end;
  return query select plan -> 0 -> 'Plan' -> 'Startup Cost', plan -> 0 -> 'Plan' -> 'Startup Cost',
    plan -> 0 -> 'Plan' -> 'Total Cost', plan -> 0 -> 'Plan' -> 'Total Cost', array[]::text[], array[]::text[];
end
$$;
