"""Row level security policies as the RLS rules see them, and what their expressions say.

A policy comes from a CREATE POLICY statement (its `Created` effect) or from the catalog (a
baseline or earlier policy). Expressions are libpg_query JSON trees; the helpers below answer
the questions several rules share: which columns a policy ties to auth.uid(), which calls run
once per row, and whether a write is held to the row's owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Set
from dataclasses import dataclass, replace
from functools import cached_property

from pglast import parser as pg

from checker.context import RuleContext
from checker.findings import FIX_HERE_TOO, Severity
from checker.model import Catalog, CatalogObject, Effects, ObjectRef
from checker.model.builtin_functions import is_builtin_function
from checker.model.extension_members import any_brings
from checker.model.objects import function_ref, range_var, strings
from checker.model.walk import TreeFacts, clause_facts, clause_nodes, find_nodes, first_location
from checker.parse import Fact, Statement, sql_tree
from checker.rules.base import Issue

COMMANDS = ("select", "insert", "update", "delete")
CLIENT_ROLES = frozenset({"anon", "authenticated", "public"})  # the roles PostgREST requests run as
# Roles with BYPASSRLS on Supabase: their policies are never evaluated.
BYPASS_ROLES = frozenset({"service_role", "postgres", "supabase_admin"})
# Functions that read the request's JWT; STABLE, so a scalar subquery lets them run once per statement.
PER_ROW_FUNCTIONS = frozenset(
    {("auth", "uid"), ("auth", "jwt"), ("auth", "role"), ("auth", "email"), ("", "current_setting")}
)
# Tables whose rows are users: a column referencing one of them names the owner of a row.
AUTH_USERS = ObjectRef("table", "auth", "users")
USER_TABLES = frozenset(
    {AUTH_USERS, ObjectRef("table", "public", "users"), ObjectRef("table", "public", "profiles")}
)
# Who wrote, last touched or acted on a row (created_by, updatedBy, last_modified_by_id, resolved_by): an
# audit trail, not ownership; a project's rows often reference their author while the whole team may edit
# them, and a bug report names the staff member who resolved it.
_AUDIT_COLUMN = re.compile(
    r"(last_?)?(created|updated|modified|deleted|inserted|changed|edited|archived|approved|reviewed"
    r"|resolved|closed|completed|verified|processed|published|rejected|cancell?ed|handled|revoked"
    r"|acknowledged|assigned|confirmed|uploaded|entered|recorded|added|applied|performed)_?by"
    r"(_?(id|user|user_?id))?"
)
_BUILTIN_SCHEMAS = frozenset({"pg_catalog", "auth", "extensions"})
# Storage's files: the Storage API records the uploader in owner_id (text; owner, uuid, before it).
STORAGE_OBJECTS = ObjectRef("table", "storage", "objects")
# Schemas Supabase owns: storage.objects carries one set of policies per bucket by design.
SUPABASE_SCHEMAS = frozenset(
    {
        "auth",
        "storage",
        "realtime",
        "extensions",
        "graphql",
        "graphql_public",
        "vault",
        "pgsodium",
        "net",
        "supabase_functions",
        "cron",
    }
)


@dataclass(frozen=True)
class PolicyDef:
    name: str
    table: ObjectRef
    command: str  # all | select | insert | update | delete
    roles: tuple[str, ...]  # "public" when the policy has no TO clause or says TO public
    roles_given: bool  # False: no TO clause at all
    permissive: bool
    using: dict | None
    with_check: dict | None
    statement: Statement | None  # None: a policy the model knows without its statement
    location: int | None  # byte offset of the table name in CREATE POLICY

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(COMMANDS) if self.command == "all" else frozenset({self.command})

    @cached_property  # several rules ask, and the definition does not change (a frozen dataclass)
    def client_roles(self) -> frozenset[str]:
        """The API roles the policy lets in: its TO list, narrowed by a guard such as
        auth.role() = 'service_role' that every row must pass."""
        roles = frozenset(self.roles) & CLIENT_ROLES
        for tree in (self.using, self.with_check):
            guard = role_guard(tree)
            if guard is not None:
                roles = roles & guard if "public" not in roles else guard & CLIENT_ROLES
        return roles

    @property
    def grants_nothing(self) -> bool:
        """A policy without the expression its commands need, or with `false` there, admits no row:
        PostgreSQL takes a missing USING (or an INSERT's missing WITH CHECK) as no permission."""
        using, check = _admits(self.using), _admits(self.with_check)
        if self.command == "insert":
            return not check
        if self.command == "all":
            return not using and not check
        return not using

    def display(self) -> str:
        return f'policy "{self.name}" on {self.table.qualified}'


def _admits(tree: dict | None) -> bool:
    """Whether an expression can admit a row at all: not missing, not `false`."""
    return tree is not None and not is_false(tree)


def _policy(ref: ObjectRef, details: dict, statement: Statement | None, location: int | None) -> PolicyDef:
    return PolicyDef(
        name=ref.name,
        table=ref.table_ref,  # type: ignore[arg-type]
        command=details.get("command", "all"),
        roles=tuple(details.get("roles", ["public"])),  # as stored: the parser folded unquoted names
        roles_given=bool(details.get("roles_given")),
        permissive=bool(details.get("permissive")),
        using=details.get("using"),
        with_check=details.get("with_check"),
        statement=statement,
        location=location,
    )


def from_catalog(obj: CatalogObject) -> PolicyDef:
    statement = obj.created_by
    location = _POLICY_HEAD(statement)[1].get("location") if statement is not None else None
    return _policy(obj.ref, obj.details, statement, location)


def _read_policy_head(node: dict) -> tuple[str, dict]:
    return node.get("policy_name", ""), node.get("table", {})


_POLICY_HEAD = Fact(_read_policy_head, "CreatePolicyStmt", "AlterPolicyStmt")


def policy_table(statement: Statement) -> dict:
    """The RangeVar of the table a CREATE or ALTER POLICY names, as written."""
    return _POLICY_HEAD(statement)[1]


def policy_head(statement: Statement) -> tuple[str, ObjectRef, int | None]:
    """The name, the table and where the table is written of a CREATE or ALTER POLICY."""
    name, table = _POLICY_HEAD(statement)
    return name, range_var(table), table.get("location")


def migration_policies(ctx: RuleContext) -> Iterator[PolicyDef]:
    """Every policy the migration creates, as it stands once the migration has run (a later ALTER
    POLICY counts; one dropped again does not), located at its CREATE POLICY. Read once per
    migration: six rules ask."""
    key = "policies: created by the migration"
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = list(_migration_policies(ctx))
    yield from ctx.unit.memo[key]


def _migration_policies(ctx: RuleContext) -> Iterator[PolicyDef]:
    for effects in ctx.migration_effects:
        for created in effects.creates:
            final = ctx.after.find(created.ref) if created.ref.kind == "policy" else None
            if final is not None and final.created_by is effects.statement:
                yield _policy(created.ref, final.details, effects.statement, created.location)


def replaced_later(ctx: RuleContext, policy: PolicyDef) -> Statement | None:
    """The first statement of a later migration of the run that drops the policy (or its table) or gives it
    other expressions: one push ships both, so what this migration leaves open lasts until that one runs
    (an ALTER POLICY of its roles alone keeps the expressions, and the finding)."""
    return policy_replaced_later(ctx, policy.table, policy.name)


def policy_replaced_later(ctx: RuleContext, table: ObjectRef, name: str) -> Statement | None:
    """replaced_later, of the policy of that name on the table."""
    ref = ObjectRef("policy", table.schema, name, table.name)

    def replaces(effects: Effects) -> bool:
        dropped = any(drop.ref in (ref, table) for drop in effects.drops)
        rewritten = (changed == ref and _EXPRESSIONS & change.keys() for changed, change in effects.changes)
        return dropped or any(rewritten)

    return ctx.later(replaces)


_EXPRESSIONS = frozenset({"using", "with_check"})


def until_replaced(issue: Issue, by: Statement | None) -> Issue:
    """A policy's issue as a warning naming the later statement that drops or alters the policy."""
    if by is None or issue.severity is Severity.INFO:
        return issue
    message = f"{issue.message}, until {by.where()} drops or alters the policy"
    hint = issue.hint + FIX_HERE_TOO
    return replace(issue, message=message, hint=hint, severity=Severity.WARNING)


def table_policies(catalog: Catalog, table: ObjectRef) -> list[PolicyDef]:
    return [from_catalog(obj) for obj in catalog.policies_on(table)]


def policies_after(ctx: RuleContext, table: ObjectRef) -> list[PolicyDef]:
    """The table's policies once the migration has run, worked out once per table: rules ask of the
    table of each policy they judge."""
    key = ("policies: of the table after", table)
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = table_policies(ctx.after, table)
    return ctx.unit.memo[key]


@dataclass(frozen=True)
class Clause:
    """One USING or WITH CHECK expression written in the migration (CREATE or ALTER POLICY)."""

    statement: Statement
    policy: str
    table: ObjectRef
    name: str  # "using" | "with check"
    tree: dict


def policy_clauses(ctx: RuleContext) -> Iterator[Clause]:
    """The clauses' trees are the model's (policy details, ALTER POLICY changes): the ones the rules' index
    of clause trees has walked."""
    for effects in ctx.migration_effects:
        statement = effects.statement
        if statement.kind == "CreatePolicyStmt":
            written = next(created.details for created in effects.creates if created.ref.kind == "policy")
        elif statement.kind == "AlterPolicyStmt":
            written = effects.changes[0][1]
        else:
            continue
        name, table, _ = policy_head(statement)
        for key, clause in (("using", "using"), ("with_check", "with check")):
            if written.get(key):
                yield Clause(statement, name, table, clause, written[key])



# --- calls --------------------------------------------------------------------------------------


def call_name(call: dict) -> tuple[str, str]:
    """(schema, name) of a FuncCall; schema "" when unqualified, pg_catalog folded into ""."""
    parts = [p.lower() for p in strings(call.get("funcname"))]
    schema = parts[-2] if len(parts) > 1 else ""
    return ("" if schema == "pg_catalog" else schema, parts[-1] if parts else "")


def call_text(call: dict) -> str:
    schema, name = call_name(call)
    return f"{schema}.{name}()" if schema else f"{name}()"


def per_row_calls(tree: object) -> list[dict]:
    """Calls of auth.uid(), auth.jwt(), auth.role(), auth.email() and current_setting() that are
    not wrapped in a FROM-less sub-select such as (select auth.uid()), in document order."""
    calls = clause_facts(tree).per_row("FuncCall")
    found = [call for call in calls if call_name(call) in PER_ROW_FUNCTIONS]
    return sorted(found, key=lambda call: call.get("location", -1))


def _is_uid_call(tree: object) -> bool:
    """Whether an operand is the user's id: auth.uid(), also cast, wrapped or in a FROM-less sub-select;
    not a value a sub-select reads from a table (select org_id from profiles where id = auth.uid()),
    which is that table's, compared with the user there."""
    # The usual operands answered without a walk of their own: a column or a constant (no call), a call
    # without arguments, (select <one of those>), a cast of one.
    if type(tree) is dict and ("ColumnRef" in tree or "A_Const" in tree):
        return False
    if type(tree) is dict and "FuncCall" in tree:
        call = tree["FuncCall"]
        if not call.get("args"):
            return call_name(call) == ("auth", "uid")
        if call_name(call) not in _KEEPS_ITS_ARGUMENT:
            return False  # what a function makes of the user's id (get_user_tenant_id(auth.uid())): a group's
    if type(tree) is dict and "TypeCast" in tree:
        return _is_uid_call(tree["TypeCast"].get("arg"))
    if type(tree) is dict and "A_Expr" in tree and _is_sub_claim(tree["A_Expr"]):
        return True
    selected = _only_selected(tree)
    if selected is not None:
        return _is_uid_call(selected)
    return any(call_name(call) == ("auth", "uid") for call in clause_facts(tree).own("FuncCall"))


def _is_sub_claim(expr: dict) -> bool:
    """`auth.jwt() ->> 'sub'`: the token's subject, the user's id as text (how projects signed in through a
    third party, Clerk, name their users)."""
    if strings(expr.get("name")) != ["->>"] or _strings_in([expr.get("rexpr")]) != ["sub"]:
        return False
    jwt = expr.get("lexpr")
    jwt = _only_selected(jwt) or jwt
    call = jwt.get("FuncCall") if isinstance(jwt, dict) else None
    return call is not None and not call.get("args") and call_name(call) == ("auth", "jwt")


# Calls whose result is still the user's id, as text or uuid: lower(auth.uid()::text), text(auth.uid()).
_KEEPS_ITS_ARGUMENT = frozenset(
    ("", name) for name in ("text", "uuid", "lower", "upper", "btrim", "trim", "ltrim", "rtrim")
)


def _only_selected(tree: object) -> object | None:
    """The expression of a FROM-less `(select <expression>)`, else None."""
    link = tree.get("SubLink") if type(tree) is dict else None
    if not link or link.get("subLinkType") != "EXPR_SUBLINK" or "testexpr" in link:
        return None
    select = link.get("subselect", {}).get("SelectStmt", {})
    targets = select.get("targetList", []) if select.keys() <= {"targetList", "limitOption", "op"} else []
    return targets[0].get("ResTarget", {}).get("val") if len(targets) == 1 else None


def is_user_function(call: dict, catalog: Catalog) -> bool:
    """A helper the project wrote (e.g. is_member(org_id)), not a built-in or a Supabase function; one it
    made in Supabase's own schemas too (auth.current_uid()); and an unqualified name the model never saw
    made that is no function of PostgreSQL's or of its extensions: a helper made where the model cannot
    see it (the dashboard, a file the Supabase CLI skips)."""
    parts = strings(call.get("funcname"))
    if len(parts) > 1 and parts[-2].lower() not in _BUILTIN_SCHEMAS:
        return True
    found = catalog.find(function_ref(parts, None))
    if found is not None:
        return found.origin != "known"
    return len(parts) == 1 and not is_builtin_function(parts[0]) and not any_brings(parts[0])


def conjuncts(tree: object) -> list[object]:
    """The parts of an expression joined by AND: each one must hold on its own."""
    return _joined(tree, "AND_EXPR")


def disjuncts(tree: object) -> list[object]:
    """The parts of an expression joined by OR: each one admits a row on its own."""
    return _joined(tree, "OR_EXPR")


def _joined(tree: object, boolop: str) -> list[object]:
    if isinstance(tree, dict) and tree.get("BoolExpr", {}).get("boolop") == boolop:
        return [part for arg in tree["BoolExpr"].get("args", []) for part in _joined(arg, boolop)]
    return [tree]


def buckets_named(policy: PolicyDef) -> frozenset[str]:
    """The Storage buckets a policy on storage.objects is limited to by an AND-ed `bucket_id = 'x'` (or
    `bucket_id in ('x', 'y')`) in USING or WITH CHECK; empty: any bucket."""
    found: set[str] = set()
    for tree in (policy.using, policy.with_check):
        for operands in _equalities(tree) if tree is not None else ():
            if any(operand_column(op) == "bucket_id" for op in operands):
                found.update(_strings_in(operands))
    return frozenset(found)


def role_guard(tree: object) -> frozenset[str] | None:
    """The roles an AND-ed `auth.role() = 'x'` (or `in ('x', 'y')`, or the token's claim `auth.jwt() ->>
    'role' = 'x'`) admits; None without one."""
    if not any(call_name(call) in _ROLE_SOURCES for call in clause_nodes(tree, "FuncCall")):
        return None  # the usual case, answered by the clause's one walk
    for operands in _equalities(tree):
        roles = [op for op in operands if not _names_the_role(op)]
        if len(roles) < len(operands):
            return frozenset(value.lower() for value in _strings_in(roles))
    return None


# What says the request's role: auth.role(), and the token's claims (auth.jwt() ->> 'role').
_ROLE_SOURCES = frozenset({("auth", "role"), ("auth", "jwt")})


def _names_the_role(operand: object) -> bool:
    """`auth.role()` or `auth.jwt() ->> 'role'` (through a cast or a sub-select of it)."""
    return _reads_claim(operand, ("auth", "role"), {"role"})


def _reads_claim(operand: object, call: tuple[str, str], claims: Set[str]) -> bool:
    """Whether an operand reads what `call` answers (auth.role()), or the token's claim of that name."""
    calls = [call_name(c) for c in clause_nodes(operand, "FuncCall")]
    if call in calls:
        return True
    read = [e for e in clause_nodes(operand, "A_Expr") if strings(e.get("name")) in (["->>"], ["->"])]
    return ("auth", "jwt") in calls and any(set(_strings_in([e.get("rexpr")])) & claims for e in read)


def names_users(tree: object) -> bool:
    """An AND-ed test that admits a fixed list of accounts: the caller's id or e-mail (or the token's `sub`
    or `email` claim) compared with constants only (`auth.email() = any (array['amy@...', ...])`,
    `auth.uid() = '<uuid>'`): those accounts' policy (administrators'), as a helper such as is_admin() is."""
    for part in conjuncts(tree):
        expr = part.get("A_Expr") if isinstance(part, dict) else None
        if not expr or expr.get("kind") not in _EQUAL_KINDS or strings(expr.get("name")) != ["="]:
            continue
        operands = _operands(expr)
        callers = [op for op in operands if _names_the_caller(op)]
        if len(callers) == 1 and all(_is_constant(op) for op in operands if op is not callers[0]):
            return True
    return False


_EQUAL_KINDS = frozenset({"AEXPR_OP", "AEXPR_IN", "AEXPR_OP_ANY"})


def _names_the_caller(operand: object) -> bool:
    if clause_nodes(operand, "ColumnRef"):
        return False
    return _is_uid_call(operand) or _reads_claim(operand, ("auth", "email"), {"email", "sub"})


def _is_constant(operand: object) -> bool:
    """A literal, or an array or cast of literals: nothing read from a row, a table or a function."""
    return operand is not None and not any(clause_nodes(operand, kind) for kind in _NOT_CONSTANT)


_NOT_CONSTANT = ("ColumnRef", "FuncCall", "SubLink", "ParamRef")


def files_a_request(tree: object) -> bool:
    """A check that holds a written row to its writer and to a set state (`status = 'pending' and user_id =
    auth.uid()`): the row is the writer's own request, which the group it names has still to answer."""
    pinned = any(
        any(operand_column(op) for op in operands) and _strings_in(operands) for operands in _equalities(tree)
    )
    return pinned and bool(uid_comparisons(tree))


def _equalities(tree: object) -> Iterator[list[object]]:
    """The operands of each AND-ed `a = b` or `a in (b, c)` of an expression."""
    for part in conjuncts(tree):
        expr = part.get("A_Expr") if isinstance(part, dict) else None
        if expr and expr.get("kind") in ("AEXPR_OP", "AEXPR_IN") and strings(expr.get("name")) == ["="]:
            yield _operands(expr)


def _strings_in(operands: list[object]) -> list[str]:
    return [c["sval"]["sval"] for op in operands for c in clause_nodes(op, "A_Const") if "sval" in c]


# --- constant expressions -----------------------------------------------------------------------


def is_true(tree: object) -> bool:
    """`true` written as the whole expression."""
    return isinstance(tree, dict) and tree.get("A_Const", {}).get("boolval", {}).get("boolval") is True


def is_false(tree: object) -> bool:
    """`false` written as the whole expression (libpg_query leaves the false value out)."""
    return isinstance(tree, dict) and tree.get("A_Const", {}).get("boolval", {"boolval": True}) == {}


# --- owners -------------------------------------------------------------------------------------


def operand_column(tree: object) -> str | None:
    """The column an operand names, looking through casts: user_id, t.user_id, user_id::text, and a
    Storage path's folder, (storage.foldername(name))[1], which names the path's column."""
    if not isinstance(tree, dict):
        return None
    if "TypeCast" in tree:
        return operand_column(tree["TypeCast"].get("arg"))
    if "A_Indirection" in tree:
        call = (tree["A_Indirection"].get("arg") or {}).get("FuncCall", {})
        args = call.get("args") or []
        folder = strings(call.get("funcname"))[-1:] == ["foldername"] and len(args) == 1
        return operand_column(args[0]) if folder else None
    if "ColumnRef" in tree:
        fields = strings(tree["ColumnRef"].get("fields"))
        return fields[-1] if fields else None
    return None


def _operands(expr: dict) -> list[object]:
    right = expr.get("rexpr")
    items = right.get("List", {}).get("items", []) if isinstance(right, dict) and "List" in right else [right]
    return [expr.get("lexpr"), *items]


def uid_comparisons(tree: object) -> list[tuple[str, dict]]:
    """(column, comparison) for each `column = auth.uid()` / `auth.uid() in (a, b)` of the policy's
    own table: comparisons inside a sub-select that reads a table are about that other table.
    Worked out once per clause: each policy of a table asks about all the table's policies."""
    facts = clause_facts(tree)
    if facts.uid_comparisons is None:
        facts.uid_comparisons = list(_uid_comparisons(facts))
    return facts.uid_comparisons


def _uid_comparisons(facts: TreeFacts) -> Iterator[tuple[str, dict]]:
    for expr in facts.own("A_Expr"):
        if expr.get("kind") not in ("AEXPR_OP", "AEXPR_IN") or strings(expr.get("name")) != ["="]:
            continue
        operands = _operands(expr)
        if not any(_is_uid_call(op) for op in operands):
            continue
        for operand in operands:
            column = operand_column(operand)
            if column:
                yield column, expr


def owner_columns(catalog: Catalog, table: ObjectRef) -> set[str]:
    """Columns that say whose row it is: compared with auth.uid() in a policy of the table, a foreign
    key to a table of users (auth.users, or a profile table keyed by auth.users) other than an audit
    column such as created_by (a policy comparing one with auth.uid() still counts), or the primary
    key of public.users or public.profiles."""
    owners: set[str] = set()
    for policy in table_policies(catalog, table):
        for tree in (policy.using, policy.with_check):
            owners.update(column for column, _ in uid_comparisons(tree))
    for fk in foreign_keys(catalog, table):
        if _is_user_table(catalog, fk["target"]):
            owners.update(column for column in fk["columns"] if not is_audit_column(column))
    obj = catalog.find(table)
    if table in USER_TABLES and obj is not None:  # public.users, public.profiles: each row is its user's
        owners.update(obj.details.get("primary_key", []))
    declared = obj.details.get("columns") if obj else None
    return {c for c in owners if c in declared} if declared else owners


def owners_after(ctx: RuleContext, table: ObjectRef) -> frozenset[str]:
    """owner_columns once the migration has run, worked out once per table (each policy asks). Where no
    policy of the table compares a column with auth.uid() and some ties a group key to the reader, the rows
    are the group's (as the probes' tenancy has it): a user column beside it, in no key, is whom a row names
    (crmnex's lead_distribution_logs.assigned_to), not its owner (a membership's user column, in the key
    it shares with the group's, stays its owner)."""
    key = ("policies: owners after", table)
    if key not in ctx.unit.memo:
        owners = frozenset(owner_columns(ctx.after, table))
        incidental = not owners & _keyed_columns(ctx.after, table)  # a membership's user is in its key
        grouped = incidental and bool(_group_keys(ctx, table) - owners)
        if owners and grouped and not _compared_with_the_user(ctx, table):
            owners = frozenset()
        ctx.unit.memo[key] = owners
    return ctx.unit.memo[key]


def _keyed_columns(catalog: Catalog, table: ObjectRef) -> set[str]:
    """The columns of the table's primary key and unique constraints."""
    found = catalog.find(table)
    details = found.details if found is not None else {}
    keys = [details.get("primary_key") or [], *(details.get("unique") or [])]
    return {column for key in keys for column in key}


def _compared_with_the_user(ctx: RuleContext, table: ObjectRef) -> set[str]:
    return {
        column
        for policy in policies_after(ctx, table)
        for tree in (policy.using, policy.with_check)
        for column, _ in uid_comparisons(tree)
    }


def group_keys_after(ctx: RuleContext, table: ObjectRef) -> frozenset[str]:
    """The table's foreign-key columns that its policies tie to the reader through another table (`exists
    (select from org_members m where m.org_id = services.org_id and m.user_id = auth.uid())`), or hand to
    a helper of the project (`private.is_org_role(org_id, 'admin')`): the rows belong to groups by them.
    Once the migration has run, worked out once per table."""
    key = ("policies: group keys after", table)
    if key not in ctx.unit.memo:
        ctx.unit.memo[key] = frozenset(_group_keys(ctx, table) - owners_after(ctx, table))
    return ctx.unit.memo[key]


def _group_keys(ctx: RuleContext, table: ObjectRef) -> set[str]:
    """group_keys_after, owner columns included."""
    key = ("policies: group keys with owners", table)
    if key not in ctx.unit.memo:
        keys = {c for fk in foreign_keys(ctx.after, table) for c in fk["columns"]}
        tied: set[str] = set()
        for policy in policies_after(ctx, table):
            for tree in (policy.using, policy.with_check):
                calls = clause_nodes(tree, "FuncCall") if tree is not None else []
                if any(call_name(call) == ("auth", "uid") for call in calls):
                    tied.update(row_columns(tree, table.name) & keys)
                for call in calls:
                    if is_user_function(call, ctx.after):
                        tied.update(row_columns(call.get("args"), table.name) & keys)
                tied.update(_compared_with_a_helper(tree, ctx.after) & keys)
        ctx.unit.memo[key] = tied
    return ctx.unit.memo[key]


def _compared_with_a_helper(tree: object, catalog: Catalog) -> set[str]:
    """The columns an expression compares with what a helper of the project returns (`organization_id =
    (select public.auth_org_id())`, `org_id in (select public.my_orgs())`, `org_id = any(public.my_orgs())`):
    the helper says which group's rows the reader may have."""
    if tree is None:
        return set()
    pairs = [
        (expr.get("lexpr"), expr.get("rexpr"))
        for expr in clause_nodes(tree, "A_Expr")
        if expr.get("kind") in ("AEXPR_OP", "AEXPR_IN", "AEXPR_OP_ANY") and strings(expr.get("name")) == ["="]
    ]
    pairs += [(link.get("testexpr"), link.get("subselect")) for link in clause_nodes(tree, "SubLink")]
    found = set()
    for one, other in pairs:
        for column, value in ((one, other), (other, one)):
            name = operand_column(column)
            if not name or not isinstance(value, dict | list):
                continue
            # a walk of the operand alone: indexing every operand of every clause would cost more
            if any(is_user_function(call, catalog) for call in find_nodes(value, "FuncCall")):
                found.add(name)
    return found


def row_columns(tree: object, table: str) -> set[str]:
    """The columns of the policy's own row an expression names: unqualified or qualified by the table."""
    found = set()
    for ref in clause_nodes(tree, "ColumnRef") if tree is not None else ():
        if any("A_Star" in field for field in ref.get("fields", [])):
            continue  # `items.*`: the whole row, no column
        fields = strings(ref.get("fields"))
        if len(fields) == 1 or (len(fields) == 2 and fields[0] == table):
            found.add(fields[-1])
    return found


def is_audit_column(name: str) -> bool:
    return _AUDIT_COLUMN.fullmatch(name.lower()) is not None


def foreign_keys(catalog: Catalog, table: ObjectRef) -> list[dict]:
    """The table's foreign keys (columns, target), declared with it or added after."""
    obj = catalog.find(table)
    keys = list(obj.details.get("foreign_keys", [])) if obj else []
    for member in catalog.members_of(table):
        if member.ref.kind == "constraint":
            keys.extend(member.details.get("foreign_keys", []))
    return keys


def _is_user_table(catalog: Catalog, table: ObjectRef) -> bool:
    """auth.users, a usual profile table, or any table whose primary key references auth.users."""
    if table in USER_TABLES:
        return True
    obj = catalog.find(table)
    primary = set(obj.details.get("primary_key", [])) if obj else set()
    return bool(primary) and any(
        fk["target"] == AUTH_USERS and set(fk["columns"]) <= primary for fk in foreign_keys(catalog, table)
    )


def holds_to_owner(tree: object, owners: Set[str], catalog: Catalog) -> bool:
    """Whether an expression ties the row to the requesting user: it compares an owner column with
    auth.uid(), or requires it to be null (a row of no one: an anonymous contact form's), or hands the
    check to a sub-select or to a helper function of the project (which this static check cannot read, so
    it trusts them), or admits a fixed list of accounts (administrators named by their e-mail)."""
    if tree is None:
        return False
    if any(column in owners for column, _ in uid_comparisons(tree)):
        return True
    if any(_null_column(part) in owners for part in conjuncts(tree)):
        return True
    return _hands_over(tree, catalog) or names_users(tree)


def _null_column(tree: object) -> str | None:
    """The column of `column IS NULL`."""
    test = tree.get("NullTest", {}) if isinstance(tree, dict) else {}
    return operand_column(test.get("arg")) if test.get("nulltesttype") == "IS_NULL" else None


def privileged_update_only(ctx: RuleContext, policy: PolicyDef) -> bool:
    """An UPDATE policy that admits some users (admins) to every row without reading it, where every update
    policy of the table does so: its WITH CHECK (true) lets those users write any values, and no one else
    reaches a row. (Beside an owners' update policy it opens the owners' writes too: PostgreSQL passes a
    new row that any of the policies' checks admits.)"""
    if policy.command != "update":
        return False
    key = ("policies: privileged updates only", policy.table)  # two rules ask, of each update policy
    if key not in ctx.unit.memo:
        table = ctx.after.find(policy.table)
        columns = set(table.details.get("columns") or ()) if table else set()
        updating = [
            other
            for other in policies_after(ctx, policy.table)
            if other.permissive and other.command in ("update", "all") and other.client_roles
        ]
        privileged = all(_admits_users_not_rows(other, columns, ctx.after) for other in updating)
        ctx.unit.memo[key] = bool(columns) and privileged
    return ctx.unit.memo[key]


def _admits_users_not_rows(policy: PolicyDef, columns: set[str], catalog: Catalog) -> bool:
    """A USING that asks who the user is, in a test AND-ed to the rest that names no column of the row:
    through a table (`exists (select from profiles p where p.user_id = auth.uid() and p.is_admin)`) or a
    helper of the project (is_admin()); the rest may narrow the rows (`scope = 'national' and
    has_role(auth.uid(), 'super_admin')`: super administrators, each national event)."""
    tree = policy.using
    if tree is None or is_true(tree):
        return False
    table = policy.table.name
    return any(
        not (row_columns(part, table) & columns) and (_hands_over(part, catalog) or names_users(part))
        for part in conjuncts(tree)
    )


def _hands_over(tree: object, catalog: Catalog) -> bool:
    """Whether an expression hands its test to a helper function of the project or to a sub-select that
    reads a table (which the static rules cannot read, so they trust them)."""
    if any(is_user_function(call, catalog) for call in clause_nodes(tree, "FuncCall")):
        return True
    subselects = clause_nodes(tree, "SubLink")
    return any(sub.get("subselect", {}).get("SelectStmt", {}).get("fromClause") for sub in subselects)


def deparsed_expression(text: str) -> dict | None:
    """A policy expression as pg_get_expr deparses it, as the parse tree the static rules read."""
    try:
        statement = sql_tree(f"select {text}")
    except pg.ParseError:
        return None
    target = statement["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]
    return target["ResTarget"]["val"]


def clause_location(tree: object, fallback: int | None) -> int | None:
    location = first_location(tree) if tree is not None else None
    return location if location is not None else fallback
