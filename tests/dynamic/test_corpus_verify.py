"""Real Supabase projects verify as they deploy: `checker verify` on every corpus folder (runner mode,
rollbacks optional, the embedded engine), checked exactly against tests/corpus_expectations.toml.

A folder that is valid must apply file by file with no error-level finding from the checker's own
environment; a folder that is broken in itself stops at its first broken file, naming what is missing.
Every error-level finding carries a verdict there.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker

from .helpers import require_engine

CORPUS = REPO_ROOT.parent / "shared" / "corpus"
EXPECTATIONS = REPO_ROOT / "tests" / "corpus_expectations.toml"
SKIPPED = "validation, probes and rollback of this migration were skipped"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus folder at {CORPUS}"),
]


def _expected() -> dict[str, dict]:
    with EXPECTATIONS.open("rb") as handle:
        return {name: entry for name, entry in tomllib.load(handle)["folders"].items() if "dynamic" in entry}


@pytest.mark.parametrize("folder", sorted(_expected()))
def test_folder_verifies_as_expected(folder: str, runner_policy: Path, tmp_path: Path) -> None:
    require_engine("embedded")
    expected = _expected()[folder]
    code, out, err = run_checker(
        "verify", CORPUS / folder, "--config", runner_policy, "--engine", "embedded", "--format", "json",
        cwd=tmp_path,
    )
    assert_no_traceback(out, err)
    findings = json.loads(out)["findings"]
    dynamic = expected["dynamic"]
    counts = Counter(f"{f['rule']}/{f['severity']}" for f in findings)
    assert dict(counts) == dynamic["counts"], f"{folder}: {findings}"
    errors = [(Path(f["file"]).name, f["line"], f["rule"]) for f in findings if f["severity"] == "error"]
    assert errors == [(e["file"], e["line"], e["rule"]) for e in dynamic.get("errors", [])]
    stopped = [f for f in findings if f["rule"] == "dynamic-apply"]
    not_applied = sum(1 for f in stopped if SKIPPED in f["message"] or f["message"].startswith("not applied"))
    assert expected["files"] - not_applied == dynamic["applied"]
    assert code == (1 if errors else 0)
