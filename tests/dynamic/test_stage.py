"""The dynamic stage on real PostgreSQL: the fixture cases, validation, pre-checks, smoke, probes."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.apply import run_file
from checker.dynamic.engines import EngineOptions
from checker.dynamic.stage import run_dynamic
from checker.findings import Finding, Severity
from checker.lint import lint_targets, parse_file
from checker.policy import Policy, default_policy
from checker.targets import resolve_targets

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
DYNAMIC = ROOT / "tests" / "fixtures" / "dynamic"
BASELINE = ROOT / "sql" / "baseline.sql"

ENGINES = {"embedded": EngineOptions(), "local": EngineOptions(pg_version="15")}
# Which rule ids report each `expected_step` of the manifest.
STEP_RULES = {
    "apply": {"dynamic-apply"},
    "rollback": {"dynamic-rollback"},
    "rls-probe": {"rls-probe", "rls-missing-policy"},
    "validation": {"dynamic-validation"},
}
PHASES = {"start", "seed", "baseline", "apply", "validate", "probes", "rollback", "stop"}


def cases() -> list[dict]:
    with (DYNAMIC / "manifest.toml").open("rb") as fh:
        return tomllib.load(fh)["case"]


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    require_engine(request.param, ENGINES[request.param])
    return request.param


def project_policy() -> Policy:
    """The default policy plus the project's smoke file, as `checker check` run from the root uses."""
    policy = default_policy()
    policy.data["smoke"] = [str(ROOT / "sql" / "smoke" / "connect_smoke.sql")]
    return policy


def run(
    migration: Path,
    rollback: Path | None,
    engine: str = "embedded",
    baseline: list[Path] | None = None,
    policy: Policy | None = None,
    timings: dict[str, float] | None = None,
) -> list[Finding]:
    policy = policy or project_policy()
    baseline = [BASELINE] if baseline is None else baseline
    targets = resolve_targets([migration], policy, rollback)
    result = lint_targets(targets, baseline, policy)
    assert not result.has_syntax_error
    return run_dynamic(result.units, baseline, policy, engine, ENGINES[engine], timings=timings)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def only(findings: list[Finding], rule: str, severity: Severity | None = None) -> list[Finding]:
    return [f for f in findings if f.rule == rule and (severity is None or f.severity is severity)]


# --- the manifest: every documented defect is found where it is -------------------------------------

# Where each case's finding must point (file, a text on the line).
WHERE = {
    "policy-unknown-column": ("policy_unknown_column.sql", "= owner_id"),
    "drop-order-trap": ("drop_order_trap_rollback.sql", "drop table if exists public.matches"),
    "residue-function": ("residue_function_rollback.sql", "commit"),
    "rollback-drops-users": ("drops_users_rollback.sql", "drop table if exists public.users cascade"),
    "rls-select-leak": ("rls_select_leak.sql", '"gratitude_notes_select_all"'),
    "rls-missing-commands": ("rls_missing_commands.sql", "create table public.habits"),
}


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["name"])
def test_manifest_case(engine: str, case: dict) -> None:
    findings = run(ROOT / case["migration"], ROOT / case["rollback"], engine)
    rules = STEP_RULES[case["expected_step"]]
    matching = [f for f in findings if f.rule in rules and case["expected_text"] in f.message]
    assert matching, [f"{f.rule}: {f.message}" for f in findings]
    name, text = WHERE[case["name"]]
    assert any(f.file.endswith(name) and f.line == line_of(DYNAMIC / name, text) for f in matching), matching
    assert all(f.stage == "dynamic" for f in findings)


def test_unknown_column_points_at_the_column(engine: str) -> None:
    path = DYNAMIC / "policy_unknown_column.sql"
    (finding,) = only(run(path, DYNAMIC / "policy_unknown_column_rollback.sql", engine), "dynamic-apply")
    line = path.read_text().splitlines()[finding.line - 1]
    assert line[finding.column - 1 :].startswith("owner_id")
    assert finding.severity is Severity.ERROR


