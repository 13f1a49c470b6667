"""The probes' synthetic world: users, groups and the rows each owns, inserted as service_role.

User A is a member of group G1, user B of G2; user C is the counterpart in rows that need a second
user (the other side of a match); user D is signed in but owns nothing and belongs to nothing.
Rows are filled from the live catalog (the tables a migration references may come from the
baseline, the seed or earlier migrations): foreign keys are followed, user references get the
row's owner, NOT NULL columns without a default get a value of their type (enums their first
label). The row's owner also created it: a column recording its creator (created_by, owner_id, or
any column defaulting to auth.uid()) names the owner. Whoever owns a group row is also made a
member of it, as applications do when a team is created. A row that cannot be made this way
raises CannotFill, which the probes report.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from checker.dynamic.tenancy import (
    AUTH_USERS,
    MAX_DEPTH,
    ROLE_COLUMN,
    Column,
    ForeignKey,
    Membership,
    Schema,
    Table,
)
from checker.model.objects import quote_ident, strings
from checker.model.walk import find_nodes

USER_A = "a0000000-0000-4000-8000-00000000000a"
USER_B = "b0000000-0000-4000-8000-00000000000b"
USER_C = "c0000000-0000-4000-8000-00000000000c"  # the counterpart in rows that need a second user
USER_D = "d0000000-0000-4000-8000-00000000000d"  # signed in, owns nothing, member of nothing
# Signed up before the others where nobody has signed up yet, and never acting: a project whose first user
# becomes its administrator (a signup trigger's `case when exists (select 1 from user_roles) ...`) makes
# this one the administrator, not user A.
FIRST_USER = "f0000000-0000-4000-8000-00000000000f"
EVERY_USER = (USER_A, USER_B, USER_C, USER_D)

# Roles tried, in order, for a text role column (its CHECK decides which pass); an enum's labels are
# tried in their order, which projects write highest first (basejump: 'owner', 'member').
_TEXT_ROLES = ("owner", "admin", "member")
# Roles over the whole platform rather than one group: super_admin, platform_admin, system_owner, root.
_PLATFORM_WIDE = re.compile(r"super_?(admin|user|owner)|platform|system|global|^root$", re.IGNORECASE)

# A value for a NOT NULL column without default, by type category (pg_type.typcategory).
_VALUE_BY_CATEGORY = {
    # numbered, so two rows do not collide on a unique key; lowercase, digits and a hyphen, which the
    # usual slug and handle checks (`slug ~ '^[a-z0-9-]+$'`) accept
    "S": "'probe-{n}'",
    "N": "{n}",
    "B": "false",
    "D": "(now() + interval '{n} days')",  # later columns later: check (ends_at > starts_at) holds
    "T": "'1 hour'",
    "A": "'{}'",
    "I": "'127.0.0.1'",  # inet, cidr
    "V": "'1'",  # bit, varbit: bit(n) pads it with zeros
    "G": "'((0,0),(1,1))'",  # box, lseg, line, path, polygon
    "R": "'empty'",  # ranges (multiranges below)
}
_VALUE_BY_TYPE = {
    "uuid": "gen_random_uuid()",
    "json": "'{}'",
    "jsonb": "'{}'",
    "bytea": "'probe {n}'",  # the text's bytes (escape format), numbered like text
    "macaddr": "'08:00:2b:01:02:03'",
    "macaddr8": "'08:00:2b:01:02:03'",
    "tsvector": "'probe'",
    "tsquery": "'probe'",
    "xml": "'<probe/>'",  # a server built without libxml takes no xml value at all
    "jsonpath": "'$'",
    "pg_lsn": "'0/0'",
    "point": "'(0,0)'",
    "circle": "'<(0,0),1>'",
    **{f"{kind}multirange": "'{}'" for kind in ("int4", "int8", "num", "date", "ts", "tstz")},
}


# A column whose default is the caller (`default auth.uid()`, `default (select auth.uid())`): the API's
# insert puts the user there; the probe's inserts run as service_role, whose token names no user.
_AUTH_UID = re.compile(r"\bauth\.uid\(\)")
# A user column saying who created the row: whoever creates a group owns it (a trigger may make them its
# first member from new.created_by), and whoever creates a user's row is that user.
_CREATOR = re.compile(
    r"(created|inserted)_?by(_?(id|user|user_?id))?|(creator|owner|author)(_?(id|user_?id))?"
)

_CHECK_RETRIES = 4
_CHECK = """
select pg_get_constraintdef(co.oid), array(select a.attname::text from unnest(co.conkey) k(n)
       join pg_catalog.pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.n)
