-- Rollback of astro_fields.sql: drops exactly the columns it added (data in them is lost).
begin;

alter table public.users
  drop column if exists birth_time_known,
  drop column if exists birth_city,
  drop column if exists birth_country,
  drop column if exists birth_latitude,
  drop column if exists birth_longitude,
  drop column if exists astrology_enabled,
  drop column if exists human_design_enabled,
  drop column if exists hd_type,
  drop column if exists hd_profile,
  drop column if exists hd_authority,
  drop column if exists hd_strategy;

commit;
