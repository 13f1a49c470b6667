"""Which files to check, in which order, and which rollback belongs to which migration.

Explicit pairs in the policy win. Otherwise a directory's `*.sql` files run in version order
(`20240101120000_name.sql`, `0001_name.sql`) and rollbacks pair by convention:
`X.down.sql`, `X_rollback.sql`, `rollback/X.sql`, golang-migrate's `N_name.up.sql` / `N_name.down.sql`,
and dbmate's `-- migrate:up` / `-- migrate:down` sections of one file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.errors import InputError
from checker.policy import Policy
from checker.supabase_project import cli_migrations

_VERSION = re.compile(r"^(\d+)")  # file-name prefix, not SQL
ROLLBACK_SUFFIXES = (".down.sql", "_rollback.sql", "_down.sql")


@dataclass
class Target:
    migration: Path
    rollback: Path | None = None
    report: bool = True  # False: modelled as context only (e.g. unchanged files before a changed one)
    sectioned: bool = False  # dbmate: the migration is the up section, the rollback the down section

    def files(self) -> set[Path]:
        """The migration and its rollback, resolved."""
        return {self.migration.resolve(), *([self.rollback.resolve()] if self.rollback else [])}

    def section(self, of_rollback: bool) -> str | None:
        if not self.sectioned:
            return None
        return "down" if of_rollback else "up"


def version_key(path: Path) -> tuple:
    match = _VERSION.match(path.name)
    return (0, int(match.group(1)), path.name) if match else (1, 0, path.name)


def resolve_targets(paths: list[Path], policy: Policy, rollback: Path | None = None) -> list[Target]:
    targets: list[Target] = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", str(path))
        if path.is_dir():
            targets.extend(_directory_targets(path, policy))
        else:
            targets.append(_file_target(path, _policy_rollback(path, policy)))
    if rollback is not None:
        if len(targets) != 1:
            raise InputError("--rollback needs exactly one migration file", str(rollback))
        if not rollback.exists():
            raise InputError("no such file", str(rollback))
        targets[0].rollback = rollback
    return targets


def _policy_rollback(path: Path, policy: Policy) -> Path | None:
    for entry in policy.migrations:
        if _same(entry.path, path):
            return entry.rollback
    return _conventional_rollback(path)


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _directory_targets(folder: Path, policy: Policy) -> list[Target]:
    listed = [e for e in policy.migrations if inside(e.path, folder)]
    if listed:
        return [Target(e.path, e.rollback) for e in listed]
    files = folder_migrations(folder, policy)
    if policy.order == "supabase":
        files, _ = cli_migrations(files)
    else:
        files.sort(key=version_key)
    return [_file_target(p, _conventional_rollback(p)) for p in files]


def folder_migrations(folder: Path, policy: Policy) -> list[Path]:
    """The folder's SQL files that are neither rollbacks nor the policy's baseline or smoke files. Under
    the Supabase CLI, a file named like a rollback of no migration here is one: the CLI applies it."""
    skip = {p.resolve() for p in [*policy.baseline, *policy.smoke]}
    files = [p for p in folder.glob("*.sql") if p.resolve() not in skip]
    if policy.order == "supabase":
        return [p for p in files if not is_rollback_name(p) or is_orphan_rollback(p)]
    return [p for p in files if not is_rollback_name(p)]


def _file_target(path: Path, rollback: Path | None) -> Target:
    if rollback is None and _has_dbmate_sections(path):
        return Target(path, path, sectioned=True)
    return Target(path, rollback)


def _has_dbmate_sections(path: Path) -> bool:
    try:
        return b"migrate:down" in path.read_bytes()  # a cheap pre-filter; sections.py finds the comments
    except OSError:
        return False


def inside(path: Path, folder: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def is_rollback_name(path: Path) -> bool:
    return path.name.endswith(ROLLBACK_SUFFIXES) or path.parent.name == "rollback"


def is_orphan_rollback(path: Path) -> bool:
    """A file named like a rollback (`X_rollback.sql`, `X.down.sql`) beside no migration X of its own."""
    if not path.name.endswith(ROLLBACK_SUFFIXES):
        return False
    stem = next(path.name.removesuffix(suffix) for suffix in ROLLBACK_SUFFIXES if path.name.endswith(suffix))
    return not any(path.with_name(stem + ending).is_file() for ending in (".sql", ".up.sql"))


def _conventional_rollback(path: Path) -> Path | None:
    stem = path.name.removesuffix(".sql")
    candidates = [path.with_name(stem + suffix) for suffix in ROLLBACK_SUFFIXES]
    if stem.endswith(".up"):
        candidates.insert(0, path.with_name(stem.removesuffix(".up") + ".down.sql"))
    candidates.append(path.parent / "rollback" / path.name)
    return next((c for c in candidates if c.is_file()), None)


def mark_changed_since(targets: list[Target], ref: str) -> set[Path]:
    """Report only on migrations (or their rollbacks) changed since the git ref; model all of them.
    Returns the changed files (resolved) of the targets' folders."""
    changed: set[Path] = set()
    for folder in {t.migration.resolve().parent for t in targets}:
        changed |= _git_changed(folder, ref)
    for target in targets:
        target.report = bool(target.files() & changed)
    return changed


def _git_changed(folder: Path, ref: str) -> set[Path]:
    top = _git(folder, "rev-parse", "--show-toplevel").strip()
    names = _git(folder, "diff", "--name-only", ref, "--", ".")
    names += _git(folder, "ls-files", "--others", "--exclude-standard", "--full-name", "--", ".")
    return {(Path(top) / name).resolve() for name in names.splitlines() if name.strip()}


def _git(folder: Path, *args: str) -> str:
    import subprocess  # only for --changed-since: a plain lint does not pay for the import

    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InputError("--changed-since needs git, which is not installed") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise InputError(f"--changed-since: {last}", str(folder))
    return done.stdout