from pg_catalog.pg_constraint co where co.conrelid = %s::regclass and co.conname = %s"""
_TEXT_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NUMBER_LITERAL = re.compile(r"(?<![\w.'])-?\d+(?:\.\d+)?(?![\w.'])")


# Columns the platform always fills though the table lets them be null: every Storage object is in a
# bucket (an upload trigger may read its bucket as well as its name and owner, see Filler._uploaded).
STORAGE_OBJECTS = ("storage", "objects")
_ALWAYS_SET = frozenset({(*STORAGE_OBJECTS, "bucket_id")})


# The labels of roles with power over other users' rows.
POWER = re.compile(r"admin|owner|super|moderator|manager|staff|root|editor")

# The request's claims, and the user in them (auth.uid() reads the second, or the first's sub).
_CLAIMS_NOW = (
    "select current_setting('request.jwt.claims', true), current_setting('request.jwt.claim.sub', true)"
)
_SET_SUB = (
    "select pg_catalog.set_config('request.jwt.claims', %s, true),"
    " pg_catalog.set_config('request.jwt.claim.sub', %s, true)"
)

# Enum labels in order, those without power over others first (of `label(value, position)`).
_POWERLESS_FIRST = f"value::text ~* '{POWER.pattern}', position"

# What a signup trigger reads from user_metadata: a cast's type, and text values some keys call for.
_CAST_TYPE = """select t.oid::regtype::text, t.typtype::text, t.typcategory::text from pg_catalog.pg_type t
where t.oid = pg_catalog.to_regtype(%s)"""
_METADATA_BY_CATEGORY = {"N": 1, "B": False, "D": "2026-01-01"}
_VALUE_HINTS = (
    (re.compile(r"^(is|has|can)_|_enabled$"), False),  # a flag, tested as it is: `if (meta ->> 'is_x') then`
    (re.compile(r"time_?zone|^tz$"), "UTC"),
    (re.compile(r"locale|lang"), "en"),
)

# An account's approval state: a state column and the labels of an account in use, and flags of one.
_STATE_COLUMN = re.compile(r"(account_|approval_|user_)?(status|state)")
_ACTIVE_STATE = re.compile(r"active|approved|enabled|verified|confirmed")
_ACTIVE_FLAG = re.compile(r"(is_)?(active|approved|enabled|verified)")


def _approval_flag(column: Column) -> bool:
    return column.base_type == "bool" and _ACTIVE_FLAG.fullmatch(column.name) is not None


class CannotFill(Exception):
    """A row the probe needs cannot be made automatically; the message says why."""


@dataclass
class Filler:
    """Inserts rows (and the rows they reference) into any table, remembering the statements."""

    schema: Schema
    _users: set[tuple[str, str, str, str]] = field(default_factory=set)  # user rows known to exist
    _made: int = 0  # values made so far

    @property
    def conn(self) -> psycopg.Connection:
        return self.schema.conn

    def columns(self, table: Table) -> list[Column]:
        return self.schema.column_info(table)

    def insert(
        self, table: Table, owner: str, fixed: dict[str, object], depth: int = 0
    ) -> tuple[dict, sql.Composed]:
        """Insert one row owned by `owner` with `fixed` values; returns the row and its INSERT as the API's
        client sends it (see _as_sent)."""
        if depth > MAX_DEPTH:
            raise CannotFill(f"foreign keys nest deeper than {MAX_DEPTH} tables from {name(table)}")
        values: dict[str, object] = dict(fixed)  # plain values, or SQL expressions
        if table == STORAGE_OBJECTS:
            values = {**self._uploaded(owner), **values}
        owner_placed = owner in fixed.values()
        for fk in self.schema.foreign_keys(table):
            owner_placed = self._fill_reference(table, fk, owner, owner_placed, values, depth)
        made = set()
        for column in self.columns(table):
            if column.name in values:
                continue
            if _defaults_to_caller(column):  # a user id whatever it references
                values[column.name] = owner
            elif column.not_null and not column.has_default:
                self._made += 1
                values[column.name] = _value_for(table, column, self._made)
                made.add(column.name)
        for _ in range(_CHECK_RETRIES):
            statement = self.insert_statement(table, values)
            try:
                made_by, cursor_of = self._made_by(table, owner), self.conn.cursor(row_factory=dict_row)
                with made_by, self.conn.transaction(), cursor_of as cursor:
                    row = cursor.execute(statement + sql.SQL(" returning *")).fetchone()
                return row or {}, self._as_sent(table, fixed, values)
            except psycopg.errors.CheckViolation as err:
                if not self._satisfy(table, err.diag.constraint_name or "", made, values):
                    raise CannotFill(
                        f"inserting a test row into {name(table)} failed: {one_line(err)}"
                    ) from None
            except psycopg.Error as err:
                raise CannotFill(f"inserting a test row into {name(table)} failed: {one_line(err)}") from None
        raise CannotFill(f"no test row of {name(table)} passes its check constraints")

    @contextmanager
    def _made_by(self, table: Table, owner: str) -> Iterator[None]:
        """auth.uid() is the row's owner while it is made, as for the client that would make it: a trigger
        recording who made the row (the creator of a gym becomes its owner) sees that user. Not for the
        auth schema's rows: GoTrue writes those with no user signed in."""
        if table[0] == "auth":
            yield
            return
        before = self.conn.execute(_CLAIMS_NOW).fetchone() or ("", "")
        claims = json.loads(before[0] or "{}")
        self.conn.execute(_SET_SUB, (json.dumps({**claims, "sub": owner}), owner))
        try:
            yield
        finally:
            self.conn.execute(_SET_SUB, (before[0] or "", before[1] or ""))

    def _uploaded(self, owner: str) -> dict[str, object]:
        """What Storage sets on every object it stores: a name `<folder>/<file>`, the uploader's folder
        first as Supabase's guides write it, and the uploader as owner (owner_id, and the older owner)."""
        uploaded = {"name": f"{owner}/probe-{self._made + 1}.txt", "owner": owner, "owner_id": owner}
        present = {column.name for column in self.columns(STORAGE_OBJECTS)}
        return {column: value for column, value in uploaded.items() if column in present}

    def _as_sent(self, table: Table, fixed: dict[str, object], values: dict[str, object]) -> sql.Composed:
        """The INSERT a client sends: a column defaulting to auth.uid() is left to that default, the
        caller, unless the probe fixed it (whose row it is); the insert probe runs it again as user A."""
        by_caller = {c.name for c in self.columns(table) if c.name not in fixed and _defaults_to_caller(c)}
        return self.insert_statement(table, {c: v for c, v in values.items() if c not in by_caller})

    def _satisfy(self, table: Table, constraint: str, made: set[str], values: dict[str, object]) -> bool:
        """Give the made columns a CHECK constrains a literal the check itself names (`rating between
        1 and 5` -> 1, `status in ('open', ...)` -> 'open'); failing that, give the columns it names
        that were left null (nullable, no default, no foreign key) such a literal or a value of their
        type (`topic is not null or title is not null`); False when there is none to try."""
        found = self.conn.execute(
            _CHECK, (sql.Identifier(*table).as_string(self.conn), constraint)
        ).fetchone()
        if found is None:
            return False
        definition, columns = found
        by_name = {c.name: c for c in self.columns(table)}
        changed = False
        for column in (c for c in columns if c in made):
            literal = _literal(definition, by_name[column])
            if literal is not None:
                values[column] = literal
                made.discard(column)  # one try per column
                changed = True
        if changed:
            return True
        referencing = {c for fk in self.schema.foreign_keys(table) for c in fk.columns}
        for column in (by_name[c] for c in columns if c in by_name):
            if column.name in values or column.has_default or column.name in referencing:
                continue
            self._made += 1
            literal = _literal(definition, column) if column.category in ("S", "N") else None
            try:
                values[column.name] = literal or _value_for(table, column, self._made)
            except CannotFill:
                continue  # no value of its type to give
            changed = True  # now in values: one try per column
        return changed

    def _fill_reference(
        self,
        table: Table,
        fk: ForeignKey,
        owner: str,
        owner_placed: bool,
        values: dict[str, object],
        depth: int,
    ) -> bool:
        by_name = {c.name: c for c in self.columns(table)}
        if len(fk.columns) == 1 and self.schema.user_keyed(fk.table, fk.ref_columns[0]):
            column = by_name[fk.columns[0]]
            creator = column.name not in values and _records_creator(column)
            if column.name in values:
                user = str(values[column.name])
            elif creator or column.not_null or (depth and not owner_placed):
                # a row made for another's key is the owner's too (a tag of A's row is A's tag), also
                # where its user column may be null
                user = values[column.name] = owner if creator or not owner_placed else USER_C
            else:
                return owner_placed
            self.ensure_user_row(fk.table, fk.ref_columns[0], user, depth)
            # the creator takes no participant's place: a group's owner_id after its created_by is still
            # the owner's, not user C's
            return owner_placed or (user == owner and not creator)
        required = any(by_name[c].not_null or (*table, c) in _ALWAYS_SET for c in fk.columns)
        if any(c in values for c in fk.columns) or not required:
            return owner_placed  # set by the caller, or optional: left null
        row, _ = self.insert(fk.table, owner, {}, depth + 1)
        for column, ref_column in zip(fk.columns, fk.ref_columns, strict=True):
            values[column] = row[ref_column]
        return owner_placed

    def ensure_user_row(self, table: Table, column: str, user: str, depth: int = 0) -> None:
        """The row of a user-keyed table (public.users, a profile table) for `user`, made if missing."""
        key = (*table, column, user)
        if key in self._users:
            return
        query = sql.SQL("select from {} where {} = %s").format(sql.Identifier(*table), sql.Identifier(column))
        try:
            missing = self.conn.execute(query, (user,)).fetchone() is None
        except psycopg.Error as err:
            raise CannotFill(f"reading {name(table)} failed: {one_line(err)}") from None
        if missing:
            self.insert(table, user, {column: user, **self.approval(table)}, depth + 1)
        self._users.add(key)

    def ensure_member_row(self, members: Membership, user: str) -> None:
        """The user's row in the table the membership's user column references (a profile), made before
        the user creates a group: a trigger making the creator its first member needs it. A user column
        without a foreign key (FlowTrack's users.auth_user_id, kept unique) references no such row."""
        columns = (members.user_column,)
        fk = next((fk for fk in self.schema.foreign_keys(members.table) if fk.columns == columns), None)
        if fk is not None:
            self.ensure_user_row(fk.table, fk.ref_columns[0], user)

    def ensure_users(self) -> None:
        """Users A to D as GoTrue records an email sign-up, so signup triggers on auth.users (a profile
        made from new.email and new.raw_user_meta_data) run as they do on Supabase."""
        if not self._users and self.conn.execute("select from auth.users limit 1").fetchone() is None:
            self.sign_up(FIRST_USER)
        for user in EVERY_USER:
            key = (*AUTH_USERS, user)
            if key in self._users:
                continue
            if self.conn.execute("select from auth.users where id = %s", (user,)).fetchone() is None:
                self.sign_up(user)
            self._users.add(key)
        self._approve_users()

    def _approve_users(self) -> None:
        """The probe users as accounts in use: where a users' or profile table keeps an approval state a
        sign-up leaves pending (a `status` enum defaulting to 'pending' beside 'active', `is_approved`
        false), it is set as an administrator approves an account, so policies that admit active users
        only are probed between active users (pm-app's every probe was denied, leaks unseen)."""
        for table, column in self.schema.user_tables():
            approved = self.approval(table)
            if approved:
                changes = [
                    sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(v)) for c, v in approved.items()
                ]
                update = sql.SQL("update {} set {} where {}::text = any(%s)").format(
                    sql.Identifier(*table), sql.SQL(", ").join(changes), sql.Identifier(column)
                )
                self.conn.execute(update, (list(EVERY_USER),))

    def approval(self, table: Table) -> dict[str, object]:
        """The approval state of an account in use, by column, where the table's defaults leave it unset."""
        approved: dict[str, object] = {}
        for column in self.columns(table):
            if column.category == "E" and _STATE_COLUMN.fullmatch(column.name):
                active = self._active_label(column)
                if active and f"'{active}'" not in column.default:
                    approved[column.name] = active
            elif _approval_flag(column) and column.default == "false":
                approved[column.name] = True
        return approved

    def _active_label(self, column: Column) -> str | None:
        labels = self.labels(column.type)
        return next((label for label in labels if _ACTIVE_STATE.fullmatch(label.lower())), None)

    def labels(self, enum_type: str) -> list[str]:
        """An enum type's labels (a column's: Column.type), in the type's order."""
        rows = self.conn.execute(f"select unnest(enum_range(null::{enum_type}))::text").fetchall()
        return [label for (label,) in rows]

    def sign_up(self, user: str, claimed: dict[str, object] | None = None) -> None:
        """The user as GoTrue records an email sign-up; `claimed`: user_metadata the client adds to what the
        form sends (supabase.auth.signUp's options.data is the client's to choose)."""
        users = AUTH_USERS[:2]
        present = {c.name for c in self.columns(users)}
        forms = [{**form, **(claimed or {})} for form in self._sign_up_forms(user)]
        for number, asked in enumerate(forms, 1):
            row = {column: value for column, value in gotrue_user(user, asked).items() if column in present}
            try:
                with self.conn.transaction():
                    self.insert(users, user, row)
                break
            except CannotFill:
                if number == len(forms):
                    raise
        identities = ("auth", "identities")
        identity = gotrue_identity(user)
        exists = self.conn.execute("select to_regclass('auth.identities') is not null").fetchone() == (True,)
        if exists and set(identity) <= {c.name for c in self.columns(identities)}:
            self.insert(identities, user, identity)  # an auth.identities older than provider_id is left out

    def _sign_up_forms(self, user: str) -> list[dict[str, object]]:
        """What the sign-up form may send, to try in turn: a value for each user_metadata key the project's
        signup trigger reads (grade-lms makes the profile from avatar, preferred_locale, timezone and a
        role cast to its enum, each NOT NULL, and fails every sign-up without them); then only the keys
        it casts, then none (a key used as it is may be a flag some sign-ups leave out: `if (meta ->>
        'is_streamer') then`)."""
        asked = metadata_read(self.schema.signup_trees())
        values = {key: self._metadata_value(key, cast, user) for key, cast in asked.items()}
        cast_only = {key: value for key, value in values.items() if asked[key]}
        forms = [values, cast_only, {}]
        return [form for number, form in enumerate(forms) if form not in forms[:number]]

    def metadata_type(self, cast: str) -> tuple[str, str, str] | None:
        """The type a signup trigger casts a user_metadata value to: (regtype, typtype, typcategory)."""
        return self.conn.execute(_CAST_TYPE, (cast,)).fetchone() if cast else None

    def _metadata_value(self, key: str, cast: str, user: str) -> object:
        """A value the trigger's cast (if any) accepts: an enum's first label without power over others, a
        number, a flag, a date, the user's id for a uuid; else text (UTC for a time zone, en for a locale)."""
        found = self.metadata_type(cast)
        if found is not None:
            regtype, kind, category = found
            if kind == "e":
                labels = f"unnest(enum_range(null::{regtype})) with ordinality as label(value, position)"
                query = f"select value::text from {labels} order by {_POWERLESS_FIRST} limit 1"
                return (self.conn.execute(query).fetchone() or ("",))[0]
            if category in _METADATA_BY_CATEGORY:
                return _METADATA_BY_CATEGORY[category]
            if regtype == "uuid":
                return self._key_of_signup_row(key, user)
        return next((value for hint, value in _VALUE_HINTS if hint.search(key)), f"probe-{user[0]}")

    def _key_of_signup_row(self, key: str, user: str) -> object:
        """A uuid the sign-up sends: where the trigger stores it in a foreign key to another table than
        auth.users (actium's `empresa_id`, the user's company, which an administrator picks), the key of a
        row of that table made for the user; else the user's own id."""
        for table, column in signup_inserts(self.schema.signup_trees(), key):
            for fk in self.schema.foreign_keys(table):
                if fk.columns == (column,) and fk.table != AUTH_USERS[:2] and len(fk.ref_columns) == 1:
                    row, _ = self.insert(fk.table, user, {})  # as the sign-up runs: the database's owner
                    return str(row.get(fk.ref_columns[0], user))  # the form sends text
        return user

    def join(self, members: Membership, group: object, user: str) -> tuple[dict, sql.Composed]:
        """Make `user` a member of the group row `group` (kept when a trigger already did)."""
        fixed: dict[str, object] = {members.group_column: group, members.user_column: user}
        existing = self.existing(members.table, fixed)
        if existing is not None:
            return existing
        if {members.user_column} in self.schema.keys(members.table):
            moved = self._move(members, group, user)  # one group per user: the user's row names it
            if moved is not None:
                return moved
        for role in self._roles(members):
            try:
                with self.conn.transaction():
                    return self.insert(members.table, user, {**fixed, str(members.role_column): role})
            except CannotFill:
                continue  # not a role this table knows: the next one
        return self.insert(members.table, user, fixed)  # the column's default, or the insert's own error

    def _move(self, members: Membership, group: object, user: str) -> tuple[dict, sql.Composed] | None:
        """Put the user's own row (a profile a trigger or an earlier row made) in the group."""
        update = sql.SQL("update {} set {} = {} where {} = {} returning *").format(
            sql.Identifier(*members.table),
            sql.Identifier(members.group_column),
            sql.Literal(group),
            sql.Identifier(members.user_column),
            sql.Literal(user),
        )
        with self.conn.cursor(row_factory=dict_row) as cursor:
            row = cursor.execute(update).fetchone()
        return None if row is None else (row, self.insert_statement(members.table, row))

    def existing(self, table: Table, fixed: dict[str, object]) -> tuple[dict, sql.Composed] | None:
        """The row a trigger already made (a profile for a new user, the owner's membership), if any."""
        query = sql.SQL("select * from {} where {}").format(sql.Identifier(*table), matching(fixed))
        with self.conn.cursor(row_factory=dict_row) as cursor:
            row = cursor.execute(query).fetchone()
        return None if row is None else (row, self.insert_statement(table, row))

    def _roles(self, members: Membership) -> list[object]:
        """The roles to try, highest first: whoever the probe makes a member owns the group."""
        column = next((c for c in self.columns(members.table) if c.name == members.role_column), None)
        if column is None:
            return []
        if column.category == "E":
            # a role over every group (super_admin) makes no one a group's owner: tried last
            labels = self.labels(column.type)
            return sorted(labels, key=lambda label: _PLATFORM_WIDE.search(label) is not None)
        return list(_TEXT_ROLES) if column.category == "S" else []

    @staticmethod
    def insert_statement(table: Table, values: dict[str, object]) -> sql.Composed:
        """The INSERT of one row, without RETURNING: as a client writing with return=minimal, so only
        the insert policies decide (RETURNING would add the select policies). A row of nothing but
        defaults takes DEFAULT VALUES (an empty column list is a syntax error)."""
        if not values:
            return sql.SQL("insert into {} default values").format(sql.Identifier(*table))
        return sql.SQL("insert into {} ({}) values ({})").format(
            sql.Identifier(*table),
            sql.SQL(", ").join(sql.Identifier(column) for column in values),
            sql.SQL(", ").join(
                v if isinstance(v, sql.Composable) else sql.Literal(v) for v in values.values()
            ),
        )


