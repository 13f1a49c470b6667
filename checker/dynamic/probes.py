"""Row level security probes: two synthetic users, and what each can do to the other's rows.

For every table the migration creates whose policies compare a column with `auth.uid()` (the
owner column), a row owned by user A and one owned by user B are inserted as service_role. Then,
acting as A the way PostgREST does (`set local role authenticated` and the JWT claims), A must
not see, update, delete or insert B's rows (a leak is an error naming the policies that allowed
it), and A should be able to do each of those to A's own row (a command no policy grants is a
warning: owners usually need it, and a project that means otherwise can lower or switch off the
rule in its policy). As anon nothing may be visible unless a policy grants anon. Every probe runs
in a transaction that is rolled back.

Rows are filled from the live catalog (the tables a migration references may come from the
baseline, the seed or earlier migrations): foreign keys are followed, user references get a
synthetic user, NOT NULL columns without a default get a value of their type. A table that cannot
be filled this way is reported as skipped (info), never silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from checker.context import RuleContext
from checker.dynamic.collect import Collector, Location, at
from checker.dynamic.participants import parent_policies, participant_policies
from checker.dynamic.record import Probe
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.catalog import Catalog, CatalogObject
from checker.model.objects import quote_ident
from checker.rules._policies import uid_comparisons

LEAK = "rls-probe"
MISSING = "rls-missing-policy"

USER_A = "a0000000-0000-4000-8000-00000000000a"
USER_B = "b0000000-0000-4000-8000-00000000000b"
USER_C = "c0000000-0000-4000-8000-00000000000c"  # the counterpart in rows that need a second user
USERS = {"A": USER_A, "B": USER_B}
AUTH_USERS = ("auth", "users", "id")
MAX_DEPTH = 6
RLS_VIOLATION = "42501"


class CannotFill(Exception):
    """A row the probe needs cannot be made automatically; the message says why."""


# --- the owner column, from the policies' expressions -------------------------------------------


def owner_column(policies: list[CatalogObject]) -> str | None:
    """The column most policies compare with auth.uid() (the first one met on a tie)."""
    counts: dict[str, int] = {}
    for policy in policies:
        trees = (policy.details.get("using"), policy.details.get("with_check"))
        for column in dict.fromkeys(column for tree in trees for column, _ in uid_comparisons(tree)):
            counts[column] = counts.get(column, 0) + 1
    if not counts:
        return None
    order = list(counts)
    return max(order, key=lambda c: (counts[c], -order.index(c)))


# --- filling rows from the live catalog ---------------------------------------------------------

_COLUMNS = """
select a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.atthasdef or a.attidentity <> '' or a.attgenerated <> '',
       coalesce(b.typcategory, t.typcategory)::text, coalesce(b.typname, t.typname)::text
from pg_catalog.pg_attribute a
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_type b on t.typtype = 'd' and b.oid = t.typbasetype
where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum"""

_FOREIGN_KEYS = """
select array(select a.attname::text from unnest(co.conkey) with ordinality k(n, i)
             join pg_catalog.pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.n order by k.i),
       rn.nspname::text, rc.relname::text,
       array(select a.attname::text from unnest(co.confkey) with ordinality k(n, i)
             join pg_catalog.pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.n order by k.i)
