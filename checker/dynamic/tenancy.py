"""Whose rows a table holds, read from the schema (foreign keys and keys); its policies only choose
among the user columns the schema offers.

The row level security probes need to know which rows a user may reach before they can tell a
leak from a grant. Deriving that from the policies under test would switch the probe off exactly
when a policy stops tying rows to the caller, so the model is built from the live catalog:

1. A **group** table is one a membership table points at. A membership table pairs a user (a
   column referencing auth.users or a user-keyed table) with a row of another table, under a
   primary key or unique constraint on that pair, and is named like one (`*_members`,
   `*_memberships`, `*_users`, `*_participants`, `*_collaborators`) or has a role column. The
   group table must not itself be shared by two users (a match between user_a and user_b is not a
   group).
2. A table with a foreign key to a group table, or to a table that belongs to one (tasks ->
   projects -> teams), belongs to that group **through** the key; so does the membership table.
   A foreign key to a table shared by several users (a chat of a match) counts the same way. Either
   wins over the table's own user columns: a task's assignee is not its owner.
3. A table keyed by a user (public.users, profiles) or with one user column is a **user's**; with
   several user columns it is **shared** by those users. Audit columns (created_by, updated_by,
   ...) say who wrote a row, not whose it is. Where a table not keyed by a user has policies that
   compare some of its user columns with auth.uid() (audit columns too), those are its owners and
   the others are not: `with check (auth.uid() = created_by)` makes a discussion its author's, not
   the user's in profile_id whose profile it is about. That evidence only picks among the user
   columns: a policy that compares none (`auth.uid() is not null`) leaves the schema's answer, and
   none can make a table nobody's.
4. Otherwise a foreign key to a table that is a user's makes it that user's through the key.
5. Anything else is **nobody's**: a lookup or public table, not probed.

A project states what inference cannot in its policy, `[rls.tenancy]`, table -> `public`,
`service_only`, `user:COLUMN[,COLUMN]`, `via:COLUMN[,COLUMN]` or `group[:MEMBERSHIP_TABLE]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from checker.model.do_blocks import function_body_trees
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.rules._policies import deparsed_expression, is_audit_column, uid_comparisons

Table = tuple[str, str]
MAX_DEPTH = 6
AUTH_USERS = ("auth", "users", "id")
USER_TABLE_NAMES = frozenset({("public", "users"), ("public", "user"), ("public", "profiles")})

_MEMBERSHIP_NAME = re.compile(r"(member|membership|users?|participant|collaborator)s?$")
ROLE_COLUMN = re.compile(r"(^|_)role$")

# Tables that may pair a user with a group (see Model._membership): named like a membership table or
# with a role column (the patterns below, which PostgreSQL reads alike), and a single-column foreign key
# at least (the group's; the user's may be a uuid without one, which the policies' helpers compare).
# One query: reading every table's keys on each migration made the probes grow with the size of the
# database.
_MEMBERSHIP_CANDIDATES = """
select n.nspname::text, c.relname::text
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s)
  and (c.relname ~ %(name)s or exists (select from pg_catalog.pg_attribute a
       where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname ~ %(role)s))
  and (select count(*) from pg_catalog.pg_constraint co
       where co.conrelid = c.oid and co.contype = 'f' and cardinality(co.conkey) = 1) >= 1"""

# Tables keyed by a user that may name the user's one group (profiles.organization_id): a single-column
# key that is a foreign key itself (profiles.id references auth.users) or the key of a table named as
# users are, and another single-column foreign key (Model._one_group asks whether policies read it).
_PROFILE_GROUP_CANDIDATES = """
select distinct n.nspname::text, c.relname::text
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_constraint k on k.conrelid = c.oid and k.contype in ('p', 'u')
  and cardinality(k.conkey) = 1
join pg_catalog.pg_constraint fk on fk.conrelid = c.oid and fk.contype = 'f' and cardinality(fk.conkey) = 1
  and fk.conkey[1] <> k.conkey[1]
