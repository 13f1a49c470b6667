"""The catalog: the objects that exist at one point of a run of migrations, and who depends on whom.

The static stage replays effects statement by statement, so rules can ask "does X exist here?",
"what would dropping X break?" and "which statement created X?" without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from checker.model.effects import ADDED_LABEL, RENAMED_LABEL, Created, Drop, Effects, Reference
from checker.model.extension_members import makes_relation, may_bring
from checker.model.objects import RELATION_KINDS, TABLE_MEMBER_KINDS, TEMP_SCHEMA, ObjectRef
from checker.parse import Statement

# Every table has these; statements may name some of them (an index cannot, a comment or a key can try).
SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})

TYPE_PROVIDERS = ("type", "table", "view", "materialized view", "foreign table")
# What ALTER TABLE's owner, options and tablespace forms may name (a "relation" reference)
ANY_RELATION = ("table", "view", "materialized view", "sequence", "foreign table")
# What an extension may bring into its schema that the model cannot list: its functions and types
EXTENSION_MEMBER_KINDS = frozenset({"function", "procedure", "type", "table", "view", "relation"})
_ROUTINE_KINDS = frozenset({"function", "procedure"})


@dataclass(slots=True)
class CatalogObject:
    ref: ObjectRef
    details: dict = field(default_factory=dict)
    depends_on: list[ObjectRef] = field(default_factory=list)
    created_by: Statement | None = None  # None: baseline file not modelled, or a known external object
    origin: str = "migration"  # "baseline" | "known" | "migration"
    rls: bool = False
    # Made or changed by a statement in a DO block that may not run: its presence and definition
    # are not known until the SQL runs
    conditional: bool = False
    # The last DO block that ran SQL built at run time before the object was made: SQL it did not see
    made_after: Statement | None = None


class Catalog:
    def __init__(self) -> None:
        self._objects: dict[ObjectRef, CatalogObject] = {}
        # (schema, table) -> its members, so per-table questions do not scan the whole catalog
        self._members: dict[tuple[str, str], frozenset[ObjectRef]] = {}
        self._member_order: dict[tuple[str, str], tuple[frozenset[ObjectRef], list[ObjectRef]]] = {}
        # function or procedure name -> its overloads in every schema, so calls do not scan the catalog
        self._routines: dict[str, frozenset[ObjectRef]] = {}
        # extension -> the schema it was created in, for the extensions the SQL creates
        self._extensions: dict[str, str] = {}
        # the last DO block that ran SQL built at run time: it may have made what the model misses
        self.unread_sql: Statement | None = None
        self.unread_makes: Statement | None = None  # the last that may have made something

    def copy(self) -> Catalog:
        """A shallow copy: objects are shared and copied only when one side changes them
        (`_writable`), so replaying a directory of hundreds of migrations stays linear."""
        clone = Catalog()
        clone._objects = dict(self._objects)
        clone._members = dict(self._members)  # values are frozensets, replaced on change
        clone._routines = dict(self._routines)
        clone._extensions = dict(self._extensions)
        clone.unread_sql, clone.unread_makes = self.unread_sql, self.unread_makes
        return clone

    def _writable(self, obj: CatalogObject) -> CatalogObject:
        """This catalog's own copy of an object, safe to change without touching other catalogs."""
        own = replace(obj, details=dict(obj.details), depends_on=list(obj.depends_on))
        self._objects[own.ref] = own
        return own

    def __iter__(self) -> Iterator[CatalogObject]:
        return iter(self._objects.values())

    def __len__(self) -> int:
        return len(self._objects)

    # --- lookups ---------------------------------------------------------------------------------

    def find(self, ref: ObjectRef) -> CatalogObject | None:
        """The object a reference names: exact identity, or any overload / any relation kind."""
        exact = self._objects.get(ref)
        if exact:
            return exact
        for candidate in self._candidates(ref):
            obj = self._objects.get(candidate)
            if obj:
                return obj
        if ref.kind in ("function", "procedure"):
            return self._find_function(ref)
        if ref.kind == "index" and ref.table is None:  # DROP INDEX / ALTER INDEX name no table
            return next(
                (
                    o
                    for o in self._objects.values()
                    if o.ref.kind == "index" and (o.ref.schema, o.ref.name) == (ref.schema, ref.name)
                ),
                None,
            )
        return None

    def _candidates(self, ref: ObjectRef) -> Iterable[ObjectRef]:
        if ref.kind == "type":
            return [ObjectRef(kind, ref.schema, ref.name) for kind in TYPE_PROVIDERS]
        if ref.kind == "table":  # a FROM clause or FK target may name a view or a foreign table
            return [
                ObjectRef(kind, ref.schema, ref.name)
                for kind in ("view", "materialized view", "foreign table")
            ]
        if ref.kind == "relation":
            return [ObjectRef(kind, ref.schema, ref.name) for kind in ANY_RELATION]
        return []

    def _find_function(self, ref: ObjectRef) -> CatalogObject | None:
        """An unqualified call (schema "") finds the function in any schema: the search path decides."""
        found = [
            candidate
            for candidate in self._routines.get(ref.name, ())
            if (candidate.schema == ref.schema or not ref.schema)
            and ref._replace(schema=candidate.schema).matches(
                candidate.without_args() if ref.args is None else candidate
            )
        ]
        if len(found) > 1:  # the first made (the catalog's order), as a scan of the catalog finds it
            return next(obj for obj in self._objects.values() if obj.ref in found)
        return self._objects.get(found[0]) if found else None

    def exists(self, ref: ObjectRef) -> bool:
        return self.find(ref) is not None

    def provided(self, ref: ObjectRef) -> bool:
        """Whether the object exists, or may: an extension created in its schema brings it (one of
        PostgreSQL's own, whose members the model lists) or may (any other, which may bring a function or
        type of any name there)."""
        if self.exists(ref):
            return True
        kind, schema = ref.kind, ref.schema
        if kind not in EXTENSION_MEMBER_KINDS or not schema:
            return False
        here = [extension for extension, there in self._extensions.items() if there == schema]
        return any(may_bring(extension, kind, ref.name) for extension in here)

    def extension_making(self, relation: ObjectRef) -> str | None:
        """The extension created in the relation's schema whose scripts make it (postgis, of
        public.spatial_ref_sys), where no object of the model's has that name."""
        if self.find(relation) is not None:
            return None
        here = (extension for extension, there in self._extensions.items() if there == relation.schema)
        return next((extension for extension in here if makes_relation(extension, relation.name)), None)

    def resolves(self, reference: Reference) -> bool:
        """Whether a reference finds its object, in any schema of the search_path an unqualified name
        is looked up in."""
        target = reference.target
        if target.kind == "column":
            return self._column_resolves(target)
        if self.provided(target):
            return True
        return any(self.provided(target._replace(schema=s)) for s in reference.also_in)

    def _column_resolves(self, column: ObjectRef) -> bool:
        """A column of a table whose whole column list the model saw made (a plain CREATE TABLE, then
        ADD / DROP / RENAME COLUMN) must be in it; of any other relation, or a missing one (reported as
        itself), the model cannot tell, so it resolves."""
        table = self.find(column.table_ref) if column.table_ref else None
        if table is None or table.ref.kind != "table" or not table.details.get("all_columns"):
            return True
        return column.name in table.details.get("columns", ()) or column.name in SYSTEM_COLUMNS

    def _resolved(self, reference: Reference) -> ObjectRef:
        """The object a reference finds (on the search_path for an unqualified name), else its target."""
        target = reference.target
        for schema in (target.schema, *reference.also_in):
            found = self.find(target._replace(schema=schema))
            if found:
                return found.ref
        return target

    def holders(self, step: Effects) -> list[tuple[Created, CatalogObject]]:
        """What a statement (a step of a DO block) creates that is already there when it runs, where
        PostgreSQL then fails ("already exists"): not IF NOT EXISTS, OR REPLACE, a name PostgreSQL
        chooses, a step that may not run, nor what was made where it may not have run or is the
        platform's own. Each with its holder: the object, or the table whose column it is."""
        if step.conditional or step.guarded or step.or_replace:
            return []
        found = []
        for item in step.creates:
            if item.if_not_exists or item.name_chosen or item.conditional or item.details.get("replace"):
                continue
            holder = self._objects.get(item.ref)
            if holder is None and item.ref.kind == "column" and self.has(item.ref) and item.ref.table_ref:
                holder = self.find(item.ref.table_ref)
            if holder is not None and holder.origin != "known" and not holder.conditional:
                found.append((item, holder))
        return found

    def has(self, ref: ObjectRef) -> bool:
        """Like exists, but also knows the columns a CREATE TABLE declared."""
        if self.exists(ref):
            return True
        if ref.kind == "column" and ref.table_ref:
            table = self.find(ref.table_ref)
            return bool(table and ref.name in table.details.get("columns", []))
        return False

    def members_of(self, table: ObjectRef) -> list[CatalogObject]:
        key = (table.schema, table.name)
        refs = self._members.get(key, frozenset())
        ordered = self._member_order.get(key)
        if ordered is None or ordered[0] is not refs:  # sorted once per change of the table's members
            ordered = self._member_order[key] = (refs, sorted(refs, key=str))
        return [self._objects[ref] for ref in ordered[1] if ref in self._objects]

    def policies_on(self, table: ObjectRef) -> list[CatalogObject]:
        return [obj for obj in self.members_of(table) if obj.ref.kind == "policy"]

    def dependents(self, ref: ObjectRef) -> list[CatalogObject]:
        """Objects whose definition names `ref` (not the members that go away with a dropped table)."""
        found = []
        for obj in self._objects.values():
            if obj.ref == ref or self._is_member(obj.ref, ref):
                continue
            if any(same_object(ref, dep) for dep in obj.depends_on):
                found.append(obj)
        return found

    @staticmethod
    def _is_member(member: ObjectRef, owner: ObjectRef) -> bool:
        return (
            owner.kind in RELATION_KINDS | {"table"}
            and member.kind in TABLE_MEMBER_KINDS
            and member.table == owner.name
            and member.schema == owner.schema
        )

    # --- changes -----------------------------------------------------------------------------------

    def add(self, created: Created, statement: Statement | None, origin: str) -> CatalogObject:
        existing = self._objects.get(created.ref)
        deps = [self._resolved(ref) for ref in created.depends_on if ref.lasting]
        details = created.details
        if "using_index" in details:
            details = self._key_of_index(created.ref, details)
        obj = CatalogObject(created.ref, details, deps, statement, origin)
        obj.conditional, obj.made_after = created.conditional, self.unread_sql
        if created.ref.kind == "column":  # also where it is there: an earlier ADD may have found no table
            self._set_column(created.ref, present=True)
            if created.details.get("required") and not (existing and created.if_not_exists):
                self._set_not_null(created.ref, True)
        if existing and (created.if_not_exists or created.details.get("replace")):
            if created.details.get("replace"):
                existing = self._writable(existing)
                existing.details.update(created.details)
                existing.conditional = created.conditional
            return existing
        self._store(obj)
        return obj

    def _key_of_index(self, constraint: ObjectRef, details: dict) -> dict:
        """A PRIMARY KEY or UNIQUE made from an existing index (USING INDEX) has the index's columns,
        where the model saw the index made; otherwise it claims no column list. The index (renamed after
        the key) belongs to the key from then on: DROP CONSTRAINT drops it too (_members_of_ref)."""
        index = self.find(ObjectRef("index", constraint.schema, details["using_index"], constraint.table))
        if index is not None:
            self._writable(index).details["key_of"] = constraint.name
        columns = list(index.details.get("columns") or []) if index else []
        if not columns or not all(columns):  # not seen, or an expression: PostgreSQL refuses those
            return details
        details = dict(details)
        contype = details.get("contype")
        if contype == "CONSTR_PRIMARY":
            details["primary_key"] = columns
        else:
            details["unique"] = [columns]
        details["constraints"] = {constraint.name: {"type": contype, "columns": columns}}
        return details

    def _set_column(self, column: ObjectRef, present: bool) -> None:
        """Keep the table's column list in step with added and dropped columns."""
        table = self.find(column.table_ref) if column.table_ref else None
        if table is None or (column.name in table.details.get("columns", ())) == present:
            return
        columns = [c for c in table.details.get("columns", []) if c != column.name]
        if present:
            columns.append(column.name)
        self._writable(table).details["columns"] = columns

    def _set_not_null(self, column: ObjectRef, required: bool) -> None:
        """Keep the table's list of NOT NULL columns in step with SET / DROP NOT NULL and ADD COLUMN."""
        table = self.find(column.table_ref) if column.table_ref else None
        if table is None or (column.name in table.details.get("not_null", ())) == required:
            return
        names = [c for c in table.details.get("not_null", []) if c != column.name]
        self._writable(table).details["not_null"] = [*names, column.name] if required else names

    def is_not_null(self, column: ObjectRef) -> bool:
        """Whether the model knows the column to be NOT NULL (declared so, a primary key's, or SET since)."""
        table = self.find(column.table_ref) if column.table_ref else None
        return table is not None and column.name in table.details.get("not_null", ())

    def _store(self, obj: CatalogObject) -> None:
        self._objects[obj.ref] = obj
        if obj.ref.table and obj.ref.kind in TABLE_MEMBER_KINDS:
            key = (obj.ref.schema, obj.ref.table)
            self._members[key] = self._members.get(key, frozenset()) | {obj.ref}
        elif obj.ref.kind == "extension" and obj.details.get("installed_in"):
            self._extensions[obj.ref.name] = obj.details["installed_in"]
        self._index_routine(obj.ref)

    def _index_routine(self, ref: ObjectRef) -> None:
        if ref.kind in _ROUTINE_KINDS:
            self._routines[ref.name] = self._routines.get(ref.name, frozenset()) | {ref}

    def _discard(self, ref: ObjectRef) -> None:
        self._objects.pop(ref, None)
        key = (ref.schema, ref.table or "")
        if ref.table and ref in self._members.get(key, ()):
            self._members[key] = self._members[key] - {ref}
        elif ref.kind == "extension":
            self._extensions.pop(ref.name, None)
        if ref.kind in _ROUTINE_KINDS and ref in self._routines.get(ref.name, ()):
            self._routines[ref.name] = self._routines[ref.name] - {ref}

    def end_session(self) -> None:
        """The session's temporary relations (schema pg_temp) and their members go with it."""
        for ref in [ref for ref in self._objects if ref.schema == TEMP_SCHEMA]:
            self._discard(ref)

    def add_known(self, ref: ObjectRef) -> None:
        if ref not in self._objects:
            self._objects[ref] = CatalogObject(ref, origin="known")
            self._index_routine(ref)

    def remove(self, drop: Drop) -> list[CatalogObject]:
        """Remove what a DROP removes; returns the removed objects (CASCADE follows dependents)."""
        target = self.find(drop.ref)
        if drop.ref.kind == "column":
            self._set_column(drop.ref, present=False)
            self._set_not_null(drop.ref, False)
            self._forget_what_names_column(drop.ref)
        if drop.ref.kind == "constraint":
            self._forget_constraint(drop.ref)
        if target is None:
            return []
        removed = [target]
        queue = [target.ref]
        while queue:
            ref = queue.pop()
            self._discard(ref)
            for member in self._members_of_ref(ref):
                self._discard(member.ref)
                removed.append(member)
                queue.append(member.ref)
            if drop.cascade:
                for dependent in self.dependents(ref):
                    if dependent.ref not in self._objects:
                        continue
                    if self._keeps_its_table(dependent, ref):
                        self._forget_foreign_keys(dependent, ref)
                        continue
                    if ref.kind == "type" and dependent.ref.kind == "table":
                        self._forget_columns_of_type(dependent, ref)
                        continue
                    if dependent.ref.kind == "column":
                        self._set_column(dependent.ref, present=False)
                    removed.append(dependent)
                    queue.append(dependent.ref)
        return removed

    @staticmethod
    def _keeps_its_table(dependent: CatalogObject, dropped: ObjectRef) -> bool:
        """DROP ... CASCADE of a table drops another table's foreign keys into it, not that table: only a
        table that inherits from it (or is its partition) goes with it. A table whose definition takes
        columns from elsewhere (INHERITS, LIKE, OF) may inherit: it goes, as before."""
        return (
            dependent.ref.kind == "table"
            and dropped.kind in RELATION_KINDS | {"table"}
            and bool(dependent.details.get("all_columns"))
        )

    def _forget_foreign_keys(self, table: CatalogObject, dropped: ObjectRef) -> None:
        """The table's foreign keys into a dropped table go, and with them its dependency on it."""
        own = self._writable(table)
        details = own.details
        keys = details.get("foreign_keys", [])
        gone = {fk["name"] for fk in keys if same_object(dropped, fk["target"])}
        details["foreign_keys"] = [fk for fk in keys if fk["name"] not in gone]
        if "constraints" in details:
            details["constraints"] = {key: c for key, c in details["constraints"].items() if key not in gone}
        own.depends_on = [ref for ref in own.depends_on if not same_object(dropped, ref)]

    def _forget_columns_of_type(self, table: CatalogObject, dropped: ObjectRef) -> None:
        """DROP TYPE ... CASCADE drops the columns of that type (arrays of it too), not their table."""
        typed = f"{dropped.schema}.{dropped.name}"
        types = table.details.get("column_types", {})
        for name in [name for name, type_ in types.items() if type_.rstrip("[]") == typed]:
            column = ObjectRef("column", table.ref.schema, name, table.ref.name)
            self._set_column(column, present=False)
            self._set_not_null(column, False)
        own = self._writable(self.find(table.ref) or table)
        own.depends_on = [ref for ref in own.depends_on if not same_object(dropped, ref)]

    def _forget_what_names_column(self, column: ObjectRef) -> None:
        """The table's indexes and constraints that name a dropped column go with it: PostgreSQL drops them
        even without CASCADE (a unique on it, a CHECK reading it, an index of it)."""
        declared, members = self.naming_column(column)
        for name in declared:
            self._forget_constraint(ObjectRef("constraint", column.schema, name, column.table))
        for member in members:
            self._discard(member.ref)

    def naming_column(self, column: ObjectRef) -> tuple[list[str], list[CatalogObject]]:
        """What names a column of its table: the constraints its CREATE TABLE declared (by name), and the
        indexes and constraints made since."""
        table = column.table_ref
        if table is None:
            return [], []
        found = self.find(table)
        declared = found.details.get("constraints", {}) if found else {}
        names = [name for name, key in declared.items() if column.name in key.get("columns", ())]
        members = []
        for member in self.members_of(table):
            if member.ref.kind == "index":
                named = member.details.get("columns") or ()
            elif member.ref.kind == "constraint":
                keys = member.details.get("constraints", {}).values()
                named = [name for key in keys for name in key["columns"]]
            else:
                continue
            if column.name in named:
                members.append(member)
        return names, members

    def _forget_constraint(self, constraint: ObjectRef) -> None:
        """A dropped key declared in CREATE TABLE leaves the table's key lists too."""
        table = self.find(constraint.table_ref) if constraint.table_ref else None
        declared = table.details.get("constraints", {}).get(constraint.name) if table else None
        if table is None or declared is None:
            return
        details = self._writable(table).details
        details["constraints"] = {k: v for k, v in details["constraints"].items() if k != constraint.name}
        columns = declared["columns"]
        if declared["type"] == "CONSTR_PRIMARY" and details.get("primary_key") == columns:
            details["primary_key"] = []
        elif declared["type"] == "CONSTR_UNIQUE":
            details["unique"] = [keys for keys in details.get("unique", []) if keys != columns]
        elif declared["type"] == "CONSTR_FOREIGN":
            details["foreign_keys"] = [
                fk for fk in details.get("foreign_keys", []) if fk["name"] != constraint.name
            ]

    def contents_of_schema(self, schema: str) -> list[CatalogObject]:
        return [
            obj for obj in self._objects.values() if obj.ref.schema == schema and obj.ref.kind != "schema"
        ]

    def _members_of_ref(self, ref: ObjectRef) -> list[CatalogObject]:
        if ref.kind in RELATION_KINDS | {"table"}:
            return self.members_of(ref)
        if ref.kind == "schema":
            return self.contents_of_schema(ref.name)
        if ref.kind == "extension":  # the types an extension brought go with it
            return [obj for obj in self._objects.values() if obj.details.get("extension") == ref.name]
        if ref.kind == "constraint":  # a key's index (USING INDEX) bears the key's name and goes with it
            index = self._objects.get(ref._replace(kind="index"))
            return [index] if index is not None and index.details.get("key_of") == ref.name else []
        return []

    def apply(self, effects: Effects, origin: str = "migration") -> None:
        # A DO block's statements one after another, as the file's own: DROP POLICY then CREATE
        # POLICY of the same name leaves the new policy (all creations before all drops would not)
        for step in effects.steps or (effects,):
            self.apply_step(step, effects.statement, origin)
        if effects.unread_sql:
            self.unread_sql = effects.statement
        if effects.unread_makes:
            self.unread_makes = effects.statement

    def apply_step(
        self, effects: Effects, statement: Statement, origin: str = "migration"
    ) -> list[ObjectRef]:
        """One of `apply`'s steps: a statement, or one statement of a DO block (`statement`). Returns what
        its drops found nothing of (dropped before, or never seen): such a DROP ... IF EXISTS does nothing."""
        for created in effects.creates:
            self.add(created, statement, origin)
        absent = [drop.ref for drop in effects.drops if not self.remove(drop)]
        for table_ref, action in effects.rls:
            table = self.find(table_ref)
            if table and action in ("enable", "disable"):
                self._writable(table).rls = action == "enable"
        for old, new_name in effects.renames:
            self._relocate(old, lambda ref, new=new_name: ref._replace(name=new))
            if old.kind == "column" and old.table_ref is not None:
                self._rename_column(old.table_ref, old.name, new_name)
        for old, new_schema in effects.moves:
            if old.kind == "extension":
                self._move_extension(old, new_schema)
            else:
                self._relocate(old, lambda ref, new=new_schema: ref._replace(schema=new))
        for ref, changes in effects.changes:
            if ref.kind == "column" and "not_null" in changes:
                self._set_not_null(ref, changes["not_null"])
                continue
            found = self.find(ref)
            if found and ref.kind == "type":
                self._relabel(self._writable(found), changes)
            elif found:
                found = self._writable(found)
                found.details.update(changes)
                found.conditional = found.conditional or effects.conditional
        return absent

    @staticmethod
    def _relabel(enum: CatalogObject, changes: dict) -> None:
        """An enum's labels after ALTER TYPE ... ADD VALUE or RENAME VALUE (a type whose labels the model
        never saw, made nowhere or by an extension, keeps not knowing them)."""
        labels = enum.details.get("labels")
        if labels is None:
            return
        if ADDED_LABEL in changes and changes[ADDED_LABEL] not in labels:
            enum.details["labels"] = [*labels, changes[ADDED_LABEL]]
        if RENAMED_LABEL in changes:
            old, new = changes[RENAMED_LABEL]
            enum.details["labels"] = [new if label == old else label for label in labels]

    def _move_extension(self, extension: ObjectRef, schema: str) -> None:
        """ALTER EXTENSION ... SET SCHEMA: the extension keeps its identity; what it brought moves."""
        obj = self.find(extension)
        if obj is None:
            return
        obj = self._writable(obj)
        old_schema = obj.details.get("installed_in")
        obj.details["installed_in"] = schema
        self._store(obj)
        for member in [o for o in self._objects.values() if o.details.get("extension") == extension.name]:
            if member.ref.schema == old_schema:
                self._discard(member.ref)
                self._store(replace(member, ref=member.ref._replace(schema=schema)))

    def _rename_column(self, table: ObjectRef, old: str, new: str) -> None:
        """The table's and its keys' and indexes' records of a column, under its new name (a unique on
        email_ci is one on email once the column is renamed)."""
        holders = [
            self.find(table),
            *(m for m in self.members_of(table) if m.ref.kind in ("constraint", "index")),
        ]
        for holder in holders:
            if holder is not None:
                own = self._writable(holder)
                own.details = {
                    key: _column_renamed(key, value, old, new) for key, value in own.details.items()
                }

    def _relocate(self, old: ObjectRef, change: Callable[[ObjectRef], ObjectRef]) -> None:
        """RENAME or SET SCHEMA: the object gets a new identity, and a relation's members follow it."""
        obj = self.find(old)
        if obj is None or not change(obj.ref).name:
            return
        new_ref = change(obj.ref)
        members = self.members_of(obj.ref) if obj.ref.kind in RELATION_KINDS | {"table"} else []
        self._discard(obj.ref)
        self._store(replace(obj, ref=new_ref))
        for member in members:
            self._discard(member.ref)
            self._store(replace(member, ref=member.ref._replace(schema=new_ref.schema, table=new_ref.name)))