from pg_catalog.pg_constraint co
join pg_catalog.pg_class rc on rc.oid = co.confrelid
join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
where co.conrelid = %s::regclass and co.contype = 'f'
order by co.conname"""

# A value for a NOT NULL column without default, by type category (pg_type.typcategory).
_VALUE_BY_CATEGORY = {
    "S": "'probe {n}'",  # numbered, so two rows do not collide on a unique key
    "N": "{n}",
    "B": "false",
    "D": "now()",
    "T": "'1 hour'",
    "A": "'{}'",
    "I": "'127.0.0.1'",
}
_VALUE_BY_TYPE = {"uuid": "gen_random_uuid()", "json": "'{}'", "jsonb": "'{}'"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(): what the value is cast to
    not_null: bool
    has_default: bool
    category: str
    base_type: str


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: tuple[str, str]
    ref_columns: tuple[str, ...]


@dataclass
class Filler:
    """Inserts rows (and the rows they reference) into any table, remembering the statements."""

    conn: psycopg.Connection
    _columns: dict[tuple[str, str], list[Column]] = field(default_factory=dict)
    _fks: dict[tuple[str, str], list[ForeignKey]] = field(default_factory=dict)
    _users: set[tuple[str, str, str, str]] = field(default_factory=set)  # user rows known to exist
    _made: int = 0  # values made so far

    def columns(self, table: tuple[str, str]) -> list[Column]:
        if table not in self._columns:
            rows = self.conn.execute(_COLUMNS, (_regclass(self.conn, table),)).fetchall()
            self._columns[table] = [Column(*row) for row in rows]
        return self._columns[table]

    def foreign_keys(self, table: tuple[str, str]) -> list[ForeignKey]:
        if table not in self._fks:
            rows = self.conn.execute(_FOREIGN_KEYS, (_regclass(self.conn, table),)).fetchall()
            self._fks[table] = [ForeignKey(tuple(c), (s, t), tuple(r)) for c, s, t, r in rows]
        return self._fks[table]

    def user_keyed(self, table: tuple[str, str], column: str, depth: int = 0) -> bool:
        """Whether the column holds a user id: auth.users.id, or a key that references one."""
        if (*table, column) == AUTH_USERS:
            return True
        return depth < MAX_DEPTH and any(
            fk.columns == (column,) and self.user_keyed(fk.table, fk.ref_columns[0], depth + 1)
            for fk in self.foreign_keys(table)
        )

    def insert(
        self, table: tuple[str, str], owner: str, fixed: dict[str, str], depth: int = 0
    ) -> tuple[dict, sql.Composed]:
        """Insert one row owned by `owner` with `fixed` values; returns the row and its INSERT."""
        if depth > MAX_DEPTH:
            raise CannotFill(f"foreign keys nest deeper than {MAX_DEPTH} tables from {_name(table)}")
        values: dict[str, object] = dict(fixed)  # plain values, or SQL expressions
        owner_placed = owner in fixed.values()
        for fk in self.foreign_keys(table):
            owner_placed = self._fill_reference(table, fk, owner, owner_placed, values, depth)
        for column in self.columns(table):
            if column.name not in values and column.not_null and not column.has_default:
                self._made += 1
                values[column.name] = _value_for(table, column, self._made)
        statement = sql.SQL("insert into {} ({}) values ({}) returning *").format(
            sql.Identifier(*table),
            sql.SQL(", ").join(sql.Identifier(name) for name in values),
            sql.SQL(", ").join(
                v if isinstance(v, sql.Composable) else sql.Literal(v) for v in values.values()
            ),
        )
        try:
            with self.conn.cursor(row_factory=dict_row) as cursor:
                row = cursor.execute(statement).fetchone()
        except psycopg.Error as err:
            raise CannotFill(f"inserting a test row into {_name(table)} failed: {_one_line(err)}") from None
        return row or {}, statement

    def _fill_reference(
        self,
        table: tuple[str, str],
        fk: ForeignKey,
        owner: str,
        owner_placed: bool,
        values: dict[str, object],
        depth: int,
    ) -> bool:
        by_name = {c.name: c for c in self.columns(table)}
        if len(fk.columns) == 1 and self.user_keyed(fk.table, fk.ref_columns[0]):
            column = fk.columns[0]
            if column in values:
                user = str(values[column])
            elif by_name[column].not_null:
                user = USER_C if owner_placed else owner
                values[column] = user
            else:
                return owner_placed
            self.ensure_user_row(fk.table, fk.ref_columns[0], user, depth)
            return owner_placed or user == owner
        if any(c in values for c in fk.columns) or not any(by_name[c].not_null for c in fk.columns):
            return owner_placed  # set by the caller, or optional: left null
        row, _ = self.insert(fk.table, owner, {}, depth + 1)
        for column, ref_column in zip(fk.columns, fk.ref_columns, strict=True):
            values[column] = row[ref_column]
        return owner_placed

    def ensure_user_row(self, table: tuple[str, str], column: str, user: str, depth: int = 0) -> None:
        """The row of a user-keyed table (public.users, a profile table) for `user`, made if missing."""
        key = (*table, column, user)
        if key in self._users:
            return
        query = sql.SQL("select from {} where {} = %s").format(sql.Identifier(*table), sql.Identifier(column))
        try:
            missing = self.conn.execute(query, (user,)).fetchone() is None
        except psycopg.Error as err:
            raise CannotFill(f"reading {_name(table)} failed: {_one_line(err)}") from None
        if missing:
            self.insert(table, user, {column: user}, depth + 1)
        self._users.add(key)


def _regclass(conn: psycopg.Connection, table: tuple[str, str]) -> str:
    return sql.Identifier(*table).as_string(conn)


def _name(table: tuple[str, str]) -> str:
    return ".".join(quote_ident(part) for part in table)


def _value_for(table: tuple[str, str], column: Column, number: int) -> sql.Composable:
    if column.category == "E":
        expression = f"(enum_range(null::{column.type}))[1]"
    else:
        literal = _VALUE_BY_TYPE.get(column.base_type) or _VALUE_BY_CATEGORY.get(column.category)
        if literal is None:
            column_name = f"{_name(table)}.{quote_ident(column.name)}"
            raise CannotFill(f"no automatic value for {column_name} of type {column.type}")
        expression = f"{literal.replace('{n}', str(number))}::{column.type}"
    return sql.SQL(expression)


def _one_line(err: psycopg.Error) -> str:
    return " ".join((err.diag.message_primary or str(err)).split())


# --- the rows a table is probed with ---------------------------------------------------------------


@dataclass(frozen=True)
class ProbeRow:
    """A row the probe inserted as service_role, and how findings about it read."""

    where: sql.Composable  # picks this row out of its table
    insert: sql.Composed  # the INSERT that made it; the insert probe runs it again as user A
    mine: bool  # user A owns the row or takes part in it
    part: str = ""  # A's rows: how A takes part (" as user_b"); empty for a plain owner
    counted: str = ""  # other rows, after "user A sees 1": "row(s) of user B"
    named: str = ""  # other rows, after "user A's update reached": "user B's row"
    made: str = ""  # other rows, after "user A inserted": "a row owned by user B"


Made = list[tuple[ProbeRow, dict]]  # the rows, each with the values the database returned


def _matching(values: dict[str, object]) -> sql.Composable:
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
        for column, value in values.items()
    )


@dataclass(frozen=True)
class OwnerPlan:
    """An owner table: a row owned by user A and one owned by user B (owner = auth.uid())."""

    owner: str
    writes = True  # owners usually update, delete and insert their own rows

    @property
    def key(self) -> str:
        return self.owner

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        if self.owner not in {c.name for c in filler.columns(table)}:
            raise CannotFill(f"the owner column {self.owner} is not a column of {_name(table)}")
        made = []
        for user in (USER_A, USER_B):
            values, insert = filler.insert(table, user, {self.owner: user})
            row = ProbeRow(_matching({self.owner: user}), insert, user == USER_A)
            if user == USER_B:
                row = replace(
                    row, counted="row(s) of user B", named="user B's row", made="a row owned by user B"
                )
            made.append((row, values))
        return made

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb = command.lower()
        return (
            f"missing policy for {command} on {ref.qualified}: no policy lets an authenticated user "
            f"{verb} their own rows ({self.owner} = auth.uid()); {what}",
            f"if owners are meant to {verb} their rows, add `create policy ... on "
            f"{ref.qualified} for {verb} to authenticated ...` comparing {self.owner} "
            "with (select auth.uid()); if not, set this rule's severity in the policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        verb = command.lower()
        return (
            f"restrict the {verb} policy to the owner, e.g. `using ((select auth.uid()) = "
            f"{self.owner})`, so users cannot {verb} each other's rows"
        )


@dataclass(frozen=True)
class ParticipantPlan:
    """A participant table: several user columns, A in each of them in turn, and a row of B and C."""

    columns: tuple[str, ...]  # the columns holding user ids, in table order
    writes = False  # participants often only read (a match is written by the matching engine)

    @property
    def key(self) -> str:
        return self.columns[0]

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        made = []
        for column in self.columns:
            fixed = {c: USER_A if c == column else USER_C for c in self.columns}
            values, insert = filler.insert(table, USER_A, fixed)
            part = f" as {column}" if len(self.columns) > 1 else ""
            made.append((ProbeRow(_matching(fixed), insert, True, part=part), values))
        fixed = {c: USER_B if i == 0 else USER_C for i, c in enumerate(self.columns)}
        values, insert = filler.insert(table, USER_B, fixed)
        users = ", ".join(f"{c} is user {'B' if u == USER_B else 'C'}" for c, u in fixed.items())
        outside = f"where user A takes no part ({users})"
        row = ProbeRow(
            _matching(fixed),
            insert,
            False,
            counted=f"row(s) {outside}",
            named=f"the row {outside}",
            made=f"a row {outside}",
        )
        return [*made, (row, values)]

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb, columns = command.lower(), ", ".join(self.columns)
        return (
            f"missing policy for {command} on {ref.qualified}: a user named in one of {columns} "
            f"cannot {verb} that row; {what}",
            f"if every participant is meant to {verb} the row, make the {verb} policy admit each of "
            f"them, e.g. `(select auth.uid()) in ({columns})`; if not, set this rule's severity in the "
            "policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        verb, columns = command.lower(), ", ".join(self.columns)
        return (
            f"restrict the {verb} policy to the row's participants, e.g. "
            f"`(select auth.uid()) in ({columns})`, so users cannot {verb} rows they take no part in"
        )


@dataclass(frozen=True)
class ChildPlan:
    """A child table: the parent's rows for user A and for others, and one child row under each."""

    key_columns: tuple[str, ...]  # the foreign key to the parent
    parent_columns: tuple[str, ...]  # the parent's columns it references
    parent: ObjectRef
    parent_plan: Plan
    writes = False

    @property
    def key(self) -> str:
        return self.key_columns[0]

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        made = []
        parent_table = (self.parent.schema, self.parent.name)
        for parent_row, parent_values in self.parent_plan.make(filler, parent_table):
            fixed = {c: parent_values[p] for c, p in zip(self.key_columns, self.parent_columns, strict=True)}
            values, insert = filler.insert(table, USER_A if parent_row.mine else USER_B, fixed)
            row = ProbeRow(_matching(fixed), insert, parent_row.mine)
            if parent_row.mine:
                row = replace(row, part=f" (through their {self.parent.qualified} row{parent_row.part})")
            else:
                under = f"belonging to {parent_row.named} in {self.parent.qualified}"
                row = replace(row, counted=f"row(s) {under}", named=f"the row {under}", made=f"a row {under}")
            made.append((row, values))
        return made

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb = command.lower()
        return (
            f"missing policy for {command} on {ref.qualified}: a user cannot {verb} the rows belonging to "
            f"their own {self.parent.qualified} row; {what}",
            f"if that is meant to work, let the {verb} policy admit rows whose {self.parent.qualified} row "
            "the user owns or takes part in; if not, set this rule's severity in the policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        verb, key = command.lower(), ", ".join(self.key_columns)
        return (
            f"make the {verb} policy check the {self.parent.qualified} row the row belongs to ({key}), "
            f"e.g. `exists (select 1 from {self.parent.qualified} p where ... and <the user owns or takes "
            "part in p>)`"
        )


Plan = OwnerPlan | ParticipantPlan | ChildPlan


# --- probing one table ---------------------------------------------------------------------------


@dataclass
class ProbeTable:
    ref: ObjectRef
    plan: Plan
    where: Location  # the CREATE TABLE statement
    policy_statements: dict[str, Location]  # policy name -> where the migration creates it


@contextmanager
def acting_as(conn: psycopg.Connection, role: str, user: str | None) -> Iterator[None]:
    """A savepoint in which the session is `role` with PostgREST's JWT claims; undone afterwards."""
    with conn.transaction(force_rollback=True):
        claims = {"role": role, **({"sub": user} if user else {})}
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        conn.execute(
            "select set_config('request.jwt.claims', %s, true),"
            " set_config('request.jwt.claim.sub', %s, true), set_config('request.jwt.claim.role', %s, true)",
            (json.dumps(claims), user or "", role),
        )
        yield


@contextmanager
def savepoint(conn: psycopg.Connection) -> Iterator[None]:
    with conn.transaction(force_rollback=True):
        yield


class Prober:
    """The checks on one table, with the probe's rows in place (inside the caller's transaction)."""

    def __init__(self, conn: psycopg.Connection, table: ProbeTable, rows: list[ProbeRow]):
        self.conn = conn
        self.table = table
        self.rows = rows
        self.leaks: list[tuple[str, str, str]] = []  # (role, command, what happened)
        self.missing: list[tuple[str, str]] = []  # (command, what happened)
        self.observed: dict[tuple[str, str, str], bool] = {}  # (role, command, whose rows) -> allowed

    def _observe(self, role: str, command: str, mine: bool | None, allowed: bool) -> None:
        key = (role, command, "any" if mine is None else "own" if mine else "others'")
        self.observed[key] = self.observed.get(key, False) or allowed

    @property
    def _target(self) -> sql.Composable:
        return sql.Identifier(self.table.ref.schema, self.table.ref.name)

    def _probed(self) -> list[ProbeRow]:
        """The rows A's writes are tried on: all of them, or only the others' when A need not write."""
        return [row for row in self.rows if self.table.plan.writes or not row.mine]

    def run(self) -> None:
        self._select()
        for command in ("UPDATE", "DELETE"):
            for row in sorted(self._probed(), key=lambda r: r.mine):  # others' rows first
                self._modify(command, row)
        for row in sorted(self._probed(), key=lambda r: r.mine):
            self._insert(row)
        self._anon()

    def _select(self) -> None:
        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(sql.SQL("count(*) filter (where {})").format(row.where) for row in self.rows),
            self._target,
        )
        try:
            with acting_as(self.conn, "authenticated", USER_A):
                seen = list(self.conn.execute(query).fetchone() or [0] * len(self.rows))
            refusal = "0 rows visible"
        except psycopg.Error as err:
            seen, refusal = [0] * len(self.rows), _one_line(err)
        for row, count in zip(self.rows, seen, strict=True):
            self._observe("authenticated", "SELECT", row.mine, bool(count))
            if count and not row.mine:
                self.leaks.append(("authenticated", "SELECT", f"user A sees {count} {row.counted}"))
            elif not count and row.mine:
                self.missing.append(("SELECT", f"user A{row.part} does not see their own row ({refusal})"))

    def _modify(self, command: str, row: ProbeRow) -> None:
        key = sql.Identifier(self.table.plan.key)
        if command == "UPDATE":
            query = sql.SQL("update {} set {} = {} where {}").format(self._target, key, key, row.where)
        else:
            query = sql.SQL("delete from {} where {}").format(self._target, row.where)
        leak = not row.mine
        try:
            with acting_as(self.conn, "authenticated", USER_A):
                reached = self.conn.execute(query).rowcount > 0
            refusal = "0 rows affected"
        except psycopg.Error as err:
            state, refusal = err.diag.sqlstate or "", _one_line(err)
            if _with_check_refusal(err):
                reached = leak  # USING let the row through, only WITH CHECK stopped this very change
            elif state == RLS_VIOLATION:
                reached = False  # no privilege on the table
            elif state.startswith("23"):
                reached = True  # a constraint fired on the row: the statement reached it
            else:
                return  # inconclusive
        verb = command.lower()
        self._observe("authenticated", command, row.mine, reached)
        if leak and reached:
            self.leaks.append(("authenticated", command, f"user A's {verb} reached {row.named}"))
        elif not leak and not reached:
            self.missing.append((command, f"user A{row.part} cannot {verb} their own row ({refusal})"))

    def _insert(self, row: ProbeRow) -> None:
        delete = sql.SQL("delete from {} where {}").format(self._target, row.where)
        with savepoint(self.conn):
            self.conn.execute(delete)  # as the superuser: frees unique keys for the same row again
            try:
                with acting_as(self.conn, "authenticated", USER_A):
                    self.conn.execute(row.insert)
                refusal = ""
            except psycopg.Error as err:
                if err.diag.sqlstate != RLS_VIOLATION:
                    return  # a constraint, not row level security or privileges, decided: inconclusive
                refusal = _one_line(err)
        self._observe("authenticated", "INSERT", row.mine, not refusal)
        if not row.mine and not refusal:
            self.leaks.append(("authenticated", "INSERT", f"user A inserted {row.made}"))
        elif row.mine and refusal:
            self.missing.append(("INSERT", f"user A{row.part} cannot insert their own row ({refusal})"))

    def _anon(self) -> None:
        query = sql.SQL("select count(*) from {}").format(self._target)
        try:
            with acting_as(self.conn, "anon", None):
                seen = (self.conn.execute(query).fetchone() or (0,))[0]
        except psycopg.Error:
            seen = 0  # anon may not even read the table: nothing leaks
        self._observe("anon", "SELECT", None, bool(seen))
        if seen:
            self.leaks.append(("anon", "SELECT", f"anon (not signed in) sees {seen} row(s)"))


