"""Pre-checks and validation on real PostgreSQL: names as PostgreSQL stores them (quoted, mixed-case,
reserved words), and objects a migration means to replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.findings import Finding, Severity

from .helpers import require_engine
from .test_stage import line_of, only, project_policy, run, write

pytestmark = pytest.mark.postgres

# As `supabase db dump` writes a schema: everything quoted, a table named after a reserved word,
# camel-case columns and constraint names, keys added by ALTER TABLE after the tables.
QUOTED = """
begin;
create table "public"."user" ("id" "uuid" not null, "email" "text");
create table "public"."Repo" (
  "projectId" "text" not null,
  "userId" "uuid" not null,
  "Code" "text" not null,
  "select" "text"
);
alter table only "public"."user" add constraint "user_pkey" primary key ("id");
alter table only "public"."Repo" add constraint "Repo_pkey" primary key ("projectId");
alter table only "public"."Repo" add constraint "Repo_Code_key" unique ("Code");
alter table only "public"."Repo"
  add constraint "repo_userId_fkey" foreign key ("userId") references "public"."user"("id") on delete cascade;
alter table only "public"."Repo"
  add constraint "Repo_self_fkey" foreign key ("select") references "public"."Repo"("projectId");
create index "Repo_userId_idx" on "public"."Repo" ("userId");
create index "Repo_select_idx" on "public"."Repo" ("select");
alter table "public"."user" enable row level security;
alter table "public"."Repo" enable row level security;
create policy "Users manage themselves" on "public"."user" to "authenticated"
  using ((select "auth"."uid"()) = "id");
create policy "Owners read their repos" on "public"."Repo" for select to "authenticated"
  using ((select "auth"."uid"()) = "userId");
{extra}
commit;
"""
ROLLBACK = 'begin;\ndrop table if exists "public"."Repo";\ndrop table if exists "public"."user";\ncommit;\n'


@pytest.fixture(autouse=True)
def embedded() -> None:
    require_engine("embedded")


def quoted(tmp_path: Path, extra: str = "") -> tuple[Path, list[Finding]]:
    migration = write(tmp_path, "quoted.sql", QUOTED.replace("{extra}", extra))
    return migration, run(migration, write(tmp_path, "quoted_rollback.sql", ROLLBACK), baseline=[])


def test_quoted_names_that_exist_pass_validation(tmp_path: Path) -> None:
    _, findings = quoted(tmp_path)
    assert not only(findings, "dynamic-validation"), findings
    assert not only(findings, "dynamic-rollback"), findings


def test_missing_keys_are_named_as_sql_writes_them(tmp_path: Path) -> None:
    # Dynamic SQL built by format() is opaque to the model: the SQL declares what the DO block then undoes.
    undo = (
        "do $$ begin\n"
        """  execute format('alter table "public"."Repo" drop constraint "repo_userId_fkey"');\n"""
        """  execute format('alter table "public"."Repo" drop constraint "Repo_self_fkey"');\n"""
        """  execute format('alter table "public"."Repo" drop constraint "Repo_Code_key"');\n"""
        "end $$;"
    )
    migration, findings = quoted(tmp_path, undo)
    errors = only(findings, "dynamic-validation", Severity.ERROR)
    messages = sorted(f.message for f in errors)
    assert messages == [
        'constraint "Repo_Code_key" on public."Repo" does not exist after the migration',
        'constraint "Repo_self_fkey" on public."Repo" does not exist after the migration',
        'constraint "repo_userId_fkey" on public."Repo" does not exist after the migration',
    ], messages
    fkey = next(f for f in errors if "repo_userId_fkey" in f.message)
    assert fkey.line == line_of(migration, 'add constraint "repo_userId_fkey"')


def test_a_foreign_key_to_another_table_of_the_same_name_is_missing(tmp_path: Path) -> None:
    # "User" is not "user": the model's target must match the stored name exactly, case included.
    extra = (
        'create table "public"."User" ("id" uuid primary key);\n'
        'alter table "public"."User" enable row level security;\n'
        """do $$ begin execute format('alter table "public"."Repo" drop constraint "repo_userId_fkey"'); """
        """execute format('alter table "public"."Repo" add constraint "repo_userId_fkey" """
        """foreign key ("userId") references "public"."User"("id") not valid'); end $$;"""
    )
    _, findings = quoted(tmp_path, extra)
    messages = [f.message for f in only(findings, "dynamic-validation", Severity.ERROR)]
    assert messages == ['foreign key ("userId") -> public."user" missing on public."Repo"'], messages


