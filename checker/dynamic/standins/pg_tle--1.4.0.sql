-- Stand-in for pg_tle 1.4.0 (Trusted Language Extensions), written from its documented interface: the role
-- pgtle_admin, the functions that register extensions (install_extension, install_extension_version_sql,
-- install_update_path, set_default_version, the uninstall functions, available_extensions,
-- available_extension_versions, extension_update_paths) with pg_tle's signatures, its checks and messages,
-- and the feature registry (pg_tle_features, feature_info, register_feature, unregister_feature, and the
-- event trigger that forgets a dropped function). Extensions are kept in two tables of the stand-in's own;
-- none can be created with CREATE EXTENSION here (pg_tle's C hook does that), and the base type and
-- operator functions (create_shell_type, create_base_type, create_operator_func) are left out.
\echo Use "CREATE EXTENSION pg_tle" to load this file. \quit

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'pgtle_admin') then
    create role pgtle_admin nologin;
  end if;
end
$$;

revoke all on schema pgtle from public;
grant usage on schema pgtle to public;
grant usage, create on schema pgtle to pgtle_admin;

-- Not pg_tle's: where the stand-in keeps what it was given (pg_tle keeps it in functions of schema pgtle).
create table pgtle._checker_extensions (
  name text not null,
  version text not null,
  description text,
  ext text not null,
  requires text[],
  is_default boolean not null default false,
  primary key (name, version)
);
create table pgtle._checker_update_paths (
  name text not null,
  fromvers text not null,
  tovers text not null,
  ext text not null,
  primary key (name, fromvers, tovers)
);
revoke all on pgtle._checker_extensions, pgtle._checker_update_paths from public;
select pg_catalog.pg_extension_config_dump('pgtle._checker_extensions', '');
select pg_catalog.pg_extension_config_dump('pgtle._checker_update_paths', '');

-- pg_tle's rules for names and versions, and for what an extension's SQL may not hold.
create function pgtle._checker_valid(kind text, value text) returns void
language plpgsql immutable
set search_path = pg_catalog
as $$
begin
  if value is null then
    raise exception '"%" is a required argument', kind using errcode = 'null_value_not_allowed';
  end if;
  if value = '' or strpos(value, '--') > 0 or left(value, 1) = '-' or right(value, 1) = '-'
     or strpos(value, '/') > 0 or strpos(value, e'\\') > 0 then
    raise exception 'invalid extension %: "%"', case kind when 'name' then 'name' else 'version name' end, value
      using errcode = 'invalid_parameter_value';
  end if;
end
$$;

create function pgtle._checker_script(value text) returns text
language plpgsql immutable
set search_path = pg_catalog
as $$
begin
  if value is null then
    raise exception '"ext" is a required argument' using errcode = 'null_value_not_allowed';
  end if;
  if strpos(value, '$_pgtle_o_$') > 0 or strpos(value, '$_pgtle_i_$') > 0 then
    raise exception 'invalid character in extension definition' using errcode = 'invalid_parameter_value',
      detail = 'Use of string delimiters "$_pgtle_o_$" and "$_pgtle_i_$" are forbidden in extension definitions.',
      hint = 'This may be an attempt at a SQL injection attack. Please verify your installation file.';
  end if;
  return value;
end
$$;

create function pgtle.install_extension
(
  name text,
  version text,
  description text,
  ext text,
  requires text[] default null
)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql
as $$
begin
  perform pgtle._checker_valid('name', name);
  if exists (select from pg_catalog.pg_available_extensions a where a.name = install_extension.name) then
    raise exception 'control file already exists for the % extension', name
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  perform pgtle._checker_valid('version', version);
  if description is null then
    raise exception '"description" is a required argument' using errcode = 'null_value_not_allowed';
  end if;
  perform pgtle._checker_script(ext);
  if exists (select from pgtle._checker_extensions e where e.name = install_extension.name) then
    raise exception 'extension "%" already installed', name using errcode = 'duplicate_object';
  end if;
  insert into pgtle._checker_extensions values (name, version, description, ext, requires, true);
  return true;
end
$$;

create function pgtle.install_extension_version_sql
(
  name text,
  version text,
  ext text
)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql
as $$
declare
  installed pgtle._checker_extensions;
begin
  perform pgtle._checker_valid('name', name);
  perform pgtle._checker_valid('version', version);
  perform pgtle._checker_script(ext);
  select * into installed from pgtle._checker_extensions e
    where e.name = install_extension_version_sql.name and e.is_default;
  if not found then
    raise exception 'extension "%" does not exist', name using errcode = 'undefined_object';
  end if;
  if exists (select from pgtle._checker_extensions e
             where e.name = install_extension_version_sql.name and e.version = install_extension_version_sql.version) then
    raise exception 'version "%" of extension "%" already installed', version, name using errcode = 'duplicate_object';
  end if;
  insert into pgtle._checker_extensions values (name, version, installed.description, ext, installed.requires, false);
  return true;
