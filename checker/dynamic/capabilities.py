"""What a project's SQL needs that a server here may lack, found before the SQL runs or as it fails.

Before: an extension the installation does not offer, and role management (CREATE/ALTER/DROP
ROLE, GRANT of a role) before PostgreSQL 16, where `postgres` is made without CREATEROLE because
CREATEROLE would let it grant itself pg_read_server_files (seed_sql/00_roles.sql). Supabase allows
both, so a file that needs one is reported not verified here, never blamed; `auto` prefers an engine
that has what the migrations need. As it fails: a stand-in's function that does not reproduce the real
one, and a security label whose provider (a C module the real extension preloads) is not loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from checker.dynamic.collect import Location, at
from checker.dynamic.privileges import (
    EVENT_TRIGGERS_FROM,
    MIGRATING_ROLE,
    REFUSAL,
    SEED_GIVES_WAY,
    configurable_role,
    privileged_call,
)
from checker.dynamic.standins import FEATURE_NOT_SUPPORTED, unreproduced
from checker.model.do_blocks import embedded_statements
from checker.parse import ParsedFile, Statement

# Statements that need CREATEROLE (or ADMIN on the role) when they act on another role.
ROLE_STATEMENTS = frozenset(
    {"CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "DropRoleStmt", "GrantRoleStmt"}
)
SAFE_CREATEROLE_FROM = 16  # from PostgreSQL 16, CREATEROLE grants only roles the creator administers
SUPABASE_MAJOR = 15
_OWN_ROLE = ("ROLESPEC_CURRENT_USER", "ROLESPEC_SESSION_USER", "ROLESPEC_CURRENT_ROLE")
# What the seed pre-installs where the server offers it, as Supabase does (seed_sql/10_extensions.sql, and
# the extensions it gives way for: 45_pgsodium.sql, 70_graphql.sql): a DROP EXTENSION of one without IF
# EXISTS needs a server that offers it.
SEED_EXTENSIONS = frozenset({"uuid-ossp", "pgcrypto", "pgjwt", "pg_stat_statements"}) | SEED_GIVES_WAY

# Debian packages (for the local engine's PostgreSQL) of extensions Supabase offers that core lacks.
_DEBIAN_PACKAGES = {
    "postgis": "postgis-3",
    "postgis_raster": "postgis-3",
    "postgis_topology": "postgis-3",
    "postgis_tiger_geocoder": "postgis-3",
    "address_standardizer": "postgis-3",
    "pg_cron": "cron",
    "pgtap": "pgtap",
    "hypopg": "hypopg",
    "rum": "rum",
    "plpgsql_check": "plpgsql-check",
    "pgaudit": "pgaudit",
    "pg_repack": "repack",
    "pgrouting": "pgrouting",
    "pg_partman": "partman",
    "http": "http",
}


@dataclass(frozen=True)
class Needs:
    """What a set of files needs of the server that runs them."""

    extensions: frozenset[str] = frozenset()
    manages_roles: bool = False
    event_triggers: bool = False

    def met_by(self, offered: frozenset[str] | None, major: int | None) -> bool:
        """Whether an installation offering these extensions (None: unknown), of this major, can run
        everything."""
        if self.extensions and (offered is None or not self.extensions <= offered):
            return False
        needed = self.major_needed
        return not needed or (major is not None and major >= needed)

    @property
    def major_needed(self) -> int:
        return max(
            SAFE_CREATEROLE_FROM if self.manages_roles else 0,
            EVENT_TRIGGERS_FROM if self.event_triggers else 0,
        )

    def describe(self) -> str:
        asked = [f"extensions {', '.join(sorted(self.extensions))}"] if self.extensions else []
        asked += ["role management"] if self.manages_roles else []
        return ", ".join(asked + (["event triggers"] if self.event_triggers else []))


NOTHING_NEEDED = Needs()


@dataclass(frozen=True)
class Lack:
    """Something one statement needs that this server lacks."""

    what: str  # "extension postgis is not available", for "not verified: {what} on this ... server"
    hint: str
    where: Location


def needs_of(files: Iterable[ParsedFile]) -> Needs:
    extensions: set[str] = set()
    manages_roles = event_triggers = False
    for parsed in files:
        extensions.update(name for name, _ in needed_extensions(parsed))
        manages_roles = manages_roles or any(_manages_roles(s) for s in parsed.statements)
        event_triggers = event_triggers or any(_creates_event_trigger(s) for s in parsed.statements)
    return Needs(frozenset(extensions), manages_roles, event_triggers)


def lacks(parsed: ParsedFile, offered: set[str], major: int) -> list[Lack]:
    """What the file's statements need that a server of this major, offering these extensions, lacks."""
    first = {name: where for name, where in reversed(needed_extensions(parsed))}  # a repeat adds nothing
    found = [
        Lack(f"extension {name} is not available", extension_provider(name), where)
        for name, where in first.items()
        if name not in offered
    ]
    if major < SAFE_CREATEROLE_FROM:
        found += [
            Lack(
                f"{_statement_name(statement)} cannot be verified",
                f"the checker's postgres has no CREATEROLE before PostgreSQL {SAFE_CREATEROLE_FROM} (there "
                "it would reach pg_read_server_files); use --engine embedded (PostgreSQL 18)",
                at(statement),
            )
            for statement in parsed.statements
            if _manages_roles(statement)
        ]
    if major < EVENT_TRIGGERS_FROM:
        found += [
            Lack(
                "CREATE EVENT TRIGGER cannot be verified",
                f"before PostgreSQL {EVENT_TRIGGERS_FROM} nothing keeps a project's event trigger from "
                "running as the checker's superuser (Supabase's supautils skips it for superusers); use "
                "--engine embedded (PostgreSQL 18)",
                at(statement),
            )
            for statement in parsed.statements
            if _creates_event_trigger(statement)
        ]
    return sorted(found, key=lambda lack: lack.where[1:])


