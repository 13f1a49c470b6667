"""Pre-checks (runbook section 2) and post-migration validation (section 6), derived from the model.

Nothing here lists tables by hand: what must exist before is what the baseline's SQL creates, what
must not exist yet is what the migration creates, and what must exist after, with its keys, row
level security and policies, is what the migration's SQL declares.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from checker.context import RlsRemedy, RuleContext
from checker.dynamic.advisor import api_reaches
from checker.dynamic.collect import Collector, Location, at
from checker.dynamic.privileges import SEED_GIVES_WAY
from checker.findings import Severity
from checker.model import Catalog, CatalogObject, ObjectRef
from checker.model.effects import Drop
from checker.model.objects import (
    RELATION_KINDS,
    TABLE_MEMBER_KINDS,
    quote_ident,
    user_type_ref,
)
from checker.parse import Statement
from checker.suppress import find_suppressions

PRECHECK = "dynamic-precheck"
VALIDATION = "dynamic-validation"
RLS_RULE = "rls-enabled"

_RELATION = "select to_regclass(format('%%I.%%I', %(schema)s::text, %(name)s::text)) is not null"
_EXISTS: dict[str, str] = {
    "table": _RELATION,
    "view": _RELATION,
    "materialized view": _RELATION,
    "sequence": _RELATION,
    "index": _RELATION,
    "foreign table": _RELATION,
    "type": "select to_regtype(format('%%I.%%I', %(schema)s::text, %(name)s::text)) is not null",
    "schema": "select exists (select from pg_catalog.pg_namespace where nspname = %(name)s)",
    "extension": "select exists (select from pg_catalog.pg_extension where extname = %(name)s)",
    "column": """select exists (
        select from pg_catalog.pg_attribute a
        where a.attrelid = to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text))
          and a.attname = %(name)s and a.attnum > 0 and not a.attisdropped)""",
    "policy": """select exists (
        select from pg_catalog.pg_policies
        where schemaname = %(schema)s and tablename = %(table)s and policyname = %(name)s)""",
    "trigger": """select exists (
        select from pg_catalog.pg_trigger
        where tgrelid = to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text))
          and tgname = %(name)s)""",
    "constraint": """select exists (
        select from pg_catalog.pg_constraint
        where conrelid = to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text))
          and conname = %(name)s)""",
}
_FUNCTION_BY_NAME = """select exists (
    select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where n.nspname = %(schema)s and p.proname = %(name)s)"""
_FUNCTION_BY_SIGNATURE = (
    "select to_regprocedure(format('%%I.%%I', %(schema)s::text, %(name)s::text) || %(args)s) is not null"
)


def object_exists(conn: psycopg.Connection, ref: ObjectRef) -> bool | None:
    """Whether the object exists in the database; None for kinds this check does not know."""
    params: dict[str, Any] = {"schema": ref.schema, "name": ref.name, "table": ref.table}
    if ref.kind in ("function", "procedure"):
        if ref.args is None:
            query = _FUNCTION_BY_NAME
        else:
            query, params["args"] = _FUNCTION_BY_SIGNATURE, argument_list(conn, ref.args)
    else:
        query = _EXISTS.get(ref.kind, "")
    if not query:
        return None
    try:
        with conn.transaction():
            row = conn.execute(query, params).fetchone()
    except psycopg.errors.UndefinedObject:
        return False  # before PostgreSQL 16, to_regprocedure raises when an argument type is missing
    return bool(row and row[0])


def argument_list(conn: psycopg.Connection, args: tuple[str, ...]) -> str:
    """The model's argument types as regprocedure input: user types quoted, as in `"Mood"`."""
    return "(" + ", ".join(_type_text(conn, arg) for arg in args) + ")"


def _type_text(conn: psycopg.Connection, canonical: str) -> str:
    # Builtins keep their SQL spelling (`character varying`); schema.name of user types is quoted,
    # since the model keeps names as PostgreSQL stores them (case and all).
    ref = user_type_ref(canonical)
    base = canonical.removeprefix("setof ")
    suffix = base[len(base.rstrip("[]")) :]
    if ref is None:
        return _on_the_projects_path(conn, base.rstrip("[]")) + suffix
    qualified = sql.Identifier(ref.schema, ref.name).as_string(conn)
    if conn.execute("select pg_catalog.to_regtype(%s) is null", [qualified]).fetchone() == (True,):
        # the model put an extension's type it does not know (geometry) in the current schema
        qualified = _on_the_projects_path(conn, ref.name)
    return qualified + suffix


