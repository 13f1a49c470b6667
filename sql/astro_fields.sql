-- Astrology and human design fields on the existing profile table.
-- "if not exists" keeps a rerun harmless; every column is nullable or defaulted,
-- so existing rows need no backfill. lock_timeout: waiting behind a long query on users
-- must fail the migration, not queue every API request behind it.
begin;
set local lock_timeout = '5s';

alter table public.users
  add column if not exists birth_time_known boolean default false,
  add column if not exists birth_city text,
  add column if not exists birth_country text,
  add column if not exists birth_latitude numeric(10, 7),
  add column if not exists birth_longitude numeric(10, 7),
  add column if not exists astrology_enabled boolean default false,
  add column if not exists human_design_enabled boolean default false,
  add column if not exists hd_type text,
  add column if not exists hd_profile text,
  add column if not exists hd_authority text,
  add column if not exists hd_strategy text;

commit;
