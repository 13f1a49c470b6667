"""The rule registry: every module in this package that defines RULE is a rule (one rule per module).

`checker rules` lists them in ORDER first (the runbook's core rules), then the rest by id.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from checker.rules.base import Example, Issue, Rule

ORDER = ("rls-enabled", "fk-order", "transaction-wrapper", "rollback-coverage")


@cache
def all_rules() -> tuple[Rule, ...]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        rule = getattr(import_module(f"{__name__}.{module.name}"), "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    return tuple(sorted(found, key=_position))


def _position(rule: Rule) -> tuple[int, str]:
    return (ORDER.index(rule.id) if rule.id in ORDER else len(ORDER), rule.id)


def rule_by_id(rule_id: str) -> Rule | None:
    for rule in all_rules():
        if rule_id == rule.id or rule_id in rule.extra_ids:
            return rule
    return None


__all__ = ["Example", "Issue", "Rule", "all_rules", "rule_by_id"]