# The search_path the project's SQL runs with (seed_sql/90_database.sql, as on Supabase), for a type it
# names unqualified (`citext`, `vector` from extensions); the checker's own superuser session searches
# pg_catalog only.
PROJECTS_PATH = ["pg_catalog", "public", "extensions"]
_TYPE_ON_PATH = """
select pg_catalog.format('%%I.%%I', n.nspname, t.typname)
from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
where t.typname = %(name)s and n.nspname = any(%(path)s)
order by pg_catalog.array_position(%(path)s, n.nspname::text)
limit 1"""


def _on_the_projects_path(conn: psycopg.Connection, name: str) -> str:
    """A type the project named unqualified, qualified where its search_path finds it (as written when it
    is a builtin's SQL spelling, `character varying`, which no pg_type row is named)."""
    row = conn.execute(_TYPE_ON_PATH, {"name": name, "path": PROJECTS_PATH}).fetchone()
    return str(row[0]) if row else name


# --- pre-checks ------------------------------------------------------------------------------------


def precheck_baseline(conn: psycopg.Connection, baseline: Catalog, out: Collector) -> None:
    """Runbook 2.1: every table the baseline declares exists once the baseline has run."""
    for obj in baseline:
        declared = obj.origin == "baseline" and obj.ref.kind == "table" and obj.created_by is not None
        if declared and object_exists(conn, obj.ref) is False:
            out.add(
                PRECHECK,
                Severity.ERROR,
                at(obj.created_by),
                f"baseline table {obj.ref.qualified} does not exist after the baseline ran "
                f"(to_regclass('{obj.ref.qualified}') is null)",
                "the baseline must describe the production schema the migrations start from",
                obj.ref.qualified,
            )


def precheck_unit(conn: psycopg.Connection, context: RuleContext, out: Collector) -> None:
    """Runbook 2.2: nothing the migration creates exists yet (a half-applied earlier run, a clash)."""
    created = context.created_by_migration()
    replaced = _replaced(context) | _conditional_creates(context)
    for ref, (statement, location) in created.items():
        if ref in replaced or _inside_created_table(ref, created) or _name_chosen(context, ref, statement):
            continue
        if object_exists(conn, ref) is not True:
            continue
        if _seed_gives_way(conn, ref):
            continue  # the seed's copy, which a plain CREATE replaces (privileges.py)
        out.add(
            PRECHECK,
            Severity.WARNING,
            at(statement, location),
            f"{ref.display()} already exists before the migration runs",
            "a plain CREATE will fail on it and IF NOT EXISTS silently keeps the old definition; "
            "find out where it came from (a partial earlier run?) before migrating",
            ref.qualified,
        )


def _name_chosen(context: RuleContext, ref: ObjectRef, statement: Statement) -> bool:
    """Made without a name by the statement that creates it: PostgreSQL picks one no object has
    (discussions_slug_idx1 where discussions_slug_idx exists), so one of the model's name is no clash."""
    return any(item.name_chosen for item in context.effects_for(statement).creates if item.ref == ref)


def _seed_gives_way(conn: psycopg.Connection, ref: ObjectRef) -> bool:
    """A SEED_GIVES_WAY extension, or the schema one of them is in (pgsodium's)."""
    if ref.kind == "extension":
        return ref.name in SEED_GIVES_WAY
    if ref.kind != "schema":
        return False
    row = conn.execute(
        "select from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace"
        " where n.nspname = %s and e.extname = any(%s)",
        [ref.name, sorted(SEED_GIVES_WAY)],
    ).fetchone()
    return row is not None


def _conditional_creates(context: RuleContext) -> set[ObjectRef]:
    """What a DO block may not create (`if not exists (...) then alter table ... add column ...`)."""
    return {
        created.ref
        for effects in context.migration_effects
        for step in effects.steps
        for created in step.creates
        if step.conditional
    }


def _replaced(context: RuleContext) -> set[ObjectRef]:
    """Objects the migration means to replace: CREATE OR REPLACE, or a DROP before the CREATE, or a
    RENAME or SET SCHEMA that moves the old one out of the way (as a changed enum is remade)."""
    replaced: set[ObjectRef] = set()
    dropped: list[ObjectRef] = []
    for effects in context.migration_effects:
        dropped.extend(drop.ref for drop in effects.drops)
        dropped.extend(gone for drop in effects.drops for gone in _dropped_with(context, drop))
        dropped.extend(old for old, _ in effects.renames)
        dropped.extend(old for old, _ in effects.moves)
        for created in effects.creates:
            if effects.statement.node.get("replace") or any(_frees(ref, created.ref) for ref in dropped):
                replaced.add(created.ref)
    return replaced


_KEY_KINDS = ("index", "constraint")  # a key is both, by one name
_VIEW_KINDS = ("view", "materialized view")


