"""The advisor step on real PostgreSQL: what Supabase's database advisor would report, found in the
catalog after each migration, for objects made by dynamic SQL in DO blocks too; reported once with
the static stage."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import REPO_ROOT, run_json

from checker.dynamic.advisor import conditions
from checker.dynamic.engines import EngineOptions
from checker.dynamic.seed import apply_seed
from checker.policy import default_policy

from .helpers import require_engine

pytestmark = pytest.mark.postgres

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "advisor"
ENGINES = {"embedded": EngineOptions(), "local": EngineOptions(pg_version="15")}
# What the bad fixture's DO block makes, by the id it is reported under (splinter's lint in the comment).
CAUGHT = {
    "index-duplicate",  # 0009
    "rls-policy-auth-null",  # policies true when auth.uid() is null
    "materialized-view-in-api",  # 0016
    "column-reg-type",  # 0018
    "queue-exposed-in-api",  # 0019
    "fk-auth-unique",  # 0021
    "sensitive-columns-exposed",  # 0023
    "storage-bucket-listing",  # 0025
    "graphql-table-exposed",  # 0026, 0027
    "function-definer-exposed",  # 0028, 0029
    "rls-enabled",  # 0013
}


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    require_engine(request.param, ENGINES[request.param])
    return request.param


def verify(folder: Path, engine: str, command: str = "verify") -> list[dict]:
    code, report, err = run_json(command, folder, "--engine", engine, *_pg_version(engine), cwd=FIXTURES)
    assert code in (0, 1), err
    return report["findings"]


def _pg_version(engine: str) -> list[str]:
    return ["--pg-version", "15"] if engine == "local" else []


def test_bad_fixture_is_caught_in_the_catalog(engine: str) -> None:
    findings = verify(FIXTURES / "bad", engine)
    assert {f["rule"] for f in findings} >= CAUGHT
    lint = {f["rule"] for f in run_json("lint", FIXTURES / "bad", cwd=FIXTURES)[1]["findings"]}
    assert not lint & (CAUGHT - {"graphql-table-exposed"}), "the DO block hides these from the static stage"
    for finding in findings:
        if finding["rule"] in CAUGHT:
            assert finding["stage"] == "dynamic", finding
    names = {(f["rule"], f["message"].split(":")[0]) for f in findings}
    assert (
        "rls-policy-auth-null",
        'policy "peek" on public.posts is true whenever auth.uid() is null',
    ) in names
    assert any("public.wipe()" in f["message"] for f in findings if f["rule"] == "function-definer-exposed")


def test_good_fixture_passes_clean(engine: str) -> None:
    findings = verify(FIXTURES / "good", engine)
    reported = [f for f in findings if f["rule"] in CAUGHT and f["rule"] != "graphql-table-exposed"]
    assert not reported, reported
    assert all(f["severity"] != "error" for f in findings), findings


STATIC_AND_CATALOG = (
    "create table public.posts (id bigint primary key, author_id uuid);\n"
    "alter table public.posts enable row level security;\n"
    'create policy "read" on public.posts for select to anon, authenticated\n'
    "  using (auth.uid() is null or author_id = (select auth.uid()));\n"
    "create function public.purge_account(target uuid) returns void\n"
    "  language plpgsql security definer set search_path = ''\n"
    "  as $$ begin delete from public.posts where author_id = target; end $$;\n"
    "-- checker-ignore materialized-view-in-api: refreshed for the public leaderboard page\n"
    "create materialized view public.leaderboard as select count(*) as n from public.posts;\n"
)


@pytest.fixture
def both(tmp_path: Path) -> Path:
    folder = tmp_path / "both"
    folder.mkdir()
    shutil.copy(FIXTURES / "pyproject.toml", tmp_path / "pyproject.toml")
    (folder / "20240101000000_both.sql").write_text(STATIC_AND_CATALOG, encoding="utf-8")
    return folder


def test_found_by_both_stages_is_reported_once_at_the_static_location(both: Path) -> None:
    require_engine("embedded")
    checked = run_json("check", both, "--engine", "embedded", cwd=both.parent)[1]["findings"]
    for rule, line in (("rls-policy-auth-null", 4), ("function-definer-exposed", 5)):
        found = [f for f in checked if f["rule"] == rule]
        assert [(f["stage"], f["line"]) for f in found] == [("static", line)], found
        verified = [f for f in verify(both, "embedded") if f["rule"] == rule]
        assert [(f["stage"], f["line"], f["column"]) for f in verified] == [
            ("dynamic", found[0]["line"], found[0]["column"])
        ]
    assert "materialized-view-in-api" not in {f["rule"] for f in checked}, "suppressed in both stages"


@pytest.fixture
def seeded() -> Iterator[psycopg.Connection]:
    with require_engine("embedded") as uri, psycopg.connect(uri, autocommit=True) as conn:
        apply_seed(conn)
        yield conn


def test_invalid_index_left_by_a_failed_concurrent_build(seeded: psycopg.Connection) -> None:
    seeded.execute("create table public.pairs (a int); insert into public.pairs values (1), (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        seeded.execute("create unique index concurrently pairs_a_key on public.pairs (a)")
    found = conditions(seeded, default_policy())
    assert ("index-invalid", "public.pairs.pairs_a_key") in found
    assert found["index-invalid", "public.pairs.pairs_a_key"].severity == "warning"


def test_graphql_lists_what_the_api_roles_can_read(seeded: psycopg.Connection) -> None:
    seeded.execute("create table public.listed (id int); create table public.hidden (id int)")
    seeded.execute("revoke all on public.hidden from anon, authenticated")
    seeded.execute("grant select (id) on public.hidden to authenticated")  # one column is enough
    found = conditions(seeded, default_policy())
    assert "anon and authenticated" in found["graphql-table-exposed", "public.listed"].message
    assert "for authenticated:" in found["graphql-table-exposed", "public.hidden"].message


def test_foreign_table_in_an_exposed_schema(seeded: psycopg.Connection) -> None:
    offered = seeded.execute("select 1 from pg_available_extensions where name = 'postgres_fdw'").fetchone()
    if offered is None:
        pytest.skip("postgres_fdw is not available on this server")
    seeded.execute("create extension postgres_fdw; create server elsewhere foreign data wrapper postgres_fdw")
    seeded.execute("create foreign table public.remote (id int) server elsewhere")
    seeded.execute("create foreign table public.hidden (id int) server elsewhere")
    seeded.execute("revoke all on public.hidden from anon, authenticated")
    found = conditions(seeded, default_policy())
    assert ("foreign-table-in-api", "public.remote") in found
    assert ("foreign-table-in-api", "public.hidden") not in found


def test_a_table_whose_privileges_the_api_roles_lost_is_exposed_to_nobody(seeded: psycopg.Connection) -> None:
    """OnlineStore's admin_domains: no row level security, every privilege of anon and authenticated
    revoked. Supabase's advisor asks has_table_privilege (0013 since 2026); so does this one."""
    seeded.execute("create table public.admin_domains (domain text primary key)")
    seeded.execute("revoke all on public.admin_domains from anon, authenticated")
    assert ("rls-enabled", "public.admin_domains") not in conditions(seeded, default_policy())
    seeded.execute("grant insert on public.admin_domains to anon")
    assert ("rls-enabled", "public.admin_domains") in conditions(seeded, default_policy())


