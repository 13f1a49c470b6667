"""What the API roles can reach once a migration has run: Supabase's default privileges grant every
table, view and function in an exposed schema to anon and authenticated, so only a REVOKE in the
migration takes that away; a schema the project makes, though, they may use only once granted USAGE.
Shared by the rules mirroring the advisor's exposure lints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from checker.context import RuleContext
from checker.model import ObjectRef
from checker.model.effects import API_ROLES, grantee
from checker.model.objects import object_with_args, range_var
from checker.parse import Statement

_RELATION_KINDS = frozenset({"table", "view", "materialized view", "foreign table"})


def api_roles_left(ctx: RuleContext, ref: ObjectRef, privilege: str) -> list[str]:
    """The API roles still holding `privilege` on `ref` at the migration's end (GRANT and REVOKE in
    order). Revoking from PUBLIC alone is not enough on Supabase: the roles hold direct grants."""
    holders = set(API_ROLES)
    for statement in _grants_by_name(ctx).get((ref.schema, ref.name), ()):
        for roles, is_grant in _privilege_changes(statement, ref, privilege):
            holders = holders | roles if is_grant else holders - roles
    return [role for role in API_ROLES if role in holders]


def _grants_by_name(ctx: RuleContext) -> dict[tuple[str, str], list[Statement]]:
    """The migration's GRANT and REVOKE statements, in order, under each (schema, name) they name:
    `_names` matches only an object of that schema and name, so the others need not be read."""
    key = "api access: grants by name"
    if key not in ctx.unit.memo:
        found: dict[tuple[str, str], list[Statement]] = defaultdict(list)
        for statement in ctx.migration.statements:
            if statement.kind == "GrantStmt" and statement.node.get("targtype") == "ACL_TARGET_OBJECT":
                for name in dict.fromkeys(_named(statement.node)):  # each statement once per name
                    found[name].append(statement)
        ctx.unit.memo[key] = found
    return ctx.unit.memo[key]


def _named(node: dict) -> Iterator[tuple[str, str]]:
    objtype = node.get("objtype")
    for obj in node.get("objects", []):
        if objtype in ("OBJECT_FUNCTION", "OBJECT_ROUTINE") and "ObjectWithArgs" in obj:
            yield object_with_args(obj["ObjectWithArgs"])[1:3]
        elif objtype == "OBJECT_TABLE" and "RangeVar" in obj:
            yield range_var(obj["RangeVar"])[1:3]
        elif objtype == "OBJECT_SCHEMA" and "String" in obj:
            yield "", obj["String"]["sval"]


def _privilege_changes(
    statement: Statement, ref: ObjectRef, privilege: str
) -> Iterator[tuple[set[str], bool]]:
    node = statement.node
    if statement.kind != "GrantStmt" or node.get("targtype") != "ACL_TARGET_OBJECT":
        return
    privileges = {p["AccessPriv"].get("priv_name") for p in node.get("privileges", []) if "AccessPriv" in p}
    if privileges and privilege not in privileges:
        return  # no list means ALL PRIVILEGES
    if not any(_names(obj, node.get("objtype"), ref) for obj in node.get("objects", [])):
        return
    roles = {grantee(item.get("RoleSpec", {})) for item in node.get("grantees", [])}
    yield roles & set(API_ROLES), bool(node.get("is_grant"))


def revokes(statement: Statement, ref: ObjectRef, privilege: str, role: str) -> bool:
    """Whether the statement revokes the privilege on the object from the API role (by name: PUBLIC alone
    leaves Supabase's direct grants)."""
    changes = _privilege_changes(statement, ref, privilege)
    return any(not is_grant and role in roles for roles, is_grant in changes)


def _names(obj: dict, objtype: str | None, ref: ObjectRef) -> bool:
    if objtype in ("OBJECT_FUNCTION", "OBJECT_ROUTINE") and "ObjectWithArgs" in obj:
        return object_with_args(obj["ObjectWithArgs"], ref.kind).matches(ref)
    if objtype == "OBJECT_TABLE" and "RangeVar" in obj and ref.kind in _RELATION_KINDS:
        found = range_var(obj["RangeVar"])
        return (found.schema, found.name) == (ref.schema, ref.name)
    if objtype == "OBJECT_SCHEMA" and "String" in obj and ref.kind == "schema":
        return obj["String"]["sval"] == ref.name
    return False


def schema_reached(ctx: RuleContext, schema: str) -> bool:
    """Whether an API role may still use the schema at the migration's end. A schema the project made
    grants nothing until its migrations grant USAGE (the model follows those grants); Supabase's own
    (public) lose it only to a REVOKE USAGE in the migration."""
    ref = ObjectRef("schema", "", schema)
    made = ctx.after.find(ref)
    usage = (
        [made.details[key] for key in (f"usage {r}" for r in API_ROLES) if key in made.details]
        if made
        else []
    )
    if usage:
        return any(usage)
    return bool(api_roles_left(ctx, ref, "usage"))


def created_exposed(ctx: RuleContext, kind: str) -> Iterator[tuple[ObjectRef, Statement, int | None]]:
    """Objects of a kind the migration creates in an exposed schema the API roles may use, and leaves."""
    for ref, (statement, location) in ctx.created_by_migration().items():
        if ref.kind != kind or not ctx.is_exposed(ref) or ctx.after.find(ref) is None:
            continue
        if schema_reached(ctx, ref.schema):
            yield ref, statement, location
