"""Walking libpg_query JSON trees (plain dicts and lists) without building Python AST objects."""

from __future__ import annotations

from collections.abc import Iterator


def find_nodes(tree: object, *kinds: str) -> Iterator[dict]:
    """Every node of the given kinds inside `tree`, in document order (depth first)."""
    wanted = frozenset(kinds)
    stack: list[object] = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:  # exact types: libpg_query JSON has only dict, list and scalars
            found = []
            for key, value in item.items():
                kind = type(value)
                if kind is dict:
                    if key in wanted:
                        yield value
                    found.append(value)
                elif kind is list:
                    found.append(value)
            for value in reversed(found):
                push(value)
        elif type(item) is list:
            for value in reversed(item):
                if type(value) is dict or type(value) is list:
                    push(value)


def nodes_by_kind(tree: object, kinds: frozenset[str] | None = None) -> dict[str, list[dict]]:
    """One walk gathering the nodes of every kind (or of `kinds`), each list in find_nodes' order."""
    found: dict[str, list[dict]] = {}
    stack: list[object] = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:
            children = []
            for key, value in item.items():
                kind = type(value)
                if kind is dict:
                    if kinds is None or key in kinds:
                        found.setdefault(key, []).append(value)
                    children.append(value)
                elif kind is list:
                    children.append(value)
            for value in reversed(children):
                push(value)
        elif type(item) is list:
            for value in reversed(item):
                if type(value) is dict or type(value) is list:
                    push(value)
    return found


def first_location(tree: object) -> int | None:
    """The smallest non-negative `location` inside a node (where its text starts)."""
    best: int | None = None
    stack: list[object] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            loc = item.get("location")
            if isinstance(loc, int) and loc >= 0 and (best is None or loc < best):
                best = loc
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)
    return best


class TreeIndex:
    """The nodes of some kinds in trees that many rules walk (policy clauses: a dozen rules read each
    USING and WITH CHECK), gathered in one walk per tree. An entry keeps its tree alive, so the id it
    is keyed by cannot be reused by another tree; clear() ends a run."""

    def __init__(self, kinds: frozenset[str]) -> None:
        self._kinds = kinds  # only these: lists of every kind would cost memory nobody reads
        self._by_id: dict[int, tuple[dict, dict[str, list[dict]]]] = {}

    def nodes(self, tree: object, kind: str) -> list[dict]:
        """find_nodes(tree, kind) as a list; trees must not change once asked about."""
        if type(tree) is not dict or kind not in self._kinds:
            return list(find_nodes(tree, kind))
        entry = self._by_id.get(id(tree))
        if entry is None:
            entry = self._by_id[id(tree)] = (tree, nodes_by_kind(tree, self._kinds))
        return entry[1].get(kind, [])

    def clear(self) -> None:
        self._by_id.clear()


# Policy clauses and their parts, for one lint run (lint_targets clears it).
CLAUSES = TreeIndex(frozenset({"FuncCall", "A_Const", "ColumnRef", "SubLink"}))
clause_nodes = CLAUSES.nodes
