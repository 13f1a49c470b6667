"""The Supabase CLI layout: `supabase/config.toml` and `supabase/migrations/*.sql`.

With no PATH the checker looks for it in the working directory and its parents; a PATH inside a
project's `supabase/migrations` is that layout too. The CLI runs each migration file in one
transaction, has no rollback files, and applies the folder's `<version>_<name>.sql` files in name
order, so those are the layout's defaults (a project's own policy still decides); `[db] major_version`
says which PostgreSQL it runs.

How the CLI picks and orders the files (supabase/cli, pkg/migration/list.go and file.go): the folder's
entries in byte order of their names (not its subfolders); a name must match `<digits>_<name>.sql` or
the file is skipped; a first file `<14 digits>_init.sql` older than 2021-12-09 is skipped (an old CLI
wrote it); and each file's version is recorded in supabase_migrations.schema_migrations, whose key is
the version, so a second file with the same version fails there.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from checker.findings import MIGRATION_NAME, Finding, Severity
from checker.policy import Policy

CONFIG = Path("supabase") / "config.toml"
MIGRATIONS = Path("supabase") / "migrations"
ROLES_FILE = Path("supabase") / "roles.sql"
CLI_MIGRATION_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")
_LEGACY_INIT = re.compile(r"([0-9]{14})_init\.sql")
LEGACY_INIT_BEFORE = 20211209000000


@dataclass(frozen=True)
class SupabaseProject:
    root: Path  # the folder that holds supabase/

    @property
    def migrations(self) -> Path:
        """The migrations folder, relative to the working directory when it can be (as reports show paths)."""
        return Path(os.path.relpath(self.root / MIGRATIONS))

    @functools.cached_property
    def config(self) -> dict:
        """config.toml (read once), or {} when it cannot be read: the Supabase CLI reports a broken one,
        and what the checker takes from it (the PostgreSQL major, the API's schemas) are defaults only."""
        try:
            return tomllib.loads((self.root / CONFIG).read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            return {}

    @property
    def major_version(self) -> str | None:
        version = self.config.get("db", {}).get("major_version")
        return str(version) if isinstance(version, int) else None

    @property
    def api_schemas(self) -> list[str] | None:
        """`[api] schemas`: the schemas the project's PostgREST exposes to anon and authenticated."""
        schemas = self.config.get("api", {}).get("schemas")
        if isinstance(schemas, list) and schemas and all(isinstance(s, str) and s for s in schemas):
            return schemas
        return None

    @property
    def seed_files(self) -> list[Path]:
        """`[db.seed] sql_paths` (default `./seed.sql`, globs relative to supabase/), the files that
        `supabase db reset` runs after the migrations in this order; none when `enabled = false`."""
        seed = self.config.get("db", {}).get("seed", {})
        if not isinstance(seed, dict) or seed.get("enabled", True) is False:
            return []
        patterns = seed.get("sql_paths", ["./seed.sql"])
        found: list[Path] = []
        for pattern in patterns if isinstance(patterns, list) else []:
            if isinstance(pattern, str):
                matches = sorted(glob.glob(os.path.join(self.root / "supabase", pattern)))
                found += [Path(m) for m in matches if Path(m).is_file() and Path(m) not in found]
        return found

    @property
    def roles_file(self) -> Path | None:
        """`supabase/roles.sql`: the custom roles `supabase start` and `db reset` create before the
        migrations (and `db push --include-roles` on a deploy)."""
        path = self.root / ROLES_FILE
        return path if path.is_file() else None

    def apply_defaults(self, policy: Policy) -> None:
        policy.default("transaction", "runner")
        policy.default("rollback", "optional")
        policy.default("order", "supabase")
        if schemas := self.api_schemas:
            policy.default("exposed_schemas", schemas)
        if seed_files := self.seed_files:
            policy.default("seed_files", [str(path) for path in seed_files])
        if roles_file := self.roles_file:
            policy.default("roles_file", str(roles_file))


def find_supabase_project(start: Path) -> SupabaseProject | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / CONFIG).is_file():
            return SupabaseProject(folder)
    return None


def looked_for(start: Path) -> str:
    return f"no migration given, and no Supabase CLI project ({CONFIG}) in {start.resolve()} or its parents"


def project_migrations(path: Path) -> Path:
    """A Supabase CLI project's root or its `supabase` folder, named as the path to check (`checker lint .`,
    `checker lint supabase`), stands for its supabase/migrations (not seed.sql beside them); any other path
    for itself, a root holding SQL files of its own too."""
    if not path.is_dir():
        return path
    if path.name == MIGRATIONS.parent.name and (path / MIGRATIONS.name).is_dir():
        return path / MIGRATIONS.name
    if (path / MIGRATIONS).is_dir() and not any(path.glob("*.sql")):
        return path / MIGRATIONS
    return path


def project_of_migrations(path: Path) -> SupabaseProject | None:
    """The Supabase CLI project whose `supabase/migrations` is `path` or holds the file `path`; the
    folder's name says so even where config.toml is not committed (its settings are defaults only)."""
    resolved = path.resolve()
    folder = resolved if resolved.is_dir() else resolved.parent
    root = folder.parent.parent
    return SupabaseProject(root) if folder == root / MIGRATIONS else None


# --- which files the CLI applies, in which order -------------------------------------------------


def cli_version(path: Path) -> str | None:
    """The version the CLI reads from a file name (`20240101120000` of `20240101120000_notes.sql`)."""
    match = CLI_MIGRATION_NAME.match(path.name)
    return match.group(1) if match else None


_LEGACY_INIT_SKIPPED = (
    "an old Supabase CLI's first `<timestamp>_init.sql` (before 2021-12-09): the CLI skips it",
    "rename it, e.g. to <timestamp>_initial_schema.sql, to have it applied",
)
_NO_VERSION_SKIPPED = (
    "its name is not `<version>_<name>.sql`, so the Supabase CLI skips it and never applies it",
    "if it is a migration, rename it (e.g. 20240101120000_name.sql); else move it out of supabase/migrations",
)


def cli_migrations(files: Iterable[Path]) -> tuple[list[Path], dict[Path, tuple[str, str]]]:
    """The files the CLI applies, in its order, and the ones it skips with why and what to do."""
    applied: list[Path] = []
    skipped: dict[Path, tuple[str, str]] = {}
    for path in sorted(files, key=lambda p: p.name.encode()):
        if _legacy_init(path.name) and _first_entry(path.parent) == path.name:
            skipped[path] = _LEGACY_INIT_SKIPPED
        elif cli_version(path) is None:
            skipped[path] = _NO_VERSION_SKIPPED
        else:
            applied.append(path)
    return applied, skipped


def _first_entry(folder: Path) -> str | None:
    """The first of all the folder's entries in byte order (any file or subfolder counts for the CLI)."""
    try:
        return min(os.listdir(folder), key=os.fsencode, default=None)
    except OSError:
        return None


def _legacy_init(name: str) -> bool:
    match = _LEGACY_INIT.search(name)  # unanchored, as the CLI matches it
    return bool(match) and int(match.group(1)) < LEGACY_INIT_BEFORE


def layout_findings(
    applied: list[Path],
    skipped: dict[Path, tuple[str, str]],
    rollbacks: Iterable[Path],
    orphans: Iterable[Path] = (),
) -> list[Finding]:
    """What breaks `supabase db push` before any SQL runs: files it skips, rollback files it would
    apply as migrations, and versions two files share; and files named like rollbacks of no migration,
    which it applies as migrations (and the checker checks as such)."""
    findings = [
        _finding(path, Severity.WARNING, f"not applied: {why}", hint) for path, (why, hint) in skipped.items()
    ]
    for path in orphans:  # named like a rollback of no migration here: checked as the CLI runs it
        findings.append(
            _finding(
                path,
                Severity.WARNING,
                "named like a rollback, but no migration of this folder is its own: the Supabase CLI "
                "applies it as a migration, and it is checked as one",
                "if it is a migration, name it as one; if it undoes one, move it to "
                "supabase/migrations/rollback/ beside that migration's name",
            )
        )
    for rollback in rollbacks:
        if cli_version(rollback) is not None:
            findings.append(
                _finding(
                    rollback,
                    Severity.ERROR,
                    "the Supabase CLI applies this rollback file as a migration: its name has a version, "
                    "and the CLI applies every <version>_<name>.sql file of supabase/migrations",
                    "move it to supabase/migrations/rollback/ (the CLI reads no subfolder) or out of "
                    "supabase/migrations",
                )
            )
    first_with: dict[str, Path] = {}
    for path in applied:
        version = cli_version(path) or ""
        if version in first_with:
            findings.append(
                _finding(
                    path,
                    Severity.ERROR,
                    f"version {version} is also {first_with[version].name}'s: the Supabase CLI records each "
                    "migration under its version (the key of supabase_migrations.schema_migrations), so "
                    "this file fails with a duplicate key and stops `supabase db push`",
                    "give it a version of its own (supabase migration new NAME makes one)",
                )
            )
        else:
            first_with[version] = path
    return findings


def _finding(path: Path, severity: Severity, message: str, hint: str) -> Finding:
    return Finding(MIGRATION_NAME, severity, "static", str(path), 1, 1, message, hint)
