"""The model behind the rules: DO blocks, check_function_bodies, creation-order cycles."""

from __future__ import annotations

from pathlib import Path

from conftest import run_json

RUNNER = 'transaction = "runner"\n'


def _lint(tmp_path: Path, sql: str) -> tuple[int, dict]:
    (tmp_path / "m.sql").write_text(sql, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(RUNNER, encoding="utf-8")
    code, report, _ = run_json("lint", "--config", "policy.toml", "m.sql", cwd=tmp_path)
    return code, report


def _found(report: dict, rule: str) -> list[tuple[int, int]]:
    return [(f["line"], f["column"]) for f in report["findings"] if f["rule"] == rule]


def test_a_type_created_inside_a_do_block_exists_afterwards(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "do $$\nbegin\n  if not exists (select 1 from pg_type where typname = 'role_kind') then\n"
            "    create type public.role_kind as enum ('owner', 'member');\n  end if;\nend\n$$;\n"
            "create table public.members (id bigint primary key, kind public.role_kind not null);\n"
            "alter table public.members enable row level security;\n"
        ),
    )
    assert _found(report, "fk-order") == []


def test_findings_inside_a_do_block_point_into_it(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "-- Prüfung über Umlaute\ndo $$\nbegin\n"
            "    create table if not exists public.inside (id bigint primary key);\n"
            "exception when duplicate_table then null;\nend\n$$;\n"
        ),
    )
    assert _found(report, "rls-enabled") == [(4, 32)]


def test_dynamic_sql_in_a_do_block_is_not_guessed(tmp_path: Path) -> None:
    _, report = _lint(tmp_path, "do $$ begin execute 'create table public.hidden (id int)'; end $$;\n")
    assert report["findings"] == []


SQL_FUNCTION_READING_LATER_TABLE = (
    "create function public.note_count() returns bigint language sql stable set search_path = ''\n"
    "  as $$ select count(*) from public.notes $$;\n"
    "create table public.notes (id bigint primary key);\n"
    "alter table public.notes enable row level security;\n"
)


def test_sql_function_body_reading_a_later_table_fails_when_bodies_are_checked(tmp_path: Path) -> None:
    code, report = _lint(tmp_path, SQL_FUNCTION_READING_LATER_TABLE)
    assert _found(report, "fk-order") == [(1, 1)]
    assert code == 1


def test_check_function_bodies_off_skips_body_references(tmp_path: Path) -> None:
    _, report = _lint(tmp_path, "set check_function_bodies = false;\n" + SQL_FUNCTION_READING_LATER_TABLE)
    assert _found(report, "fk-order") == []
    _, report = _lint(
        tmp_path,
        "set check_function_bodies = off;\nreset check_function_bodies;\n" + SQL_FUNCTION_READING_LATER_TABLE,
    )
    assert _found(report, "fk-order") == [(3, 1)]


def test_a_foreign_key_cycle_suggests_alter_table_add_constraint(tmp_path: Path) -> None:
    code, report = _lint(
        tmp_path,
        (
            "create table public.a (id bigint primary key, b_id bigint references public.b (id));\n"
            "create table public.b (id bigint primary key, a_id bigint references public.a (id));\n"
        ),
    )
    (finding,) = [f for f in report["findings"] if f["rule"] == "fk-order"]
    assert (finding["line"], finding["column"]) == (1, 70)
    assert "line 2" in finding["message"]
    assert "ALTER TABLE ... ADD CONSTRAINT" in finding["hint"]
    assert code == 1


def test_safe_order_hint_lists_the_creating_statements_in_dependency_order(tmp_path: Path) -> None:
    _, report = _lint(
        tmp_path,
        (
            "create table public.chats (id bigint primary key,\n"
            "  match_id bigint references public.matches (id));\n"
            "create table public.matches (id bigint primary key);\n"
        ),
    )
    (finding,) = [f for f in report["findings"] if f["rule"] == "fk-order"]
    hint = finding["hint"]
    assert hint.index("table public.matches (line 3)") < hint.index("table public.chats (line 1)")
