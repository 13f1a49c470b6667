"""Migration directories: version order, cross-file references, rollback conventions, --changed-since."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import run_checker, run_json

NOTES = (
    "create table public.notes (id bigint primary key, user_id uuid not null references auth.users (id));\n"
    "alter table public.notes enable row level security;\n"
)
NOTES_OPEN_INSERT = (
    NOTES + "create policy notes_insert on public.notes for insert to authenticated with check (true);\n"
)
RUNNER_POLICY = 'transaction = "runner"\n[rules.rls-enabled]\nseverity = "off"\n'
TABLE = "create table public.{name} (id bigint primary key);\n"
TEMPLATES = (
    "create table public.orgs (id uuid primary key);\n"
    "create table public.org_members (org_id uuid not null references public.orgs (id),\n"
    "  user_id uuid not null references auth.users (id), primary key (org_id, user_id));\n"
    "create function public.is_org_member(p_org uuid) returns boolean language sql stable\n"
    "  set search_path = '' as $$ select true $$;\n"
    "create table public.templates (id uuid primary key, org_id uuid references public.orgs (id));\n"
    "alter table public.templates enable row level security;\n"
    "create policy templates_all on public.templates for all to authenticated\n"
    "  using (org_id is null or public.is_org_member(org_id));\n"
)


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    policy = folder.parent / "policy.toml"
    policy.write_text(RUNNER_POLICY, encoding="utf-8")
    return policy


def _rules(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_third_file_referencing_a_table_the_fifth_creates(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    files = {f"2024010100000{i}_t{i}.sql": TABLE.format(name=f"t{i}") for i in range(1, 6)}
    files["20240101000003_t3.sql"] += (
        "create table public.orders (id bigint primary key,\n  t5_id bigint references public.t5 (id));\n"
    )
    policy = _write(folder, files)
    code, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    found = _rules(report, "fk-order")
    assert code == 1
    assert [(Path(f["file"]).name, f["line"]) for f in found] == [("20240101000003_t3.sql", 3)]
    assert "20240101000005_t5.sql:1:1" in found[0]["message"]


def test_an_unqualified_call_finds_the_function_an_earlier_statement_created(tmp_path: Path) -> None:
    """`user_aal()` created unqualified (in public) and called unqualified by a policy exists when the
    policy runs, though a later migration replaces it."""
    folder = tmp_path / "migrations"
    function = "create or replace function user_aal() returns text[] language sql as $$ select '{aal1}' $$;\n"
    files = {
        "1_mfa.sql": TABLE.format(name="actions")
        + function
        + "create policy mfa on public.actions as restrictive to authenticated\n"
        "  using (array[(select auth.jwt() ->> 'aal')] <@ user_aal());\n",
        "2_perf.sql": function,
    }
    policy = _write(folder, files)
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    assert _rules(report, "fk-order") == [], report


def test_what_exists_without_a_migration_and_an_alter_if_exists_are_no_missing_objects(
    tmp_path: Path,
) -> None:
    """tutur3u: a function body reading information_schema.tables; `alter table if exists` of a table no
    migration makes (a notice, not an error). A reference of the same statement to another missing
    object is still one."""
    folder = tmp_path / "migrations"
    files = {
        "1_schema.sql": TABLE.format(name="kept")
        + "create function public.count_tables() returns bigint language sql stable set search_path = ''\n"
        "  as $$ select count(*) from information_schema.tables where table_schema = 'public' $$;\n"
        "alter table if exists public.maybe_there add column if not exists note text;\n"
        "alter table if exists public.kept add column gone_id bigint references public.gone (id);\n",
    }
    policy = _write(folder, files)
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    found = [(f["line"], f["message"].split(" which ")[0]) for f in _rules(report, "fk-order")]
    assert found == [(5, "foreign key refers to table public.gone,")], report


def test_a_pgmq_queue_made_by_its_function_is_there_for_later_statements(tmp_path: Path) -> None:
    """`select pgmq.create('Jobs')` makes pgmq.q_jobs and pgmq.a_jobs (lower case, as pgmq names them);
    gridaco/grida enables RLS on the queue's table in the next file (before: "created nowhere")."""
    folder = tmp_path / "migrations"
    files = {
        "1_queue.sql": "create extension if not exists pgmq;\nselect from pgmq.create('Jobs');\n",
        "2_rls.sql": "alter table pgmq.q_jobs enable row level security;\n"
        "alter table pgmq.a_jobs enable row level security;\n",
        "3_gone.sql": "select pgmq.drop_queue('jobs');\nalter table pgmq.q_jobs enable row level security;\n",
    }
    policy = _write(folder, files)
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    assert [(Path(f["file"]).name, f["line"]) for f in _rules(report, "fk-order")] == [("3_gone.sql", 2)]


