"""Input the checker cannot use: exit 2, one line that says where and why, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_no_traceback, one_error_line, run_checker, run_json

OK_SQL = "begin;\nselect 1;\ncommit;\n"


def _syntax_error(path: str, cwd: Path) -> tuple[int, str, str, dict]:
    code, out, err = run_checker("lint", path, cwd=cwd)
    assert_no_traceback(out, err)
    _, report, _ = run_json("lint", path, cwd=cwd)
    (finding,) = [f for f in report["findings"] if f["rule"] == "syntax-error"]
    return code, out, err, finding


@pytest.mark.parametrize(
    ("sql", "line", "column", "near"),
    [
        ("begin;\ncreate table public.t (id int;\ncommit;\n", 2, 30, '";"'),
        ("create table (;\n", 1, 14, '"("'),
        ("select 1;\n\n   selec 2;\n", 3, 4, '"selec"'),
    ],
    ids=["missing-paren", "first-line", "indented"],
)
def test_syntax_error_location(sql: str, line: int, column: int, near: str, isolated: Path) -> None:
    (isolated / "m.sql").write_text(sql, encoding="utf-8")
    code, out, err, finding = _syntax_error("m.sql", isolated)
    assert code == 2
    assert (finding["line"], finding["column"]) == (line, column)
    assert finding["message"] == f"syntax error at or near {near}"
    assert sum("syntax error" in text for text in (out + err).splitlines()) == 1


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("-- héllo wörld, ünïcode\nselect 1;\nselect 'ääää' frm x;\n", 19),
        ("-- 日本語のコメント 😀\nselect 1;\nselect '😀😀' frm x;\n", 17),
    ],
    ids=["two-byte", "three-and-four-byte"],
)
def test_syntax_error_after_multibyte_characters(sql: str, column: int, isolated: Path) -> None:
    """libpg_query counts bytes; the column a user sees counts characters."""
    (isolated / "m.sql").write_text(sql, encoding="utf-8")
    code, _, _, finding = _syntax_error("m.sql", isolated)
    assert code == 2
    assert (finding["line"], finding["column"]) == (3, column)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("begin;\ncreate table public.t (id int;\ncommit;\n", 'm.sql:2:30: syntax error at or near ";"'),
        ("-- héllo wörld\nselect 1;\nselect 'ääää' frm x;\n", 'm.sql:3:19: syntax error at or near "x"'),
    ],
    ids=["ascii", "multibyte"],
)
def test_syntax_error_is_one_line_with_its_location(sql: str, expected: str, isolated: Path) -> None:
    """The text report says file:line:column: message, a form editors and terminals link."""
    (isolated / "m.sql").write_text(sql, encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", cwd=isolated)
    assert code == 2
    assert_no_traceback(out, err)
    assert any(line.strip().startswith(expected) for line in (out + err).splitlines()), out + err


def test_syntax_error_at_end_of_input_points_at_the_end(isolated: Path) -> None:
    (isolated / "m.sql").write_text("select 1;\nselect (1\n", encoding="utf-8")
    code, _, _, finding = _syntax_error("m.sql", isolated)
    assert code == 2
    assert finding["message"] == "syntax error at end of input"
    reported = f"{finding['line']}:{finding['column']}"
    assert finding["line"] == 2, f"end of input is on line 2, reported at {reported}"



def test_a_name_newer_postgresql_made_a_keyword_says_so(isolated: Path) -> None:
    """deploy-vercel's `create function json(uuid_ulid)` is valid on its PostgreSQL 15; the checker parses
    with PostgreSQL 17's grammar, which takes json( for its JSON() constructor: the error says why, and how
    to write the name so that both read it."""
    sql = "select 1;\ncreate function json(x int) returns int language sql as $$ select 1 $$;\n"
    (isolated / "m.sql").write_text(sql, encoding="utf-8")
    code, _, _, finding = _syntax_error("m.sql", isolated)
    assert code == 2
    assert "json is a keyword since PostgreSQL 16-17" in finding["message"], finding
    assert 'quote the name ("json")' in finding["hint"]

def test_non_utf8_file(write_sql: Callable[..., Path], tmp_path: Path) -> None:
    write_sql("latin1.sql", "select 1;\n-- caf\xe9\n".encode("latin-1"))
    code, out, err = run_checker("lint", "latin1.sql", cwd=tmp_path)
    assert code == 2
    line = one_error_line(out, err)
    assert "latin1.sql:2:7:" in line and "UTF-8" in line


def test_utf8_byte_order_mark_is_accepted(write_sql: Callable[..., Path], tmp_path: Path) -> None:
    write_sql("bom.sql", b"\xef\xbb\xbf" + OK_SQL.encode())
    code, out, err = run_checker("lint", "bom.sql", cwd=tmp_path)
    assert code == 0, out + err


@pytest.mark.parametrize(
    "content",
    ["", "\n\n   \n", "-- only a comment\n", "/* a block\n   comment */\n-- and a line comment\n"],
    ids=["empty", "blank", "line-comment", "block-comment"],
)
def test_file_without_statements(content: str, write_sql: Callable[..., Path], tmp_path: Path) -> None:
    write_sql("nothing.sql", content)
    code, out, err = run_checker("lint", "nothing.sql", cwd=tmp_path)
    assert code == 2, f"exit {code}: {out}{err}"
    line = one_error_line(out, err)
    assert "nothing.sql" in line and "no SQL statements" in line


@pytest.mark.parametrize("path", ["missing.sql", "missing_dir/", "missing_dir/x.sql"])
def test_missing_path(path: str, isolated: Path) -> None:
    code, out, err = run_checker("lint", path, cwd=isolated)
    assert code == 2
    line = one_error_line(out, err)
    assert path.rstrip("/") in line and "no such file" in line


def test_missing_rollback_and_baseline(isolated: Path) -> None:
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    for option in ("--rollback", "--baseline"):
        code, out, err = run_checker("lint", "m.sql", option, "gone.sql", cwd=isolated)
        assert code == 2
        assert "gone.sql" in one_error_line(out, err)


def test_directory_without_sql(isolated: Path) -> None:
    (isolated / "empty_dir").mkdir()
    code, out, err = run_checker("lint", "empty_dir", cwd=isolated)
    assert code == 2
    assert "no migration files" in one_error_line(out, err)


def test_no_paths(isolated: Path) -> None:
    code, out, err = run_checker("lint", cwd=isolated)
    assert code == 2
    assert "no migration given" in one_error_line(out, err)


def test_rollback_with_two_migrations(isolated: Path) -> None:
    for name in ("a.sql", "b.sql", "a_down.sql"):
        (isolated / name).write_text(OK_SQL, encoding="utf-8")
    code, out, err = run_checker("lint", "a.sql", "b.sql", "--rollback", "a_down.sql", cwd=isolated)
    assert code == 2
    assert "--rollback needs exactly one migration" in one_error_line(out, err)


@pytest.mark.parametrize(
    ("name", "content", "key", "why"),
    [
        ("unknown.toml", 'exposed_schema = ["public"]\n', "exposed_schema", "unknown key"),
        ("nested.toml", '[rules.rls-enabled]\nlevel = "warning"\n', "rules.rls-enabled", "level"),
        (
            "severity.toml",
            '[rules.rls-enabled]\nseverity = "fatal"\n',
            "rules.rls-enabled.severity",
            "'fatal' is not one of",
        ),
        ("type.toml", 'exposed_schemas = "public"\n', "exposed_schemas", "not of type 'array'"),
        ("type.json", '{"transaction": true}', "transaction", "is not one of"),
        (
            "reason.toml",
            '[[exemptions]]\nrule = "rls-enabled"\nobject = "public.t"\n',
            "exemptions.0",
            "'reason' is a required property",
        ),
        (
            "tenancy.toml",
            '[rls.tenancy]\n"public.tasks" = "owner:assignee_id"\n',
            "rls.tenancy.public.tasks",
            "does not match",
        ),
        ("tenancy_table.toml", '[rls.tenancy]\ntasks = "public"\n', "rls.tenancy", "does not match"),
        ("syntax.toml", "x = \n", "syntax.toml", "not valid TOML"),
        ("syntax.json", "{bad", "syntax.json", "not valid JSON"),
    ],
)
def test_bad_policy(name: str, content: str, key: str, why: str, isolated: Path) -> None:
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    (isolated / name).write_text(content, encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", "--config", name, cwd=isolated)
    assert code == 2
    line = one_error_line(out, err)
    assert name in line and key in line and why in line


def test_policy_naming_an_unknown_rule(isolated: Path) -> None:
    """A misspelt rule id would otherwise change nothing, silently."""
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    (isolated / "typo.toml").write_text('[rules.rls-enabeld]\nseverity = "off"\n', encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", "--config", "typo.toml", cwd=isolated)
    assert code == 2, f"exit {code}: {out}{err}"
    assert "rls-enabeld" in one_error_line(out, err)


def test_missing_policy_file(isolated: Path) -> None:
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", "--config", "nope.toml", cwd=isolated)
    assert code == 2
    assert "nope.toml" in one_error_line(out, err)


def test_bad_pyproject_policy(isolated: Path) -> None:
    (isolated / "pyproject.toml").write_text("[tool.checker]\nrollback = 'sometimes'\n", encoding="utf-8")
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    code, out, err = run_checker("lint", "m.sql", cwd=isolated)
    assert code == 2
    line = one_error_line(out, err)
    assert "pyproject.toml" in line and "rollback" in line


def test_sql_file_that_is_a_directory(isolated: Path) -> None:
    (isolated / "m.sql").write_text(OK_SQL, encoding="utf-8")
    (isolated / "folder.sql").mkdir()
    code, out, err = run_checker("lint", "m.sql", "--rollback", "folder.sql", cwd=isolated)
    assert code == 2
    assert "folder.sql" in one_error_line(out, err)
