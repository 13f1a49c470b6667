"""Database engines for the dynamic stage, chosen by name (`--engine`)."""

from __future__ import annotations

from checker.dynamic.engines.base import Engine, EngineOptions
from checker.dynamic.engines.docker import DockerEngine
from checker.dynamic.engines.dsn import DsnEngine
from checker.dynamic.engines.embedded import EmbeddedEngine
from checker.dynamic.engines.local import LocalEngine
from checker.errors import EngineError

ENGINE_NAMES = ("auto", "embedded", "local", "docker", "dsn")

ENGINES: dict[str, type[Engine]] = {
    "embedded": EmbeddedEngine,
    "local": LocalEngine,
    "docker": DockerEngine,
    "dsn": DsnEngine,
}

# Fastest and least demanding first: pip-installed binaries, then installed ones, then a container.
AUTO_ORDER = ("embedded", "local", "docker")


def open_engine(name: str, options: EngineOptions) -> Engine:
    """An engine ready to `start()` (or use as `with engine as uri:`); EngineError if it cannot run here."""
    if name == "auto":
        return _pick_auto(options)
    engine_class = ENGINES.get(name)
    if engine_class is None:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    reason = engine_class.unavailable_reason(options)
    if reason:
        raise EngineError(f"engine {name} is unavailable: {reason}")
    return engine_class(options)


def _auto_candidates(options: EngineOptions) -> tuple[str, ...]:
    """An option that only one engine reads says which engine the user means."""
    if options.image:
        return ("docker",)
    if options.pg_bin:
        return ("local",)
    return AUTO_ORDER


def _pick_auto(options: EngineOptions) -> Engine:
    reasons = []
    for name in _auto_candidates(options):
        reason = ENGINES[name].unavailable_reason(options)
        if reason is None:
            return ENGINES[name](options)
        reasons.append(f"{name}: {reason}")
    raise EngineError("no database engine available (" + "; ".join(reasons) + ")")


__all__ = ["ENGINES", "ENGINE_NAMES", "Engine", "EngineError", "EngineOptions", "open_engine"]