def test_files_run_in_version_order_not_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    # "10_..." sorts before "9_..." as text; as versions 9 runs first and creates what 10 needs.
    files = {
        "9_parent.sql": TABLE.format(name="parent"),
        "10_child.sql": "create table public.child (id bigint primary key,\n"
        "  parent_id bigint references public.parent (id));\ncreate index on public.child (parent_id);\n",
    }
    policy = _write(folder, files)
    code, report, err = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    assert _rules(report, "fk-order") == [], report
    assert code == 0, err


CREATE_TWO = TABLE.format(name="a") + TABLE.format(name="b")
DROP_ONE = "drop table public.a;\n"
DROP_BOTH = "drop table public.b;\ndrop table public.a;\n"


@pytest.mark.parametrize(
    ("layout", "migration_name"),
    [
        ({"0001_ab.sql": CREATE_TWO, "0001_ab.down.sql": "{down}"}, "0001_ab.sql"),
        ({"0001_ab.sql": CREATE_TWO, "0001_ab_rollback.sql": "{down}"}, "0001_ab.sql"),
        ({"0001_ab.sql": CREATE_TWO, "rollback/0001_ab.sql": "{down}"}, "0001_ab.sql"),
        ({"0001_ab.up.sql": CREATE_TWO, "0001_ab.down.sql": "{down}"}, "0001_ab.up.sql"),
        ({"0001_ab.sql": "-- migrate:up\n" + CREATE_TWO + "\n-- migrate:down\n{down}"}, "0001_ab.sql"),
    ],
    ids=["down-suffix", "rollback-suffix", "rollback-folder", "golang-migrate", "dbmate"],
)
def test_rollback_conventions(tmp_path: Path, layout: dict[str, str], migration_name: str) -> None:
    for down, expected_missing in ((DROP_BOTH, []), (DROP_ONE, ["public.b"])):
        folder = tmp_path / ("complete" if not expected_missing else "incomplete") / "migrations"
        policy = _write(folder, {name: text.replace("{down}", down) for name, text in layout.items()})
        code, report, err = run_json("lint", "--config", policy, folder, cwd=tmp_path)
        coverage = _rules(report, "rollback-coverage")
        assert [Path(f["file"]).name for f in coverage] == [migration_name] * len(expected_missing), report
        assert all("table public.b is created here" in f["message"] for f in coverage)
        assert code == (1 if expected_missing else 0), err
        assert report["summary"]["files"] == 2 - ("migrate:up" in layout.get("0001_ab.sql", ""))


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_changed_since_reports_only_changed_files_but_models_all(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    folder = repo / "supabase" / "migrations"
    policy = _write(
        folder,
        {
            "0001_users.sql": TABLE.format(name="accounts") + "create table public.no_key (name text);\n",
            "0002_posts.sql": TABLE.format(name="posts"),
        },
    )
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "first")
    # The new file refers to a table of an unchanged file: modelled, so no fk-order finding.
    (folder / "0003_comments.sql").write_text(
        "create table public.comments (id bigint primary key,\n"
        "  account_id bigint references public.accounts (id));\n"
        "create table public.also_no_key (name text);\n",
        encoding="utf-8",
    )
    _, everything, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    _, changed, err = run_json("lint", "--config", policy, folder, "--changed-since", "HEAD", cwd=tmp_path)
    assert {Path(f["file"]).name for f in _rules(everything, "table-primary-key")} == {
        "0001_users.sql",
        "0003_comments.sql",
    }
    assert {Path(f["file"]).name for f in changed["findings"]} == {"0003_comments.sql"}, err
    assert _rules(changed, "fk-order") == []
    assert {f["line"] for f in _rules(changed, "table-primary-key")} == {3}


