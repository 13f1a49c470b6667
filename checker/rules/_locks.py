"""What the lock rules share: the lock each statement takes on tables that existed before the migration.

The levels are PostgreSQL's own: the documentation of ALTER TABLE notes one per form, and the
explicit-locking chapter names the rest (CREATE INDEX takes SHARE, CONCURRENTLY SHARE UPDATE
EXCLUSIVE; a foreign key SHARE ROW EXCLUSIVE on both tables; policies, triggers dropped, TRUNCATE
and DROP take ACCESS EXCLUSIVE). A table the migration created itself is empty and nobody else
uses it yet, so only tables that existed before count. The dynamic stage measures the same locks
on the server (checker/dynamic/locks.py), and a test holds the two to agreement.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

from checker.context import RuleContext
from checker.model import Effects, ObjectRef
from checker.model.effects import type_modifiers
from checker.model.objects import SERIAL_TYPES, option_value, range_var, strings, type_name
from checker.model.walk import find_nodes
from checker.parse import Statement
from checker.rules._policies import policy_head
from checker.rules._schema_support import (
    OwnObjects,
    command_forms,
    concurrently,
    may_exist,
    relation_of,
    remember_own,
    table_commands,
)
from checker.rules.transaction_wrapper import begins, ends, runs_alone


class Mode(IntEnum):
    """PostgreSQL's table lock modes, weakest first (pg_locks names them `...Lock`)."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def effect(self) -> str:
        if self is Mode.ACCESS_EXCLUSIVE:
            return "blocks reads and writes"
        if self >= Mode.SHARE:
            return "blocks writes"
        return "blocks schema changes only"

    @classmethod
    def from_pg(cls, name: str) -> Mode | None:
        """`AccessExclusiveLock` -> ACCESS_EXCLUSIVE; None for predicate locks (SIReadLock)."""
        words = "".join(f"_{c}" if c.isupper() else c for c in name.removesuffix("Lock")).strip("_")
        return cls.__members__.get(words.upper())


# The static rules that predict a lock (a suppression of one also covers the measured lock).
LOCK_RULE_IDS = (
    "index-concurrently",
    "constraint-not-valid",
    "set-not-null",
    "add-column-volatile-default",
    "column-type-rewrite",
    "unique-without-index",
    "lock-timeout",
)


# ALTER TABLE forms that take less than ACCESS EXCLUSIVE (AlterTableGetLockLevel; the rest take it).
_WEAKER_FORMS = {
    "AT_ValidateConstraint": Mode.SHARE_UPDATE_EXCLUSIVE,
    "AT_SetStatistics": Mode.SHARE_UPDATE_EXCLUSIVE,
    "AT_ClusterOn": Mode.SHARE_UPDATE_EXCLUSIVE,
    "AT_DropCluster": Mode.SHARE_UPDATE_EXCLUSIVE,
    "AT_AttachPartition": Mode.SHARE_UPDATE_EXCLUSIVE,
    **{
        form: Mode.SHARE_ROW_EXCLUSIVE
        for form in (
            "AT_EnableTrig",
            "AT_EnableAlwaysTrig",
            "AT_EnableReplicaTrig",
            "AT_DisableTrig",
            "AT_EnableTrigAll",
            "AT_DisableTrigAll",
            "AT_EnableTrigUser",
            "AT_DisableTrigUser",
        )
    },
}
# Volatile functions commonly used as defaults: a new column with one is written into every row.
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "gen_random_bytes",
    }
)
_TEXTUAL = frozenset({"text", "character varying"})


@dataclass(frozen=True, slots=True)
class Lock:
    mode: Mode
    rewrite: bool = False

    def stronger(self, other: Lock | None) -> Lock:
        if other is None:
            return self
        return Lock(max(self.mode, other.mode), self.rewrite or other.rewrite)


@dataclass(slots=True)
class Step:
    """One statement of the migration, with the locks it takes on tables that existed before it."""

    effects: Effects
    transaction: int  # statements with the same number commit together
    in_block: bool  # runs inside a transaction block (the file's BEGIN, or the runner's)
    lock_timeout: bool  # lock_timeout was set (to a limit) before this statement
    locks: Mapping[ObjectRef, Lock] = field(default_factory=dict)
    new_columns: frozenset[ObjectRef] = frozenset()  # columns it names that this migration added

    @property
    def statement(self) -> Statement:
        return self.effects.statement


_NO_LOCKS: Mapping[ObjectRef, Lock] = MappingProxyType({})
_NO_COLUMNS: frozenset[ObjectRef] = frozenset()