def _with_check_refusal(err: psycopg.Error) -> bool:
    message = err.diag.message_primary or ""
    return err.diag.sqlstate == RLS_VIOLATION and "row-level security" in message


# --- choosing how to probe a table -----------------------------------------------------------------

NO_OWNER = "no policy compares a column with auth.uid(): no owner to probe"
NO_PARTICIPANTS = (
    "no policy compares a column with auth.uid(), and the policies that go through a function or "
    "sub-select have neither a column referencing a users table nor a foreign key to a table that can "
    "be probed"
)


def plan_for(facts: Filler, catalog: Catalog, ref: ObjectRef, depth: int = 0) -> Plan | str:
    """How to probe a table: as an owner, participant or child table; otherwise why it cannot be."""
    owner = owner_column(catalog.policies_on(ref))
    if owner is not None:
        return OwnerPlan(owner)
    table = (ref.schema, ref.name)
    if participant_policies(catalog, ref):
        users = user_columns(facts, table)
        if users:
            return ParticipantPlan(tuple(users))
    if not parent_policies(catalog, ref):
        return NO_OWNER
    if depth < MAX_DEPTH:
        for fk in facts.foreign_keys(table):
            parent = ObjectRef("table", *fk.table)
            parent_plan = plan_for(facts, catalog, parent, depth + 1) if fk.table != table else NO_OWNER
            if not isinstance(parent_plan, str):
                return ChildPlan(fk.columns, fk.ref_columns, parent, parent_plan)
    return NO_PARTICIPANTS


