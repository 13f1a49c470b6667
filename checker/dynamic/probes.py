"""Row level security probes: the synthetic world of world.py against the tenancy model of tenancy.py.

For every exposed table the migration creates, the tenancy model (from the schema; the policies
under test only pick among its user columns) says whose rows it holds. Rows of user A (a member of
group G1) and of user B (a member of G2) are inserted as service_role; then, acting as PostgREST
does (`set local role` and the JWT claims), each in a transaction that is rolled back:

- A must not read, update or delete B's or G2's rows, insert a row that belongs to them, or update
  A's own row so that it does (write-through, the WITH CHECK side): each is an error naming the
  table, the command, the row's ownership path and the policies that allowed it;
- user D, signed in but owning nothing, must see no owned row; anon must see nothing unless the
  table is public in the policy's [rls.tenancy] or a select policy lets every user of the role read
  every row: its USING names no column of the row and holds for the role's token whoever the user is
  (USING (true), auth.role() = 'authenticated'; a deliberate public read, reported as info);
- A should be able to act on G1's and A's own rows: a denied command is a warning, only where the
  table has some policy for that command that may read the row (a table with no update policy is
  deliberately immutable; one whose policies only ask who the user is, `is_admin()`, is the admins').
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import sql

from checker.context import RuleContext
from checker.dynamic.collect import Collector, Location, at
from checker.dynamic.record import Probe
from checker.dynamic.tenancy import Membership, Model, Schema, Tenancy, dotted
from checker.dynamic.validate import object_exists
from checker.dynamic.world import (
    USER_A,
    USER_B,
    USER_C,
    USER_D,
    CannotFill,
    Filler,
    jwt_claims,
    matching,
    one_line,
)
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import ObjectRef
from checker.model.objects import strings
from checker.model.walk import clause_nodes, find_nodes
from checker.parse import Statement
from checker.rules._api_access import revokes
from checker.rules._policies import (
    PolicyDef,
    deparsed_expression,
    files_a_request,
    is_true,
    operand_column,
    policy_replaced_later,
    table_policies,
    uid_comparisons,
)

LEAK = "rls-probe"
MISSING = "rls-missing-policy"
TENANCY = "rls-tenancy"
RLS_VIOLATION = "42501"
_SIGNED_IN = frozenset({"authenticated", "public"})


# --- the rows a table is probed with ---------------------------------------------------------------


@dataclass(frozen=True)
class ProbeRow:
    """A row the probe inserted as service_role, and how findings about it read."""

    where: sql.Composable  # picks this row out of its table
    insert: sql.Composed  # the INSERT that made it; the insert probe runs it again as user A
    mine: bool  # user A owns the row, takes part in it, or is a member of its group
    owned_by: dict[str, object] = field(default_factory=dict)  # the columns that say whose it is
    part: str = ""  # A's rows: how A takes part (" as user_b"); empty for a plain owner
    counted: str = ""  # other rows, after "user A sees 1": "row(s) of user B"
    named: str = ""  # other rows, after "user A's update reached": "user B's row"
    made: str = ""  # other rows, after "user A inserted": "a row owned by user B"
    actor: str = USER_A  # who the insert probe runs the INSERT as


_OUTSIDER = "user D (signed in, owning nothing, in no group)"
_ACTORS = {USER_A: "user A", USER_D: _OUTSIDER}


Made = list[tuple[ProbeRow, dict]]  # the rows, each with the values the database returned


def _others(row: ProbeRow, counted: str, named: str, made: str) -> ProbeRow:
    return replace(row, counted=counted, named=named, made=made)


def _joining(members: Membership, values: dict, joiner: str, which: str) -> tuple[ProbeRow, dict]:
    """A row never inserted, for the insert probe only: `joiner` making themselves a member of a group of
    others (`values` name it); an insert the policies let through is a leak."""
    values = {**values, members.user_column: joiner}
    keys = {members.group_column: values[members.group_column], members.user_column: joiner}
    row = ProbeRow(matching(keys), Filler.insert_statement(members.table, values), False, actor=joiner)
    joined = f"{_ACTORS[joiner].split(' (')[0]}'s membership of {which}"
    return _others(row, f"row(s) of {joined}", joined, f"a row making {joined}"), values


@dataclass(frozen=True)
class OwnerPlan:
    """A user's table: a row owned by user A and one owned by user B."""

    owner: str
    # False when the rows also belong under an owned parent (a study's subjects): whoever manages the
    # parent may hand a row to another user, so a changed owner is no leak there
    moves: bool = True
    # The table also makes its users members of a group (a profile naming the user's clinic): the group
    joins: tuple[ObjectRef, Membership] | None = None
    new_groups = False

    @property
    def key(self) -> str:
        return self.owner

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        made = []
        for user in (USER_A, USER_B):
            keyed = {self.owner} in filler.schema.keys(table)  # one row per user: a trigger may have made it
            found = filler.existing(table, {self.owner: user}) if keyed else None
            values, insert = found or filler.insert(table, user, {self.owner: user})
            owned_by: dict[str, object] = {self.owner: user} if self.moves else {}
            row = ProbeRow(matching({self.owner: user}), insert, user == USER_A, owned_by)
            if user == USER_B:
                row = _others(row, "row(s) of user B", "user B's row", "a row owned by user B")
            made.append((row, values))
        theirs = made[-1][1]
        if self.joins is not None and theirs.get(self.joins[1].group_column) is not None:
            group, members = self.joins
            # user D's own row, naming B's group; the rest of B's row but for what must be unique
            unique = set().union(*filler.schema.keys(table)) - {members.user_column}
            values = {column: value for column, value in theirs.items() if column not in unique}
            made.append(_joining(members, values, USER_D, f"user B's {group.qualified} group"))
        return made

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb = command.lower()
        return (
            f"missing policy for {command} on {ref.qualified}: no policy lets an authenticated user "
            f"{verb} their own rows ({self.owner} = auth.uid()); {what}",
            f"if owners are meant to {verb} their rows, let the {verb} policy compare {self.owner} "
            "with (select auth.uid()); if not, set this rule's severity in the policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        hint = (
            f"tie the {command.lower()} policy to the owner in USING and WITH CHECK, e.g. "
            f"`(select auth.uid()) = {self.owner}`"
        )
        if command == "INSERT" and self.joins is not None:
            group, members = self.joins
            hint += (
                f"; a user's own row here also makes them a member of the {group.qualified} group its "
                f"{members.group_column} names: check that they may join that group (an invitation, a group "
                "they made), not only that the row is theirs"
            )
        if command == "SELECT":  # posts and comments every user reads: say so, and the probe agrees
            hint += (
                f"; if every signed-in user may read every row (posts, comments), state it: [rls.tenancy] "
                f'"{ref.schema}.{ref.name}" = "public" in the policy'
            )
        return hint