where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s)
  and (exists (select from pg_catalog.pg_constraint uk
               where uk.conrelid = c.oid and uk.contype = 'f' and uk.conkey = k.conkey)
       or n.nspname || '.' || c.relname = any(%(user_tables)s))
order by 1, 2"""

# The tables that keep one row per user: keyed (or uniquely) by a reference to auth.users, or named as
# users' tables are; with that column.
_USER_TABLES = """
select distinct n.nspname::text, c.relname::text, a.attname::text
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_constraint k on k.conrelid = c.oid and k.contype in ('p', 'u')
  and cardinality(k.conkey) = 1
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = k.conkey[1]
where c.relkind in ('r', 'p') and n.nspname = any(%(exposed)s)
  and (exists (select from pg_catalog.pg_constraint f where f.conrelid = c.oid and f.contype = 'f'
               and f.conkey = k.conkey and f.confrelid = 'auth.users'::regclass)
       or (k.contype = 'p' and n.nspname || '.' || c.relname = any(%(user_tables)s)))
order by 1, 2, 3"""

_KEYS = """
select array(select a.attname::text from unnest(co.conkey) k(n)
             join pg_catalog.pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.n)
from pg_catalog.pg_constraint co where co.conrelid = %s::regclass and co.contype in ('p', 'u')"""

_COLUMNS = """
select a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.atthasdef or a.attidentity <> '' or a.attgenerated <> '',
       coalesce(b.typcategory, t.typcategory)::text, coalesce(b.typname, t.typname)::text,
       coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')
from pg_catalog.pg_attribute a
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_type b on t.typtype = 'd' and b.oid = t.typbasetype
left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
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

# The table's policies, USING and WITH CHECK as the server deparses them.
# The table's columns its own policies name (PostgreSQL records each as a dependency of the policy).
_POLICY_COLUMNS = """
select distinct a.attname::text from pg_catalog.pg_policy p
join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_policy'::regclass and d.objid = p.oid
  and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = p.polrelid and d.refobjsubid > 0
join pg_catalog.pg_attribute a on a.attrelid = p.polrelid and a.attnum = d.refobjsubid
where p.polrelid = %s::regclass"""

_COLUMNS_POLICIES_READ = """
select distinct a.attname::text from pg_catalog.pg_depend d
join pg_catalog.pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
where d.classid = 'pg_catalog.pg_policy'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
  and d.refobjid = %s::regclass and d.refobjsubid > 0"""

# The functions policies call (PostgreSQL records each as a dependency of the policy), with their bodies.
_POLICY_FUNCTIONS = """
select distinct p.prosrc, l.lanname::text, p.proretset
from pg_catalog.pg_depend d
join pg_catalog.pg_proc p on p.oid = d.refobjid
join pg_catalog.pg_language l on l.oid = p.prolang
where d.classid = 'pg_catalog.pg_policy'::regclass and d.refclassid = 'pg_catalog.pg_proc'::regclass
  and l.lanname in ('sql', 'plpgsql')"""

_POLICY_EXPRESSIONS = """
select pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
from pg_catalog.pg_policy p where p.polrelid = %s::regclass
order by p.polname"""

# The functions the triggers on auth.users run (a signup trigger making the user's profile).
_SIGNUP_FUNCTIONS = """
select distinct p.prosrc, l.lanname::text, p.proretset
from pg_catalog.pg_trigger t
join pg_catalog.pg_proc p on p.oid = t.tgfoid
join pg_catalog.pg_language l on l.oid = p.prolang
where t.tgrelid = 'auth.users'::regclass and not t.tgisinternal and l.lanname in ('sql', 'plpgsql')"""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(): what a value is cast to
    not_null: bool
    has_default: bool
    category: str  # pg_type.typcategory, of the domain's base type
    base_type: str
    default: str = ""  # the column's DEFAULT expression as the server deparses it; empty without one


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: Table
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Membership:
    """The table that makes users members of a group: (group column, user column, role column)."""

    table: Table
    group_column: str
    user_column: str
    role_column: str | None

    def describe(self) -> str:
        role = f", role {self.role_column}" if self.role_column else ""
        return f"members in {dotted(self.table)} ({self.user_column}{role})"