def lock_steps(ctx: RuleContext) -> list[Step]:
    """Every statement of the migration with its predicted locks, computed once per migration."""
    key = ("lock_steps", ctx.policy.transaction)  # kept on the unit: the report asks again
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = list(_steps(ctx))
    return ctx.unit.memo[key]


def alter_table_steps(ctx: RuleContext) -> Iterator[tuple[Step, ObjectRef]]:
    """The migration's ALTER TABLE statements, with their predicted locks, and the table each alters."""
    for step in lock_steps(ctx):
        if step.statement.kind == "AlterTableStmt":
            yield step, relation_of(step.statement)


def existing_table_commands(ctx: RuleContext) -> Iterator[tuple[Step, ObjectRef, dict]]:
    """Each subcommand of an ALTER TABLE of a table that existed before the migration (one it made is
    empty and used by no one yet)."""
    for step, table in alter_table_steps(ctx):
        if table in step.locks:
            for cmd in table_commands(step.statement):
                yield step, table, cmd


def _steps(ctx: RuleContext) -> Iterator[Step]:
    own, created = OwnObjects(), ctx.created_by_migration()
    in_block = ctx.policy.transaction == "runner"
    supabase_runner = ctx.policy.supabase_runner
    own_block = False  # the file's own BEGIN is open (under the runner, its transaction goes on)
    number, timeout, local_timeout = 0, False, False
    # Tables a TRUNCATE emptied, with its transaction: until that ends they hold no row (the TRUNCATE's
    # ACCESS EXCLUSIVE keeps every writer out), so what a later statement scans or rewrites there is nothing.
    emptied: dict[ObjectRef, int] = {}
    for effects in ctx.migration_effects:
        statement = effects.statement
        # The Supabase CLI commits what came before such a statement, runs it alone, and goes on in a new
        # transaction: its locks and those before it end there.
        alone = supabase_runner and in_block and not own_block and runs_alone(statement)
        if alone:
            number, in_block, local_timeout = number + 1, False, False
        elif begins(statement) and not in_block:
            number, in_block = number + 1, True
        elif not in_block:
            number += 1
        timeout, local_timeout = _timeout_after(statement, timeout, local_timeout, in_block)
        step = Step(effects, number, in_block, timeout or local_timeout)
        locks = {
            table: lock
            for table, lock in predicted_locks(ctx, effects).items()
            if not (own.has(table) or emptied.get(table) == number)
            and may_exist(ctx, table, statement, effects)
        }
        if statement.kind == "TruncateStmt":
            emptied.update(dict.fromkeys(locks, number))
        # Most statements lock no existing table: one shared, read-only empty answer for them all.
        step.locks = locks or _NO_LOCKS
        step.new_columns = frozenset(c for c in _named_columns(statement) if own.has(c)) or _NO_COLUMNS
        yield step
        if alone:
            number, in_block = number + 1, True
        own_block = begins(statement) or (own_block and not ends(statement))
        if ends(statement):
            in_block, local_timeout = False, False
        remember_own(effects, created, own)


def _named_columns(statement: Statement) -> set[ObjectRef]:
    """The columns an ALTER TABLE's forms name (ALTER COLUMN, DROP COLUMN, ...)."""
    if statement.kind != "AlterTableStmt":
        return set()
    table = relation_of(statement)
    named = [form.name for form in command_forms(statement) if form.name]
    return {ObjectRef("column", table.schema, name, table.name) for name in named}


def _timeout_after(statement: Statement, session: bool, local: bool, in_block: bool) -> tuple[bool, bool]:
    """Whether a lock_timeout is in force once the statement ran (SET, SET LOCAL, set_config)."""
    if statement.kind == "VariableSetStmt" and statement.node.get("name") == "lock_timeout":
        node = statement.node
        limited = node.get("kind") == "VAR_SET_VALUE" and _limits(node.get("args", []))
        if node.get("is_local"):
            return session, limited and in_block
        return limited, False
    if "set_config" not in statement.text.lower():  # the tree walk below is for the rare statement
        return session, local
    for call in find_nodes(statement.node, "FuncCall"):
        args = call.get("args") or []
        named = strings(call.get("funcname"))[-1:] == ["set_config"] and len(args) == 3
        if named and _constant(args[0]) == "lock_timeout" and _constant(args[1]) not in ("0", ""):
            return session or _constant(args[2]) != "true", local or _constant(args[2]) == "true"
    return session, local