def _dropped_with(context: RuleContext, drop: Drop) -> list[ObjectRef]:
    """What goes with a dropped relation, key or column: the relation's members (a materialized view's
    indexes), the key's index (of its name), and the indexes and keys on the column (`drop column id` takes
    chats_pkey, a CHECK reading it goes too); with a function dropped CASCADE, its triggers; with a
    column dropped CASCADE, the views reading its table (those reading the column go: the others' names
    are not claimed taken, and a clash there fails the CREATE itself)."""
    gone = drop.ref
    if gone.kind in ("function", "procedure") and drop.cascade:
        return [obj.ref for obj in context.before.dependents(gone) if obj.ref.kind == "trigger"]
    if gone.kind in RELATION_KINDS | {"table"}:  # its indexes, keys, triggers and policies
        return [member.ref for member in context.before.members_of(gone)]
    views: list[ObjectRef] = []
    if gone.kind == "column" and gone.table_ref and drop.cascade:
        views = [obj.ref for obj in context.before.dependents(gone.table_ref) if obj.ref.kind in _VIEW_KINDS]
    if gone.kind == "constraint" and gone.table:
        return [ObjectRef("index", gone.schema, gone.name, gone.table)]
    table = gone.table_ref if gone.kind == "column" else None
    if table is None or context.before.find(table) is None:
        return views
    keyed, members = context.before.naming_column(gone)
    on_it = [ObjectRef(kind, gone.schema, name, gone.table) for name in keyed for kind in _KEY_KINDS]
    return views + on_it + [member.ref for member in members]


def _frees(gone: ObjectRef, created: ObjectRef) -> bool:
    """Whether an object dropped or moved away leaves its name to `created`: relations, indexes among them,
    share one namespace per schema (DROP VIEW x frees the name for CREATE TABLE x)."""
    if gone.kind in RELATION_KINDS and created.kind in RELATION_KINDS:
        return (gone.schema, gone.name) == (created.schema, created.name)
    return created.matches(gone)


def _inside_created_table(ref: ObjectRef, created: dict[ObjectRef, Any]) -> bool:
    table = ref.table_ref
    return ref.kind in TABLE_MEMBER_KINDS and table is not None and table in created


# --- validation --------------------------------------------------------------------------------------

_CONSTRAINTS = """
select co.contype::text,
       array(select a.attname::text from unnest(co.conkey) k
             join pg_catalog.pg_attribute a on a.attrelid = co.conrelid and a.attnum = k),
       rn.nspname::text, rc.relname::text
from pg_catalog.pg_constraint co
left join pg_catalog.pg_class rc on rc.oid = co.confrelid
left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
where co.conrelid = to_regclass(format('%%I.%%I', %(schema)s::text, %(name)s::text))"""

# RLS, and whether an API role reaches the table at all (USAGE on its schema and a privilege on it).
_RLS = f"""select c.relrowsecurity, {api_reaches("SELECT, INSERT, UPDATE, DELETE")}
from pg_catalog.pg_class c
where c.oid = to_regclass(format('%%I.%%I', %(schema)s::text, %(name)s::text))"""

_POLICY = """select cmd, roles::text[], permissive from pg_catalog.pg_policies
where schemaname = %(schema)s and tablename = %(table)s and policyname = %(name)s"""


def validate_unit(conn: psycopg.Connection, context: RuleContext, out: Collector) -> None:
    """Runbook 6.1-6.4: the objects, keys, row level security and policies the SQL declares exist."""
    suppressions = find_suppressions(context.migration)
    for ref, (statement, location) in context.created_by_migration().items():
        where = at(statement, location)
        obj = context.after.find(ref)
        if obj is None or obj.conditional or _on_an_unknown_table(context, ref) or _brought_type(obj):
            # dropped or renamed later in the migration: the SQL does not declare it is there; or
            # made or changed in a DO block where it may not run: whether it is there, and how, is
            # known only when the SQL runs; or a type an extension brings, which the model places in the
            # schema the statement names (`if not exists ... with schema extensions` of an extension
            # already in public brings nothing there)
            continue
        details = obj.details
        if ref.kind == "policy":
            _check_policy(conn, ref, details, where, out)
            continue
        exists = object_exists(conn, ref)
        if exists is not None:
            out.check("tables" if ref.kind == "table" else "objects", exists)
        if exists is False:
            _invalid(out, where, f"{ref.display()} does not exist after the migration", ref)
            continue
        if ref.kind == "table":
            _check_keys(conn, ref, details, where, out)
            # the static rls-enabled's claim: a suppression of it (with its reason) covers this check
            if context.is_exposed(ref) and not suppressions.covers(RLS_RULE, statement.index):
                _check_rls(conn, ref, where, out, context.rls_enabled_later(ref))
        elif ref.kind == "constraint" and ref.table_ref:
            _check_keys(conn, ref.table_ref, details, where, out)


def _brought_type(obj: CatalogObject) -> bool:
    return obj.ref.kind == "type" and "extension" in obj.details


