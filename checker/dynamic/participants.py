"""Which tables without an owner column the row level security probes can still probe.

An owner table's policies compare a column with auth.uid(). Two other shapes are common and hold
the data whose leak hurts most:

- a participant table: several users share a row (a match between user_a and user_b); its
  policies reach auth.uid() through a helper function or a sub-select instead of comparing one
  column, e.g. `using (public.is_match_participant(matches, (select auth.uid())))`;
- a child table: its rows belong to a parent row (a chat of a match); its policies reach the
  parent through a sub-select or a function, e.g. `exists (select 1 from public.matches m ...)`.

These helpers read the static model's policy expressions; the live catalog (which columns hold
user ids, which foreign keys exist) is read by the probes themselves.
"""

from __future__ import annotations

from checker.model import Catalog, ObjectRef
from checker.model.walk import find_nodes
from checker.rules._policies import (
    PolicyDef,
    call_name,
    holds_to_owner,
    is_user_function,
    table_policies,
)

# The commands whose USING decides which existing rows a user reaches.
ROW_COMMANDS = frozenset({"select", "update", "delete"})
_SIGNED_IN = frozenset({"authenticated", "public"})


def row_policies(catalog: Catalog, table: ObjectRef) -> list[PolicyDef]:
    """The policies that let signed-in users read, change or delete existing rows of the table."""
    return [
        policy
        for policy in table_policies(catalog, table)
        if policy.commands & ROW_COMMANDS and policy.client_roles & _SIGNED_IN and policy.using is not None
    ]


def reaches_indirectly(tree: object, catalog: Catalog) -> bool:
    """Whether the expression hands its check to a project function or a sub-select reading a table.

    No column of the table's own is in play (an owner comparison would have made it an owner
    table), so this asks only about the two indirect ways."""
    return holds_to_owner(tree, set(), catalog)


def _names_the_caller(tree: object, catalog: Catalog) -> bool:
    # A project function may read auth.uid() in its body, which the model does not see into.
    calls = find_nodes(tree, "FuncCall")
    return any(call_name(call) == ("auth", "uid") or is_user_function(call, catalog) for call in calls)


def participant_policies(catalog: Catalog, table: ObjectRef) -> list[str]:
    """The row policies that depend on the caller through a function call or a sub-select."""
    return [
        policy.name
        for policy in row_policies(catalog, table)
        if reaches_indirectly(policy.using, catalog) and _names_the_caller(policy.using, catalog)
    ]


def parent_policies(catalog: Catalog, table: ObjectRef) -> list[str]:
    """The row policies that may reach a parent row: through a sub-select or a function."""
    return [
        policy.name for policy in row_policies(catalog, table) if reaches_indirectly(policy.using, catalog)
    ]
