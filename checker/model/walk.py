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


class TreeFacts:
    """What one walk of a tree finds: its nodes of some kinds in find_nodes' order (nodes), and of
    some kinds also the ones outside every sub-select that reads a table (own: they are about the
    tree's own row) and the ones not inside a FROM-less sub-select (per_row: such a sub-select is
    planned as an InitPlan and run once; one that reads a table runs for each of its rows)."""

    __slots__ = ("_found", "uid_comparisons")

    def __init__(self, tree: object, kinds: dict[str, tuple[str | None, str | None]]) -> None:
        self._found: dict[str, list[dict]] = {}  # one dict for the three views: trees are many
        self.uid_comparisons: list | None = None  # kept here by the policy rules' helper of that name
        self._walk(tree, kinds)

    def nodes(self, kind: str) -> list[dict]:
        return self._found.get(kind, [])

    def own(self, kind: str) -> list[dict]:
        return self._found.get(kind + OWN, [])

    def per_row(self, kind: str) -> list[dict]:
        return self._found.get(kind + PER_ROW, [])

    def _walk(self, tree: object, kinds: dict[str, tuple[str | None, str | None]]) -> None:
        # find_nodes' order: a node is recorded when its parent is visited, then the children are
        # walked depth first, in order.
        found = self._found
        stack: list[tuple[object, bool, bool]] = [(tree, True, False)]
        pop, push = stack.pop, stack.append
        while stack:
            item, own, wrapped = pop()
            if type(item) is dict:
                children = []
                for key, value in item.items():
                    kind = type(value)
                    if kind is dict:
                        if key in kinds:
                            found.setdefault(key, []).append(value)
                            own_key, per_row_key = kinds[key]
                            if own and own_key:
                                found.setdefault(own_key, []).append(value)
                            if not wrapped and per_row_key:
                                found.setdefault(per_row_key, []).append(value)
                        if key == "SelectStmt":
                            reads = bool(value.get("fromClause"))
                            children.append((value, own and not reads, not reads))
                        else:
                            children.append((value, own, wrapped))
                    elif kind is list:
                        children.append((value, own, wrapped))
                for child in reversed(children):
                    push(child)
            elif type(item) is list:
                for value in reversed(item):
                    if type(value) is dict or type(value) is list:
                        push((value, own, wrapped))


OWN, PER_ROW = " own", " per row"


class TreeIndex:
    """The TreeFacts of trees that many rules walk (policy clauses: the model and a dozen rules
    read each USING and WITH CHECK), gathered in one walk per tree. An entry keeps its tree alive,
    so the id it is keyed by cannot be reused by another tree; clear() ends a run."""

    def __init__(
        self, kinds: frozenset[str], own: frozenset[str] = frozenset(), per_row: frozenset[str] = frozenset()
    ) -> None:
        # Only these kinds: lists of every kind would cost memory nobody reads.
        self._kinds = {
            kind: (kind + OWN if kind in own else None, kind + PER_ROW if kind in per_row else None)
            for kind in kinds | own | per_row
        }
        self._by_id: dict[int, tuple[dict, TreeFacts]] = {}

    def facts(self, tree: object) -> TreeFacts:
        """Trees must not change once asked about; other objects than dicts are walked every time."""
        if type(tree) is not dict:
            return TreeFacts(tree, self._kinds)
        entry = self._by_id.get(id(tree))
        if entry is None:
            entry = self._by_id[id(tree)] = (tree, TreeFacts(tree, self._kinds))
        return entry[1]

    def nodes(self, tree: object, kind: str) -> list[dict]:
        """find_nodes(tree, kind) as a list."""
        if kind not in self._kinds:
            return list(find_nodes(tree, kind))
        return self.facts(tree).nodes(kind)

    def clear(self) -> None:
        self._by_id.clear()


# Policy clauses and their parts, for one lint run (lint_targets clears it): the calls and tables
# the model reads, what the policy rules look for, the comparisons of the row's own columns and
# the calls run per row.
CLAUSES = TreeIndex(
    frozenset({"FuncCall", "A_Const", "ColumnRef", "SubLink", "RangeVar"}),
    own=frozenset({"A_Expr", "FuncCall"}),
    per_row=frozenset({"FuncCall"}),
)
clause_nodes = CLAUSES.nodes
clause_facts = CLAUSES.facts