@dataclass(frozen=True)
class ParticipantPlan:
    """A shared table: several user columns, A in each of them in turn, and a row of B and C."""

    columns: tuple[str, ...]  # the columns holding user ids, in table order
    new_groups = False

    @property
    def key(self) -> str:
        return self.columns[0]

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        made = []
        for column in self.columns:
            fixed = {c: USER_A if c == column else USER_C for c in self.columns}
            values, insert = filler.insert(table, USER_A, fixed)
            part = f" as {column}" if len(self.columns) > 1 else ""
            made.append((ProbeRow(matching(fixed), insert, True, part=part), values))
        fixed = {c: USER_B if i == 0 else USER_C for i, c in enumerate(self.columns)}
        values, insert = filler.insert(table, USER_B, fixed)
        users = ", ".join(f"{c} is user {'B' if u == USER_B else 'C'}" for c, u in fixed.items())
        outside = f"where user A takes no part ({users})"
        row = _others(
            ProbeRow(matching(fixed), insert, False),
            f"row(s) {outside}",
            f"the row {outside}",
            f"a row {outside}",
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
        columns = ", ".join(self.columns)
        verb = command.lower()
        return f"restrict the {verb} policy to the row's users, e.g. `(select auth.uid()) in ({columns})`"


@dataclass(frozen=True)
class GroupPlan:
    """A group table: group G1 with user A as its member, G2 with user B."""

    key: str  # the column the membership table references
    tenancy: Tenancy
    new_groups = True  # inserting a row makes a new group, never one of G2's

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        members = self.tenancy.members
        assert members is not None
        made = []
        for user, group in ((USER_A, "G1"), (USER_B, "G2")):
            filler.ensure_member_row(members, user)
            values, insert = filler.insert(table, user, {})
            filler.join(members, values[self.key], user)
            row = ProbeRow(
                matching({self.key: values[self.key]}), insert, user == USER_A, part=f" (group {group})"
            )
            if user == USER_B:
                row = _others(row, "row(s) of group G2 (user B's)", "group G2's row", "group G2's row")
            made.append((row, values))
        return made

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb = command.lower()
        return (
            f"missing policy for {command} on {ref.qualified}: a member cannot {verb} their group's row; "
            f"{what}",
            f"if members are meant to {verb} it, let the {verb} policy admit members through "
            f"{dotted(self.tenancy.members.table) if self.tenancy.members else 'the membership table'}; "
            "if not, set this rule's severity in the policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        members = self.tenancy.members
        where = dotted(members.table) if members else "the membership table"
        return f"make the {command.lower()} policy admit only members of the row's group ({where})"


@dataclass(frozen=True)
class ChildPlan:
    """Rows that belong to a parent row (tasks -> projects): one under A's or G1's parent, one under B's."""

    key_columns: tuple[str, ...]  # the foreign key to the parent
    parent_columns: tuple[str, ...]  # the parent's columns it references
    parent: ObjectRef
    parent_plan: Plan
    member_column: str | None = None  # a membership table: its user column (a new member, user C)
    new_groups = False

    @property
    def key(self) -> str:
        return self.key_columns[0]

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        made = []
        parent_table = (self.parent.schema, self.parent.name)
        for parent_row, parent_values in self.parent_plan.make(filler, parent_table):
            if not set(self.parent_columns) <= parent_values.keys():
                continue  # a parent row made for the insert probe only (joining G2), never in the table
            fixed: dict[str, object] = {
                c: parent_values[p] for c, p in zip(self.key_columns, self.parent_columns, strict=True)
            }
            owner = USER_A if parent_row.mine else USER_B
            values, insert = self._insert(filler, table, owner, fixed)
            row = ProbeRow(matching(fixed), insert, parent_row.mine, dict(fixed))
            if parent_row.mine:
                row = replace(row, part=f" (through their {self.parent.qualified} row{parent_row.part})")
            else:
                under = f"belonging to {parent_row.named} in {self.parent.qualified}"
                row = _others(row, f"row(s) {under}", f"the row {under}", f"a row {under}")
            made.append((row, values))
        if self.member_column is not None:
            made.append(self._joining_another_group(made[-1][1], filler))
        return made

    def _joining_another_group(self, other: dict, filler: Filler) -> tuple[ProbeRow, dict]:
        """A row never inserted, for the insert probe only: user A making themselves a member of G2; user D,
        in no group, where a user has one membership at most (A's own is there already)."""
        members = self.parent_plan.tenancy.members if isinstance(self.parent_plan, GroupPlan) else None
        assert members is not None
        joiner = USER_D if {members.user_column} in filler.schema.keys(members.table) else USER_A
        values = {members.group_column: other[members.group_column]}
        if members.role_column:
            values[members.role_column] = other[members.role_column]
        return _joining(members, values, joiner, f"{self.parent.qualified} group G2")

    def _insert(
        self, filler: Filler, table: tuple[str, str], owner: str, fixed: dict
    ) -> tuple[dict, sql.Composed]:
        if self.member_column is None:
            keyed = set(self.key_columns) in filler.schema.keys(table)  # one row per parent: maybe made
            found = filler.existing(table, fixed) if keyed else None  # by a trigger on the parent
            return found or filler.insert(table, owner, fixed)
        members = self.parent_plan.tenancy.members if isinstance(self.parent_plan, GroupPlan) else None
        assert members is not None
        fixed[self.member_column] = USER_C  # a new member, added by a member of the group
        values, insert = filler.join(members, fixed[members.group_column], USER_C)
        return values, insert

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        verb = command.lower()
        return (
            f"missing policy for {command} on {ref.qualified}: a user cannot {verb} the rows belonging to "
            f"their own {self.parent.qualified} row; {what}",
            f"if that is meant to work, let the {verb} policy admit rows whose {self.parent.qualified} row "
            "the user owns or belongs to; if not, set this rule's severity in the policy",
        )

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        key = ", ".join(self.key_columns)
        return (
            f"make the {command.lower()} policy check the {self.parent.qualified} row the row belongs to "
            f"({key}), in USING and WITH CHECK, e.g. `exists (select 1 from {self.parent.qualified} p "
            f"where p.id = {ref.name}.{key} and <the user owns or belongs to p>)` with the "
            "columns qualified"
        )


@dataclass(frozen=True)
class ServicePlan:
    """A table only service_role reaches ([rls.tenancy] service_only): no user may see any row."""

    key: str
    new_groups = False

    def make(self, filler: Filler, table: tuple[str, str]) -> Made:
        values, insert = filler.insert(table, USER_B, {})
        where = matching({self.key: values[self.key]})
        row = ProbeRow(where, insert, False)
        return [
            (
                _others(
                    row, "row(s) only service_role may reach", "a service-only row", "a service-only row"
                ),
                values,
            )
        ]

    def missing(self, ref: ObjectRef, command: str, what: str) -> tuple[str, str]:
        raise AssertionError("no user owns a row of a service-only table")

    def leak_hint(self, ref: ObjectRef, command: str) -> str:
        verb = command.lower()
        return f"drop the {verb} policies for anon and authenticated: the table is service_role's only"


Plan = OwnerPlan | ParticipantPlan | GroupPlan | ChildPlan | ServicePlan


# --- plans from the tenancy model ----------------------------------------------------------------


def plan_for(tenancy: Tenancy, model: Model) -> Plan | str:
    """How to probe a table of this tenancy; otherwise why it cannot be."""
    schema = model.schema
    if tenancy.kind == "user" and len(tenancy.columns) == 1:
        owner = tenancy.columns[0]
        joins = next(
            (
                (ObjectRef("table", *group), members)
                for group, members in model.memberships().items()
                if members.table == tenancy.table and members.user_column == owner
            ),
            None,
        )
        return OwnerPlan(owner, moves=not model.under_owned_parent(tenancy.table), joins=joins)
    if tenancy.kind == "user":
        return ParticipantPlan(tenancy.columns)
    if tenancy.kind == "group":
        return GroupPlan(tenancy.group_key, tenancy)
    if tenancy.kind == "via" and tenancy.parent is not None:
        parent = plan_for(tenancy.parent, model)
        if isinstance(parent, str):
            return parent
        member = None
        if (
            isinstance(parent, GroupPlan)
            and parent.tenancy.members
            and parent.tenancy.members.table == tenancy.table
        ):
            member = parent.tenancy.members.user_column
        ref = ObjectRef("table", *tenancy.parent.table)
        return ChildPlan(tenancy.columns, tenancy.parent_columns, ref, parent, member)
    if tenancy.kind == "service_only":
        columns = schema.columns(tenancy.table)
        key = next((k for k in schema.keys(tenancy.table) if len(k) == 1), None)
        return ServicePlan(next(iter(key)) if key else columns[0])
    if tenancy.kind == "public":
        how = "stated public in [rls.tenancy]" if tenancy.stated else "nobody's rows by the schema"
        return f"{how}: no user column, membership or foreign key to owned rows"
    return f"the ownership path is unknown: {tenancy.why}"


# --- probing one table ---------------------------------------------------------------------------


@dataclass
class ProbeTable:
    ref: ObjectRef
    plan: Plan
    tenancy: Tenancy
    where: Location  # the CREATE TABLE statement
    policy_statements: dict[str, Location]  # policy name -> where the migration creates it
    user_commands: frozenset[str] = frozenset()  # commands some permissive policy grants signed-in users
    # what a later migration of the run does that ends a leak (role, command, policies): put_right_later
    put_right: Callable[[str, str, list[str]], str | None] = lambda role, command, policies: None


@dataclass(frozen=True)
class Leak:
    """What the probe saw a role do that the tenancy model forbids."""

    role: str
    command: str
    what: str  # what happened, for the finding
    user: str | None  # whose token the probe acted with; None: anon
    # a read: the rows it saw (each policy is asked about them); an insert: the probe's row of the values
    rows: sql.Composable | None = None
    # a read: the state of the rows' own flags they are readable in, and not otherwise ("is_published
    # is true"); empty when no flag of the row decides
    readable_while: str = ""


@contextmanager
def acting_as(conn: psycopg.Connection, role: str, user: str | None, claims: dict) -> Iterator[None]:
    """A savepoint in which the session is `role` with PostgREST's JWT claims; undone afterwards."""
    with conn.transaction(force_rollback=True):
        _request(conn, role, user, claims)
        yield


def _request(conn: psycopg.Connection, role: str, user: str | None, claims: dict) -> None:
    """Take the role and JWT claims PostgREST sets for a request, until the transaction ends."""
    conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
    conn.execute(_SET_CLAIMS, (json.dumps(claims), user or "", role))


_SET_CLAIMS = (
    "select pg_catalog.set_config('request.jwt.claims', %s, true),"
    " pg_catalog.set_config('request.jwt.claim.sub', %s, true),"
    " pg_catalog.set_config('request.jwt.claim.role', %s, true)"
)


@contextmanager
def as_service_role(conn: psycopg.Connection) -> Iterator[None]:
    """Act as a request made with the service key (its token's role claim is service_role: guards
    written as `auth.role() = 'service_role'` let it through); then back to the session's own role with
    empty claims, as a PostgREST connection between requests (what runs next, an access token hook
    called as GoTrue would, sees no request)."""
    _request(conn, "service_role", None, {"role": "service_role"})
    yield
    conn.execute("reset role")
    conn.execute(_SET_CLAIMS, ("", "", ""))


@contextmanager
def savepoint(conn: psycopg.Connection) -> Iterator[None]:
    with conn.transaction(force_rollback=True):
        yield


class Prober:
    """The checks on one table, with the probe's rows in place (inside the caller's transaction)."""

    def __init__(
        self, conn: psycopg.Connection, table: ProbeTable, rows: list[ProbeRow], filler: Filler | None = None
    ):
        self.conn = conn
        self.table = table
        self.rows = rows
        self.filler = filler  # makes the other rows a probe needs (a parent row to point a null key at)
        self.leaks: list[Leak] = []
        self.missing: list[tuple[str, str]] = []  # (command, what happened)
        self.observed: dict[tuple[str, str, str], bool] = {}  # (role, command, whose rows) -> allowed
        self.denied_by_choice: set[str] = set()  # commands the policies deny on own rows on purpose
        self._claims: dict[tuple[str, str | None], dict] = {}
        self._named: dict[str, dict[str, list[str]]] = {}  # _named_states by role

    def granting(self, leak: Leak) -> Granting:
        """The permissive policies that let the leak happen, asked of the database: a policy for the
        command whose roles the acting role has the privileges of, and whose USING (WITH CHECK for an
        insert) can hold for the leak's user: on its own, or, for a read, on the rows seen. A select
        policy whose USING names no column of the row and holds for the role whatever the user (the
        token carries only the role: `auth.role() = 'authenticated'`, `using (true)`) is a public read."""
        params = {"table": self._regclass, "command": _POLCMD[leak.command], "role": leak.role}
        found = self.conn.execute(_CANDIDATES, params).fetchall()
        allowing, public, rowless = [], [], []
        for name, is_select, expression in found:
            if expression is None:
                allowing.append(name)  # nothing to ask: listed as it applies to the command
                continue
            alone = self._holds(expression, leak.user, leak.role)  # None: it reads the row
            if alone is True:
                rowless.append(expression)
            held = alone
            if alone is None and leak.rows is not None:
                ask = self._holds_for_values if leak.command == "INSERT" else self._holds_on
                held = ask(expression, leak.user, leak.role, leak.rows)
            if held is False:
                continue  # false for this user (a guard for service_role): it did not allow this
            allowing.append(name)
            if (
                is_select
                and leak.command == "SELECT"
                and alone is True
                and (leak.user is None or self._holds(expression, None, leak.role) is True)
            ):
                public.append(name)
        # the database let the command through, so some policy did: when asking rules out every one
        # (a policy reading state the question cannot recreate), name them all rather than none
        listed = len(rowless) == len(allowing) > 0 and self._listed_grants(rowless, leak)
        return Granting(allowing or [name for name, _, _ in found], public, listed)

    def _listed_grants(self, expressions: list[str], leak: Leak) -> bool:
        """Whether the policies, which read no column of the row, hold for user A only while the probe's own
        rows of this table list A (learn's admin_users, read by is_admin(): admins manage admins)."""
        mine = [row.where for row in self.rows if row.mine]
        if leak.user != USER_A or not mine:
            return False
        unlist = sql.SQL("delete from {} where {}").format(
            self._target, sql.SQL(" or ").join(sql.SQL("({})").format(where) for where in mine)
        )
        with savepoint(self.conn):
            try:
                self.conn.execute(unlist)
            except psycopg.Error:
                return False
            return not any(self._holds(expression, USER_A, leak.role) for expression in expressions)

    def _holds(self, expression: str, user: str | None, role: str) -> bool | None:
        """Whether the expression, evaluated with no row, holds for the user (None: it reads the row)."""
        query = sql.SQL("select coalesce(({})::boolean, false)").format(sql.SQL(expression))
        try:
            with self._acting(user, role):
                return bool((self.conn.execute(query).fetchone() or (False,))[0])
        except psycopg.Error:
            return None

    def _holds_on(self, expression: str, user: str | None, role: str, rows: sql.Composable) -> bool | None:
        """Whether the expression holds for the user on some of the rows (None: the user sees none)."""
        query = sql.SQL(
            "select count(*), count(*) filter (where ok)"
            " from (select coalesce(({}), false) as ok from {} where {}) as seen"
        ).format(sql.SQL(expression), self._target, rows)
        try:
            with self._acting(user, role):
                seen, held = self.conn.execute(query).fetchone() or (0, 0)
        except psycopg.Error:
            return None
        return None if not seen else bool(held)

    def _holds_for_values(
        self, expression: str, user: str | None, role: str, rows: sql.Composable
    ) -> bool | None:
        """Whether a WITH CHECK holds for the user on the values of the row an insert leak inserted (the
        probe's row of the same values, read back as service_role: the user may not see it)."""
        values = sql.SQL("select to_jsonb(t) from {} as t where {}").format(self._target, rows)
        query = sql.SQL("select coalesce(({}), false) from jsonb_populate_record(null::{}, %s) as {}").format(
            sql.SQL(expression), self._target, sql.Identifier(self.table.ref.name)
        )
        with savepoint(self.conn):
            try:
                with as_service_role(self.conn):
                    found = self.conn.execute(values).fetchone()
                if found is None:
                    return None
                with self._acting(user, role):
                    return bool((self.conn.execute(query, (json.dumps(found[0]),)).fetchone() or (False,))[0])
            except psycopg.Error:
                return None

    def _observe(self, role: str, command: str, mine: bool | None, allowed: bool) -> None:
        key = (role, command, "any" if mine is None else "own" if mine else "others'")
        self.observed[key] = self.observed.get(key, False) or allowed

    @contextmanager
    def _acting(self, user: str | None, role: str = "authenticated") -> Iterator[None]:
        if (role, user) not in self._claims:  # read once the world exists: a token hook reads it
            self._claims[(role, user)] = jwt_claims(self.conn, role, user)
        with acting_as(self.conn, role, user, self._claims[(role, user)]):
            yield

    @property
    def _target(self) -> sql.Composable:
        return sql.Identifier(self.table.ref.schema, self.table.ref.name)

    def _ordered(self) -> list[ProbeRow]:
        return sorted(self.rows, key=lambda r: r.mine)  # others' rows first

    def run(self) -> None:
        self._select()
        for command in ("UPDATE", "DELETE"):
            for row in self._ordered():
                self._modify(command, row)
        self._move()
        for row in self._ordered():
            if row.mine or not self.table.plan.new_groups:
                self._insert(row)
        self._outsiders()
        self._anon_writes()

    def _select(self) -> None:
        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(sql.SQL("count(*) filter (where {})").format(row.where) for row in self.rows),
            self._target,
        )
        try:
            with self._acting(USER_A):
                seen = list(self.conn.execute(query).fetchone() or [0] * len(self.rows))
            refusal = "0 rows visible"
        except psycopg.Error as err:
            seen, refusal = [0] * len(self.rows), one_line(err)
        for row, count in zip(self.rows, seen, strict=True):
            self._observe("authenticated", "SELECT", row.mine, bool(count))
            if count and not row.mine:
                what = f"user A sees {count} {row.counted}"
                flags = self._readable_while(row.where, USER_A, "authenticated")
                self.leaks.append(Leak("authenticated", "SELECT", what, USER_A, row.where, flags))
            elif not count and row.mine and self._sees_own_membership():
                self.denied_by_choice.add("SELECT")
            elif not count and row.mine:
                self.missing.append(("SELECT", f"user A{row.part} does not see their own row ({refusal})"))

    def open_form(self, leak: Leak, policies: list[str]) -> bool:
        """Whether an insert into a group's rows, or into the rows under another user's row (a page view of
        their app), went through insert policies whose check is `true`: a form anyone may send (a diner's
        order, a lead), which lint reports as a warning too."""
        tenancy, ref = self.table.tenancy, self.table.ref
        root = tenancy.root
        if leak.command != "INSERT" or not policies or not (root.kind == "group" or tenancy.kind == "via"):
            return False  # into a user's own rows it is a write in their name: lint says so too
        if root.members is not None and root.members.table == (ref.schema, ref.name):
            return False  # joining any group is no form: its rows are then the user's to read
        found = self.conn.execute(_INSERT_CHECKS, {"table": self._regclass, "names": policies}).fetchall()
        return len(found) == len(policies) and all(text == "true" for (text,) in found)

    def files_requests(self, leak: Leak, policies: list[str]) -> bool:
        """Whether an insert into another group went through policies whose every check holds the row to
        its writer and to a set state (`status = 'pending' and user_id = auth.uid()`): the user's own
        request to that group (to join it, to apply), which the table exists for."""
        if leak.command != "INSERT" or not policies:
            return False
        found = self.conn.execute(_CHECKS, {"table": self._regclass, "names": policies}).fetchall()
        trees = [deparsed_expression(text) if text else None for (text,) in found]
        return bool(trees) and all(tree is not None and files_a_request(tree) for tree in trees)

    def _readable_while(self, rows: sql.Composable, user: str | None, role: str) -> str:
        """Whether the rows a reader sees are readable only in the state their own columns are in: a
        boolean (`using (is_published or ...)`: the probe's rows took the default, true), or an enum or
        text column a select policy compares (`using (status = 'open' or ...)`); or in the state of their
        parent (`exists (select from stores s where s.id = store_id and s.is_active)`). Each is changed in
        turn, then all of them, as service_role (the owner could do the same): a boolean negated, an
        enum to another of its labels, text to a value no policy names; when the reader then sees none
        of the rows, the rows are public by their state, not by who reads them: returns that state
        ("is_published is true", "status is open"), else "". Only rows an outsider reads as they are can
        be public so: user D (signed in, owning nothing, in no group), or anon; where D does not see B's
        row, a state test ANDed with a faulty tenant test (`status <> 'archived' and ...`) hides it too,
        and the read stays a leak. The tenancy's own keys are no state."""
        if user not in (USER_D, None) and not self._seen_by_an_outsider(rows):
            return ""
        keys = set(self.table.tenancy.columns) | {column for row in self.rows for column in row.owned_by}
        found = self.conn.execute(_STATES, {"table": self._regclass, "role": role}).fetchall()
        own = [state for state in found if state[0] not in keys]
        reader = (rows, user, role)
        if own and (state := self._state_hiding(self._target, rows, own, reader)):
            return state
        parents = self.conn.execute(_PARENT_STATES, {"table": self._regclass, "role": role}).fetchall()
        for (schema, parent, key, parent_key), states in itertools.groupby(parents, lambda s: s[:4]):
            rows_parents = sql.SQL("{} in (select {} from {} where {})").format(
                sql.Identifier(parent_key), sql.Identifier(key), self._target, rows
            )
            target = sql.Identifier(schema, parent)
            if state := self._state_hiding(target, rows_parents, [s[4:] for s in states], reader):
                return f"{parent}.{state} for its {key}"
        return self._unset_key_hiding(keys, reader)

    def _unset_key_hiding(self, keys: set[str], reader: tuple[sql.Composable, str | None, str]) -> str:
        """A row readable while a key of it is null (grade-lms's `course_id is null or <enrolled>`: a lesson
        in no course is everyone's): where setting the key to a parent row hides it from the reader, the
        rows are public by that state ("course_id is null")."""
        rows, _, role = reader
        nullable = self.conn.execute(_NULLABLE_KEYS, {"table": self._regclass, "role": role}).fetchall()
        for column, schema, parent, parent_key in nullable:
            if column in keys:
                continue
            unset = sql.SQL("select from {} where {} and {} is null limit 1").format(
                self._target, rows, sql.Identifier(column)
            )
            if self.conn.execute(unset).fetchone() is None:
                continue
            value = self._parent_key((schema, parent), parent_key)
            if value is None:
                continue
            flip = sql.SQL("update {} set {} = {} where {}").format(
                self._target, sql.Identifier(column), sql.Literal(value), rows
            )
            if self._hidden_by(flip, *reader):
                return f"{column} is null"
        return ""

    def _parent_key(self, parent: tuple[str, str], column: str) -> object:
        """The key of a row of the parent table: one there, else one made for user B; None if none can be."""
        some = sql.SQL("select {} from {} limit 1").format(sql.Identifier(column), sql.Identifier(*parent))
        found = self.conn.execute(some).fetchone()
        if found is not None or self.filler is None:
            return found[0] if found else None
        try:
            with self.conn.transaction(), as_service_role(self.conn):  # kept for the rest of the probe
                row, _ = self.filler.insert(parent, USER_B, {})
        except (CannotFill, psycopg.Error):
            return None
        return row.get(column)

    def _state_hiding(
        self,
        target: sql.Composable,
        where: sql.Composable,
        states: list[tuple[str, str, list[str]]],
        reader: tuple[sql.Composable, str | None, str],
    ) -> str:
        """The state of these rows of `target` (the probed table's, or their parents') whose change hides
        the reader's rows from them, as `_readable_while` says it; "" when no change of one, nor of all
        of them, does."""
        names = [name for name, _, _ in states]
        columns = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(f)) for f in names)
        pick = sql.SQL("select {} from {} where {} limit 1").format(columns, target, where)
        values = dict(zip(names, self.conn.execute(pick).fetchone() or (), strict=False))
        named = self._named_states(reader[2])
        changes = {
            name: others
            for name, category, labels in states
            if name in values
            and (others := _other_states(name, category, labels + named.get(name, []), values[name]))
        }
        tries = [[(name, other)] for name, others in changes.items() for other in others]
        if len(changes) > 1:
            tries.append([(name, others[0]) for name, others in changes.items()])
        for changed in tries:
            flip = sql.SQL("update {} set {} where {}").format(
                target, sql.SQL(", ").join(change for _, change in changed), where
            )
            if self._hidden_by(flip, *reader):
                return " and ".join(f"{name} is {_shown(values[name])}" for name, _ in changed)
        return ""

    def _named_states(self, role: str) -> dict[str, list[str]]:
        """The string constants columns are compared with by the role's permissive select policies
        (`status = 'open'`, `status <> 'draft'`) and by the table's check constraints (`status in ('draft',
        'published')`), by column: the states a row may be put in to leave the policy. Read once per role:
        the row's own states and each parent's ask."""
        if role in self._named:
            return self._named[role]
        named: dict[str, list[str]] = self._named.setdefault(role, {})
        texts = self.conn.execute(_STATE_EXPRESSIONS, {"table": self._regclass, "role": role}).fetchall()
        for (text,) in texts:
            tree = deparsed_expression(text) if text else None
            for comparison in find_nodes(tree, "A_Expr") if tree else ():
                column = operand_column(comparison.get("lexpr")) or operand_column(comparison.get("rexpr"))
                if column:
                    constants = find_nodes([comparison.get("lexpr"), comparison.get("rexpr")], "A_Const")
                    named.setdefault(column, []).extend(c["sval"]["sval"] for c in constants if "sval" in c)
        return named

    def _sees_own_membership(self) -> bool:
        """A membership table whose policy shows each user their own memberships only (`user_id =
        auth.uid()`, the common guard against recursive policies): user A sees their membership of G1 and
        not the other members', which is a choice, not a missing policy."""
        plan = self.table.plan
        if not isinstance(plan, ChildPlan) or plan.member_column is None:
            return False
        mine = sql.SQL("{} = {}").format(sql.Identifier(plan.member_column), sql.Literal(USER_A))
        return self._sees_any(USER_A, mine)

    def _seen_by_an_outsider(self, rows: sql.Composable) -> bool:
        return self._sees_any(USER_D, rows)

    def _sees_any(self, user: str, rows: sql.Composable) -> bool:
        """Whether the signed-in user reads any of these rows (a refused read: none)."""
        count = sql.SQL("select count(*) from {} where {}").format(self._target, rows)
        with savepoint(self.conn):
            try:
                with self._acting(user):
                    return (self.conn.execute(count).fetchone() or (0,))[0] > 0
            except psycopg.Error:
                return False

    def _hidden_by(self, flip: sql.Composable, rows: sql.Composable, user: str | None, role: str) -> bool:
        """Whether the reader sees none of the rows once service_role has made this change."""
        count = sql.SQL("select count(*) from {} where {}").format(self._target, rows)
        with savepoint(self.conn):
            try:
                with as_service_role(self.conn):
                    changed = self.conn.execute(flip).rowcount
                with self._acting(user, role):
                    seen = (self.conn.execute(count).fetchone() or (0,))[0]
            except psycopg.Error:
                return False  # a check or trigger refused the change, or the read failed: still a leak
        return changed > 0 and seen == 0

    @property
    def _regclass(self) -> str:
        return sql.Identifier(self.table.ref.schema, self.table.ref.name).as_string(self.conn)

    def _attempt(
        self, query: sql.Composable, leak: bool, user: str | None = USER_A, role: str = "authenticated"
    ) -> tuple[bool, str] | None:
        """Run a write as user A (or another caller): whether it reached a row, and PostgreSQL's refusal;
        None: inconclusive."""
        try:
            with self._acting(user, role):
                reached = self.conn.execute(query).rowcount > 0
            return reached, "0 rows affected"
        except psycopg.Error as err:
            state, refusal = err.diag.sqlstate or "", one_line(err)
            if _with_check_refusal(err):
                return leak, refusal  # USING let the row through, only WITH CHECK stopped this very change
            if state == RLS_VIOLATION:
                return False, refusal  # no privilege on the table
            if state.startswith("23"):
                return True, refusal  # a constraint fired on the row: row level security let it through
            return None

    def _statement(self, command: str, where: sql.Composable | None) -> sql.Composable:
        key = sql.Identifier(self.table.plan.key)
        if command == "UPDATE":
            query = sql.SQL("update {} set {} = {}").format(self._target, key, key)
        else:
            query = sql.SQL("delete from {}").format(self._target)
        return query if where is None else sql.SQL("{} where {}").format(query, where)

    def _modify(self, command: str, row: ProbeRow) -> None:
        outcome = self._attempt(self._statement(command, row.where), not row.mine)
        if outcome is None:
            return
        reached, refusal = outcome
        if not row.mine and not reached:
            reached = self._unfiltered_reaches(command, row)
        verb = command.lower()
        self._observe("authenticated", command, row.mine, reached)
        if not row.mine and reached:
            self.leaks.append(Leak("authenticated", command, f"user A's {verb} reached {row.named}", USER_A))
        elif row.mine and not reached:
            self.missing.append((command, f"user A{row.part} cannot {verb} their own row ({refusal})"))

    def _unfiltered_reaches(
        self, command: str, row: ProbeRow, user: str | None = USER_A, role: str = "authenticated"
    ) -> bool:
        """An UPDATE or DELETE without WHERE reads no column, so select policies do not narrow it:
        only the command's own USING does (a tautology there reaches every tenant's rows). An UPDATE that
        sets a column to a constant reads none either (`set key = key` reads the key, and so is narrowed
        by the select policies a caller such as anon may have none of)."""
        version = sql.SQL("select xmin::text from {} where {}").format(self._target, row.where)
        before = self.conn.execute(version).fetchone()
        if before is None:
            return False  # a row that exists only to be inserted
        constant = self._constant_update(row) if command == "UPDATE" else None
        statement = constant or self._statement(command, None)
        with savepoint(self.conn):
            try:
                with self._acting(user, role):
                    self.conn.execute(statement)
                    self.conn.execute("reset role")
                    after = self.conn.execute(version).fetchone()
            except psycopg.Error:
                return False  # refused for some row; the filtered statement already decided
        return after != before

    def _constant_update(self, row: ProbeRow) -> sql.Composable | None:
        """An UPDATE without WHERE that sets a column no unique key holds to the row's own value of it
        (the other rows it reaches take that value too, in the probe's rolled-back savepoint)."""
        found = self.conn.execute(_FREE_COLUMN, {"table": self._regclass}).fetchone()
        if found is None:
            return None
        column = sql.Identifier(found[0])
        pick = sql.SQL("select {}::text from {} where {}").format(column, self._target, row.where)
        value = (self.conn.execute(pick).fetchone() or (None,))[0]
        return sql.SQL("update {} set {} = {}").format(self._target, column, sql.Literal(value))

    def _move(self) -> None:
        """Write-through: A updates their own row so that it belongs to someone else."""
        mine = next((r for r in self.rows if r.mine and r.owned_by), None)
        other = next((r for r in self.rows if not r.mine and r.owned_by), None)
        if mine is None or other is None:
            return
        if self.table.tenancy.kind != "user" and self._only_users_count(list(other.owned_by)):
            return  # the key to the group carries no access here: every policy asks for the row's user
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
            for column, value in other.owned_by.items()
        )
        update = sql.SQL("update {} set {}").format(self._target, assignments)
        outcome = self._attempt(sql.SQL("{} where {}").format(update, mine.where), False)
        if (outcome is not None and outcome[0]) or self._unfiltered_moves(update, mine):
            columns = ", ".join(other.owned_by)
            what = f"user A's update set {columns} of their own row to that of {other.named}, handing it over"
            self.leaks.append(Leak("authenticated", "UPDATE", what, USER_A))

    def _only_users_count(self, keys: list[str]) -> bool:
        """Whether every policy of the table that reads its rows ties them to their user (compares a
        column with auth.uid()) and none reads these keys: PostgreSQL records the columns a policy's
        expressions name as its dependencies. A policy naming no column at all (an administrators'
        `using (is_admin())`) says nothing of whose rows; one given the whole row (`can_access(tasks)`)
        names it, and may read any key."""
        table = {"table": self._regclass, "columns": keys}
        if self.conn.execute(_POLICIES_READ, table).fetchone() is not None:
            return False
        rows = self.conn.execute(_POLICY_EXPRESSIONS, table).fetchall()
        parsed = [[tree for text in pair if text and (tree := deparsed_expression(text))] for pair in rows]
        about_rows = [trees for trees in parsed if any(_names_a_column(tree) for tree in trees)]
        return bool(about_rows) and all(any(uid_comparisons(tree) for tree in trees) for trees in about_rows)

    def _unfiltered_moves(self, update: sql.Composable, mine: ProbeRow) -> bool:
        """Without WHERE the new row need not stay visible through the select policies: only the
        update policies' USING and WITH CHECK decide where A's row may go."""
        left = sql.SQL("select count(*) from {} where {}").format(self._target, mine.where)
        with savepoint(self.conn):
            try:
                with self._acting(USER_A):
                    self.conn.execute(update)
                    self.conn.execute("reset role")
                    return (self.conn.execute(left).fetchone() or (1,))[0] == 0
            except psycopg.Error:
                return False

    def _insert(self, row: ProbeRow) -> None:
        delete = sql.SQL("delete from {} where {}").format(self._target, row.where)
        with savepoint(self.conn):
            try:  # as the probe's own session: frees unique keys for the same row again
                self.conn.execute(delete)
            except psycopg.Error:
                return  # rows of another table hold it (a foreign key without cascade): inconclusive
            try:
                with self._acting(row.actor):
                    self.conn.execute(row.insert)
                refusal = ""
            except psycopg.Error as err:
                if err.diag.sqlstate != RLS_VIOLATION:
                    return  # a constraint, not row level security or privileges, decided: inconclusive
                refusal = one_line(err)
        acting = "authenticated" if row.actor == USER_A else "authenticated (user D)"
        self._observe(acting, "INSERT", row.mine, not refusal)
        if not row.mine and not refusal:
            what = f"{_ACTORS[row.actor]} inserted {row.made}"
            self.leaks.append(Leak("authenticated", "INSERT", what, row.actor, row.where))
        elif row.mine and refusal:
            self.missing.append(("INSERT", f"user A{row.part} cannot insert their own row ({refusal})"))

    def _outsiders(self) -> None:
        owned = sql.SQL(" or ").join(sql.SQL("({})").format(row.where) for row in self.rows)
        query = sql.SQL("select count(*) from {} where {}").format(self._target, owned)
        for role, user, who in (
            ("authenticated", USER_D, _OUTSIDER),
            ("anon", None, "anon (not signed in)"),
        ):
            try:
                with self._acting(user, role):
                    seen = (self.conn.execute(query).fetchone() or (0,))[0]
            except psycopg.Error:
                seen = 0  # the role may not even read the table: nothing leaks
            self._observe("anon" if user is None else "authenticated (user D)", "SELECT", None, bool(seen))
            if seen:
                what = f"{who} sees {seen} of the probe's row(s)"
                flags = self._readable_while(owned, user, role)
                self.leaks.append(Leak(role, "SELECT", what, user, owned, flags))

    def _anon_writes(self) -> None:
        """anon (not signed in) updates or deletes others' rows: a row that belongs to someone is never
        anon's to change (a public form inserts; it does not rewrite what others wrote)."""
        for command in ("UPDATE", "DELETE"):
            reached = False
            for row in (row for row in self.rows if not row.mine):
                outcome = self._attempt(self._statement(command, row.where), True, None, "anon")
                reached = bool(outcome and outcome[0]) or self._unfiltered_reaches(command, row, None, "anon")
                if reached:
                    what = f"anon's {command.lower()} (not signed in) reached {row.named}"
                    self.leaks.append(Leak("anon", command, what, None))
                    break
            self._observe("anon", command, None, reached)