def _on_an_unknown_table(context: RuleContext, ref: ObjectRef) -> bool:
    """A column, key or index of a table the model does not know (`alter table if exists` of a table that
    is not there): the SQL declares nothing about it."""
    table = ref.table_ref if ref.kind in TABLE_MEMBER_KINDS else None
    return table is not None and context.after.find(table) is None


def _invalid(out: Collector, where: Location, message: str, ref: ObjectRef, hint: str = "") -> None:
    out.add(
        VALIDATION,
        Severity.ERROR,
        where,
        message,
        hint or "the database does not match what the migration declares; check the statement here",
        ref.qualified,
    )


def _check_keys(
    conn: psycopg.Connection, table: ObjectRef, details: dict, where: Location, out: Collector
) -> None:
    # Names on both sides as PostgreSQL stores them (case kept, no quotes): `user`, `userId`.
    rows = conn.execute(_CONSTRAINTS, {"schema": table.schema, "name": table.name}).fetchall()
    present = {(contype, frozenset(columns), (schema, name)) for contype, columns, schema, name in rows}
    present_keys = {(contype, columns) for contype, columns, _ in present}
    wanted_pk = details.get("primary_key") or []
    if wanted_pk and not out.check("keys", ("p", frozenset(wanted_pk)) in present_keys):
        _invalid(out, where, f"primary key ({_columns(wanted_pk)}) missing on {table.qualified}", table)
    for columns in details.get("unique") or []:
        # CREATE TABLE keeps one index per column set: a UNIQUE on the primary key's columns is merged into it
        if not out.check("keys", bool({("u", frozenset(columns)), ("p", frozenset(columns))} & present_keys)):
            _invalid(out, where, f"unique ({_columns(columns)}) missing on {table.qualified}", table)
    for fk in details.get("foreign_keys") or []:
        target: ObjectRef = fk["target"]
        if not out.check("keys", ("f", frozenset(fk["columns"]), (target.schema, target.name)) in present):
            _invalid(
                out,
                where,
                f"foreign key ({_columns(fk['columns'])}) -> {target.qualified} missing on {table.qualified}",
                table,
            )


def _columns(names: list[str]) -> str:
    return ", ".join(quote_ident(name) for name in names)


def _check_rls(
    conn: psycopg.Connection, table: ObjectRef, where: Location, out: Collector, later: RlsRemedy | None
) -> None:
    """`later`: a later migration of the run enables it or drops the table (as rls-enabled, a warning: the
    window is between)."""
    row = conn.execute(_RLS, {"schema": table.schema, "name": table.name}).fetchone()
    # a table no API role reaches (its schema's USAGE revoked) is exposed to nobody
    if not row or out.check("rls", bool(row[0]) or not row[1]):
        return
    message = f"row level security is not enabled on {table.qualified} (pg_tables.rowsecurity is false); "
    hint = f"add `alter table {table.qualified} enable row level security;` and policies"
    if later is None:
        _invalid(out, where, message + "every API role can read and write all of its rows", table, hint)
        return
    message += f"until {later.where()} {later.does} it, every API role can read and write all of its rows"
    out.add(VALIDATION, Severity.WARNING, where, message, hint + " in this migration", table.qualified)


def _check_policy(
    conn: psycopg.Connection, ref: ObjectRef, details: dict, where: Location, out: Collector
) -> None:
    row = conn.execute(_POLICY, {"schema": ref.schema, "table": ref.table, "name": ref.name}).fetchone()
    if row is None:
        out.check("policies", False)
        _invalid(out, where, f"{ref.display()} does not exist in pg_policies after the migration", ref)
        return
    problems = _policy_problems(ref, details, row)
    out.check("policies", not problems)
    for problem in problems:
        _invalid(out, where, problem, ref)


def _policy_problems(ref: ObjectRef, details: dict, row: tuple) -> list[str]:
    """How the policy in pg_policies differs from what the SQL declares."""
    problems = []
    command, roles, permissive = row
    wanted_command = str(details.get("command", "all")).upper()
    if command != wanted_command:
        problems.append(f"{ref.display()} is for {command}, the SQL declares {wanted_command}")
    wanted_roles = set(details.get("roles") or ["public"])
    symbolic = not wanted_roles.isdisjoint({"current_user", "session_user", "current_role"})
    if not symbolic and set(roles) != wanted_roles:
        problems.append(
            f"{ref.display()} applies to {', '.join(sorted(roles))}, "
            f"the SQL declares {', '.join(sorted(wanted_roles))}"
        )
    wanted_permissive = "PERMISSIVE" if details.get("permissive", True) else "RESTRICTIVE"
    if permissive != wanted_permissive:
        problems.append(f"{ref.display()} is {permissive}, the SQL declares {wanted_permissive}")
    return problems
