"""The checker's container image and docker-compose.yml, on the real Docker engine.

The images are built locally from Debian's packages (tests/support/images.py), and
docker-compose.yml is pointed at them through CHECKER_IMAGE and CHECKER_DB_IMAGE.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.docker_required import require_docker
from support.images import base_test_image, checker_test_image, postgres_test_image

pytestmark = pytest.mark.docker

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 900
DB_DSN = "postgresql://postgres@db:5432/postgres"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "*.egg-info", "build", "dist"
)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT, **kwargs)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def compose_command() -> list[str]:
    """`docker compose` when the v2 plugin is there, else the standalone docker-compose."""
    if run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    message = "neither `docker compose` nor docker-compose is installed (.ci/docker-setup.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Compose:
    """docker-compose.yml of one directory, run under a project name of its own."""

    command: list[str]
    directory: Path
    project: str
    env: dict[str, str]

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        compose_file = str(self.directory / "docker-compose.yml")
        command = [*self.command, "--project-name", self.project, "--file", compose_file]
        return run([*command, *args], cwd=self.directory, env=self.env)


@pytest.fixture(scope="module")
def checker_image() -> str:
    require_docker()
    return checker_test_image()


@pytest.fixture(scope="module")
def compose_env(checker_image: str) -> dict[str, str]:
    return {
        **os.environ,
        "CHECKER_IMAGE": checker_image,
        "CHECKER_BASE_IMAGE": base_test_image(),
        "CHECKER_DB_IMAGE": postgres_test_image(),
    }


def open_compose(directory: Path, env: dict[str, str]) -> Iterator[Compose]:
    compose = Compose(compose_command(), directory, f"smgtest{uuid.uuid4().hex[:10]}", env)
    try:
        yield compose
    finally:
        compose("--profile", "dsn", "down", "--volumes", "--remove-orphans")


@pytest.fixture
def repo_compose(compose_env: dict[str, str]) -> Iterator[Compose]:
    yield from open_compose(REPO_ROOT, compose_env)


@pytest.fixture
def broken_connect_compose(tmp_path: Path, compose_env: dict[str, str]) -> Iterator[Compose]:
    """A copy of the repository whose Connect migration no longer enables row level security."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO_ROOT, copy, ignore=NOT_COPIED)
    migration = copy / "sql" / "connect_schema.sql"
    text = migration.read_text(encoding="utf-8")
    broken = re.sub(r"(?im)^\s*alter table [^;]*enable row level security;\s*$\n?", "", text)
    assert broken != text, "sql/connect_schema.sql has no `enable row level security` line"
    migration.write_text(broken, encoding="utf-8")
    yield from open_compose(copy, compose_env)


def test_image_runs_as_non_root(checker_image: str) -> None:
    result = run(["docker", "run", "--rm", "--entrypoint", "id", checker_image, "-u"])
    assert result.returncode == 0, output(result)
    assert result.stdout.strip() != "0"


def test_version_inside_image(checker_image: str) -> None:
    result = run(["docker", "run", "--rm", checker_image, "--version"])
    assert result.returncode == 0, output(result)
    assert result.stdout.strip()


def test_rules_inside_image(checker_image: str) -> None:
    result = run(["docker", "run", "--rm", checker_image, "rules"])
    assert result.returncode == 0, output(result)
    assert "rls-enabled" in result.stdout


def test_compose_check_of_the_repository_passes(repo_compose: Compose) -> None:
    result = repo_compose("run", "--rm", "checker")
    assert result.returncode == 0, output(result)


def test_compose_runs_keep_the_dynamic_stages_cache_in_a_volume(repo_compose: Compose) -> None:
    """`run --rm` throws the container away, not the named volume at ~/.cache: the second run starts
    from the seeded cluster the first one stored."""
    verify = ["verify", "sql/", "--engine", "embedded", "--progress"]
    first = repo_compose("run", "--rm", "-T", "checker", *verify)
    assert first.returncode == 0, output(first)
    assert "seeding it like a Supabase project" in first.stdout + first.stderr, output(first)
    second = repo_compose("run", "--rm", "-T", "checker", *verify)
    assert second.returncode == 0, output(second)
    assert "started from a cached copy of the seeded cluster" in second.stdout + second.stderr, output(second)


def test_compose_check_fails_without_row_level_security(broken_connect_compose: Compose) -> None:
    result = broken_connect_compose("run", "--rm", "checker")
    assert result.returncode == 1, output(result)
    assert "rls-enabled" in result.stdout + result.stderr


def test_compose_dsn_engine_against_db_service(repo_compose: Compose) -> None:
    verify = ["verify", "sql/", "--engine", "dsn", "--dsn", DB_DSN]
    result = repo_compose("--profile", "dsn", "run", "--rm", "checker-dsn", *verify)
    assert result.returncode == 0, output(result)


def test_postgres_image_refuses_to_start_without_credentials() -> None:
    require_docker()
    result = run(["docker", "run", "--rm", postgres_test_image()])
    assert result.returncode == 1, output(result)
    assert "POSTGRES_PASSWORD" in result.stderr
