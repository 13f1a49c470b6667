-- Schema `storage` as storage-api leaves it (supabase/postgres init script 00000000000002 plus
-- supabase/storage tenant migrations): the tables a project's migrations insert into or put policies on.
-- storage-api's internal functions (prefix bookkeeping, S3 listing, triggers) are left out.

create schema if not exists storage authorization supabase_admin;

do $seed$
begin
  if to_regtype('storage.buckettype') is null then
    create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
  end if;
end
$seed$;

create table if not exists storage.buckets (
  id text not null constraint buckets_pkey primary key,
  name text not null,
  owner uuid,  -- deprecated for owner_id; its foreign key to auth.users was dropped (storage 0018)
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text,
  type storage.buckettype not null default 'STANDARD'
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() constraint objects_pkey primary key,
  bucket_id text constraint "objects_bucketId_fkey" references storage.buckets,
  name text,
  owner uuid,  -- deprecated for owner_id; no foreign key since storage 0017
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  owner_id text,
  user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

create table if not exists storage.migrations (
  id integer constraint migrations_pkey primary key,
  name varchar(100) not null constraint migrations_name_key unique,
  hash varchar(40) not null,
  executed_at timestamp default current_timestamp
);

create table if not exists storage.s3_multipart_uploads (
  id text constraint s3_multipart_uploads_pkey primary key,
  in_progress_size bigint not null default 0,
  upload_signature text not null,
  bucket_id text not null references storage.buckets,
  key text collate "C" not null,
  version text not null,
  owner_id text,
  created_at timestamptz not null default now(),
  user_metadata jsonb
);

create table if not exists storage.s3_multipart_uploads_parts (
  id uuid default gen_random_uuid() constraint s3_multipart_uploads_parts_pkey primary key,
  upload_id text not null references storage.s3_multipart_uploads on delete cascade,
  size bigint not null default 0,
  part_number integer not null,
  bucket_id text not null references storage.buckets,
  key text collate "C" not null,
  etag text not null,
  owner_id text,
  version text not null,
  created_at timestamptz not null default now()
);

-- Path helpers used in storage policies: 'a/b/c.png' -> foldername {a,b}, filename c.png, extension png.
do $seed$
begin
  if to_regprocedure('storage.foldername(text)') is null then
    create function storage.foldername(name text) returns text[] language sql immutable as $fn$
      select parts[1:array_length(parts, 1) - 1] from string_to_array(name, '/') as parts
    $fn$;
  end if;
  if to_regprocedure('storage.filename(text)') is null then
    create function storage.filename(name text) returns text language sql immutable as $fn$
      select parts[array_length(parts, 1)] from string_to_array(name, '/') as parts
    $fn$;
  end if;
  if to_regprocedure('storage.extension(text)') is null then
    create function storage.extension(name text) returns text language sql immutable as $fn$
      select reverse(split_part(reverse(storage.filename(name)), '.', 1))
    $fn$;
  end if;
  -- The listing the dashboard calls: entries one level below `prefix` (files, and folders with null id).
  if to_regprocedure('storage.search(text, text, integer, integer, integer)') is null then
    create function storage.search(
      prefix text, bucketname text, limits integer default 100, levels integer default 1, offsets integer default 0
    ) returns table (
      name text, id uuid, updated_at timestamptz, created_at timestamptz, last_accessed_at timestamptz, metadata jsonb
    ) language sql stable as $fn$
      select entry.folder, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata
      from (
        select distinct objects.path_tokens[levels] as folder
        from storage.objects
        where objects.bucket_id = bucketname and objects.name ilike prefix || '%'
        order by 1
        limit limits offset offsets
      ) as entry
      left join storage.objects as o on o.bucket_id = bucketname and o.name = prefix || entry.folder
    $fn$;
  end if;
end
$seed$;

do $seed$
declare
  tbl text;
begin
  foreach tbl in array array['buckets', 'objects', 'migrations', 's3_multipart_uploads', 's3_multipart_uploads_parts']
  loop
    execute format('alter table storage.%I owner to supabase_storage_admin', tbl);
    execute format('alter table storage.%I enable row level security', tbl);
    -- demote-postgres: ALL on every storage table.
    execute format('grant all on storage.%I to postgres, dashboard_user', tbl);
  end loop;
end
$seed$;

alter type storage.buckettype owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
alter function storage.search(text, text, integer, integer, integer) owner to supabase_storage_admin;

grant usage on schema storage to postgres, anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin, postgres, dashboard_user;
-- Buckets and objects are guarded by RLS only (storage 0046/0049); multipart uploads are read-only to users.
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.buckets, storage.objects to postgres with grant option;
grant all on storage.s3_multipart_uploads, storage.s3_multipart_uploads_parts to service_role;
grant select on storage.s3_multipart_uploads, storage.s3_multipart_uploads_parts to anon, authenticated;
grant all on all sequences in schema storage to postgres, dashboard_user;
grant all on all routines in schema storage to postgres, dashboard_user;
alter default privileges in schema storage grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on sequences to postgres, anon, authenticated, service_role;