def test_a_schema_the_api_roles_cannot_use_exposes_none_of_its_relations(seeded: psycopg.Connection) -> None:
    """hivecom lists its private schema among the API's schemas and revokes USAGE on it from anon and
    authenticated: PostgREST and pg_graphql reach none of its relations, whatever their grants, and the
    static rls-enabled is silent there. The advisor reported private.kvstore without row level security."""
    policy = default_policy()
    policy.data["exposed_schemas"] = ["public", "private"]
    seeded.execute(
        "create schema private; create table private.kvstore (key text primary key, api_key text);"
        "create materialized view private.totals as select count(*) from private.kvstore;"
        "grant select on all tables in schema private to anon, authenticated;"
        "revoke usage on schema private from anon, authenticated"
    )
    exposing = {
        "rls-enabled",
        "sensitive-columns-exposed",
        "materialized-view-in-api",
        "graphql-table-exposed",
    }
    assert not [key for key in conditions(seeded, policy) if key[0] in exposing]
    seeded.execute("grant usage on schema private to authenticated")
    assert {key for key in conditions(seeded, policy) if key[0] in exposing} == {
        ("rls-enabled", "private.kvstore"),
        ("sensitive-columns-exposed", "private.kvstore"),
        ("materialized-view-in-api", "private.totals"),
        ("graphql-table-exposed", "private.kvstore"),
        ("graphql-table-exposed", "private.totals"),
    }


def test_definer_function_named_by_its_argument_types(seeded: psycopg.Connection) -> None:
    """As the static rule names it, so that an exemption covers both stages."""
    seeded.execute(
        "create function public.purge(target uuid, reason varchar) returns void language sql "
        "security definer set search_path = '' as 'select 1'"
    )
    found = conditions(seeded, default_policy())["function-definer-exposed", "public.purge"]
    assert found.object_name == "public.purge(uuid, character varying)"
