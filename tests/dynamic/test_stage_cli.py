"""`checker check` / `checker verify` end to end: the real CLI in a subprocess, a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from checker.dynamic.engines import EngineOptions

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
DYNAMIC = "tests/fixtures/dynamic"
SCHEMA = json.loads((ROOT / "checker" / "schemas" / "report.schema.json").read_text())
ENGINE_ARGS = {"embedded": ["--engine", "embedded"], "local": ["--engine", "local", "--pg-version", "15"]}
ENGINE_OPTIONS = {"embedded": EngineOptions(), "local": EngineOptions(pg_version="15")}


def checker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def json_report(result: subprocess.CompletedProcess[str]) -> dict:
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    return report


@pytest.fixture(params=list(ENGINE_ARGS))
def engine(request: pytest.FixtureRequest) -> list[str]:
    require_engine(request.param, ENGINE_OPTIONS[request.param])
    return ENGINE_ARGS[request.param]


def test_check_of_the_project_sql_passes(engine: list[str]) -> None:
    result = checker("check", "sql/", *engine, "--format", "json")
    assert result.returncode == 0, result.stderr + result.stdout
    report = json_report(result)
    assert report["summary"]["error"] == 0, report["findings"]
    assert {f["stage"] for f in report["findings"]} <= {"static", "dynamic"}


def test_check_text_report_names_no_error() -> None:
    require_engine("embedded")
    result = checker("check", "sql/", "--engine", "embedded")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "0 error(s)" in result.stdout or "no problems" in result.stdout, result.stdout


def fixture_args(name: str) -> list[str]:
    return [
        "--baseline",
        "sql/baseline.sql",
        "--rollback",
        f"{DYNAMIC}/{name}_rollback.sql",
        f"{DYNAMIC}/{name}.sql",
    ]


@pytest.mark.parametrize(
    ("name", "rule", "text"),
    [
        ("rls_select_leak", "rls-probe", 'policy "gratitude_notes_select_all"'),
        ("drop_order_trap", "dynamic-rollback", "because other objects depend on it"),
        ("policy_unknown_column", "dynamic-apply", 'column "owner_id" does not exist'),
    ],
)
def test_verify_reports_the_defect_as_an_error(engine: list[str], name: str, rule: str, text: str) -> None:
    result = checker("verify", *fixture_args(name), *engine, "--format", "json")
    assert result.returncode == 1, result.stderr + result.stdout
    report = json_report(result)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert any(f["rule"] == rule and text in f["message"] for f in errors), errors
    assert all(f["stage"] == "dynamic" for f in report["findings"])


def test_missing_policy_is_a_warning_and_exits_zero() -> None:
    require_engine("embedded")
    result = checker(
        "verify", *fixture_args("rls_missing_commands"), "--engine", "embedded", "--format", "json"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    missing = [f for f in json_report(result)["findings"] if f["rule"] == "rls-missing-policy"]
    assert len(missing) == 3 and all(f["severity"] == "warning" for f in missing)


def test_unavailable_engine_is_one_line_and_exit_2() -> None:
    result = checker("verify", *fixture_args("rls_select_leak"), "--engine", "local", "--pg-version", "7")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
