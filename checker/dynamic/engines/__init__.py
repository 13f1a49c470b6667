"""Database engines for the dynamic stage, chosen by name (`--engine`)."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dynamic.capabilities import NOTHING_NEEDED, Needs
from checker.dynamic.engine_names import ENGINE_NAMES
from checker.dynamic.engines.base import Engine, EngineOptions
from checker.dynamic.engines.docker import DockerEngine
from checker.dynamic.engines.dsn import DsnEngine
from checker.dynamic.engines.embedded import EmbeddedEngine
from checker.dynamic.engines.local import LocalEngine
from checker.errors import EngineError

ENGINES: dict[str, type[Engine]] = {
    "embedded": EmbeddedEngine,
    "local": LocalEngine,
    "docker": DockerEngine,
    "dsn": DsnEngine,
}

# Fastest and least demanding first: pip-installed binaries, then installed ones, then a container.
AUTO_ORDER = ("embedded", "local", "docker")


def open_engine(name: str, options: EngineOptions, needs: Needs = NOTHING_NEEDED) -> Engine:
    """An engine ready to `start()` (or use as `with engine as uri:`); EngineError if it cannot run here.

    `needs`: what the migrations need of a server (capabilities.py); `auto` prefers the first engine
    that has it all.
    """
    if name == "auto":
        return _pick_auto(options, needs)
    engine_class = ENGINES.get(name)
    if engine_class is None:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    reason = engine_class.unavailable_reason(options)
    if reason:
        raise EngineError(f"engine {name} is unavailable: {reason}")
    return engine_class(options)


def supports(name: str, options: EngineOptions) -> bool:
    """Whether the engine (or, for auto, one of its candidates) can run here with these options."""
    return next(_usable(name, options), None) is not None


def meets(name: str, options: EngineOptions, needs: Needs) -> bool:
    """Whether the engine (for auto, one of its candidates) is known to have what `needs` asks."""
    return any(
        needs.met_by(engine.available_extensions(options), engine.server_major(options))
        for engine in _usable(name, options)
    )


def _usable(name: str, options: EngineOptions) -> Iterator[type[Engine]]:
    """The engine (for auto, its candidates) that can run here with these options."""
    for candidate in _auto_candidates(options) if name == "auto" else (name,):
        engine = ENGINES.get(candidate)
        if engine is not None and engine.unavailable_reason(options) is None:
            yield engine


def _auto_candidates(options: EngineOptions) -> tuple[str, ...]:
    """An option that only one engine reads says which engine the user means."""
    if options.image:
        return ("docker",)
    if options.pg_bin:
        return ("local",)
    return AUTO_ORDER


def _pick_auto(options: EngineOptions, needs: Needs) -> Engine:
    reasons, usable = [], []
    for name in _auto_candidates(options):
        reason = ENGINES[name].unavailable_reason(options)
        if reason is None:
            usable.append(ENGINES[name])
        else:
            reasons.append(f"{name}: {reason}")
    if not usable:
        raise EngineError("no database engine available (" + "; ".join(reasons) + ")")
    for engine_class in usable:
        if needs.met_by(engine_class.available_extensions(options), engine_class.server_major(options)):
            return engine_class(options)
    # None is known to have them all: the first runs what it can and reports the rest as not verified.
    return usable[0](options)


__all__ = [
    "ENGINES",
    "ENGINE_NAMES",
    "Engine",
    "EngineError",
    "EngineOptions",
    "meets",
    "open_engine",
    "supports",
]