def _names_a_column(tree: object) -> bool:
    return next(find_nodes(tree, "ColumnRef"), None) is not None


def _with_check_refusal(err: psycopg.Error) -> bool:
    message = err.diag.message_primary or ""
    return err.diag.sqlstate == RLS_VIOLATION and "row-level security" in message


# --- the probe stage -----------------------------------------------------------------------------

# The permissive policies for the command that apply to the role (PUBLIC, or a role whose privileges
# it has, as row level security decides), each with whether it is FOR SELECT and the expression that
# decides: USING, or for an insert WITH CHECK (USING stands in for it on a FOR ALL policy).
_POLCMD = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}
# A policy p applies to the role %(role)s: PUBLIC, or a role it has the privileges of.
_FOR_THE_ROLE = """(0::oid = any(p.polroles)
       or exists (select from unnest(p.polroles) r where pg_catalog.pg_has_role(%(role)s, r, 'USAGE')))"""
_CANDIDATES = f"""
select p.polname::text, p.polcmd = 'r',
       pg_catalog.pg_get_expr(case when %(command)s = 'a' then coalesce(p.polwithcheck, p.polqual)
                                   else p.polqual end, p.polrelid)
from pg_catalog.pg_policy p
where p.polrelid = %(table)s::regclass and p.polpermissive and p.polcmd in (%(command)s, '*')
  and {_FOR_THE_ROLE}
order by 1"""

