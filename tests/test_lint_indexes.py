"""The indexes the static stage keeps for speed give the answers a plain scan gives."""

from __future__ import annotations

from pathlib import Path

from checker.context import MigrationUnit, RuleContext, effects_of
from checker.model import Effects, ObjectRef
from checker.model.objects import strings
from checker.model.walk import TreeIndex, find_nodes
from checker.parse import Statement, parse_source
from checker.policy import default_policy
from checker.rules._api_access import _grants_by_name, _privilege_changes, api_roles_left
from checker.rules._schema_support import declared_column_types, declared_foreign_keys
from checker.rules.fk_order import Creators, _provides, safe_order
from checker.source import decode_source, read_source

# Unqualified and qualified functions, overloads, a type a table provides, a view read as a table,
# a cycle (a <-> b) and a statement blocked behind it (c).
MIGRATION = """
create function helper(integer) returns integer language sql as $$ select 1 $$;
create table public.users (id bigint primary key, n integer default public.helper(1));
create view public.v as select 1 as id;
create table public.a (id bigint primary key, b_id bigint references public.b (id));
create table public.b (id bigint primary key, a_id bigint references public.a (id));
create table public.c (id bigint primary key, a_id bigint references public.a (id));
create table public.early (id bigint primary key, v_id bigint references public.v (id), u public.users);
create function public.helper(text) returns text language sql as $$ select 'x' $$;
create function public.late(u public.users) returns integer language sql as $$ select helper(2) $$;
"""


def _effects(tmp_path: Path, sql: str) -> list[Effects]:
    path = tmp_path / "m.sql"
    path.write_text(sql, encoding="utf-8")
    return effects_of(parse_source(read_source(path)))


def _scan_order(all_effects: list[Effects]) -> tuple[list[int], list[int]]:
    """The safe order as a plain scan finds it: repeatedly the earliest statement whose needs are met."""
    creators = [(c.ref, e.statement) for e in all_effects for c in e.creates]
    needs: dict[int, set[int]] = {}
    for effects in all_effects:
        if effects.creates:
            own = effects.statement.index
            needs[own] = {
                s.index
                for r in effects.all_references()
                for ref, s in creators
                if s.index != own and _provides(ref, r.target)
            }
    order, done, pending = [], set(), sorted(needs)
    while pending:
        ready = [i for i in pending if needs[i] <= done]
        if not ready:
            break
        done.add(ready[0])
        order.append(ready[0])
        pending.remove(ready[0])
    return order, pending


def test_creators_by_name_find_what_a_scan_of_every_created_object_finds(tmp_path: Path) -> None:
    all_effects = _effects(tmp_path, MIGRATION)
    creators = Creators(all_effects)
    created = [(c.ref, e.statement) for e in all_effects for c in e.creates]
    references = [r.target for e in all_effects for r in e.all_references()] + [
        ObjectRef("function", "", "helper"),  # an unqualified call: any schema's helper
        ObjectRef("function", "public", "helper", None, ("integer",)),
        ObjectRef("function", "public", "helper", None, ("uuid",)),  # no such overload
        ObjectRef("table", "public", "v"),
        ObjectRef("column", "public", "id", "a"),
    ]
    assert len(references) > 10
    for wanted in references:
        scanned: list[Statement] = [s for ref, s in created if _provides(ref, wanted)]
        assert list(creators.providers(wanted)) == scanned, wanted


def test_safe_order_is_the_scan_order_with_the_cycle_left_over(tmp_path: Path) -> None:
    all_effects = _effects(tmp_path, MIGRATION)
    order, cycles = safe_order(all_effects)
    expected_order, left_over = _scan_order(all_effects)
    assert [s.index for s in order] == expected_order
    assert [[s.index for s in cycle] for cycle in cycles] == [left_over]
    assert left_over == [3, 4, 5]  # a and b need each other; c waits for a


GRANTS = """
create function public.f(integer) returns integer language sql as $$ select 1 $$;
create table public.t (id bigint primary key);
do $$ begin create table public.inner_t (id bigint primary key); end $$;
grant execute on function public.f(integer), public.f(text) to authenticated;
revoke execute on function f(integer) from anon, public;
revoke all on table public.t, t, public.other from anon;
grant select on public.t to anon;
grant usage on schema public to anon;
revoke execute on all functions in schema public from anon;
"""


def _context(tmp_path: Path, sql: str) -> RuleContext:
    path = tmp_path / "m.sql"
    path.write_text(sql, encoding="utf-8")
    return RuleContext(MigrationUnit(parse_source(read_source(path))), default_policy())


def test_effects_for_a_statement_are_that_statements_own(tmp_path: Path) -> None:
    ctx = _context(tmp_path, GRANTS)
    for statement in ctx.migration.statements:
        assert ctx.effects_for(statement).statement is statement


