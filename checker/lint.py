"""The static pipeline: read → parse → model → rules → findings (with policy and suppressions applied)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from checker import sections
from checker.context import MigrationUnit, RuleContext, effects_of
from checker.errors import InputError
from checker.findings import NOT_VERIFIED, SYNTAX_ERROR, Finding, Severity
from checker.gc_pause import gc_paused
from checker.model import Catalog
from checker.model.walk import CLAUSES
from checker.parse import ParsedFile, parse_source
from checker.policy import Policy
from checker.rules import Rule, all_rules
from checker.rules.base import Issue
from checker.source import read_source
from checker.suppress import FileSuppressions, find_suppressions
from checker.targets import Target


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    units: list[MigrationUnit] = field(default_factory=list)

    @property
    def has_syntax_error(self) -> bool:
        return any(f.rule == SYNTAX_ERROR for f in self.findings)


def parse_file(path: Path, section: str | None = None, allow_empty: bool = False) -> ParsedFile:
    """`allow_empty`: a file with no statements is a migration that does nothing (the Supabase CLI
    applies the file `supabase migration new` writes); elsewhere it is an InputError."""
    source = read_source(path, allow_empty)
    parsed = parse_source(sections.section(source, section) if section else source)
    if not parsed.statements and not parsed.syntax_error and section is None and not allow_empty:
        raise InputError("no SQL statements (only comments or empty statements)", str(path))
    return parsed


def baseline_catalog(policy: Policy, files: Iterable[ParsedFile]) -> Catalog:
    catalog = Catalog()
    for ref in policy.known_objects():
        catalog.add_known(ref)
    for parsed in files:
        for effects in effects_of(parsed):
            catalog.apply(effects, origin="baseline")
        catalog.end_session()  # a file's temporary relations are not the schema the migrations start from
    return catalog


def lint_targets(*args, **kwargs) -> LintResult:
    """Lint with the cyclic garbage collector paused: the model allocates millions of small,
    acyclic objects, and collections triggered by them would dominate the run time."""
    with gc_paused():
        try:
            return _lint_targets(*args, **kwargs)
        finally:
            CLAUSES.clear()


def _lint_targets(
    targets: list[Target], baseline: list[Path], policy: Policy, rules: list[Rule] | None = None
) -> LintResult:
    """Lint migrations in order; each sees the baseline and every migration before it."""
    result = LintResult()
    rules = rules if rules is not None else list(all_rules())
    parsed_baseline = [_parse_counted(path, result) for path in baseline]
    catalog = baseline_catalog(policy, (p for p in parsed_baseline if not p.syntax_error))
    empty_ok = policy.order == "supabase"
    parsed = [_parse_target(target, result, empty_ok) for target in targets]
    migrations = [migration for migration, _ in parsed]
    for position, (target, (migration, rollback)) in enumerate(zip(targets, parsed, strict=True)):
        unit = MigrationUnit(migration, rollback, catalog, migrations[position + 1 :])
        result.units.append(unit)
        context = RuleContext(unit, policy)
        if target.report:
            result.findings.extend(lint_unit(context, rules))
        if not migration.syntax_error:
            catalog = context.after  # the next migration starts where this one left the schema
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _parse_target(
    target: Target, result: LintResult, empty_ok: bool
) -> tuple[ParsedFile, ParsedFile | None]:
    migration = _parse_counted(target.migration, result, target.section(of_rollback=False), empty_ok)
    if target.rollback is None:
        return migration, None
    return migration, _parse_counted(target.rollback, result, target.section(of_rollback=True))


def _parse_counted(
    path: Path, result: LintResult, section: str | None = None, allow_empty: bool = False
) -> ParsedFile:
    parsed = parse_file(path, section, allow_empty)
    if parsed.path not in result.files:
        result.files.append(parsed.path)
    if parsed.syntax_error:
        result.findings.append(parsed.syntax_error)
    return parsed


def lint_unit(context: RuleContext, rules: list[Rule]) -> list[Finding]:
    policy = context.policy
    files = [f for f in (context.migration, context.rollback) if f]
    if any(f.syntax_error for f in files):
        return []  # the syntax error itself is the finding; rules need a complete model
    suppressions = {f.path: find_suppressions(f) for f in files}
    findings: list[Finding] = []
    # The model first, whatever rule runs first: it writes pg_temp into the trees' references to the
    # session's temporary tables (objects.qualify_temporary), which rules reading a tree rely on.
    _ = context.migration_effects, context.rollback_effects
    for rule in rules:
        if policy.severity(rule.id, rule.severity) is None and not rule.extra_ids:
            continue
        for issue in rule.check(context):
            finding = _to_finding(rule, issue, policy)
            if finding and not _suppressed(finding, issue, suppressions):
                findings.append(finding)
    for suppression in suppressions.values():
        findings.extend(suppression.problems)
        findings.extend(suppression.unused())
    return findings


def _to_finding(rule: Rule, issue: Issue, policy: Policy) -> Finding | None:
    rule_id = issue.rule_id or rule.id
    severity = policy.severity(rule_id, issue.severity or rule.severity)
    if severity is None:
        return None
    if issue.object_name and policy.exemption(rule_id, issue.object_name):
        return None
    line, column = issue.statement.position(issue.location)
    return Finding(
        rule_id, severity, "static", issue.statement.source.path, line, column, issue.message, issue.hint
    )


def _suppressed(finding: Finding, issue: Issue, suppressions: dict[str, FileSuppressions]) -> bool:
    found = suppressions.get(finding.file)
    return bool(found and found.covers(finding.rule, issue.statement.index))


def exit_code(findings: list[Finding]) -> int:
    unusable = (SYNTAX_ERROR, NOT_VERIFIED)
    if any(f.rule in unusable and f.severity is Severity.ERROR for f in findings):
        return 2
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