# GoTrue's instance id for every user of a Supabase project.
_INSTANCE = "00000000-0000-0000-0000-000000000000"
_SIGNED_UP = sql.SQL("now()")
# A bcrypt hash's shape (GoTrue stores bcrypt); no password is known to match it.
_PASSWORD_HASH = "$2a$10$" + "probe" * 10 + "abc"


def metadata_read(trees: list[dict]) -> dict[str, str]:
    """The user_metadata keys the SQL reads (`new.raw_user_meta_data ->> 'avatar'`), each with the type the
    value is cast to (`(... ->> 'role')::public.role`), "" where it is taken as text."""
    read: dict[str, str] = {}
    for tree in trees:
        for cast in find_nodes(tree, "TypeCast"):
            key = _metadata_key(_passed_through(cast.get("arg")))
            if key:
                read.setdefault(key, ".".join(strings(cast.get("typeName", {}).get("names"))))
        for expr in find_nodes(tree, "A_Expr"):
            key = _metadata_key({"A_Expr": expr})
            if key:
                read.setdefault(key, "")
    return read


def signup_inserts(trees: list[dict], key: str) -> list[tuple[tuple[str, str], str]]:
    """The (table, column) pairs the SQL's INSERT ... VALUES puts a user_metadata key's value in."""
    found = []
    for insert in find_nodes(trees, "InsertStmt"):
        relation = insert.get("relation", {})
        table = (relation.get("schemaname") or "public", relation.get("relname", ""))
        columns = [target.get("ResTarget", {}).get("name") for target in insert.get("cols") or []]
        rows = insert.get("selectStmt", {}).get("SelectStmt", {}).get("valuesLists") or []
        for row in rows:
            values = row.get("List", {}).get("items", [])
            for column, value in zip(columns, values, strict=False):
                if any(_metadata_key({"A_Expr": expr}) == key for expr in find_nodes(value, "A_Expr")):
                    found.append((table, column))
    return found


