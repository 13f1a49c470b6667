"""rls-policy-auth-null: no policy admits a request for which auth.uid() is null (every anonymous one)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.objects import strings
from checker.rules._policies import call_name, clause_location, migration_policies
from checker.rules.base import Example, Issue, Rule

# Null for a request without a signed-in user: the anon key, or no key at all.
NULL_WITHOUT_USER = frozenset({("auth", "uid"), ("auth", "email")})
_READS = frozenset({"select", "update", "delete", "all"})
_WRITES = frozenset({"insert", "update", "all"})


class Value(Enum):
    """What an expression evaluates to for a request without a user, whatever the row holds."""

    TRUE = "true"
    FALSE = "false"
    NULL = "null"
    KNOWN = "known"  # some non-null value that is not a boolean
    UNKNOWN = "unknown"  # depends on the row


def value(tree: object, nulls: frozenset[tuple[str, str]] = NULL_WITHOUT_USER) -> Value:
    """`nulls`: the calls taken as null (none: what the expression gives whatever the user)."""
    if not isinstance(tree, dict) or len(tree) != 1:
        return Value.UNKNOWN
    kind, node = next(iter(tree.items()))
    handler = _HANDLERS.get(kind)
    return handler(node, nulls) if handler else Value.UNKNOWN


def true_without_user(tree: object) -> bool:
    """True when auth.uid() is null, and only then: `using (true)` is another rule's business."""
    return value(tree) is Value.TRUE and value(tree, frozenset()) is not Value.TRUE


def _const(node: dict, nulls: frozenset) -> Value:
    if node.get("isnull"):
        return Value.NULL
    if "boolval" in node:
        return Value.TRUE if node["boolval"].get("boolval") else Value.FALSE
    return Value.KNOWN


def _call(node: dict, nulls: frozenset) -> Value:
    return Value.NULL if call_name(node) in nulls else Value.UNKNOWN


def _coalesce(node: dict, nulls: frozenset) -> Value:
    for arg in node.get("args", []):  # the first argument that is not null
        found = value(arg, nulls)
        if found is not Value.NULL:
            return found
    return Value.NULL


def _bool(node: dict, nulls: frozenset) -> Value:
    values = [value(arg, nulls) for arg in node.get("args", [])]
    op = node.get("boolop")
    if op == "NOT_EXPR":
        return {Value.TRUE: Value.FALSE, Value.FALSE: Value.TRUE, Value.NULL: Value.NULL}.get(
            values[0], Value.UNKNOWN
        )
    win, lose = (Value.TRUE, Value.FALSE) if op == "OR_EXPR" else (Value.FALSE, Value.TRUE)
    if win in values:
        return win
    if all(v is lose for v in values):
        return lose
    return Value.NULL if all(v in (lose, Value.NULL) for v in values) else Value.UNKNOWN


def _null_test(node: dict, nulls: frozenset) -> Value:
    found = value(node.get("arg"), nulls)
    if found is Value.UNKNOWN:
        return Value.UNKNOWN
    is_null = found is Value.NULL
    return Value.TRUE if is_null == (node.get("nulltesttype") == "IS_NULL") else Value.FALSE


def _boolean_test(node: dict, nulls: frozenset) -> Value:
    found = value(node.get("arg"), nulls)
    if found not in (Value.TRUE, Value.FALSE, Value.NULL):
        return Value.UNKNOWN
    test = node.get("booltesttype", "")
    holds = {
        "IS_TRUE": found is Value.TRUE,
        "IS_NOT_TRUE": found is not Value.TRUE,
        "IS_FALSE": found is Value.FALSE,
        "IS_NOT_FALSE": found is not Value.FALSE,
        "IS_UNKNOWN": found is Value.NULL,
        "IS_NOT_UNKNOWN": found is not Value.NULL,
    }.get(test)
    return Value.UNKNOWN if holds is None else Value.TRUE if holds else Value.FALSE