# A column a's type category and, for an enum, its labels (t: its type).
_STATE_TYPE = """t.typcategory::text,
       array(select e.enumlabel::text from pg_catalog.pg_enum e where e.enumtypid = t.oid
             order by e.enumsortorder)"""
# Whether a permissive select policy for the role of the table `{policies_of}` reads the column `{column}` (a
# pg_attribute row: its expression, sub-selects included, names it, which PostgreSQL records as a dependency).
_READ_BY_SELECT_POLICY = f"""exists (
        select from pg_catalog.pg_policy p
        join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_policy'::regclass and d.objid = p.oid
          and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = {{column}}.attrelid
          and d.refobjsubid = {{column}}.attnum
        where p.polrelid = {{policies_of}} and p.polpermissive and p.polcmd in ('r', '*')
          and {_FOR_THE_ROLE})"""
_STATE_CATEGORIES = (
    "t.typcategory in ('E', 'S') or t.oid in ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)"
)

# The row's own state: the boolean columns a client may set (not generated), and the enum, text, date and
# time columns a permissive select policy for the role names; with an enum's labels.
_STATES = f"""
select a.attname::text, {_STATE_TYPE}
from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
where a.attrelid = %(table)s::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
  and (t.typcategory = 'B'
       or (({_STATE_CATEGORIES}) and {_READ_BY_SELECT_POLICY.format(policies_of="a.attrelid", column="a")}))
order by a.attnum"""

