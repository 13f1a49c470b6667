"""The names of PostgreSQL's own functions (pg_catalog's), so that an unqualified call of a name the model
never saw made is told apart: `lower(...)` is PostgreSQL's, `is_admin()` a project's helper made where the
model cannot see it (the dashboard, a file the Supabase CLI skips). Read from the `postgres.bki` bootstrap
file of each installation (its pg_proc rows): `python -m checker.model.builtin_functions SHARE_DIR...`
writes builtin_functions.json; tests/test_model.py holds the file to the servers the tests run.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("builtin_functions.json")


@cache
def _names() -> frozenset[str]:
    return frozenset(json.loads(DATA.read_text(encoding="utf-8")))


def is_builtin_function(name: str) -> bool:
    return name in _names()


def bootstrap_functions(share: Path) -> set[str]:
    """The function names of pg_proc's rows in an installation's postgres.bki (`insert ( oid name ...`)."""
    names, in_proc = set(), False
    for line in (share / "postgres.bki").read_text(encoding="utf-8").splitlines():
        if line.startswith("create pg_proc"):
            in_proc = True
        elif line.startswith("close pg_proc"):
            in_proc = False
        elif in_proc and line.startswith("insert"):
            names.add(line.split()[3])
    return names


if __name__ == "__main__":
    found = set().union(*(bootstrap_functions(Path(arg)) for arg in sys.argv[1:]))
    DATA.write_text(json.dumps(sorted(found), indent=0) + "\n", encoding="utf-8")
