"""Every rule's own bad and good examples, through the real CLI; and `checker rules` describing them.

The parametrisation reads the registry, so a new rule module is tested as soon as it exists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_no_traceback, run_checker, run_json

from checker.rules import Example, Rule, all_rules

RULES = all_rules()


def _ids(rule: Rule) -> set[str]:
    return {rule.id, *rule.extra_ids}


def _lint_example(example: Example, folder: Path) -> tuple[int, dict]:
    """Write the example's files and lint them with its policy, as a project would."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'example'\n", encoding="utf-8")
    migration = folder / "migration.sql"
    migration.write_text(example.migration, encoding="utf-8")
    args: list[str | Path] = ["lint", migration]
    if example.rollback is not None:
        rollback = folder / "rollback.sql"
        rollback.write_text(example.rollback, encoding="utf-8")
        args += ["--rollback", rollback]
    if example.baseline is not None:
        baseline = folder / "baseline.sql"
        baseline.write_text(example.baseline, encoding="utf-8")
        args += ["--baseline", baseline]
    if example.policy:
        policy = folder / "policy.json"
        policy.write_text(json.dumps(example.policy), encoding="utf-8")
        args += ["--config", policy]
    code, report, err = run_json(*args, cwd=folder)
    assert_no_traceback(json.dumps(report), err)
    return code, report


def test_registry_finds_rules() -> None:
    assert len(RULES) >= 4
    assert {"rls-enabled", "fk-order", "transaction-wrapper", "rollback-coverage"} <= {r.id for r in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_bad_example_is_caught(rule: Rule, tmp_path: Path) -> None:
    code, report = _lint_example(rule.bad, tmp_path / "bad")
    rules_found = [f["rule"] for f in report["findings"]]
    assert "syntax-error" not in rules_found, report
    assert _ids(rule) & set(rules_found), f"{rule.id}: bad example not caught: {report['findings']}"
    assert code in (0, 1)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_good_example_passes(rule: Rule, tmp_path: Path) -> None:
    code, report = _lint_example(rule.good, tmp_path / "good")
    rules_found = [f["rule"] for f in report["findings"]]
    assert "syntax-error" not in rules_found, report
    flagged = [f for f in report["findings"] if f["rule"] in _ids(rule)]
    assert not flagged, f"{rule.id}: good example flagged: {flagged}"
    assert code in (0, 1)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.rationale.strip(), f"{rule.id} has no rationale"
    assert rule.summary.strip(), f"{rule.id} has no summary"
    assert rule.bad.migration.strip() and rule.good.migration.strip()
    assert rule.bad != rule.good


def test_rule_ids_are_unique() -> None:
    every_id = [rule_id for rule in RULES for rule_id in (rule.id, *rule.extra_ids)]
    duplicates = sorted({i for i in every_id if every_id.count(i) > 1})
    assert not duplicates, f"ids used twice: {duplicates}"
    pipeline_ids = {"syntax-error", "unused-suppression", "invalid-suppression"}
    assert not pipeline_ids & set(every_id)


def test_rules_command_lists_every_id() -> None:
    code, out, err = run_checker("rules")
    assert code == 0, err
    listed = out.split()
    for rule in RULES:
        for rule_id in (rule.id, *rule.extra_ids):
            assert rule_id in listed or f"{rule_id}," in listed, f"`checker rules` misses {rule_id}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rules_command_describes_rule(rule: Rule) -> None:
    code, out, err = run_checker("rules", rule.id)
    assert code == 0, err
    assert rule.rationale in out
    assert rule.bad.migration.strip() in out
    assert rule.good.migration.strip() in out
    for sql in (rule.bad.rollback, rule.good.rollback):
        if sql:
            assert sql.strip() in out


def test_rules_command_accepts_extra_ids() -> None:
    for rule in RULES:
        for extra in rule.extra_ids:
            code, out, _ = run_checker("rules", extra)
            assert code == 0 and rule.rationale in out


def test_rules_command_unknown_id() -> None:
    code, out, err = run_checker("rules", "no-such-rule")
    assert code == 2
    assert "no-such-rule" in err
    assert_no_traceback(out, err)


EXAMPLES_WITH_CONTEXT = [rule for rule in RULES if any(e.baseline or e.policy for e in (rule.bad, rule.good))]


@pytest.mark.parametrize("rule", EXAMPLES_WITH_CONTEXT, ids=lambda r: r.id)
def test_rules_command_shows_what_an_example_runs_on(rule: Rule) -> None:
    """An example whose baseline (or policy) is hidden cannot be understood from `checker rules ID`."""
    _, out, _ = run_checker("rules", rule.id)
    for example in (rule.bad, rule.good):
        if example.baseline:
            assert example.baseline.strip() in out, f"{rule.id}: baseline not shown"
        for key in example.policy or {}:
            assert key in out, f"{rule.id}: policy key {key} not shown"