# The details that name the table's own columns (a foreign key's referenced columns are another table's).
_COLUMN_LISTS = frozenset({"columns", "primary_key", "not_null"})
_COLUMN_KEYED = frozenset({"column_types", "column_typmods"})


def _column_renamed(key: str, value: object, old: str, new: str) -> object:
    """A detail with the column `old` called `new`, built anew (catalog copies share the old one)."""

    def names(columns: list) -> list:
        return [new if column == old else column for column in columns]

    if key in _COLUMN_LISTS and isinstance(value, list):
        return names(value)
    if key == "unique" and isinstance(value, list):
        return [names(columns) for columns in value]
    if key == "foreign_keys" and isinstance(value, list):
        return [{**fk, "columns": names(fk.get("columns", []))} for fk in value]
    if key == "constraints" and isinstance(value, dict):
        return {name: {**c, "columns": names(c.get("columns", []))} for name, c in value.items()}
    if key in _COLUMN_KEYED and isinstance(value, dict):
        return {new if column == old else column: v for column, v in value.items()}
    return value


def same_object(created: ObjectRef, wanted: ObjectRef) -> bool:
    """Whether creating `created` satisfies a reference to `wanted` (a row type is a type, ...)."""
    if wanted.kind == "type" and created.kind in TYPE_PROVIDERS:
        return (created.schema, created.name) == (wanted.schema, wanted.name)
    if wanted.kind == "table" and created.kind in ("view", "materialized view", "foreign table"):
        return (created.schema, created.name) == (wanted.schema, wanted.name)
    if wanted.kind == "relation":
        return created.kind in ANY_RELATION and (created.schema, created.name) == (wanted.schema, wanted.name)
    if wanted.kind in ("function", "procedure") and created.kind in ("function", "procedure"):
        return wanted.matches(created)
    return created.kind == wanted.kind and wanted.matches(created)