# Calls that hand their first argument's value on: `trim(meta ->> 'org_id')::uuid` casts the key.
_PASSING_ON = frozenset({"btrim", "trim", "lower", "upper"})


def _passed_through(node: object) -> object:
    """What an expression hands on as its value: NULLIF's and COALESCE's first argument, a trim's."""
    if not isinstance(node, dict):
        return node
    expr, coalesce, call = node.get("A_Expr"), node.get("CoalesceExpr"), node.get("FuncCall")
    if expr and expr.get("kind") == "AEXPR_NULLIF":
        return _passed_through(expr.get("lexpr"))
    if coalesce:
        return _passed_through((coalesce.get("args") or [None])[0])
    if call and strings(call.get("funcname"))[-1:] and strings(call.get("funcname"))[-1] in _PASSING_ON:
        return _passed_through((call.get("args") or [None])[0])
    return node


def _metadata_key(node: object) -> str | None:
    expr = node.get("A_Expr") if isinstance(node, dict) else None
    if not expr or strings(expr.get("name")) not in (["->>"], ["->"]):
        return None
    if strings(expr.get("lexpr", {}).get("ColumnRef", {}).get("fields"))[-1:] != ["raw_user_meta_data"]:
        return None
    return expr.get("rexpr", {}).get("A_Const", {}).get("sval", {}).get("sval")