def test_grants_by_name_hold_every_grant_a_scan_finds(tmp_path: Path) -> None:
    ctx = _context(tmp_path, GRANTS)
    refs = [
        ObjectRef("function", "public", "f", None, ("integer",)),
        ObjectRef("function", "public", "f", None, ("text",)),
        ObjectRef("function", "public", "f"),
        ObjectRef("table", "public", "t"),
        ObjectRef("view", "public", "other"),
        ObjectRef("table", "public", "inner_t"),
    ]
    found = 0
    for ref in refs:
        for privilege in ("execute", "select"):
            scanned = [s for s in ctx.migration.statements if list(_privilege_changes(s, ref, privilege))]
            indexed = _grants_by_name(ctx).get((ref.schema, ref.name), [])
            assert [s for s in indexed if list(_privilege_changes(s, ref, privilege))] == scanned
            found += len(scanned)
    assert found >= 8
    assert api_roles_left(ctx, refs[0], "execute") == ["authenticated"]
    assert api_roles_left(ctx, refs[3], "select") == ["anon", "authenticated"]


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_a_table_statements_declared_columns_and_constraints_are_what_find_nodes_walks_to() -> None:
    """The rules read a CREATE / ALTER TABLE's columns and foreign keys where the grammar puts them,
    not by walking the whole tree: the two agree on every table statement of the fixtures and corpus."""
    files = sorted((Path(__file__).parent / "fixtures").rglob("*.sql")) + sorted(CORPUS.rglob("*.sql"))
    checked = 0
    for path in files:
        parsed = parse_source(read_source(path))
        for statement in parsed.statements:
            if statement.kind not in ("CreateStmt", "AlterTableStmt"):
                continue
            columns = [
                (strings(c["typeName"].get("names")), c["typeName"].get("location"))
                for c in find_nodes(statement.node, "ColumnDef")
            ]
            assert [(c.type_names, c.location) for c in declared_column_types(statement)] == columns, path
            keys = [c for c in find_nodes(statement.node, "Constraint") if c["contype"] == "CONSTR_FOREIGN"]
            found = [(k["pktable"], strings(k.get("pk_attrs")), k.get("location")) for k in keys]
            assert [tuple(k) for k in declared_foreign_keys(statement)] == found, path
            checked += len(found) + len(columns)
    assert checked > 100  # the fixtures alone; the corpus, where present, adds about a thousand


def test_a_tree_index_answers_as_find_nodes_and_keeps_its_trees() -> None:
    policy = _first_statement(
        "create policy p on public.t for all using ((select auth.uid()) = owner_id and "
        "exists (select 1 from public.m where m.user_id = auth.uid() and m.role = 'admin'));"
    )
    clause = policy.node["qual"]
    index = TreeIndex(frozenset({"FuncCall", "A_Const"}))
    for tree in (clause, clause["BoolExpr"]["args"][0], clause["BoolExpr"]["args"], None):
        for kind in ("FuncCall", "A_Const", "ColumnRef", "SubLink"):
            assert index.nodes(tree, kind) == list(find_nodes(tree, kind))
    assert len(index.nodes(clause, "FuncCall")) == 2
    assert index.nodes(clause, "FuncCall") is index.nodes(clause, "FuncCall")  # walked once
    index.clear()
    assert index.nodes({"FuncCall": {"x": 1}}, "FuncCall") == [{"x": 1}]


def _first_statement(sql: str) -> Statement:
    return parse_source(decode_source("m.sql", sql.encode())).statements[0]


def test_tree_facts_tell_the_own_row_and_the_per_row_calls_apart() -> None:
    """One walk of a policy clause: comparisons outside sub-selects that read a table are about the
    policy's own row; calls inside a FROM-less sub-select run once (an InitPlan), others per row."""
    policy = _first_statement(
        "create policy p on public.t for all using (owner_id = (select auth.uid()) and auth.role() = 'x' "
        "and exists (select 1 from public.m where m.user_id = auth.jwt() and m.team = team_id));"
    )
    clause = policy.node["qual"]
    index = TreeIndex(frozenset({"FuncCall"}), own=frozenset({"A_Expr"}), per_row=frozenset({"FuncCall"}))
    facts = index.facts(clause)
    assert facts.nodes("FuncCall") == list(find_nodes(clause, "FuncCall"))
    own = [expr["lexpr"] for expr in facts.own("A_Expr")]  # not m.user_id = ..., m.team = team_id
    assert [next(iter(operand)) for operand in own] == ["ColumnRef", "FuncCall"]  # owner_id, auth.role()
    assert len(list(find_nodes(clause, "A_Expr"))) == 4
    per_row = sorted(call["funcname"][-1]["String"]["sval"] for call in facts.per_row("FuncCall"))
    assert per_row == ["jwt", "role"]  # auth.uid() is wrapped in (select ...), auth.jwt() reads public.m
    assert index.facts(clause) is facts


def test_byte_offset_is_the_inverse_of_char_offset() -> None:
    text = "-- é\nselect '日本' as x;\n\nselect 1;\n"
    source = decode_source("m.sql", text.encode())
    for offset in range(len(text)):
        assert source.byte_offset(offset) == len(text[:offset].encode())
        assert source.char_offset(source.byte_offset(offset)) == offset
