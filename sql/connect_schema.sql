-- Connect: opt-in profiles, engine-proposed matches, pseudonymous blind chats,
-- mutual identity reveals and post-match feedback.
-- One transaction, created in foreign-key order; plain "create" (no "if not exists")
-- so a half-existing schema makes the migration fail instead of being silently kept.
begin;

-- 1. connect_profiles (depends on users)
create table public.connect_profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references public.users (id) on delete cascade,
  is_active boolean not null default false,
  consented_at timestamptz,
  mode text not null default 'both' check (mode in ('romantic', 'friendship', 'both')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- an active profile must carry the moment the user agreed to be matched
  check (not is_active or consented_at is not null)
);

-- 2. matches (depends on users)
create table public.matches (
  id uuid primary key default gen_random_uuid(),
  user_a uuid not null references public.users (id) on delete cascade,
  user_b uuid not null references public.users (id) on delete cascade,
  status text not null default 'proposed'
    check (status in ('proposed', 'accepted', 'declined', 'expired', 'closed')),
  total_score numeric(5, 2) check (total_score between 0 and 100),
  engine_version text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (user_a <> user_b)
);

-- 3. blind_chats (depends on matches); one chat per match
create table public.blind_chats (
  id uuid primary key default gen_random_uuid(),
  match_id uuid not null unique references public.matches (id) on delete cascade,
  pseudonym_a text not null,
  pseudonym_b text not null,
  created_at timestamptz not null default now(),
  closed_at timestamptz
);

-- 4. blind_chat_messages (depends on blind_chats and users)
create table public.blind_chat_messages (
  id uuid primary key default gen_random_uuid(),
  blind_chat_id uuid not null references public.blind_chats (id) on delete cascade,
  sender_user_id uuid not null references public.users (id) on delete cascade,
  content_ciphertext text not null,
  -- short plaintext for notifications only; the body stays encrypted
  content_preview text check (char_length(content_preview) <= 140),
  created_at timestamptz not null default now()
);

-- 5. reveals (depends on matches and users)
create table public.reveals (
  id uuid primary key default gen_random_uuid(),
  match_id uuid not null references public.matches (id) on delete cascade,
  requested_by uuid not null references public.users (id) on delete cascade,
  requested_to uuid not null references public.users (id) on delete cascade,
  status text not null default 'pending'
    check (status in ('pending', 'accepted', 'declined', 'cancelled')),
  created_at timestamptz not null default now(),
  responded_at timestamptz,
  check (requested_by <> requested_to)
);

