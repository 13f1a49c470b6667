"""Parsing with libpg_query (through pglast) into located statements.

`parse_sql_json` runs in C and returns plain JSON; walking dicts is far cheaper than building
pglast's Python AST for every node, which matters for migrations of tens of thousands of statements.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pglast import parser as pg

from checker.findings import SYNTAX_ERROR, Finding, Severity
from checker.source import SourceFile

T = TypeVar("T")


class Statement:
    """One statement of a file: its kind, where it is, and its libpg_query tree (`node`).

    A file's trees as dicts take forty times the SQL's size, so a statement parsed with the file keeps
    where its tree is in the file's JSON text and loads the dicts when asked; the last few dozen loaded
    stay (the model and each rule read a statement's tree several times in a row), older ones are let go
    and loaded again if asked. A tree that was changed (`keep`) or given as dicts stays. What rules read
    of every statement of a kind is kept as a `Fact` of the statement instead."""

    __slots__ = ("_at", "_facts", "_json", "_node", "end", "index", "kind", "source", "start")

    def __init__(
        self, source: SourceFile, index: int, kind: str, node: dict | None, start: int, end: int,
        json_text: str | None = None, json_at: int = 0,
    ) -> None:
        self.source, self.index, self.kind, self.start, self.end = source, index, kind, start, end
        self._node, self._json, self._at = node, json_text, json_at
        self._facts: dict[Remembered, object] | None = None

    @property
    def node(self) -> dict:
        node = self._node
        if node is None:
            node = self._node = _scan_json(self._json, self._at)[0]["stmt"][self.kind]
            _LOADED.append(self)
            if len(_LOADED) > _LOADED_KEPT:
                _LOADED.popleft()._let_go()
        return node

    def read_facts(self) -> None:
        """Read the facts of its kind while the tree is loaded (the model reads every statement's): what
        Remembered.__call__ does for each, the tree and the dict looked up once (the model's hot loop)."""
        readers = _FACTS_OF_KIND.get(self.kind)
        if readers is None:
            return
        node = self.node
        facts = self._facts
        if facts is None:
            facts = self._facts = {}
        for fact in readers:
            if fact not in facts:
                facts[fact] = fact.read(node)

    def keep(self) -> None:
        """The tree was changed in place: hold these dicts for good."""
        _ = self.node
        self._json = None

    def _let_go(self) -> None:
        if self._json is not None:
            self._node = None

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

    def __repr__(self) -> str:
        return f"Statement({self.source.path}:{self.index} {self.kind})"


class Remembered(Generic[T]):
    """Something worked out of a statement once and kept with it (called with the statement)."""

    __slots__ = ()

    def __call__(self, statement: Statement) -> T:
        facts = statement._facts
        if facts is None:
            facts = statement._facts = {}
        elif self in facts:
            return facts[self]  # type: ignore[return-value]
        found = facts[self] = self.work_out(statement)
        return found

    def work_out(self, statement: Statement) -> T:
        raise NotImplementedError


class Fact(Remembered[T]):
    """A small part of the trees of some kinds of statement that rules read of every such statement: read
    while the model has the tree loaded, and kept when the tree is let go, so that no rule loads it again.
    `read` gets the statement's tree and must not depend on the model's state (the search_path): it gives
    parts of the tree and names as written, which the rules resolve."""

    __slots__ = ("read",)

    def __init__(self, read: Callable[[dict], T], *kinds: str) -> None:
        self.read = read
        for kind in kinds:
            _FACTS_OF_KIND.setdefault(kind, []).append(self)

    def work_out(self, statement: Statement) -> T:
        return self.read(statement.node)


class Derived(Remembered[T]):
    """What rules work out of a statement's facts (not its tree): a name resolved as the rules resolve it,
    say, which the model could not work out for them (it resolves names along the file's search_path as it
    goes)."""

    __slots__ = ("derive",)

    def __init__(self, derive: Callable[[Statement], T]) -> None:
        self.derive = derive

    def work_out(self, statement: Statement) -> T:
        return self.derive(statement)


_FACTS_OF_KIND: dict[str, list[Fact]] = {}
# json.loads without its two Python-level steps around the C scanner (a tenth of a large file's loads),
# and from where the statement's object starts in the file's text.
_scan_json = json.JSONDecoder().scan_once
_LOADED: deque[Statement] = deque()  # statements whose trees are loaded, oldest first
_LOADED_KEPT = 64


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
        tree = pg.parse_sql_json(source.text)
    except pg.ParseError as err:
        return ParsedFile(source, syntax_error=_syntax_error(source, err))
    parsed = ParsedFile(source)
    for index, (at, end) in enumerate(_statement_spans(tree)):
        parsed.statements.append(_statement(source, index, tree, at, end))
    return parsed


_STMT = '{"stmt":{"'  # how each statement of the file's JSON starts: {"stmt":{"Kind":{...}},...}


def _statement_spans(tree: str) -> list[tuple[int, int]]:
    """Where each statement's object is in the file's JSON text: a statement's tree, {"stmt":{"Kind":...},
    "stmt_location":n,"stmt_len":n}, starts with _STMT, which no other place of the text holds (no
    other node has a field named stmt; a string's quotes are escaped), and ends before the next one."""
    starts = []
    at = tree.find(_STMT)
    while at != -1:
        starts.append(at)
        at = tree.find(_STMT, at + len(_STMT))
    if not starts:
        return []
    ends = [start - 1 for start in starts[1:]] + [len(tree) - 2]  # a comma between them; "]}" at the end
    return list(zip(starts, ends, strict=True))


def _statement(source: SourceFile, index: int, tree: str, at: int, json_end: int) -> Statement:
    kind = tree[at + len(_STMT) : tree.index('"', at + len(_STMT))]
    # After the statement's node, the raw statement's two numbers; each is left out where it is 0.
    numbers = json.loads("{" + tree[tree.rindex("}", at, json_end - 1) + 2 : json_end - 1] + "}")
    byte_start = numbers.get("stmt_location", 0)
    byte_len = numbers.get("stmt_len", 0)
    start = source.char_offset(byte_start)
    end = source.char_offset(byte_start + byte_len) if byte_len else len(source.text)
    # libpg_query's statement starts at the end of the previous one: skip blanks and comments.
    start = _skip_space_and_comments(source.text, start, end)
    return Statement(source, index, kind, None, start, end, tree, at)


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