def _limits(args: list[dict]) -> bool:
    return bool(args) and _constant(args[0]) not in ("0", "")


def _constant(node: dict) -> str:
    const = node.get("A_Const") or node.get("TypeCast", {}).get("arg", {}).get("A_Const") or {}
    for key, inner in (("sval", "sval"), ("ival", "ival"), ("boolval", "boolval")):
        if key in const:
            return str(const[key].get(inner, 0 if key == "ival" else "")).lower()
    return option_value({"arg": node}) if "String" in node else ""


# --- prediction ------------------------------------------------------------------------------------


# The statements whose locks predicted_locks reads in their trees (a tree is loaded again to be read).
_LOCKS_FROM_TREE = frozenset({"AlterTableStmt", "TruncateStmt", "RenameStmt"})


def predicted_locks(ctx: RuleContext, effects: Effects) -> dict[ObjectRef, Lock]:
    """The strongest lock the statement takes on each table it names (before the existing-table filter)."""
    statement = effects.statement
    found: dict[ObjectRef, Lock] = {}

    def take(table: ObjectRef, lock: Lock) -> None:
        found[table] = lock.stronger(found.get(table))

    kind = statement.kind
    node = statement.node if kind in _LOCKS_FROM_TREE else {}
    if kind == "AlterTableStmt" and node.get("objtype") in (None, "OBJECT_TABLE"):
        table = range_var(node["relation"])
        for cmd in table_commands(statement):
            take(table, Lock(form_mode(cmd), form_rewrites(ctx, table, cmd)))
            for target in _fk_targets(cmd):
                take(target, Lock(Mode.SHARE_ROW_EXCLUSIVE))
    elif kind == "IndexStmt":
        mode = Mode.SHARE_UPDATE_EXCLUSIVE if concurrently(statement) else Mode.SHARE
        take(relation_of(statement), Lock(mode))
    elif kind == "CreateStmt":  # a new table's foreign keys lock the tables they reference
        for created in effects.creates[:1]:
            for fk in created.details.get("foreign_keys", []):
                target = ObjectRef("table", fk["target"].schema, fk["target"].name)
                take(target, Lock(Mode.SHARE_ROW_EXCLUSIVE))
    elif kind in ("CreatePolicyStmt", "AlterPolicyStmt"):
        take(policy_head(statement)[1], Lock(Mode.ACCESS_EXCLUSIVE))
    elif kind == "CreateTrigStmt":
        take(relation_of(statement), Lock(Mode.SHARE_ROW_EXCLUSIVE))
    elif kind == "TruncateStmt":
        for item in node.get("relations", []):  # new, empty storage: a rewrite to the trace
            take(range_var(item["RangeVar"]), Lock(Mode.ACCESS_EXCLUSIVE, rewrite=True))
    elif kind == "RenameStmt" and node.get("relationType", node.get("renameType")) == "OBJECT_TABLE":
        take(range_var(node["relation"]), Lock(Mode.ACCESS_EXCLUSIVE))
    elif kind == "DropStmt":
        for table, mode in _dropped_from(ctx, effects):
            take(table, Lock(mode))
    return found


@dataclass(frozen=True)
class LockHold:
    """The strongest lock a migration takes on one existing table, and how long it keeps it."""

    file: str
    table: str
    mode: Mode
    line: int  # the statement that takes it
    statements: int  # statements it spans, that one included, until its transaction ends
    rewrite: bool


def lock_holds(ctx: RuleContext) -> list[LockHold]:
    """Per existing table the migration locks (SHARE UPDATE EXCLUSIVE or stronger): the strongest lock."""
    steps = lock_steps(ctx)
    strongest: dict[ObjectRef, tuple[int, Lock]] = {}
    for index, step in enumerate(steps):
        for table, lock in step.locks.items():
            known = strongest.get(table)
            if lock.mode >= Mode.SHARE_UPDATE_EXCLUSIVE and (known is None or lock.mode > known[1].mode):
                strongest[table] = (
                    index,
                    lock if known is None else Lock(lock.mode, lock.rewrite or known[1].rewrite),
                )
            elif known is not None and lock.rewrite:
                strongest[table] = (known[0], Lock(known[1].mode, True))
    return [
        LockHold(
            ctx.migration.path,
            table.qualified,
            lock.mode,
            steps[index].statement.line,
            _span(steps, index),
            lock.rewrite,
        )
        for table, (index, lock) in strongest.items()
    ]


