"""The lock trace of `checker verify`, and its agreement with the static lock rules' predictions.

Every lock rule's bad and good example, and a table of ALTER TABLE forms from PostgreSQL's
documentation, run through both stages on PostgreSQL 15 and on the embedded server: the lock mode
each statement newly takes on a table that existed before (SHARE and stronger) and whether it
rewrote the table must be what the static side predicts, statement by statement.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker.context import RuleContext
from checker.dynamic.engines import EngineOptions
from checker.rules import rule_by_id
from checker.rules._locks import LOCK_RULE_IDS, Mode, lock_steps
from checker.run import lint_result

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
ENGINE_ARGS = {"embedded": ["--engine", "embedded"], "local": ["--engine", "local", "--pg-version", "15"]}
ENGINE_OPTIONS = {"embedded": EngineOptions(), "local": EngineOptions(pg_version="15")}
MEASURED = re.compile(r"^([A-Z ]+) on (\S+) \(")

FORMS_BASELINE = (
    "create table public.orgs (id uuid primary key);\n"
    "create table public.logs (id bigint);\n"
    "create table public.users (id uuid primary key, org_id uuid, email text, name varchar(40),\n"
    "  score int, price numeric(8, 2), note text, seen timestamp, left_at timestamptz(3));\n"
    "create index users_name_idx on public.users (name);\n"
    "create extension if not exists citext with schema extensions;\n"
    "create function public.touch() returns trigger language plpgsql set search_path = '' as\n"
    "  $$ begin return new; end $$;\n"
)
# The ALTER TABLE forms (and neighbours) whose lock level PostgreSQL documents, each in its own transaction.
FORMS = """
alter table public.users add column a text;
alter table public.users add column b text default 'x';
alter table public.users add column c timestamptz default now();
alter table public.users add column d uuid default gen_random_uuid();
alter table public.users add column e bigint generated always as identity;
alter table public.users alter column name type varchar(80);
alter table public.users alter column name type text;
alter table public.users alter column price type numeric(12, 2);
alter table public.users alter column score type bigint;
alter table public.users alter column note type varchar(10);
alter table public.users alter column seen type timestamptz;
alter table public.users alter column left_at type timestamp(3);
alter table public.users alter column seen type timestamptz(0);
alter table public.users alter column email type extensions.citext;
alter table public.users alter column email type text;
alter table public.users alter column name type extensions.citext;
alter table public.users alter column name type varchar(20);
alter table public.users alter column a set default 'y';
alter table public.users alter column a drop default;
alter table public.users alter column score set statistics 200;
alter table public.users add constraint users_score_check check (score >= 0) not valid;
alter table public.users validate constraint users_score_check;
alter table public.users add constraint users_org_fkey foreign key (org_id) references public.orgs not valid;
alter table public.users validate constraint users_org_fkey;
alter table public.users add constraint users_email_key unique (email);
alter table public.users alter column email set not null;
alter table public.users alter column email drop not null;
alter table public.users set (fillfactor = 90);
alter table public.users enable row level security;
create policy users_read on public.users for select to authenticated using (true);
create trigger users_touch before update on public.users for each row execute function public.touch();
alter table public.users disable trigger users_touch;
create index users_note_idx on public.users (note);
create index concurrently users_score_idx on public.users (score);
drop index public.users_note_idx;
drop index concurrently public.users_score_idx;
alter table public.users rename column note to remark;
alter table public.users drop column b;
truncate public.logs;
create table public.notes (id uuid primary key, user_id uuid references public.users (id));
"""


def checker(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, args)], cwd=cwd, capture_output=True, text=True,
        timeout=600,
    )


@pytest.fixture(params=list(ENGINE_ARGS))
def engine(request: pytest.FixtureRequest) -> list[str]:
    require_engine(request.param, ENGINE_OPTIONS[request.param])
    return ENGINE_ARGS[request.param]


def _files(folder: Path, migration: str, baseline: str | None) -> tuple[Path, list[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    path = folder / "migration.sql"
    path.write_text(migration, encoding="utf-8")
    args = []
    if baseline is not None:
        (folder / "baseline.sql").write_text(baseline, encoding="utf-8")
        args = ["--baseline", str(folder / "baseline.sql")]
    return path, args


def measured(folder: Path, engine: list[str], migration: str, baseline: str | None) -> dict:
    """(line, table) -> (mode, rewritten), from the dynamic-lock findings of `checker verify`."""
    path, args = _files(folder, migration, baseline)
    result = checker("verify", path, *args, *engine, "--format", "json", cwd=folder)
    report = json.loads(result.stdout)
    applied = [f for f in report["findings"] if f["rule"] == "dynamic-apply"]
    assert not applied, applied
    found = {}
    for finding in report["findings"]:
        if finding["rule"] == "dynamic-lock":
            mode, table = MEASURED.match(finding["message"]).groups()  # type: ignore[union-attr]
            found[(finding["line"], table)] = (mode, finding["message"].endswith("table rewritten"))
    return found


def predicted(folder: Path, migration: str, baseline: str | None) -> dict:
    """The same shape from the static prediction: what each statement newly takes in its transaction."""
    path, args = _files(folder, migration, baseline)
    policy, _, _, result = lint_result((path,), None, tuple(Path(a) for a in args[1:]), None)
    found: dict = {}
    held: dict = {}
    for step in lock_steps(RuleContext(result.units[0], policy)):
        held = held if step.in_block and step.transaction == held.get("#") else {"#": step.transaction}
        for table, lock in step.locks.items():
            newly = lock.mode >= Mode.SHARE and lock.mode > held.get(table, Mode.ACCESS_SHARE)
            if newly or lock.rewrite:
                found[(step.statement.line, table.qualified)] = (lock.mode.label, lock.rewrite)
            held[table] = max(lock.mode, held.get(table, lock.mode))
    return found


EXAMPLES = [
    (f"{rule_id}-{kind}", getattr(rule_by_id(rule_id), kind))
    for rule_id in LOCK_RULE_IDS
    for kind in ("bad", "good")
]


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_rule_examples_agree(name: str, example, engine: list[str], tmp_path: Path) -> None:
    want = predicted(tmp_path / "static", example.migration, example.baseline)
    got = measured(tmp_path / "dynamic", engine, example.migration, example.baseline)
    assert got == want, f"{name}: measured {got}, predicted {want}"


def test_documented_forms_agree(engine: list[str], tmp_path: Path) -> None:
    migration = FORMS.lstrip()
    want = predicted(tmp_path / "static", migration, FORMS_BASELINE)
    got = measured(tmp_path / "dynamic", engine, migration, FORMS_BASELINE)
    lines = migration.splitlines()
    disagree = {
        lines[line - 1]: (got.get((line, table)), want.get((line, table)))
        for line, table in set(got) | set(want)
        if got.get((line, table)) != want.get((line, table))
    }
    assert not disagree, f"statement: (measured, predicted): {disagree}"
    assert len(want) >= 20  # the table exercises the forms, not an empty run


ISSUE_EXAMPLE = (
    "begin;\ncreate index users_email_idx on public.users (email);\n"
    "alter table public.users alter column email set not null;\ncommit;\n"
    "create function public.widen() returns void language plpgsql set search_path = '' as $$\n"
    "begin\n  alter table public.users alter column score type bigint;\nend $$;\n"
    "select public.widen();\n"
)
USERS = "create table public.users (id uuid primary key, email text, score int);\n"


def test_verify_reports_lock_and_rewrite_through_a_function(engine: list[str], tmp_path: Path) -> None:
    path, args = _files(tmp_path, ISSUE_EXAMPLE, USERS)
    result = checker("verify", path, *args, *engine, "--format", "json", cwd=tmp_path)
    locks = [(f["line"], f["severity"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    locks = [item for item in locks if "public.users" in item[2]]
    share = "SHARE on public.users (blocks writes) until commit, 2 statements later (line 4)"
    assert (2, "info", share) in locks
    assert (
        3,
        "info",
        "ACCESS EXCLUSIVE on public.users (blocks reads and writes) until commit, 1 statement later (line 4)",
    ) in locks
    assert (
        9,
        "warning",
        "ACCESS EXCLUSIVE on public.users (blocks reads and writes) while the statement runs "
        "(it is a transaction of its own); table rewritten",
    ) in locks


def test_runner_mode_holds_locks_to_the_end_and_suppressions_apply(engine: list[str], tmp_path: Path) -> None:
    migration = (
        "-- checker-ignore dynamic-lock: the table is tiny\n"
        "create index users_email_idx on public.users (email);\n"
        "alter table public.users add column bio text;\n"
        "update public.users set bio = 'x';\n"
    )
    (tmp_path / "policy.toml").write_text('transaction = "runner"\n', encoding="utf-8")
    path, args = _files(tmp_path, migration, USERS)
    policy = ("--config", tmp_path / "policy.toml")
    result = checker("verify", path, *args, *engine, *policy, "--format", "json", cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    locks = [(f["line"], f["message"]) for f in findings if f["rule"] == "dynamic-lock"]
    assert locks == [
        (
            3,
            "ACCESS EXCLUSIVE on public.users (blocks reads and writes) until the runner's commit after the "
            "last statement, 2 statements later",
        )
    ]
    lint = checker("lint", path, *args, *policy, "--format", "json", cwd=tmp_path)
    assert "unused-suppression" not in lint.stdout
