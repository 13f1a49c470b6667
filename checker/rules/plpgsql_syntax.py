"""plpgsql-syntax: DO blocks and PL/pgSQL function bodies compile."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser as pg

from checker.context import RuleContext
from checker.findings import Severity
from checker.model.do_blocks import do_body
from checker.model.effects import function_options
from checker.parse import Statement
from checker.rules.base import Example, Issue, Rule
from checker.rules.fk_order import function_bodies_checked

# What libpg_query's PL/pgSQL parser says of code PostgreSQL refuses to compile. Other errors ("Not
# implemented ...": a type in a schema it cannot look up) are its own limits, not the migration's.
_REFUSALS = ("syntax error", "unterminated")


def check(ctx: RuleContext) -> Iterator[Issue]:
    bodies_checked = True
    for statement in ctx.migration.statements:
        bodies_checked = function_bodies_checked(statement, bodies_checked)
        refusal = _refusal(statement, bodies_checked)
        if refusal:
            what = "DO block" if statement.kind == "DoStmt" else "function's body"
            yield Issue(
                statement,
                f"the {what} does not compile as PL/pgSQL ({refusal}): the migration fails here",
                "fix the PL/pgSQL; a quote inside a quoted string (EXECUTE '... = ''x'' ...') is doubled, "
                "or the string is dollar-quoted with its own tag ($q$ ... $q$)",
            )


def _refusal(statement: Statement, bodies_checked: bool) -> str | None:
    """PostgreSQL compiles a DO block before it runs it, and a PL/pgSQL function's body when it is made
    (unless check_function_bodies is off): what its parser refuses, else None."""
    if statement.kind == "DoStmt":
        body, language = do_body(statement.node)
        code = f"do $checker_do$ {body} $checker_do$"
    elif statement.kind == "CreateFunctionStmt" and bodies_checked:
        options = function_options(statement.node.get("options", []))
        body, language = options["body"], options["language"]
        code = statement.text  # the whole statement: its parameters are the body's variables
    else:
        return None
    if not body or language != "plpgsql":
        return None
    try:
        pg.parse_plpgsql_json(code)
    except pg.ParseError as err:
        message = str(err.args[0]) if err.args else ""
        return message if message.startswith(_REFUSALS) else None
    return None


RULE = Rule(
    id="plpgsql-syntax",
    severity=Severity.ERROR,
    summary="DO blocks and PL/pgSQL function bodies compile",
    rationale=(
        "A DO block's body and a PL/pgSQL function's body are strings to the SQL parser: a file whose "
        "PL/pgSQL does not compile parses, and fails only when PostgreSQL compiles the block, as it "
        "runs it (or the function, as it is made). The usual cause is a quote inside an EXECUTE's "
        "string that is not doubled (execute 'drop policy ... where name='x''), ending the string "
        "early. The rule compiles each body with PostgreSQL's own PL/pgSQL grammar (libpg_query) and "
        "reports what it refuses; function bodies after SET check_function_bodies = off are left, as "
        "PostgreSQL leaves them."
    ),
    bad=Example(
        "begin;\ndo $$\nbegin\n  if exists (select from pg_policies where policyname = 'read') then\n"
        "    execute 'drop policy read on public.notes where x='y'';\n  end if;\nend $$;\ncommit;\n"
    ),
    good=Example(
        "begin;\ndo $$\nbegin\n  if exists (select from pg_policies where policyname = 'read') then\n"
        "    execute 'drop policy read on public.notes';\n  end if;\nend $$;\ncommit;\n"
    ),
    check=check,
)
