-- Smoke test of the Connect schema (runbook section 7), run as a superuser inside a
-- transaction that the runner opens and rolls back. Fixed uuids replace the
-- placeholders so every step can refer to the rows made before it.
--   user a   00000000-0000-0000-0000-00000000000a
--   user b   00000000-0000-0000-0000-00000000000b
--   match    00000000-0000-0000-0000-0000000000c1
--   chat     00000000-0000-0000-0000-0000000000d1

insert into auth.users (id, email)
values
  ('00000000-0000-0000-0000-00000000000a', 'smoke-a@example.invalid'),
  ('00000000-0000-0000-0000-00000000000b', 'smoke-b@example.invalid');

insert into public.users (id, display_name, email)
values
  ('00000000-0000-0000-0000-00000000000a', 'Smoke A', 'smoke-a@example.invalid'),
  ('00000000-0000-0000-0000-00000000000b', 'Smoke B', 'smoke-b@example.invalid');

insert into public.connect_profiles (user_id, is_active, consented_at, mode)
values
  ('00000000-0000-0000-0000-00000000000a', true, now(), 'both'),
  ('00000000-0000-0000-0000-00000000000b', true, now(), 'both')
on conflict (user_id) do update set is_active = excluded.is_active, updated_at = now();

-- the same upsert again must update, not duplicate
insert into public.connect_profiles (user_id, is_active, consented_at, mode)
values ('00000000-0000-0000-0000-00000000000a', true, now(), 'both')
on conflict (user_id) do update set is_active = excluded.is_active, updated_at = now();

insert into public.matches (id, user_a, user_b, status, total_score, engine_version)
values (
  '00000000-0000-0000-0000-0000000000c1',
  '00000000-0000-0000-0000-00000000000a',
  '00000000-0000-0000-0000-00000000000b',
  'proposed', 80, 'connect-v1'
);

insert into public.blind_chats (id, match_id, pseudonym_a, pseudonym_b)
values (
  '00000000-0000-0000-0000-0000000000d1',
  '00000000-0000-0000-0000-0000000000c1',
  'North Star', 'Quiet River'
);

insert into public.blind_chat_messages (blind_chat_id, sender_user_id, content_ciphertext, content_preview)
values (
  '00000000-0000-0000-0000-0000000000d1',
  '00000000-0000-0000-0000-00000000000a',
  'ciphertext-placeholder', 'hello'
);

insert into public.reveals (match_id, requested_by, requested_to, status)
values (
  '00000000-0000-0000-0000-0000000000c1',
  '00000000-0000-0000-0000-00000000000a',
  '00000000-0000-0000-0000-00000000000b',
  'pending'
);

insert into public.match_feedback (match_id, user_id, rating, fit_score, safety_score, communication_score)
values ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-00000000000a', 4, 78, 88, 74)
on conflict (match_id, user_id) do update
set rating = excluded.rating;

-- a second rating by the same user must hit the unique key and update in place
insert into public.match_feedback (match_id, user_id, rating, fit_score, safety_score, communication_score)
values ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-00000000000a', 5, 78, 88, 74)
on conflict (match_id, user_id) do update
set rating = excluded.rating;

-- validation reads: a plain select passes even when it returns nothing, so each
-- read is a count that raises when the row is missing or duplicated
do $$
declare
  n integer;
begin
  select count(*) into n from public.connect_profiles
  where user_id in ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b')
    and is_active;
  if n <> 2 then
    raise exception 'smoke: expected 2 active connect_profiles, found %', n;
  end if;

  select count(*) into n from public.matches
  where id = '00000000-0000-0000-0000-0000000000c1' and status = 'proposed' and total_score = 80;
  if n <> 1 then
    raise exception 'smoke: expected 1 match, found %', n;
  end if;

  select count(*) into n from public.blind_chats
  where match_id = '00000000-0000-0000-0000-0000000000c1';
  if n <> 1 then
    raise exception 'smoke: expected 1 blind_chat, found %', n;
  end if;

  select count(*) into n from public.blind_chat_messages
  where blind_chat_id = '00000000-0000-0000-0000-0000000000d1';
  if n <> 1 then
    raise exception 'smoke: expected 1 blind_chat_message, found %', n;
  end if;

  select count(*) into n from public.reveals
  where match_id = '00000000-0000-0000-0000-0000000000c1' and status = 'pending';
  if n <> 1 then
    raise exception 'smoke: expected 1 pending reveal, found %', n;
  end if;

  select count(*) into n from public.match_feedback
  where match_id = '00000000-0000-0000-0000-0000000000c1' and rating = 5;
  if n <> 1 then
    raise exception 'smoke: expected 1 match_feedback row with the updated rating, found %', n;
  end if;
end
$$;

-- the checks must reject bad rows, not only accept good ones
do $$
begin
  begin
    insert into public.matches (user_a, user_b, engine_version)
    values ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000a', 'connect-v1');
    raise exception 'smoke: a match of a user with themselves was accepted';
  exception when check_violation then
    null;
  end;

  begin
    insert into public.match_feedback (match_id, user_id, rating)
    values ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-00000000000b', 6);
    raise exception 'smoke: a rating outside 1..5 was accepted';
  exception when check_violation then
    null;
  end;
end
$$;