# The parents' state: for each single-column foreign key of the table, the parent's columns of a state's
# type that the table's own permissive select policies for the role read (`exists (select from stores s
# where s.id = store_id and s.is_active)`), other than the referenced key.
_PARENT_STATES = f"""
select n.nspname::text, r.relname::text, child.attname::text, parent.attname::text, a.attname::text,
       {_STATE_TYPE}
from pg_catalog.pg_constraint c
join pg_catalog.pg_class r on r.oid = c.confrelid
join pg_catalog.pg_namespace n on n.oid = r.relnamespace
join pg_catalog.pg_attribute child on child.attrelid = c.conrelid and child.attnum = c.conkey[1]
join pg_catalog.pg_attribute parent on parent.attrelid = c.confrelid and parent.attnum = c.confkey[1]
join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum > 0 and not a.attisdropped
  and a.attgenerated = '' and a.attnum <> c.confkey[1]
join pg_catalog.pg_type t on t.oid = a.atttypid
where c.conrelid = %(table)s::regclass and c.contype = 'f' and cardinality(c.conkey) = 1
  and (t.typcategory = 'B' or {_STATE_CATEGORIES})
  and {_READ_BY_SELECT_POLICY.format(policies_of="c.conrelid", column="a")}
order by 1, 2, 3, 4, a.attnum"""


