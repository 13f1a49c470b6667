"""Parsing with libpg_query (through pglast) into located statements.

`parse_sql_json` runs in C and returns plain JSON; walking dicts is far cheaper than building
pglast's Python AST for every node, which matters for migrations of tens of thousands of statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pglast import parser as pg

from checker.findings import SYNTAX_ERROR, Finding, Severity
from checker.source import SourceFile


@dataclass(slots=True)
class Statement:
    source: SourceFile
    index: int
    kind: str  # the libpg_query node name, e.g. "CreateStmt"
    node: dict
    start: int  # character offsets into source.text
    end: int

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    @property
    def line(self) -> int:
        return self.position(None)[0]

    def position(self, byte_location: int | None) -> tuple[int, int]:
        """Line:column of a node `location` (a UTF-8 byte offset in the source), or of the statement."""
        if byte_location is None or byte_location < 0:
            return self.source.position(self.start)
        return self.source.position(self.source.char_offset(byte_location))

    def where(self, byte_location: int | None = None) -> str:
        line, column = self.position(byte_location)
        return f"{self.source.path}:{line}:{column}"


@dataclass
class ParsedFile:
    source: SourceFile
    statements: list[Statement] = field(default_factory=list)
    syntax_error: Finding | None = None
    effects: list | None = None  # filled by checker.context.effects_of

    @property
    def path(self) -> str:
        return self.source.path


def sql_tree(sql: str) -> dict:
    """libpg_query's tree of some SQL, as dicts and lists; raises pg.ParseError."""
    return json.loads(pg.parse_sql_json(sql))


def do_block_tree(body: str) -> list:
    """libpg_query's tree of a PL/pgSQL DO block's body; raises pg.ParseError."""
    return json.loads(pg.parse_plpgsql_json(f"do $checker_do$ {body} $checker_do$"))


def plpgsql_function_tree(body: str, returns: str) -> list:
    """libpg_query's tree of a PL/pgSQL function's body, for a function returning `returns` (RETURN's form
    depends on it); raises pg.ParseError."""
    head = f"create function checker_f() returns {returns} language plpgsql"
    function = f"{head} as $checker_f$ {body} $checker_f$"
    return json.loads(pg.parse_plpgsql_json(function))


def parse_source(source: SourceFile) -> ParsedFile:
    try:
        tree = sql_tree(source.text)
    except pg.ParseError as err:
        return ParsedFile(source, syntax_error=_syntax_error(source, err))
    parsed = ParsedFile(source)
    for index, raw in enumerate(tree.get("stmts", [])):
        parsed.statements.append(_statement(source, index, raw))
    return parsed


def _statement(source: SourceFile, index: int, raw: dict) -> Statement:
    ((kind, node),) = raw["stmt"].items()
    byte_start = raw.get("stmt_location", 0)
    byte_len = raw.get("stmt_len", 0)
    start = source.char_offset(byte_start)
    end = source.char_offset(byte_start + byte_len) if byte_len else len(source.text)
    # libpg_query's statement starts at the end of the previous one: skip blanks and comments.
    start = _skip_space_and_comments(source.text, start, end)
    return Statement(source, index, kind, node, start, end)


def _skip_space_and_comments(text: str, start: int, end: int) -> int:
    while start < end:
        if text[start].isspace():
            start += 1
        elif text.startswith("--", start):
            newline = text.find("\n", start)
            start = end if newline == -1 else newline + 1
        elif text.startswith("/*", start):
            close = text.find("*/", start + 2)
            start = end if close == -1 else close + 2
        else:
            break
    return start


def _syntax_error(source: SourceFile, err: pg.ParseError) -> Finding:
    # libpg_query gives no position for "syntax error at end of input": that is the end of the text.
    offset = err.args[1] if len(err.args) > 1 and isinstance(err.args[1], int) else len(source.text.rstrip())
    line, column = source.position(offset)
    message, hint = str(err.args[0]), "fix the SQL so that PostgreSQL can parse it; no rule ran on this file"
    keyword = _new_keyword_before(source.text, offset)
    if keyword:
        message += (
            f" ({keyword} is a keyword since PostgreSQL 16-17, whose grammar the checker parses with: "
            "PostgreSQL 15 takes it as a name, 17 refuses it here too)"
        )
        hint = f'quote the name ("{keyword}") so that every version reads it; no rule ran on this file'
    return Finding(
        rule=SYNTAX_ERROR,
        severity=Severity.ERROR,
        stage="static",
        file=source.path,
        line=line,
        column=column,
        message=message,
        hint=hint,
    )


# Words PostgreSQL 16 and 17 made keywords that cannot be a function's or column's name unquoted: valid names
# on 15, which many Supabase projects still run.
_NEW_KEYWORDS = frozenset(
    {
        "json",
        "json_array",
        "json_arrayagg",
        "json_exists",
        "json_object",
        "json_objectagg",
        "json_query",
        "json_scalar",
        "json_serialize",
        "json_table",
        "json_value",
        "merge_action",
        "system_user",
    }
)


def _new_keyword_before(text: str, offset: int) -> str | None:
    """The newer keyword written unquoted just before (or at) where the parser stopped, if any."""
    try:
        tokens = [t for t in pg.scan(text[: offset + 1]) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    except pg.ParseError:
        return None
    near = [text[t.start : t.end + 1].lower() for t in tokens[-2:]]
    return next((word for word in reversed(near) if word in _NEW_KEYWORDS), None)


@dataclass(frozen=True)
class Comment:
    start: int  # character offsets of the whole comment in the text
    end: int
    body: str  # the text without `--` or `/* */`, stripped


def comments(text: str, kinds: tuple[str, ...] = ("SQL_COMMENT", "C_COMMENT")) -> list[Comment]:
    """The comments of a text, found by libpg_query's scanner (its offsets count characters)."""
    try:
        tokens = pg.scan(text)
    except pg.ParseError:
        return []
    return [
        Comment(t.start, t.end + 1, text[t.start : t.end + 1].lstrip("-/* \t").rstrip("*/ \t\r\n"))
        for t in tokens
        if t.name in kinds
    ]
