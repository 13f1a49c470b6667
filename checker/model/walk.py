"""Walking libpg_query JSON trees (plain dicts and lists) without building Python AST objects."""

from __future__ import annotations

from collections.abc import Iterator


def find_nodes(tree: object, *kinds: str) -> Iterator[dict]:
    """Every node of the given kinds inside `tree`, in document order (depth first)."""
    wanted = set(kinds)
    stack: list[object] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            children = []
            for key, value in item.items():
                if key in wanted and isinstance(value, dict):
                    yield value
                if isinstance(value, (dict, list)):
                    children.append(value)
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed(item))


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
