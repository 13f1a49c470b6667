"""plpgsql-syntax: DO blocks and PL/pgSQL function bodies compile."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import parser as pg

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import Effects
from checker.rules.base import Example, Issue, Rule
from checker.rules.fk_order import function_bodies_checked

# What libpg_query's PL/pgSQL parser says of code PostgreSQL refuses to compile. Other errors ("Not
# implemented ...": a type in a schema it cannot look up) are its own limits, not the migration's.
_REFUSALS = ("syntax error", "unterminated")


def check(ctx: RuleContext) -> Iterator[Issue]:
    bodies_checked = True
    for effects in ctx.migration_effects:
        statement = effects.statement
        bodies_checked = function_bodies_checked(statement, bodies_checked)
        refused = effects.refused if statement.kind == "DoStmt" else _refused(effects, bodies_checked)
        if refused.startswith(_REFUSALS):
            what = "DO block" if statement.kind == "DoStmt" else "function's body"
            yield Issue(
                statement,
                f"the {what} does not compile as PL/pgSQL ({refused}): the migration fails here",
                "fix the PL/pgSQL; a quote inside a quoted string (EXECUTE '... = ''x'' ...') is doubled, "
                "or the string is dollar-quoted with its own tag ($q$ ... $q$)",
            )


def _refused(effects: Effects, bodies_checked: bool) -> str:
    """PostgreSQL compiles a PL/pgSQL function's body when it is made (unless check_function_bodies is
    off), as it compiles a DO block before it runs it (the model keeps what the grammar said of those):
    the grammar's refusal, else ""."""
    statement = effects.statement
    if statement.kind != "CreateFunctionStmt" or not bodies_checked:
        return ""
    options = effects.creates[0].details  # the model's function_options of the statement, and more
    if not options["body"] or options["language"] != "plpgsql":
        return ""
    try:
        pg.parse_plpgsql_json(statement.text)  # the whole statement: its parameters are the body's variables
    except pg.ParseError as err:
        return str(err.args[0]) if err.args else ""
    return ""


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