def _operator(node: dict, nulls: frozenset) -> Value:
    """Comparisons and other operators are strict: a null operand makes the result null."""
    if node.get("kind") not in ("AEXPR_OP", "AEXPR_IN", "AEXPR_LIKE", "AEXPR_ILIKE") or not strings(
        node.get("name")
    ):
        return Value.UNKNOWN
    right = node.get("rexpr")
    operands = [node.get("lexpr")] if node.get("kind") == "AEXPR_IN" else [node.get("lexpr"), right]
    return (
        Value.NULL
        if any(value(op, nulls) is Value.NULL for op in operands if op is not None)
        else Value.UNKNOWN
    )


def _sublink(node: dict, nulls: frozenset) -> Value:
    """(select auth.uid()): a FROM-less scalar sub-select is its one value."""
    select = node.get("subselect", {}).get("SelectStmt", {})
    targets = select.get("targetList", [])
    if node.get("subLinkType") != "EXPR_SUBLINK" or select.get("fromClause") or len(targets) != 1:
        return Value.UNKNOWN
    return value(targets[0].get("ResTarget", {}).get("val"), nulls)


_HANDLERS = {
    "A_Const": _const,
    "FuncCall": _call,
    "CoalesceExpr": _coalesce,
    "BoolExpr": _bool,
    "NullTest": _null_test,
    "BooleanTest": _boolean_test,
    "A_Expr": _operator,
    "SubLink": _sublink,
    "TypeCast": lambda node, nulls: value(node.get("arg"), nulls),
}


def check(ctx: RuleContext) -> Iterator[Issue]:
    for policy in migration_policies(ctx):
        if policy.statement is None or not policy.permissive or not _reachable(ctx, policy.table):
            continue
        roles = sorted(policy.client_roles & {"anon", "public"})
        if not roles:
            continue  # authenticated requests always carry a user
        for name, tree, commands in (
            ("using", policy.using, _READS),
            ("with check", policy.with_check, _WRITES),
        ):
            if tree is not None and policy.command in commands and true_without_user(tree):
                yield Issue(
                    policy.statement,
                    f"{policy.display()} ({policy.command}, to {', '.join(policy.roles)}): its {name} "
                    "expression is true whenever auth.uid() is null, so every request without a signed-in "
                    "user passes it, for every row",
                    "test the user first (`auth.uid() is not null and ...`), or drop anon from its roles",
                    clause_location(tree, policy.location),
                    f"{policy.table.qualified}.{policy.name}",
                )
                break


def _reachable(ctx: RuleContext, table: ObjectRef) -> bool:
    """Through the API: an exposed schema, or storage (Supabase's storage API reads storage.objects)."""
    return ctx.is_exposed(table) or table.schema == "storage"


RULE = Rule(
    id="rls-policy-auth-null",
    severity=Severity.ERROR,
    summary="Policies for anon are not true whenever auth.uid() is null",
    rationale=(
        "For a request made with the anon key, auth.uid() and auth.email() are null. A policy "
        "whose expression is true in that case (`auth.uid() is null or author_id = auth.uid()`, "
        "`coalesce(auth.uid() = author_id, true)`, `not (auth.uid() is not null)`) hands every "
        "row to every anonymous request, usually where a fallback for signed-out visitors was "
        "meant to show nothing. The rule evaluates the expression tree with SQL's three-valued "
        "logic (through parentheses, casts, (select auth.uid()), coalesce, NOT and IS [NOT] "
        "NULL / TRUE tests), so the gated form `auth.uid() is not null and ...` is silent. "
        "Supabase's advisor reads the deparsed policy text with regular expressions instead."
    ),
    bad=Example(
        'begin;\ncreate policy "read" on public.posts for select to anon, authenticated\n'
        "  using (auth.uid() is null or author_id = auth.uid());\ncommit;\n",
        baseline="create table public.posts (id bigint primary key, author_id uuid);\n"
        "alter table public.posts enable row level security;\n",
    ),
    good=Example(
        'begin;\ncreate policy "read" on public.posts for select to anon, authenticated\n'
        "  using (auth.uid() is not null and author_id = auth.uid());\ncommit;\n",
        baseline="create table public.posts (id bigint primary key, author_id uuid);\n"
        "alter table public.posts enable row level security;\n",
    ),
    check=check,
)
