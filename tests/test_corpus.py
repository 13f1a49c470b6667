"""Real public Supabase migration folders, linted as a new user would: no crash, located syntax errors.

The corpus sits in shared/ beside the repository (`<repo>/../shared/corpus`); its files are never edited,
changed copies are made in a temporary directory.
"""

from __future__ import annotations

import csv
import functools
import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker

CORPUS = REPO_ROOT.parent / "shared" / "corpus"
EXPECTATIONS = Path(__file__).with_name("corpus_expectations.toml")
VERDICTS = ("true positive", "false positive")
SAMPLE_SIZE = 30
BAD_LINE = "selec 1;\n"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus folder at {CORPUS}")


def _folders() -> list[dict]:
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        return list(csv.DictReader(manifest, delimiter="\t"))


def _sample() -> list[Path]:
    """Files from every folder, spread evenly and in a fixed order, so a failure names the same file again."""
    rows = _folders()
    per_folder = -(-SAMPLE_SIZE // max(1, len(rows)))
    sample = []
    for row in rows:
        files = sorted((CORPUS / row["dir"]).glob("*.sql"))
        step = max(1, len(files) // per_folder)
        sample.extend(files[::step][:per_folder])
    return sample


def _lint(target: Path, policy: Path, cwd: Path) -> tuple[int, dict]:
    code, out, err = run_checker("lint", target, "--config", policy, "--format", "json", cwd=cwd)
    assert_no_traceback(out, err)
    assert code in (0, 1, 2), f"{target}: exit {code} (3 is an internal error): {err}"
    if code == 2 and not out.strip():
        pytest.fail(f"{target}: exit 2 without a report: {err}")
    assert code == 2 or err == "", err
    return code, json.loads(out)


def _assert_syntax_errors_located(report: dict) -> None:
    for finding in report["findings"]:
        if finding["rule"] != "syntax-error":
            continue
        path = Path(finding["file"])
        assert path.is_file(), finding
        lines = path.read_text(encoding="utf-8").split("\n")
        assert finding["line"] in range(1, len(lines) + 1), finding
        assert finding["column"] in range(1, len(lines[finding["line"] - 1]) + 2), finding


def test_manifest_matches_the_folders() -> None:
    rows = _folders()
    assert len(rows) >= 5
    for row in rows:
        assert len(list((CORPUS / row["dir"]).glob("*.sql"))) == int(row["files"]), row["dir"]


@pytest.mark.parametrize("row", _folders(), ids=lambda row: row["dir"])
def test_folder(row: dict, runner_policy: Path, tmp_path: Path) -> None:
    folder = CORPUS / row["dir"]
    code, report = _lint(folder, runner_policy, tmp_path)
    assert report["summary"]["files"] == int(row["files"])
    _assert_syntax_errors_located(report)
    has_syntax_error = any(f["rule"] == "syntax-error" for f in report["findings"])
    assert (code == 2) == has_syntax_error
    for finding in report["findings"]:
        assert Path(finding["file"]).parent == folder, finding
        assert finding["line"] >= 1 and finding["column"] >= 1
    _assert_expected(row["dir"], report)


def _expectations() -> dict:
    with EXPECTATIONS.open("rb") as fh:
        return tomllib.load(fh)["folders"]


def _assert_expected(folder: str, report: dict) -> None:
    """Precision is measured: every finding count per rule, and each error with its judged verdict."""
    expected = _expectations()[folder]
    counts = Counter(finding["rule"] for finding in report["findings"])
    assert dict(sorted(counts.items())) == expected["counts"], folder
    errors = sorted(
        (Path(f["file"]).name, f["line"], f["rule"]) for f in report["findings"] if f["severity"] == "error"
    )
    listed = expected.get("errors", [])
    assert errors == sorted((e["file"], e["line"], e["rule"]) for e in listed), folder


def test_every_expected_error_has_a_verdict() -> None:
    folders = _expectations()
    assert set(folders) == {row["dir"] for row in _folders()}
    for folder, expected in folders.items():
        for error in expected.get("errors", []):
            assert error["verdict"] in VERDICTS and error["why"].strip(), (folder, error)


@functools.cache
def _folder_findings(folder: Path, policy: Path, cwd: Path) -> list[dict]:
    return _lint(folder, policy, cwd)[1]["findings"]


@pytest.mark.parametrize("path", _sample(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_single_file_is_checked_as_in_its_folder(path: Path, runner_policy: Path, tmp_path_factory) -> None:
    """A file named alone (a pre-commit hook's staged file) is checked on the migrations before it:
    it reports exactly what the whole folder's run reports about it."""
    cwd = tmp_path_factory.getbasetemp()
    _, report = _lint(path, runner_policy, cwd)
    _assert_syntax_errors_located(report)
    assert {f["file"] for f in report["findings"]} <= {str(path)}
    in_folder = [f for f in _folder_findings(path.parent, runner_policy, cwd) if f["file"] == str(path)]
    assert report["findings"] == in_folder


@pytest.mark.parametrize("path", _sample(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_broken_copy_reports_the_line(path: Path, runner_policy: Path, tmp_path: Path) -> None:
    """A real file with a bad statement appended: the error is found on the line it was added at."""
    text = path.read_text(encoding="utf-8") + "\n;\n"
    broken = tmp_path / path.name
    broken.write_text(text + BAD_LINE, encoding="utf-8")
    code, report = _lint(broken, runner_policy, tmp_path)
    assert code == 2
    (finding,) = report["findings"]
    assert finding["rule"] == "syntax-error"
    assert (finding["line"], finding["column"]) == (text.count("\n") + 1, 1)
    assert finding["message"] == 'syntax error at or near "selec"'
    code, out, err = run_checker("lint", broken, "--config", runner_policy, cwd=tmp_path)
    assert code == 2
    assert_no_traceback(out, err)
