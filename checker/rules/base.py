"""What a rule is: an id, a default severity, a rationale, a bad and a good example, and a check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checker.findings import Severity

if TYPE_CHECKING:
    from checker.context import RuleContext
    from checker.parse import Statement


@dataclass(frozen=True)
class Example:
    """SQL that shows a rule: the migration, and where the rule needs them, a rollback and a baseline."""

    migration: str
    rollback: str | None = None
    baseline: str | None = None
    policy: dict | None = None  # policy keys the example runs under (on top of the default policy)


@dataclass(frozen=True)
class Issue:
    """What a rule reports, before the policy gives it a severity."""

    statement: Statement
    message: str
    hint: str
    location: int | None = None  # byte offset of the offending clause; None: the statement's start
    object_name: str | None = None  # for exemptions: "public.table" or a function signature
    rule_id: str | None = None  # for rules that report under a second id of their family
    severity: Severity | None = None  # overrides the rule's default (e.g. a warning-level variant)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    rationale: str
    bad: Example
    good: Example
    check: Callable[[RuleContext], Iterable[Issue]]
    extra_ids: tuple[str, ...] = ()  # related ids this module reports, e.g. rls-no-policy
    # The lints of Supabase's database advisor (splinter) the rule reports before merge, e.g.
    # "0010_security_definer_view"; Supabase documents each one's remediation at remediation_url.
    mirrors: tuple[str, ...] = ()

    @property
    def remediation(self) -> tuple[str, ...]:
        return tuple(remediation_url(lint) for lint in self.mirrors)

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]


SPLINTER_DOCS = "https://supabase.com/docs/guides/database/database-linter?lint="


def remediation_url(lint: str) -> str:
    """Supabase's page for a splinter lint ("0016_materialized_view_in_api")."""
    return SPLINTER_DOCS + lint
