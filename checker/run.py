"""What the commands do, apart from argument parsing: resolve files and policy, run stages, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from checker import __version__
from checker.errors import InputError
from checker.findings import SYNTAX_ERROR, Finding
from checker.lint import exit_code, lint_targets
from checker.policy import Policy, load_policy
from checker.report import Report, render
from checker.supabase_project import (
    SupabaseProject,
    cli_migrations,
    find_supabase_project,
    layout_findings,
    looked_for,
    project_migrations,
    project_of_migrations,
)

if TYPE_CHECKING:
    from checker.context import MigrationUnit
    from checker.dynamic.capabilities import Needs
    from checker.dynamic.engines import EngineOptions
from checker.targets import (
    Target,
    folder_migrations,
    inside,
    is_rollback_name,
    mark_changed_since,
    resolve_targets,
    version_key,
)


def prepare(
    paths: tuple[Path, ...],
    rollback: Path | None,
    baselines: tuple[Path, ...],
    config: str | None,
    changed_since: str | None = None,
) -> tuple[Policy, list[Target], list[Path], list[Finding]]:
    policy = load_policy(config)
    paths = tuple(map(project_migrations, paths))
    project = supabase_project_of(paths)
    if not paths:
        paths = _supabase_paths(project)
    if project is not None:
        project.apply_defaults(policy)
    folder = _context_folder(paths, project, rollback, policy)
    named = {path.resolve() for path in paths} if folder else set()
    scanned = (folder,) if folder else paths
    targets = resolve_targets(list(scanned), policy, rollback)
    if not targets:
        raise InputError(_nothing_applied(scanned, policy), ", ".join(str(p) for p in paths))
    changed = mark_changed_since(targets, changed_since) if changed_since else None
    layout = _cli_layout_findings(scanned, targets, policy, changed)
    if named:
        layout = _report_named_only(targets, layout, named)
    baseline = _baseline_files(baselines, policy)
    return policy, targets, baseline, layout


def _nothing_applied(paths: tuple[Path, ...], policy: Policy) -> str:
    """Why no migration was found: none at all, or only files the Supabase CLI skips (a Lovable project's
    `<version>-<uuid>.sql`), which it would never apply."""
    folders = [path for path in paths if path.is_dir() and policy.order == "supabase"]
    skipped = [path for folder in folders for path in cli_migrations(folder_migrations(folder, policy))[1]]
    if not skipped:
        return "no migration files found"
    return (
        f"no migration the Supabase CLI applies: its {len(skipped)} .sql file(s) ({skipped[0].name} ...) "
        "are not named `<version>_<name>.sql`, so the CLI skips every one; rename them (e.g. "
        "20240101120000_name.sql)"
    )


def _context_folder(
    paths: tuple[Path, ...], project: SupabaseProject | None, rollback: Path | None, policy: Policy
) -> Path | None:
    """The migrations folder of files named alone (a pre-commit hook's staged files): its migrations
    before them are their context, as --changed-since makes them, so that what they build on exists.
    A Supabase project's supabase/migrations; or one folder of versioned files (0002_name.sql) when
    the policy lists no migrations. None otherwise."""
    if rollback is not None or not paths or not all(path.is_file() for path in paths):
        return None
    if project is not None:
        return project.migrations
    folders = {path.resolve().parent for path in paths}
    if len(folders) == 1 and not policy.migrations and all(version_key(p)[0] == 0 for p in paths):
        return paths[0].parent
    return None


def _report_named_only(targets: list[Target], layout: list[Finding], named: set[Path]) -> list[Finding]:
    """The folder's other migrations stay context: findings about the named files only."""
    for target in targets:
        target.report = target.report and bool(target.files() & named)
    return [finding for finding in layout if Path(finding.file).resolve() in named]


def supabase_project_of(paths: tuple[Path, ...]) -> SupabaseProject | None:
    """The Supabase CLI project the run is about, whose defaults apply: with no PATH, the one here or
    above; else the one whose supabase/migrations holds every PATH, if any."""
    if not paths:
        return find_supabase_project(Path.cwd())
    projects = [project_of_migrations(path) for path in paths]
    return projects[0] if all(projects) else None


def _supabase_paths(project: SupabaseProject | None) -> tuple[Path, ...]:
    """No PATH: the migrations of the Supabase CLI project here or above."""
    if project is None:
        raise InputError(f"{looked_for(Path.cwd())}; name SQL files or a directory (e.g. checker lint sql/)")
    return (project.migrations,)


def _cli_layout_findings(
    paths: tuple[Path, ...], targets: list[Target], policy: Policy, changed: set[Path] | None
) -> list[Finding]:
    """In the Supabase CLI's order: the folder's files the CLI skips, rollbacks it would apply, and
    versions two files share (with --changed-since, about the changed files only)."""
    folders = [path for path in paths if path.is_dir() and policy.order == "supabase"]
    folders = [f for f in folders if not any(inside(e.path, f) for e in policy.migrations)]
    findings = []
    for folder in folders:
        applied, skipped = cli_migrations(folder_migrations(folder, policy))
        here = folder.resolve()
        rollbacks = [
            t.rollback
            for t in targets
            if t.rollback and not t.sectioned and t.rollback.resolve().parent == here
        ]
        orphans = [path for path in applied if is_rollback_name(path)]
        findings += layout_findings(applied, skipped, rollbacks, orphans)
    if changed is not None:
        findings = [f for f in findings if Path(f.file).resolve() in changed]
    return [
        replace(f, severity=s) for f in findings if (s := policy.severity(f.rule, f.severity)) is not None
    ]


def _baseline_files(baselines: tuple[Path, ...], policy: Policy) -> list[Path]:
    files: list[Path] = []
    for path in baselines or tuple(policy.baseline):
        if not path.exists():
            raise InputError("no such baseline file or directory", str(path))
        files.extend(sorted(path.glob("*.sql"), key=version_key) if path.is_dir() else [path])
    return files


def lint_result(paths, rollback, baselines, config, changed_since=None):
    policy, targets, baseline, layout = prepare(paths, rollback, baselines, config, changed_since)
    result = lint_targets(targets, baseline, policy)
    result.findings.extend(layout)
    return policy, targets, baseline, result


def render_findings(
    findings: list[Finding],
    files: list[str],
    fmt: str,
    verification: dict | None = None,
    locks: list | None = None,
) -> str:
    report = Report(sorted(findings, key=lambda f: f.sort_key), files, __version__, verification, locks or [])
    return render(report, fmt)


def lock_table(units: list[MigrationUnit], policy: Policy, fmt: str) -> list:
    """The text and Markdown reports' table of locks on existing tables, per migration that parses."""
    if fmt not in ("text", "markdown"):
        return []
    from checker.context import RuleContext
    from checker.rules._locks import lock_holds

    return [hold for unit in _runnable_units(units) for hold in lock_holds(RuleContext(unit, policy))]


def run_lint(
    paths, rollback, baselines, config, fmt, changed_since=None, say=None, keep: list | None = None
) -> tuple[int, str]:
    """`keep` receives the lint result, for a caller that exits without freeing it."""
    if say:
        say("linting")
    policy, targets, _, result = lint_result(paths, rollback, baselines, config, changed_since)
    if keep is not None:
        keep.append(result)
    locks = lock_table(_reported_units(result.units, targets), policy, fmt)
    return exit_code(result.findings), render_findings(result.findings, result.files, fmt, locks=locks)


@dataclass
class DynamicRequest:
    engine: str
    options: EngineOptions
    lint_first: bool  # `check`: the static findings are part of the report
    timings_file: Path | None = None
    accept_unverified: bool = False  # --accept-unverified: the policy's `unverified = "warn"`
    say: Callable[[str], None] = field(default=lambda _: None)  # progress lines (stderr), if wanted
    tenancy_only: bool = False  # `checker tenancy`: only the tenancy model (and what stopped the run)


# What `checker tenancy` shows besides the model: why a table's model is missing.
_TENANCY_CONTEXT = frozenset({"rls-tenancy", "dynamic-baseline", "dynamic-apply", "dynamic-not-verified"})


def run_verify(
    request: DynamicRequest, paths, rollback, baselines, config, fmt, changed_since
) -> tuple[int, str]:
    from checker.dynamic.record import Record
    from checker.dynamic.stage import dynamic_needs, run_dynamic, unparsed_rest

    request.say("linting")
    policy, targets, baseline, result = lint_result(paths, rollback, baselines, config, changed_since)
    runnable = _runnable_units(result.units)
    _supabase_major(request, supabase_project_of(paths), dynamic_needs(runnable, policy))
    if request.accept_unverified:
        policy.data["unverified"] = "warn"
    if request.tenancy_only:
        policy.data["rules"] = {**policy.data.get("rules", {}), "rls-tenancy": {"severity": "info"}}
    findings = list(result.findings) if request.lint_first else []
    timings: dict[str, float] = {}
    record = Record(say=request.say)
    if runnable:
        unchecked = _unchanged_before_first_change(runnable, targets)
        dynamic = run_dynamic(
            runnable, baseline, policy, request.engine, request.options, timings, record, unchecked
        )
        dynamic += unparsed_rest(result.units[len(runnable) :], policy, record)
        findings.extend(_once(_for_reported_targets(dynamic, targets), findings))
    if not request.lint_first:
        findings.extend(f for f in result.findings if f.rule == SYNTAX_ERROR)
    if request.tenancy_only:
        findings = [f for f in findings if f.rule in _TENANCY_CONTEXT or f.rule == SYNTAX_ERROR]
    if request.timings_file:
        request.timings_file.write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    verification = record.to_dict() if runnable else None
    locks = lock_table(_reported_units(result.units, targets), policy, fmt)
    return exit_code(findings), render_findings(findings, result.files, fmt, verification, locks)


def _supabase_major(request: DynamicRequest, project: SupabaseProject | None, needs: Needs) -> None:
    """The PostgreSQL major of the Supabase project's config.toml, when an engine here runs it and has
    what the migrations need (their extensions, role management from 16): else the engine's default,
    where that has it, rather than a run that cannot verify them."""
    from checker.dynamic.engines import meets, supports

    major = project.major_version if project else None
    if not major or request.options.pg_version:
        return
    wanted = replace(request.options, pg_version=major)
    if not supports(request.engine, wanted):
        return
    if not meets(request.engine, wanted, needs) and meets(request.engine, request.options, needs):
        request.say(
            f"config.toml's major_version {major} not used: the migrations need what no PostgreSQL "
            f"{major} here has ({needs.describe()})"
        )
        return
    request.options = wanted


def _once(dynamic: list[Finding], static: list[Finding]) -> list[Finding]:
    """The advisor step reports a condition a static rule also found at that rule's location: once."""
    reported = {(f.rule, f.file, f.line, f.column) for f in static}
    return [f for f in dynamic if (f.rule, f.file, f.line, f.column) not in reported]


def _runnable_units(units: list[MigrationUnit]) -> list[MigrationUnit]:
    """What the dynamic stage can run despite syntax errors: the migrations before the first one that
    does not parse (later ones need it), and without a rollback that does not parse."""
    runnable = []
    for unit in units:
        if unit.migration.syntax_error:
            break
        broken_rollback = unit.rollback is not None and unit.rollback.syntax_error is not None
        runnable.append(replace(unit, rollback=None) if broken_rollback else unit)
    return runnable


def _unchanged(targets: list[Target]) -> set[str]:
    """With --changed-since: the migrations unchanged since the ref (their rollbacks too)."""
    return {str(t.migration) for t in targets if not t.report}


def _unchanged_before_first_change(units: list[MigrationUnit], targets: list[Target]) -> int:
    """With --changed-since: how many migrations come before the first changed one (history.py)."""
    unchanged = _unchanged(targets)
    return next((i for i, unit in enumerate(units) if unit.migration.path not in unchanged), len(units))


def _reported_units(units: list[MigrationUnit], targets: list[Target]) -> list[MigrationUnit]:
    """The migrations the report is about: with --changed-since, the changed ones (as lint's findings)."""
    unchanged = _unchanged(targets)
    return [unit for unit in units if unit.migration.path not in unchanged]


# An earlier, unchanged migration that no longer applies blocks the changed ones: always reported.
_ALWAYS_REPORTED = frozenset({"dynamic-baseline", "dynamic-apply"})


def _for_reported_targets(findings: list[Finding], targets: list[Target]) -> list[Finding]:
    """With --changed-since, dynamic findings about unchanged migrations are left out, as lint's are."""
    quiet = {str(path) for t in targets if not t.report for path in (t.migration, t.rollback) if path}
    return [f for f in findings if f.file not in quiet or f.rule in _ALWAYS_REPORTED]
