"""The advisor step: after each migration applies, the checker's own catalog queries look for the
conditions Supabase's database advisor (splinter) reports on a deployed project.

The static rules see what the SQL says; the catalog also shows what DO blocks, dynamic SQL and
functions made, and the baseline's objects. A condition is reported when the migration brought it
(it was not there before the migration ran), under the id of the static rule that mirrors the same
lint, and at that rule's location when the rule found it too (`checker check` then reports it once,
see checker/run.py). Otherwise it is located at the first statement naming the object (often the DO
block that made it), or at the start of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg

from checker.context import RuleContext
from checker.dynamic.collect import Collector, Location, at
from checker.findings import Severity
from checker.model.objects import ObjectRef, quote_ident
from checker.policy import Policy
from checker.rules import rule_by_id
from checker.rules._api_access import API_ROLES
from checker.rules._policies import CLIENT_ROLES, SUPABASE_SCHEMAS, deparsed_expression, role_guard
from checker.rules.column_reg_type import UNSUPPORTED
from checker.rules.rls_policy_auth_null import true_without_user
from checker.rules.sensitive_columns_exposed import SENSITIVE_NAMES
from checker.rules.storage_bucket_listing import EVERY_BUCKET, listed_bucket
from checker.suppress import find_suppressions

# Conditions only the catalog shows, with no static rule (described in checker/findings.py).
INDEX_INVALID = "index-invalid"
QUEUE_EXPOSED = "queue-exposed-in-api"
GRAPHQL_EXPOSED = "graphql-table-exposed"
_SKIPPED = sorted(
    SUPABASE_SCHEMAS | {"pg_catalog", "information_schema", "pg_toast", "pgmq", "supabase_migrations"}
)


@dataclass(frozen=True)
class Condition:
    rule: str
    severity: Severity
    object_name: str  # spelled as the static rule's Issue.object_name
    message: str
    hint: str
    name: str  # the bare name a statement creating the object mentions

    @property
    def key(self) -> tuple[str, str]:
        # functions: by name (argument types are spelled differently by the catalog and the parser)
        return self.rule, self.object_name.split("(", 1)[0]


Query = Callable[[psycopg.Connection, list[str]], Iterator[Condition]]


def _rows(conn: psycopg.Connection, query: str, params: dict) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def _qualified(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _role_reaches(role: str, privilege: str = "") -> str:
    """SQL: `role` reaches the relation `c` through the API and, given a privilege, holds it. PostgREST,
    pg_graphql and pgmq_public's functions (run as the caller) reach only schemas the role has USAGE on:
    hivecom's private schema, in the API's list with USAGE revoked, hides its tables whatever their grants
    (as rls-enabled judges it)."""
    reached = f"pg_catalog.has_schema_privilege('{role}', c.relnamespace, 'USAGE')"
    if privilege:
        reached += f" and pg_catalog.has_table_privilege('{role}', c.oid, '{privilege}')"
    return f"({reached})"


def api_reaches(privilege: str = "") -> str:
    """SQL: anon or authenticated reaches the relation `c` (_role_reaches)."""
    return "(" + " or ".join(_role_reaches(role, privilege) for role in API_ROLES) + ")"


_API_CAN_READ = api_reaches("SELECT")
# as Supabase's advisor asks since 2026 (0013 with has_table_privilege): a table whose privileges the API
# roles lost is reached by nobody
_API_CAN_READ_OR_WRITE = api_reaches("SELECT, INSERT, UPDATE, DELETE")
_NOT_EXTENSION_MEMBER = """not exists (select from pg_depend d
    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')"""


def _duplicate_indexes(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = f"""
        select n.nspname, c.relname, i.relname,
               first_value(i.relname) over (partition by x.indrelid, replace(pg_get_indexdef(i.oid),
                   quote_ident(i.relname), '') order by i.oid)
        from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname <> all(%(skipped)s) and c.relkind in ('r', 'm') and {_NOT_EXTENSION_MEMBER}
          and (x.indrelid, x.indkey::text) in (select indrelid, indkey::text from pg_index
                                               group by 1, 2 having count(*) > 1)"""
    # Only indexes sharing their table and columns with another can be identical: deparsing every
    # index of the database after each migration made this query grow with its size.
    for schema, table, index, first in _rows(conn, query, {"skipped": _SKIPPED}):
        if index != first:
            name = _qualified(schema, table)
            yield Condition(
                "index-duplicate",
                Severity.WARNING,
                f"{name}.{index}",
                f"index {index} on {name} is identical to {first}: every write updates both, and queries "
                "use only one",
                f"drop one of them: drop index {_qualified(schema, index)};",
                index,
            )


def _invalid_indexes(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = """
        select n.nspname, t.relname, i.relname from pg_index x
        join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        where not x.indisvalid and n.nspname <> all(%(skipped)s)"""
    for schema, table, index in _rows(conn, query, {"skipped": _SKIPPED}):
        name = _qualified(schema, table)
        yield Condition(
            INDEX_INVALID,
            Severity.WARNING,
            f"{name}.{index}",
            f"index {index} on {name} is invalid (its concurrent build failed): queries never use it, yet "
            "every write still updates it",
            f"drop index concurrently {_qualified(schema, index)}; then build it again",
            index,
        )


def _exposed_relations(kind: str, relkind: str, rule: str, why: str) -> Query:
    def query(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
        sql = f"""
            select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = %(relkind)s and n.nspname = any(%(exposed)s) and {_API_CAN_READ}
              and {_NOT_EXTENSION_MEMBER}"""
        for schema, relation in _rows(conn, sql, {"relkind": relkind, "exposed": exposed}):
            name = _qualified(schema, relation)
            yield Condition(
                rule,
                Severity.WARNING,
                name,
                f"{kind} {name} in exposed schema {schema} is readable by anon or authenticated through "
                f"the API, and {why}",
                f"create it in a schema the API does not expose, or: revoke select on {name} from anon, "
                "authenticated;",
                relation,
            )

    return query


def _reg_columns(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = """
        select n.nspname, c.relname, a.attname, t.typname from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_type t on t.oid = a.atttypid
        where t.typnamespace = 'pg_catalog'::regnamespace and t.typname = any(%(types)s)
          and c.relkind in ('r', 'p', 'm') and a.attnum > 0 and not a.attisdropped
          and n.nspname <> all(%(skipped)s)"""
    for schema, table, column, type_ in _rows(
        conn, query, {"types": sorted(UNSUPPORTED), "skipped": _SKIPPED}
    ):
        name = _qualified(schema, table)
        yield Condition(
            "column-reg-type",
            Severity.WARNING,
            f"{name}.{column}",
            f"column {name}.{column} has type {type_}: it stores an OID, which pg_upgrade cannot carry "
            "over, so the project can no longer be upgraded in place",
            "store the object's name as text instead",
            table,
        )


def _queues(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    if "pgmq_public" not in exposed:
        return
    query = f"""
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'pgmq' and c.relname like 'q\\_%%' and c.relkind in ('r', 'p')
          and not c.relrowsecurity and {_API_CAN_READ}"""
    for (queue,) in _rows(conn, query, {}):
        name = _qualified("pgmq", queue)
        yield Condition(
            QUEUE_EXPOSED,
            Severity.ERROR,
            name,
            f"queue table {name} has no row level security and anon or authenticated can read it: through "
            "pgmq_public's functions anyone with the key reads, sends and deletes its messages",
            f"alter table {name} enable row level security; and add policies for who may use the queue",
            queue,
        )


def _auth_unique_keys(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = """
        select n.nspname, c.relname, k.conname, r.relname from pg_constraint k
        join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_class r on r.oid = k.confrelid join pg_index i on i.indexrelid = k.conindid
        where k.contype = 'f' and r.relnamespace = 'auth'::regnamespace and i.indisunique
          and not i.indisprimary and n.nspname <> 'auth'"""
    for schema, table, key, target in _rows(conn, query, {}):
        name = _qualified(schema, table)
        yield Condition(
            "fk-auth-unique",
            Severity.ERROR,
            name,
            f"foreign key {key} of {name} references a unique constraint of auth.{target}: Supabase Auth's "
            "own migrations may change or drop it, and then they fail or the key breaks",
            f"reference auth.{target}(id) instead",
            table,
        )


def _tables_without_rls(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = f"""
        select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relrowsecurity and n.nspname = any(%(exposed)s)
          and {_API_CAN_READ_OR_WRITE} and {_NOT_EXTENSION_MEMBER}"""
    for schema, table in _rows(conn, query, {"exposed": exposed}):
        name = _qualified(schema, table)
        yield Condition(
            "rls-enabled",
            Severity.ERROR,
            name,
            f"table {name} has no row level security: anon and authenticated can read and write every "
            "row through the API",
            f"add: alter table {name} enable row level security;",
            table,
        )


def _sensitive_columns(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = f"""
        select n.nspname, c.relname, array_agg(a.attname::text order by a.attname) from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind = 'r' and not c.relrowsecurity and n.nspname = any(%(exposed)s) and {_API_CAN_READ}
          and replace(lower(a.attname), '-', '_') = any(%(names)s)
        group by n.nspname, c.relname"""
    for schema, table, columns in _rows(conn, query, {"exposed": exposed, "names": sorted(SENSITIVE_NAMES)}):
        name = _qualified(schema, table)
        yield Condition(
            "sensitive-columns-exposed",
            Severity.ERROR,
            name,
            f"table {name} has no row level security and holds {', '.join(columns)}: anon or authenticated "
            "can read every row of it through the API",
            f"alter table {name} enable row level security; and add policies for each user's rows",
            table,
        )


def _public_buckets(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    if conn.execute("select to_regclass('storage.buckets')").fetchone()[0] is None:
        return
    query = """
        select b.id, p.polname, pg_get_expr(p.polqual, p.polrelid) from storage.buckets b
        join pg_policy p on p.polrelid = 'storage.objects'::regclass
        where b.public and p.polpermissive and p.polcmd in ('r', '*')
          and (p.polroles && array[0, 'anon'::regrole, 'authenticated'::regrole]::oid[])"""
    for bucket, policy, qual in _rows(conn, query, {}):
        if _lists_bucket(qual, bucket):
            yield Condition(
                "storage-bucket-listing",
                Severity.WARNING,
                f"storage.objects.{policy}",
                f'public bucket {bucket} has the select policy "{policy}" on storage.objects, which lets '
                "clients list every file in it; a public bucket serves its files by URL without one",
                f'drop policy "{policy}" on storage.objects; or narrow it to the folders a user may list',
                policy,
            )


def _lists_bucket(qual: str | None, bucket: str) -> bool:
    tree = deparsed_expression(qual) if qual is not None else None
    guard = role_guard(tree) if tree is not None else None
    if guard is not None and not guard & CLIENT_ROLES:
        return False  # auth.role() = 'service_role': no API request lists anything
    return listed_bucket(tree) in (EVERY_BUCKET, bucket)


def _graphql_relations(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = f"""
        select n.nspname, c.relname, array_remove(array[
            case when {_graphql_readable("anon")} then 'anon' end,
            case when {_graphql_readable("authenticated")} then 'authenticated' end], null)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm', 'f') and n.nspname = any(%(exposed)s)"""
    for schema, relation, roles in _rows(conn, query, {"exposed": exposed}):
        if roles:
            name = _qualified(schema, relation)
            yield Condition(
                GRAPHQL_EXPOSED,
                Severity.INFO,
                name,
                f"{name} is listed in the GraphQL schema for {' and '.join(roles)}: its name, columns and "
                "relationships are visible to them (its rows stay behind row level security)",
                f"if it should not be discoverable: revoke select on {name} from {', '.join(roles)};",
                relation,
            )


def _graphql_readable(role: str) -> str:
    # one column the role may read lists the relation
    column = f"has_column_privilege('{role}', c.oid, a.attnum, 'SELECT')"
    return f"""{_role_reaches(role)} and exists (select from pg_attribute a where a.attrelid = c.oid
        and a.attnum > 0 and not a.attisdropped and {column})"""


def _definer_functions(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = """
        select n.nspname, p.proname,
               array_to_string(array(select format_type(t, null) from unnest(p.proargtypes) t), ', '),
               array_remove(array[
                   case when has_function_privilege('anon', p.oid, 'EXECUTE') then 'anon' end,
                   case when has_function_privilege('authenticated', p.oid, 'EXECUTE')
                        then 'authenticated' end
               ], null)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname = any(%(exposed)s)
          and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
          and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass
                          and d.objid = p.oid and d.deptype = 'e')"""
    for schema, function, args, roles in _rows(conn, query, {"exposed": exposed}):
        if roles:
            signature = f"{_qualified(schema, function)}({args})"
            yield Condition(
                "function-definer-exposed",
                Severity.WARNING,
                signature,
                f"security definer function {signature} runs with its owner's rights and "
                f"{' and '.join(roles)} can call it through /rest/v1/rpc/{function}",
                f"revoke execute on function {signature} from public, {', '.join(roles)};",
                function,
            )


def _null_auth_policies(conn: psycopg.Connection, exposed: list[str]) -> Iterator[Condition]:
    query = """
        select n.nspname, c.relname, p.polname, p.polcmd, pg_get_expr(p.polqual, p.polrelid),
               pg_get_expr(p.polwithcheck, p.polrelid)
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where p.polpermissive and (n.nspname = any(%(exposed)s) or n.nspname = 'storage')
          and p.polroles && array[0, 'anon'::regrole]::oid[]"""
    for schema, table, policy, command, qual, check in _rows(conn, query, {"exposed": exposed}):
        using = deparsed_expression(qual) if qual and command != "a" else None
        with_check = deparsed_expression(check) if check and command in ("a", "w", "*") else None
        if any(tree is not None and true_without_user(tree) for tree in (using, with_check)):
            name = _qualified(schema, table)
            yield Condition(
                "rls-policy-auth-null",
                Severity.ERROR,
                f"{name}.{policy}",
                f'policy "{policy}" on {name} is true whenever auth.uid() is null: every request without a '
                "signed-in user passes it, for every row",
                "test the user first (`auth.uid() is not null and ...`), or drop anon from its roles",
                policy,
            )


QUERIES: tuple[Query, ...] = (
    _duplicate_indexes,
    _invalid_indexes,
    _exposed_relations(
        "materialized view", "m", "materialized-view-in-api", "materialized views have no row level security"
    ),
    _exposed_relations(
        "foreign table", "f", "foreign-table-in-api", "foreign tables have no row level security"
    ),
    _reg_columns,
    _queues,
    _auth_unique_keys,
    _tables_without_rls,
    _sensitive_columns,
    _public_buckets,
    _graphql_relations,
    _definer_functions,
    _null_auth_policies,
)


def conditions(conn: psycopg.Connection, policy: Policy) -> dict[tuple[str, str], Condition]:
    exposed = list(policy.exposed_schemas)
    return {c.key: c for query in QUERIES for c in query(conn, exposed)}


@dataclass
class Advisor:
    """What the database already had: a migration is told only about the conditions it brought."""

    policy: Policy
    seen: set[tuple[str, str]] = field(default_factory=set)

    def start(self, admin: psycopg.Connection) -> None:
        self.seen = set(conditions(admin, self.policy))

    def advise(self, admin: psycopg.Connection, context: RuleContext, out: Collector) -> None:
        found = conditions(admin, self.policy)
        self.seen = _renamed(self.seen, context)
        new = [c for key, c in found.items() if key not in self.seen]
        self.seen |= set(found)
        if not new:
            return
        static = _static_locations(context, {c.rule for c in new})
        suppressions = find_suppressions(context.migration)
        for condition in new:
            found_statically = static.get(condition.key)
            where, index, severity = found_statically or (*_mentioning(context, condition.name), None)
            if suppressions.covers(condition.rule, index):
                continue
            out.add(
                condition.rule,
                severity or condition.severity,
                where,
                condition.message,
                condition.hint,
                condition.object_name,
            )


def _renamed(seen: set[tuple[str, str]], context: RuleContext) -> set[tuple[str, str]]:
    """The conditions already there, under the names the migration's RENAME and SET SCHEMA give their
    objects: a table that lacked row level security before is not the migration's doing once renamed
    (nor is rls-enabled's static check, which judges only the tables a migration creates)."""
    for effects in context.migration_effects:
        for old, new in [(old, old._replace(name=name)) for old, name in effects.renames] + [
            (old, old._replace(schema=schema)) for old, schema in effects.moves
        ]:
            before, after = _condition_name(old), _condition_name(new)
            if before == after or not new.name:
                continue
            moved = {(rule, name) for rule, name in seen if name == before or name.startswith(before + ".")}
            seen = (seen - moved) | {(rule, after + name[len(before) :]) for rule, name in moved}
    return seen


def _condition_name(ref: ObjectRef) -> str:
    """An object's name as a Condition's key spells it: schema.relation, schema.function, and a table's
    member (column, policy, index) after its table."""
    if ref.kind == "schema":
        return quote_ident(ref.name)
    if ref.table:
        return f"{_qualified(ref.schema, ref.table)}.{ref.name}"
    return _qualified(ref.schema, ref.name)


def _static_locations(
    context: RuleContext, rules: set[str]
) -> dict[tuple[str, str], tuple[Location, int | None, Severity | None]]:
    """Where the static rules put the same conditions, so that both stages name one place, and the
    severity a static rule gave the case (a table a later migration enables RLS on: a warning)."""
    found: dict[tuple[str, str], tuple[Location, int | None, Severity | None]] = {}
    for rule_id in rules:
        rule = rule_by_id(rule_id)
        if rule is None:
            continue
        for issue in rule.check(context):
            if issue.object_name:
                key = (issue.rule_id or rule.id, issue.object_name.split("(", 1)[0])
                where = at(issue.statement, issue.location)
                found.setdefault(key, (where, issue.statement.index, issue.severity))
    return found


def _mentioning(context: RuleContext, name: str) -> tuple[Location, int | None]:
    """The first statement whose text names the object (a DO block, a function call), else the file."""
    statements = context.migration.statements
    wanted = name.lower()
    for statement in statements:
        if wanted in statement.text.lower():
            return at(statement), statement.index
    if statements:
        return at(statements[0]), None
    return (context.migration.path, 1, 1), None