def probe_email(user: str) -> str:
    """The probe user's e-mail address: probe-a@example.com for user A, ..."""
    return f"probe-{user[0]}@example.com"


def gotrue_user(user: str, asked: dict[str, object] | None = None) -> dict[str, object]:
    """The auth.users row of an email sign-up as GoTrue writes it (email confirmation off, as `supabase
    start` has it, so confirmed and signed in): aud and role authenticated, the provider in
    raw_app_meta_data, the identity's claims and the sign-up form's data in raw_user_meta_data (with what
    the project's signup trigger `asked` for), empty strings for the token columns."""
    email = probe_email(user)
    return {
        "instance_id": _INSTANCE,
        "id": user,
        "aud": "authenticated",
        "role": "authenticated",
        "email": email,
        "encrypted_password": _PASSWORD_HASH,
        "email_confirmed_at": _SIGNED_UP,
        "confirmation_token": "",
        "recovery_token": "",
        "email_change_token_new": "",
        "email_change": "",
        "last_sign_in_at": _SIGNED_UP,
        "raw_app_meta_data": Jsonb({"provider": "email", "providers": ["email"]}),
        "raw_user_meta_data": Jsonb({**(asked or {}), **_identity_data(user), **_sign_up_form(user)}),
        "created_at": _SIGNED_UP,
        "updated_at": _SIGNED_UP,
        "is_anonymous": False,
    }