def test_leak_names_table_command_and_policy(engine: str) -> None:
    findings = run(DYNAMIC / "rls_select_leak.sql", DYNAMIC / "rls_select_leak_rollback.sql", engine)
    leak, outsider = only(findings, "rls-probe", Severity.ERROR)  # user A, then user D in no row
    for finding in (leak, outsider):
        assert "public.gratitude_notes: SELECT as authenticated" in finding.message
        assert 'policy "gratitude_notes_select_all"' in finding.message
    assert "user A sees 1 row(s) of user B" in leak.message
    # the owner policies for the other commands hold: no other leak, nothing missing
    assert not only(findings, "rls-missing-policy")


def test_missing_commands_are_the_three_writes() -> None:
    findings = run(DYNAMIC / "rls_missing_commands.sql", DYNAMIC / "rls_missing_commands_rollback.sql")
    missing = only(findings, "rls-missing-policy")
    assert sorted(f.message.split()[3] for f in missing) == ["DELETE", "INSERT", "UPDATE"]
    assert all(f.severity is Severity.WARNING and "public.habits" in f.message for f in missing)
    assert not only(findings, "rls-probe", Severity.ERROR)


def test_policy_severity_applies_to_dynamic_rules() -> None:
    policy = project_policy()
    policy.data["rules"] = {**policy.data.get("rules", {}), "rls-missing-policy": {"severity": "off"}}
    findings = run(
        DYNAMIC / "rls_missing_commands.sql", DYNAMIC / "rls_missing_commands_rollback.sql", policy=policy
    )
    assert not only(findings, "rls-missing-policy")


def test_rollback_dropping_users_is_reported_at_the_drop_and_blocks_reapply() -> None:
    rollback = DYNAMIC / "drops_users_rollback.sql"
    findings = run(DYNAMIC / "drops_users.sql", rollback)
    dropped = [f for f in only(findings, "dynamic-rollback") if "table public.users dropped" in f.message]
    assert [f.line for f in dropped] == [line_of(rollback, "public.users cascade")]
    (reapply,) = only(findings, "dynamic-reapply")
    assert 'relation "public.users" does not exist' in reapply.message


# --- the shipped migrations --------------------------------------------------------------------------


def test_project_sql_has_no_error_and_times_every_phase() -> None:
    timings: dict[str, float] = {}
    policy = project_policy()
    policy.data["migrations"] = [
        {
            "path": str(ROOT / "sql" / "astro_fields.sql"),
            "rollback": str(ROOT / "sql" / "astro_fields_rollback.sql"),
        },
        {
            "path": str(ROOT / "sql" / "connect_schema.sql"),
            "rollback": str(ROOT / "sql" / "connect_rollback.sql"),
        },
    ]
    findings = run(ROOT / "sql", None, policy=policy, timings=timings)
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    assert timings.keys() >= PHASES
    # the smoke file ran (it is not reported as skipped) and the rollbacks restored the baseline
    assert not only(findings, "dynamic-smoke")
    assert not only(findings, "dynamic-rollback")


# --- validation, pre-checks, smoke and probes on purpose-made migrations -----------------------------

OWNED_TABLE = """
begin;
create table public.items (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  code text not null unique,
  spot point not null default point(0, 0)
);
create policy "items_select_own" on public.items
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "items_insert_own" on public.items
  for insert to authenticated with check ((select auth.uid()) = user_id);
{extra}
commit;
"""
ITEMS_ROLLBACK = "begin;\ndrop table if exists public.items;\ncommit;\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def items(tmp_path: Path, extra: str, rollback: str = ITEMS_ROLLBACK, **kwargs) -> list[Finding]:
    migration = write(tmp_path, "items.sql", OWNED_TABLE.replace("{extra}", extra))
    return run(migration, write(tmp_path, "items_rollback.sql", rollback), **kwargs)


def test_validation_reports_what_the_database_lacks(tmp_path: Path) -> None:
    # Dynamic SQL built by format() is opaque to the model: the SQL declares what the DO block then undoes.
    # With its foreign key gone the schema no longer says whose items are: the policy states it.
    policy = project_policy()
    policy.data["rls"] = {"tenancy": {"public.items": "user:user_id"}}
    findings = items(
        tmp_path,
        "do $$ begin\n"
        "  execute format('drop policy items_insert_own on public.items');\n"
        "  execute format('alter table public.items drop constraint items_code_key');\n"
        "  execute format('alter table public.items drop constraint items_user_id_fkey');\n"
        "  execute format('alter policy items_select_own on public.items to anon');\n"
        "end $$;",
        policy=policy,
    )
    messages = [f.message for f in only(findings, "dynamic-validation", Severity.ERROR)]
    assert any("row level security is not enabled on public.items" in m for m in messages), messages
    assert any('policy "items_insert_own" on public.items does not exist' in m for m in messages), messages
    assert any("unique (code) missing" in m for m in messages), messages
    assert any("foreign key (user_id) -> public.users missing" in m for m in messages), messages
    assert any("applies to anon, the SQL declares authenticated" in m for m in messages), messages
    # without row level security every user reads everyone's rows, and so does anon
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("SELECT as authenticated" in m and "not enabled" in m for m in leaks), leaks
    assert any("SELECT as anon" in m for m in leaks), leaks


