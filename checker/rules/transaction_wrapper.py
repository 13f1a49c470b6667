"""transaction-wrapper: a migration applies all or nothing."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser as pg

from checker.context import RuleContext, effects_of
from checker.findings import Severity
from checker.model import Effects
from checker.model.builtin_functions import is_builtin_function
from checker.model.do_blocks import do_body
from checker.model.objects import strings
from checker.model.walk import find_nodes
from checker.parse import Fact, ParsedFile, Statement, do_block_tree, sql_tree
from checker.rules._schema_support import concurrently
from checker.rules.base import Example, Issue, Rule

_BEGIN = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
_END = {
    "TRANS_STMT_COMMIT",
    "TRANS_STMT_ROLLBACK",
    "TRANS_STMT_COMMIT_PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED",
    "TRANS_STMT_PREPARE",
}
_NEVER_IN_TRANSACTION = {
    "VacuumStmt": "VACUUM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
}


# CONCURRENTLY index builds and drops in a transaction block are reported by index-concurrently.
_INDEX_RULE = frozenset({"CREATE INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY"})


def _kind_field(node: dict) -> str | None:
    return node.get("kind")


_TRANSACTION_KIND = Fact(_kind_field, "TransactionStmt")


def transaction_kind(statement: Statement) -> str | None:
    return _TRANSACTION_KIND(statement) if statement.kind == "TransactionStmt" else None


def begins(statement: Statement) -> bool:
    return transaction_kind(statement) in _BEGIN


def ends(statement: Statement) -> bool:
    return transaction_kind(statement) in _END


def non_transactional(statement: Statement) -> str | None:
    """The command name when PostgreSQL refuses to run the statement inside a transaction block."""
    kind = statement.kind
    if kind in _NEVER_IN_TRANSACTION:
        if kind == "VacuumStmt" and not _VACUUMS(statement):
            return None  # plain ANALYZE is fine in a transaction
        return _NEVER_IN_TRANSACTION[kind]
    if kind == "IndexStmt" and concurrently(statement):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and concurrently(statement):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and _REINDEXES_CONCURRENTLY(statement):
        return "REINDEX CONCURRENTLY"
    return None


def _vacuums(node: dict) -> bool:
    return bool(node.get("is_vacuumcmd"))


def _reindexes_concurrently(node: dict) -> bool:
    return any(p.get("DefElem", {}).get("defname") == "concurrently" for p in node.get("params", []))


_VACUUMS = Fact(_vacuums, "VacuumStmt")
_REINDEXES_CONCURRENTLY = Fact(_reindexes_concurrently, "ReindexStmt")


# What the Supabase CLI runs outside the migration's transaction (its pipeline-incompatible statements of
# v2.109, DROP INDEX CONCURRENTLY since supabase/cli#6276): it commits what came before, runs the statement
# alone and goes on in a new transaction. (ALTER SYSTEM is one too, but needs a superuser on Supabase.)
SUPABASE_RUNS_ALONE = frozenset(
    {"CREATE INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY", "REINDEX CONCURRENTLY", "VACUUM"}
)


def runs_alone(statement: Statement) -> bool:
    """Whether the Supabase CLI runs the statement outside the file's transaction (when the file's own
    BEGIN has not opened one)."""
    return non_transactional(statement) in SUPABASE_RUNS_ALONE


def without_settings(statements: list[Statement]) -> list[Statement]:
    """The statements that do work: SET and RESET change the session, not the schema, so where they
    stand (before BEGIN, after COMMIT: `set lock_timeout` around the transaction) is harmless; so is a
    NOTIFY."""
    return [s for s in statements if s.kind not in _NO_WORK]


def _without_closing_reports(statements: list[Statement]) -> list[Statement]:
    """Without the DO blocks at the end that only report (`raise notice 'added cover_photo_url'` after the
    COMMIT): they change nothing. Only the last ones are read again (a file has few; its other DO blocks
    do work where they stand)."""
    end = len(statements)
    while end and _only_reports(statements[end - 1]):
        end -= 1
    return statements[:end]


# SET and RESET change the session; NOTIFY (`notify pgrst, 'reload schema'`) only tells listeners.
_NO_WORK = frozenset({"VariableSetStmt", "NotifyStmt"})


def _only_reports(statement: Statement) -> bool:
    """A PL/pgSQL DO block whose statements only RAISE below ERROR, SELECT ... INTO its variables with
    built-in functions (a count to report), or test those in IF: it changes nothing and cannot fail on
    purpose (RAISE without a level, or STRICT, can)."""
    if statement.kind != "DoStmt":
        return False
    body, language = do_body(statement.node)
    if language != "plpgsql":
        return False
    try:
        tree = do_block_tree(body)
    except pg.ParseError:
        return False
    action = tree[0].get("PLpgSQL_function", {}).get("action", {}) if tree else {}
    return _reports([action])


_BELOW_ERROR = 21  # PostgreSQL's elog level of ERROR (EXCEPTION): NOTICE is 18, WARNING 19


def _reports(body: list[dict]) -> bool:
    for item in body:
        ((kind, node),) = item.items()
        if kind == "PLpgSQL_stmt_block" and not node.get("exceptions"):
            ok = _reports(node.get("body", []))
        elif kind == "PLpgSQL_stmt_if":
            elsifs = [e.get("PLpgSQL_if_elsif", {}).get("stmts", []) for e in node.get("elsif_list", [])]
            branches = [node.get("then_body", []), node.get("else_body", []), *elsifs]
            ok = all(_reports(branch) for branch in branches)
        elif kind == "PLpgSQL_stmt_raise":
            ok = node.get("elog_level", _BELOW_ERROR) < _BELOW_ERROR
        elif kind == "PLpgSQL_stmt_execsql":
            ok = bool(node.get("into")) and not node.get("strict") and _reads_only(node.get("sqlstmt", {}))
        else:
            ok = kind == "PLpgSQL_stmt_return" and not node
        if not ok:
            return False
    return True


def _reads_only(expression: dict) -> bool:
    """A SELECT calling only PostgreSQL's own functions (count(*)), with no data-modifying WITH."""
    query = expression.get("PLpgSQL_expr", {}).get("query", "")
    try:
        statements = sql_tree(query).get("stmts", [])
    except pg.ParseError:
        return False
    if len(statements) != 1 or "SelectStmt" not in statements[0].get("stmt", {}):
        return False
    tree = statements[0]["stmt"]
    modifies = any(find_nodes(tree, "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "LockingClause"))
    calls = (strings(call.get("funcname")) for call in find_nodes(tree, "FuncCall"))
    return not modifies and all(len(name) == 1 and is_builtin_function(name[0]) for name in calls)


def check(ctx: RuleContext) -> Iterator[Issue]:
    for parsed in (ctx.migration, ctx.rollback):
        if parsed and parsed.statements:
            explicit = ctx.policy.transaction == "explicit"
            yield from _non_transactional(parsed, explicit, ctx.policy.supabase_runner)
            yield from _explicit(parsed) if explicit else _runner_wrapped(parsed, ctx.policy.supabase_runner)


def _non_transactional(parsed: ParsedFile, explicit: bool, supabase_runner: bool) -> Iterator[Issue]:
    """Runner-wrapped files run whole in a transaction (but for what the Supabase CLI runs alone);
    explicit ones only between BEGIN and COMMIT."""
    depth = 0
    for statement in parsed.statements:
        kind = transaction_kind(statement)
        depth = depth + 1 if kind in _BEGIN else 0 if kind in _END else depth
        command = non_transactional(statement)
        if command in _INDEX_RULE or (supabase_runner and not depth and command in SUPABASE_RUNS_ALONE):
            continue  # index-concurrently reports it, with how to split it out; or the CLI runs it alone
        if command and (depth or not explicit):
            yield Issue(
                statement,
                f"{command} cannot run inside a transaction block",
                f"move {command} to a migration of its own that the runner does not wrap",
            )


def _commits_whole(statements: list[Statement]) -> bool:
    """One BEGIN and a COMMIT as the last statement: under the runner the BEGIN does nothing, and the
    COMMIT ends the runner's transaction with the whole file applied (statements before the BEGIN
    included), just as the runner's own commit would."""
    kinds = [transaction_kind(s) for s in statements]
    control = [k for k in kinds if k in _BEGIN or k in _END]
    return len(control) == 2 and control[0] in _BEGIN and kinds[-1] == "TRANS_STMT_COMMIT" and len(kinds) > 2


def _explicit(parsed: ParsedFile) -> Iterator[Issue]:
    # CREATE INDEX CONCURRENTLY and the like belong outside the transaction; the rest inside it.
    statements = [s for s in without_settings(parsed.statements) if non_transactional(s) is None]
    statements = _without_closing_reports(statements)
    if not statements:
        return
    first, last = statements[0], statements[-1]
    if transaction_kind(first) not in _BEGIN:
        yield Issue(
            first,
            f"{parsed.path} does not start with BEGIN: a failure part-way leaves a half-applied schema",
            "start the file with: begin;",
        )
    if transaction_kind(last) != "TRANS_STMT_COMMIT":
        what = (
            "ends with ROLLBACK: nothing would be applied"
            if transaction_kind(last) == "TRANS_STMT_ROLLBACK"
            else "does not end with COMMIT"
        )
        yield Issue(last, f"{parsed.path} {what}", "end the file with: commit;")
    depth = 0
    for index, statement in enumerate(statements):
        kind = transaction_kind(statement)
        if kind in _BEGIN:
            if depth:
                yield Issue(
                    statement,
                    "nested BEGIN: PostgreSQL ignores it, and the next COMMIT ends both",
                    "remove the inner BEGIN (use SAVEPOINT for a nested unit)",
                )
            depth += 1
        elif kind in _END:
            if statement is not last and _commits_new_enum_values(parsed, statements, index):
                yield _enum_commit(statement)
            elif statement is not last:
                yield Issue(
                    statement,
                    "COMMIT/ROLLBACK in the middle of the migration: what follows runs outside "
                    "the transaction",
                    "keep one BEGIN at the top and one COMMIT at the end",
                )
            depth = 0
        elif depth == 0 and kind is None:
            yield Issue(
                statement, "statement outside the migration's transaction", "move it between BEGIN and COMMIT"
            )


def _commits_new_enum_values(parsed: ParsedFile, statements: list[Statement], end: int) -> bool:
    """Whether the transaction statements[end] commits adds enum values (ALTER TYPE ... ADD VALUE): a
    value cannot be used in the transaction that adds it, so a file that adds one and then uses it must
    commit in between (removing the COMMIT breaks it)."""
    for statement in reversed(statements[:end]):
        if transaction_kind(statement) in _END:
            return False
        if _adds_enum_value(effects_of(parsed)[statement.index]):
            return transaction_kind(statements[end]) == "TRANS_STMT_COMMIT"
    return False


def _adds_enum_value(effects: Effects) -> bool:
    """ALTER TYPE ... ADD VALUE, bare or inside a DO block (idempotent migrations guard it by
    IF NOT EXISTS there): the value is just as unusable before a COMMIT. A DO block's statements are
    the model's steps (parsing the block again would double the cost of DO blocks)."""
    if effects.steps:
        return any(map(_adds_enum_value, effects.steps))
    statement = effects.statement
    if statement.kind != "AlterEnumStmt":
        return False
    node = statement.node
    return bool(node.get("newVal")) and not node.get("oldVal")


def _enum_commit(statement: Statement) -> Issue:
    return Issue(
        statement,
        "COMMIT after adding enum values, so that the rest of the file can use them: the file is not "
        "one transaction (if a later statement fails, what came before the COMMIT stays applied)",
        "move ALTER TYPE ... ADD VALUE to a migration of its own, before the one that uses the values",
        severity=Severity.WARNING,
    )


def _runner_wrapped(parsed: ParsedFile, supabase_runner: bool) -> Iterator[Issue]:
    statements = _without_closing_reports(without_settings(parsed.statements))
    while supabase_runner and statements and runs_alone(statements[-1]):
        # the CLI commits before each statement it runs alone: a COMMIT just before the file's last ones
        # (`commit; create index concurrently ...`) commits where the CLI would
        statements.pop()
    if _commits_whole(statements):
        return  # one BEGIN, COMMIT last: still a single transaction
    last = statements[-1] if statements else None
    for index, statement in enumerate(statements):
        kind = transaction_kind(statement)
        if statement is last and kind == "TRANS_STMT_COMMIT":
            continue  # it commits where the runner would: only a COMMIT before it ends anything early
        if kind in _END and _commits_new_enum_values(parsed, statements, index):
            yield _enum_commit(statement)
        elif kind in _END:
            yield Issue(
                statement,
                "explicit COMMIT/ROLLBACK in a migration the runner wraps in a transaction: "
                "it ends the runner's transaction early",
                "remove it; the runner commits the file",
            )
        elif kind in _BEGIN:
            yield Issue(
                statement,
                "explicit BEGIN in a migration the runner already wraps",
                "remove it; the runner opens the transaction",
                severity=Severity.WARNING,
            )


RULE = Rule(
    id="transaction-wrapper",
    severity=Severity.ERROR,
    summary="Each migration and rollback runs in exactly one transaction",
    rationale=(
        "A migration that fails half-way must leave nothing behind, so the runbook wraps every file in "
        "one BEGIN ... COMMIT. Statements before BEGIN or after COMMIT, a COMMIT in the middle, or a "
        "nested BEGIN break that guarantee, and statements such as VACUUM or REINDEX CONCURRENTLY "
        "cannot run in a transaction at all (CREATE and DROP INDEX CONCURRENTLY there are reported by "
        "index-concurrently, which says how to split them out). Projects whose runner wraps each "
        'file (Supabase CLI, dbmate, golang-migrate) set transaction = "runner" in the policy: there a '
        "file whose one BEGIN ... "
        "COMMIT ends it (even after statements that come before the BEGIN), or a COMMIT as its last "
        "statement, is harmless, but a COMMIT or ROLLBACK anywhere else ends the runner's transaction "
        "early. One early COMMIT is a warning, not an error: after ALTER TYPE ... ADD VALUE (bare or in a "
        "DO block), since a new enum value cannot be used in the transaction that adds it (better: a "
        "migration of its own). "
        "SET and RESET outside the transaction (set lock_timeout before BEGIN) change the session only."
    ),
    bad=Example(
        "create table public.tags (id bigint primary key);\n"
        "alter table public.tags enable row level security;\n"
    ),
    good=Example(
        "begin;\ncreate table public.tags (id bigint primary key);\n"
        "alter table public.tags enable row level security;\ncommit;\n"
    ),
    check=check,
)
