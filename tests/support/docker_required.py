"""One rule for tests that need Docker: skip without an engine, except under CI where that is a failure."""

from __future__ import annotations

import os

import pytest

import docker


def require_docker() -> docker.DockerClient:
    """A connected Docker client; otherwise skip the test (fail it when CI=true)."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no Docker engine: {reason}")
        pytest.skip(f"no Docker engine: {reason}")
    return client
