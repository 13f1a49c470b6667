"""Create or update the pull request's one report comment: `python -m checker.github_comment REPORT.md`.

Run by the action with the workflow's token (GITHUB_TOKEN) through the GitHub REST API (GITHUB_API_URL,
GITHUB_REPOSITORY, the pull request's number from GITHUB_EVENT_PATH). The comment is found again by the
Markdown report's marker, so each run updates it instead of adding another. A token that may not write
(pull requests from forks get a read-only one) is reported in the log as a warning: a report comment
is a courtesy, never a reason to fail the job.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from checker.report.markdown import MARKER

_TIMEOUT = 30


def _request(method: str, url: str, token: str, body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        return json.loads(response.read() or b"null")


def pull_request_number(event_path: str | None) -> int | None:
    if not event_path or not Path(event_path).is_file():
        return None
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    return number if isinstance(number, int) else None


def _existing_comment(issue_url: str, token: str) -> int | None:
    page = 1
    while True:
        comments = _request("GET", f"{issue_url}/comments?per_page=100&page={page}", token)
        if not isinstance(comments, list) or not comments:
            return None
        for comment in comments:
            if MARKER in (comment.get("body") or ""):
                return comment["id"]
        page += 1


def post_report(body: str, env: dict[str, str]) -> str:
    """Create or update the comment; returns what happened, for the log."""
    number = pull_request_number(env.get("GITHUB_EVENT_PATH"))
    if number is None:
        return "not a pull request: no comment"
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repo, token = env["GITHUB_REPOSITORY"], env.get("GITHUB_TOKEN", "")
    issue_url = f"{api}/repos/{repo}/issues/{number}"
    existing = _existing_comment(issue_url, token)
    if existing is None:
        _request("POST", f"{issue_url}/comments", token, {"body": body})
        return f"created the report comment on pull request #{number}"
    _request("PATCH", f"{api}/repos/{repo}/issues/comments/{existing}", token, {"body": body})
    return f"updated the report comment on pull request #{number}"


def main(argv: list[str]) -> int:
    body = Path(argv[0]).read_text(encoding="utf-8")
    try:
        print(post_report(body, dict(os.environ)))
    except urllib.error.HTTPError as err:
        why = (
            "the workflow's token may not write here (pull requests from forks get a read-only token; "
            "the job needs `permissions: pull-requests: write`)"
            if err.code in (401, 403, 404)
            else "the GitHub API refused it"
        )
        print(f"::warning::no report comment: HTTP {err.code} {err.reason}: {why}")
    except (urllib.error.URLError, OSError) as err:
        print(f"::warning::no report comment: the GitHub API did not answer ({err})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
