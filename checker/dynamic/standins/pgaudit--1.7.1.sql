-- Stand-in for pgaudit 1.7.1: the event-trigger functions pgaudit_ddl_command_end() and pgaudit_sql_drop()
-- with the real one's attributes (security definer, search_path 'pg_catalog, pg_temp') and the event
-- triggers of the same names. The real functions hand DDL to the audit logger; these return at once, and
-- no statement is audited. pgaudit's settings are not the extension's: see pgaudit.control.
\echo Use "CREATE EXTENSION pgaudit" to load this file. \quit

create function pgaudit_ddl_command_end() returns event_trigger
security definer
set search_path = 'pg_catalog, pg_temp'
language plpgsql
as $$
begin
  -- the real one logs the commands of pg_event_trigger_ddl_commands() when pgaudit.log asks for them
end
$$;

create event trigger pgaudit_ddl_command_end on ddl_command_end
  execute function pgaudit_ddl_command_end();

create function pgaudit_sql_drop() returns event_trigger
security definer
set search_path = 'pg_catalog, pg_temp'
language plpgsql
as $$
begin
  -- the real one logs the objects of pg_event_trigger_dropped_objects() when pgaudit.log asks for them
end
$$;

create event trigger pgaudit_sql_drop on sql_drop
  execute function pgaudit_sql_drop();