def test_owned_table_with_rls_passes_validation_and_probes(tmp_path: Path) -> None:
    findings = items(tmp_path, "alter table public.items enable row level security;")
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    # no policy grants update or delete: the items are meant to be immutable, nothing is missing
    assert not only(findings, "rls-missing-policy")


def test_unfillable_table_is_skipped_with_a_reason(tmp_path: Path) -> None:
    extra = (
        "alter table public.items enable row level security;\n"
        "create type public.place as (lat float8, lng float8);\n"  # a composite: no value of its own
        "alter table public.items add column place public.place not null;"
    )
    rollback = "begin;\ndrop table if exists public.items;\ndrop type if exists public.place;\ncommit;\n"
    findings = items(tmp_path, extra, rollback)
    (skipped,) = only(findings, "rls-probe", Severity.INFO)
    assert "public.items skipped" in skipped.message
    assert "no automatic value for public.items.place of type place" in skipped.message


def test_prechecks_compare_the_baseline_model_with_the_database(tmp_path: Path) -> None:
    baseline = write(
        tmp_path,
        "baseline.sql",
        "create table public.users (id uuid primary key references auth.users (id));\n"
        "create table public.gone (id int);\n"
        "do $$ begin execute format('alter table public.gone rename to gone_too'); "
        "execute format('create table public.items (id int)'); end $$;\n",
    )
    findings = items(tmp_path, "", baseline=[baseline])
    (missing,) = only(findings, "dynamic-precheck", Severity.ERROR)
    assert "baseline table public.gone does not exist" in missing.message
    assert (missing.file, missing.line) == (str(baseline), 2)
    (exists,) = only(findings, "dynamic-precheck", Severity.WARNING)
    assert "table public.items already exists" in exists.message
    assert only(findings, "dynamic-apply", Severity.ERROR)  # the plain CREATE then fails


def test_baseline_failure_is_reported_on_the_baseline(tmp_path: Path) -> None:
    baseline = write(
        tmp_path, "baseline.sql", "create table public.users (id uuid primary key);\nselect 1/0;\n"
    )
    findings = items(tmp_path, "", baseline=[baseline])
    assert [(f.rule, f.file, f.line) for f in findings] == [("dynamic-baseline", str(baseline), 2)]
    assert "division by zero" in findings[0].message


def test_smoke_failure_points_at_the_smoke_statement(tmp_path: Path) -> None:
    smoke = write(
        tmp_path,
        "smoke.sql",
        "-- the unique code must reject a duplicate\n"
        "insert into auth.users (id) values ('00000000-0000-0000-0000-000000000001');\n"
        "insert into public.users (id) values ('00000000-0000-0000-0000-000000000001');\n"
        "insert into public.items (user_id, code)\n"
        "values ('00000000-0000-0000-0000-000000000001', 'x'),\n"
        "       ('00000000-0000-0000-0000-000000000001', 'x');\n",
    )
    policy = default_policy()
    policy.data["smoke"] = [str(smoke)]
    findings = items(tmp_path, "alter table public.items enable row level security;", policy=policy)
    (failed,) = only(findings, "dynamic-smoke")
    assert failed.severity is Severity.ERROR
    assert (failed.file, failed.line) == (str(smoke), 4)
    assert "duplicate key value violates unique constraint" in failed.message