def _other_states(name: str, category: str, candidates: list[str], value: str | None) -> list[sql.Composable]:
    """The assignments that put a row's state column in another state than `value`: a boolean negated, an
    enum or text column set to another of `candidates` (its labels, the constants the policies name), and
    text also to a value no policy names. A null (`or college_domain is null`: a post of no college is
    everyone's) is left for each of those values (a boolean's two)."""
    column = sql.Identifier(name)
    if category == "B":
        if value is None:
            return [sql.SQL("{} = {}").format(column, sql.Literal(flag)) for flag in (True, False)]
        return [sql.SQL("{0} = not {0}").format(column)]
    if category == "D":  # `expires_at > now()`: one end of time or the other leaves the policy
        return [sql.SQL("{} = {}").format(column, sql.Literal(end)) for end in _ENDS_OF_TIME if end != value]
    others = list(dict.fromkeys(c for c in candidates if c != value))
    if category == "S":
        others.append(_NO_POLICYS_STATE)
    return [sql.SQL("{} = {}").format(column, sql.Literal(other)) for other in others]


# A policy of the table that reads one of the columns, or the whole row (a normal dependency on the table
# itself; every policy also depends on its table automatically).
_POLICIES_READ = """
select from pg_catalog.pg_policy p
join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_policy'::regclass and d.objid = p.oid
  and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = p.polrelid
left join pg_catalog.pg_attribute a on a.attrelid = p.polrelid and a.attnum = d.refobjsubid
where p.polrelid = %(table)s::regclass
  and (a.attname::text = any(%(columns)s) or (d.refobjsubid = 0 and d.deptype = 'n'))
limit 1"""

