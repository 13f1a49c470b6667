"""The functions, types, tables and views PostgreSQL's own extensions (contrib: pg_trgm, uuid-ossp, citext,
hstore ...; PostGIS, where the servers have it) bring into the schema they are created in, so that a project
that creates one in `public` still has its other calls of public functions checked. Read from the
extensions' install and update scripts of every version (a project may pin an older one): `python -m
checker.model.extension_members SHARE_DIR...` writes extension_members.json from the `share/extension`
folders of PostgreSQL installations; tests/test_model.py holds the file to the scripts of the servers the
tests run. Other extensions (pg_net, pg_graphql ...) are not listed: they may bring anything.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

from checker.parse import sql_tree

DATA = Path(__file__).with_name("extension_members.json")
Members = dict[str, dict[str, list[str]]]  # extension -> {"function": [...], "type": [...], "relation": ...}


@cache
def _members() -> Members:
    return json.loads(DATA.read_text(encoding="utf-8"))


def may_bring(extension: str, kind: str, name: str) -> bool:
    """Whether creating the extension may make a function (procedure), type, table or view of this name
    (PostGIS's spatial_ref_sys): those of PostgreSQL's own extensions are listed; any other may make a
    function or type of any name (its tables the model knows by name, pgmq's queues, or not at all)."""
    listed = _members().get(extension)
    relation = kind in ("table", "view", "relation")
    if listed is None:  # not one of PostgreSQL's own: any function or type (a table it makes is named)
        return not relation
    if relation:
        return name in listed.get("relation", ())
    return name in listed["type" if kind == "type" else "function"]


def makes_relation(extension: str, name: str) -> bool:
    """Whether one of PostgreSQL's own extensions (whose scripts the model read) makes this table or view
    in its schema: an extension others know nothing certain of makes nothing here."""
    return name in _members().get(extension, {}).get("relation", ())


def any_brings(name: str) -> bool:
    """Whether one of PostgreSQL's own extensions has a function (or aggregate) of this name."""
    return name in _all_functions()


@cache
def _all_functions() -> frozenset[str]:
    return frozenset(name for listed in _members().values() for name in listed["function"])


def scripts_members(share: Path) -> Members:
    """What the extension scripts in a `share/extension` folder create, by extension."""
    found: Members = {}
    for control in sorted(share.glob("*.control")):
        functions: set[str] = set()
        types: set[str] = set()
        relations: set[str] = set()
        for script in sorted(share.glob(f"{control.stem}--*.sql")):
            for kind, node in _statements(script):
                _collect(kind, node, functions, types)
                relations.update(_relation_made(kind, node))
        found[control.stem] = {
            "function": sorted(functions), "type": sorted(types), "relation": sorted(relations)
        }
    return found


def _statements(script: Path) -> list[tuple[str, dict]]:
    # psql's meta-commands (\echo ... \quit) and the placeholders CREATE EXTENSION fills in are no SQL
    lines = [line for line in script.read_text(encoding="utf-8").splitlines() if not line.startswith("\\")]
    text = re.sub(r"@ext(?:schema(?::\w+)?|owner)@", "placeholder", "\n".join(lines))
    return [next(iter(raw["stmt"].items())) for raw in sql_tree(text).get("stmts", [])]


def _collect(kind: str, node: dict, functions: set[str], types: set[str]) -> None:
    if kind == "CreateFunctionStmt":
        functions.add(_last(node["funcname"]))
    elif kind == "DefineStmt" and node.get("kind") in ("OBJECT_AGGREGATE", "OBJECT_TYPE"):
        (functions if node["kind"] == "OBJECT_AGGREGATE" else types).add(_last(node["defnames"]))
    elif kind == "CompositeTypeStmt":
        types.add(node["typevar"]["relname"])
    elif kind in ("CreateEnumStmt", "CreateRangeStmt"):
        types.add(_last(node["typeName"]))
    elif kind == "CreateDomainStmt":
        types.add(_last(node["domainname"]))


def _relation_made(kind: str, node: dict) -> list[str]:
    """The table or view a script statement makes in the extension's own schema (PostGIS's
    spatial_ref_sys; not postgis_topology's topology.layer, in a schema of its own)."""
    relation = {"CreateStmt": node.get("relation"), "ViewStmt": node.get("view")}.get(kind)
    if kind == "CreateTableAsStmt":
        relation = node.get("into", {}).get("rel")
    if not relation or relation.get("schemaname") not in (None, "placeholder"):
        return []
    return [relation["relname"]]


def _last(names: list[dict]) -> str:
    return names[-1]["String"]["sval"]


def merged(folders: list[Path]) -> Members:
    """The members of each extension in any of the folders (an extension's union over servers)."""
    found: Members = {}
    for folder in folders:
        for extension, members in scripts_members(folder).items():
            known = found.setdefault(extension, {"function": [], "type": [], "relation": []})
            for kind, names in members.items():
                known[kind] = sorted(set(known[kind]) | set(names))
    return found


if __name__ == "__main__":
    members = merged([Path(arg) for arg in sys.argv[1:]])
    DATA.write_text(json.dumps(members, indent=0) + "\n", encoding="utf-8")
