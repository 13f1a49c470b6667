"""A snapshot of the user-visible catalog, and the differences between two snapshots.

Used to check that a rollback really undoes its migration: snapshot, migrate, roll back, snapshot
again, and every difference is something the rollback left behind or dropped. The seed's objects are
captured too, since a careless rollback can drop them as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.dynamic.scope import Scope

EXCLUDED_SCHEMAS = ["pg_catalog", "information_schema", "pg_toast"]

# A schema we look at: not a system one, and not a session's temp schema.
USER_SCHEMA = "n.nspname <> all (%(excluded)s) and n.nspname !~ '^pg_(toast_)?temp_'"


def _not_extension_member(catalog: str, oid: str) -> str:
    """Objects an extension installs are covered by the extension itself."""
    return (
        "not exists (select from pg_catalog.pg_depend d where d.classid = "
        f"'{catalog}'::regclass and d.objid = {oid} and d.deptype = 'e')"
    )


QUALIFIED = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
TYPE_NAME = "quote_ident(n.nspname) || '.' || quote_ident(t.typname)"

# Each query yields: identity, parent (the object whose removal implies this one's), then attributes.
QUERIES: dict[str, str] = {
    "schema": f"""
        select quote_ident(n.nspname) as identity, null as parent,
               pg_get_userbyid(n.nspowner) as owner, n.nspacl::text as acl
        from pg_catalog.pg_namespace n where {USER_SCHEMA}""",
    "extension": """
        select quote_ident(e.extname) as identity, null as parent,
               e.extversion as version, n.nspname as schema
        from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace""",
    "table": f"""
        select {QUALIFIED} as identity, null as parent, c.relkind::text as relkind,
               pg_get_userbyid(c.relowner) as owner, c.relrowsecurity as row_security,
               c.relforcerowsecurity as force_row_security, c.relacl::text as grants
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'f') and {USER_SCHEMA}
          and {_not_extension_member("pg_class", "c.oid")}""",
    "column": f"""
        select {QUALIFIED} || '.' || quote_ident(a.attname) as identity, 'table ' || {QUALIFIED} as parent,
               format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
               pg_get_expr(ad.adbin, ad.adrelid) as default, a.attgenerated::text as generated,
               a.attidentity::text as identity_column, a.attacl::text as grants
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        where c.relkind in ('r', 'p', 'f') and a.attnum > 0 and not a.attisdropped and {USER_SCHEMA}
          and {_not_extension_member("pg_class", "c.oid")}""",
    "type": f"""
        select {TYPE_NAME} as identity, null as parent,
               t.typtype::text as typtype, pg_get_userbyid(t.typowner) as owner,
               case t.typtype
                 when 'e' then (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                                from pg_catalog.pg_enum e where e.enumtypid = t.oid)
                 when 'd' then format_type(t.typbasetype, t.typtypmod)
                               || case when t.typnotnull then ' not null' else '' end
                               || coalesce(' default ' || t.typdefault, '')
                 when 'c' then (select string_agg(quote_ident(a.attname) || ' '
                                                  || format_type(a.atttypid, a.atttypmod), ', '
                                                  order by a.attnum)
                                from pg_catalog.pg_attribute a
                                where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)
                 when 'r' then (select format_type(r.rngsubtype, null)
                                from pg_catalog.pg_range r where r.rngtypid = t.oid)
               end as definition
        from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
        where {USER_SCHEMA} and t.typcategory <> 'A' and t.typtype in ('b', 'c', 'd', 'e', 'r')
          and (t.typrelid = 0 or (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c')
          and {_not_extension_member("pg_type", "t.oid")}""",
    "constraint": f"""
        select quote_ident(co.conname) || ' on '
                 || coalesce({QUALIFIED}, 'domain ' || {TYPE_NAME}) as identity,
               coalesce('table ' || {QUALIFIED}, 'type ' || {TYPE_NAME}) as parent,
               co.contype::text as type, pg_get_constraintdef(co.oid) as definition
        from pg_catalog.pg_constraint co
        join pg_catalog.pg_namespace n on n.oid = co.connamespace
        left join pg_catalog.pg_class c on c.oid = co.conrelid and co.conrelid <> 0
        left join pg_catalog.pg_type t on t.oid = co.contypid and co.contypid <> 0
        where {USER_SCHEMA} and {_not_extension_member("pg_constraint", "co.oid")}
          and (c.oid is null or {_not_extension_member("pg_class", "c.oid")})
          and (t.oid is null or {_not_extension_member("pg_type", "t.oid")})""",
    "index": f"""
        select quote_ident(n.nspname) || '.' || quote_ident(i.relname) as identity,
               'table ' || {QUALIFIED} as parent, pg_get_indexdef(x.indexrelid) as definition
        from pg_catalog.pg_index x
        join pg_catalog.pg_class i on i.oid = x.indexrelid
        join pg_catalog.pg_class c on c.oid = x.indrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where {USER_SCHEMA} and {_not_extension_member("pg_class", "c.oid")}""",
    "function": f"""
        select quote_ident(n.nspname) || '.' || quote_ident(p.proname)
                 || '(' || pg_get_function_identity_arguments(p.oid) || ')' as identity, null as parent,
               p.prokind::text as kind, pg_get_function_result(p.oid) as result,
               pg_get_userbyid(p.proowner) as owner, p.proacl::text as grants,
               case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) end as definition
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where {USER_SCHEMA} and {_not_extension_member("pg_proc", "p.oid")}""",
    "policy": f"""
        select quote_ident(p.polname) || ' on ' || {QUALIFIED} as identity, 'table ' || {QUALIFIED} as parent,
               case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE'
                             when 'd' then 'DELETE' else 'ALL' end as command,
               p.polpermissive as permissive,
               (select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end, ', ' order by 1)
                from unnest(p.polroles) r) as roles,
               pg_get_expr(p.polqual, p.polrelid) as qual,
               pg_get_expr(p.polwithcheck, p.polrelid) as with_check
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where {USER_SCHEMA}""",
    "trigger": f"""
        select quote_ident(tg.tgname) || ' on ' || {QUALIFIED} as identity, 'table ' || {QUALIFIED} as parent,
               pg_get_triggerdef(tg.oid) as definition, tg.tgenabled::text as enabled
        from pg_catalog.pg_trigger tg
        join pg_catalog.pg_class c on c.oid = tg.tgrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where not tg.tgisinternal and {USER_SCHEMA}""",
    "view": f"""
        select {QUALIFIED} as identity, null as parent, c.relkind::text as relkind,
               pg_get_userbyid(c.relowner) as owner, c.relacl::text as grants,
               pg_get_viewdef(c.oid) as definition
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('v', 'm') and {USER_SCHEMA} and {_not_extension_member("pg_class", "c.oid")}""",
    "sequence": f"""
        select {QUALIFIED} as identity,
               (select 'table ' || quote_ident(tn.nspname) || '.' || quote_ident(t.relname)
                from pg_catalog.pg_depend d
                join pg_catalog.pg_class t on t.oid = d.refobjid
                join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
                where d.classid = 'pg_class'::regclass and d.objid = c.oid
                  and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
                limit 1) as parent,
               format_type(s.seqtypid, null) as type, s.seqstart as start, s.seqincrement as increment,
               s.seqmin as min, s.seqmax as max, s.seqcycle as cycle,
               pg_get_userbyid(c.relowner) as owner, c.relacl::text as grants
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_sequence s on s.seqrelid = c.oid
        where {USER_SCHEMA} and {_not_extension_member("pg_class", "c.oid")}""",
    "default privileges": """
        select 'for role ' || pg_get_userbyid(da.defaclrole)
                 || coalesce(' in schema ' || quote_ident(n.nspname), '')
                 || ' on ' || case da.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences'
                                 when 'f' then 'functions' when 'T' then 'types' when 'n' then 'schemas'
                                 else da.defaclobjtype::text end as identity,
               null as parent, da.defaclacl::text as grants
        from pg_catalog.pg_default_acl da
        left join pg_catalog.pg_namespace n on n.oid = da.defaclnamespace""",
}

KIND_ORDER = {kind: position for position, kind in enumerate(QUERIES)}

_IN_SCHEMAS = "n.nspname = any(%(schemas)s)"
# Relations that belong to a named one (its indexes, serial and identity sequences): one lookup per
# query through pg_depend's index, not one per catalog row.
_OWNED_BY_NAMED = """c.oid = any (array(
    select d.objid from pg_catalog.pg_depend d join pg_catalog.pg_class o on o.oid = d.refobjid
    where d.refclassid = 'pg_catalog.pg_class'::regclass and d.classid = d.refclassid
      and d.deptype in ('a', 'i') and o.relname = any(%(names)s)))"""

# Indexes on a named table (a constraint's index depends on the constraint, not on the table).
_INDEX_OF_NAMED = """x.oid = any (array(
    select i.indexrelid from pg_catalog.pg_index i join pg_catalog.pg_class t on t.oid = i.indrelid
    where t.relname = any(%(names)s)))"""

# A scoped snapshot (scope.py) keeps the objects named in the files, or on a table they name, or in a
# schema they take whole. Extensions and default privileges are few: always read whole.
SCOPE_FILTERS: dict[str, str] = {
    "schema": "n.nspname = any(%(names)s)",
    "table": "c.relname = any(%(names)s)",
    "column": "c.relname = any(%(names)s)",
    "type": "t.typname = any(%(names)s)",
    "constraint": "co.conname = any(%(names)s) or c.relname = any(%(names)s) or t.typname = any(%(names)s)",
    "index": "i.relname = any(%(names)s) or c.relname = any(%(names)s)",
    "function": "p.proname = any(%(names)s)",
    "policy": "p.polname = any(%(names)s) or c.relname = any(%(names)s)",
    "trigger": "tg.tgname = any(%(names)s) or c.relname = any(%(names)s)",
    "view": "c.relname = any(%(names)s)",
    "sequence": f"c.relname = any(%(names)s) or {_OWNED_BY_NAMED}",
}


@dataclass(frozen=True)
class CatalogObject:
    kind: str
    identity: str
    parent: str | None  # "table public.t": removed along with it, so not reported on its own
    attributes: tuple[tuple[str, str], ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.identity)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.identity}"


@dataclass(frozen=True)
class Snapshot:
    objects: Mapping[tuple[str, str], CatalogObject] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.objects)

    def labels(self) -> set[str]:
        return {obj.label for obj in self.objects.values()}


@dataclass(frozen=True, order=True)
class Difference:
    kind: str
    identity: str
    change: str  # "left behind" (only after), "dropped" (only before), "changed"
    message: str


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _objects(conn: Any, kind: str, query: str, scope: Scope | None) -> Iterable[CatalogObject]:
    params: dict[str, Any] = {"excluded": EXCLUDED_SCHEMAS}
    if scope is not None and not scope.whole and kind in SCOPE_FILTERS:
        query += f" and ({_IN_SCHEMAS} or {SCOPE_FILTERS[kind]})"
        params.update(scope.params())
    cursor = conn.execute(query, params)
    names = [column.name for column in cursor.description]
    for row in cursor.fetchall():
        attributes = tuple((name, _text(value)) for name, value in zip(names[2:], row[2:], strict=True))
        yield CatalogObject(kind, row[0], row[1], attributes)


def take_snapshot(conn: Any, scope: Scope | None = None) -> Snapshot:
    """Read the catalog of the database `conn` is connected to (runs read-only queries only);
    with a scope, only the objects in it."""
    objects: dict[tuple[str, str], CatalogObject] = {}
    for kind, query in QUERIES.items():
        for obj in _objects(conn, kind, query, scope):
            objects[obj.key] = obj
    return Snapshot(objects)


def _describe(name: str, before: str, after: str) -> str:
    """Short values are shown; long or multi-line ones (function bodies) are only named."""
    if len(before) + len(after) > 120 or "\n" in before + after:
        return f"{name} differs"
    return f"{name} {before} -> {after}"


def _changed(before: CatalogObject, after: CatalogObject) -> Difference | None:
    old, new = dict(before.attributes), dict(after.attributes)
    changes = [
        _describe(name, old.get(name, "none"), new.get(name, "none"))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
    if not changes:
        return None
    message = f"{before.label} changed: " + "; ".join(changes)
    return Difference(before.kind, before.identity, "changed", message)


def _one_sided(only: dict[tuple[str, str], CatalogObject], change: str) -> list[Difference]:
    """Objects on one side only, minus those whose parent table went the same way."""
    gone_too = {obj.label for obj in only.values()}
    return [
        Difference(obj.kind, obj.identity, change, f"{obj.label} {change}")
        for obj in only.values()
        if obj.parent is None or obj.parent not in gone_too
    ]


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[Difference]:
    """What differs from `before` to `after`, in a stable order (by kind, then identity)."""
    added = {key: obj for key, obj in after.objects.items() if key not in before.objects}
    removed = {key: obj for key, obj in before.objects.items() if key not in after.objects}
    differences = _one_sided(added, "left behind") + _one_sided(removed, "dropped")
    for key in before.objects.keys() & after.objects.keys():
        changed = _changed(before.objects[key], after.objects[key])
        if changed:
            differences.append(changed)
    return sorted(differences, key=lambda d: (KIND_ORDER.get(d.kind, len(KIND_ORDER)), d.identity, d.change))


# --- a fingerprint of what exists outside a scope ---------------------------------------------------

# Per catalog: its rows (joined to their namespace `n`), which of them to count, and which are in a scope.
_NAMED_TABLE = "c.relname = any(%(names)s)"
_FINGERPRINTED: dict[str, tuple[str, str, str]] = {
    "pg_namespace": (
        "pg_catalog.pg_namespace x join pg_catalog.pg_namespace n on n.oid = x.oid",
        "true",
        "x.nspname = any(%(names)s)",
    ),
    "pg_class": (
        "pg_catalog.pg_class x join pg_catalog.pg_namespace n on n.oid = x.relnamespace",
        "x.relkind <> 't'",
        "x.relname = any(%(names)s) or (x.relkind in ('i', 'I', 'S') and ("
        + _OWNED_BY_NAMED.replace("c.oid", "x.oid")
        + " or "
        + _INDEX_OF_NAMED
        + "))",
    ),
    "pg_type": (
        "pg_catalog.pg_type x join pg_catalog.pg_namespace n on n.oid = x.typnamespace",
        "x.typrelid = 0 and x.typcategory <> 'A'",  # row types count as their relation
        "x.typname = any(%(names)s)",
    ),
    "pg_proc": (
        "pg_catalog.pg_proc x join pg_catalog.pg_namespace n on n.oid = x.pronamespace",
        "true",
        "x.proname = any(%(names)s)",
    ),
    "pg_constraint": (
        "pg_catalog.pg_constraint x join pg_catalog.pg_namespace n on n.oid = x.connamespace"
        " left join pg_catalog.pg_class c on c.oid = x.conrelid"
        " left join pg_catalog.pg_type t on t.oid = x.contypid",
        "true",
        f"x.conname = any(%(names)s) or {_NAMED_TABLE} or t.typname = any(%(names)s)",
    ),
    "pg_policy": (
        "pg_catalog.pg_policy x join pg_catalog.pg_class c on c.oid = x.polrelid"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
        "true",
        f"x.polname = any(%(names)s) or {_NAMED_TABLE}",
    ),
    "pg_trigger": (
        "pg_catalog.pg_trigger x join pg_catalog.pg_class c on c.oid = x.tgrelid"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
        "not x.tgisinternal",
        f"x.tgname = any(%(names)s) or {_NAMED_TABLE}",
    ),
    "pg_attrdef": (
        "pg_catalog.pg_attrdef x join pg_catalog.pg_class c on c.oid = x.adrelid"
        " join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
        "true",
        _NAMED_TABLE,
    ),
}


def _outside(catalog: str, select: str) -> str:
    rows, counted, in_scope = _FINGERPRINTED[catalog]
    return (
        f"select {select} from {rows} where {USER_SCHEMA} and {counted}"
        f" and not coalesce({_IN_SCHEMAS} or {in_scope}, false)"
    )


_FINGERPRINT = " union all ".join(
    _outside(catalog, f"'{catalog}', count(*), coalesce(sum(x.oid::int8), 0), coalesce(max(x.oid::int8), 0)")
    for catalog in _FINGERPRINTED
)


@dataclass(frozen=True)
class Fingerprint:
    """Which objects exist outside a scope: per catalog, their count, oid sum and largest oid. Objects
    created and dropped again leave it unchanged; one left behind or dropped changes it (oids are never
    reused within a run). Attribute changes outside the scope are not seen: code the model cannot
    read makes the scope whole instead."""

    scope: Scope
    counts: Mapping[str, tuple[int, int, int]]


def take_fingerprint(conn: Any, scope: Scope) -> Fingerprint:
    params = {"excluded": EXCLUDED_SCHEMAS, **scope.params()}
    rows = conn.execute(_FINGERPRINT, params).fetchall()
    return Fingerprint(scope, {catalog: (count, total, top) for catalog, count, total, top in rows})


def diff_fingerprints(conn: Any, before: Fingerprint, after: Fingerprint) -> list[Difference]:
    """Objects outside the scope created or dropped between the two: new ones named, dropped ones counted."""
    differences = []
    params = {"excluded": EXCLUDED_SCHEMAS, **before.scope.params()}
    for catalog, (count, total, top) in before.counts.items():
        now = after.counts.get(catalog, (0, 0, 0))
        if (count, total) == now[:2]:
            continue
        identify = f"pg_catalog.pg_identify_object('pg_catalog.{catalog}'::regclass, x.oid, 0)"
        describe = f"({identify}).type || ' ' || ({identify}).identity"
        query = _outside(catalog, describe)
        new = [row[0] for row in conn.execute(f"{query} and x.oid::int8 > %(top)s", {**params, "top": top})]
        for described in sorted(new):
            message = f"{described} left behind (outside the objects the migration and its rollback name)"
            differences.append(Difference("object", described, "left behind", message))
        dropped = count - (now[0] - len(new))
        if dropped > 0:
            what = f"{dropped} object(s) of {catalog}"
            message = f"{what} dropped (outside the objects the migration and its rollback name)"
            differences.append(Difference("object", what, "dropped", message))
    return differences
