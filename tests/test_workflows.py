"""The CI files are valid: GitHub workflows and the action against GitHub's schemas
(as vendored by check-jsonschema), the pre-commit hook and the compose file by shape."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
SCHEMA_PACKAGE = "check_jsonschema.builtin_schemas.vendor"


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader whose booleans are YAML 1.2's (true/false): GitHub reads `on:` as a key."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)


@cache
def vendored_schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files(SCHEMA_PACKAGE).joinpath(name).read_text(encoding="utf-8"))


def schema_errors(document: Any, schema_name: str) -> list[str]:
    schema = vendored_schema(schema_name)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_workflows_exist() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"checker.yml", "ci.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_github_schema(workflow: Path) -> None:
    assert schema_errors(load_yaml(workflow), "github-workflows.json") == []


def test_action_matches_github_schema() -> None:
    assert schema_errors(load_yaml(REPO_ROOT / "action.yml"), "github-actions.json") == []


def test_action_is_composite_and_installs_itself() -> None:
    action = load_yaml(REPO_ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"paths", "rollback", "baseline", "config", "format", "engine", "sarif-file", "fail-on"} <= set(
        action["inputs"]
    )
    scripts = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "GITHUB_ACTION_PATH" in scripts
    assert "--format sarif" in scripts
    assert "checker check" in scripts and "--format markdown" in scripts


def test_gate_workflow_stages() -> None:
    workflow = load_yaml(REPO_ROOT / ".github" / "workflows" / "checker.yml")
    assert "**.sql" in workflow["on"]["pull_request"]["paths"]
    jobs = workflow["jobs"]
    assert jobs["static"]["permissions"]["security-events"] == "write"
    static_steps = [step.get("uses", "") + step.get("run", "") for step in jobs["static"]["steps"]]
    assert any("--format sarif" in step for step in static_steps)
    assert any(step.startswith("github/codeql-action/upload-sarif") for step in static_steps)
    assert any("--format github" in step for step in static_steps)
    dynamic_runs = json.dumps([jobs["dynamic-embedded"], jobs["dynamic-dsn"]])
    assert "--engine embedded" in dynamic_runs
    assert "--engine dsn" in dynamic_runs
    assert jobs["dynamic-dsn"]["services"]["postgres"]["image"] == "postgres:15"


PRE_COMMIT_HOOK_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "name", "entry", "language"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "entry": {"type": "string"},
            "language": {"type": "string"},
            "files": {"type": "string", "format": "regex"},
            "require_serial": {"type": "boolean"},
        },
    },
}


def test_pre_commit_hook() -> None:
    hooks = load_yaml(REPO_ROOT / ".pre-commit-hooks.yaml")
    jsonschema.validate(hooks, PRE_COMMIT_HOOK_SCHEMA)
    hook = {hook["id"]: hook for hook in hooks}["checker-lint"]
    assert (hook["language"], hook["entry"]) == ("python", "checker lint")
    assert re.search(hook["files"], "sql/connect_schema.sql")
    assert not re.search(hook["files"], "README.md")


def test_compose_file() -> None:
    compose = load_yaml(REPO_ROOT / "docker-compose.yml")
    assert schema_errors(compose, "compose-spec.json") == []
    checker = compose["services"]["checker"]
    assert checker["build"]["dockerfile"] == "docker/Dockerfile"
    assert ".:/repo" in checker["volumes"]
    assert compose["services"]["db"]["healthcheck"]["test"]
