"""Seeding a fresh database so it behaves like a Supabase project (see supabase_seed.sql's header)."""

from __future__ import annotations

from importlib import resources
from typing import Any

SEED_FILE = "supabase_seed.sql"

SEED_FACTS = """\
Reproduced: roles anon, authenticated, service_role (BYPASSRLS), authenticator, supabase_admin,
supabase_auth_admin; schemas auth and extensions; auth.users; auth.uid(), auth.role(), auth.email(),
auth.jwt() reading request.jwt.claim(s); uuid-ossp and pgcrypto in schema extensions when available
(else a stand-in extensions.uuid_generate_v4()); usage on public and default privileges granting new
tables, sequences and functions in public to anon, authenticated, service_role; publication
supabase_realtime. Not reproduced: GoTrue, storage, realtime, pg_graphql, PostgREST, pg_net, vault."""


def seed_sql() -> str:
    return resources.files("checker.dynamic").joinpath(SEED_FILE).read_text(encoding="utf-8")


def apply_seed(conn: Any) -> None:
    """Run the seed on a psycopg connection as a superuser; committed unless the caller is in autocommit."""
    conn.execute(seed_sql())
    if not conn.autocommit:
        conn.commit()