end
$$;

create function pgtle.install_update_path
(
  name text,
  fromvers text,
  tovers text,
  ext text
)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql
as $$
begin
  perform pgtle._checker_valid('name', name);
  perform pgtle._checker_valid('version', fromvers);
  perform pgtle._checker_valid('version', tovers);
  perform pgtle._checker_script(ext);
  if exists (select from pg_catalog.pg_available_extensions a where a.name = install_update_path.name) then
    raise exception 'control file already exists for the "%" extension', name
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  if exists (select from pgtle._checker_update_paths p
             where (p.name, p.fromvers, p.tovers)
                   = (install_update_path.name, install_update_path.fromvers, install_update_path.tovers)) then
    raise exception 'extension "%" update path "%-%" already installed', name, fromvers, tovers
      using errcode = 'duplicate_object';
  end if;
  insert into pgtle._checker_update_paths values (name, fromvers, tovers, ext);
  return true;
end
$$;

create function pgtle.set_default_version
(
  name text,
  version text
)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql
as $$
begin
  perform pgtle._checker_valid('name', name);
  perform pgtle._checker_valid('version', version);
  if not exists (select from pgtle._checker_extensions e
                 where e.name = set_default_version.name and e.version = set_default_version.version) then
    raise exception 'extension and version do not exist' using errcode = 'undefined_object';
  end if;
  update pgtle._checker_extensions e set is_default = (e.version = set_default_version.version)
    where e.name = set_default_version.name;
  return true;
end
$$;

create function pgtle.uninstall_extension(extname text)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql strict
as $$
begin
  delete from pgtle._checker_extensions e where e.name = extname;
  if not found then
    raise exception 'Extension % does not exist', extname using errcode = 'no_data_found';
  end if;
  delete from pgtle._checker_update_paths p where p.name = extname;
  return true;
end
$$;

create function pgtle.uninstall_extension_if_exists(extname text)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql strict
as $$
begin
  delete from pgtle._checker_update_paths p where p.name = extname;
  delete from pgtle._checker_extensions e where e.name = extname;
  return found;
end
$$;

create function pgtle.uninstall_extension(extname text, version text)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql strict
as $$
declare
  chosen pgtle._checker_extensions;
begin
  select * into chosen from pgtle._checker_extensions e where e.name = extname and e.version = uninstall_extension.version;
  if not found then
    raise exception 'Version % of extension % is not installed and therefore can not be uninstalled', version, extname;
  end if;
  if chosen.is_default and exists (select from pgtle._checker_extensions e
                                   where e.name = extname and e.version <> chosen.version) then
    raise exception 'Can not uninstall default version of extension %, use set_default_version to update the default to another available version and retry', extname;
  end if;
  delete from pgtle._checker_extensions e where e.name = extname and e.version = uninstall_extension.version;
  return true;
end
$$;

create function pgtle.uninstall_update_path(extname text, fromvers text, tovers text)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql strict
as $$
begin
  delete from pgtle._checker_update_paths p
  where (p.name, p.fromvers, p.tovers) = (extname, uninstall_update_path.fromvers, uninstall_update_path.tovers);
  if not found then
    raise exception 'Extension % does not exist', extname using errcode = 'no_data_found';
  end if;
  return true;
end
$$;

create function pgtle.uninstall_update_path_if_exists(extname text, fromvers text, tovers text)
returns boolean
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql strict
as $$
begin
  delete from pgtle._checker_update_paths p
  where (p.name, p.fromvers, p.tovers)
        = (extname, uninstall_update_path_if_exists.fromvers, uninstall_update_path_if_exists.tovers);
  return found;
end
$$;

-- The update steps registered (pg_tle lists every pair of versions, with the path found between them).
create function pgtle.extension_update_paths
(
  name name,
  out source text,
  out target text,
  out path text
)
returns setof record
security definer
set search_path to 'pgtle', 'pg_temp'
language sql stable strict
as $$
  select p.fromvers, p.tovers, p.fromvers || '--' || p.tovers
  from pgtle._checker_update_paths p where p.name = extension_update_paths.name
  order by 1, 2
$$;

create function pgtle.available_extensions
(
  out name name,
  out default_version text,
  out comment text
)
returns setof record
security definer
set search_path to 'pgtle', 'pg_temp'
language sql stable strict
as $$
  select e.name, e.version, e.description from pgtle._checker_extensions e where e.is_default order by 1
$$;

create function pgtle.available_extension_versions
(
  out name name,
  out version text,
  out superuser boolean,
  out trusted boolean,
  out relocatable boolean,
  out schema name,
  out requires name[],
  out comment text
)
returns setof record
security definer
set search_path to 'pgtle', 'pg_temp'
language sql stable strict
as $$
  select e.name, e.version, false, false, false, null::name, e.requires::name[], e.description
  from pgtle._checker_extensions e order by 1, 2
