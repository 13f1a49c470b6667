"""The verification record in every format, from the real CLI on a real PostgreSQL: snapshots of the
text, Markdown and JSON records on sql/ and on a folder whose second migration fails; the JSON
against the report schema, the JUnit XML against tests/junit.xsd."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from .helpers import require_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "snapshots"
SCHEMA = json.loads((ROOT / "checker" / "schemas" / "report.schema.json").read_text())
JUNIT_XSD = ROOT / "tests" / "junit.xsd"
FAILING = "tests/fixtures/failing_folder"
RUNS = {
    "sql": ["sql/"],
    "failing": [FAILING, "--config", f"{FAILING}/policy.toml"],
}
# What differs between machines and runs: durations, the server's minor version, the seed's digest.
_VOLATILE = [
    (re.compile(r"\d+\.\d{3} s\b"), "N s"),
    (re.compile(r"PostgreSQL 18\.\d+"), "PostgreSQL 18.x"),
    (re.compile(r"sha256 [0-9a-f]{12}"), "sha256 DIGEST"),
]


def run(fmt: str, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["check", *RUNS[target], "--engine", "embedded", "--format", fmt, *extra]
    return subprocess.run(
        [sys.executable, "-m", "checker", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def stable(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def stable_json(report: dict) -> str:
    verification = report["verification"]
    verification["server_version"] = "18.x"
    verification["seed"] = stable(verification["seed"])
    for migration in verification["migrations"]:
        migration["seconds"] = 0
    report["tool"]["version"] = "X"
    return json.dumps(report, indent=2) + "\n"


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME; CHECKER_UPDATE_SNAPSHOTS=1 rewrites it (review the diff)."""
    path = SNAPSHOTS / name
    if os.environ.get("CHECKER_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; see the diff"


@pytest.fixture(autouse=True)
def embedded() -> None:
    require_engine("embedded")


@pytest.mark.parametrize("target,code", [("sql", 0), ("failing", 1)])
def test_text_record(target: str, code: int) -> None:
    done = run("text", target)
    assert done.returncode == code, done.stderr
    assert done.stderr == ""  # no progress on stderr unless a terminal or --progress
    assert_snapshot(f"verification_{target}.txt", stable(done.stdout))


@pytest.mark.parametrize("target,code", [("sql", 0), ("failing", 1)])
def test_markdown_record(target: str, code: int) -> None:
    done = run("markdown", target)
    assert done.returncode == code, done.stderr
    assert_snapshot(f"verification_{target}.md", stable(done.stdout))


@pytest.mark.parametrize("target,code", [("sql", 0), ("failing", 1)])
def test_json_record_validates(target: str, code: int) -> None:
    done = run("json", target)
    assert done.returncode == code, done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["version"] == "1.1"
    assert_snapshot(f"verification_{target}.json", stable_json(report))


def test_failing_record_says_what_happened() -> None:
    migrations = json.loads(run("json", "failing").stdout)["verification"]["migrations"]
    notes, tags, archive = migrations
    assert notes["status"] == "applied" and notes["rollback"]["status"] == "differences"
    assert notes["rollback"]["differences"] == ["function public.note_count() left behind"]
    assert notes["reapply"] == "failed"
    leak = [p for p in notes["probes"] if not p["expected"]]
    assert leak == [
        {
            "table": "public.notes",
            "actor": "authenticated (user A)",
            "command": "SELECT",
            "rows": "others'",
            "outcome": "allowed",
            "expected": False,
        },
        {  # a signed-in user owning nothing reads them too
            "table": "public.notes",
            "actor": "authenticated (user D)",
            "command": "SELECT",
            "rows": "any",
            "outcome": "allowed",
            "expected": False,
        },
    ]
    assert tags["status"] == "failed" and tags["statements"] == 4
    assert archive["status"] == "not applied"


def test_sarif_carries_the_record_in_run_properties() -> None:
    sarif = json.loads(run("sarif", "sql").stdout)
    verification = sarif["runs"][0]["properties"]["verification"]
    assert verification["engine"] == "embedded"
    assert [m["status"] for m in verification["migrations"]] == ["applied", "applied"]


@pytest.mark.parametrize("target", ["sql", "failing"])
def test_junit_validates(target: str) -> None:
    done = run("junit", target)
    xmlschema.XMLSchema(JUNIT_XSD).validate(done.stdout)
    suites = xmlschema.XMLSchema(JUNIT_XSD).to_dict(done.stdout)
    cases = {(s["@name"], c["@name"]): c for s in suites["testsuite"] for c in s["testcase"]}
    if target == "sql":
        assert ("checker dynamic", "sql/connect_schema.sql") in cases
        assert not any("failure" in c for c in cases.values())
        return
    assert "failure" in cases[("checker dynamic", f"{FAILING}/0002_tags.sql")]
    assert "skipped" in cases[("checker dynamic", f"{FAILING}/0003_archive.sql")]
    assert "failure" in cases[("checker static", f"{FAILING}/0001_notes.sql")]
