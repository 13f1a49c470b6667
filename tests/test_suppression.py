"""Suppression comments: `-- checker-ignore RULE: reason` for a statement, `-ignore-file` for a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json

UNPROTECTED = "create table public.{name} (id bigint primary key);\n"


def _lint(sql: str, folder: Path, *extra: str) -> tuple[int, list[dict]]:
    (folder / "m.sql").write_text(sql, encoding="utf-8")
    code, report, _ = run_json("lint", "m.sql", *extra, cwd=folder)
    return code, report["findings"]


def _rules_at(findings: list[dict]) -> set[tuple[str, int]]:
    return {(f["rule"], f["line"]) for f in findings}


def _wrap(*lines: str) -> str:
    return "begin;\n" + "".join(lines) + "commit;\n"


def test_without_suppression_the_finding_is_there(isolated: Path) -> None:
    code, findings = _lint(_wrap(UNPROTECTED.format(name="audit")), isolated)
    assert code == 1
    assert _rules_at(findings) == {("rls-enabled", 2)}


def test_suppression_removes_the_finding_before_its_statement(isolated: Path) -> None:
    sql = _wrap(
        "-- checker-ignore rls-enabled: written by a trigger only, never through the API\n",
        UNPROTECTED.format(name="audit"),
        UNPROTECTED.format(name="other"),
    )
    code, findings = _lint(sql, isolated)
    assert _rules_at(findings) == {("rls-enabled", 4)}, "only the next statement is covered"
    assert code == 1


@pytest.mark.parametrize(
    "comment",
    [
        "-- checker-ignore rls-enabled: written by a trigger only\n",
        "/* checker-ignore rls-enabled: written by a trigger only */\n",
        "--checker-ignore   rls-enabled:   written by a trigger only\n",
        "-- checker-ignore fk-order, rls-enabled: written by a trigger only\n",
    ],
    ids=["line-comment", "block-comment", "tight-spacing", "two-rules"],
)
def test_suppression_forms(comment: str, isolated: Path) -> None:
    code, findings = _lint(_wrap(comment, UNPROTECTED.format(name="audit")), isolated)
    rules = {f["rule"] for f in findings}
    assert "rls-enabled" not in rules
    if "fk-order" in comment:
        assert rules == {"unused-suppression"} or rules == set(), findings
    else:
        assert findings == []
        assert code == 0


def test_suppression_inside_the_statement(isolated: Path) -> None:
    sql = _wrap(
        "create table public.audit ( -- checker-ignore rls-enabled: written by a trigger only\n",
        "  id bigint primary key\n);\n",
    )
    code, findings = _lint(sql, isolated)
    assert (code, findings) == (0, [])


def test_suppression_after_the_statement_does_not_cover_it(isolated: Path) -> None:
    sql = _wrap(
        UNPROTECTED.format(name="audit"),
        "-- checker-ignore rls-enabled: too late, the table is above\n",
    )
    code, findings = _lint(sql, isolated)
    assert code == 1
    assert _rules_at(findings) == {("rls-enabled", 2), ("unused-suppression", 3)}


def test_marker_inside_a_string_is_not_a_suppression(isolated: Path) -> None:
    sql = _wrap(
        "select '-- checker-ignore rls-enabled: this is data, not a comment';\n",
        UNPROTECTED.format(name="audit"),
    )
    code, findings = _lint(sql, isolated)
    assert code == 1
    assert _rules_at(findings) == {("rls-enabled", 3)}


@pytest.mark.parametrize(
    "comment",
    [
        "-- checker-ignore rls-enabled\n",
        "-- checker-ignore rls-enabled:\n",
        "-- checker-ignore: no rule named\n",
        "-- checker-ignore\n",
    ],
    ids=["no-colon", "empty-reason", "no-rule", "bare"],
)
def test_suppression_without_reason_is_invalid(comment: str, isolated: Path) -> None:
    code, findings = _lint(_wrap(comment, UNPROTECTED.format(name="audit")), isolated)
    assert code == 1
    assert _rules_at(findings) == {("invalid-suppression", 2), ("rls-enabled", 3)}
    invalid = next(f for f in findings if f["rule"] == "invalid-suppression")
    assert invalid["column"] == 1 and invalid["severity"] == "warning"


def test_suppression_that_matches_nothing_is_reported(isolated: Path) -> None:
    sql = _wrap(
        "-- checker-ignore fk-order: nothing here refers to anything\n",
        "create table public.notes (id bigint primary key);\n",
        "alter table public.notes enable row level security;\n",
        "create policy notes_read on public.notes for select to anon, authenticated using (true);\n",
    )
    code, findings = _lint(sql, isolated)
    assert code == 0
    assert _rules_at(findings) == {("unused-suppression", 2)}
    assert "fk-order" in findings[0]["message"]


def test_suppression_of_an_unknown_rule_is_reported(isolated: Path) -> None:
    sql = _wrap("-- checker-ignore rls-enabeld: a typo\n", UNPROTECTED.format(name="audit"))
    _, findings = _lint(sql, isolated)
    assert ("rls-enabled", 3) in _rules_at(findings)
    assert {f["rule"] for f in findings} & {"unused-suppression", "invalid-suppression"}


def test_suppression_of_a_related_id(isolated: Path) -> None:
    """rls-no-policy is reported by the rls-enabled module under its own id; it suppresses by that id."""
    sql = _wrap(
        "-- checker-ignore rls-no-policy: only the service role reads this table\n",
        "create table public.jobs (id bigint primary key);\n",
        "alter table public.jobs enable row level security;\n",
    )
    code, findings = _lint(sql, isolated)
    assert (code, findings) == (0, [])


def test_file_suppression_covers_the_whole_file(isolated: Path) -> None:
    sql = "-- checker-ignore-file rls-enabled: internal tables, revoked from the API roles\n" + _wrap(
        UNPROTECTED.format(name="a"), "select 1;\n", UNPROTECTED.format(name="b")
    )
    code, findings = _lint(sql, isolated)
    assert (code, findings) == (0, [])


def test_file_suppression_is_per_rule(isolated: Path) -> None:
    sql = "-- checker-ignore-file fk-order: lookup tables only\n" + _wrap(UNPROTECTED.format(name="a"))
    code, findings = _lint(sql, isolated)
    assert code == 1
    assert _rules_at(findings) == {("unused-suppression", 1), ("rls-enabled", 3)}


def test_file_suppression_without_reason_is_invalid(isolated: Path) -> None:
    sql = "-- checker-ignore-file rls-enabled\n" + _wrap(UNPROTECTED.format(name="a"))
    code, findings = _lint(sql, isolated)
    assert code == 1
    assert _rules_at(findings) == {("invalid-suppression", 1), ("rls-enabled", 3)}


def test_suppression_in_a_rollback(isolated: Path) -> None:
    (isolated / "m.sql").write_text(
        _wrap(
            "create table public.notes (id bigint primary key);\n",
            "alter table public.notes enable row level security;\n",
            "create policy notes_read on public.notes for select to anon, authenticated using (true);\n",
        ),
        encoding="utf-8",
    )
    rollback = _wrap(
        "-- checker-ignore rollback-coverage: public.legacy is obsolete and removed on purpose\n",
        "drop table if exists public.legacy;\n",
        "drop table if exists public.notes;\n",
    )
    (isolated / "r.sql").write_text(rollback, encoding="utf-8")
    (isolated / "base.sql").write_text("create table public.legacy (id int);\n", encoding="utf-8")
    args = ("lint", "m.sql", "--rollback", "r.sql", "--baseline", "base.sql")
    code, report, _ = run_json(*args, cwd=isolated)
    assert (code, report["findings"]) == (0, [])
    (isolated / "r.sql").write_text(rollback.replace("-- checker-ignore", "-- ignored"), encoding="utf-8")
    code, report, _ = run_json(*args, cwd=isolated)
    assert code == 1
    assert {(f["rule"], f["file"], f["line"]) for f in report["findings"]} == {
        ("rollback-coverage", "r.sql", 3)
    }


def test_suppression_after_multibyte_text(isolated: Path) -> None:
    sql = _wrap(
        "-- Tabelle für Prüfprotokolle — 監査ログ\n",
        "-- checker-ignore rls-enabled: nur über Trigger beschrieben\n",
        UNPROTECTED.format(name="audit"),
        UNPROTECTED.format(name="other"),
    )
    code, findings = _lint(sql, isolated)
    assert code == 1
    assert _rules_at(findings) == {("rls-enabled", 5)}