def gotrue_identity(user: str) -> dict[str, object]:
    """The email identity GoTrue records with the sign-up (provider_id is the user's id)."""
    return {
        "provider_id": user,
        "user_id": user,
        "identity_data": Jsonb(_identity_data(user)),
        "provider": "email",
        "last_sign_in_at": _SIGNED_UP,
        "created_at": _SIGNED_UP,
        "updated_at": _SIGNED_UP,
    }


def _sign_up_form(user: str) -> dict[str, object]:
    """What a sign-up form commonly passes as `options.data` (GoTrue merges it into the user's metadata):
    signup triggers that copy, or require, a name into the profile they make find one."""
    letter = user[0].upper()  # as probe_email names them
    return {
        "name": f"Probe {letter}",
        "full_name": f"Probe {letter}",
        "first_name": "Probe",
        "last_name": letter,
        "username": f"probe-{letter.lower()}",
    }


def _identity_data(user: str) -> dict[str, object]:
    return {"sub": user, "email": probe_email(user), "email_verified": True, "phone_verified": False}


# Supabase's custom access token hook: a function of (event jsonb) returning jsonb that the project
# grants to supabase_auth_admin, as Supabase's guide asks; GoTrue calls it for every token it issues.
_TOKEN_HOOKS = """
select p.oid::regprocedure::text from pg_catalog.pg_proc p
where p.pronargs = 1 and p.proargtypes[0] = 'jsonb'::regtype and p.prorettype = 'jsonb'::regtype
  and exists (select from aclexplode(p.proacl) a
              where a.grantee = 'supabase_auth_admin'::regrole and a.privilege_type = 'EXECUTE')
order by 1"""