def test_objects_the_migration_replaces_are_not_reported_as_already_there(tmp_path: Path) -> None:
    baseline = write(
        tmp_path,
        "baseline.sql",
        'create function public."getRepo"(code text) returns text language sql as $$ select code $$;\n'
        "create table public.notes (id int primary key);\n"
        'create policy "Notes are readable" on public.notes for select to authenticated using (true);\n',
    )
    migration = write(
        tmp_path,
        "replace.sql",
        "begin;\n"
        'create or replace function public."getRepo"(code text) returns text language sql\n'
        "  set search_path = '' as $$ select upper(code) $$;\n"
        'drop policy if exists "Notes are readable" on public.notes;\n'
        'create policy "Notes are readable" on public.notes for select to authenticated using (id > 0);\n'
        "create table if not exists public.notes (id int primary key);\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings


def test_indexes_and_keys_dropped_first_even_with_their_column_are_replaced(tmp_path: Path) -> None:
    """An unqualified DROP INDEX, a dropped key's index, a dropped column's key: each frees its name for the
    CREATE after it (surveyed projects had "already exists" warnings for all three)."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.chats (id int, t text, constraint chats_pkey primary key (id));\n"
        "create index chats_t_idx on public.chats (t);\n"
        "create table public.notes (id int, constraint notes_pkey primary key (id));\n",
    )
    migration = write(
        tmp_path,
        "replace.sql",
        "begin;\n"
        "drop index if exists chats_t_idx;\n"
        "create index chats_t_idx on public.chats (t);\n"
        "alter table public.chats drop column id;\n"
        "alter table public.chats add column id uuid;\n"
        "alter table public.chats add constraint chats_pkey primary key (id);\n"
        "alter table public.notes drop constraint notes_pkey;\n"
        "create unique index notes_pkey on public.notes (id);\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings


def test_what_goes_with_a_dropped_materialized_view_or_column_is_not_already_there(tmp_path: Path) -> None:
    """stewardtrack (survey round 21) drops a materialized view and makes it again with its indexes, and
    drops a column CASCADE and adds it again with the unique and check ALTER TABLE had given it: PostgreSQL
    dropped those with the view and the column."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.members (id int primary key, envelope text);\n"
        "alter table public.members add constraint members_envelope_key unique (envelope);\n"
        "alter table public.members add constraint members_envelope_digits check (envelope ~ '^[0-9]+$');\n"
        "create materialized view public.recent as select id from public.members;\n"
        "create index recent_id_idx on public.recent (id);\n",
    )
    migration = write(
        tmp_path,
        "replace.sql",
        "begin;\n"
        "drop materialized view if exists public.recent;\n"
        "create materialized view public.recent as select id from public.members;\n"
        "create index if not exists recent_id_idx on public.recent (id);\n"
        "alter table public.members drop column envelope cascade;\n"
        "alter table public.members add column envelope text;\n"
        "alter table public.members add constraint members_envelope_key unique (envelope);\n"
        "alter table public.members add constraint members_envelope_digits check (envelope ~ '^[0-9]+$');\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings


SUMMARY_VIEW = (
    "create view public.contacts_summary with (security_invoker = on)\n"
    "  as select co.* from public.contacts co;\n"
)


def test_a_view_a_column_dropped_cascade_took_is_not_already_there(tmp_path: Path) -> None:
    """atomic-crm drops a column CASCADE, which drops the view reading it, and makes the view again."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.contacts (id bigint primary key, acquisition text, name text);\n" + SUMMARY_VIEW,
    )
    migration = write(
        tmp_path,
        "replace.sql",
        f"begin;\nalter table public.contacts drop column acquisition cascade;\n{SUMMARY_VIEW}commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings
    assert not [f for f in findings if f.severity.value == "error"], findings


def test_a_trigger_its_functions_cascade_took_and_a_guarded_column_are_not_already_there(
    tmp_path: Path,
) -> None:
    """cocktailsop drops a trigger function CASCADE (its triggers go with it) and makes both again, and adds
    columns in DO blocks only where they are missing: neither is a leftover of an earlier run."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.t (id int primary key, updated_at timestamptz, note text);\n"
        "create function public.touch() returns trigger language plpgsql as $$ begin return new; end $$;\n"
        "create trigger t_touch before update on public.t for each row execute function public.touch();\n",
    )
    migration = write(
        tmp_path,
        "again.sql",
        "begin;\n"
        "drop function if exists public.touch() cascade;\n"
        "create function public.touch() returns trigger language plpgsql set search_path = '' as $$\n"
        "  begin new.updated_at = now(); return new; end $$;\n"
        "create trigger t_touch before update on public.t for each row execute function public.touch();\n"
        "do $$ begin\n"
        "  if not exists (select 1 from information_schema.columns\n"
        "                 where table_schema = 'public' and table_name = 't' and column_name = 'note') then\n"
        "    alter table public.t add column note text;\n"
        "  end if;\n"
        "end $$;\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings


def test_a_function_of_an_extensions_type_named_unqualified_is_found(tmp_path: Path) -> None:
    """chatbot-ui's match_file_items_local(vector, ...) and dbdev's search_packages(citext, ...): the
    project's search_path finds the type in extensions (the checker's own session searches pg_catalog)."""
    migration = write(
        tmp_path,
        "functions.sql",
        "begin;\n"
        "create extension if not exists citext with schema extensions;\n"
        "create function public.f1(e citext, t text, v character varying) returns int\n"
        "  language sql as 'select 1';\n"
        "create function public.f2(e citext[]) returns int language sql as 'select 1';\n"
        "create extension if not exists cube with schema extensions;\n"
        "create function public.f3(c cube) returns int language sql as 'select 1';\n"
        "commit;\n",
    )
    findings = run(migration, None)
    assert not only(findings, "dynamic-validation"), findings


def test_indexes_and_constraints_made_without_a_name_clash_with_nothing(tmp_path: Path) -> None:
    """hivecom adds `create index on public.discussions (slug)` where discussions_slug_idx exists:
    PostgreSQL names the new one discussions_slug_idx1, as it numbers unnamed keys and checks, so the
    pre-check warned of a clash that is none. A named index of a taken name still is one."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.topics (id uuid primary key);\n"
        "create table public.discussions (id uuid primary key, slug text check (slug <> ''),\n"
        "  topic_id uuid references public.topics (id));\n"
        "create unique index discussions_slug_idx on public.discussions (slug) where slug is not null;\n"
        "create index discussions_topic_idx on public.discussions (topic_id);\n",
    )
    migration = write(
        tmp_path,
        "unnamed.sql",
        "begin;\n"
        "create index on public.discussions using btree (slug);\n"
        "alter table public.discussions add check (length(slug) < 200);\n"
        "alter table public.discussions add foreign key (topic_id) references public.topics (id);\n"
        "create index discussions_topic_idx on public.discussions (topic_id, id);\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert [(f.line, f.message) for f in only(findings, "dynamic-precheck")] == [
        (5, "index public.discussions_topic_idx already exists before the migration runs")
    ], findings


def test_an_object_renamed_out_of_the_way_is_replaced(tmp_path: Path) -> None:
    # How hivecom adds enum values: rename the type, create the new one, move the columns, drop the old.
    baseline = write(tmp_path, "baseline.sql", "create type public.permission as enum ('read');\n")
    migration = write(
        tmp_path,
        "enum.sql",
        "begin;\n"
        "alter type public.permission rename to permission_old;\n"
        "create type public.permission as enum ('read', 'write');\n"
        "drop type public.permission_old;\n"
        "commit;\n",
    )
    findings = run(migration, None, baseline=[baseline])
    assert not only(findings, "dynamic-precheck"), findings
    assert not only(findings, "dynamic-validation"), findings


# As `supabase db diff` writes a key: the index first, then a constraint made from it.
FROM_INDEX = """
begin;
create table public.funding (id bigint not null, month text, year int, note text, code text);
create unique index funding_id_idx on public.funding (id);
alter table public.funding add primary key using index funding_id_idx;
create unique index funding_month_key on public.funding using btree (month, year);
alter table public.funding add constraint funding_month_key unique using index funding_month_key;
create unique index funding_note_idx on public.funding (note);
alter table public.funding add constraint funding_note_key unique using index funding_note_idx;
do $$ begin execute format('create unique index funding_code_idx on public.funding (code)'); end $$;
alter table public.funding add constraint funding_code_key unique using index funding_code_idx;
alter table public.funding enable row level security;
{extra}
commit;
"""


def test_keys_made_from_an_index_have_the_index_columns(tmp_path: Path) -> None:
    # The constraints name no column: the model takes the index's (funding_code_idx, made by
    # dynamic SQL, it does not know, so it claims no column list); funding_note_idx is renamed
    # funding_note_key, and the nameless primary key is named funding_id_idx, as PostgreSQL does.
    migration = write(tmp_path, "from_index.sql", FROM_INDEX.replace("{extra}", ""))
    findings = run(migration, None, baseline=[])
    assert not only(findings, "dynamic-validation"), findings


def test_a_key_made_from_an_index_is_checked_on_its_columns(tmp_path: Path) -> None:
    undo = (
        "do $$ begin\n"
        "  execute format('alter table public.funding drop constraint funding_month_key');\n"
        "  execute format('alter table public.funding add constraint funding_month_key unique (month)');\n"
        "end $$;"
    )
    migration = write(tmp_path, "from_index.sql", FROM_INDEX.replace("{extra}", undo))
    findings = run(migration, None, baseline=[])
    errors = only(findings, "dynamic-validation", Severity.ERROR)
    assert [f.message for f in errors] == ["unique (month, year) missing on public.funding"], errors
    assert errors[0].line == line_of(migration, "add constraint funding_month_key unique using index")


NOTES = (
    "create table public.notes (id int primary key);\n"
    "alter table public.notes enable row level security;\n"
    'create policy "Notes are readable" on public.notes for select using (true);\n'
    'create policy "Notes are writable" on public.notes for all using (true);\n'
    'create policy "Guarded" on public.notes for select to anon using (true);\n'
)


def notes(tmp_path: Path, sql: str) -> tuple[Path, list[Finding]]:
    baseline = write(tmp_path, "baseline.sql", NOTES)
    migration = write(tmp_path, "notes.sql", f"begin;\n{sql}commit;\n")
    return migration, run(migration, None, baseline=[baseline])


# As hivecom rewrote its policies: DROP POLICY then CREATE POLICY of the same name in a DO block, the
# DROP guarded by IF or both. A CREATE after the IF runs whatever the IF decides: the SQL declares it.
REPLACE = (
    "do $$ begin\n"
    "  if exists (select from pg_policies where policyname = 'Notes are readable') then\n"
    '    drop policy if exists "Notes are readable" on public.notes;\n'
    '    create policy "Notes are readable" on public.notes for insert to authenticated\n'
    "      with check (id > 0);\n"
    "  end if;\n"
    "  if exists (select from pg_policies where policyname = 'Notes are writable') then\n"
    '    drop policy "Notes are writable" on public.notes;\n'
    "  end if;\n"
    '  create policy "Notes are writable" on public.notes for update to authenticated using (id > 0);\n'
    '  drop policy if exists "Notes are new" on public.notes;\n'
    '  create policy "Notes are new" on public.notes for delete to authenticated using (id > 0);\n'
    "{extra}"
    "end $$;\n"
)


def test_a_do_block_replacing_a_policy_declares_the_new_one(tmp_path: Path) -> None:
    _, findings = notes(tmp_path, REPLACE.replace("{extra}", ""))
    assert not only(findings, "dynamic-validation"), findings


def test_a_policy_a_do_block_replaces_is_checked_as_the_block_leaves_it(tmp_path: Path) -> None:
    extra = "".join(
        f"""  execute format('alter policy "{name}" on public.notes to anon');\n"""
        for name in ("Notes are readable", "Notes are writable", "Notes are new")
    )
    migration, findings = notes(tmp_path, REPLACE.replace("{extra}", extra))
    errors = only(findings, "dynamic-validation", Severity.ERROR)
    # "Notes are readable" is replaced under an IF: not claimed
    assert [f.message for f in errors] == [
        f'policy "{name}" on public.notes applies to anon, the SQL declares authenticated'
        for name in ("Notes are writable", "Notes are new")
    ], errors
    assert [f.line for f in errors] == [
        line_of(migration, 'create policy "Notes are writable"'),
        line_of(migration, 'create policy "Notes are new"'),
    ]


def test_what_a_do_block_may_not_run_is_not_claimed(tmp_path: Path) -> None:
    # Guarded by IF, or undone by the exception handler: whether these statements ran, and so which
    # definition is there (the old "Guarded" one here), only the database knows.
    _, findings = notes(
        tmp_path,
        "do $$ begin\n"
        "  if not exists (select from pg_policies where policyname = 'Guarded') then\n"
        '    create policy "Guarded" on public.notes for insert to authenticated with check (true);\n'
        "  end if;\n"
        "  if exists (select from pg_policies where policyname = 'Absent') then\n"
        '    create policy "Absent" on public.notes for delete to authenticated using (true);\n'
        "  end if;\n"
        "end $$;\n"
        "do $$ begin\n"
        '  create policy "Undone" on public.notes for update to authenticated using (true);\n'
        "  perform 1 / 0;\n"
        "exception when division_by_zero then null;\n"
        "end $$;\n",
    )
    assert not only(findings, "dynamic-validation"), findings


IMPLICIT_NAMES = [
    "create table public.profile_badges (id int, profile_id int, slug text, tier int, progress int)",
    "create index on public.profile_badges (profile_id) include (slug, tier, progress)",
    "create index on public.profile_badges (lower(slug))",
    "create index on public.profile_badges ((tier::text), coalesce(progress, 0), (progress + 1))",
    "create table public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x (id int primary key,\n"
    "  a_very_long_column_name_indeed int, other int)",
    "create index on public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x\n"
    "  (a_very_long_column_name_indeed, other)",
    "alter table public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x add check (other > 0)",
    "alter table public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x add foreign key (other)\n"
    "  references public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x (id)",
    "alter table public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x\n"
    "  add unique (a_very_long_column_name_indeed, other)",
    "alter table public.profile_badges enable row level security",
    "alter table public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x\n"
    "  enable row level security",
]


def test_implicit_index_and_constraint_names_are_postgresqls(tmp_path: Path) -> None:
    """An unnamed index or constraint gets the name PostgreSQL gives it (INCLUDE columns count, long
    names are cut to 63 bytes), so validation looks for what the database has."""
    sql = "begin;\n" + ";\n".join(IMPLICIT_NAMES) + ";\ncommit;\n"
    migration = write(tmp_path, "names.sql", sql)
    rollback = write(
        tmp_path,
        "names_rollback.sql",
        "begin;\ndrop table public.profile_badges, "
        "public.a_very_long_table_name_that_goes_on_and_on_and_on_forever_x;\ncommit;\n",
    )
    assert only(run(migration, rollback), "dynamic-validation") == []


def test_a_table_no_api_role_reaches_needs_no_row_level_security(tmp_path: Path) -> None:
    """An exposed schema whose USAGE is revoked from anon and authenticated: nobody reaches its tables
    through the API, so validation does not ask for row level security there."""
    policy = project_policy()
    policy.data["exposed_schemas"] = ["public", "private"]
    sql = (
        "begin;\ncreate schema private;\ncreate table private.kvstore (key text primary key, value jsonb);\n"
        "revoke usage on schema private from anon, authenticated;\ncommit;\n"
    )
    rollback = write(tmp_path, "private_rollback.sql", "begin;\ndrop schema private cascade;\ncommit;\n")
    findings = run(write(tmp_path, "private.sql", sql), rollback, policy=policy)
    assert only(findings, "dynamic-validation") == []
    granted = sql.replace(
        "revoke usage on schema private from anon, authenticated", "grant usage on schema private to anon"
    )
    findings = run(
        write(tmp_path, "private.sql", granted + "grant select on private.kvstore to anon;\n"),
        rollback,
        policy=policy,
    )
    assert [f.line for f in only(findings, "dynamic-validation")] == [3]


TWEETS = (
    "create table public.tweets (tweet_id text primary key, user_id uuid references auth.users (id));\n"
    "create index tweets_user_id_idx on public.tweets (user_id);\n"
    "alter table public.tweets enable row level security;\n"
    "create policy tweets_own on public.tweets for all to authenticated\n"
    "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);\n"
)
# community-archive's backfills: session tables at top level (kept to the session's end, or dropped at
# commit) and in a DO block that reads them with dynamic SQL
TEMPORARY = (
    "create temp table batch (rowid bigserial primary key, tweet_id text not null);\n"
    "create index on batch (tweet_id);\n"
    "insert into batch (tweet_id) select tweet_id from public.tweets;\n"
    "create temp table marks (tweet_id text) on commit drop;\n"
    "do $$\nbegin\n"
    "  create temp table staging (rowid bigserial primary key, tweet_id text not null);\n"
    "  execute 'insert into staging (tweet_id) select tweet_id from public.tweets';\n"
    "  drop table staging;\n"
    "end $$;\n"
)


def test_temporary_tables_are_neither_validated_nor_probed(tmp_path: Path) -> None:
    """They live in pg_temp and go with the session: the probes asked the database about
    public.staging (UndefinedTable, the run crashed); applied again after the rollback, the migration
    makes them anew."""
    migration = write(tmp_path, "backfill.sql", f"begin;\n{TWEETS}{TEMPORARY}commit;\n")
    rollback = write(tmp_path, "backfill_rollback.sql", "begin;\ndrop table public.tweets;\ncommit;\n")
    findings = run(migration, rollback, baseline=[])
    assert [f for f in findings if f.severity is not Severity.INFO] == [], findings
    assert not [f for f in findings if "batch" in f.message or "staging" in f.message], findings
    assert not only(findings, "rls-probe"), findings  # tweets is probed, and holds


def test_a_table_the_database_lacks_is_not_probed(tmp_path: Path) -> None:
    """The model names a table that dynamic SQL dropped: validation says it is missing, the probe
    skips it with the reason (it asked the catalog about it and the run crashed). A table the
    migration drops again is neither validated nor probed."""
    gone = TWEETS.replace("tweets", "gone")
    sql = (
        f"begin;\n{gone}do $$ begin execute format('drop table public.gone'); end $$;\n"
        "create table public.brief (id bigint primary key, user_id uuid references auth.users (id));\n"
        "drop table public.brief;\ncommit;\n"
    )
    findings = run(write(tmp_path, "gone.sql", sql), None, baseline=[])
    missing = [f.message for f in only(findings, "dynamic-validation")]
    assert "table public.gone does not exist after the migration" in missing, missing
    (skipped,) = only(findings, "rls-probe")
    assert skipped.message == (
        "row level security probe of public.gone skipped: "
        "the table is not in the database after the migration"
    )
    assert not [f for f in findings if "brief" in f.message], findings


def test_a_renamed_table_brings_no_condition_it_had_before(tmp_path: Path) -> None:
    """liam renames repositories, which had no row level security before: the advisor step reported
    the renamed table as the migration's doing (rls-enabled, which the static rule, judging the tables
    a migration creates, does not report). The old name is free again: a new table there is."""
    baseline = write(tmp_path, "baseline.sql", "create table public.repositories (id bigint primary key);\n")
    rename = "begin;\nalter table public.repositories rename to github_repositories;\ncommit;\n"
    findings = run(write(tmp_path, "rename.sql", rename), None, baseline=[baseline])
    assert [f for f in findings if f.severity is not Severity.INFO] == [], findings
    again = rename.replace("commit;", "create table public.repositories (id bigint primary key);\ncommit;")
    findings = run(write(tmp_path, "rename.sql", again), None, baseline=[baseline])
    assert [f.message for f in only(findings, "rls-enabled")] == [
        "table public.repositories has no row level security: anon and authenticated can read and write "
        "every row through the API"
    ]


def test_a_suppressed_rls_enabled_covers_validation_too(tmp_path: Path) -> None:
    """Validation's row level security check is rls-enabled's claim: a suppression of it, with its
    reason, covers both stages."""
    sql = (
        "begin;\n-- checker-ignore rls-enabled: internal table, fixed in a later migration\n"
        "create table public.repositories (id bigint primary key, name text not null);\ncommit;\n"
    )
    findings = run(write(tmp_path, "repos.sql", sql), None, baseline=[])
    assert only(findings, "dynamic-validation") == [], findings
    noted = sql.replace("-- checker-ignore", "-- a note on")
    findings = run(write(tmp_path, "repos.sql", noted), None, baseline=[])
    assert [f.line for f in only(findings, "dynamic-validation")] == [3]


def test_create_if_not_exists_after_a_drop_of_that_name_is_validated(tmp_path: Path) -> None:
    """DROP VIEW x, then CREATE TABLE IF NOT EXISTS x: the table is the migration's (without row level
    security here), and the dropped view no clash in the pre-checks."""
    baseline = write(
        tmp_path,
        "baseline.sql",
        TWEETS + "create view public.quote_tweets with (security_invoker = true) as\n"
        "  select tweet_id from public.tweets;\n",
    )
    sql = (
        "begin;\ndrop view if exists public.quote_tweets;\n"
        "create table if not exists public.quote_tweets (tweet_id text primary key, quoted text);\ncommit;\n"
    )
    migration = write(tmp_path, "quotes.sql", sql)
    findings = run(migration, None, baseline=[baseline])
    assert only(findings, "dynamic-precheck") == [], findings
    (error,) = only(findings, "dynamic-validation")
    assert error.message.startswith("row level security is not enabled on public.quote_tweets")
    assert error.line == line_of(migration, "create table if not exists")


def test_a_column_an_alter_if_exists_adds_to_no_table_is_not_claimed(tmp_path: Path) -> None:
    """tutur3u's `alter table if exists public.hive_simulation_ticks add column ...` of a table that is not
    there: PostgreSQL says so in a notice and adds nothing, which the SQL never declared it would."""
    migration = write(
        tmp_path,
        "maybe.sql",
        "begin;\nalter table if exists public.maybe_there add column if not exists note text;\ncommit;\n",
    )
    findings = run(migration, None)
    assert not [f for f in findings if f.severity.value == "error"], findings


def test_an_extension_created_if_not_exists_elsewhere_brings_nothing_where_the_statement_says(
    tmp_path: Path,
) -> None:
    """tutur3u creates pg_trgm (in public), later `if not exists ... with schema extensions`: a no-op that
    puts no gtrgm type in extensions."""
    migration = write(
        tmp_path,
        "trgm.sql",
        "create extension if not exists pg_trgm;\n"
        "create extension if not exists pg_trgm with schema extensions;\n",
    )
    findings = run(migration, None)
    assert not [f for f in findings if f.severity.value == "error"], findings


def test_a_key_on_a_column_renamed_after_it_is_validated_under_the_new_name(tmp_path: Path) -> None:
    """tutur3u adds a unique on email_citext, then renames the column to email: the key is there, on the
    column's new name."""
    migration = write(
        tmp_path,
        "rename.sql",
        "begin;\n"
        "create table public.roles (id bigint generated always as identity primary key, email text);\n"
        "alter table public.roles enable row level security;\n"
        "alter table public.roles add column email_ci text;\n"
        "alter table public.roles add constraint roles_email_ci_unique unique (email_ci);\n"
        "alter table public.roles rename column email to legacy_email;\n"
        "alter table public.roles rename column email_ci to email;\n"
        "commit;\n",
    )
    findings = run(migration, None)
    assert not [f for f in findings if f.severity.value == "error"], findings
