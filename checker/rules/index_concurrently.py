"""index-concurrently: indexes on live tables are built and dropped CONCURRENTLY, outside transactions."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.rules._locks import Step, in_own_transaction_hint, lock_steps
from checker.rules._schema_support import concurrently, drop_form
from checker.rules.base import Example, Issue, Rule
from checker.rules.transaction_wrapper import runs_alone, without_settings

_INDEX_KEYWORD = re.compile(r"\bindex\b", re.IGNORECASE)


def check(ctx: RuleContext) -> Iterator[Issue]:
    explicit = ctx.policy.transaction == "explicit"
    supabase = ctx.policy.supabase_runner
    dropped = _tables_dropped(ctx)
    splits = ctx.policy.supabase_runner and _shares_its_file(ctx)  # told once, at the first one
    built: dict[tuple[str, str], int] = {}  # indexes the migration builds, with their transaction
    for step in lock_steps(ctx):
        statement = step.statement
        dropping = drop_form(statement)[0] == "OBJECT_INDEX"
        if statement.kind != "IndexStmt" and not dropping:
            continue
        built.update({_name(made.ref): step.transaction for made in step.effects.creates})
        if dropping and _built_in_its_transaction(step, built):
            continue  # a temporary index of a backfill: its CREATE INDEX is the finding, if any
        if concurrently(statement):
            if step.in_block:
                yield _refused(step, dropping, explicit)
            elif splits:
                yield _splits_the_file(step, dropping)
                splits = False
            continue
        if _already_there(ctx, step):
            continue  # IF NOT EXISTS of an index an earlier migration made: nothing is built
        for table, lock in step.locks.items():
            if dropping and dropped.get(table, -1) > statement.index:
                continue  # its DROP TABLE takes ACCESS EXCLUSIVE anyway (supabase db diff's order)
            yield _blocking(step, table.qualified, lock.mode.label, dropping, explicit, supabase)


def _name(ref: ObjectRef) -> tuple[str, str]:
    return ref.schema, ref.name


def _built_in_its_transaction(step: Step, built: dict[tuple[str, str], int]) -> bool:
    """A DROP INDEX of indexes all built earlier in the same transaction: no one else has seen them, their
    CREATE INDEX on an existing table is reported already, and DROP INDEX CONCURRENTLY cannot drop an index
    its own transaction made."""
    dropped = [_name(drop.ref) for drop in step.effects.drops if drop.ref.kind == "index"]
    return bool(dropped) and all(built.get(name) == step.transaction for name in dropped)


def _already_there(ctx: RuleContext, step: Step) -> bool:
    """CREATE INDEX IF NOT EXISTS of an index the schema had before this migration: PostgreSQL takes the
    table's lock, finds the name taken and goes on (lock-timeout still weighs the wait for the lock)."""
    made = step.effects.creates
    return bool(made) and made[0].if_not_exists and ctx.before.find(made[0].ref) is not None


def _shares_its_file(ctx: RuleContext) -> bool:
    """Whether the file does work in the CLI's transaction: statements other than settings and those the
    CLI runs alone (a file of CREATE INDEX CONCURRENTLY only is fine)."""
    return any(not runs_alone(s) for s in without_settings(ctx.migration.statements))


def _splits_the_file(step: Step, dropping: bool) -> Issue:
    command = "DROP INDEX CONCURRENTLY" if dropping else "CREATE INDEX CONCURRENTLY"
    since = "since supabase/cli#6276" if dropping else "CLI v2.109 and later"
    return Issue(
        step.statement,
        f"the Supabase CLI commits what comes before {command} and runs it outside the file's "
        f"transaction ({since}; earlier ones fail on it): if a statement after it fails, the migration is "
        "left half-applied and is not recorded, so the next attempt fails on what it made",
        f"put {command} (and any other statement the CLI runs alone) in a migration file of its own",
        severity=Severity.WARNING,
    )


def _tables_dropped(ctx: RuleContext) -> dict[ObjectRef, int]:
    """The tables the migration drops, with the index of the last statement that drops each."""
    return {
        drop.ref: effects.statement.index
        for effects in ctx.migration_effects
        for drop in effects.drops
        if drop.ref.kind == "table"
    }


def _blocking(step: Step, table: str, mode: str, dropping: bool, explicit: bool, supabase: bool) -> Issue:
    what = "drop index" if dropping else "create index"
    waits = (
        "every read and write of it waits until the drop is done"
        if dropping
        else "every insert, update and delete waits until the whole index is built"
    )
    safe = _INDEX_KEYWORD.sub("index concurrently", step.statement.text.strip(), count=1)
    return Issue(
        step.statement,
        f"{what} without CONCURRENTLY takes {mode} on {table}, which existed before this migration: {waits}",
        f"{safe}; — {in_own_transaction_hint('it', explicit, supabase)}",
        None,
        table,
    )


def _refused(step: Step, dropping: bool, explicit: bool) -> Issue:
    command = "DROP INDEX CONCURRENTLY" if dropping else "CREATE INDEX CONCURRENTLY"
    block = "BEGIN ... COMMIT block" if explicit else "transaction the runner wraps the file in"
    return Issue(
        step.statement,
        f"{command} cannot run inside a transaction block, and this one runs in the {block}: "
        "PostgreSQL refuses it and the migration fails",
        in_own_transaction_hint(command, explicit)
        + "; if a concurrent build fails it leaves an invalid index: drop it and run the build again",
    )


RULE = Rule(
    id="index-concurrently",
    severity=Severity.ERROR,
    summary="Indexes on existing tables are created and dropped CONCURRENTLY, outside a transaction block",
    rationale=(
        "CREATE INDEX takes a SHARE lock on its table for the whole build: reads go on, but every "
        "insert, update and delete waits, and on a table of millions of rows the build takes "
        "minutes. DROP INDEX takes ACCESS EXCLUSIVE, which also queues every read. CONCURRENTLY "
        "builds (or drops) the index under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes, "
        "at the cost of two table scans. PostgreSQL refuses CONCURRENTLY inside a transaction "
        "block, so such a statement goes after the file's COMMIT (explicit mode) or into a "
        "migration file the runner does not wrap (runner mode); that case is reported here too, "
        "for any table, since the migration fails. The Supabase CLI (v2.109 and later) runs them "
        "outside the file's transaction itself, committing what comes before: alone in its file that "
        "is safe, beside other statements it is a warning, as the file no longer applies all or "
        "nothing. Tables the migration itself created are empty "
        "and need no CONCURRENTLY, nor does an index dropped before the migration drops its table "
        "(the DROP TABLE takes ACCESS EXCLUSIVE anyway)."
    ),
    bad=Example(
        "begin;\ncreate index users_email_idx on public.users (email);\ncommit;\n",
        baseline="create table public.users (id uuid primary key, email text);\n",
    ),
    good=Example(
        "create index concurrently users_email_idx on public.users (email);\n",
        baseline="create table public.users (id uuid primary key, email text);\n",
    ),
    check=check,
)
