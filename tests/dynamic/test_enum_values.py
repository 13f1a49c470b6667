"""enum-value-unsafe-use against PostgreSQL itself: each case is a migration file the Supabase CLI runs in
one transaction; lint must report exactly the files the rule claims, and PostgreSQL 15 and 18 must refuse
(or accept) each file as the table below says. A case the rule leaves to the dynamic stage is listed as
such, so that no reported case is one PostgreSQL accepts (a false alarm) and every miss is known."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest
from conftest import assert_no_traceback, run_json

from checker.dynamic.engines import EngineOptions
from checker.dynamic.engines.dsn import DsnEngine

from .helpers import require_engine

pytestmark = pytest.mark.postgres

BASELINE = (
    "create type public.task_status as enum ('open', 'done');\n"
    "create table public.tasks (id bigint primary key, status public.task_status not null default 'open');\n"
)
ADD = "alter type public.task_status add value '{v}';\n"
RULE = "enum-value-unsafe-use"


class Case(NamedTuple):
    name: str
    sql: str  # {v}: the value this file adds; {n}: the file's number
    reported: str | None  # the severity of the rule's finding on the file, if any
    refused_by: frozenset[int]  # the PostgreSQL majors that refuse the file ("unsafe use of new value")


BOTH = frozenset({15, 18})
NONE: frozenset[int] = frozenset()


def caught(name: str, use: str) -> Case:
    """A file that adds a value, then uses it as the rule says PostgreSQL refuses."""
    return Case(name, ADD + use, "error", BOTH)


CASES = (
    caught("cast", "select '{v}'::public.task_status;\n"),
    caught("policy", "create policy p{n} on public.tasks using (status = '{v}');\n"),
    caught("insert_columns", "insert into public.tasks (id, status) values ({n}, '{v}');\n"),
    caught("insert_all_columns", "insert into public.tasks values ({n}, '{v}');\n"),
    caught("update_set", "update public.tasks set status = '{v}' where status = 'done';\n"),
    caught("delete_where_in", "delete from public.tasks where status in ('done', '{v}');\n"),
    caught("set_default", "alter table public.tasks alter column status set default '{v}';\n"),
    caught("partial_index", "create index i{n} on public.tasks (id) where '{v}' = status;\n"),
    Case(
        "add_column_default",
        ADD + "alter table public.tasks add column next{n} public.task_status default '{v}';\n",
        "error",
        BOTH,
    ),
    caught("table_default", "create table public.t{n} (s public.task_status default '{v}');\n"),
    caught("check", "alter table public.tasks add constraint c{n} check (status <> '{v}');\n"),
    Case(
        "guarded_in_do_block",
        "do $$ begin\n  if not exists (select from pg_enum where enumlabel = '{v}') then\n"
        "    alter type public.task_status add value '{v}';\n  end if;\nend $$;\n"
        "update public.tasks set status = '{v}' where id = 0;\n",
        "error",
        BOTH,
    ),
    Case(
        "if_not_exists_new",
        "alter type public.task_status add value if not exists '{v}';\nselect '{v}'::public.task_status;\n",
        "error",
        BOTH,
    ),
    # a DO block's statement under IF may not run (stewardtrack's never does): a warning, once per value
    Case(
        "do_block_branch",
        ADD + "do $$ declare who uuid; begin\n  if who is not null then\n"
        "    insert into public.tasks (id, status) values ({n}, '{v}'), ({n} + 1000, '{v}');\n"
        "  end if;\nend $$;\n",
        "warning",
        NONE,
    ),
    # Accepted: an old value, a comparison as text, PL/pgSQL (compiled when called), a COMMIT in between.
    Case("old_value", ADD + "update public.tasks set status = 'done' where status = 'open';\n", None, NONE),
    Case("as_text", ADD + "select count(*) from public.tasks where status::text = '{v}';\n", None, NONE),
    Case(
        "plpgsql_body",
        ADD + "create function public.f{n}() returns bigint language plpgsql as $f$\n"
        "begin return (select count(*) from public.tasks where status = '{v}'); end $f$;\n",
        None,
        NONE,
    ),
    Case("commit_between", ADD + "commit;\nselect '{v}'::public.task_status;\n", None, NONE),
    Case(
        "value_there",
        "alter type public.task_status add value if not exists 'done';\nselect 'done'::public.task_status;\n",
        None,
        NONE,
    ),
    Case("added_by_earlier_file", ADD, None, NONE),
    Case(
        "added_again_if_not_exists",
        "alter type public.task_status add value if not exists 'v{prev}';\n"
        "select 'v{prev}'::public.task_status;\n",
        None,
        NONE,
    ),
    Case(
        "renamed",
        "alter type public.task_status rename value 'done' to 'finished';\n"
        "select 'finished'::public.task_status;\n",
        None,
        NONE,
    ),
    # Left to the dynamic stage: a SQL function's body (a string to the parser) and a value added to a type
    # the same transaction made, which PostgreSQL 17 and later accept and 15 refuses.
    Case(
        "sql_function_body",
        ADD + "create function public.f{n}() returns bigint language sql as $f$\n"
        "select count(*) from public.tasks where status = '{v}' $f$;\n",
        None,
        BOTH,
    ),
    Case(
        "type_made_here",
        "create type public.e{n} as enum ('a');\nalter type public.e{n} add value 'b';\n"
        "select 'b'::public.e{n};\n",
        None,
        frozenset({15}),
    ),
)

# Files that stay applied for the next ones (the others are rolled back after PostgreSQL's verdict).
KEPT = {"added_by_earlier_file", "renamed"}


def file_sql(number: int, case: Case) -> str:
    return case.sql.format(v=f"v{number}", n=number, prev=number - 1)


def file_name(number: int, case: Case) -> str:
    return f"2024010100{number:04d}_{case.name}.sql"


def test_lint_reports_exactly_the_cases_it_claims(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for number, case in enumerate(CASES, start=1):
        (folder / file_name(number, case)).write_text(file_sql(number, case), encoding="utf-8")
    (tmp_path / "baseline.sql").write_text(BASELINE, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(
        'transaction = "runner"\nrollback = "optional"\norder = "supabase"\n', encoding="utf-8"
    )
    args = ["lint", folder, "--baseline", tmp_path / "baseline.sql", "--config", tmp_path / "policy.toml"]
    _, report, err = run_json(*args, cwd=tmp_path)
    assert_no_traceback(json.dumps(report), err)
    reported = [(Path(f["file"]).name, f["severity"]) for f in report["findings"] if f["rule"] == RULE]
    expected = [(file_name(n, case), case.reported) for n, case in enumerate(CASES, start=1) if case.reported]
    assert sorted(reported) == sorted(expected)


@pytest.fixture(scope="module", params=[("embedded", 18), ("local", 15)], ids=["pg18", "pg15"])
def database(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    engine, major = request.param
    with require_engine(engine) as server, DsnEngine(EngineOptions(dsn=server)) as uri:
        yield uri, major


def test_postgresql_refuses_the_cases_as_listed(database: tuple[str, int]) -> None:
    uri, major = database
    refused = set()
    with psycopg.connect(uri) as conn:
        conn.execute(BASELINE)
        conn.commit()
        version = conn.execute("select current_setting('server_version_num')::int / 10000").fetchone()
        assert version == (major,)
        for number, case in enumerate(CASES, start=1):
            try:
                conn.execute(file_sql(number, case))  # no parameters: one simple query, as psql runs a file
            except psycopg.errors.UnsafeNewEnumValueUsage:
                refused.add(case.name)
                conn.rollback()
                continue
            (conn.commit if case.name in KEPT else conn.rollback)()
    assert refused == {case.name for case in CASES if major in case.refused_by}


def test_every_error_is_a_case_every_version_refuses() -> None:
    assert all(case.refused_by == BOTH for case in CASES if case.reported == "error")