# The named policies' checks of a written row (WITH CHECK, or USING standing in for it).
_CHECKS = """
select pg_catalog.pg_get_expr(coalesce(p.polwithcheck, p.polqual), p.polrelid) from pg_catalog.pg_policy p
where p.polrelid = %(table)s::regclass and p.polname = any(%(names)s)"""

# The named policies' checks where they are insert policies (a FOR ALL policy is no form: it opens more).
_INSERT_CHECKS = _CHECKS + " and p.polcmd = 'a'"

_POLICY_EXPRESSIONS = """
select pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
from pg_catalog.pg_policy p where p.polrelid = %(table)s::regclass"""

# The role's permissive select policies' USING and the table's check constraints, as PostgreSQL deparses them.
_STATE_EXPRESSIONS = f"""
select pg_catalog.pg_get_expr(p.polqual, p.polrelid) from pg_catalog.pg_policy p
where p.polrelid = %(table)s::regclass and p.polpermissive and p.polcmd in ('r', '*') and {_FOR_THE_ROLE}
union all
select pg_catalog.pg_get_expr(c.conbin, c.conrelid) from pg_catalog.pg_constraint c
where c.conrelid = %(table)s::regclass and c.contype = 'c'"""

# The table's nullable single-column foreign keys that its permissive select policies for the role read, with
# the column each references: a row may be readable while one is null.
_NULLABLE_KEYS = f"""
select child.attname::text, n.nspname::text, r.relname::text, parent.attname::text
from pg_catalog.pg_constraint c
join pg_catalog.pg_class r on r.oid = c.confrelid
join pg_catalog.pg_namespace n on n.oid = r.relnamespace
join pg_catalog.pg_attribute child on child.attrelid = c.conrelid and child.attnum = c.conkey[1]
join pg_catalog.pg_attribute parent on parent.attrelid = c.confrelid and parent.attnum = c.confkey[1]
where c.conrelid = %(table)s::regclass and c.contype = 'f' and cardinality(c.conkey) = 1
  and not child.attnotnull
  and {_READ_BY_SELECT_POLICY.format(policies_of="c.conrelid", column="child")}
order by child.attnum"""

# A column of the table an UPDATE may set to any row's value: no unique index holds it, nothing generates it.
_FREE_COLUMN = """
select a.attname::text from pg_catalog.pg_attribute a
where a.attrelid = %(table)s::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
  and a.attidentity <> 'a'
  and not exists (select from pg_catalog.pg_index i where i.indrelid = a.attrelid and i.indisunique
                  and a.attnum = any(i.indkey))
order by a.attnum limit 1"""

_ENDS_OF_TIME = ("-infinity", "infinity")
_FRACTION = re.compile(r"\.\d+(?=[+-]\d\d$|$)")


def _shown(value: str | None) -> str:
    """A state as the finding says it: a time to the second (`2026-12-01 08:42:42+00`), or null."""
    return "null" if value is None else _FRACTION.sub("", value)


# A text state no policy compares with (`status = 'open'` does not hold for it).
_NO_POLICYS_STATE = "checker: another state"

_RLS_ON = """select relrowsecurity from pg_catalog.pg_class
where oid = pg_catalog.to_regclass(pg_catalog.format('%%I.%%I', %(schema)s::text, %(table)s::text))"""


def probe_unit(conn: psycopg.Connection, context: RuleContext, out: Collector) -> None:
    """Probe every exposed table the migration creates, or whose row level security or policies it
    changes, by the tenancy the schema gives it."""
    schema = Schema(conn, list(out.policy.exposed_schemas))
    model = Model(schema, out.policy.tenancy)
    for ref, (statement, location) in _tables_to_probe(context):
        where = at(statement, location)
        if object_exists(conn, ref) is not True:  # a DO block did not make it, dynamic SQL dropped it
            _skipped(out, ref, where, "the table is not in the database after the migration")
            continue
        later = None if _rls_on(conn, ref) else context.rls_enabled_later(ref)
        if later is not None:  # rls-enabled warns of the window: the policies are probed once they apply
            there = "probed there" if later.does == "enables" else "not probed"
            off = f"row level security is off until {later.where()} {later.does} it; {there}"
            _skipped(out, ref, where, off)
            continue
        try:
            with conn.transaction():
                tenancy = model.of((ref.schema, ref.name))
                plan = plan_for(tenancy, model)
        except psycopg.Error as err:
            _skipped(out, ref, where, f"its tenancy could not be read from the catalog: {one_line(err)}")
            continue
        _show(out, ref, where, tenancy)
        if isinstance(plan, str):
            _skipped(out, ref, where, plan)
            continue
        policies = context.after.policies_on(ref)
        # findings point at this migration's policies (an earlier one's are where the table is probed again)
        statements = {
            p.ref.name: at(p.created_by)
            for p in policies
            if p.created_by is not None and p.created_by.source is context.migration.source
        }
        commands = _user_commands(context, ref)
        put_right = put_right_later(context, ref)
        _probe_table(schema, ProbeTable(ref, plan, tenancy, where, statements, commands, put_right), out)


def put_right_later(context: RuleContext, ref: ObjectRef) -> Callable[[str, str, list[str]], str | None]:
    """What a later migration of the run does that ends a leak, said as `<file:line> <does what>`: it revokes
    the command from the role, or drops or rewrites every policy that allowed it (or drops the table). One
    push ships both, so the leak lasts until that migration runs: a warning naming it, as lint says."""

    def put_right(role: str, command: str, policies: list[str]) -> str | None:
        privilege = command.lower()
        revoke = context.later(lambda effects: revokes(effects.statement, ref, privilege, role))
        if revoke is not None:
            return f"{revoke.where()} revokes {command} from {role}"
        replaced = [policy_replaced_later(context, ref, name) for name in policies]
        if not policies or None in replaced:
            return None
        last = max(replaced, key=lambda statement: (statement.source.path, statement.index))  # type: ignore
        return f"{last.where()} drops or rewrites {_named(policies)}"

    return put_right


def probes_anything(context: RuleContext) -> bool:
    """Whether the migration leaves a table for the probes (one it makes, or whose access it changes)."""
    return next(_tables_to_probe(context), None) is not None


def _tables_to_probe(context: RuleContext) -> Iterator[tuple[ObjectRef, tuple[Statement, int | None]]]:
    """The exposed tables the migration creates, then those whose access it changes (a policy added to a
    table of an earlier migration), that it leaves (not dropped or renamed again)."""
    created = context.created_by_migration()
    changed = [item for item in context.access_changed.items() if item[0] not in created]
    for ref, made_by in [*created.items(), *changed]:
        if ref.kind != "table" or not context.is_exposed(ref):
            continue
        left = context.after.find(ref)
        if left is not None and left.ref.kind == "table":
            yield ref, made_by


def _user_commands(context: RuleContext, ref: ObjectRef) -> frozenset[str]:
    """What some permissive policy lets signed-in users do to rows of their own (a guard such as
    auth.role() = 'service_role' narrows a policy without TO to the service). A policy that reads nothing
    of the row (`using (is_admin())`, `has_permission('reservations.update')`) grants by who the user is,
    not whose the row is: owners denied there are as meant (their rows are the admins' to handle)."""
    table = context.after.find(ref)
    columns = frozenset(table.details.get("columns") or ()) if table else frozenset()
    granted = (
        policy.commands
        for policy in table_policies(context.after, ref)
        if policy.permissive and policy.client_roles & _SIGNED_IN and _about_the_row(policy, columns)
    )
    return frozenset(command.upper() for commands in granted for command in commands)


def _about_the_row(policy: PolicyDef, columns: frozenset[str]) -> bool:
    """Whether the policy's expressions may read the row: `true`, or a column of it (a table's own name
    stands for the whole row, `can_access(tasks)`); unqualified names in a sub-select count too, as they
    may be the row's. Without columns known, every policy may."""
    trees = [tree for tree in (policy.using, policy.with_check) if tree is not None]
    if not trees or not columns or any(is_true(tree) for tree in trees):
        return True
    table = policy.table.name
    for tree in trees:
        for ref in clause_nodes(tree, "ColumnRef"):
            fields = strings(ref.get("fields"))
            if (fields[:1] == [table] and len(fields) <= 2) or (len(fields) == 1 and fields[0] in columns):
                return True
    return False


