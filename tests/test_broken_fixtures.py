"""The broken copies of the Connect files: each is caught at the line its manifest names; sql/ passes."""

from __future__ import annotations

import difflib
import tomllib

import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker, run_json

MANIFEST = REPO_ROOT / "tests" / "fixtures" / "broken" / "manifest.toml"
CASES = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["case"]
MIGRATION_LINE_RULES = {"rls-enabled", "fk-order", "transaction-wrapper"}


def _expected_file(case: dict) -> str:
    """Which file the manifest's line is in (see the manifest's header)."""
    if case["rule"] in MIGRATION_LINE_RULES:
        return case["migration"]
    # rollback-coverage: a missing drop points at the create it leaves uncovered (in the migration);
    # a bad drop order or a foreign drop points into the rollback
    return case["migration"] if case["name"].startswith("rollback-missing") else case["rollback"]


def test_manifest_has_cases() -> None:
    assert len(CASES) >= 6
    for case in CASES:
        for key in ("migration", "rollback", "baseline"):
            assert (REPO_ROOT / case[key]).is_file(), f"{case['name']}: {case[key]} missing"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_broken_case_is_caught(case: dict) -> None:
    code, report, err = run_json(
        "lint",
        case["migration"],
        "--rollback",
        case["rollback"],
        "--baseline",
        case["baseline"],
        cwd=REPO_ROOT,
    )
    assert code == 1, f"{case['name']}: exit {code}; {err}"
    hits = [f for f in report["findings"] if f["rule"] == case["rule"]]
    assert hits, f"{case['name']}: no {case['rule']} finding in {report['findings']}"
    where = {(f["file"], f["line"]) for f in hits}
    assert (_expected_file(case), case["line"]) in where, f"{case['name']}: {case['rule']} found at {where}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_broken_case_text_names_file_and_line(case: dict) -> None:
    code, out, err = run_checker(
        "lint", case["migration"], "--rollback", case["rollback"], "--baseline", case["baseline"]
    )
    assert code == 1
    assert_no_traceback(out, err)
    assert _expected_file(case) in out
    assert f"  {case['line']}:" in out and case["rule"] in out


def test_project_sql_passes_with_its_own_policy() -> None:
    code, out, err = run_checker("lint", "sql/", cwd=REPO_ROOT)
    assert code == 0, out + err
    assert_no_traceback(out, err)
    assert "no problems" in out
    code, report, _ = run_json("lint", "sql/", cwd=REPO_ROOT)
    assert code == 0 and report["findings"] == []
    assert report["summary"]["files"] >= 4  # migrations, their rollbacks and the baseline


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_broken_copy_differs_from_the_real_file_only_by_its_defect(case: dict) -> None:
    """The copies must follow sql/: when a real file changes, its broken copies must be made again."""
    real = (REPO_ROOT / case["copy_of"]).read_text(encoding="utf-8").splitlines()
    copy = (REPO_ROOT / case["copy"]).read_text(encoding="utf-8").splitlines()
    changed = [
        line
        for line in difflib.unified_diff(real, copy, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == case["changed_lines"], "\n".join(changed)