def test_changed_since_unknown_ref_is_a_one_line_input_error(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    policy = _write(repo / "m", {"0001_a.sql": TABLE.format(name="a")})
    _git(repo, "init", "-q")
    code, _, err = run_checker(
        "lint", "--config", policy, repo / "m", "--changed-since", "no-such-ref", cwd=tmp_path
    )
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--changed-since" in err


LEAKY_OWNER_TABLE = (
    "create table public.notes (id bigint primary key, user_id uuid not null references auth.users (id));\n"
    "create index notes_user_id_idx on public.notes (user_id);\n"
    "alter table public.notes enable row level security;\n"
    "create policy notes_read on public.notes for select to authenticated\n"
    "  using ((select auth.uid()) is not null);\n"  # any signed-in user reads every note
    "create policy notes_write on public.notes for insert to authenticated\n"
    "  with check ((select auth.uid()) = user_id);\n"
)


@pytest.mark.postgres
def test_changed_since_limits_dynamic_findings_to_changed_files(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    folder = repo / "migrations"
    policy = _write(folder, {"0001_notes.sql": LEAKY_OWNER_TABLE})
    (policy.parent / "policy.toml").write_text('transaction = "runner"\n', encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "first")
    (folder / "0002_tags.sql").write_text(
        "create table public.tags (id bigint primary key);\n"
        "alter table public.tags enable row level security;\n"
        "create policy tags_read on public.tags for select to authenticated using (true);\n",
        encoding="utf-8",
    )
    verify = ("verify", "--config", policy, folder, "--engine", "embedded")
    _, everything, _ = run_json(*verify, cwd=tmp_path)
    _, changed, err = run_json(*verify, "--changed-since", "HEAD", cwd=tmp_path)
    leaks = [f for f in everything["findings"] if f["rule"] == "rls-probe" and f["severity"] == "error"]
    assert {Path(f["file"]).name for f in leaks} == {"0001_notes.sql"}, everything  # user A's, user D's
    assert all(Path(f["file"]).name == "0002_tags.sql" for f in changed["findings"]), changed
    assert not [f for f in changed["findings"] if f["severity"] == "error"], err


def _lint_exposing_private(tmp_path: Path, files: dict[str, str]) -> dict:
    """Lint migrations in runner mode with a `private` schema exposed besides public (rules all on)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text('transaction = "runner"\nexposed_schemas = ["public", "private"]\n', encoding="utf-8")
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    return report


def test_a_schema_the_project_makes_is_out_of_the_apis_reach_until_granted(tmp_path: Path) -> None:
    """tutur3u lists `private` in config.toml's [api] schemas but never grants USAGE on it: PostgREST
    cannot reach its tables. The grant of a later migration opens it, and rls-enabled speaks again."""
    table = "create table private.{name} (id bigint primary key);\n"
    files = {
        "1_private.sql": "create schema private;\n" + table.format(name="rate_limits"),
        "2_grant.sql": "grant usage on schema private to authenticated;\n" + table.format(name="tokens"),
    }
    report = _lint_exposing_private(tmp_path, files)
    found = [(Path(f["file"]).name, f["severity"]) for f in _rules(report, "rls-enabled")]
    assert found == [("2_grant.sql", "error")], report


def test_what_a_do_blocks_built_sql_may_have_made_is_a_warning(tmp_path: Path) -> None:
    """hivecom re-makes an enum through `execute 'create type ...' || ...`; tutur3u moves tables with
    `execute format('alter table ... set schema private')`: the model cannot read either, so an object it
    finds nowhere afterwards is a warning naming the block, not an error. Before any such block: an error."""
    folder = tmp_path / "migrations"
    files = {
        "1_types.sql": "create function public.early(p public.gone) returns int language sql as 'select 1';\n"
        "create type public.perm as enum ('a', 'b');\n",
        "2_recreate.sql": "do $$ begin\n  alter type public.perm rename to perm_old;\n"
        "  execute 'create type public.perm as enum (' || quote_literal('a') || ')';\n"
        "  drop type public.perm_old;\nend $$;\n"
        "create function public.is_a(p public.perm) returns boolean language sql\n"
        "  as $f$ select p = 'a' $f$;\n",
    }
    policy = _write(folder, files)
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    found = [(Path(f["file"]).name, f["severity"]) for f in _rules(report, "fk-order")]
    assert found == [("1_types.sql", "error"), ("2_recreate.sql", "warning")], report
    warning = _rules(report, "fk-order")[1]["message"]
    assert "2_recreate.sql:1:1 runs SQL built when it runs" in warning, warning


def test_a_definer_function_in_a_schema_the_api_cannot_use_is_not_callable_through_it(tmp_path: Path) -> None:
    """leadminer's `private` schema is in [api] schemas, but anon and authenticated have no USAGE on it:
    /rest/v1/rpc cannot reach its SECURITY DEFINER functions until a migration grants it."""
    function = (
        "create function private.{name}(x int) returns int language sql security definer set search_path = ''"
        " as 'select x + 1';\n"
    )
    files = {
        "1_private.sql": "create schema private;\n" + function.format(name="bump"),
        "2_grant.sql": "grant usage on schema private to anon;\n" + function.format(name="bump_more"),
    }
    report = _lint_exposing_private(tmp_path, files)
    found = [Path(f["file"]).name for f in _rules(report, "function-definer-exposed")]
    assert found == ["2_grant.sql"], report


@pytest.mark.parametrize(
    ("made", "fix", "rule"),
    [
        (
            "create view public.v_items as select id from public.items;\n",
            "alter view public.v_items set (security_invoker = on);\n",
            "view-security-invoker",
        ),
        (  # clstr-reactnative: definer views replaced by tables weeks later (13 errors)
            "create view public.v_items as select id from public.items;\n",
            "drop view if exists public.v_items;\n",
            "view-security-invoker",
        ),
        (
            "create function public.count_items() returns bigint language sql security definer\n"
            "  as $$ select count(*) from public.items $$;\n"
            "revoke execute on function public.count_items() from public, anon, authenticated;\n",
            "alter function public.count_items() set search_path = '';\n",
            "function-search-path",
        ),
        (  # freeorbarter: a realtime trigger function a later file drops
            "create function public.count_items() returns bigint language sql security definer\n"
            "  as $$ select count(*) from public.items $$;\n"
            "revoke execute on function public.count_items() from public, anon, authenticated;\n",
            "drop function if exists public.count_items() cascade;\n",
            "function-search-path",
        ),
        (  # toitware/artemis: re-created SECURITY INVOKER by a later file (survey round 20)
            "create function public.count_items() returns bigint language sql security definer\n"
            "  as $$ select count(*) from public.items $$;\n"
            "revoke execute on function public.count_items() from public, anon, authenticated;\n",
            "create or replace function public.count_items() returns bigint language sql security invoker\n"
            "  as $$ select count(*) from public.items $$;\n",
            "function-search-path",
        ),
        (
            "create function public.count_items() returns bigint language sql security definer\n"
            "  as $$ select count(*) from public.items $$;\n"
            "revoke execute on function public.count_items() from public, anon, authenticated;\n",
            "alter function public.count_items() security invoker;\n",
            "function-search-path",
        ),
        (  # freeorbarter: "System can insert ..." with check (true), dropped by a hardening file
            NOTES_OPEN_INSERT,
            "drop policy if exists notes_insert on public.notes;\n",
            "rls-policy-with-check",
        ),
        (
            NOTES_OPEN_INSERT,
            "alter policy notes_insert on public.notes with check ((select auth.uid()) = user_id);\n",
            "rls-policy-to-public",
        ),
        (  # lawai (survey round 22): shared templates any caller could delete, until a later file's policy
            TEMPLATES,
            "drop policy if exists templates_all on public.templates;\n"
            "create policy templates_all on public.templates for all to authenticated\n"
            "  using (public.is_org_member(org_id)) with check (public.is_org_member(org_id));\n",
            "rls-unowned-rows-writable",
        ),
        (  # guitar-crm: tokens in a table a later file enables row level security on
            "create table public.integrations (id bigint primary key, access_token text);\n",
            "alter table public.integrations enable row level security;\n",
            "sensitive-columns-exposed",
        ),
    ],
    ids=[
        "view",
        "view-dropped",
        "definer",
        "definer-dropped",
        "definer-made-invoker",
        "definer-altered-invoker",
        "policy-dropped",
        "policy-rewritten",
        "unowned-rows",
        "tokens",
    ],
)
def test_what_a_later_file_of_the_push_puts_right_is_a_warning_naming_it(
    tmp_path: Path, made: str, fix: str, rule: str
) -> None:
    """creditpilot's views and hyper-local-shoppe's definer functions get security_invoker and a
    search_path from the next file of the same push, as RLS a later file enables does."""
    folder = tmp_path / "migrations"
    items = TABLE.format(name="items") + "alter table public.items enable row level security;\n"
    policy = _write(folder, {"20240101000001_a.sql": items + made, "20240101000002_b.sql": fix})
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    # (the later file's own findings aside: a function re-made SECURITY INVOKER without a search_path, say)
    found = [f for f in _rules(report, rule) if Path(f["file"]).name == "20240101000001_a.sql"]
    assert [f["severity"] for f in found] == ["warning"], found
    assert "20240101000002_b.sql:1:1" in found[0]["message"]
    alone = tmp_path / "alone"
    _write(alone, {"20240101000001_a.sql": items + made})
    _, report, _ = run_json("lint", "--config", policy, alone, cwd=tmp_path)
    assert [f["severity"] for f in _rules(report, rule)] == ["error"], "alone, nothing puts it right"


def test_a_later_alter_policy_of_its_roles_alone_leaves_the_error(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    made = NOTES + "create policy notes_insert on public.notes for insert with check (true);\n"
    files = {"1_a.sql": made, "2_b.sql": "alter policy notes_insert on public.notes to authenticated;\n"}
    policy = _write(folder, files)
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    assert [f["severity"] for f in _rules(report, "rls-policy-with-check")] == ["error"]


def test_no_lock_is_predicted_on_a_table_a_later_migration_creates(tmp_path: Path) -> None:
    """sales-machine: files dated before the initial schema index its tables; the index fails there
    (fk-order says so) and locks nothing, unless the later file only creates the table if not exists."""
    index = "create index if not exists prospects_name_idx on public.prospects (name);\n"
    for later, expected in (("", []), (" if not exists", ["error"])):
        folder = tmp_path / f"migrations{len(later)}"
        made = f"create table{later} public.prospects (id bigint primary key, name text);\n"
        policy = _write(folder, {"1_index.sql": index, "2_schema.sql": made})
        _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
        assert [f["severity"] for f in _rules(report, "index-concurrently")] == expected, later
        assert [Path(f["file"]).name for f in _rules(report, "fk-order")] == ["1_index.sql"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # KoldKallKilla: created, RLS disabled again in the same file, enabled by the next: one warning for
        # the table (the DISABLE was a second finding, an error)
        (
            {
                "1_meetings.sql": TABLE.format(name="meetings")
                + "alter table public.meetings disable row level security;\n",
                "2_rls.sql": "alter table public.meetings enable row level security;\n",
            },
            [("1_meetings.sql", 1, "warning")],
        ),
        # an existing table's RLS turned off, then on again by the next file of the push: a warning
        (
            {
                "1_meetings.sql": TABLE.format(name="meetings")
                + "alter table public.meetings enable row level security;\n",
                "2_off.sql": "alter table public.meetings disable row level security;\n",
                "3_on.sql": "alter table public.meetings enable row level security;\n",
            },
            [("2_off.sql", 1, "warning")],
        ),
        # off and on again within one migration: its transaction shows no one the gap
        (
            {
                "1_meetings.sql": TABLE.format(name="meetings")
                + "alter table public.meetings enable row level security;\n",
                "2_toggle.sql": "alter table public.meetings disable row level security;\n"
                "update public.meetings set id = id;\n"
                "alter table public.meetings enable row level security;\n",
            },
            [],
        ),
        # off, then the table dropped in the same file (ofertas): nothing is left exposed
        (
            {
                "1_meetings.sql": TABLE.format(name="meetings")
                + "alter table public.meetings enable row level security;\n",
                "2_gone.sql": "alter table public.meetings disable row level security;\n"
                "drop table public.meetings;\n",
            },
            [],
        ),
        # turned off for good: an error
        (
            {
                "1_meetings.sql": TABLE.format(name="meetings")
                + "alter table public.meetings enable row level security;\n",
                "2_off.sql": "alter table public.meetings disable row level security;\n",
            },
            [("2_off.sql", 1, "error")],
        ),
    ],
    ids=["created-here", "enabled-by-a-later-file", "enabled-again-in-the-file", "dropped", "left-off"],
)
def test_rls_disabled_is_reported_as_the_migrations_leave_it(
    tmp_path: Path, files: dict[str, str], expected: list[tuple[str, int, str]]
) -> None:
    folder = tmp_path / "migrations"
    policy = _write(folder, files)
    policy.write_text('transaction = "runner"\n', encoding="utf-8")  # with rls-enabled on
    _, report, _ = run_json("lint", "--config", policy, folder, cwd=tmp_path)
    found = [(Path(f["file"]).name, f["line"], f["severity"]) for f in _rules(report, "rls-enabled")]
    assert found == expected, report
