"""A run killed with SIGKILL leaves its server behind; the next run of the same engine kind removes it.

Each test starts two children that open the engine and sleep: one is SIGKILLed, the other stays
alive. A third run then starts in this process; only the killed run's leftovers may go.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.engines import EngineOptions
from checker.dynamic.engines.cleanup import OWNER_FILE, Owner, clear_server_dir, record_owner
from checker.dynamic.engines.docker import LABEL, OWNER_LABEL, DockerEngine, owner_labels

from . import test_engines
from .helpers import SERVER_ENGINES, require_engine, server_processes, still_alive
from .test_engines import leftover_containers, run_child, terminate

# The fixtures of test_engines, shared rather than copied.
private_tmp = test_engines.private_tmp
docker_image = test_engines.docker_image

pytestmark = pytest.mark.postgres


def kill_hard(child: subprocess.Popen[str]) -> None:
    """SIGKILL, and reap the child so it is gone rather than a zombie."""
    child.kill()
    child.wait(timeout=60)


def answers(uri: str) -> bool:
    with psycopg.connect(uri, connect_timeout=10) as conn:
        return conn.execute("select 1").fetchone() == (1,)


@pytest.fixture
def in_private_tmp(private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Children and this process use `private_tmp` as TMPDIR; returns the children's environment."""
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    return {**os.environ, "TMPDIR": str(private_tmp)}


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_next_run_reaps_a_killed_runs_server_but_not_a_live_ones(
    name: str, private_tmp: Path, in_private_tmp: dict[str, str]
) -> None:
    require_engine(name)
    killed, dead = run_child(name, "sigterm", env=in_private_tmp)
    live, alive = run_child(name, "sigterm", env=in_private_tmp)
    try:
        dead_processes = server_processes(Path(dead["pgdata"]))
        live_processes = server_processes(Path(alive["pgdata"]))
        kill_hard(killed)
        assert still_alive(dead_processes) == dead_processes  # SIGKILL left the server running
        assert (Path(dead["tempdir"]) / OWNER_FILE).is_file()
        unowned = private_tmp / f"{require_engine(name).tempdir_prefix}unowned"
        unowned.mkdir()

        with require_engine(name) as uri:
            assert answers(uri)

        assert not still_alive(dead_processes)
        assert not Path(dead["tempdir"]).exists()
        assert still_alive(live_processes) == live_processes
        assert Path(alive["tempdir"]).is_dir() and answers(alive["uri"])
        assert unowned.is_dir()
    finally:
        killed.kill()
        terminate(live)
        clear_server_dir(Path(dead["tempdir"]), Path(dead["pgdata"]))  # when the reaping failed


def test_a_recycled_pid_is_not_taken_for_the_owner(in_private_tmp: dict[str, str], private_tmp: Path) -> None:
    """The owner's pid now names another process (this one), started at another time: reaped."""
    engine = require_engine("local")
    me = Owner.current()
    assert me is not None
    records = {"recycled": dataclasses.replace(me, start=str(int(me.start) - 1)), "mine": me}
    for suffix, owner in records.items():
        (private_tmp / f"{engine.tempdir_prefix}{suffix}").mkdir()
        record_owner(private_tmp / f"{engine.tempdir_prefix}{suffix}", owner)

    with engine:
        pass

    assert not (private_tmp / f"{engine.tempdir_prefix}recycled").exists()
    assert (private_tmp / f"{engine.tempdir_prefix}mine").is_dir()


def test_another_engine_kinds_leftovers_are_not_reaped(in_private_tmp: dict[str, str]) -> None:
    require_engine("embedded")
    killed, dead = run_child("embedded", "sigterm", env=in_private_tmp)
    kill_hard(killed)
    dead_processes = server_processes(Path(dead["pgdata"]))
    try:
        with require_engine("local"):
            pass
        assert Path(dead["tempdir"]).is_dir() and still_alive(dead_processes) == dead_processes
    finally:
        with require_engine("embedded"):  # its own kind removes it
            pass
        clear_server_dir(Path(dead["tempdir"]), Path(dead["pgdata"]))  # when the reaping failed
    assert not Path(dead["tempdir"]).exists() and not still_alive(dead_processes)


# --- docker ------------------------------------------------------------------------------------


@pytest.mark.docker
def test_next_docker_run_removes_a_killed_runs_container_but_not_a_live_ones(docker_image: str) -> None:
    killed, dead = run_child("docker", "sigterm", docker_image)
    live, alive = run_child("docker", "sigterm", docker_image)
    try:
        kill_hard(killed)
        (left,) = leftover_containers(dead["run_id"])
        assert left.labels[OWNER_LABEL + "pid"] == str(killed.pid)

        with DockerEngine(EngineOptions(image=docker_image)) as uri:
            assert answers(uri)

        assert leftover_containers(dead["run_id"]) == []
        (kept,) = leftover_containers(alive["run_id"])
        assert kept.status == "running" and answers(alive["uri"])
    finally:
        killed.kill()
        terminate(live)
        for container in leftover_containers(dead["run_id"]):  # when the reaping failed
            container.remove(force=True, v=True)


@pytest.mark.docker
def test_docker_reaping_judges_the_recorded_owner(docker_image: str) -> None:
    """Another boot: gone (an exited container goes; a running one may belong to another machine).

    No owner labels, or an owner in another pid namespace: never touched.
    """
    from support.docker_required import require_docker

    me = owner_labels()
    other_boot = {**me, OWNER_LABEL + "boot_id": "another-boot"}
    other_ns = {**me, OWNER_LABEL + "pid": "1", OWNER_LABEL + "pid_ns": "pid:[1]"}
    cases = {"gone": (other_boot, False), "kept-running": (other_boot, True)}
    cases |= {"kept-unowned": ({}, False), "kept-other-ns": (other_ns, False)}
    client = require_docker()
    made = {}
    try:
        for case, (labels, running) in cases.items():
            run_id = f"reap-{case}-{os.getpid()}"
            make = client.containers.run if running else client.containers.create
            options = {"detach": True} if running else {}
            make(docker_image, entrypoint=["sleep", "300"], labels={LABEL: run_id, **labels}, **options)
            made[case] = run_id

        with DockerEngine(EngineOptions(image=docker_image)):
            pass

        remaining = {case for case, run_id in made.items() if leftover_containers(run_id)}
        assert remaining == {"kept-running", "kept-unowned", "kept-other-ns"}
    finally:
        for run_id in made.values():
            for container in client.containers.list(all=True, filters={"label": f"{LABEL}={run_id}"}):
                container.remove(force=True, v=True)
        client.close()