-- 6. match_feedback (depends on matches and users); one row per user and match
create table public.match_feedback (
  id uuid primary key default gen_random_uuid(),
  match_id uuid not null references public.matches (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  fit_score smallint check (fit_score between 0 and 100),
  safety_score smallint check (safety_score between 0 and 100),
  communication_score smallint check (communication_score between 0 and 100),
  created_at timestamptz not null default now(),
  unique (match_id, user_id)
);

-- postgres does not index referencing columns. connect_profiles.user_id and
-- blind_chats.match_id are already covered by their unique constraints, and
-- match_feedback.match_id by the leading column of unique (match_id, user_id).
create index matches_user_a_idx on public.matches (user_a);
create index matches_user_b_idx on public.matches (user_b);
create index blind_chat_messages_blind_chat_id_idx on public.blind_chat_messages (blind_chat_id);
create index blind_chat_messages_sender_user_id_idx on public.blind_chat_messages (sender_user_id);
create index reveals_match_id_idx on public.reveals (match_id);
create index reveals_requested_by_idx on public.reveals (requested_by);
create index reveals_requested_to_idx on public.reveals (requested_to);
create index match_feedback_user_id_idx on public.match_feedback (user_id);

-- 7. helper functions. security invoker on purpose: a definer function taking any
-- uid would let every caller test other people's membership; as invoker the reads
-- below stay under the caller's own row level security.
create function public.is_match_participant(m public.matches, uid uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(uid = m.user_a or uid = m.user_b, false);
$$;

create function public.is_blind_chat_participant(chat_id uuid, uid uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1
    from public.blind_chats as bc
    join public.matches as m on m.id = bc.match_id
    where bc.id = chat_id
      and uid in (m.user_a, m.user_b)
  );
$$;

-- 8. row level security and policies
alter table public.connect_profiles enable row level security;
alter table public.matches enable row level security;
alter table public.blind_chats enable row level security;
alter table public.blind_chat_messages enable row level security;
alter table public.reveals enable row level security;
alter table public.match_feedback enable row level security;

-- connect_profiles: each user manages only their own profile
create policy "connect_profiles_select_own" on public.connect_profiles
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "connect_profiles_insert_own" on public.connect_profiles
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "connect_profiles_update_own" on public.connect_profiles
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "connect_profiles_delete_own" on public.connect_profiles
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "connect_profiles_service_role_all" on public.connect_profiles
  for all to service_role using (true) with check (true);

-- matches: written by the matching engine (service_role); participants may read
create policy "matches_select_participant" on public.matches
  for select to authenticated
  using (public.is_match_participant(matches, (select auth.uid())));
create policy "matches_service_role_all" on public.matches
  for all to service_role using (true) with check (true);

-- blind_chats: opened by the engine; readable by the two people of the match
create policy "blind_chats_select_participant" on public.blind_chats
  for select to authenticated
  using (
    exists (
      select 1 from public.matches as m
      where m.id = blind_chats.match_id
        and public.is_match_participant(m, (select auth.uid()))
    )
  );
create policy "blind_chats_service_role_all" on public.blind_chats
  for all to service_role using (true) with check (true);

-- blind_chat_messages: participants read the chat and post only as themselves;
-- messages are immutable, so there is no update or delete policy
create policy "blind_chat_messages_select_participant" on public.blind_chat_messages
  for select to authenticated
  using (public.is_blind_chat_participant(blind_chat_id, (select auth.uid())));
create policy "blind_chat_messages_insert_participant" on public.blind_chat_messages
  for insert to authenticated
  with check (
    (select auth.uid()) = sender_user_id
    and public.is_blind_chat_participant(blind_chat_id, (select auth.uid()))
  );
create policy "blind_chat_messages_service_role_all" on public.blind_chat_messages
  for all to service_role using (true) with check (true);

-- reveals: both sides read; a participant asks the other one; only the asked side answers
create policy "reveals_select_involved" on public.reveals
  for select to authenticated
  using ((select auth.uid()) in (requested_by, requested_to));
create policy "reveals_insert_requester" on public.reveals
  for insert to authenticated
  with check (
    (select auth.uid()) = requested_by
    and exists (
      select 1 from public.matches as m
      where m.id = reveals.match_id
        and public.is_match_participant(m, (select auth.uid()))
        and public.is_match_participant(m, reveals.requested_to)
    )
  );
create policy "reveals_update_recipient" on public.reveals
  for update to authenticated
  using ((select auth.uid()) = requested_to)
  with check ((select auth.uid()) = requested_to);
create policy "reveals_service_role_all" on public.reveals
  for all to service_role using (true) with check (true);

-- match_feedback: each participant rates a match once and may revise the rating
create policy "match_feedback_select_own" on public.match_feedback
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "match_feedback_insert_own" on public.match_feedback
  for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (
      select 1 from public.matches as m
      where m.id = match_feedback.match_id
        and public.is_match_participant(m, (select auth.uid()))
    )
  );
create policy "match_feedback_update_own" on public.match_feedback
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check (
    (select auth.uid()) = user_id
    and exists (
      select 1 from public.matches as m
      where m.id = match_feedback.match_id
        and public.is_match_participant(m, (select auth.uid()))
    )
  );
create policy "match_feedback_service_role_all" on public.match_feedback
  for all to service_role using (true) with check (true);

commit;