def user_columns(facts: Filler, table: tuple[str, str]) -> list[str]:
    """The table's columns that hold a user id (a foreign key to auth.users or a users table), in order."""
    keyed = {
        fk.columns[0]
        for fk in facts.foreign_keys(table)
        if len(fk.columns) == 1 and facts.user_keyed(fk.table, fk.ref_columns[0])
    }
    return [column.name for column in facts.columns(table) if column.name in keyed]


# --- the probe stage -----------------------------------------------------------------------------

# Each permissive policy that lets the role run the command, and whether it is a deliberate public
# read: FOR SELECT with USING (true) written as such (pg_policies deparses it as `true`).
_GRANTING = """
select policyname::text, cmd = 'SELECT' and qual = 'true' from pg_catalog.pg_policies
where schemaname = %(schema)s and tablename = %(table)s and permissive = 'PERMISSIVE'
  and cmd in (%(command)s, 'ALL') and roles && %(roles)s::name[]
order by policyname"""

_RLS_ON = """select relrowsecurity from pg_catalog.pg_class
where oid = to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text))"""


def probe_unit(conn: psycopg.Connection, context: RuleContext, out: Collector) -> None:
    """Probe every exposed table the migration creates that has owners, participants or a parent."""
    facts = Filler(conn)  # reads the live catalog only: which columns hold users, which keys exist
    for ref, (statement, location) in context.created_by_migration().items():
        if ref.kind != "table" or not context.is_exposed(ref):
            continue
        where = at(statement, location)
        plan = plan_for(facts, context.after, ref)
        if isinstance(plan, str):
            _skipped(out, ref, where, plan)
            continue
        policies = context.after.policies_on(ref)
        statements = {p.ref.name: at(p.created_by) for p in policies if p.created_by is not None}
        _probe_table(conn, ProbeTable(ref, plan, where, statements), out)


