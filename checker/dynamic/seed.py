"""Seeding a fresh database so it behaves like a Supabase project.

The seed is the SQL files of `seed_sql/`, run in name order as the superuser in one transaction.
They are written from the supabase/postgres repository's facts (its init scripts, migrations and
the schema dump of a fresh project) and are idempotent: each skips what exists, so a second run
changes nothing and the seed also runs on top of a real supabase/postgres image.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from typing import Any

SEED_PACKAGE = "checker.dynamic.seed_sql"


def seed_files() -> list[Traversable]:
    """The seed's SQL files in the order they run."""
    folder = resources.files(SEED_PACKAGE)
    return sorted((item for item in folder.iterdir() if item.name.endswith(".sql")), key=lambda f: f.name)


def seed_file(name: str) -> str:
    """One seed file's SQL."""
    return resources.files(SEED_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def seed_sql() -> str:
    return "\n".join(item.read_text(encoding="utf-8") for item in seed_files())


def apply_seed(conn: Any) -> None:
    """Run the seed on a psycopg connection as a superuser; committed unless the caller is in autocommit."""
    conn.execute(seed_sql())
    if not conn.autocommit:
        conn.commit()