def test_rollback_chain_stops_at_the_newest_unclean_rollback(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "001_tags.sql", "begin;\ncreate table public.tags (id int primary key);\ncommit;\n")
    write(folder, "001_tags_rollback.sql", "begin;\ndrop table public.tags;\ncommit;\n")
    write(folder, "002_fn.sql", "create function public.two() returns int language sql as 'select 2';\n")
    write(folder, "002_fn_rollback.sql", "select 1;\n")
    policy = project_policy()
    findings = run(folder, None, policy=policy)
    (residue,) = only(findings, "dynamic-rollback", Severity.ERROR)
    assert residue.file.endswith("002_fn_rollback.sql") and "public.two() left behind" in residue.message
    (unchecked,) = only(findings, "dynamic-rollback", Severity.INFO)
    assert unchecked.file.endswith("001_tags_rollback.sql")
    assert only(findings, "dynamic-reapply")  # the function left behind blocks the second apply


CHANNELS = """begin;
create table public.channels (
  id bigint generated by default as identity primary key,
  slug text not null unique,
  owner_id uuid not null references auth.users (id)
);
alter table public.channels enable row level security;
create policy "channels_select_own" on public.channels for select to authenticated
  using ((select auth.uid()) = owner_id);
commit;
"""
# A data migration and a seed file that count on the ids a fresh database hands out, as on Supabase.
FIRST_IDS = """do $$ begin
  if (select array_agg(id order by id) from public.channels) is distinct from array[{ids}]::bigint[] then
    raise exception 'channel ids %', (select array_agg(id order by id) from public.channels);
  end if;
end $$;
"""
BOT = "00000000-0000-4000-8000-0000000000aa"
CHANNEL = f"insert into public.channels (slug, owner_id) values ('{{slug}}', '{BOT}');\n"


def test_the_probes_and_the_smoke_leave_the_sequences_as_they_found_them(tmp_path: Path) -> None:
    """Sequences do not roll back: after the probes (and the smoke files) every sequence they moved is
    set back, so a later data migration and the seed file see the ids `supabase db reset` gives."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, "001_channels.sql", CHANNELS)
    write(folder, "001_channels_rollback.sql", "begin;\ndrop table public.channels;\ncommit;\n")
    bot = f"insert into auth.users (id) values ('{BOT}');\n"
    general = CHANNEL.replace("{slug}", "general") + FIRST_IDS.replace("{ids}", "1")
    write(folder, "002_general.sql", f"begin;\n{bot}{general}commit;\n")
    undo = f"begin;\ndelete from public.channels;\ndelete from auth.users where id = '{BOT}';\ncommit;\n"
    write(folder, "002_general_rollback.sql", undo)
    policy = default_policy()
    policy.data["smoke"] = [str(write(tmp_path, "smoke.sql", CHANNEL.replace("{slug}", "smoke")))]
    seed = CHANNEL.replace("{slug}", "random") + FIRST_IDS.replace("{ids}", "1, 2")
    policy.data["seed_files"] = [str(write(tmp_path, "seed.sql", seed))]
    findings = run(folder, None, policy=policy)
    assert [f.message for f in findings if f.severity is not Severity.INFO] == []
    assert not [f for f in findings if "skipped" in f.message], findings  # channels was probed
    assert not only(findings, "dynamic-rollback") and not only(findings, "dynamic-reapply")


# --- applying files ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    engine = require_engine("embedded")
    with engine as uri:
        yield uri


def relation(conn: psycopg.Connection, name: str) -> str | None:
    return conn.execute("select to_regclass(%s)::text", (name,)).fetchone()[0]


def test_runner_transaction_makes_the_file_atomic(tmp_path: Path, database: str) -> None:
    path = write(tmp_path, "m.sql", "create table public.half (id int);\nselect 1/0;\n")
    parsed = parse_file(path)
    with psycopg.connect(database, autocommit=True) as conn:
        failure = run_file(conn, parsed, one_transaction=True)
        assert failure is not None and failure.where[1] == 2
        assert relation(conn, "public.half") is None
        failure = run_file(conn, parsed, one_transaction=False)
        assert failure is not None and "division by zero" in failure.message
        assert relation(conn, "public.half") == "half"  # psql semantics: the first statement stays
        conn.execute("drop table public.half")


def test_a_file_left_inside_a_transaction_is_a_failure(tmp_path: Path, database: str) -> None:
    path = write(tmp_path, "m.sql", "begin;\ncreate table public.pending (id int);\n")
    with psycopg.connect(database, autocommit=True) as conn:
        failure = run_file(conn, parse_file(path))
        assert failure is not None and "open transaction" in failure.message
        assert relation(conn, "public.pending") is None
