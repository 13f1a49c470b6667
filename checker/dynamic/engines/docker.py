"""The `docker` engine: a throwaway PostgreSQL container from an image already on this machine.

The checker never pulls: a missing image is an error naming it. The container publishes 5432 on
127.0.0.1 only (random host port), trusts local connections, and carries a label with this run's id
so `stop()` — or a person, after a hard kill — can find and remove it. Further labels name the run's
owner (see cleanup.Owner), so the next docker run removes the container of a run that was killed.

No cluster cache (cluster_cache.py): the image's own initialisation runs every time and the seed
is applied on each run; `cache` stays None.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

from checker.dynamic.engines import cleanup
from checker.dynamic.engines.base import BOOTSTRAP_SUPERUSER, Engine, EngineOptions, fetch_server_version
from checker.errors import EngineError

LABEL = "io.supabase-migration-gate.run"
OWNER_LABEL = "io.supabase-migration-gate.owner."  # + pid, start, boot_id, pid_ns
DEFAULT_MAJOR = "15"
READY_TIMEOUT = 60.0


def default_image(options: EngineOptions) -> str:
    return options.image or f"postgres:{options.pg_version or DEFAULT_MAJOR}"


def docker_client() -> Any:
    """A client for the local Docker engine, or EngineError saying why there is none."""
    try:
        import docker
    except ImportError as error:
        raise EngineError(f"no Docker engine: the docker package is not installed ({error})") from error
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as error:
        raise EngineError(f"no Docker engine: {_first_line(error)}") from error
    return client


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class DockerEngine(Engine):
    name = "docker"

    def __init__(self, options: EngineOptions | None = None):
        super().__init__(options)
        self.run_id = uuid.uuid4().hex
        self.client: Any = None
        self.container: Any = None
        self._version = ""

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        try:
            client = docker_client()
        except EngineError as error:
            return error.message
        client.close()
        return None

    @property
    def server_version(self) -> str:
        return self._version

    @property
    def image(self) -> str:
        return default_image(self.options)

    def start(self) -> str:
        cleanup.track(self)
        self.client = docker_client()
        reap_orphan_containers(self.client)
        self._require_image()
        self.container = self.client.containers.run(
            self.image,
            detach=True,
            name=f"checker-pg-{self.run_id[:12]}",
            labels={LABEL: self.run_id, **owner_labels()},
            # The official image's interface: its bootstrap superuser is supabase_admin, as on Supabase.
            environment={
                "POSTGRES_HOST_AUTH_METHOD": "trust",
                "POSTGRES_USER": BOOTSTRAP_SUPERUSER,
                "POSTGRES_DB": "postgres",
            },
            ports={"5432/tcp": ("127.0.0.1", None)},
        )
        uri = f"postgresql://{BOOTSTRAP_SUPERUSER}@127.0.0.1:{self._host_port()}/postgres"
        self._wait_ready(uri)
        self._version = fetch_server_version(uri)
        return uri

    def _require_image(self) -> None:
        import docker

        try:
            self.client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise EngineError(
                f"Docker image {self.image} is not on this machine (the checker never pulls); "
                f"pull or build it first, or give --image"
            ) from None

    def _host_port(self) -> int:
        self.container.reload()
        bindings = (self.container.ports or {}).get("5432/tcp") or []
        if not bindings:
            raise EngineError(f"container from {self.image} did not publish port 5432")
        return int(bindings[0]["HostPort"])

    def _wait_ready(self, uri: str) -> None:
        """Poll until the server accepts a connection; the image's init phase restarts it once."""
        import psycopg

        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(uri, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                self._require_running()
                time.sleep(0.2)
        waited = f"{READY_TIMEOUT:.0f}s"
        raise EngineError(f"PostgreSQL in {self.image} did not accept connections within {waited}")

    def _require_running(self) -> None:
        self.container.reload()
        if self.container.status in ("exited", "dead"):
            logs = self.container.logs(tail=5).decode(errors="replace").strip().splitlines()
            raise EngineError(f"container from {self.image} exited: {logs[-1] if logs else 'no output'}")

    def stop(self) -> None:
        with cleanup.signals_deferred():
            self._remove_containers()
            self.container = None
            if self.client is not None:
                self.client.close()
                self.client = None
            cleanup.untrack(self)

    def _remove_containers(self) -> None:
        """Remove by label, which also finds a container whose creation a signal interrupted."""
        if self.client is None:
            return
        import docker

        try:
            found = self.client.containers.list(all=True, filters={"label": f"{LABEL}={self.run_id}"})
        except docker.errors.DockerException:
            found = [self.container] if self.container is not None else []
        for container in found:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)  # v: the image's anonymous data volume too


def owner_labels() -> dict[str, str]:
    """Labels naming this process as the container's owner (none without /proc: never reaped)."""
    owner = cleanup.Owner.current()
    return {OWNER_LABEL + key: value for key, value in owner.fields().items()} if owner else {}


def _recorded_owner(labels: dict[str, str]) -> cleanup.Owner | None:
    fields = {key.removeprefix(OWNER_LABEL): value for key, value in labels.items()}
    return cleanup.Owner.from_fields(fields)


def _orphaned(summary: dict[str, Any], here: cleanup.Owner) -> bool:
    """A container whose recorded owner is gone.

    A *running* container from another boot is kept: after a reboot this host's containers are
    exited (the engine sets no restart policy), so its owner may be alive on another machine that
    shares this Docker host.
    """
    owner = _recorded_owner(summary.get("Labels") or {})
    if owner is None or not owner.gone(here):
        return False
    return owner.boot_id == here.boot_id or summary.get("State") != "running"


def reap_orphan_containers(client: Any) -> None:
    """Remove the containers of killed runs: one label-filtered list; never fails the run."""
    import docker

    here = cleanup.Owner.current()
    if here is None:
        return
    wanted = [LABEL, OWNER_LABEL + "pid"]  # both labels: a container without an owner is never touched
    try:
        found = client.containers.list(all=True, sparse=True, filters={"label": wanted})
    except docker.errors.DockerException:
        return
    for container in found:
        if _orphaned(container.attrs, here):
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True, v=True)
