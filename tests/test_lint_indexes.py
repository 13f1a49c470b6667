"""The indexes the static stage keeps for speed give the answers a plain scan gives."""

from __future__ import annotations

from pathlib import Path

from checker.context import effects_of
from checker.model import Effects, ObjectRef
from checker.parse import Statement, parse_source
from checker.rules.fk_order import Creators, _provides, safe_order
from checker.source import read_source

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
