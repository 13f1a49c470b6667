"""The policy as code: --config FILE (TOML or JSON) or [tool.checker] extends the default policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_json

MIGRATION = """\
begin;
create table public.audit (id bigint primary key);
create table api.items (id bigint primary key);
commit;
"""


@pytest.fixture
def project(isolated: Path) -> Path:
    (isolated / "m.sql").write_text(MIGRATION, encoding="utf-8")
    return isolated


def _write_policy(folder: Path, name: str, data: dict) -> Path:
    """The same policy as JSON, or as TOML written by hand (tomllib cannot write)."""
    path = folder / name
    if name.endswith(".json"):
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(_toml(data), encoding="utf-8")
    return path


def _toml(data: dict) -> str:
    lines, tables = [], []
    for key, value in data.items():
        if key == "rules":
            for rule, settings in value.items():
                tables.append(
                    f"[rules.{rule}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
                )
        elif key == "exemptions":
            for item in value:
                tables.append(
                    "[[exemptions]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in item.items())
                )
        else:
            lines.append(f"{key} = {json.dumps(value)}\n")
    return "".join(lines) + "\n".join(tables)


def _findings(project: Path, *args: str) -> tuple[int, set[tuple[str, str, int]]]:
    code, report, err = run_json("lint", "m.sql", *args, cwd=project)
    assert code in (0, 1), err
    return code, {(f["rule"], f["severity"], f["line"]) for f in report["findings"]}


def test_default_policy(project: Path) -> None:
    assert _findings(project) == (1, {("rls-enabled", "error", 2)})


@pytest.mark.parametrize("name", ["policy.toml", "policy.json"])
def test_severity_change_to_warning_passes_the_gate(project: Path, name: str) -> None:
    _write_policy(project, name, {"rules": {"rls-enabled": {"severity": "warning"}}})
    assert _findings(project, "--config", name) == (0, {("rls-enabled", "warning", 2)})


@pytest.mark.parametrize("name", ["policy.toml", "policy.json"])
def test_off_disables_a_rule(project: Path, name: str) -> None:
    _write_policy(project, name, {"rules": {"rls-enabled": {"severity": "off"}}})
    assert _findings(project, "--config", name) == (0, set())


def test_off_for_one_id_keeps_the_other(project: Path) -> None:
    (project / "m.sql").write_text(
        "begin;\ncreate table public.a (id int primary key);\n"
        "create table public.b (id int primary key);\n"
        "alter table public.b enable row level security;\ncommit;\n",
        encoding="utf-8",
    )
    _write_policy(project, "p.json", {"rules": {"rls-enabled": {"severity": "off"}}})
    assert _findings(project, "--config", "p.json") == (0, {("rls-no-policy", "warning", 3)})
    _write_policy(project, "p.json", {"rules": {"rls-no-policy": {"severity": "off"}}})
    assert _findings(project, "--config", "p.json") == (1, {("rls-enabled", "error", 2)})


@pytest.mark.parametrize("name", ["policy.toml", "policy.json"])
def test_exemption_removes_the_finding_for_that_object(project: Path, name: str) -> None:
    exemption = {"rule": "rls-enabled", "object": "public.audit", "reason": "written by a trigger only"}
    _write_policy(project, name, {"exposed_schemas": ["public", "api"], "exemptions": [exemption]})
    assert _findings(project, "--config", name) == (1, {("rls-enabled", "error", 3)})


def test_exemption_is_for_its_rule_only(project: Path) -> None:
    exemption = {"rule": "fk-order", "object": "public.audit", "reason": "wrong rule on purpose"}
    _write_policy(project, "p.json", {"exemptions": [exemption]})
    assert _findings(project, "--config", "p.json") == (1, {("rls-enabled", "error", 2)})


@pytest.mark.parametrize(
    ("schemas", "expected"),
    [
        (["public", "api"], {("rls-enabled", "error", 2), ("rls-enabled", "error", 3)}),
        (["api"], {("rls-enabled", "error", 3)}),
        ([], set()),
    ],
)
def test_exposed_schemas(project: Path, schemas: list[str], expected: set) -> None:
    _write_policy(project, "p.toml", {"exposed_schemas": schemas})
    assert _findings(project, "--config", "p.toml") == (1 if expected else 0, expected)


def test_transaction_runner(project: Path) -> None:
    (project / "m.sql").write_text("select 1;\nselect 2;\n", encoding="utf-8")
    code, found = _findings(project)
    assert code == 1 and {rule for rule, _, _ in found} == {"transaction-wrapper"}
    _write_policy(project, "p.toml", {"transaction": "runner"})
    assert _findings(project, "--config", "p.toml") == (0, set())


def test_rollback_required(project: Path) -> None:
    _write_policy(project, "p.toml", {"rollback": "required", "exposed_schemas": []})
    code, found = _findings(project, "--config", "p.toml")
    assert code == 1 and {rule for rule, _, _ in found} == {"rollback-coverage"}


def _pyproject(folder: Path, table: str) -> None:
    (folder / "pyproject.toml").write_text(
        f"[project]\nname = 'app'\n\n[tool.checker]\n{table}", encoding="utf-8"
    )


def test_pyproject_found_from_the_current_directory_upward(isolated: Path) -> None:
    _pyproject(isolated, '[tool.checker.rules.rls-enabled]\nseverity = "warning"\n')
    deeper = isolated / "db" / "migrations"  # not supabase/migrations: the CLI's layout would skip m.sql
    deeper.mkdir(parents=True)
    (deeper / "m.sql").write_text(MIGRATION, encoding="utf-8")
    code, report, _ = run_json("lint", "m.sql", cwd=deeper)
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("rls-enabled", "warning")]


def test_pyproject_paths_are_relative_to_it(isolated: Path) -> None:
    """A baseline named in [tool.checker] is found from a subfolder too."""
    _pyproject(isolated, 'baseline = ["db/base.sql"]\n')
    db = isolated / "db"
    db.mkdir()
    (db / "base.sql").write_text("create table public.users (id uuid primary key);\n", encoding="utf-8")
    (db / "m.sql").write_text(
        "begin;\ncreate table public.notes (id uuid primary key, user_id uuid references public.users);\n"
        "alter table public.notes enable row level security;\n"
        "create policy notes_read on public.notes for select to authenticated using (true);\ncommit;\n",
        encoding="utf-8",
    )
    _, report, err = run_json("lint", "m.sql", cwd=db)
    assert report["summary"]["files"] == 2, err
    assert "fk-order" not in {f["rule"] for f in report["findings"]}
    (isolated / "pyproject.toml").write_text("[project]\nname = 'app'\n", encoding="utf-8")
    code, report, _ = run_json("lint", "m.sql", cwd=db)
    assert code == 1 and report["summary"]["files"] == 1
    assert "fk-order" in {f["rule"] for f in report["findings"]}


def test_config_wins_over_pyproject(isolated: Path) -> None:
    _pyproject(isolated, '[tool.checker.rules.rls-enabled]\nseverity = "off"\n')
    (isolated / "m.sql").write_text(MIGRATION, encoding="utf-8")
    assert _findings(isolated) == (0, set())
    _write_policy(isolated, "strict.toml", {"rollback": "optional"})
    assert _findings(isolated, "--config", "strict.toml") == (1, {("rls-enabled", "error", 2)})


def test_config_may_be_a_pyproject(isolated: Path) -> None:
    other = isolated / "other"
    other.mkdir()
    _pyproject(other, '[tool.checker.rules.rls-enabled]\nseverity = "info"\n')
    (isolated / "m.sql").write_text(MIGRATION, encoding="utf-8")
    assert _findings(isolated, "--config", "other/pyproject.toml") == (0, {("rls-enabled", "info", 2)})


def test_repository_policy_pairs_rollbacks_and_baseline(repo_root: Path) -> None:
    """The project's own [tool.checker] adds sql/baseline.sql and pairs connect_schema with its rollback."""
    code, report, _ = run_json("lint", "sql/connect_schema.sql", cwd=repo_root)
    assert (code, report["findings"], report["summary"]["files"]) == (0, [], 3)
    # Under the bare default policy there is no baseline: public.users is unknown.
    code, report, _ = run_json(
        "lint", "sql/connect_schema.sql", "--config", "rules/default.toml", cwd=repo_root
    )
    assert code == 1 and report["summary"]["files"] == 1
    assert {f["rule"] for f in report["findings"]} == {"fk-order"}


def test_rls_tenancy_statements_are_read(isolated: Path) -> None:
    from checker.policy import load_policy

    (isolated / "policy.toml").write_text(
        '[rls.tenancy]\n"public.tasks" = "via:project_id"\n"public.audit" = "service_only"\n'
        '"public.teams" = "group:public.team_members"\n"public.notes" = "user:owner_id,editor_id"\n',
        encoding="utf-8",
    )
    policy = load_policy(str(isolated / "policy.toml"))
    assert policy.tenancy == {
        "public.tasks": "via:project_id",
        "public.audit": "service_only",
        "public.teams": "group:public.team_members",
        "public.notes": "user:owner_id,editor_id",
    }