INVALID_PARAMETER_VALUE = "22023"
# ExecSecLabelStmt's errors where no provider, or not the one named, is loaded.
_NO_LABEL_PROVIDER = re.compile(
    r'no security label providers have been loaded|security label provider "(?P<name>[^"]+)" is not loaded'
)


def lack_in_failure(sqlstate: str | None, message: str, where: Location) -> Lack | None:
    """What a failed statement shows this server lacks, where the failure is the server's, not the SQL's."""
    refusal = unreproduced(sqlstate, message)
    if refusal is not None:
        return Lack(refusal.what, f"{refusal.real_one}; verify there", where)
    if sqlstate == FEATURE_NOT_SUPPORTED and message.startswith(REFUSAL):
        return Lack("the " + message, "Supabase runs it; verify there", where)
    missing_provider = _NO_LABEL_PROVIDER.fullmatch(message) if sqlstate == INVALID_PARAMETER_VALUE else None
    # Supabase loads pgsodium's provider only: a label for another fails there too
    if missing_provider is not None and missing_provider["name"] in (None, "pgsodium"):
        name = missing_provider["name"]
        what = f"the security label provider {name} is not loaded" if name else "no label provider is loaded"
        return Lack(
            what,
            "a label provider is the C module of its extension, preloaded (pgsodium's on Supabase's "
            "PostgreSQL 15 and 16): --engine docker --image supabase/postgres:<tag> has it",
            where,
        )
    return None


def extension_provider(name: str, major: int = SUPABASE_MAJOR) -> str:
    """Where the real extension can be had, for the report (for the major Supabase runs by default)."""
    image = "--engine docker --image supabase/postgres:<tag> (Supabase's own image has it)"
    package = _DEBIAN_PACKAGES.get(name)
    if package:
        return f"install Debian's postgresql-{major}-{package} and use --engine local, or {image}"
    return f"no Debian package provides it: use {image}"


def created_extensions(parsed: ParsedFile) -> list[tuple[str, Location]]:
    return [(s.node["extname"], at(s)) for s in parsed.statements if s.kind == "CreateExtensionStmt"]


def needed_extensions(parsed: ParsedFile) -> list[tuple[str, Location]]:
    """The extensions the file creates, and those of the seed's it drops without IF EXISTS."""
    drops = [s for s in parsed.statements if s.kind == "DropStmt" and not s.node.get("missing_ok")]
    dropped = [
        (item["String"]["sval"], at(s))
        for s in drops
        if s.node.get("removeType") == "OBJECT_EXTENSION"
        for item in s.node.get("objects") or []
        if item.get("String", {}).get("sval") in SEED_EXTENSIONS
    ]
    return sorted(created_extensions(parsed) + dropped, key=lambda found: found[1][1:])


_EVENT_TRIGGER = re.compile(r"event\s+trigger", re.IGNORECASE)


def _creates_event_trigger(statement: Statement) -> bool:
    if statement.kind == "DoStmt":
        if not _EVENT_TRIGGER.search(statement.text):
            return False  # most DO blocks: not parsed again
        return any(inner.kind == "CreateEventTrigStmt" for inner in embedded_statements(statement))
    return statement.kind == "CreateEventTrigStmt"


def _manages_roles(statement: Statement) -> bool:
    """A role statement that needs CREATEROLE: not an ALTER ROLE of the session's own role
    (`alter role postgres set search_path = ...`, which a role may run on itself), nor an ALTER ROLE
    ... SET of a setting supautils allows on one of its configurable roles (`alter role authenticator
    set pgrst.db_schemas = ...`), which runs as the superuser through privileges.py on any server."""
    if statement.kind not in ROLE_STATEMENTS:
        return False
    if statement.kind in ("AlterRoleStmt", "AlterRoleSetStmt"):
        role = statement.node.get("role", {})
        if (
            statement.kind == "AlterRoleSetStmt"
            and configurable_role(role.get("rolename") or "")
            and privileged_call(statement.kind, statement.node)
        ):
            return False
        return role.get("roletype") not in _OWN_ROLE and role.get("rolename") != MIGRATING_ROLE
    return True


def _statement_name(statement: Statement) -> str:
    return {
        "CreateRoleStmt": "CREATE ROLE",
        "AlterRoleStmt": "ALTER ROLE",
        "AlterRoleSetStmt": "ALTER ROLE ... SET",
        "DropRoleStmt": "DROP ROLE",
        "GrantRoleStmt": "GRANT or REVOKE of a role",
    }[statement.kind]