$$;

revoke execute on function pgtle.install_extension(text, text, text, text, text[]),
  pgtle.install_extension_version_sql(text, text, text),
  pgtle.install_update_path(text, text, text, text),
  pgtle.set_default_version(text, text),
  pgtle.uninstall_extension(text),
  pgtle.uninstall_extension(text, text),
  pgtle.uninstall_extension_if_exists(text),
  pgtle.uninstall_update_path(text, text, text),
  pgtle.uninstall_update_path_if_exists(text, text, text)
  from public;
grant execute on function pgtle.install_extension(text, text, text, text, text[]),
  pgtle.install_extension_version_sql(text, text, text),
  pgtle.install_update_path(text, text, text, text),
  pgtle.set_default_version(text, text),
  pgtle.uninstall_extension(text),
  pgtle.uninstall_extension(text, text),
  pgtle.uninstall_extension_if_exists(text),
  pgtle.uninstall_update_path(text, text, text),
  pgtle.uninstall_update_path_if_exists(text, text, text)
  to pgtle_admin;

-- The feature registry: functions pg_tle calls from its hooks (here, nothing calls them).
create type pgtle.pg_tle_features as enum ('passcheck', 'clientauth');
create type pgtle.password_types as enum ('PASSWORD_TYPE_PLAINTEXT', 'PASSWORD_TYPE_MD5', 'PASSWORD_TYPE_SCRAM_SHA_256');
create type pgtle.clientauth_port_subset as (
  noblock boolean,
  remote_host text,
  remote_hostname text,
  remote_hostname_resolv integer,
  remote_hostname_errcode integer,
  database_name text,
  user_name text,
  application_name text
);

create table pgtle.feature_info (
  feature pgtle.pg_tle_features,
  schema_name text,
  proname text,
  obj_identity text not null,
  primary key (feature, schema_name, proname)
);
select pg_catalog.pg_extension_config_dump('pgtle.feature_info', '');
grant select on pgtle.feature_info to public;
grant insert, delete on pgtle.feature_info to pgtle_admin;

create function pgtle.register_feature(proc regproc, feature pgtle.pg_tle_features)
returns void
language plpgsql
as $$
begin
  insert into pgtle.feature_info
  select feature, n.nspname, p.proname, (pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)).identity
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where p.oid = proc;
end
$$;

create function pgtle.register_feature_if_not_exists(proc regproc, feature pgtle.pg_tle_features)
returns bool
language plpgsql
as $$
begin
  perform pgtle.register_feature(proc, feature);
  return true;
exception when unique_violation then
  return false;
end
$$;

create function pgtle.unregister_feature(proc regproc, feature pgtle.pg_tle_features)
returns void
language plpgsql
as $$
begin
  delete from pgtle.feature_info f
  using pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where p.oid = proc and f.feature = unregister_feature.feature and f.schema_name = n.nspname
    and f.proname = p.proname;
  if not found then
    raise exception 'Could not unregister "%": does not exist.', proc using errcode = 'no_data_found';
  end if;
end
$$;

create function pgtle.unregister_feature_if_exists(proc regproc, feature pgtle.pg_tle_features)
returns bool
language plpgsql
as $$
begin
  perform pgtle.unregister_feature(proc, feature);
  return true;
exception when no_data_found then
  return false;
end
$$;

revoke execute on function pgtle.register_feature(regproc, pgtle.pg_tle_features),
  pgtle.register_feature_if_not_exists(regproc, pgtle.pg_tle_features),
  pgtle.unregister_feature(regproc, pgtle.pg_tle_features),
  pgtle.unregister_feature_if_exists(regproc, pgtle.pg_tle_features)
  from public;
grant execute on function pgtle.register_feature(regproc, pgtle.pg_tle_features),
  pgtle.register_feature_if_not_exists(regproc, pgtle.pg_tle_features),
  pgtle.unregister_feature(regproc, pgtle.pg_tle_features),
  pgtle.unregister_feature_if_exists(regproc, pgtle.pg_tle_features)
  to pgtle_admin;

-- A registered function that is dropped leaves the registry, as pg_tle's event trigger makes it.
create function pgtle.pg_tle_feature_info_sql_drop()
returns event_trigger
security definer
set search_path to 'pgtle', 'pg_temp'
language plpgsql
as $$
begin
  delete from pgtle.feature_info f
  using pg_catalog.pg_event_trigger_dropped_objects() d
  where d.object_type = 'function' and f.obj_identity = d.object_identity;
end
$$;

create event trigger pg_tle_event_trigger_for_drop_function on sql_drop
  when tag in ('DROP FUNCTION')
  execute function pgtle.pg_tle_feature_info_sql_drop();
