"""What the commands do, apart from argument parsing: resolve files and policy, run stages, render."""

from __future__ import annotations

from pathlib import Path

from checker import __version__
from checker.errors import InputError
from checker.findings import Finding
from checker.lint import exit_code, lint_targets
from checker.policy import Policy, load_policy
from checker.report import Report, render
from checker.targets import Target, mark_changed_since, resolve_targets, version_key


def prepare(
    paths: tuple[Path, ...],
    rollback: Path | None,
    baselines: tuple[Path, ...],
    config: str | None,
    changed_since: str | None = None,
) -> tuple[Policy, list[Target], list[Path]]:
    policy = load_policy(config)
    if not paths:
        raise InputError("no migration given: name SQL files or a directory (e.g. checker lint sql/)")
    targets = resolve_targets(list(paths), policy, rollback)
    if not targets:
        raise InputError("no migration files found", ", ".join(str(p) for p in paths))
    if changed_since:
        mark_changed_since(targets, changed_since)
    baseline = _baseline_files(baselines, policy)
    return policy, targets, baseline


def _baseline_files(baselines: tuple[Path, ...], policy: Policy) -> list[Path]:
    files: list[Path] = []
    for path in baselines or tuple(policy.baseline):
        if not path.exists():
            raise InputError("no such baseline file or directory", str(path))
        files.extend(sorted(path.glob("*.sql"), key=version_key) if path.is_dir() else [path])
    return files


def lint_result(paths, rollback, baselines, config, changed_since=None):
    policy, targets, baseline = prepare(paths, rollback, baselines, config, changed_since)
    return policy, targets, baseline, lint_targets(targets, baseline, policy)


def render_findings(findings: list[Finding], files: list[str], fmt: str) -> str:
    return render(Report(sorted(findings, key=lambda f: f.sort_key), files, __version__), fmt)


def run_lint(paths, rollback, baselines, config, fmt, changed_since=None) -> tuple[int, str]:
    _, _, _, result = lint_result(paths, rollback, baselines, config, changed_since)
    return exit_code(result.findings), render_findings(result.findings, result.files, fmt)


def run_verify(
    paths, rollback, baselines, config, fmt, changed_since, engine_choice, lint_first: bool
) -> tuple[int, str]:
    from checker.dynamic.stage import run_dynamic

    policy, _targets, baseline, result = lint_result(paths, rollback, baselines, config, changed_since)
    findings = list(result.findings) if lint_first else []
    if not result.has_syntax_error:
        engine_name, options = engine_choice
        findings.extend(run_dynamic(result.units, baseline, policy, engine_name, options))
    elif not lint_first:
        findings.extend(f for f in result.findings if f.rule == "syntax-error")
    return exit_code(findings), render_findings(findings, result.files, fmt)