@dataclass(frozen=True)
class Tenancy:
    """Whose rows a table holds. kind: user, group, via, public, service_only, unknown."""

    table: Table
    kind: str
    columns: tuple[str, ...] = ()  # user: the user columns; via: the foreign key's columns
    parent: Tenancy | None = None  # via: whose rows the referenced table holds
    parent_columns: tuple[str, ...] = ()  # via: the referenced columns
    group_key: str = ""  # group: the column the membership table references
    members: Membership | None = None  # group
    stated: bool = False  # from the policy's [rls.tenancy]
    why: str = ""  # unknown: why a stated path cannot be used

    @property
    def owned(self) -> bool:
        return self.kind in {"user", "group", "via"}

    @property
    def depth(self) -> int:
        """How many foreign keys lead from this table to its owner."""
        return 1 + self.parent.depth if self.kind == "via" and self.parent else 0

    @property
    def root(self) -> Tenancy:
        return self.parent.root if self.kind == "via" and self.parent else self

    @property
    def shared(self) -> bool:
        """Rows several users reach: a group's, or a row naming several users."""
        root = self.root
        return root.kind == "group" or (root.kind == "user" and len(root.columns) > 1)

    def path(self) -> str:
        """The ownership path as printed for review, e.g. `project_id -> public.projects: team_id -> ...`."""
        if self.kind == "user":
            verb = "a user's" if len(self.columns) == 1 else "shared by the users in"
            return f"{verb} {', '.join(self.columns)}"
        if self.kind == "group" and self.members:
            return f"a group ({self.members.describe()})"
        if self.kind == "via" and self.parent:
            return f"{', '.join(self.columns)} -> {dotted(self.parent.table)}: {self.parent.path()}"
        if self.kind == "public":
            return "nobody's (public or lookup rows)"
        if self.kind == "service_only":
            return "nobody's (service_role only)"
        return f"unknown ({self.why})"

    def stated_as(self) -> str:
        """The same path in the policy's [rls.tenancy] syntax, to copy and correct."""
        if self.kind == "user":
            return "user:" + ",".join(self.columns)
        if self.kind == "via":
            return "via:" + ",".join(self.columns)
        if self.kind == "group" and self.members:
            return f"group:{dotted(self.members.table)}"
        return self.kind


def _names_table(range_var: dict, table: Table) -> bool:
    """Whether a RangeVar names the table (unqualified: a function's search_path usually finds it)."""
    schema = range_var.get("schemaname")
    return range_var.get("relname") == table[1] and schema in (None, table[0])


def dotted(table: Table) -> str:
    return ".".join(table)


