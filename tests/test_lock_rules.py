"""The lock rules through the CLI: what takes a dangerous lock on an existing table, and the safe forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_no_traceback, run_checker, run_json

LOCK_RULES = {
    "index-concurrently",
    "constraint-not-valid",
    "set-not-null",
    "add-column-volatile-default",
    "column-type-rewrite",
    "unique-without-index",
    "lock-timeout",
    "destructive-change",
    "transaction-wrapper",
}
USERS = "create table public.users (id uuid primary key, email text, name varchar(40), score int);\n"
ORGS = "create table public.orgs (id uuid primary key);\n"
VOLATILE, REWRITE, UNIQUE = "add-column-volatile-default", "column-type-rewrite", "unique-without-index"


def lint(
    folder: Path, migration: str, baseline: str | None = USERS, policy: str | None = None
) -> tuple[int, list[tuple[str, str, int]], dict]:
    (folder / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (folder / "migration.sql").write_text(migration, encoding="utf-8")
    args: list[str | Path] = ["lint", folder / "migration.sql"]
    if baseline is not None:
        (folder / "baseline.sql").write_text(baseline, encoding="utf-8")
        args += ["--baseline", folder / "baseline.sql"]
    if policy is not None:
        (folder / "policy.toml").write_text(policy, encoding="utf-8")
        args += ["--config", folder / "policy.toml"]
    code, report, err = run_json(*args, cwd=folder)
    assert_no_traceback(str(report), err)
    found = [(f["rule"], f["severity"], f["line"]) for f in report["findings"] if f["rule"] in LOCK_RULES]
    found.sort()
    return code, found, report


ISSUE_EXAMPLE = (
    "begin;\ncreate index users_email_idx on public.users (email);\n"
    "alter table public.users alter column email set not null;\ncommit;\n"
)
SAFE_REWRITE = (
    "set lock_timeout = '5s';\n"
    "create index concurrently users_email_idx on public.users (email);\n"
    "begin;\nalter table public.users add constraint users_email_not_null\n"
    "  check (email is not null) not valid;\ncommit;\n"
    "begin;\nalter table public.users validate constraint users_email_not_null;\n"
    "alter table public.users alter column email set not null;\n"
    "alter table public.users drop constraint users_email_not_null;\ncommit;\n"
)


def test_issue_example_two_errors_with_safe_hints(tmp_path: Path) -> None:
    code, _, report = lint(tmp_path, ISSUE_EXAMPLE)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert [(f["rule"], f["line"]) for f in errors] == [("index-concurrently", 2), ("set-not-null", 3)]
    assert code == 1
    hints = {f["rule"]: f["hint"] for f in errors}
    assert "create index concurrently users_email_idx on public.users (email);" in hints["index-concurrently"]
    assert "check (email is not null) not valid" in hints["set-not-null"]
    assert "validate constraint" in hints["set-not-null"]


def test_issue_example_safe_rewrite_passes(tmp_path: Path) -> None:
    code, found, _ = lint(tmp_path, SAFE_REWRITE)
    assert [f for f in found if f[0] != "transaction-wrapper"] == []
    assert code in (0, 1)


def test_issue_example_on_a_table_created_in_the_migration_passes(tmp_path: Path) -> None:
    migration = ISSUE_EXAMPLE.replace("begin;\n", "begin;\n" + USERS, 1)
    _, found, report = lint(tmp_path, migration, baseline=None)
    assert found == [], report["findings"]


@pytest.mark.parametrize(
    ("body", "rule", "line"),
    [
        ("drop index public.users_email_idx;\n", "index-concurrently", 2),
        ("create unique index users_email_key on public.users (email);\n", "index-concurrently", 2),
        ("create index concurrently users_name_idx on public.users (name);\n", "index-concurrently", 2),
        (
            "alter table public.users add constraint users_score_check check (score >= 0);\n",
            "constraint-not-valid",
            2,
        ),
        ("alter table public.users add column token uuid default gen_random_uuid();\n", VOLATILE, 2),
        ("alter table public.users add column seq bigserial;\n", VOLATILE, 2),
        ("alter table public.users add column n bigint generated always as identity;\n", VOLATILE, 2),
        ("alter table public.users alter column score type bigint;\n", REWRITE, 2),
        ("alter table public.users alter column name type varchar(20);\n", REWRITE, 2),
        ("alter table public.users alter column email type jsonb using email::jsonb;\n", REWRITE, 2),
        ("alter table public.users alter column score type bigint using score::bigint;\n", REWRITE, 2),
        ("alter table public.users alter column name type text using lower(name);\n", REWRITE, 2),
        ("alter table public.users alter column name type text using name::varchar(10);\n", REWRITE, 2),
        ("alter table public.users add constraint users_email_key unique (email);\n", UNIQUE, 2),
        (
            "alter table public.users drop constraint users_pkey, alter column id drop not null;\n"
            "alter table public.users alter column id set not null;\n",
            "set-not-null",
            3,
        ),
        ("alter table public.users add column handle text unique;\n", UNIQUE, 2),
    ],
)
def test_dangerous_forms_are_errors(tmp_path: Path, body: str, rule: str, line: int) -> None:
    baseline = USERS + "create index users_email_idx on public.users (email);\n"
    code, found, report = lint(tmp_path, f"begin;\nset local lock_timeout = '5s';\n{body}commit;\n", baseline)
    errors = [f for f in found if f[1] == "error"]
    assert errors == [(rule, "error", line + 1)], report["findings"]
    assert code == 1


@pytest.mark.parametrize(
    "body",
    [
        "alter table public.users add column bio text default 'none';\n",
        "alter table public.users add column seen_at timestamptz not null default now();\n",
        "alter table public.users alter column name type varchar(80);\n",
        "alter table public.users alter column name type text;\n",
        "alter table public.users alter column email type varchar;\n",
        # `supabase db diff` writes the cast PostgreSQL would make anyway
        'alter table public.users alter column name type text using "name"::text;\n',
        "alter table public.users alter column name type varchar(80) using cast(name as varchar(80));\n",
        "alter table public.users add constraint users_score_check check (score >= 0) not valid;\n",
        "alter table public.users enable row level security;\n",
        "alter table public.users alter column score set statistics 500;\n",
        # a primary key's column is NOT NULL already: nothing to scan (gridaco/grida)
        "alter table public.users alter column id set not null;\n",
        "create table public.notes (id uuid primary key, user_id uuid references public.users (id));\n"
        "create index notes_user_id_idx on public.notes (user_id);\n"
        "alter table public.notes alter column user_id set not null;\n",
        # `supabase db diff` writes a new table's foreign key NOT VALID, then validates it at once
        "create table public.todos (id bigint primary key, owner uuid not null);\n"
        "alter table public.todos add constraint todos_owner_fkey foreign key (owner)\n"
        "  references public.users (id) not valid;\n"
        "alter table public.todos validate constraint todos_owner_fkey;\n",
    ],
)
def test_safe_forms_pass(tmp_path: Path, body: str) -> None:
    code, found, report = lint(tmp_path, f"begin;\nset local lock_timeout = '5s';\n{body}commit;\n")
    assert [f for f in found if f[1] == "error"] == [], report["findings"]
    assert code == 0 or body.startswith("create table")  # a new public table needs RLS (rls-enabled)


def test_timestamp_to_timestamptz_using_the_plain_cast_keeps_the_rows_in_utc(tmp_path: Path) -> None:
    """What `supabase db diff` writes for the change; PostgreSQL 12+ rewrites nothing under UTC (measured)."""
    baseline = "create table public.events (id bigint primary key, at timestamp);\n"
    change = (
        "alter table public.events alter column at set data type timestamp with time zone\n"
        "  using at::timestamp with time zone;\n"
    )
    _, found, report = lint(tmp_path, f"begin;\nset local lock_timeout = '5s';\n{change}commit;\n", baseline)
    assert [f for f in found if f[1] == "error"] == [], report["findings"]
    zone = "set timezone = 'Europe/Paris';\n"
    in_another_zone = f"begin;\nset local lock_timeout = '5s';\n{zone}{change}commit;\n"
    _, found, _ = lint(tmp_path, in_another_zone, baseline)
    assert [f for f in found if f[1] == "error"] == [(REWRITE, "error", 4)]


def test_dropping_an_index_the_migration_makes_only_later_locks_nothing(tmp_path: Path) -> None:
    """`supabase db diff` drops a key, then its index IF EXISTS (gone with the key), then builds a new one of
    that name: only the build is reported (the drop was, for the index made two lines below)."""
    baseline = (
        "create table public.t (id uuid not null, v int not null, constraint t_pkey primary key (id));\n"
    )
    change = (
        "alter table public.t drop constraint t_pkey;\n"
        "drop index if exists public.t_pkey;\n"
        "create unique index t_pkey on public.t using btree (id, v);\n"
        "alter table public.t add constraint t_pkey primary key using index t_pkey;\n"
    )
    _, found, report = lint(tmp_path, f"begin;\nset local lock_timeout = '5s';\n{change}commit;\n", baseline)
    assert [f for f in found if f[0] == "index-concurrently"] == [("index-concurrently", "error", 5)], report


def test_dropping_an_index_its_own_transaction_built_is_not_a_second_finding(tmp_path: Path) -> None:
    """InventoryManagment builds a unique index for a backfill and drops it again in the same file (survey
    round 20): the build is the finding; DROP INDEX CONCURRENTLY could not drop an uncommitted index. After
    a COMMIT the index is there for everyone, and dropping it locks the table as any other."""
    build = "create unique index users_email_idx on public.users (email);\n"
    drop = "drop index if exists users_email_idx;\n"
    _, found, report = lint(tmp_path, f"begin;\nset local lock_timeout = '5s';\n{build}{drop}commit;\n")
    assert [f for f in found if f[0] == "index-concurrently"] == [("index-concurrently", "error", 3)], report
    later = f"set lock_timeout = '5s';\nbegin;\n{build}commit;\nbegin;\n{drop}commit;\n"
    _, found, _ = lint(tmp_path, later)
    assert [f for f in found if f[0] == "index-concurrently"] == [
        ("index-concurrently", "error", 3),
        ("index-concurrently", "error", 6),
    ]


def test_a_table_a_do_block_of_the_migration_may_have_made_is_not_an_existing_one(tmp_path: Path) -> None:
    """fms (survey round 21) makes its log table with EXECUTE format('create table ...') in a DO block, then
    indexes it: fk-order says the block may have made it, so the lock rules do not claim it existed before.
    A DO block of an earlier migration may have: that table has rows by now."""
    block = (
        "do $$ begin\n  execute format('create table public.%I (id bigint primary key, rule_id uuid)', "
        "'logs');\nend $$;\n"
    )
    index = "create index if not exists logs_rule_id_idx on public.logs (rule_id);\n"
    _, found, report = lint(tmp_path, f"set lock_timeout = '5s';\n{block}{index}")
    assert [f for f in found if f[0] == "index-concurrently"] == [], report["findings"]
    _, found, _ = lint(tmp_path, f"set lock_timeout = '5s';\n{index}", USERS + block)
    assert [f for f in found if f[0] == "index-concurrently"] == [("index-concurrently", "error", 2)]
    # a block whose template only alters a table makes none: the dashboard's table is there (regression
    # run of round 21: fms's conditions)
    made = "create table public.%I (id bigint primary key, rule_id uuid)"
    altering = block.replace(made, "alter table %I add column x int")
    _, found, _ = lint(tmp_path, f"set lock_timeout = '5s';\n{altering}{index}")
    assert [f for f in found if f[0] == "index-concurrently"] == [("index-concurrently", "error", 5)]


def test_add_column_if_not_exists_of_a_column_that_is_there_rewrites_nothing(tmp_path: Path) -> None:
    """m10dj (survey round 23) adds `id uuid default gen_random_uuid()` if not exists to a table that has
    it: PostgreSQL skips the whole ADD, so nothing is rewritten. A column that is not there is."""
    add = "alter table public.users add column if not exists {} uuid default gen_random_uuid();\n"
    _, found, _ = lint(tmp_path, f"set lock_timeout = '5s';\n{add.format('email')}")
    assert [f for f in found if f[0] == VOLATILE] == []
    _, found, _ = lint(tmp_path, f"set lock_timeout = '5s';\n{add.format('token')}")
    assert [f for f in found if f[0] == VOLATILE] == [(VOLATILE, "error", 2)]


def test_dropping_the_index_of_a_dropped_key_locks_nothing(tmp_path: Path) -> None:
    """facilitation-app made a key USING INDEX; `supabase db diff` drops the key, then its index IF EXISTS:
    the index went with the key, so the DROP INDEX does nothing. Dropping the index of a key that stays
    (PostgreSQL refuses that) or an index of no key still locks the table."""
    baseline = (
        "create table public.ex (id uuid primary key, slug text, code text);\n"
        "create unique index ex_slug_key on public.ex using btree (slug);\n"
        "alter table public.ex add constraint ex_slug_key unique using index ex_slug_key;\n"
        "create unique index ex_code_idx on public.ex (code);\n"
    )
    change = "alter table public.ex drop constraint ex_slug_key;\ndrop index if exists public.ex_slug_key;\n"
    _, found, report = lint(tmp_path, f"set lock_timeout = '5s';\n{change}", baseline)
    assert [f for f in found if f[0] == "index-concurrently"] == [], report["findings"]
    change = "drop index if exists public.ex_slug_key;\ndrop index if exists public.ex_code_idx;\n"
    _, found, _ = lint(tmp_path, f"set lock_timeout = '5s';\n{change}", baseline)
    assert [f for f in found if f[0] == "index-concurrently"] == [
        ("index-concurrently", "error", 2),
        ("index-concurrently", "error", 3),
    ]


def test_validate_in_the_same_transaction_gains_nothing(tmp_path: Path) -> None:
    body = (
        "begin;\nset local lock_timeout = '5s';\n"
        "alter table public.projects add constraint projects_org_fkey foreign key (org_id)\n"
        "  references public.orgs (id) not valid;\n"
        "alter table public.projects validate constraint projects_org_fkey;\ncommit;\n"
    )
    baseline = ORGS + "create table public.projects (id uuid primary key, org_id uuid);\n"
    _, found, _ = lint(tmp_path, body, baseline)
    assert found == [("constraint-not-valid", "error", 5)]


def test_a_table_truncated_in_the_same_transaction_has_no_row_to_scan(tmp_path: Path) -> None:
    """After TRUNCATE, until its transaction ends (its ACCESS EXCLUSIVE keeps writers out), the table is
    empty: a key validated, an index built or NOT NULL set there scans nothing. After a COMMIT it may fill
    again."""
    body = (
        "begin;\nset local lock_timeout = '5s';\ntruncate public.projects;\n"
        "alter table public.projects add constraint projects_org_fkey foreign key (org_id)\n"
        "  references public.orgs (id);\n"
        "create index projects_org_idx on public.projects (org_id);\n"
        "alter table public.projects alter column org_id set not null;\ncommit;\n"
        "begin;\nset local lock_timeout = '5s';\n"
        "create index projects_org_2_idx on public.projects (org_id);\ncommit;\n"
    )
    baseline = ORGS + "create table public.projects (id uuid primary key, org_id uuid);\n"
    _, found, _ = lint(tmp_path, body, baseline)
    scans = [f for f in found if f[0] in ("constraint-not-valid", "index-concurrently", "set-not-null")]
    assert scans == [("index-concurrently", "error", 11)]


def test_concurrently_in_a_runner_file_says_how_to_split_it(tmp_path: Path) -> None:
    body = "create index concurrently users_name_idx on public.users (name);\n"
    _, found, report = lint(tmp_path, body, policy='transaction = "runner"\n')
    assert found == [("index-concurrently", "error", 1)]
    assert "transaction:false" in report["findings"][0]["hint"]


SUPABASE_RUNNER = 'transaction = "runner"\norder = "supabase"\n'
RUNS_ALONE = {
    "create index concurrently users_name_idx on public.users (name);\n": "index-concurrently",
    "drop index concurrently public.users_name_idx;\n": "index-concurrently",
    "vacuum public.users;\n": "transaction-wrapper",
}


@pytest.mark.parametrize("body", sorted(RUNS_ALONE))
def test_the_supabase_cli_runs_concurrently_and_vacuum_alone(tmp_path: Path, body: str) -> None:
    """The Supabase CLI (v2.109, supabase/cli#6276) runs these outside the file's transaction; another
    runner wraps them and PostgreSQL refuses them there."""
    baseline = USERS + "create index users_name_idx on public.users (name);\n"
    _, found, _ = lint(tmp_path, body, baseline, SUPABASE_RUNNER)
    assert found == []
    _, found, _ = lint(tmp_path, body, baseline, 'transaction = "runner"\n')
    assert found == [(RUNS_ALONE[body], "error", 1)]


def test_concurrently_in_the_files_own_begin_is_refused_under_the_supabase_cli(tmp_path: Path) -> None:
    body = "begin;\n" + sorted(RUNS_ALONE)[0] + "commit;\n"
    _, found, _ = lint(tmp_path, body, policy=SUPABASE_RUNNER)
    assert ("index-concurrently", "error", 2) in found


def test_concurrently_beside_other_statements_under_the_supabase_cli_is_a_warning(tmp_path: Path) -> None:
    body = "create table public.notes (id bigint primary key);\n" + sorted(RUNS_ALONE)[0]
    _, found, report = lint(tmp_path, body, policy=SUPABASE_RUNNER)
    assert found == [("index-concurrently", "warning", 2)]
    (finding,) = [f for f in report["findings"] if f["rule"] == "index-concurrently"]
    assert "half-applied" in finding["message"] and "file of its own" in finding["hint"]


def test_lock_timeout_once_per_migration_and_set_before(tmp_path: Path) -> None:
    body = "alter table public.users add column a text;\nalter table public.users add column b text;\n"
    _, found, _ = lint(tmp_path, f"begin;\n{body}commit;\n")
    assert found == [("lock-timeout", "warning", 2)]
    _, found, _ = lint(tmp_path, f"begin;\nselect set_config('lock_timeout', '3s', true);\n{body}commit;\n")
    assert found == []
    _, found, _ = lint(tmp_path, f"begin;\n{body}set local lock_timeout = '3s';\ncommit;\n")
    assert found == [("lock-timeout", "warning", 2)]


def test_set_not_null_on_a_column_added_by_the_migration_is_not_set_not_null(tmp_path: Path) -> None:
    body = "begin;\nset local lock_timeout = '5s';\nalter table public.users add column nick text;\n"
    body += "update public.users set nick = name;\n"
    body += "alter table public.users alter column nick set not null;\ncommit;\n"
    _, found, _ = lint(tmp_path, body)
    assert found == []


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_the_report_tabulates_the_strongest_lock_per_existing_table(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    (tmp_path / "migration.sql").write_text(ISSUE_EXAMPLE, encoding="utf-8")
    (tmp_path / "baseline.sql").write_text(USERS, encoding="utf-8")
    code, out, err = run_checker(
        "lint", "migration.sql", "--baseline", "baseline.sql", "--format", fmt, cwd=tmp_path
    )
    assert_no_traceback(out, err)
    assert code == 1
    if fmt == "markdown":
        assert "| `migration.sql` | `public.users` | ACCESS EXCLUSIVE | 3 | 1 | no |" in out, out
    else:
        assert "public.users  ACCESS EXCLUSIVE  3     1           no" in out, out


def test_an_index_dropped_before_its_table_needs_no_concurrently(tmp_path: Path) -> None:
    """supabase db diff drops a table's indexes, then the table: the DROP TABLE takes ACCESS EXCLUSIVE
    anyway, so DROP INDEX CONCURRENTLY would gain nothing."""
    baseline = USERS + "create index users_name_idx on public.users (name);\n"
    drop_index = "begin;\nset local lock_timeout = '5s';\ndrop index if exists public.users_name_idx;\n"
    _, found, _ = lint(tmp_path, drop_index + "drop table public.users;\ncommit;\n", baseline)
    assert [f for f in found if f[0] == "index-concurrently"] == []
    _, found, _ = lint(tmp_path, drop_index + "commit;\n", baseline)
    assert [f for f in found if f[0] == "index-concurrently"] == [("index-concurrently", "error", 3)]



def test_an_index_if_not_exists_that_an_earlier_migration_made_builds_nothing(tmp_path: Path) -> None:
    """chess-map-frontend and connextedlabs repeat `create index if not exists` of an index an earlier
    migration made: PostgreSQL finds the name taken and builds nothing, so no write waits for a build."""
    baseline = USERS + "create index if not exists users_name_idx on public.users (name);\n"
    again = "begin;\nset local lock_timeout = '5s';\n"
    again += "create index if not exists users_name_idx on public.users (name);\n"
    _, found, _ = lint(tmp_path, again + "commit;\n", baseline)
    assert found == [], found
    other = again.replace("users_name_idx", "users_name_idx2")  # a new name: built, as without IF NOT EXISTS
    _, found, _ = lint(tmp_path, other + "commit;\n", baseline)
    assert found == [("index-concurrently", "error", 3)], found

def test_timestamp_to_timestamptz_keeps_the_rows_in_utc(tmp_path: Path) -> None:
    """PostgreSQL 12+ changes timestamp to timestamptz without a rewrite when the session's time zone is
    UTC (Supabase's); a migration that sets another zone rewrites (tests/dynamic/test_lock_trace.py
    measures both)."""
    baseline = "create table public.events (id bigint primary key, seen timestamp);\n"
    change = "alter table public.events alter column seen type timestamptz;\ncommit;\n"
    start = "begin;\nset local lock_timeout = '5s';\n"
    _, found, _ = lint(tmp_path, start + change, baseline)
    assert [f for f in found if f[0] == "column-type-rewrite"] == []
    _, found, _ = lint(tmp_path, start + "set local time zone 'Europe/Paris';\n" + change, baseline)
    assert [f for f in found if f[0] == "column-type-rewrite"] == [("column-type-rewrite", "error", 4)]


def test_under_the_supabase_cli_the_hint_is_a_file_of_its_own(tmp_path: Path) -> None:
    """The CLI runs CREATE INDEX CONCURRENTLY outside the file's transaction: no other runner's syntax."""
    policy = {"transaction": "runner", "order": "supabase", "rollback": "optional"}
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    (tmp_path / "baseline.sql").write_text(USERS, encoding="utf-8")
    (tmp_path / "m.sql").write_text("create index users_name_idx on public.users (name);\n", encoding="utf-8")
    _, report, _ = run_json(
        "lint",
        tmp_path / "m.sql",
        "--baseline",
        tmp_path / "baseline.sql",
        "--config",
        tmp_path / "policy.json",
    )
    (hint,) = [f["hint"] for f in report["findings"] if f["rule"] == "index-concurrently"]
    assert "a migration file of its own: the Supabase CLI" in hint and "dbmate" not in hint, hint


def test_add_column_if_not_exists_of_a_column_there_builds_no_index(tmp_path: Path) -> None:
    """exhibit-flow's retried file: PostgreSQL skips ADD COLUMN IF NOT EXISTS of a column that is there,
    its UNIQUE with it; of a column that is not, the unique index is built under the lock."""
    there = "alter table public.users add column if not exists email text unique;\n"
    added_before = "alter table public.users add column code text;\n" + there.replace("email", "code")
    for body in (there, added_before):
        _, found, report = lint(tmp_path, f"begin;\n{body}commit;\n")
        assert [f for f in found if f[0] == UNIQUE] == [], report["findings"]
    _, found, _ = lint(tmp_path, f"begin;\n{there.replace('email', 'badge')}commit;\n")
    assert [f for f in found if f[0] == UNIQUE] == [(UNIQUE, "error", 2)]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("alter table public.users add column position integer not null;\n", True),
        ("alter table public.users add column code uuid primary key;\n", True),
        ("alter table public.users add column position integer not null default 0;\n", False),
        ("alter table public.users add column n bigint not null generated always as identity;\n", False),
        ("alter table public.users add column note text;\n", False),
        ("alter table public.users add column seq bigserial not null;\n", False),  # from its sequence
        ("alter table public.users add column if not exists score int not null;\n", False),  # there: skipped
        ("create table public.fresh (id int);\nalter table public.fresh add column n int not null;\n", False),
    ],
    ids=["not-null", "primary-key", "default", "identity", "nullable", "serial", "if-exists-there", "own"],
)
def test_a_required_column_on_an_existing_table_needs_a_default(
    tmp_path: Path, body: str, found: bool
) -> None:
    """todofam's task sorting added `position integer not null` to a table with rows: it passes on a fresh
    database, whose tables are empty, and fails in production."""
    _, _, report = lint(tmp_path, f"begin;\n{body}commit;\n")
    required = [f for f in report["findings"] if f["rule"] == "add-column-required"]
    assert bool(required) == found, report["findings"]


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        # unity-hoa's idempotent repair: the column was made NOT NULL, so nothing is scanned
        ("create table public.ledger (id uuid primary key, kind text not null);\n", []),
        ("create table public.ledger (id uuid primary key, kind text);\n", [("set-not-null", "error", 3)]),
        (
            "create table public.ledger (id uuid primary key);\n"
            "alter table public.ledger add column kind text not null default 'x';\n",
            [],
        ),
        (
            "create table public.ledger (id uuid primary key, kind text not null);\n"
            "alter table public.ledger alter column kind drop not null;\n",
            [("set-not-null", "error", 3)],
        ),
        (  # the column keeps its NOT NULL under its new name
            "create table public.ledger (id uuid primary key, sort text not null);\n"
            "alter table public.ledger rename column sort to kind;\n",
            [],
        ),
        (  # a column of the same name added again, nullable, is not the dropped one
            "create table public.ledger (id uuid primary key, kind text not null);\n"
            "alter table public.ledger drop column kind;\nalter table public.ledger add column kind text;\n",
            [("set-not-null", "error", 3)],
        ),
    ],
)
def test_set_not_null_on_a_column_that_is_not_null_already_scans_nothing(
    tmp_path: Path, baseline: str, expected: list
) -> None:
    migration = "begin;\nset local lock_timeout = '5s';\n"
    migration += "alter table public.ledger alter column kind set not null;\ncommit;\n"
    _, found, _ = lint(tmp_path, migration, baseline)
    assert found == expected, found