def jwt_claims(conn: psycopg.Connection, role: str, user: str | None) -> dict:
    """The claims PostgREST would set for a token GoTrue issued after a password sign-in: GoTrue's
    AccessTokenClaims from auth.users (policies read `email`, `aal`, `is_anonymous` ...), then whatever
    a custom access token hook of the project adds (an organization id)."""
    if user is None:
        return {"role": role}
    # to_jsonb: a server whose auth.users predates a column (is_anonymous) still answers
    found = conn.execute("select pg_catalog.to_jsonb(u) from auth.users u where id = %s", (user,)).fetchone()
    row = (found[0] if found else None) or {}
    issued = int(time.time())
    claims = {
        "iss": "http://127.0.0.1:54321/auth/v1",
        "sub": user,
        "aud": row.get("aud") or role,
        "exp": issued + 3600,
        "iat": issued,
        "email": row.get("email") or "",
        "phone": row.get("phone") or "",
        "app_metadata": row.get("raw_app_meta_data") or {"provider": "email", "providers": ["email"]},
        "user_metadata": row.get("raw_user_meta_data") or {},
        "role": role,
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": issued}],
        "session_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"session:{user}")),
        "is_anonymous": bool(row.get("is_anonymous", False)),
    }
    for (hook,) in conn.execute(_TOKEN_HOOKS).fetchall():
        event = {"user_id": user, "claims": claims, "authentication_method": "password"}
        try:
            with conn.transaction():
                call = f"select {hook.split('(')[0]}(%s::jsonb)"  # regprocedure text, quoted as needed
                result = conn.execute(call, (json.dumps(event),)).fetchone()
        except psycopg.Error:
            continue  # a hook that fails here would fail the sign-in too: the token keeps its claims
        if result and isinstance(result[0], dict) and isinstance(result[0].get("claims"), dict):
            claims = result[0]["claims"]
    return claims


