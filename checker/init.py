"""`checker init`: a commented policy and a GitHub workflow for the layout found, never overwriting.

The policy goes into pyproject.toml as [tool.checker] when there is one, else into checker.toml;
the workflow into .github/workflows/checker.yml. When either already exists nothing is written.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.policy import POLICY_FILE
from checker.supabase_project import MIGRATIONS, find_supabase_project

WORKFLOW = Path(".github") / "workflows" / "checker.yml"
_OTHER_LAYOUTS = ("sql", "migrations", "db/migrations")


@dataclass(frozen=True)
class Layout:
    root: Path
    migrations: str  # relative to root
    supabase: bool
    exposed_schemas: tuple[str, ...] = ("public",)  # a Supabase project's [api] schemas


def find_layout(start: Path) -> Layout:
    project = find_supabase_project(start)
    if project is not None:
        return Layout(project.root, MIGRATIONS.as_posix(), True, tuple(project.api_schemas or ("public",)))
    found = next((name for name in _OTHER_LAYOUTS if (start / name).is_dir()), "sql")
    return Layout(start.resolve(), found, False)


def policy_text(layout: Layout, table: str = "") -> str:
    """The policy's keys with what each means; `table` prefixes the nested tables ("tool.checker.")."""
    transaction = "runner" if layout.supabase else "explicit"
    why = (
        "the Supabase CLI runs each migration file in one transaction"
        if layout.supabase
        else 'each file has its own BEGIN/COMMIT ("runner" when a tool wraps each file in one)'
    )
    rollbacks = (
        "supabase/migrations/rollback/X.sql: the CLI would apply X.down.sql or X_rollback.sql as migrations"
        if layout.supabase
        else "X.down.sql, X_rollback.sql, rollback/X.sql"
    )
    order = "supabase" if layout.supabase else "version"
    order_why = (
        "as the Supabase CLI applies them: names in byte order, only <version>_<name>.sql files"
        if layout.supabase
        else 'by the number each name starts with ("supabase": as the Supabase CLI applies them)'
    )
    return f"""# Policy of the migration checker (`checker rules` lists the rules; its defaults are in
# rules/default.toml of the checker). Uncomment and change what this project needs.

# Schemas PostgREST exposes (supabase/config.toml, [api] schemas).
exposed_schemas = {json.dumps(list(layout.exposed_schemas))}
# How each file runs: {why}.
transaction = "{transaction}"
# "required": every migration has a rollback ({rollbacks}).
rollback = "optional"
# The order of a folder's files: {order_why}.
order = "{order}"
# SQL files or folders describing the schema that exists before the migrations.
# baseline = ["schema.sql"]
# SQL files the dynamic stage runs after applying, in a transaction that is rolled back.
# smoke = ["tests/smoke.sql"]
# "warn": a migration no engine here can run (an extension it lacks) is a warning, not a failure.
# unverified = "fail"

# A rule's severity: error, warning, info or off.
# [{table}rules.fk-unindexed]
# severity = "info"

# A deliberate exception, with its reason.
# [[{table}exemptions]]
# rule = "rls-enabled"
# object = "public.audit_log"
# reason = "written by a trigger only, never exposed"
"""


def workflow_text(layout: Layout, policy_file: str) -> str:
    return f"""# The migration checker on pull requests: lint, then apply the migrations to a throwaway
# PostgreSQL seeded like Supabase; the report goes to the job summary and one pull-request comment.
name: migrations

on:
  pull_request:
    paths: ["{layout.migrations}/**", "{policy_file}"]
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write  # the report comment; on pull requests from forks the token cannot write

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: YOUR-ORG/supabase-migration-gate@v0.1.0  # this action's repository and a release tag
        with:
          paths: {layout.migrations}
          comment: "true"
"""


def init_project(start: Path) -> list[str]:
    """Write both files, or neither when one exists; returns what was written, for the user."""
    layout = find_layout(start)
    pyproject = layout.root / "pyproject.toml"
    workflow = layout.root / WORKFLOW
    existing = [str(workflow)] if workflow.exists() else []
    if pyproject.is_file():
        if "checker" in _toml(pyproject).get("tool", {}):
            existing.append(f"{pyproject} [tool.checker]")
    elif (layout.root / POLICY_FILE).exists():
        existing.append(str(layout.root / POLICY_FILE))
    if existing:
        raise InputError(f"not overwriting {' and '.join(existing)}; nothing was written")
    if pyproject.is_file():
        policy_file = "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        separator = "" if text.endswith("\n") or not text else "\n"
        pyproject.write_text(
            text + separator + "\n[tool.checker]\n" + policy_text(layout, "tool.checker."), encoding="utf-8"
        )
    else:
        policy_file = POLICY_FILE
        (layout.root / POLICY_FILE).write_text(policy_text(layout), encoding="utf-8")
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_text(layout, policy_file), encoding="utf-8")
    kind = "Supabase CLI project" if layout.supabase else "migrations folder"
    return [
        f"{kind}: {layout.root / layout.migrations}",
        f"wrote the policy to {layout.root / policy_file}",
        f"wrote the workflow {workflow}",
    ]


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"not valid TOML: {err}", str(path)) from None
