-- Rollback of connect_schema.sql: removes exactly what it created.
begin;

-- the helpers go first: is_match_participant takes a public.matches row, so the
-- table cannot be dropped while it exists. cascade also removes the policies that
-- call the helpers; those policies belong to the tables dropped below anyway.
drop function if exists public.is_blind_chat_participant(uuid, uuid) cascade;
drop function if exists public.is_match_participant(public.matches, uuid) cascade;

-- reverse dependency order; indexes and the remaining policies go with their tables
drop table if exists public.blind_chat_messages;
drop table if exists public.match_feedback;
drop table if exists public.reveals;
drop table if exists public.blind_chats;
drop table if exists public.matches;
drop table if exists public.connect_profiles;

commit;