def matching(values: dict[str, object]) -> sql.Composable:
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
        for column, value in values.items()
    )


def name(table: Table) -> str:
    return ".".join(quote_ident(part) for part in table)


def _records_creator(column: Column) -> bool:
    """Whether the user column records who created the row: by its name or its `auth.uid()` default."""
    return _CREATOR.fullmatch(column.name.lower()) is not None or _defaults_to_caller(column)


def _defaults_to_caller(column: Column) -> bool:
    return _AUTH_UID.search(column.default) is not None


def _literal(definition: str, column: Column) -> sql.Composable | None:
    """The first literal of the column's kind (text or number) a CHECK's definition names, cast."""
    pattern = _TEXT_LITERAL if column.category == "S" else _NUMBER_LITERAL
    literal = next((m.group(0) for m in pattern.finditer(definition)), None)
    return None if literal is None else sql.SQL(f"{literal}::{column.type}")


def _value_for(table: Table, column: Column, number: int) -> sql.Composable:
    if column.category == "E" and ROLE_COLUMN.search(column.name):
        # a user's role (app_role 'admin', 'moderator', 'user'): the first that grants no power over others,
        # or a probe user made admin by their own row reads everyone's (has_role(uid, 'admin'))
        labels = f"unnest(enum_range(null::{column.type})) with ordinality as label(value, position)"
        expression = f"(select value from {labels} order by {_POWERLESS_FIRST} limit 1)"
    elif column.category == "E":
        expression = f"(enum_range(null::{column.type}))[1]"
    else:
        literal = (
            _vector_literal(column)
            or _VALUE_BY_TYPE.get(column.base_type)
            or _VALUE_BY_CATEGORY.get(column.category)
        )
        if literal is None:
            column_name = f"{name(table)}.{quote_ident(column.name)}"
            raise CannotFill(f"no automatic value for {column_name} of type {column.type}")
        expression = f"{literal.replace('{n}', str(number))}::{column.type}"
    return sql.SQL(expression)


def _vector_literal(column: Column) -> str | None:
    """A pgvector value of the column's dimensions (`vector(1536)`, `halfvec(3)`, `sparsevec(5)`): all
    ones, not zeros, which a cosine index or a normalising check may refuse."""
    if column.base_type not in _VECTOR_TYPES:
        return None
    sized = _DIMENSIONS.search(column.type)
    dimensions = int(sized.group(1)) if sized else 1
    if column.base_type == "sparsevec":
        return f"'{{1:1}}/{dimensions}'"
    return "'[" + ",".join(["1"] * dimensions) + "]'"


_VECTOR_TYPES = frozenset({"vector", "halfvec", "sparsevec"})
_DIMENSIONS = re.compile(r"\((\d+)\)$")


def one_line(err: psycopg.Error) -> str:
    return " ".join((err.diag.message_primary or str(err)).split())