def _span(steps: list[Step], index: int) -> int:
    """Statements from steps[index] to the end of its transaction (its COMMIT not counted)."""
    first = steps[index]
    if not first.in_block:
        return 1
    same = [s for s in steps[index:] if s.transaction == first.transaction and s.in_block]
    return len([s for s in same if not ends(s.statement)])


def form_mode(cmd: dict) -> Mode:
    """The lock one ALTER TABLE form takes on its table."""
    subtype = cmd.get("subtype", "")
    constraint = cmd.get("def", {}).get("Constraint", {})
    if subtype == "AT_AddConstraint" and constraint.get("contype") == "CONSTR_FOREIGN":
        return Mode.SHARE_ROW_EXCLUSIVE
    if subtype == "AT_SetRelOptions" or subtype == "AT_ResetRelOptions":
        return Mode.SHARE_UPDATE_EXCLUSIVE
    return _WEAKER_FORMS.get(subtype, Mode.ACCESS_EXCLUSIVE)


def _fk_targets(cmd: dict) -> list[ObjectRef]:
    if cmd.get("subtype") not in ("AT_AddConstraint", "AT_AddColumn"):
        return []
    return [
        range_var(con["pktable"])
        for con in find_nodes(cmd.get("def", {}), "Constraint")
        if con.get("contype") == "CONSTR_FOREIGN" and "pktable" in con
    ]


def _dropped_from(ctx: RuleContext, effects: Effects) -> Iterator[tuple[ObjectRef, Mode]]:
    concurrent = concurrently(effects.statement)
    for ref in (drop.ref for drop in effects.drops):
        if ref.kind in ("table", "policy", "trigger", "rule") and (ref.table or ref.kind == "table"):
            yield (ref.table_ref if ref.table else ref), Mode.ACCESS_EXCLUSIVE  # type: ignore[misc]
        elif ref.kind == "index" and ref not in ctx.absent_when_dropped(effects.statement):
            table = _table_of_index(ctx, ref.schema or "public", ref.name, effects.statement.index)
            if table is not None:
                yield table, Mode.SHARE_UPDATE_EXCLUSIVE if concurrent else Mode.ACCESS_EXCLUSIVE


def _table_of_index(ctx: RuleContext, schema: str, name: str, position: int) -> ObjectRef | None:
    """DROP INDEX names no table: the one the index is on, from before or from this migration's statements
    before the drop (one it makes later is not there yet: `supabase db diff` drops a key's index, then makes
    an index of that name)."""
    index = ctx.before.find(ObjectRef("index", schema, name))
    if index is not None and index.ref.table:
        return ObjectRef("table", index.ref.schema, index.ref.table)
    for ref, (statement, _) in ctx.created_by_migration().items():
        same = ref.kind == "index" and (ref.schema, ref.name) == (schema, name)
        if same and ref.table and statement.index < position:
            return ObjectRef("table", ref.schema, ref.table)
    return None


def form_rewrites(ctx: RuleContext, table: ObjectRef, cmd: dict) -> bool:
    """Whether the ALTER TABLE form writes the table anew (its relfilenode changes)."""
    subtype = cmd.get("subtype")
    if subtype == "AT_AddColumn":
        return volatile_default(cmd["def"]["ColumnDef"]) is not None
    if subtype == "AT_AlterColumnType":
        return type_change_rewrites(ctx, table, cmd)
    return subtype in ("AT_SetLogged", "AT_SetUnLogged", "AT_SetAccessMethod")


def volatile_default(coldef: dict) -> str | None:
    """Why a new column is written into every row: a volatile default, identity, serial or stored
    generated column. Constants, now() and other stable defaults take PostgreSQL 11's fast path."""
    base = strings(coldef.get("typeName", {}).get("names"))[-1:]
    if base and base[0] in SERIAL_TYPES:
        return f"{base[0]} (a nextval() default)"
    for item in coldef.get("constraints", []):
        con = item.get("Constraint", {})
        if con.get("contype") == "CONSTR_IDENTITY":
            return "an identity column"
        if con.get("contype") == "CONSTR_GENERATED":
            return "a stored generated column"
        if con.get("contype") == "CONSTR_DEFAULT":
            for call in find_nodes(con.get("raw_expr"), "FuncCall"):
                name = strings(call.get("funcname"))[-1:]
                if name and name[0] in VOLATILE_FUNCTIONS:
                    return f"the volatile default {name[0]}()"
    return None


