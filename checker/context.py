"""What a rule sees: one migration, its rollback, the catalog before it, and the policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from checker.model import Catalog, Effects, ObjectRef, statement_effects
from checker.model.catalog import CatalogObject
from checker.model.effects import Created
from checker.model.objects import TEMP_SCHEMA, follow_search_path, search_path_scope
from checker.parse import ParsedFile, Statement
from checker.policy import Policy

NOTHING: frozenset[ObjectRef] = frozenset()
Creation = tuple[Statement, int | None]  # the statement that creates an object, and the clause
Refs = frozenset[ObjectRef]


class RlsRemedy(NamedTuple):
    """A later migration's statement that ends what a table without row level security exposes: it
    `does` "enables" row level security on the table, or "drops" the table."""

    statement: Statement
    does: str

    def where(self) -> str:
        return self.statement.where()


@dataclass
class MigrationUnit:
    migration: ParsedFile
    rollback: ParsedFile | None = None
    before: Catalog = field(default_factory=Catalog)  # baseline + earlier migrations + known objects
    later: list[ParsedFile] = field(default_factory=list)  # the migrations that run after this one
    memo: dict = field(default_factory=dict)  # what rule helpers derive once per migration


@dataclass
class RuleContext:
    unit: MigrationUnit
    policy: Policy

    @property
    def migration(self) -> ParsedFile:
        return self.unit.migration

    @property
    def rollback(self) -> ParsedFile | None:
        return self.unit.rollback

    @property
    def before(self) -> Catalog:
        return self.unit.before

    @cached_property
    def migration_effects(self) -> list[Effects]:
        return effects_of(self.migration)

    def effects_for(self, statement: Statement) -> Effects:
        """The effects of one of the migration's statements: effects_of keeps one per statement, in order."""
        return self.migration_effects[statement.index]

    @cached_property
    def rollback_effects(self) -> list[Effects]:
        return effects_of(self.rollback) if self.rollback else []

    @property
    def after(self) -> Catalog:
        """The catalog once the migration has run."""
        return self._replay[0]

    def missing_when_run(self, statement: Statement) -> frozenset[ObjectRef]:
        """What one of the migration's statements refers to that does not exist when it runs (its own
        creations not applied yet), from the same replay as `after`: fk-order needs no replay of its own."""
        return self._replay[1][statement.index]

    def absent_when_dropped(self, statement: Statement) -> frozenset[ObjectRef]:
        """What one of the migration's statements drops that is not there when it runs (an earlier
        statement dropped it, or the model never saw it), from the same replay as `after`."""
        return self._replay[3][statement.index]

    def there_when_created(self, statement: Statement) -> list[tuple[Created, CatalogObject]]:
        """What one of the migration's statements creates that is there when it runs, without IF NOT
        EXISTS or OR REPLACE, each with the object that holds it (the table, for a column)."""
        return self._replay[4].get(statement.index, [])

    @cached_property
    def _replay(self) -> tuple[Catalog, list[Refs], dict[ObjectRef, Creation], list[Refs], dict[int, list]]:
        catalog = self.before.copy()
        missing: list[Refs] = []
        absent: list[Refs] = []
        created: dict[ObjectRef, Creation] = {}
        there: dict[int, list[tuple[Created, CatalogObject]]] = {}
        temporary = False
        for effects in self.migration_effects:
            found = [r.target for r in effects.all_references() if not catalog.resolves(r)]
            missing.append(frozenset(found) if found else NOTHING)  # mostly nothing: one shared set
            gone: list[ObjectRef] = []
            for step in effects.steps or (effects,):
                for item in step.creates:
                    # IF NOT EXISTS creates nothing where the object is there when the statement runs
                    # (not when the migration starts: it may have dropped it first)
                    if item.ref.schema == TEMP_SCHEMA:
                        temporary = True  # the session's, not the project's: no rule claims it
                    elif not (item.if_not_exists and catalog.has(item.ref)):
                        created.setdefault(item.ref, (effects.statement, item.location))
                held = [pair for pair in catalog.holders(step) if pair[0].ref.schema != TEMP_SCHEMA]
                if held:
                    there.setdefault(effects.statement.index, []).extend(held)
                gone += catalog.apply_step(step, effects.statement)
            absent.append(frozenset(gone) if gone else NOTHING)
            if effects.unread_sql:
                catalog.unread_sql = effects.statement
            if effects.unread_makes:
                catalog.unread_makes = effects.statement
        if temporary:
            catalog.end_session()
        return catalog, missing, created, absent, there

    def is_exposed(self, ref: ObjectRef) -> bool:
        return ref.schema in self.policy.exposed_schemas

    def created_by_migration(self) -> dict[ObjectRef, tuple[Statement, int | None]]:
        """Every object the migration creates, with the statement and clause that create it."""
        return self._created

    @property
    def _created(self) -> dict[ObjectRef, tuple[Statement, int | None]]:
        return self._replay[2]

    @cached_property
    def access_changed(self) -> dict[ObjectRef, Creation]:
        """The tables whose row level security or policies the migration turns, creates, alters or drops,
        each with the first statement (and clause) that does."""
        changed: dict[ObjectRef, Creation] = {}
        for effects in self.migration_effects:
            for table, location in _access_changes(effects):
                changed.setdefault(table, (effects.statement, location))
        return changed

    def unread_sql_before(self, statement: Statement, making: bool = False) -> Statement | None:
        """The last DO block before the statement (in this migration, else an earlier one) that ran SQL
        built at run time, which may have made, moved or dropped what the model cannot see (`making`: SQL
        that may have made something)."""
        for effects in reversed(self.migration_effects[: statement.index]):
            if effects.unread_makes if making else effects.unread_sql:
                return effects.statement
        return self.before.unread_makes if making else self.before.unread_sql

    def unread_sql_after(self, statement: Statement) -> Statement | None:
        """The first DO block after the statement, in this migration, that runs SQL built at run time
        (which may do what the model cannot see: enable row level security on a table it names)."""
        later = self.migration_effects[statement.index + 1 :]
        return next((effects.statement for effects in later if effects.unread_makes), None)

    def rls_enabled_later(self, table: ObjectRef) -> RlsRemedy | None:
        """The first statement of a later migration in this run that enables row level security on the
        table, or drops it (a table a hardening file drops is open until then, as one it enables)."""

        def ends_exposure(effects: Effects) -> bool:
            return (table, "enable") in effects.rls or any(drop.ref == table for drop in effects.drops)

        found = self.later_effects(ends_exposure)
        if found is None:
            return None
        return RlsRemedy(found.statement, "enables" if (table, "enable") in found.rls else "drops")

    def later(self, does: Callable[[Effects], bool]) -> Statement | None:
        """The first statement of a later migration in this run whose effects do what is asked (one push
        ships both: a warning naming it, not an error, where it puts right what this one leaves)."""
        found = self.later_effects(does)
        return found.statement if found is not None else None

    def later_effects(self, does: Callable[[Effects], bool]) -> Effects | None:
        """later, as the statement's effects."""
        for parsed in self.unit.later:
            for effects in effects_of(parsed):
                if does(effects):
                    return effects
        return None


def _access_changes(effects: Effects) -> list[tuple[ObjectRef, int | None]]:
    tables = [(table, None) for table, _ in effects.rls]
    policies = [(item.ref, item.location) for item in effects.creates]
    policies += [(item.ref, item.location) for item in effects.drops]
    policies += [(ref, None) for ref, _ in effects.changes]
    return tables + [(ref.table_ref, at) for ref, at in policies if ref.kind == "policy" and ref.table_ref]


def effects_of(parsed: ParsedFile) -> list[Effects]:
    """The effects of every statement, computed once per file (several contexts read them)."""
    if parsed.effects is None:
        parsed.effects = []
        with search_path_scope():
            for statement in parsed.statements:
                parsed.effects.append(statement_effects(statement))
                follow_search_path(statement.kind, statement.node)
    return parsed.effects
