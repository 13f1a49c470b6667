"""Self-promotion: a signed-in user who may write a column of their own row that policies trust.

A profile table with a `role` column, an update policy `using (id = auth.uid())` and a helper is_admin()
that reads `role`: any user runs `update profiles set role = 'admin' where id = auth.uid()` and passes
every admins' policy. The probe does exactly that, as user D (signed in, owning nothing), in a
transaction that is rolled back: for each table keyed by a user (public.users, a profile table), each
column that can hold power (an enum with a label such as `admin`, a text role column, a flag such as
`is_admin`) and each such value, it updates D's own row and asks every permissive policy of the API's
tables again, on a row of nulls, as D; a table of rows that reference nothing but a user (user_roles) is
tried with an insert of D's own row instead ("users can insert their own roles"). A policy that held for
no row before and holds now was opened by the user's own write: the finding names the column, the value,
the policies that let the write through and the policies it opened. What guards the column (a WITH CHECK
that keeps its value, column privileges, a trigger that refuses or resets the change) makes the update
fail or change nothing, and there is no finding; a value the policy that let the write through names
itself (`with check (role in ('renter', 'owner'))`) is the users' to choose. A signup trigger that takes a
role from user_metadata is asked the same way: user E signs up claiming it (the client sends that
metadata), and the policies are asked as E. So is a member raising their own role in a group
(team_members.role): D, a member of no power of another user's group, sets a role of power on their own
membership row, and the policies are asked of rows of that group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache

import psycopg
from pglast import parser as pg
from psycopg import sql

from checker.context import RuleContext
from checker.dynamic.collect import Collector, Location, at
from checker.dynamic.probes import acting_as, put_right_later, savepoint
from checker.dynamic.tenancy import ROLE_COLUMN, Column, Membership, Model, Schema, Table, dotted
from checker.dynamic.world import (
    POWER,
    USER_B,
    USER_D,
    CannotFill,
    Filler,
    jwt_claims,
    matching,
    metadata_read,
    name,
    one_line,
)
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import ObjectRef

PROMOTION = "rls-self-promotion"

# The permissive policies of the API's tables with row level security on, that signed-in users pass
# through (TO public or authenticated), with their expressions as the server deparses them.
_POLICY_TESTS = """
select n.nspname::text, c.relname::text, p.polname::text, p.polcmd::text, e.clause, e.expression
from pg_catalog.pg_policy p
join pg_catalog.pg_class c on c.oid = p.polrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
cross join lateral (values ('using', pg_catalog.pg_get_expr(p.polqual, p.polrelid)),
                           ('with check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)))
  as e(clause, expression)
where n.nspname = any(%(exposed)s) and c.relrowsecurity and p.polpermissive
  and e.expression is not null
  and (p.polroles = '{0}' or 'authenticated'::regrole::oid = any(p.polroles))
order by 1, 2, 3, 4"""

# The triggers of auth.users: a signup trigger the migration creates is where a claimed role is taken.
_SIGNUP_TRIGGERS = """
select t.tgname::text from pg_catalog.pg_trigger t
where t.tgrelid = 'auth.users'::regclass and not t.tgisinternal order by 1"""

# The tables of the API's schemas with row level security on, a column that may hold power (an enum, a
# name saying role or power) and foreign keys on one column at most: where a user_roles table may be.
_ROLES_TABLES = """
select n.nspname::text, c.relname::text from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and c.relrowsecurity and n.nspname = any(%(exposed)s)
  and exists (select from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                and (t.typtype = 'e' or a.attname ~* %(power)s or a.attname ~ %(role)s))
  and (select count(distinct co.conkey) from pg_catalog.pg_constraint co
       where co.conrelid = c.oid and co.contype = 'f') <= 1
order by 1, 2"""

# The CHECK constraints of a table that name one column, deparsed.
_CHECKS = """
select pg_catalog.pg_get_constraintdef(co.oid) from pg_catalog.pg_constraint co
join pg_catalog.pg_attribute a on a.attrelid = co.conrelid and a.attnum = any(co.conkey)
where co.conrelid = %s::regclass and co.contype = 'c' and a.attname = %s"""

# The string constants of the project's functions: the values its helpers compare a role with.
_FUNCTION_SOURCES = """
select p.prosrc from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_language l on l.oid = p.prolang
where l.lanname in ('sql', 'plpgsql') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_toast'"""

_TEXT_FALLBACK = ("admin",)  # a text role column no check or helper names values for
USER_E = "e0000000-0000-4000-8000-00000000000e"  # signs up claiming a role in user_metadata
_COMMANDS = {"update": "w", "insert": "a"}  # pg_policy.polcmd


@dataclass(frozen=True)
class Test:
    """One USING or WITH CHECK expression of a policy, asked on a row of nulls of its table."""

    table: Table
    policy: str
    command: str  # pg_policy.polcmd: r, a, w, d or * (all)
    clause: str
    expression: str
    row: str = "{}"  # the row asked about, as JSON: by default all nulls

    def display(self) -> str:
        return f'"{self.policy}" on {name(self.table)}'

    def query(self) -> sql.Composable:
        row = sql.SQL("pg_catalog.jsonb_populate_record(null::{}, {}::jsonb)").format(
            sql.Identifier(*self.table), sql.Literal(self.row)
        )
        return sql.SQL("(select coalesce(({})::boolean, false) from {} as {})").format(
            sql.SQL(self.expression), row, sql.Identifier(self.table[1])
        )


@dataclass(frozen=True)
class Promotion:
    how: str  # update (D's own row), insert (a row of D's own), signup (user_metadata E claimed)
    table: Table
    column: str  # the column written; for a sign-up, the user_metadata key
    value: object
    opened: tuple[Test, ...]
    through: tuple[str, ...] = ()  # the policies that let the write through


def probe_promotion(
    conn: psycopg.Connection, context: RuleContext, out: Collector, reported: dict[tuple, bool]
) -> None:
    """Whether a user can promote themselves through a column of their own row, or by what they claim at
    sign-up; reported once a run per (how, table, column), at the migration after which they can, unless
    it was a warning (a later file ended it) and a later migration opens it again (an error there). Only
    a migration that creates a policy or a trigger on auth.users can be where a finding goes (_where):
    the others are not asked (may_promote)."""
    schema = Schema(conn, list(out.policy.exposed_schemas))
    try:
        with conn.transaction(force_rollback=True):
            found = _promotions(schema)
            triggers = [ObjectRef("trigger", "auth", t, "users") for (t,) in conn.execute(_SIGNUP_TRIGGERS)]
    except CannotFill as err:
        out.record.say(f"the self-promotion probe did not run: {err}")
        return
    except psycopg.Error as err:
        out.record.say(f"the self-promotion probe did not run: {one_line(err)}")
        return
    for promotion in found:
        key = (promotion.how, promotion.table, promotion.column)
        where, ended = _where(context, promotion, triggers), _ended_later(context, promotion)
        if where is None or reported.get(key) is False or (key in reported and ended is not None):
            continue  # said already: as an error, or as a warning and it ends again later
        reported[key] = ended is not None
        _report(out, promotion, where, ended)


def may_promote(context: RuleContext) -> bool:
    """Whether the migration creates what a finding of the probe is placed at: a policy, or a trigger on
    auth.users (a signup trigger in a file of its own is asked too)."""
    return any(_may_complete(ref) for ref in context.created_by_migration())


def _may_complete(ref: ObjectRef) -> bool:
    return ref.kind == "policy" or (ref.kind == "trigger" and (ref.schema, ref.table) == ("auth", "users"))


def _promotions(schema: Schema) -> list[Promotion]:
    conn = schema.conn
    tests = [Test((s, t), *rest) for s, t, *rest in conn.execute(_POLICY_TESTS, {"exposed": schema.exposed})]
    if not tests:
        return []
    filler = Filler(schema)
    constants = _project_constants(conn, tests)
    # what may give power, read before any row is made: most migrations' databases have none of it
    candidates, claims, groups = _candidates(filler, constants), _claims(filler, constants), _groups(schema)
    if not (candidates or claims or groups):
        return []
    filler.ensure_users()
    candidates = [candidate for candidate in candidates if candidate.ready(filler)]
    roles = [candidate for candidate in candidates if not candidate.approval]
    found = _openings(filler, roles, tests)  # D approved, as the probe's users are
    found += _claimed_at_sign_up(filler, claims, _closed(filler, [], tests)) if claims else []
    found += [_in_a_group(filler, group, members, tests, constants) for group, members in groups]
    with savepoint(conn):  # D as a sign-up leaves them: not approved yet
        found += _openings(filler, [candidate for candidate in candidates if candidate.approval], tests)
    return [promotion for promotion in found if promotion is not None]


def _closed(filler: Filler, demoted: list[Candidate], tests: list[Test]) -> list[Test]:
    """The tests that admit D to no row, once D's columns of the candidates hold no power. A row the probe
    made may have been given a role of power (the first value a CHECK names), which would hide any
    promotion."""
    for candidate in demoted:
        candidate.demote(filler.conn)
    held = _ask(filler.conn, tests, USER_D)
    return [test for test, holds in zip(tests, held, strict=True) if holds is False]


def _openings(filler: Filler, candidates: list[Candidate], tests: list[Test]) -> list[Promotion | None]:
    closed = _closed(filler, candidates, tests) if candidates else []
    return [_first_opening(filler, candidate, closed, tests) for candidate in candidates] if closed else []


def _groups(schema: Schema) -> list[tuple[Table, Membership]]:
    """The groups whose membership rows carry a role (team_members.role)."""
    memberships = Model(schema, {}).memberships().items()
    return [(group, members) for group, members in memberships if members.role_column is not None]


def _in_a_group(
    filler: Filler, group: Table, members: Membership, tests: list[Test], constants: list[str]
) -> Promotion | None:
    """A member raising their own role in a group: D, a member of no power of another user's group, sets a
    role of power on their own membership row, and the policies are asked of rows of that group."""
    role = next(c for c in filler.schema.column_info(members.table) if c.name == members.role_column)
    powers, plain = _values(filler, members.table, role, constants)
    key = next(
        (fk for fk in filler.schema.foreign_keys(members.table) if fk.columns == (members.group_column,)),
        None,
    )
    if not powers or plain is None or key is None:
        return None
    with savepoint(filler.conn):
        try:
            made, _ = filler.insert(group, USER_B, {})
            fixed = {members.group_column: made[key.ref_columns[0]], members.role_column: plain}
            filler.insert(members.table, USER_D, {**fixed, members.user_column: USER_D})
        except CannotFill:
            return None
        in_group = [_of_the_group(filler.schema, test, group, key.ref_columns[0], made) for test in tests]
        closed = _closed(filler, [], in_group)
        candidate = Candidate(members.table, members.user_column, role, powers, plain)
        return _first_opening(filler, candidate, closed, tests) if closed else None


def _of_the_group(schema: Schema, test: Test, group: Table, key: str, made: dict) -> Test:
    """The test asked of a row of the group (the group's own row, or a row whose key names it)."""
    if test.table == group:
        return replace(test, row=json.dumps({key: str(made[key])}))
    for fk in schema.foreign_keys(test.table):
        if fk.table == group and fk.ref_columns == (key,) and len(fk.columns) == 1:
            return replace(test, row=json.dumps({fk.columns[0]: str(made[key])}))
    return test


@dataclass(frozen=True)
class Candidate:
    """A column that may hold power, of D's own row (or of a row D inserts): the values to try, and one of
    no power."""

    table: Table
    key: str  # the user column
    column: Column
    powers: list[object]
    plain: object | None
    approval: bool = False  # the account's approval state (the probe approves its users: undone first)
    inserted: bool = False

    @property
    def how(self) -> str:
        return "insert" if self.inserted else "update"

    def ready(self, filler: Filler) -> bool:
        """D's own row to update is there, made where missing (an insert makes its own)."""
        if self.inserted:
            return True
        try:
            filler.ensure_user_row(self.table, self.key, USER_D)
        except CannotFill:
            return False
        return True

    def update(self) -> sql.Composable:
        """D's own row given a value of the column, as the API would write it (parameters: value, D)."""
        target, column = sql.Identifier(*self.table), sql.Identifier(self.column.name)
        return sql.SQL("update {} set {} = %s::{} where {} = %s").format(
            target, column, sql.SQL(self.column.type), sql.Identifier(self.key)
        )

    def demote(self, conn: psycopg.Connection) -> None:
        if self.plain is None or self.inserted:
            return
        try:
            with conn.transaction():
                conn.execute(self.update(), (self.plain, USER_D))
        except psycopg.Error:
            pass  # a trigger or check refuses it: D keeps the row as made

    def write(self, filler: Filler, value: object) -> tuple[sql.Composable, tuple] | None:
        """The statement D sends to give themselves the value, with its parameters; for an insert, the rows
        it references are made first (as the database's owner), and the row itself left to D."""
        if not self.inserted:
            return self.update(), (value, USER_D)
        try:
            row, sent = filler.insert(self.table, USER_D, {self.key: USER_D, self.column.name: value})
        except CannotFill:
            return None
        identity = next((key for key in filler.schema.keys(self.table) if all(row.get(c) for c in key)), None)
        if identity is None:
            return None
        delete = sql.SQL("delete from {} where {}").format(
            sql.Identifier(*self.table), matching({column: row[column] for column in sorted(identity)})
        )
        filler.conn.execute(delete)
        return sent, ()


def _candidates(filler: Filler, constants: list[str]) -> list[Candidate]:
    """The columns of power of the tables keyed by a user (D's own row there is updated); then those of
    tables whose rows reference nothing but their user (D inserts one)."""
    found = []
    keyed = filler.schema.user_tables()
    for table, key in keyed:
        choices = _choices(filler, table, key, constants)
        found.extend(Candidate(table, key, *choice) for choice in choices)
    for table in _roles_tables(filler.schema, {table for table, _ in keyed}):
        user = filler.schema.user_columns(table)[0]
        choices = _choices(filler, table, user, constants)
        found.extend(
            Candidate(table, user, column, powers, None, inserted=True) for column, powers, *_ in choices
        )
    return found


def _choices(filler: Filler, table: Table, key: str, constants: list[str]) -> list[tuple]:
    """(column, values of power, value of none, whether it is an approval) of the table's columns that may
    hold power, the approval state of an account included (`is_approved`, a `status` enum's 'active'): a
    user approving themselves passes what only approved accounts may."""
    approval = filler.approval(table)
    choices = []
    for column in (c for c in filler.schema.column_info(table) if c.name != key):
        if column.name in approval:
            choices.append((column, [approval[column.name]], _unapproved(column), True))
        else:
            choices.append((column, *_values(filler, table, column, constants), False))
    return [choice for choice in choices if choice[1]]


def _unapproved(column: Column) -> object | None:
    """The state a sign-up leaves: false, or the label the column's default names."""
    if column.category == "B":
        return False
    return next(iter(string_constants(column.default)), None)


def _roles_tables(schema: Schema, keyed: set[Table]) -> list[Table]:
    """Tables with row level security whose rows reference one user and nothing else (user_roles): a row a
    user inserts there is about that user alone. A membership (a group beside the user) is not one: a user
    creating a team rightly makes themselves its owner."""
    found = []
    params = {"exposed": schema.exposed, "power": POWER.pattern, "role": ROLE_COLUMN.pattern}
    for table in (tuple(row) for row in schema.conn.execute(_ROLES_TABLES, params)):
        users = schema.user_columns(table) if table not in keyed else []
        if len(users) == 1 and all(fk.columns == (users[0],) for fk in schema.foreign_keys(table)):
            found.append(table)
    return found


def _first_opening(
    filler: Filler, candidate: Candidate, closed: list[Test], tests: list[Test]
) -> Promotion | None:
    """The first value that, written by D into their own row, opens some of the closed policies."""
    conn = filler.conn
    for value in candidate.powers:
        with savepoint(conn):
            write = candidate.write(filler, value)
            if write is None:
                return None
            written = _written(filler, candidate, write, closed)
            if written is None:
                continue
            rows, opened = written
            # asked before the write, of the row it wrote: after it, D passes an admins' policy too
            through = _letting_through(filler, candidate, tests, rows)
        if through and all(str(value) in string_constants(test.expression) for test in through):
            continue  # the policy that let it through names the value: the users' to choose
        if opened:
            names = tuple(dict.fromkeys(test.policy for test in through))
            return Promotion(
                candidate.how, candidate.table, candidate.column.name, value, tuple(opened), names
            )
    return None


def _written(
    filler: Filler, candidate: Candidate, write: tuple[sql.Composable, tuple], closed: list[Test]
) -> tuple[list[str], list[Test]] | None:
    """D's write, undone afterwards: the rows it left D (as JSON, read as the database's owner: D may not
    see them) and the closed policies that hold for D after it; None where it was refused or did nothing."""
    conn = filler.conn
    with acting_as(conn, "authenticated", USER_D, jwt_claims(conn, "authenticated", USER_D)):
        try:
            with conn.transaction():
                changed = conn.execute(*write).rowcount
        except psycopg.Error:
            return None  # refused: a WITH CHECK, column privileges, a trigger
        if not changed:
            return None
        conn.execute("reset role")  # a token hook reads the new role as GoTrue would, then D again
        query = sql.SQL("select pg_catalog.to_jsonb(t)::text from {} as t where {} = %s").format(
            sql.Identifier(*candidate.table), sql.Identifier(candidate.key)
        )
        rows = [row for (row,) in conn.execute(query, (USER_D,))]
        asked = _ask(conn, closed, USER_D, jwt_claims(conn, "authenticated", USER_D))
        return rows, [test for test, held in zip(closed, asked, strict=True) if held]


def _letting_through(filler: Filler, candidate: Candidate, tests: list[Test], rows: list[str]) -> list[Test]:
    """The checks of the table's policies for the write (WITH CHECK where the policy has one, else USING)
    that hold for D on the rows it wrote: the policies that let the write through."""
    command = _COMMANDS[candidate.how]
    checks: dict[str, Test] = {}
    for test in (t for t in tests if t.table == candidate.table and t.command in (command, "*")):
        if test.clause == "with check" or test.policy not in checks:
            checks[test.policy] = test
    asked = [replace(check, row=row) for row in rows for check in checks.values()]
    held = _ask(filler.conn, asked, USER_D) if asked else []
    return [test for test, holds in zip(asked, held, strict=True) if holds]


def _claims(filler: Filler, constants: list[str]) -> list[tuple[str, list[object]]]:
    """The user_metadata keys a signup trigger takes as a role (`new.raw_user_meta_data ->> 'role'`), each
    with the values of power a sign-up may claim."""
    found = []
    for key, cast in metadata_read(filler.schema.signup_trees()).items():
        if ROLE_COLUMN.search(key) or POWER.search(key.lower()):
            values = _claimable(filler, key, cast, constants)
            if values:
                found.append((key, values))
    return found


def _claimed_at_sign_up(
    filler: Filler, claims: list[tuple[str, list[object]]], closed: list[Test]
) -> list[Promotion]:
    """User E signs up claiming each value of power, and the closed policies are asked as E."""
    found = []
    for key, values in claims:
        for value in values:
            opened: list[Test] = []
            with savepoint(filler.conn):
                try:
                    filler.sign_up(USER_E, {key: value})
                except CannotFill:
                    continue  # refused: the trigger takes no such role
                asked = _ask(filler.conn, closed, USER_E)
                opened = [test for test, held in zip(closed, asked, strict=True) if held]
            if opened:
                found.append(Promotion("signup", ("auth", "users"), key, value, tuple(opened)))
                break
    return found


def _claimable(filler: Filler, key: str, cast: str, constants: list[str]) -> list[object]:
    """The values of power a user_metadata key may claim, by the type the trigger casts it to."""
    found = filler.metadata_type(cast)
    if found is not None and found[1] == "e":
        return [label for label in filler.labels(found[0]) if POWER.search(label.lower())]
    if found is not None and found[2] == "B":
        return [True] if POWER.search(key.lower()) else []
    return list(dict.fromkeys(c for c in [*constants, *_TEXT_FALLBACK] if POWER.search(c.lower())))


def _ask(
    conn: psycopg.Connection, tests: list[Test], user: str, claims: dict | None = None
) -> list[bool | None]:
    """Whether each test holds for the user on a row of nulls (None: it fails); one query for all,
    each alone where that one fails."""
    claims = claims if claims is not None else jwt_claims(conn, "authenticated", user)
    with acting_as(conn, "authenticated", user, claims):
        query = sql.SQL("select {}").format(sql.SQL(", ").join(test.query() for test in tests))
        try:
            with conn.transaction():
                row = conn.execute(query).fetchone()
            return [bool(value) for value in row] if row else [None] * len(tests)
        except psycopg.Error:
            pass
        answers: list[bool | None] = []
        for test in tests:
            try:
                with conn.transaction():
                    row = conn.execute(sql.SQL("select {}").format(test.query())).fetchone()
                answers.append(bool(row[0]) if row else None)
            except psycopg.Error:
                answers.append(None)
        return answers


def _values(
    filler: Filler, table: Table, column: Column, constants: list[str]
) -> tuple[list[object], object | None]:
    """The values that may give power, to try in turn, and one of no power (None: none known): an enum's
    labels (admin, owner ... against user), true against false for a flag named so (is_admin), and for a
    text role column the values its checks name (else the project's functions, else 'admin')."""
    if column.category == "E":
        return _split(filler.labels(column.type))
    if column.category == "B":
        return ([True], False) if POWER.search(column.name.lower()) else ([], None)
    if column.category != "S" or not (ROLE_COLUMN.search(column.name) or POWER.search(column.name.lower())):
        return [], None
    checks = [d for (d,) in filler.conn.execute(_CHECKS, (name(table), column.name))]
    allowed = [s for definition in checks for s in string_constants(definition)]
    powers, plain = _split(allowed or [*constants, *_TEXT_FALLBACK])
    return powers, plain if allowed else None  # a value no check lists may be no role at all


def _split(values: list[str]) -> tuple[list[object], object | None]:
    """The values of power, in order and once each, and the first of none."""
    powers = list(dict.fromkeys(value for value in values if POWER.search(value.lower())))
    plain = next((value for value in values if not POWER.search(value.lower())), None)
    return powers, plain


def _project_constants(conn: psycopg.Connection, tests: list[Test]) -> list[str]:
    """The string constants of the policies and of the functions: the values a role is compared with
    (`role = 'admin'` in a policy, or in a helper it calls)."""
    sources = [test.expression for test in tests] + [
        source or "" for (source,) in conn.execute(_FUNCTION_SOURCES)
    ]
    return list(dict.fromkeys(s for source in sources for s in string_constants(source)))


@cache  # the project's functions are read again after each migration
def string_constants(text: str) -> tuple[str, ...]:
    """The string literals of some SQL, found by PostgreSQL's scanner ('admin', E'x', $$y$$)."""
    try:
        tokens = pg.scan(text)
    except pg.ParseError:
        return ()
    return tuple(_unquoted(text[token.start : token.end + 1]) for token in tokens if token.name == "SCONST")


def _unquoted(literal: str) -> str:
    if literal[:1] in ("E", "e"):
        literal = literal[1:]
    if literal.startswith("'") and literal.endswith("'"):
        return literal[1:-1].replace("''", "'")
    if literal.startswith("$"):
        tag_end = literal.index("$", 1) + 1
        return literal[tag_end : len(literal) - tag_end]
    return literal


def _where(context: RuleContext, promotion: Promotion, triggers: list[ObjectRef]) -> Location | None:
    """Where the finding goes: the first policy this migration created of those that let the write
    through (for a sign-up, a trigger on auth.users it created), else of those it opened; None when the
    migration made none of them (not its doing)."""
    made: list[ObjectRef] = list(triggers) if promotion.how == "signup" else []
    table = ObjectRef("table", *promotion.table)
    made += [ObjectRef("policy", table.schema, policy, table.name) for policy in promotion.through]
    made += [ObjectRef("policy", test.table[0], test.policy, test.table[1]) for test in promotion.opened]
    created = context.created_by_migration()
    for ref in made:
        if ref in created:
            return at(created[ref][0])
    return None


def _ended_later(context: RuleContext, promotion: Promotion) -> str | None:
    """What a later migration of the run does that ends the write (revokes it, drops or rewrites the
    policies that let it through), as the RLS probes say of a leak."""
    if promotion.how == "signup":
        return None
    ends = put_right_later(context, ObjectRef("table", *promotion.table))
    return ends("authenticated", promotion.how.upper(), list(promotion.through))


def _report(out: Collector, promotion: Promotion, where: Location, ended: str | None) -> None:
    message, hint = _said(promotion)
    severity = Severity.ERROR
    if ended is not None:
        message += f"; until {ended}"
        hint += FIX_HERE_TOO
        severity = Severity.WARNING
    out.add(PROMOTION, severity, where, message, hint, dotted(promotion.table))


def _said(promotion: Promotion) -> tuple[str, str]:
    """The finding's message and hint."""
    table, column, value = dotted(promotion.table), promotion.column, promotion.value
    shown = list(dict.fromkeys(test.display() for test in promotion.opened))  # USING and WITH CHECK: once
    opened = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    if promotion.how == "signup":
        claimed = f"user E signed up claiming user_metadata {column} = {value!r}"
        return (
            f"anyone can sign up with power: {claimed} (the client's to send: supabase.auth.signUp's "
            f"options.data), which the signup trigger keeps, and then passed {opened}, which admit an "
            "ordinary user to no row",
            "take no role from raw_user_meta_data: give every new user the role of least power and let an "
            "administrator (or the service role, or raw_app_meta_data, which only it writes) raise it",
        )
    through = ", ".join(f'"{p}"' for p in promotion.through) or f"its {promotion.how} policies"
    did = (
        f"inserted a row of {table} for themselves with {column} = {value!r}"
        if promotion.how == "insert"
        else f"set {column} = {value!r} on their own row of {table}"
    )
    message = (
        f"any signed-in user can promote themselves: user D {did} (allowed by {through}) and then passed "
        f"{opened}, which had admitted them to no row before"
    )
    if promotion.how == "insert":
        return message, (
            f"let users insert no {column} of their own: an insert policy that admits only administrators "
            f"(or none: rows of {table} made by a security definer function or the service role), or a WITH "
            f"CHECK that pins {column} to a value of no power"
        )
    return message, (
        f"keep {column} out of the users' reach: a WITH CHECK that keeps its value ({column} is not "
        "distinct from the row's current value, read through a security definer helper), column "
        f"privileges (revoke update on {table} from authenticated; grant update (<the columns users may "
        "edit>) on it), a BEFORE UPDATE trigger that refuses the change, or the roles in a table users "
        "cannot write"
    )