def _probe_table(conn: psycopg.Connection, table: ProbeTable, out: Collector) -> None:
    try:
        with conn.transaction(force_rollback=True):
            prober = Prober(conn, table, _setup(conn, table))
            prober.run()
            leaks = [
                (role, cmd, what, _granting(conn, table.ref, role, cmd)) for role, cmd, what in prober.leaks
            ]
            rls_on = bool((conn.execute(_RLS_ON, _names(table.ref)).fetchone() or (False,))[0])
            commands = {cmd for _, cmd, _ in prober.observed}
            # the commands a permissive policy grants the signed-in users
            owners_may = {c for c in commands if _granting(conn, table.ref, "authenticated", c).policies}
    except CannotFill as reason:
        _skipped(out, table.ref, table.where, str(reason))
        return
    except psycopg.Error as err:
        _skipped(out, table.ref, table.where, f"the probe failed: {_one_line(err)}")
        return
    intended: set[tuple[str, str]] = set()  # what the policies grant on purpose
    for role, command, what, granting in leaks:
        if role == "anon" and granting.policies and rls_on:
            intended.add((role, command))
            continue  # a policy grants anon on purpose
        if granting.public_reads and rls_on:
            intended.add((role, command))
            _public_read(out, table, role, command, what, granting.public_reads)
            continue  # the table's own policies say every row is readable: not a leak
        _leak(out, table, role, command, what, granting.policies, rls_on)
    if out.policy.exemption(MISSING, table.ref.qualified):
        owners_may = set()  # the project says owners deliberately cannot act on some rows
    _record_matrix(out, table.ref, prober.observed, intended, owners_may)
    for command, what in prober.missing:
        message, hint = table.plan.missing(table.ref, command, what)
        out.add(MISSING, Severity.WARNING, table.where, message, hint, table.ref.qualified)