def type_change_rewrites(ctx: RuleContext, table: ObjectRef, cmd: dict) -> bool:
    """Whether ALTER COLUMN ... TYPE rewrites: all but binary-coercible changes (varchar to text,
    a longer varchar, numeric of more precision at the same scale, dropping a length limit)."""
    coldef = cmd["def"]["ColumnDef"]
    using = coldef.get("raw_default")
    if using and not _the_column_as_is(using, cmd.get("name"), coldef["typeName"]):
        return True
    new, new_mods = type_name(coldef["typeName"]), type_modifiers(coldef["typeName"])
    old = column_type(ctx, ObjectRef("column", table.schema, cmd.get("name", ""), table.name))
    if old is None:  # unknown column: only a change that always rewrites is predicted
        return new not in _TEXTUAL and new != "numeric" and _unqualified(new) != "citext"
    old_type, old_mods = old
    if (old_type, old_mods) == (new, new_mods) or (old_type in _TEXTUAL and new == "text"):
        return False
    if _citext_relabels(old_type, new, new_mods):
        return False
    if old_type in _TEXTUAL and new == "character varying":
        return bool(new_mods) and not (old_type == new and old_mods and new_mods[0] >= old_mods[0])
    if old_type == new == "numeric":
        return bool(new_mods) and not (
            len(old_mods) == len(new_mods) and new_mods[0] >= old_mods[0] and new_mods[1:] == old_mods[1:]
        )
    if {old_type, new} == _TIMESTAMPS and not old_mods and not new_mods:
        # PostgreSQL 12+ keeps the rows when the session's zone is UTC (with a precision, measured: it
        # rewrites)
        return _sets_time_zone(ctx)
    return True


def _citext_relabels(old: str, new: str, new_mods: tuple[int, ...]) -> bool:
    """citext's script declares its casts to and from text and varchar WITHOUT FUNCTION: the stored
    bytes stay (only a varchar(n) target checks the length, through a function)."""
    old, new = _unqualified(old), _unqualified(new)
    if new == "citext":
        return old in _TEXTUAL
    return old == "citext" and (new == "text" or (new == "character varying" and not new_mods))


def _unqualified(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def _the_column_as_is(using: dict, column: str | None, new_type: dict) -> bool:
    """A USING clause that is the column itself, or the column cast to the new type (`supabase db diff`
    writes `using "col"::new_type`): PostgreSQL derives the same conversion as without USING, so the
    same changes keep the rows."""
    cast = using.get("TypeCast")
    if cast is not None:
        same_type = type_name(cast["typeName"]) == type_name(new_type)
        if not same_type or type_modifiers(cast["typeName"]) != type_modifiers(new_type):
            return False
        using = cast.get("arg") or {}
    return strings(using.get("ColumnRef", {}).get("fields")) == [column]


# timestamp <-> timestamptz: the same stored value when TimeZone is UTC, Supabase's default.
_TIMESTAMPS = frozenset({"timestamp without time zone", "timestamp with time zone"})


def _sets_time_zone(ctx: RuleContext) -> bool:
    return any(
        s.kind == "VariableSetStmt" and s.node.get("name") == "timezone" for s in ctx.migration.statements
    )


def column_type(ctx: RuleContext, column: ObjectRef) -> tuple[str, tuple[int, ...]] | None:
    """A column's type and modifiers as the model knows them (before the migration, or as it added it)."""
    for catalog in (ctx.before, ctx.after):
        found = catalog.find(column)
        if found is not None and "type" in found.details:
            return found.details["type"], tuple(found.details.get("typmods", ()))
        table = catalog.find(column.table_ref)  # type: ignore[arg-type]
        types = table.details.get("column_types", {}) if table else {}
        if column.name in types:
            return types[column.name], tuple(table.details.get("column_typmods", {}).get(column.name, ()))  # type: ignore[union-attr]
    return None


def in_own_transaction_hint(subject: str, explicit: bool, supabase: bool = False) -> str:
    """How to run a statement outside a transaction block, in the policy's transaction mode (`supabase`:
    the Supabase CLI runs the file, and runs CONCURRENTLY index builds outside its transaction)."""
    if explicit:
        return f"run {subject} after the file's COMMIT, as a statement of its own"
    if supabase:
        return (
            f"put {subject} in a migration file of its own: the Supabase CLI (v2.109 and later) runs it "
            "outside the file's transaction"
        )
    return (
        f"put {subject} in a migration file of its own that the runner does not wrap in a transaction "
        "(dbmate: `-- migrate:up transaction:false`)"
    )
