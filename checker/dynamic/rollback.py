"""What a rollback did not undo: catalog differences as findings at the rollback file.

The snapshots cover what the migration and its rollback can touch (scope.py), plus a fingerprint of
what exists outside that, so a check costs what the migration is, not what the database holds."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from checker.context import RuleContext
from checker.dynamic.collect import Collector, at
from checker.dynamic.scope import Scope, unit_scope
from checker.dynamic.snapshot import (
    Difference,
    Fingerprint,
    Snapshot,
    diff_fingerprints,
    diff_snapshots,
    take_fingerprint,
    take_snapshot,
)
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.objects import quote_ident
from checker.parse import Statement

ROLLBACK = "dynamic-rollback"

_HINTS = {
    "left behind": "drop it in the rollback (before its COMMIT) so the database returns to where it was",
    "dropped": "the migration did not create it, so its rollback must not drop it; drop only what the "
    "migration made, and avoid CASCADE on shared objects",
    "changed": "restore its previous definition in the rollback",
}


@dataclass
class Before:
    """What the rollback check compares with: the scope's snapshot, and what exists outside it."""

    scope: Scope
    snapshot: Snapshot
    outside: Fingerprint | None  # None: the snapshot is of the whole catalog

    @classmethod
    def take(cls, admin: psycopg.Connection, context: RuleContext) -> Before:
        scope = unit_scope(admin, context)
        outside = None if scope.whole else take_fingerprint(admin, scope)
        return cls(scope, take_snapshot(admin, scope), outside)

    def differences(self, admin: psycopg.Connection) -> list[Difference]:
        found = diff_snapshots(self.snapshot, take_snapshot(admin, self.scope))
        if self.outside is not None:
            found += diff_fingerprints(admin, self.outside, take_fingerprint(admin, self.scope))
        return found


def report_differences(context: RuleContext, differences: list[Difference], out: Collector) -> None:
    """Each difference between the snapshots before the migration and after its rollback."""
    rollback = context.rollback
    if rollback is None or not rollback.statements:
        return
    for difference in differences:
        statement = _responsible(context, difference) or (
            rollback.statements[-1] if difference.change == "left behind" else rollback.statements[0]
        )
        out.add(
            ROLLBACK,
            Severity.ERROR,
            at(statement),
            f"after the rollback, {difference.message}",
            _HINTS.get(difference.change, _HINTS["changed"]),
            difference.identity,
        )


def _responsible(context: RuleContext, difference: Difference) -> Statement | None:
    """The rollback statement that dropped the object (directly, else the first CASCADE)."""
    if difference.change == "left behind":
        return None
    cascading = None
    for effects in context.rollback_effects:
        for drop in effects.drops:
            if _names(drop.ref, difference):
                return effects.statement
            if drop.cascade and cascading is None:
                cascading = effects.statement
    return cascading


def _names(ref: ObjectRef, difference: Difference) -> bool:
    """Whether a dropped object is the one a snapshot difference names (both quote as quote_ident does)."""
    identity = difference.identity
    if ref.kind == "column" and ref.table_ref:
        return identity == f"{ref.table_ref.qualified}.{quote_ident(ref.name)}"
    if ref.kind in ("function", "procedure"):
        return identity.startswith(ref.qualified + "(")
    return identity == ref.qualified and (difference.kind == ref.kind or ref.kind == "table")
