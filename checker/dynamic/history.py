"""`--changed-since REF`: a pull request pays for what it changes.

The migrations before the first one changed since REF are the project's history: reviewed and
merged already. They are applied in one go, without their per-migration checks (no pre-check,
snapshot, lock trace, validation, probes, advisor or rollback), and the database they leave is
stored in the cluster cache (cluster_cache.py) under a key of everything that made it: the engine's
seeded cluster (server and seed), the baseline files, those migrations in order, the transaction
mode they ran in and the checker's version. The next run with the same key starts from a copy of
it and applies none of them. A history that fails to apply is reported (the changed migrations
build on it) and never cached. Engines without a cache (docker, dsn) apply it unchecked each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker import __version__
from checker.context import MigrationUnit
from checker.dynamic.cluster_cache import cache_key
from checker.dynamic.engines import Engine
from checker.policy import Policy

HISTORY_FORMAT = "migration history 1"  # bump when what a cached history holds changes
APPLIED_UNCHECKED = "applied unchecked"
RESTORED = "restored from cache"


@dataclass
class History:
    units: list[MigrationUnit]  # applied without their checks, in order
    baseline: list[Path]
    policy: Policy
    key: str | None = None  # where its state is cached; None: this engine does not cache
    restored: bool = False  # the run started from the cached state: none of it is applied

    def state_key(self, engine: Engine) -> str:
        parts: list[str | bytes] = [HISTORY_FORMAT, __version__, engine.seeded_key]
        parts.append(f"transaction={self.policy.transaction}")
        roles = self.policy.roles_file
        parts += [path.read_bytes() for path in ([roles] if roles else []) + self.baseline]
        parts.append(f"{len(self.units)} migrations")
        parts += [unit.migration.source.text for unit in self.units]
        return cache_key(*parts)

    def restore(self, engine: Engine) -> Path | None:
        """Before the engine starts: the cached state of this history, if there is one."""
        if not self.units or engine.cache is None:
            return None
        self.key = self.state_key(engine)
        found = engine.cache.lookup(self.key)
        self.restored = found is not None
        return found
