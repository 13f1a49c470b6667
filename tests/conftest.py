"""What the static-stage tests share: the repository root and the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def runner_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The policy of the corpus's projects, which deploy with the Supabase CLI: it wraps each file in a
    transaction, has no rollbacks and applies the folder's files in name order."""
    path = tmp_path_factory.mktemp("policy") / "supabase.toml"
    path.write_text('transaction = "runner"\nrollback = "optional"\norder = "supabase"\n', encoding="utf-8")
    return path


def run_checker(*args: str | Path, cwd: str | Path | None = None) -> tuple[int, str, str]:
    """Run `python -m checker ARGS` as a user would; return (exit code, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("CHECKER_DEBUG", None)  # a traceback must never be what a test sees
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "checker", *(str(a) for a in args)],
        cwd=str(cwd or REPO_ROOT),
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,  # a hang must end the test, not the CI run
    )
    return done.returncode, done.stdout, done.stderr


def run_json(*args: str | Path, cwd: str | Path | None = None) -> tuple[int, dict, str]:
    """Run with --format json and decode the report."""
    code, out, err = run_checker(*args, "--format", "json", cwd=cwd)
    assert out.strip(), f"no JSON report (exit {code}); stderr: {err}"
    return code, json.loads(out), err


def assert_no_traceback(out: str, err: str) -> None:
    assert "Traceback" not in out and "Traceback" not in err, out + err


def one_error_line(out: str, err: str) -> str:
    """The single non-empty line an input error prints (stdout and stderr together)."""
    assert_no_traceback(out, err)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got: {lines}"
    return lines[0]


@pytest.fixture
def write_sql(tmp_path: Path) -> Callable[..., Path]:
    """Write a file under tmp_path (str as UTF-8, bytes as they are) and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def isolated(tmp_path: Path) -> Path:
    """A working directory with an empty pyproject.toml, so no outer [tool.checker] applies."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n", encoding="utf-8")
    return tmp_path
