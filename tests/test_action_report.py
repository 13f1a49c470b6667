"""The action's report steps, run as the runner runs them (bash, the step's env): the job summary with
GITHUB_STEP_SUMMARY set, and the pull-request comment against a local HTTP server on 127.0.0.1
standing in for the GitHub REST API (create, then update the same comment; a 403 is logged, not fatal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from test_workflows import load_yaml

from checker.report.markdown import MARKER

REPORT = f"{MARKER}\n## Migration check\n\nChecked 5 file(s): **no problems**.\n"


def step(step_id: str) -> dict:
    steps = load_yaml(REPO_ROOT / "action.yml")["runs"]["steps"]
    return next(s for s in steps if s.get("id") == step_id)


def run_step(step_id: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The step's script in bash with its env (inputs and expressions filled in by the test)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    full = {"PATH": path, "PYTHONPATH": str(REPO_ROOT), "HOME": str(cwd), **env}
    return subprocess.run(
        ["bash", "-e", "-c", step(step_id)["run"]],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_lint_step(
    cwd: Path, tmp_path: Path, paths: str, fmt: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The lint step with these inputs (no SARIF file), `checker` on PATH; and what it wrote to
    GITHUB_OUTPUT."""
    output = tmp_path / "lint_output"
    inputs = {"INPUT_PATHS": paths, "INPUT_FORMAT": fmt, "INPUT_SARIF_FILE": "", "RUNNER_TEMP": str(tmp_path)}
    inputs |= {"GITHUB_OUTPUT": str(output), "PATH": checker_on_path(tmp_path), **env}
    done = run_step("lint", inputs, cwd)
    return done, output.read_text(encoding="utf-8") if output.exists() else ""


def checker_on_path(folder: Path) -> str:
    """A PATH where `checker` is this checkout's, as the action's install step makes it."""
    (folder / "bin").mkdir(exist_ok=True)
    shim = folder / "bin" / "checker"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m checker "$@"\n')
    shim.chmod(0o755)
    return os.pathsep.join([str(folder / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]])


def test_summary_step_appends_the_report(tmp_path: Path) -> None:
    report = tmp_path / "checker-report.md"
    report.write_text(REPORT, encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    done = run_step("summary", {"REPORT": str(report), "GITHUB_STEP_SUMMARY": str(summary)}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + REPORT


def test_summary_step_without_a_summary_file_does_nothing(tmp_path: Path) -> None:
    report = tmp_path / "checker-report.md"
    report.write_text(REPORT, encoding="utf-8")
    assert run_step("summary", {"REPORT": str(report)}, tmp_path).returncode == 0


def test_lint_step_writes_the_markdown_report(tmp_path: Path) -> None:
    """The lint step's script, as in a workflow: its report file is what the summary step appends."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "0001_t.sql").write_text("create table public.t (id int primary key);\n")
    done, outputs = run_lint_step(tmp_path, tmp_path, "sql/", "github")
    assert done.returncode == 0, done.stderr
    assert f"report-file={tmp_path / 'checker-report.md'}" in outputs
    report = (tmp_path / "checker-report.md").read_text(encoding="utf-8")
    assert report.startswith(MARKER) and "`rls-enabled`" in report


class FakeGitHub:
    """Issue comments of one repository, as the REST API keeps them; or a 403 for every write."""

    def __init__(self, refuse_writes: bool = False):
        self.comments: list[dict] = [{"id": 1, "body": "a reviewer's comment"}]
        self.requests: list[tuple[str, str, str]] = []
        self.refuse_writes = refuse_writes

    def handler(self) -> type[BaseHTTPRequestHandler]:
        github = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                github.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
                return body

            def do_GET(self) -> None:
                self._record()
                assert self.path.startswith("/repos/octo/app/issues/7/comments?per_page=100&page=")
                page = int(self.path.rsplit("=", 1)[1])
                self._reply(200, github.comments if page == 1 else [])

            def do_POST(self) -> None:
                body = self._record()
                if github.refuse_writes:
                    return self._reply(403, {"message": "Resource not accessible by integration"})
                assert self.path == "/repos/octo/app/issues/7/comments"
                comment = {"id": 100 + len(github.comments), "body": body["body"]}
                github.comments.append(comment)
                self._reply(201, comment)

            def do_PATCH(self) -> None:
                body = self._record()
                comment_id = int(self.path.rsplit("/", 1)[1])
                comment = next(c for c in github.comments if c["id"] == comment_id)
                comment["body"] = body["body"]
                self._reply(200, comment)

        return Handler


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(github: FakeGitHub) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), github.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _comment_env(tmp_path: Path, api: str, report: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    path = tmp_path / "checker-report.md"
    path.write_text(report, encoding="utf-8")
    return {
        "REPORT": str(path),
        "GITHUB_TOKEN": "token-123",
        "GITHUB_API_URL": api,
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_EVENT_PATH": str(event),
    }


def test_comment_step_creates_then_updates_one_comment(tmp_path: Path, serve) -> None:
    github = FakeGitHub()
    api = serve(github)
    first = run_step("comment", _comment_env(tmp_path, api, REPORT), tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created the report comment on pull request #7" in first.stdout
    assert [c["body"] for c in github.comments] == ["a reviewer's comment", REPORT]
    second_report = REPORT.replace("no problems", "1 error(s)")
    second = run_step("comment", _comment_env(tmp_path, api, second_report), tmp_path)
    assert second.returncode == 0, second.stderr
    assert "updated the report comment" in second.stdout
    assert [c["body"] for c in github.comments] == ["a reviewer's comment", second_report]
    assert {auth for _, _, auth in github.requests} == {"Bearer token-123"}
    assert [method for method, _, _ in github.requests if method != "GET"] == ["POST", "PATCH"]


def test_comment_refused_is_a_warning_not_a_failure(tmp_path: Path, serve) -> None:
    api = serve(FakeGitHub(refuse_writes=True))
    done = run_step("comment", _comment_env(tmp_path, api, REPORT), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("::warning::no report comment: HTTP 403")
    assert "forks" in done.stdout


def test_comment_outside_a_pull_request_is_skipped(tmp_path: Path) -> None:
    env = {**_comment_env(tmp_path, "http://127.0.0.1:9", REPORT), "GITHUB_EVENT_PATH": ""}
    done = run_step("comment", env, tmp_path)
    assert done.returncode == 0 and "not a pull request" in done.stdout