def _record_matrix(
    out: Collector,
    ref: ObjectRef,
    observed: dict[tuple[str, str, str], bool],
    intended: set[tuple[str, str]],
    owners_may: set[str],
) -> None:
    """The probes as matrix cells: own rows reachable where a policy grants the command (denied is as
    expected where none does), others' rows only where a policy means it (a public read, anon's grant)."""
    record = out.record.current
    if record is None:
        return
    for (role, command, rows), allowed in observed.items():
        if rows == "own":
            expected = allowed or command not in owners_may
        else:
            expected = not allowed or (role, command) in intended
        actor = "authenticated (user A)" if role == "authenticated" else role
        record.probes.append(Probe(ref.qualified, actor, command, rows, allowed, expected))


def _setup(conn: psycopg.Connection, table: ProbeTable) -> list[ProbeRow]:
    filler = Filler(conn)
    for user in (USER_A, USER_B, USER_C):
        filler.ensure_user_row(AUTH_USERS[:2], AUTH_USERS[2], user)
    conn.execute("set local role service_role")
    made = table.plan.make(filler, (table.ref.schema, table.ref.name))
    conn.execute("reset role")
    return [row for row, _ in made]


def _names(ref: ObjectRef) -> dict[str, str]:
    return {"schema": ref.schema, "table": ref.name}


