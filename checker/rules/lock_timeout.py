"""lock-timeout: a migration sets lock_timeout before it takes ACCESS EXCLUSIVE on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.rules._locks import Mode, lock_steps
from checker.rules.base import Example, Issue, Rule


def check(ctx: RuleContext) -> Iterator[Issue]:
    for step in lock_steps(ctx):
        exclusive = [t for t, lock in step.locks.items() if lock.mode is Mode.ACCESS_EXCLUSIVE]
        if exclusive and not step.lock_timeout:
            shown = exclusive[0].qualified
            yield Issue(
                step.statement,
                f"takes ACCESS EXCLUSIVE on {shown} with no lock_timeout set: while it waits behind a "
                f"long query or an open transaction on {shown}, every later read and write of the table "
                "queues behind it, and the API stalls",
                "start the migration with: set lock_timeout = '5s'; (or set local inside its "
                "transaction) so it fails fast instead, and retry it",
                None,
                shown,
            )
            return  # one finding per migration: the first statement that needs the timeout


_BASELINE = "create table public.users (id uuid primary key, email text);\n"

RULE = Rule(
    id="lock-timeout",
    severity=Severity.WARNING,
    summary="Migrations set lock_timeout before taking ACCESS EXCLUSIVE on an existing table",
    rationale=(
        "An ACCESS EXCLUSIVE request (most ALTER TABLE forms, CREATE POLICY, ENABLE ROW LEVEL "
        "SECURITY, DROP, TRUNCATE) waits for every transaction that has touched the table, and while "
        "it waits every new query on the table queues behind it: one slow report query turns a "
        "millisecond catalog change into an outage. lock_timeout makes the statement give up "
        "instead (retry it later). Set it before the first such statement: SET, SET LOCAL inside "
        "the transaction, or set_config('lock_timeout', ...). Reported once per migration, at the "
        "first statement that needs it; tables the migration created are exempt. A warning by "
        "default: the outage needs a conflicting transaction at that moment, and the statements "
        "that hold the lock long are errors of their own rules."
    ),
    bad=Example(
        "begin;\nalter table public.users add column bio text;\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nset local lock_timeout = '5s';\nalter table public.users add column bio text;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
