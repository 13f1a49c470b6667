-- Stand-in for pg_graphql 1.5: the objects of schema graphql with pg_graphql's signatures (resolve and its
-- internal twin, comment_directive, exception, the schema version counter). Nothing parses or runs GraphQL:
-- resolve answers every query with an error, in the shape pg_graphql gives errors. pg_graphql's event
-- triggers, which bump the schema version on DDL, are left out (they would fire on every statement).
\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

create sequence graphql.seq_schema_version as int cycle;

create function graphql.get_schema_version() returns int
language sql
security definer
set search_path = ''
return (select last_value from graphql.seq_schema_version);

-- The JSON object in a comment's `@graphql({...})` directive, or {} (how pg_graphql reads its options).
create function graphql.comment_directive(comment_ text) returns jsonb
language sql
immutable
return coalesce(substring(comment_ from '@graphql\((.+)\)')::jsonb, '{}'::jsonb);

create function graphql.exception(message text) returns text
language plpgsql
as $$
begin
  raise exception using errcode = '22000', message = message;
end
$$;

-- The real one is the Rust resolver; here it only reports that the query was not resolved.
create function graphql._internal_resolve(
  query text,
  variables jsonb default '{}',
  "operationName" text default null,
  extensions jsonb default null
) returns jsonb
language sql
stable
return jsonb_build_object(
  'data', null,
  'errors', jsonb_build_array(jsonb_build_object(
    'message', 'GraphQL is not resolved by the checker''s pg_graphql stand-in')));

create function graphql.resolve(
  query text,
  variables jsonb default '{}',
  "operationName" text default null,
  extensions jsonb default null
) returns jsonb
language plpgsql
as $$
declare
  message_text text;
begin
  return graphql._internal_resolve(query, variables, "operationName", extensions);
exception
  when others then
    get stacked diagnostics message_text = message_text;
    return jsonb_build_object('data', null, 'errors', jsonb_build_array(jsonb_build_object('message', message_text)));
end
$$;