class Schema:
    """The live catalog as the tenancy model reads it, cached per table."""

    def __init__(self, conn: psycopg.Connection, exposed: list[str]):
        self.conn = conn
        self.exposed = exposed
        self._fks: dict[Table, list[ForeignKey]] = {}
        self._keys: dict[Table, list[set[str]]] = {}
        self._columns: dict[Table, list[Column]] = {}
        self._tied: dict[Table, list[str]] = {}
        self._tied_in_helpers: dict[Table, frozenset[str]] = {}
        self._read: dict[Table, frozenset[str]] = {}
        self._function_trees: list[dict] | None = None
        self._signup_trees: list[dict] | None = None
        self._user_tables: list[tuple[Table, str]] | None = None

    def _regclass(self, table: Table) -> str:
        return sql.Identifier(*table).as_string(self.conn)

    def membership_candidates(self) -> list[Table]:
        """The tables `Model._membership` could accept: named like a membership table or with a role
        column, and a single-column foreign key (the group's; the user column may have none)."""
        patterns = {"name": _MEMBERSHIP_NAME.pattern, "role": ROLE_COLUMN.pattern}
        rows = self.conn.execute(_MEMBERSHIP_CANDIDATES, {"exposed": self.exposed, **patterns})
        return [(schema, table) for schema, table in rows]

    def profile_group_candidates(self) -> list[Table]:
        """Tables keyed by a user, with another foreign key (`Model._one_group` asks if policies read it)."""
        params = {"exposed": self.exposed, "user_tables": [dotted(table) for table in USER_TABLE_NAMES]}
        rows = self.conn.execute(_PROFILE_GROUP_CANDIDATES, params)
        return [(schema, table) for schema, table in rows]

    def user_tables(self) -> list[tuple[Table, str]]:
        """The tables that keep one row per user (public.users, profiles), each with its user column; read
        once per run of the probes (each table's probe asks, in its own rolled-back transaction)."""
        if self._user_tables is None:
            params = {"exposed": self.exposed, "user_tables": [dotted(table) for table in USER_TABLE_NAMES]}
            rows = self.conn.execute(_USER_TABLES, params)
            self._user_tables = [((schema, table), column) for schema, table, column in rows]
        return self._user_tables

    def read_by_any_policy(self, table: Table) -> frozenset[str]:
        """The columns of the table that some policy of the database names (of any table), or that a
        function a policy calls reads from it (`id = public.my_org()`, whose body selects org_id from
        profiles): PostgreSQL records neither the function's tables nor its columns."""
        rows = self.conn.execute(_COLUMNS_POLICIES_READ, (self._regclass(table),)).fetchall()
        named = {name for (name,) in rows}
        for tree in self._policy_function_trees():
            if any(_names_table(rv, table) for rv in find_nodes(tree, "RangeVar")):
                named.update(strings(ref.get("fields"))[-1] for ref in find_nodes(tree, "ColumnRef"))
        return frozenset(named & set(self.columns(table)))

    def _policy_function_trees(self) -> list[dict]:
        """The parse trees of what the functions policies call run, read once."""
        if self._function_trees is None:
            rows = self.conn.execute(_POLICY_FUNCTIONS).fetchall()
            self._function_trees = [tree for row in rows for tree in function_body_trees(*row)]
        return self._function_trees

    def signup_trees(self) -> list[dict]:
        """The parse trees of what the triggers on auth.users run, read once per run of the probes."""
        if self._signup_trees is None:
            rows = self.conn.execute(_SIGNUP_FUNCTIONS).fetchall()
            self._signup_trees = [tree for row in rows for tree in function_body_trees(*row)]
        return self._signup_trees

    def foreign_keys(self, table: Table) -> list[ForeignKey]:
        if table not in self._fks:
            rows = self.conn.execute(_FOREIGN_KEYS, (self._regclass(table),)).fetchall()
            self._fks[table] = [ForeignKey(tuple(c), (s, t), tuple(r)) for c, s, t, r in rows]
        return self._fks[table]

    def keys(self, table: Table) -> list[set[str]]:
        if table not in self._keys:
            rows = self.conn.execute(_KEYS, (self._regclass(table),)).fetchall()
            self._keys[table] = [set(columns) for (columns,) in rows]
        return self._keys[table]

    def column_info(self, table: Table) -> list[Column]:
        if table not in self._columns:
            rows = self.conn.execute(_COLUMNS, (self._regclass(table),)).fetchall()
            self._columns[table] = [Column(*row) for row in rows]
        return self._columns[table]

    def columns(self, table: Table) -> list[str]:
        return [column.name for column in self.column_info(table)]

    def tied_to_user(self, table: Table) -> list[str]:
        """The columns of the table its own policies compare with auth.uid() (`auth.uid() = created_by`,
        `(select auth.uid()) in (user_a, user_b)`, in USING or WITH CHECK of any policy), in table order;
        a comparison inside a sub-select that reads another table is about that table."""
        if table not in self._tied:
            rows = self.conn.execute(_POLICY_EXPRESSIONS, (self._regclass(table),)).fetchall()
            trees = (deparsed_expression(text) for row in rows for text in row if text is not None)
            compared = {column for tree in trees if tree is not None for column, _ in uid_comparisons(tree)}
            self._tied[table] = [c for c in self.columns(table) if c in compared]
        return self._tied[table]

    def tied_in_helpers(self, table: Table) -> frozenset[str]:
        """The columns of the table that a function a policy calls compares with auth.uid() where it reads
        the table alone (`select from org_users ou where ou.org_id = target and ou.user_id = auth.uid()`:
        lockstock's is_org_member(), over a user_id without a foreign key). Read once per table."""
        if table not in self._tied_in_helpers:
            compared: set[str] = set()
            for tree in self._policy_function_trees():
                for select in find_nodes(tree, "SelectStmt"):
                    sources = select.get("fromClause") or []
                    reads = len(sources) == 1 and _names_table(sources[0].get("RangeVar", {}), table)
                    if reads and select.get("whereClause") is not None:
                        compared.update(column for column, _ in uid_comparisons(select["whereClause"]))
            self._tied_in_helpers[table] = frozenset(compared & set(self.columns(table)))
        return self._tied_in_helpers[table]

    def read_by_policies(self, table: Table) -> frozenset[str]:
        """The columns of the table its own policies name, anywhere in USING or WITH CHECK."""
        if table not in self._read:
            rows = self.conn.execute(_POLICY_COLUMNS, (self._regclass(table),)).fetchall()
            self._read[table] = frozenset(name for (name,) in rows)
        return self._read[table]

    def user_keyed(self, table: Table, column: str, depth: int = 0) -> bool:
        """Whether the column holds a user id: auth.users.id, a key that references one, the key of a
        table named as users are (public.users, public.user, public.profiles; a trigger on auth.users
        often fills one without a foreign key), or a key of a table without foreign keys that its
        policies compare with auth.uid()."""
        if (*table, column) == AUTH_USERS:
            return True
        if table in USER_TABLE_NAMES and {column} in self.keys(table):
            return True
        if {column} in self.keys(table) and not self.foreign_keys(table):
            return column in self.tied_to_user(table)  # seller_profiles.user_id, unique, policies' user
        return depth < MAX_DEPTH and any(
            fk.columns == (column,) and self.user_keyed(fk.table, fk.ref_columns[0], depth + 1)
            for fk in self.foreign_keys(table)
        )

    def user_columns(self, table: Table, audit: bool = False) -> list[str]:
        """The columns that reference a user, in table order; audit columns only when asked. Where no
        foreign key offers one, a uuid column the table's own policies compare with auth.uid() holds a
        user (leadminer's `user_id uuid not null`, whose policies say `auth.uid() = user_id`); never
        beside one a key offers, where a policy comparing the wrong column (`auth.uid() = id`) would
        change whose the rows are. Audit columns offer no owner: beside only them (makerkit's accounts,
        `created_by references auth.users`, whose policies say `auth.uid() = id`) the policies' column
        counts."""
        keyed = {
            fk.columns[0]
            for fk in self.foreign_keys(table)
            if len(fk.columns) == 1 and self.user_keyed(fk.table, fk.ref_columns[0])
        }
        if all(is_audit_column(column) for column in keyed):
            uuids = {column.name for column in self.column_info(table) if column.base_type == "uuid"}
            keyed |= uuids & (set(self.tied_to_user(table)) | self.tied_in_helpers(table))
        return [c for c in self.columns(table) if c in keyed and (audit or not is_audit_column(c))]


