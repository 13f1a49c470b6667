-- Baseline: the public tables that exist in production before the Connect work.
-- Every table is owned by a row of public.users, which mirrors auth.users one to one.
begin;

create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text,
  email text,
  avatar_url text,
  birth_date date,
  birth_time time,
  birth_place text,
  timezone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.checkins (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  mood smallint check (mood between 1 and 10),
  note text,
  created_at timestamptz not null default now()
);

create table public.identities (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  kind text not null,
  value text not null,
  created_at timestamptz not null default now()
);

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  title text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  role text not null default 'user' check (role in ('user', 'assistant', 'system')),
  content text not null,
  created_at timestamptz not null default now()
);

create table public.events (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  title text not null,
  starts_at timestamptz not null,
  ends_at timestamptz,
  created_at timestamptz not null default now(),
  check (ends_at is null or ends_at >= starts_at)
);

create table public.reminders (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  event_id uuid references public.events (id) on delete set null,
  remind_at timestamptz not null,
  body text not null,
  done boolean not null default false,
  created_at timestamptz not null default now()
);

-- postgres does not index referencing columns; owner lookups and cascades need them.
create index checkins_user_id_idx on public.checkins (user_id);
create index identities_user_id_idx on public.identities (user_id);
create index conversations_user_id_idx on public.conversations (user_id);
create index messages_conversation_id_idx on public.messages (conversation_id);
create index messages_user_id_idx on public.messages (user_id);
create index events_user_id_idx on public.events (user_id);
create index reminders_user_id_idx on public.reminders (user_id);
create index reminders_event_id_idx on public.reminders (event_id);

alter table public.users enable row level security;
alter table public.checkins enable row level security;
alter table public.identities enable row level security;
alter table public.conversations enable row level security;
alter table public.messages enable row level security;
alter table public.events enable row level security;
alter table public.reminders enable row level security;

-- users: the row id is the owner. rows are created by the sign-up flow (service_role),
-- so authenticated users may only read and edit their own profile.
create policy "users_select_own" on public.users
  for select to authenticated
  using ((select auth.uid()) = id);
create policy "users_update_own" on public.users
  for update to authenticated
  using ((select auth.uid()) = id)
  with check ((select auth.uid()) = id);
create policy "users_service_role_all" on public.users
  for all to service_role
  using (true) with check (true);

-- owner tables: (select auth.uid()) is evaluated once per statement, not once per row.
create policy "checkins_select_own" on public.checkins
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "checkins_insert_own" on public.checkins
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "checkins_update_own" on public.checkins
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "checkins_delete_own" on public.checkins
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "checkins_service_role_all" on public.checkins
  for all to service_role using (true) with check (true);

create policy "identities_select_own" on public.identities
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "identities_insert_own" on public.identities
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "identities_update_own" on public.identities
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "identities_delete_own" on public.identities
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "identities_service_role_all" on public.identities
  for all to service_role using (true) with check (true);

create policy "conversations_select_own" on public.conversations
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "conversations_insert_own" on public.conversations
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "conversations_update_own" on public.conversations
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "conversations_delete_own" on public.conversations
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "conversations_service_role_all" on public.conversations
  for all to service_role using (true) with check (true);

create policy "messages_select_own" on public.messages
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "messages_insert_own" on public.messages
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "messages_update_own" on public.messages
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "messages_delete_own" on public.messages
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "messages_service_role_all" on public.messages
  for all to service_role using (true) with check (true);

create policy "events_select_own" on public.events
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "events_insert_own" on public.events
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "events_update_own" on public.events
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "events_delete_own" on public.events
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "events_service_role_all" on public.events
  for all to service_role using (true) with check (true);

create policy "reminders_select_own" on public.reminders
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "reminders_insert_own" on public.reminders
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "reminders_update_own" on public.reminders
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "reminders_delete_own" on public.reminders
  for delete to authenticated using ((select auth.uid()) = user_id);
create policy "reminders_service_role_all" on public.reminders
  for all to service_role using (true) with check (true);

commit;
