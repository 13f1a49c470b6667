-- Stand-in for Supabase Wrappers 0.5.3 (the version of supabase/postgres's PostgreSQL 15 and 17 images in
-- nix/ext/versions.json), written from its generated interface (supabase-wrappers-macros: for each wrapper
-- `<name>_handler()` returning fdw_handler, `<name>_validator(options text[], catalog oid)` and
-- `<name>_meta()`; wrappers/sql/bootstrap.sql: wrappers_fdw_stats).
--
-- A handler must be C or internal: here it is the internal input function of the fdw_handler type, which
-- refuses when the planner asks for the wrapper's routines ("cannot accept a value of type fdw_handler",
-- reported not verified), so declaring wrappers, servers and foreign tables works as on Supabase, reading,
-- importing or analysing a foreign table does not. The validators accept every option (the real ones
-- check a few, e.g. stripe's `object` on a foreign table); they are PL/pgSQL, since a SQL function
-- returning void returns null, which PostgreSQL refuses from a validator.
\echo Use "CREATE EXTENSION wrappers" to load this file. \quit

create table wrappers_fdw_stats (
  fdw_name text not null primary key,
  create_times bigint,
  rows_in bigint,
  rows_out bigint,
  bytes_in bigint,
  bytes_out bigint,
  metadata jsonb,
  created_at timestamptz not null default pg_catalog.timezone('utc'::text, pg_catalog.now()),
  updated_at timestamptz not null default pg_catalog.timezone('utc'::text, pg_catalog.now())
);
comment on table wrappers_fdw_stats is 'Wrappers Foreign Data Wrapper statistics';

do $standin$
declare
  fdw record;
begin
  for fdw in
    select * from (values
      ('airtable_fdw', 'AirtableFdw', '0.1.4'),
      ('auth0_fdw', 'Auth0Fdw', '0.1.2'),
      ('big_query_fdw', 'BigQueryFdw', '0.1.6'),
      ('click_house_fdw', 'ClickHouseFdw', '0.1.7'),
      ('cognito_fdw', 'CognitoFdw', '0.1.4'),
      ('duckdb_fdw', 'DuckdbFdw', '0.1.0'),
      ('firebase_fdw', 'FirebaseFdw', '0.1.3'),
      ('hello_world_fdw', 'HelloWorldFdw', '0.1.1'),
      ('iceberg_fdw', 'IcebergFdw', '0.1.1'),
      ('logflare_fdw', 'LogflareFdw', '0.1.1'),
      ('mssql_fdw', 'MssqlFdw', '0.1.3'),
      ('redis_fdw', 'RedisFdw', '0.1.1'),
      ('s3_fdw', 'S3Fdw', '0.1.4'),
      ('stripe_fdw', 'StripeFdw', '0.1.12'),
      ('wasm_fdw', 'WasmFdw', '0.1.5')
    ) as wrappers (prefix, name, version)
  loop
    execute format(
      'create function %I() returns fdw_handler language internal strict as %L',
      fdw.prefix || '_handler', 'fdw_handler_in');
    execute format(
      'create function %I(options text[], catalog oid) returns void language plpgsql as %L',
      fdw.prefix || '_validator', 'begin end');
    execute format(
      'create function %I() returns table (name text, version text, author text, website text) '
      'language sql strict as %L',
      fdw.prefix || '_meta',
      format('values (%L, %L, %L, %L)', fdw.name, fdw.version, 'Supabase',
             'https://github.com/supabase/wrappers/tree/main/wrappers/src/fdw/' || fdw.prefix));
  end loop;
end
$standin$;