class Model:
    """The tenancy of every table the probes ask about, with the policy's statements first."""

    def __init__(self, schema: Schema, stated: dict[str, str]):
        self.schema = schema
        self.stated = stated
        self._memberships: dict[Table, Membership] | None = None
        self._cache: dict[Table, Tenancy] = {}

    def memberships(self) -> dict[Table, Membership]:
        """Group table -> the membership table that makes users its members."""
        if self._memberships is None:
            self._memberships = {}
            found_in = [(t, self._membership) for t in self.schema.membership_candidates()]
            found_in += [(t, self._one_group) for t in self.schema.profile_group_candidates()]
            for table, finder in found_in:  # a membership table wins over a profile naming a group
                found = finder(table)
                if found and found[0] not in self._memberships:
                    self._memberships[found[0]] = found[1]
        return self._memberships

    def _may_be_group(self, fk: ForeignKey) -> bool:
        """Not a user table, nor a row shared by users (a match between user_a and user_b)."""
        return not (
            self.schema.user_keyed(fk.table, fk.ref_columns[0]) or len(self.schema.user_columns(fk.table)) > 1
        )

    def _one_group(self, table: Table) -> tuple[Table, Membership] | None:
        """A user's own row that names the user's one group (`profiles.organization_id`, the profile keyed
        by the user) where a policy reads that column (`org_id = (select organization_id from profiles
        where id = auth.uid())`): the policies follow it, so it makes the user a member. A foreign key no
        policy reads (a profile's country) makes nobody a member of anything."""
        user = self._keyed_by_user(table)
        if user is None:
            return None
        read = self.schema.read_by_any_policy(table)
        for fk in self.schema.foreign_keys(table):
            column = fk.columns[0] if len(fk.columns) == 1 else None
            if column is None or column == user or column not in read or fk.table == table:
                continue
            if self._may_be_group(fk):
                return fk.table, Membership(table, column, user, None)
        return None

    def _membership(self, table: Table) -> tuple[Table, Membership] | None:
        users = self.schema.user_columns(table)
        roles = [c for c in self.schema.columns(table) if ROLE_COLUMN.search(c)]
        if len(users) != 1 or not (_MEMBERSHIP_NAME.search(table[1]) or roles):
            return None
        for fk in self.schema.foreign_keys(table):
            if len(fk.columns) != 1 or fk.columns[0] in users or fk.table == table:
                continue
            if not self._may_be_group(fk):
                continue
            if any({fk.columns[0], users[0]} <= key for key in self.schema.keys(table)):
                role = next((c for c in roles if c != fk.columns[0]), None)
                return fk.table, Membership(table, fk.columns[0], users[0], role)
        return None

    def of(self, table: Table, depth: int = 0) -> Tenancy:
        if table not in self._cache:
            self._cache[table] = self._stated(table) or self._inferred(table, depth)
        return self._cache[table]

    def _stated(self, table: Table) -> Tenancy | None:
        value = self.stated.get(dotted(table))
        if value is None:
            return None
        kind, _, argument = value.partition(":")
        columns = tuple(c.strip() for c in argument.split(",") if c.strip())
        missing = [c for c in columns if c not in self.schema.columns(table)]
        if missing:
            return Tenancy(table, "unknown", stated=True, why=f"[rls.tenancy] names no column {missing[0]}")
        if kind in {"public", "service_only"}:
            return Tenancy(table, kind, stated=True)
        if kind == "user":
            return Tenancy(table, "user", columns, stated=True)
        if kind == "via":
            return self._via(table, columns, stated=True)
        return self._group(table, argument, stated=True)

    def _via(self, table: Table, columns: tuple[str, ...], stated: bool = False, depth: int = 0) -> Tenancy:
        fk = next((fk for fk in self.schema.foreign_keys(table) if fk.columns == columns), None)
        if fk is None or fk.table == table or depth >= MAX_DEPTH:
            why = f"no foreign key on ({', '.join(columns)}) to another table"
            return Tenancy(table, "unknown", stated=stated, why=why)
        parent = self.of(fk.table, depth + 1)
        return Tenancy(table, "via", columns, parent, fk.ref_columns, stated=stated)

    def _group(self, table: Table, membership: str, stated: bool = False) -> Tenancy:
        members = self.memberships().get(table)
        if membership and (members is None or dotted(members.table) != membership):
            schema, _, base = membership.partition(".")
            found = self._membership((schema, base)) if base else None
            members = found[1] if found and found[0] == table else None
        if members is None:
            why = "no membership table pairs a user with its rows"
            return Tenancy(table, "unknown", stated=stated, why=why)
        key = next(
            fk.ref_columns[0]
            for fk in self.schema.foreign_keys(members.table)
            if fk.columns == (members.group_column,)
        )
        return Tenancy(table, "group", group_key=key, members=members, stated=stated)

    def _inferred(self, table: Table, depth: int) -> Tenancy:
        if table in self.memberships():
            return self._group(table, "")
        keyed = self._keyed_by_user(table)
        if keyed:
            # a user's own row (a profile), whatever group it names: midday's users.team_id is the team
            # the user works in now, not an owner of the profile
            return Tenancy(table, "user", (keyed,))
        parents = [
            (fk, self.of(fk.table, depth + 1))
            for fk in self.schema.foreign_keys(table)
            if fk.table != table and depth < MAX_DEPTH and not self._is_user_reference(fk)
        ]
        # a key the table's policies read says whose the row is (a break is its session's workspace's, not
        # its break type's, when the policies follow session_id; an asset its item's, not its author
        # persona's, when they follow item_id); of those, or where they read none, the shortest way to a
        # shared owner: a row that names its team directly is the team's
        read = self.schema.read_by_policies(table)

        def preferred(fk: ForeignKey) -> tuple[bool, int]:
            return not set(fk.columns) & read, self.of(fk.table, depth + 1).depth

        to_shared = [fk for fk, parent in parents if parent.owned and parent.shared]
        shared = min(to_shared, key=preferred, default=None)
        if shared:
            return self._via(table, shared.columns, depth=depth)
        users = self._owners(table) or self.schema.user_columns(table)
        if users:
            return Tenancy(table, "user", tuple(users))
        # the same preference among keys to a user's rows: a product is its store's, not its category's
        owned = min((fk for fk, parent in parents if parent.owned), key=preferred, default=None)
        if owned:
            return self._via(table, owned.columns, depth=depth)
        return Tenancy(table, "public")

    def _keyed_by_user(self, table: Table) -> str | None:
        """The user column that alone is a key of the table (a profile's id, or its unique user_id), else
        the key of a table named as users are (public.users, public.profiles: a trigger fills it)."""
        keys = self.schema.keys(table)
        keyed = next((c for c in self.schema.user_columns(table) if {c} in keys), None)
        if keyed or table not in USER_TABLE_NAMES:
            return keyed  # a profile's unique user_id, not its own generated id
        return next((c for c in self.schema.columns(table) if {c} in keys), None)

    def _owners(self, table: Table) -> list[str]:
        """The user columns (audit columns too) that the table's own policies compare with auth.uid():
        the policies' word on which of the users a row names is its owner (a discussion's author in
        created_by, not the profile in profile_id it is about). A non-audit column wins over an audit
        one (user_id says whose the row is, created_by who wrote it); empty without such a comparison."""
        tied = set(self.schema.tied_to_user(table))
        owners = [c for c in self.schema.user_columns(table, audit=True) if c in tied]
        return [c for c in owners if not is_audit_column(c)] or owners

    def under_owned_parent(self, table: Table) -> bool:
        """Whether a foreign key other than a user reference leads to a table whose rows are owned."""
        return any(
            fk.table != table and not self._is_user_reference(fk) and self.of(fk.table).owned
            for fk in self.schema.foreign_keys(table)
        )

    def _is_user_reference(self, fk: ForeignKey) -> bool:
        return len(fk.columns) == 1 and self.schema.user_keyed(fk.table, fk.ref_columns[0])
