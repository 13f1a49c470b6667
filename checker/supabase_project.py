"""The Supabase CLI layout: `supabase/config.toml` and `supabase/migrations/*.sql`.

With no PATH the checker looks for it in the working directory and its parents. The CLI runs each
migration file in one transaction and has no rollback files, so those are the layout's defaults
(a project's own policy still decides); `[db] major_version` says which PostgreSQL it runs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from checker.policy import Policy

CONFIG = Path("supabase") / "config.toml"
MIGRATIONS = Path("supabase") / "migrations"


@dataclass(frozen=True)
class SupabaseProject:
    root: Path  # the folder that holds supabase/

    @property
    def migrations(self) -> Path:
        """The migrations folder, relative to the working directory when it can be (as reports show paths)."""
        return Path(os.path.relpath(self.root / MIGRATIONS))

    @property
    def major_version(self) -> str | None:
        try:
            config = tomllib.loads((self.root / CONFIG).read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            return None  # the Supabase CLI reports a broken config.toml; the version is only a preference
        version = config.get("db", {}).get("major_version")
        return str(version) if isinstance(version, int) else None

    def apply_defaults(self, policy: Policy) -> None:
        policy.default("transaction", "runner")
        policy.default("rollback", "optional")


def find_supabase_project(start: Path) -> SupabaseProject | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / CONFIG).is_file():
            return SupabaseProject(folder)
    return None


def looked_for(start: Path) -> str:
    return f"no migration given, and no Supabase CLI project ({CONFIG}) in {start.resolve()} or its parents"