def _show(out: Collector, ref: ObjectRef, where: Location, tenancy: Tenancy) -> None:
    """The model as a finding (off unless asked for: `checker tenancy`, or the rule's severity)."""
    source = "stated in [rls.tenancy]" if tenancy.stated else "inferred from the schema"
    out.add(
        TENANCY,
        Severity.INFO,
        where,
        f"tenancy of {ref.qualified}: {tenancy.path()} ({source})",
        f'to correct it: [rls.tenancy] "{dotted(tenancy.table)}" = "{tenancy.stated_as()}"',
        ref.qualified,
    )


def _probe_table(schema: Schema, table: ProbeTable, out: Collector) -> None:
    conn = schema.conn
    try:
        with conn.transaction(force_rollback=True):
            filler = Filler(schema)
            prober = Prober(conn, table, _setup(filler, table), filler)
            prober.run()
            leaks = [(leak, prober.granting(leak)) for leak in prober.leaks]
            requests = {id(leak) for leak, grant in leaks if prober.files_requests(leak, grant.policies)}
            forms = {id(leak) for leak, grant in leaks if prober.open_form(leak, grant.policies)}
            missing = [(cmd, what) for cmd, what in prober.missing if cmd in table.user_commands]
            rls_on = _rls_on(conn, table.ref)
    except CannotFill as reason:
        _skipped(out, table.ref, table.where, str(reason))
        return
    except psycopg.Error as err:
        _skipped(out, table.ref, table.where, f"the probe failed: {one_line(err)}")
        return
    intended: set[tuple[str, str]] = set()  # what the policies grant on purpose
    for leak, granting in leaks:
        role, command, what = leak.role, leak.command, leak.what
        if rls_on and (granting.public_reads or leak.readable_while):
            intended.add((role, command))
            _public_read(out, table, leak, granting.public_reads or granting.policies)
            continue  # the table's own policies say every row (in that state) is readable: not a leak
        if rls_on and granting.by_own_listing:
            intended.add((role, command))
            _listed(out, table, leak, granting.policies)
            continue  # the table lists who may manage it, and the probe listed user A
        if rls_on and id(leak) in requests:
            intended.add((role, command))
            _group_request(out, table, leak, granting.policies)
            continue  # the user's own request to another group, in the state the group answers
        if rls_on and id(leak) in forms:
            intended.add((role, command))
            _open_form(out, table, leak, granting.policies)
            continue  # `with check (true)`: written so, on purpose or not; lint says the same
        _leak(out, table, role, command, what, granting.policies, rls_on)
    # denying an owner a command no policy grants is as meant, and so is what the policies deny by choice
    owners_may = set(table.user_commands) - prober.denied_by_choice
    if out.policy.exemption(MISSING, table.ref.qualified):
        owners_may = set()  # the project says owners deliberately cannot act on some rows
    _record_matrix(out, table.ref, prober.observed, intended, owners_may)
    for command, what in missing:  # only where some policy grants the command: others are meant
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
    for (actor, command, rows), allowed in observed.items():
        role = actor.split(" ")[0]  # "authenticated (user D)" is reached through authenticated's policies
        if rows == "own":
            expected = allowed or command not in owners_may
        else:
            expected = not allowed or (role, command) in intended
        actor = "authenticated (user A)" if actor == "authenticated" else actor
        record.probes.append(Probe(ref.qualified, actor, command, rows, allowed, expected))


def _setup(filler: Filler, table: ProbeTable) -> list[ProbeRow]:
    filler.ensure_users()
    with as_service_role(filler.conn):
        made = table.plan.make(filler, (table.ref.schema, table.ref.name))
    return [row for row, _ in made]


def _rls_on(conn: psycopg.Connection, ref: ObjectRef) -> bool:
    return bool((conn.execute(_RLS_ON, _names(ref)).fetchone() or (False,))[0])


def _names(ref: ObjectRef) -> dict[str, str]:
    return {"schema": ref.schema, "table": ref.name}


@dataclass(frozen=True)
class Granting:
    """The permissive policies that let a role run a command, and which of them are public reads."""

    policies: list[str]
    public_reads: list[str]
    # the policies hold for user A only because the probe listed A in this very table (admins' table)
    by_own_listing: bool = False


def _leak(
    out: Collector, table: ProbeTable, role: str, command: str, what: str, policies: list[str], rls_on: bool
) -> None:
    if not rls_on:
        cause = "row level security is not enabled on the table"
    elif policies:
        cause = "allowed by " + ", ".join(f'policy "{p}"' for p in policies)
    else:
        cause = "no permissive policy for the command matches; check BYPASSRLS and table ownership"
    message = (
        f"row level security leak on {table.ref.qualified}: {command} as {role}: {what} ({cause}); "
        f"whose rows: {table.tenancy.path()}"
    )
    hint, severity = table.plan.leak_hint(table.ref, command), Severity.ERROR
    ended = table.put_right(role, command, policies) if rls_on else None
    if ended is not None:
        message += f"; until {ended}"
        hint += FIX_HERE_TOO
        severity = Severity.WARNING
    out.add(LEAK, severity, _where(table, policies), message, hint, table.ref.qualified)


def _listed(out: Collector, table: ProbeTable, leak: Leak, policies: list[str]) -> None:
    message = (
        f"{table.ref.qualified} lists who may manage it: {leak.command} as {leak.role}: {leak.what} through "
        f"{_named(policies)}, which hold for user A only while the probe's own row lists A here (admins "
        "manage admins)"
    )
    hint = "if being listed here should not let a user manage the others, make the policies ask more"
    _meant(out, table, policies, message, hint)


def _group_request(out: Collector, table: ProbeTable, leak: Leak, policies: list[str]) -> None:
    message = (
        f"request to another group in {table.ref.qualified} through {_named(policies)}: {leak.what}, as the "
        "user's own row in the state its check sets: a request that group answers (joining, applying), not "
        "a write into its rows"
    )
    hint = "if users should not ask groups they are not in, make the insert policy check the group as well"
    _meant(out, table, policies, message, hint)


def _open_form(out: Collector, table: ProbeTable, leak: Leak, policies: list[str]) -> None:
    out.add(
        LEAK,
        Severity.WARNING,
        _where(table, policies),
        f"{leak.command} as {leak.role} into others' rows of {table.ref.qualified} through "
        f"{_named(policies)}, whose WITH CHECK is true: {leak.what}; fine for a form anyone may send (an "
        "order, a lead, a page view)",
        "if only the owners or members may add rows, make the check test them as the table's other "
        "policies do",
        table.ref.qualified,
    )


def _meant(out: Collector, table: ProbeTable, policies: list[str], message: str, hint: str) -> None:
    """What the probe saw that the table's policies grant on purpose: info, at the first policy."""
    out.add(LEAK, Severity.INFO, _where(table, policies), message, hint, table.ref.qualified)


def _named(policies: list[str]) -> str:
    return ", ".join(f'policy "{p}"' for p in policies)


def _public_read(out: Collector, table: ProbeTable, leak: Leak, policies: list[str]) -> None:
    named = _named(policies)
    role, state = leak.role, leak.readable_while
    if state:  # only rows in this state: the policy makes them public, their owner puts them in it
        through = f"{named} while {state}"
        hint = (
            f"the rows are readable by every {role} user while {state}, and not otherwise: rows in that "
            "state are public by design (a published post); if they should not be, make the policy "
            "check the owner instead"
        )
    else:
        through = named
        hint = (
            f"a select policy whose USING holds for every {role} user whatever the row (using (true), "
            f"auth.role() = '{role}') reads every row on purpose; if some rows are private, "
            "make the policy check the owner instead"
        )
    message = f"public read of {table.ref.qualified} through {through}: {leak.command} as {role}: {leak.what}"
    _meant(out, table, policies, message, hint)


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
        f'if its rows belong to someone, state whose in the policy: [rls.tenancy] "{ref.schema}.{ref.name}"'
        ' = "user:COLUMN", "via:COLUMN" or "group"; or probe it by hand (runbook section 7)',
        ref.qualified,
    )