@dataclass(frozen=True)
class Granting:
    """The permissive policies that let a role run a command, and which of them are public reads."""

    policies: list[str]
    public_reads: list[str]


def _granting(conn: psycopg.Connection, ref: ObjectRef, role: str, command: str) -> Granting:
    params = {**_names(ref), "command": command, "roles": [role, "public"]}
    rows = conn.execute(_GRANTING, params).fetchall()
    return Granting([name for name, _ in rows], [name for name, public in rows if public])


def _leak(
    out: Collector, table: ProbeTable, role: str, command: str, what: str, policies: list[str], rls_on: bool
) -> None:
    if not rls_on:
        cause = "row level security is not enabled on the table"
    elif policies:
        cause = "allowed by " + ", ".join(f'policy "{p}"' for p in policies)
    else:
        cause = "no permissive policy for the command matches; check BYPASSRLS and table ownership"
    out.add(
        LEAK,
        Severity.ERROR,
        _where(table, policies),
        f"row level security leak on {table.ref.qualified}: {command} as {role}: {what} ({cause})",
        table.plan.leak_hint(table.ref, command),
        table.ref.qualified,
    )


def _public_read(
    out: Collector, table: ProbeTable, role: str, command: str, what: str, policies: list[str]
) -> None:
    named = ", ".join(f'policy "{p}"' for p in policies)
    out.add(
        LEAK,
        Severity.INFO,
        _where(table, policies),
        f"public read of {table.ref.qualified} through {named}: {command} as {role}: {what}",
        "USING (true) on a select policy reads every row on purpose; if some rows are private, "
        "make the policy check the owner instead",
        table.ref.qualified,
    )


def _where(table: ProbeTable, policies: list[str]) -> Location:
    """The first of the policies the migration creates, or the table's CREATE TABLE."""
    return next((table.policy_statements[p] for p in policies if p in table.policy_statements), table.where)


def _skipped(out: Collector, ref: ObjectRef, where: Location, reason: str) -> None:
    if out.record.current is not None:
        out.record.current.probes_skipped.append(f"{ref.qualified}: {reason}")
    out.add(
        LEAK,
        Severity.INFO,
        where,
        f"row level security probe of {ref.qualified} skipped: {reason}",
        "probe this table by hand (runbook section 7) or give the owner policy a column = auth.uid() test",
        ref.qualified,
    )
