"""supabase/roles.sql: the custom roles `supabase start` and `db reset` create before the migrations,
and role management where this machine's server cannot verify it (before PostgreSQL 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker

from checker.context import MigrationUnit
from checker.dynamic.capabilities import Needs
from checker.dynamic.engines import EngineOptions, open_engine
from checker.dynamic.history import History
from checker.parse import parse_source
from checker.policy import default_policy
from checker.source import SourceFile

from .helpers import require_engine

pytestmark = pytest.mark.postgres

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "supabase_project"
ROLES = "-- the project's own roles\ncreate role reporting nologin;\ngrant reporting to authenticator;\n"
GRANT_TO_CUSTOM_ROLE = "grant select on public.profiles to reporting;\n"
MIGRATION = "supabase/migrations/20240103000000_reporting.sql"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    (root / MIGRATION).write_text(GRANT_TO_CUSTOM_ROLE)
    return root


def verify(project: Path, *options: str) -> tuple[int, dict, str]:
    code, out, err = run_checker("verify", "--format", "json", *options, cwd=project)
    assert_no_traceback(out, err)
    return code, json.loads(out), err


def problems(report: dict) -> list[tuple[str, str, str, int]]:
    return [
        (f["rule"], f["severity"], f["file"], f["line"])
        for f in report["findings"]
        if f["severity"] != "info"
    ]


def test_the_roles_file_runs_before_the_migrations(project: Path) -> None:
    require_engine("embedded")
    code, report, _ = verify(project, "--engine", "embedded")
    assert problems(report) == [
        ("dynamic-apply", "error", "supabase/migrations/20240103000000_reporting.sql", 1)
    ]
    assert 'role "reporting" does not exist' in report["findings"][-1]["message"]

    (project / "supabase" / "roles.sql").write_text(ROLES)
    code, report, _ = verify(project, "--engine", "embedded")
    assert (code, problems(report)) == (0, [])
    assert [m["status"] for m in report["verification"]["migrations"]] == ["applied"] * 3


def test_a_roles_file_that_fails_stops_the_run_at_its_statement(project: Path) -> None:
    require_engine("embedded")
    (project / "supabase" / "roles.sql").write_text(ROLES + "alter role anon with login;\n")
    code, report, _ = verify(project, "--engine", "embedded")
    assert code == 1
    assert problems(report) == [("dynamic-baseline", "error", "supabase/roles.sql", 4)]
    (finding,) = [f for f in report["findings"] if f["rule"] == "dynamic-baseline"]
    assert "Supabase reserves that role" in finding["message"]
    assert "the roles file does not apply" in finding["message"]


def test_before_postgresql_16_role_management_is_not_verified_never_blamed(project: Path) -> None:
    require_engine("local", EngineOptions(pg_version="15"))
    (project / "supabase" / "roles.sql").write_text(ROLES)
    code, report, _ = verify(project, "--engine", "local", "--pg-version", "15")
    assert code == 2
    assert problems(report) == [
        ("dynamic-not-verified", "error", "supabase/roles.sql", 2),
        ("dynamic-not-verified", "error", "supabase/roles.sql", 3),
    ]
    messages = [f["message"] for f in report["findings"] if f["file"] == "supabase/roles.sql"]
    assert "not verified: CREATE ROLE cannot be verified on this PostgreSQL 15 server" in messages[0]

    (project / "supabase" / "roles.sql").unlink()
    (project / MIGRATION).write_text("create role reporting nologin;\n" + GRANT_TO_CUSTOM_ROLE)
    code, report, _ = verify(project, "--engine", "local", "--pg-version", "15")
    assert code == 2
    assert problems(report) == [
        ("dynamic-not-verified", "error", "supabase/migrations/20240103000000_reporting.sql", 1)
    ]
    assert [m["status"] for m in report["verification"]["migrations"]] == [
        "applied",
        "applied",
        "not verified",
    ]


def test_config_major_15_gives_way_when_the_project_manages_roles(project: Path) -> None:
    """config.toml says major_version = 15; with roles to create, auto runs where they can be verified."""
    require_engine("embedded")
    require_engine("local", EngineOptions(pg_version="15"))
    code, report, _ = verify(project)
    assert report["verification"]["engine"] == "local"  # config.toml's major when nothing stands against it
    (project / "supabase" / "roles.sql").write_text(ROLES)
    code, report, err = verify(project, "--progress")
    assert (code, problems(report)) == (0, [])
    assert report["verification"]["engine"] == "embedded"
    assert "major_version 15 not used: the migrations need what no PostgreSQL 15 here has" in err
    assert "(role management)" in err


def test_auto_prefers_an_engine_where_roles_can_be_managed() -> None:
    require_engine("local", EngineOptions(pg_version="15"))
    postgis = frozenset({"postgis"})
    assert open_engine("auto", EngineOptions(), Needs(postgis)).name == "local"  # only Debian's 15 has it
    assert open_engine("auto", EngineOptions(), Needs(postgis, manages_roles=True)).name == "embedded"


def test_the_roles_file_is_part_of_the_history_key(tmp_path: Path) -> None:
    roles = tmp_path / "roles.sql"
    roles.write_text(ROLES)
    policy = default_policy()
    policy.data["roles_file"] = str(roles)
    unit = MigrationUnit(parse_source(SourceFile("m.sql", GRANT_TO_CUSTOM_ROLE)))
    engine = SimpleNamespace(seeded_key="seeded")  # state_key reads only the seeded cluster's key
    before = History([unit], [], policy).state_key(engine)
    roles.write_text(ROLES + "create role auditor nologin;\n")
    assert History([unit], [], policy).state_key(engine) != before
