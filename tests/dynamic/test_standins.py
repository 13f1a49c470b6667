"""The extension stand-ins on the embedded PostgreSQL 18, checked against the real pgcrypto and uuid-ossp of
the local PostgreSQL 15 where the two can be compared."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checker.dynamic.standins import (
    SOURCE_DIR,
    STANDIN_COMMENT,
    STANDINS,
    install_standins,
    standins_used,
    unreproduced,
)
from checker.parse import parse_source
from checker.source import SourceFile

from .helpers import require_engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "standins"

pytestmark = pytest.mark.postgres

_database_names = (f"standins_{n}" for n in itertools.count())

# What Supabase projects and their migrations commonly call; every one must be there.
SUPABASE_FUNCTIONS = {
    "pgcrypto": {
        "digest",
        "hmac",
        "gen_random_bytes",
        "gen_random_uuid",
        "crypt",
        "gen_salt",
        "pgp_sym_encrypt",
        "pgp_sym_decrypt",
        "pgp_sym_encrypt_bytea",
        "pgp_sym_decrypt_bytea",
    },
    "uuid-ossp": {
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v3",
        "uuid_generate_v4",
        "uuid_generate_v5",
        "uuid_nil",
        "uuid_ns_dns",
        "uuid_ns_url",
        "uuid_ns_oid",
        "uuid_ns_x500",
    },
}
# Control files that name a schema, as the real pg_cron's, Vault's, pg_graphql's and pgmq's do.
PINNED_SCHEMA = {
    "pg_cron": ("pg_catalog",),
    "supabase_vault": ("vault",),
    "pg_graphql": ("graphql",),
    "pgmq": ("pgmq",),
    "pg_tle": ("pgtle",),
    "pgsodium": ("pgsodium",),
}
HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
INPUTS = ("", "abc", "grüße, 世界 🙂", "x" * 999 + "y")

SIGNATURES = """
select p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
       p.provolatile, p.proisstrict
from pg_depend d join pg_proc p on p.oid = d.objid
where d.classid = 'pg_proc'::regclass and d.deptype = 'e'
  and d.refobjid = (select oid from pg_extension where extname = %s)
"""


@pytest.fixture(scope="module")
def standin_server() -> Iterator[str]:
    """The embedded PostgreSQL 18 with the stand-ins on its extension_control_path."""
    engine = require_engine("embedded")
    with engine as uri:
        assert engine.tempdir is not None
        value = install_standins(engine.tempdir / "standins")
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(f"alter system set extension_control_path = '{value}'")
            conn.execute("select pg_reload_conf()")
        yield uri


@pytest.fixture(scope="module")
def real_server() -> Iterator[psycopg.Connection]:
    """The local PostgreSQL 15, which has the real pgcrypto and uuid-ossp."""
    with require_engine("local") as uri, psycopg.connect(uri, autocommit=True) as conn:
        conn.execute('create extension pgcrypto; create extension "uuid-ossp"')
        yield conn


@pytest.fixture
def conn(standin_server: str) -> Iterator[psycopg.Connection]:
    """A connection to a fresh database on the stand-in server, with Supabase's `extensions` schema."""
    name = next(_database_names)
    with psycopg.connect(standin_server, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    uri = standin_server.replace("/postgres?", f"/{name}?")
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute("create schema extensions")
        yield connection


@pytest.fixture
def crypto(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute('create extension pgcrypto; create extension "uuid-ossp"')
    return conn


def one(conn: psycopg.Connection, query: str, params: list[object] | None = None) -> object:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def error_of(conn: psycopg.Connection, query: str) -> str:
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(query)
    return raised.value.diag.message_primary or ""


def test_the_setting_keeps_the_servers_own_extensions_first(tmp_path) -> None:
    value = install_standins(tmp_path)
    assert value == f"$system:{tmp_path}"
    assert {path.name for path in (tmp_path / "extension").glob("*.control")} == {
        f"{name}.control" for name in STANDINS
    }
    assert "@include" not in (tmp_path / "extension" / "pgcrypto--1.3.sql").read_text()


@pytest.mark.parametrize("name", sorted(STANDINS))
def test_each_standin_creates_and_drops_cleanly(conn: psycopg.Connection, name: str) -> None:
    for schema in PINNED_SCHEMA.get(name, ("extensions", "public")):
        if schema not in ("extensions", "public", "pg_catalog"):
            conn.execute(f"create schema if not exists {schema}")  # WITH SCHEMA never creates one
        conn.execute(f'create extension "{name}" with schema {schema} cascade')
        assert name in {standin.name for standin in standins_used(conn)}
        comment = "select obj_description(oid, 'pg_extension') from pg_extension where extname = %s"
        assert str(one(conn, comment, [name])).startswith(STANDIN_COMMENT)
        conn.execute(f'drop extension "{name}" cascade')
        conn.execute("drop extension if exists pgcrypto, hypopg")  # pgjwt and index_advisor cascade to them
    conn.execute(f'create extension "{name}" cascade')
    conn.execute(f'drop extension "{name}" cascade')
    conn.execute("drop extension if exists pgcrypto, hypopg")
    assert standins_used(conn) == []
    leftover = conn.execute("select nspname from pg_namespace where nspname in ('net', 'cron')").fetchall()
    assert leftover == []


SESSION_SETTINGS = "select name, setting from pg_settings where source = 'session' order by name"


@pytest.mark.parametrize("name", sorted(STANDINS))
def test_a_standin_leaves_the_sessions_settings_as_they_were(conn: psycopg.Connection, name: str) -> None:
    """A plain SET in an extension's script outlives CREATE EXTENSION: pg_net's stand-in left search_path
    at pg_catalog, and the migration's next `create table documents` was refused on pg_catalog."""
    conn.execute("set search_path = public, extensions")
    before = conn.execute(SESSION_SETTINGS).fetchall()
    schema = PINNED_SCHEMA.get(name, ("extensions",))[0]
    if schema not in ("extensions", "pg_catalog"):
        conn.execute(f"create schema if not exists {schema}")
    conn.execute(f'create extension "{name}" with schema {schema} cascade')
    assert conn.execute(SESSION_SETTINGS).fetchall() == before


@pytest.mark.parametrize("name", sorted(PINNED_SCHEMA))
def test_pinned_standins_refuse_other_schemas_like_the_real_ones(conn: psycopg.Connection, name: str) -> None:
    message = error_of(conn, f"create extension {name} with schema extensions")
    assert message == f'extension "{name}" must be installed in schema "{PINNED_SCHEMA[name][0]}"'


@pytest.mark.parametrize("extension", sorted(SUPABASE_FUNCTIONS))
def test_signatures_are_the_real_extensions(
    crypto: psycopg.Connection, real_server: psycopg.Connection, extension: str
) -> None:
    standin = set(crypto.execute(SIGNATURES, [extension]).fetchall())
    real = set(real_server.execute(SIGNATURES, [extension]).fetchall())
    assert standin == real, (standin - real, real - standin)  # deploy-vercel's encrypt() was missing
    assert SUPABASE_FUNCTIONS[extension] <= {row[0] for row in standin}


def test_raw_encryption_and_armor_read_back_what_they_wrote(crypto: psycopg.Connection) -> None:
    data = "'grüße, 世界'::bytea"
    assert one(crypto, f"select decrypt(encrypt({data}, 'key', 'aes'), 'key', 'aes') = {data}") is True
    assert one(crypto, f"select decrypt(encrypt({data}, 'key', 'aes'), 'other', 'aes') = {data}") is False
    iv = "'\\x000102'::bytea"
    round_trip = f"decrypt_iv(encrypt_iv({data}, 'k', {iv}, 'bf'), 'k', {iv}, 'bf')"
    assert one(crypto, f"select {round_trip} = {data}") is True
    assert one(crypto, f"select dearmor(armor({data})) = {data}") is True
    armored = f"armor({data}, array['Comment', 'Key'], array['probe', 'one: two'])"
    rows = crypto.execute(f"select * from pgp_armor_headers({armored})").fetchall()
    assert rows == [("Comment", "probe"), ("Key", "one: two")]


def test_public_key_functions_are_refused_as_not_reproduced(crypto: psycopg.Connection) -> None:
    """The stage reads the refusal as not verified (standins.unreproduced), not as the migration's error."""
    with pytest.raises(psycopg.Error) as raised:
        crypto.execute("select pgp_pub_encrypt('secret', '\\x00'::bytea)")
    found = unreproduced(raised.value.diag.sqlstate, raised.value.diag.message_primary or "")
    assert found is not None and found.what.startswith("pgcrypto.pgp_pub_encrypt(text, bytea)"), found


def test_relocation_keeps_the_functions_working(crypto: psycopg.Connection) -> None:
    crypto.execute("alter extension pgcrypto set schema extensions")
    crypto.execute("set search_path = pg_catalog")
    assert one(crypto, "select encode(extensions.hmac('m', 'k', 'sha1'), 'hex')") is not None
    assert one(crypto, "select extensions.pgp_sym_decrypt(extensions.pgp_sym_encrypt('s', 'k'), 'k')") == "s"


@pytest.mark.parametrize("algorithm", HASHES)
def test_digest_equals_the_real_pgcrypto(
    crypto: psycopg.Connection, real_server: psycopg.Connection, algorithm: str
) -> None:
    for text in INPUTS:
        for query in ("select digest(%s::text, %s)", "select digest(convert_to(%s, 'UTF8'), %s)"):
            assert one(crypto, query, [text, algorithm]) == one(real_server, query, [text, algorithm]), text


@pytest.mark.parametrize("algorithm", HASHES)
def test_hmac_equals_the_real_pgcrypto(
    crypto: psycopg.Connection, real_server: psycopg.Connection, algorithm: str
) -> None:
    keys = ("", "key", "ключ", "k" * 200)  # 200 bytes: longer than every block, so the key is hashed first
    for text, key in itertools.product(INPUTS, keys):
        for query in ("select hmac(%s::text, %s::text, %s)", "select hmac(%s::bytea, %s::bytea, %s)"):
            params = [text, key, algorithm]
            assert one(crypto, query, params) == one(real_server, query, params), (text, key)


def test_errors_read_like_the_real_pgcrypto(
    crypto: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    for query in (
        "select gen_random_bytes(1025)",
        "select digest('x', 'sha3')",
        "select pgp_sym_decrypt(pgp_sym_encrypt('secret', 'right'), 'wrong')",
        "select crypt('x', '')",
    ):
        assert error_of(crypto, query) == error_of(real_server, query), query


def test_name_based_uuids_equal_the_real_uuid_ossp(
    crypto: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    namespaces = (
        "uuid_ns_dns()",
        "uuid_ns_url()",
        "uuid_ns_oid()",
        "uuid_ns_x500()",
        "uuid_nil()",
        "'9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d'::uuid",
    )
    for namespace, name, version in itertools.product(namespaces, INPUTS, ("v3", "v5")):
        query = f"select uuid_generate_{version}({namespace}, %s)"
        assert one(crypto, query, [name]) == one(real_server, query, [name]), (namespace, name, version)
    assert one(crypto, "select uuid_generate_v5(uuid_ns_dns(), 'www.example.com')") == uuid.uuid5(
        uuid.NAMESPACE_DNS, "www.example.com"
    )


@pytest.mark.parametrize("function, version", [("v1", 1), ("v1mc", 1), ("v4", 4)])
def test_generated_uuids_carry_version_and_variant(
    crypto: psycopg.Connection, function: str, version: int
) -> None:
    made = [
        row[0] for row in crypto.execute(f"select uuid_generate_{function}() from generate_series(1, 50)")
    ]
    assert len(set(made)) == 50
    assert {(value.version, value.variant) for value in made} == {(version, uuid.RFC_4122)}
    if version == 1:
        assert all(value.node & (1 << 40) for value in made)  # the multicast bit of a random node


def test_gen_random_bytes_gives_the_length_asked(crypto: psycopg.Connection) -> None:
    lengths = crypto.execute(
        "select length(gen_random_bytes(n)) from unnest(array[1, 14, 15, 1024]) n"
    ).fetchall()
    assert [row[0] for row in lengths] == [1, 14, 15, 1024]
    assert one(crypto, "select gen_random_bytes(32) <> gen_random_bytes(32)") is True


@pytest.mark.parametrize("kind", ["bf", "md5", "xdes", "des"])
def test_crypt_verifies_its_own_hashes(crypto: psycopg.Connection, kind: str) -> None:
    hashed = one(crypto, "select crypt('correct horse', gen_salt(%s))", [kind])
    assert one(crypto, "select crypt('correct horse', %s) = %s", [hashed, hashed]) is True
    assert one(crypto, "select crypt('wrong horse', %s) = %s", [hashed, hashed]) is False
    assert one(crypto, "select crypt('correct horse', gen_salt(%s)) <> %s", [kind, hashed]) is True


def test_crypt_hashes_have_the_real_shape(
    crypto: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    # Each hash with its salt and hash characters masked: "$x$xxxxxxxx$xxxxxxxxxxxxxxxxxxxxxx" for md5.
    query = "select regexp_replace(crypt('pw', gen_salt(%s)), '[./A-Za-z0-9]', 'x', 'g')"
    for kind in ("bf", "md5", "xdes", "des"):
        assert one(crypto, query, [kind]) == one(real_server, query, [kind]), kind


def test_pgp_sym_round_trips_and_refuses_a_wrong_key(crypto: psycopg.Connection) -> None:
    for text in INPUTS:
        assert one(crypto, "select pgp_sym_decrypt(pgp_sym_encrypt(%s, 'k'), 'k')", [text]) == text
        assert (
            one(
                crypto,
                "select pgp_sym_decrypt(pgp_sym_encrypt(%s, 'k', 'cipher-algo=aes256'), 'k', '')",
                [text],
            )
            == text
        )
    data = bytes(range(256))
    assert one(crypto, "select pgp_sym_decrypt_bytea(pgp_sym_encrypt_bytea(%s, 'k'), 'k')", [data]) == data
    assert one(crypto, "select pgp_sym_encrypt('same', 'k') <> pgp_sym_encrypt('same', 'k')") is True
    message = error_of(crypto, "select pgp_sym_decrypt(pgp_sym_encrypt('secret', 'k'), 'K')")
    assert message == "Wrong key or corrupt data"


def test_pgjwt_signs_and_verifies(conn: psycopg.Connection) -> None:
    conn.execute("create extension pgjwt with schema extensions cascade")
    conn.execute("set search_path = public, extensions")
    claims = '{"sub":"1234567890","name":"John Doe","iat":1516239022}'
    # The example token of RFC 7519's companion site jwt.io, signed with HS256 and the secret "secret".
    assert one(conn, "select sign(%s::json, 'secret')", [claims]) == (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".XbPfbIHMI6arZ3Y922BhjWgQzWXcXNrz0ogtVhfEd2o"
    )
    token = one(conn, "select sign('{\"a\": 1, \"exp\": 4102444800}'::json, 'k', 'HS512')")
    assert conn.execute(
        "select payload ->> 'a', valid from verify(%s, 'k', 'HS512')", [token]
    ).fetchone() == ("1", True)
    assert one(conn, "select valid from verify(%s, 'other', 'HS512')", [token]) is False
    expired = one(conn, "select sign('{\"exp\": 1}'::json, 'k')")
    assert one(conn, "select valid from verify(%s, 'k')", [expired]) is False


def test_pg_net_records_requests_without_sending_them(conn: psycopg.Connection) -> None:
    conn.execute("create extension pg_net with schema extensions")
    first = one(conn, "select net.http_get('https://example.com/a', '{\"q\": \"ä b\"}')")
    second = one(conn, "select net.http_post('https://example.com/hook', '{\"id\": 1}'::jsonb)")
    third = one(conn, "select net.http_delete(url := 'https://example.com/r/1', timeout_milliseconds := 100)")
    assert isinstance(first, int) and first < second < third
    queued = conn.execute(
        "select id, method, url, headers, convert_from(body, 'UTF8') from net.http_request_queue order by id"
    ).fetchall()
    assert queued == [
        (first, "GET", "https://example.com/a?q=%C3%A4%20b", {}, None),
        (second, "POST", "https://example.com/hook", {"Content-Type": "application/json"}, '{"id": 1}'),
        (third, "DELETE", "https://example.com/r/1", {}, None),
    ]
    assert one(conn, "select count(*) from net._http_response") == 0
    # Supabase's post-setup names the functions by their full signatures.
    conn.execute(
        "alter function net.http_post(url text, body jsonb, params jsonb, headers jsonb, "
        "timeout_milliseconds integer) security definer"
    )


def test_cron_schedule_records_jobs(conn: psycopg.Connection) -> None:
    conn.execute("create extension pg_cron with schema pg_catalog")
    unnamed = one(conn, "select cron.schedule('*/5 * * * *', 'select 1')")
    named = one(conn, "select cron.schedule('nightly', '0 3 * * *', 'vacuum')")
    assert one(conn, "select cron.schedule('nightly', '0 4 * * *', 'vacuum analyze')") == named
    conn.execute("select cron.alter_job(%s, active := false)", [unnamed])
    jobs = conn.execute(
        "select jobid, jobname, schedule, command, active from cron.job order by jobid"
    ).fetchall()
    assert jobs == [
        (unnamed, None, "*/5 * * * *", "select 1", False),
        (named, "nightly", "0 4 * * *", "vacuum analyze", True),
    ]
    assert one(conn, "select cron.unschedule('nightly')") is True
    assert one(conn, "select cron.unschedule(%s::bigint)", [unnamed]) is True
    assert one(conn, "select count(*) from cron.job") == 0
    assert error_of(conn, "select cron.schedule('every day', 'select 1')") == "invalid schedule: every day"


def test_vault_keeps_secrets(conn: psycopg.Connection) -> None:
    conn.execute("create schema vault; create extension supabase_vault with schema vault cascade")
    secret_id = one(conn, "select vault.create_secret('s3kre3t', 'api_key', 'the API key')")
    one(conn, "select vault.create_secret('other')")
    rows = conn.execute(
        "select id, name, description, decrypted_secret from vault.decrypted_secrets where name = 'api_key'"
    ).fetchall()
    assert rows == [(secret_id, "api_key", "the API key", "s3kre3t")]
    conn.execute("select vault.update_secret(%s, 'rotated')", [secret_id])
    assert (
        one(conn, "select decrypted_secret from vault.decrypted_secrets where id = %s", [secret_id])
        == "rotated"
    )


HASHIDS_CASES = [
    ((12345,), "this is my salt", 0, None),
    ((1, 2, 3), "this is my salt", 0, None),
    ((0,), "", 0, None),
    ((1, 23, 456), "arbitrary salt", 16, "abcdefghijkl0123456"),
    ((7,), "x", 25, None),
    ((2**40, 99, 0), "", 8, None),
    ((987654321,), "ünïcode salt", 3, "0123456789abcdefABCDEF"),
]


@pytest.mark.parametrize(("numbers", "salt", "min_length", "alphabet"), HASHIDS_CASES)
def test_hashids_equal_the_reference_implementation(
    conn: psycopg.Connection, numbers: tuple[int, ...], salt: str, min_length: int, alphabet: str | None
) -> None:
    """pg_hashids implements hashids 1.0; the `hashids` package on PyPI is that algorithm's reference."""
    hashids = pytest.importorskip("hashids")
    reference = hashids.Hashids(salt, min_length, alphabet) if alphabet else hashids.Hashids(salt, min_length)
    conn.execute("create extension pg_hashids with schema extensions")
    arguments = [salt, min_length, *([alphabet] if alphabet else [])]
    rest = ", %s" * len(arguments)
    encoded = one(conn, f"select extensions.id_encode(%s::bigint[]{rest})", [list(numbers), *arguments])
    assert encoded == reference.encode(*numbers)
    assert tuple(one(conn, f"select extensions.id_decode(%s{rest})", [encoded, *arguments])) == numbers
    if len(numbers) == 1:
        single = one(conn, f"select extensions.id_encode(%s::bigint{rest})", [numbers[0], *arguments])
        assert single == encoded
        assert one(conn, f"select extensions.id_decode_once(%s{rest})", [encoded, *arguments]) == numbers[0]


def test_hashids_decode_rejects_what_it_did_not_make(conn: psycopg.Connection) -> None:
    conn.execute("create extension pg_hashids with schema extensions")
    assert one(conn, "select extensions.id_decode('NkK9', 'another salt')") == []
    assert one(conn, "select extensions.id_decode('!!!')") == []


ADDRESS = {
    "type": "object",
    "properties": {
        "street": {"type": "string", "minLength": 1, "maxLength": 40},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
        "tags": {"type": "array", "items": {"enum": ["home", "work"]}, "uniqueItems": True, "maxItems": 2},
        "floor": {"type": ["integer", "null"], "minimum": 0, "exclusiveMaximum": 200},
        "kind": {"$ref": "#/definitions/kind"},
    },
    "required": ["street"],
    "additionalProperties": False,
    "definitions": {"kind": {"oneOf": [{"const": "flat"}, {"const": "house"}]}},
}
PREFIXED = {"patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": {"type": "string"}}
JSON_SCHEMA_CASES = [
    (ADDRESS, {"street": "Main 1"}),
    (ADDRESS, {"street": "Main 1", "zip": "12345", "tags": ["home"], "floor": 3, "kind": "flat"}),
    (ADDRESS, {"zip": "12345"}),
    (ADDRESS, {"street": ""}),
    (ADDRESS, {"street": "Main 1", "zip": "1234a"}),
    (ADDRESS, {"street": "Main 1", "tags": ["home", "home"]}),
    (ADDRESS, {"street": "Main 1", "tags": ["garage"]}),
    (ADDRESS, {"street": "Main 1", "floor": 2.5}),
    (ADDRESS, {"street": "Main 1", "floor": 200}),
    (ADDRESS, {"street": "Main 1", "floor": None}),
    (ADDRESS, {"street": "Main 1", "kind": "castle"}),
    (ADDRESS, {"street": "Main 1", "extra": 1}),
    (ADDRESS, ["not", "an", "object"]),
    ({"anyOf": [{"type": "string"}, {"type": "number", "multipleOf": 0.5}]}, 1.5),
    ({"anyOf": [{"type": "string"}, {"type": "number", "multipleOf": 0.5}]}, 1.25),
    ({"not": {"type": "null"}, "minProperties": 1}, {}),
    ({"items": [{"type": "integer"}, {"type": "string"}], "minItems": 1}, [1, "a", True]),
    ({"items": [{"type": "integer"}, {"type": "string"}]}, ["a"]),
    (PREFIXED, {"x_a": 1, "b": "c"}),
    (PREFIXED, {"x_a": "1"}),
    (True, 42),
    (False, 42),
]


@pytest.mark.parametrize(("schema", "instance"), JSON_SCHEMA_CASES)
def test_jsonschema_agrees_with_the_reference_validator(
    conn: psycopg.Connection, schema: object, instance: object
) -> None:
    """For the keywords the stand-in checks, it decides as the jsonschema package's Draft 7 validator."""
    import json

    import jsonschema

    conn.execute("create extension pg_jsonschema with schema extensions")
    expected = jsonschema.Draft7Validator(schema).is_valid(instance)
    arguments = [json.dumps(schema), json.dumps(instance)]
    assert one(conn, "select extensions.json_matches_schema(%s::json, %s::json)", arguments) is expected
    assert one(conn, "select extensions.jsonb_matches_schema(%s::json, %s::jsonb)", arguments) is expected
    assert one(conn, "select extensions.jsonschema_is_valid(%s::json)", arguments[:1]) is True


def test_pg_graphql_has_the_real_interface_and_answers_with_an_error(conn: psycopg.Connection) -> None:
    """As every `supabase db pull` dump creates it; graphql_public.graphql() calls resolve by these names."""
    conn.execute('create schema graphql; create extension if not exists "pg_graphql" with schema "graphql"')
    resolve_arguments = 'query text, variables jsonb, "operationName" text, extensions jsonb'
    assert set(conn.execute(SIGNATURES, ["pg_graphql"]).fetchall()) >= {
        ("resolve", resolve_arguments, "jsonb", "v", False),
        ("_internal_resolve", resolve_arguments, "jsonb", "s", False),
        ("comment_directive", "comment_ text", "jsonb", "i", False),
        ("exception", "message text", "text", "v", False),
        ("get_schema_version", "", "integer", "v", False),
    }
    answer = one(
        conn,
        """select graphql.resolve(query := '{ accountCollection { edges { node { id } } } }',
                                  variables := '{}', "operationName" := null, extensions := null)""",
    )
    assert isinstance(answer, dict) and answer["data"] is None
    assert [set(error) for error in answer["errors"]] == [{"message"}]
    assert one(conn, "select graphql.comment_directive(%s)", ['x @graphql({"inflect_names": true})']) == {
        "inflect_names": True
    }
    assert one(conn, "select graphql.comment_directive('no directive')") == {}
    assert error_of(conn, "select graphql.exception('bad input')") == "bad input"


def test_pgmq_queues_behave_like_pgmq(conn: psycopg.Connection) -> None:
    conn.execute("create extension pgmq")
    assert one(conn, "select extversion from pg_extension where extname = 'pgmq'") == "1.5.1"
    conn.execute("select pgmq.create('Jobs')")
    assert one(conn, "select pgmq.send('jobs', '{\"n\": 1}')") == 1
    batch = "select pgmq.send_batch('jobs', array[%s, %s]::jsonb[], array[%s]::jsonb[])"
    assert conn.execute(batch, ['{"n": 2}', '{"n": 3}', '{"h": 1}']).fetchall() == [(2,), (3,)]
    one(conn, "select pgmq.send('jobs', '{\"n\": 4}', 3600)")  # visible in an hour
    read = conn.execute("select msg_id, read_ct, message, headers from pgmq.read('jobs', 30, 2)").fetchall()
    assert read == [(1, 1, {"n": 1}, None), (2, 1, {"n": 2}, {"h": 1})]
    assert conn.execute("select msg_id from pgmq.read('jobs', 30, 5)").fetchall() == [(3,)]  # 1, 2 hidden
    assert conn.execute("select msg_id from pgmq.read('jobs', 30, 5)").fetchall() == []
    conn.execute("select pgmq.set_vt('jobs', 1, 0)")
    assert conn.execute("select msg_id, read_ct from pgmq.pop('jobs')").fetchall() == [(1, 1)]
    assert one(conn, "select pgmq.archive('jobs', 2::bigint)") is True
    assert one(conn, "select pgmq.delete('jobs', 3::bigint)") is True
    assert one(conn, "select pgmq.delete('jobs', 3::bigint)") is False
    assert one(conn, "select count(*) from pgmq.a_jobs where msg_id = 2 and message = '{\"n\": 2}'") == 1
    assert conn.execute(
        "select queue_name, queue_length, total_messages, queue_visible_length from pgmq.metrics('jobs')"
    ).fetchone() == ("jobs", 1, 4, 0)
    queues = conn.execute("select queue_name, is_unlogged from pgmq.list_queues()").fetchall()
    assert queues == [("Jobs", False)]
    members = """select count(*) from pg_depend
        where refobjid = (select oid from pg_extension where extname = 'pgmq')
          and objid in ('pgmq.q_jobs'::regclass, 'pgmq.a_jobs'::regclass)"""
    assert one(conn, members) == 2  # queues belong to the extension, as pgmq makes them
    invalid = "queue name contains invalid characters: $, ;, --, or \\'"
    assert error_of(conn, "select pgmq.create('bad;name')") == invalid
    partman = "pg_partman is required for partitioned queues"
    assert error_of(conn, "select pgmq.create_partitioned('p')") == partman
    assert one(conn, "select pgmq.drop_queue('Jobs')") is True
    assert one(conn, "select to_regclass('pgmq.q_jobs') is null and to_regclass('pgmq.a_jobs') is null")
    conn.execute("drop extension pgmq")


def test_http_records_requests_without_sending_them(conn: psycopg.Connection) -> None:
    from urllib.parse import quote_plus

    conn.execute("create extension http with schema extensions")
    conn.execute("set search_path = public, extensions")
    response = conn.execute(
        """select (r).status, (r).content from (select http((
             'DELETE', 'https://example.com/o/1', array[http_header('authorization', 'Bearer k')], null, null
           )::http_request) as r) as done"""
    ).fetchone()
    assert response == (None, None)  # nothing was sent, so nothing came back
    conn.execute("select http_post('https://example.com/hook', '{\"id\": 1}', 'application/json')")
    search = '{"q": "ä b", "n": 2, "o": {}}'
    conn.execute("select http_get('https://example.com/search', %s::jsonb)", [search])
    recorded = conn.execute(
        "select (request).method, (request).uri, (request).content from _checker_http_requests order by id"
    ).fetchall()
    assert recorded == [
        ("DELETE", "https://example.com/o/1", None),
        ("POST", "https://example.com/hook", '{"id": 1}'),
        ("GET", "https://example.com/search?n=2&q=%C3%A4+b", None),
    ]
    for text in (*INPUTS, "a&b=c/d?e~f-g.h_i", "100% sure"):
        assert one(conn, "select urlencode(%s::varchar)", [text]) == quote_plus(text, safe=""), text
    assert one(conn, "select bytea_to_text(text_to_bytea('grüße'))") == "grüße"
    assert one(conn, "select http_set_curlopt('CURLOPT_TIMEOUT', '5')") is True
    assert conn.execute("select * from http_list_curlopt()").fetchall() == [("CURLOPT_TIMEOUT", "5")]


def test_pgaudit_has_its_event_triggers_and_audits_nothing(conn: psycopg.Connection) -> None:
    """pgaudit 1.7.1's objects, relocatable as the real one; its settings are tested through the CLI."""
    conn.execute("create extension pgaudit with schema extensions")
    assert one(conn, "select extversion from pg_extension where extname = 'pgaudit'") == "1.7.1"
    assert set(conn.execute(SIGNATURES, ["pgaudit"]).fetchall()) == {
        ("pgaudit_ddl_command_end", "", "event_trigger", "v", False),
        ("pgaudit_sql_drop", "", "event_trigger", "v", False),
    }
    definers = """select proname, prosecdef, proconfig from pg_proc
        where pronamespace = 'extensions'::regnamespace and proname like 'pgaudit%' order by 1"""
    # pgaudit's `set search_path = 'pg_catalog, pg_temp'` is one quoted name, kept as the real one has it
    assert conn.execute(definers).fetchall() == [
        ("pgaudit_ddl_command_end", True, ['search_path="pg_catalog, pg_temp"']),
        ("pgaudit_sql_drop", True, ['search_path="pg_catalog, pg_temp"']),
    ]
    triggers = "select evtname, evtevent, evtfoid::regprocedure::text from pg_event_trigger order by 1"
    assert conn.execute(triggers).fetchall() == [
        ("pgaudit_ddl_command_end", "ddl_command_end", "extensions.pgaudit_ddl_command_end()"),
        ("pgaudit_sql_drop", "sql_drop", "extensions.pgaudit_sql_drop()"),
    ]
    conn.execute("create table audited (id int); drop table audited")  # DDL passes through the triggers
    conn.execute("alter extension pgaudit set schema public")
    conn.execute("drop extension pgaudit")
    assert conn.execute("select evtname from pg_event_trigger").fetchall() == []


def _hypo_table(conn: psycopg.Connection) -> None:
    conn.execute("create table hypo (id int primary key, val text, n int)")
    conn.execute("insert into hypo select g, 'line ' || g, g % 7 from generate_series(1, 500) g")


def test_hypopg_signatures_are_the_real_ones(
    conn: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    """Debian's PostgreSQL 15 has HypoPG 1.3.1: its functions, with 1.4's hide/unhide besides."""
    conn.execute("create extension hypopg with schema extensions")
    real_server.execute("create extension if not exists hypopg")
    standin = set(conn.execute(SIGNATURES, ["hypopg"]).fetchall())
    real = set(real_server.execute(SIGNATURES, ["hypopg"]).fetchall())
    assert real <= standin, real - standin
    assert {row[0] for row in standin - real} == {
        "hypopg_hide_index",
        "hypopg_unhide_index",
        "hypopg_unhide_all_indexes",
        "hypopg_hidden_indexes",
    }


def test_hypopg_names_and_deparses_as_the_real_one(
    conn: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    conn.execute("create extension hypopg")
    real_server.execute("create extension if not exists hypopg")
    orders = (
        "create index on hypo (val)",
        "CREATE UNIQUE INDEX ON hypo USING btree (id, val)",
        "create index on hypo (lower(val)) where n > 3",
        "create index on hypo using hash (val)",
    )
    for connection in (conn, real_server):
        with connection.transaction(force_rollback=True):
            _hypo_table(connection)
            made = []
            for order in orders:
                (indexrelid, name), *_ = connection.execute(
                    "select * from hypopg_create_index(%s)", [order]
                ).fetchall()
                made.append((name.replace(f"<{indexrelid}>", "<oid>"), one(
                    connection, "select hypopg_get_indexdef(%s)", [indexrelid]
                )))
            listed = connection.execute(
                "select index_name ~ '^<[0-9]+>', schema_name, table_name, am_name from hypopg_list_indexes"
            ).fetchall()
            connection.execute("select hypopg_reset()")
        if connection is conn:
            standin = (made, listed)
        else:
            assert standin == (made, listed)
    assert standin[0][0] == ("<oid>btree_hypo_val", "CREATE INDEX ON public.hypo USING btree (val)")


def test_hypopg_records_hides_and_forgets_hypothetical_indexes(conn: psycopg.Connection) -> None:
    conn.execute("create extension hypopg with schema extensions")
    conn.execute("set search_path = public, extensions")
    _hypo_table(conn)
    made = conn.execute("select * from hypopg_create_index('create index on hypo (val)')").fetchall()
    ((first, name),) = made
    assert 12000 <= first < 16384
    assert one(conn, "select exists (select from pg_class where oid = %s)", [first]) is False
    assert one(conn, "select count(*) from pg_index where indrelid = 'hypo'::regclass") == 1  # nothing built
    assert one(conn, "select hypopg_relation_size(%s)", [first]) > 0
    assert error_of(conn, "select hypopg_relation_size(1)") == "oid 1 is not a hypothetical index"
    # a wrong index fails as PostgreSQL says; a named, concurrent one and a second order in one call are taken
    assert error_of(conn, "select hypopg_create_index('create index on hypo (nope)')") == (
        'column "nope" does not exist'
    )
    both = conn.execute(
        "select indexname from hypopg_create_index("
        "'create index concurrently if not exists hypo_n on hypo (n); create index on hypo using hash (val)')"
    ).fetchall()
    assert [row[0].split(">")[1] for row in both] == ["btree_hypo_n", "hash_hypo_val"]
    assert conn.execute("select * from hypopg_create_index('select 1')").fetchall() == []  # a warning
    assert one(conn, "select count(*) from hypopg()") == 3
    # hiding: a real index or a hypothetical one, once
    pkey = one(conn, "select 'hypo_pkey'::regclass::oid")
    assert one(conn, "select hypopg_hide_index(%s)", [pkey]) is True
    assert one(conn, "select hypopg_hide_index(%s)", [pkey]) is False
    assert one(conn, "select hypopg_hide_index(%s)", [first]) is True
    assert one(conn, "select hypopg_hide_index(1)") is False
    hidden = conn.execute("select index_name, table_name, is_hypo from hypopg_hidden_indexes").fetchall()
    assert hidden == [(name, "hypo", True), ("hypo_pkey", "hypo", False)]
    assert one(conn, "select hypopg_unhide_index(%s)", [pkey]) is True
    assert one(conn, "select hypopg_unhide_index(%s)", [pkey]) is False
    conn.execute("select hypopg_unhide_all_indexes()")
    assert conn.execute("select * from hypopg_hidden_indexes()").fetchall() == []
    # forgetting
    assert one(conn, "select hypopg_drop_index(%s)", [first]) is True
    assert one(conn, "select hypopg_drop_index(%s)", [first]) is False
    conn.execute("select hypopg_reset()")
    assert one(conn, "select count(*) from hypopg_list_indexes") == 0


def test_index_advisor_plans_the_query_and_advises_nothing(conn: psycopg.Connection) -> None:
    """The real one's columns; with no hypothetical planning, the costs after are those before."""
    conn.execute("create extension index_advisor with schema extensions cascade")
    assert one(conn, "select extversion from pg_extension where extname = 'index_advisor'") == "0.2.0"
    assert set(conn.execute(SIGNATURES, ["index_advisor"]).fetchall()) == {
        (
            "index_advisor",
            "query text",
            "TABLE(startup_cost_before jsonb, startup_cost_after jsonb, total_cost_before jsonb, "
            "total_cost_after jsonb, index_statements text[], errors text[])",
            "v",
            False,
        )
    }
    _hypo_table(conn)
    advice = conn.execute(
        "select * from extensions.index_advisor(%s)",
        ["-- by name\nselect * from hypo where val = $1 /* ; */;"],
    ).fetchone()
    assert advice is not None
    startup_before, startup_after, total_before, total_after, statements, errors = advice
    assert (statements, errors) == ([], [])
    assert total_before > 0 and (startup_after, total_after) == (startup_before, total_before)
    for query, error in (
        ("select 1; select 2", "Query must not contain a semicolon"),
        ("select * from nowhere", 'relation "nowhere" does not exist'),
    ):
        row = conn.execute("select * from extensions.index_advisor(%s)", [query]).fetchone()
        assert row == (None, None, None, None, [], [error])


PLPGSQL_CHECK_TB_ARGUMENTS = (
    "funcoid regprocedure, relid regclass, fatal_errors boolean, other_warnings boolean, "
    "performance_warnings boolean, extra_warnings boolean, security_warnings boolean, "
    "compatibility_warnings boolean, oldtable name, newtable name, anyelememttype regtype, "
    "anyenumtype regtype, anyrangetype regtype, anycompatibletype regtype, anycompatiblerangetype regtype, "
    "without_warnings boolean, all_warnings boolean, use_incomment_options boolean, "
    "incomment_options_usage_warning boolean, constant_tracing boolean"
)


def test_plpgsql_check_has_the_real_functions(
    conn: psycopg.Connection, real_server: psycopg.Connection
) -> None:
    """Debian's PostgreSQL 15 has plpgsql_check 2.3: every function it has is here (2.7 added arguments)."""
    conn.execute("create extension plpgsql_check with schema extensions")
    real_server.execute("create extension if not exists plpgsql_check")
    standin = conn.execute(SIGNATURES, ["plpgsql_check"]).fetchall()
    real = real_server.execute(SIGNATURES, ["plpgsql_check"]).fetchall()
    assert {(row[0], row[2]) for row in real} <= {(row[0], row[2]) for row in standin}
    assert ("plpgsql_check_function_tb", PLPGSQL_CHECK_TB_ARGUMENTS) in {(row[0], row[1]) for row in standin}


PLPGSQL_CHECK_CASES = {
    "clean": "create function checked() returns int language plpgsql as $$ begin return 1; end $$",
    "syntax error": "create function checked() returns int language plpgsql as $$ begin retrun 1; end $$",
    "not plpgsql": "create function checked() returns int language sql as $$ select 1 $$",
    "trigger": "create function checked() returns trigger language plpgsql as $$ begin return new; end $$",
}


@pytest.mark.parametrize("case", sorted(PLPGSQL_CHECK_CASES))
def test_plpgsql_check_finds_what_the_real_one_finds_first(
    conn: psycopg.Connection, real_server: psycopg.Connection, case: str
) -> None:
    """Syntax errors (a dump's check_function_bodies = off lets them in) and the checks made before any."""
    conn.execute("create extension plpgsql_check")
    real_server.execute("create extension if not exists plpgsql_check")
    found = []
    for connection in (conn, real_server):
        with connection.transaction(force_rollback=True):
            connection.execute("set local check_function_bodies = off")
            connection.execute(PLPGSQL_CHECK_CASES[case])
            try:
                issues = connection.execute(
                    "select level, sqlstate, message from plpgsql_check_function_tb('checked()')"
                ).fetchall()
            except psycopg.Error as err:
                issues = [("raised", err.diag.sqlstate, err.diag.message_primary)]
        found.append(issues)
    assert found[0] == found[1]
    assert bool(found[0]) is (case != "clean")


HELLO = "create function hello() returns text language sql as $$ select 'hello' $$;"


def test_pg_tle_registers_extensions_as_pg_tle_does(conn: psycopg.Connection) -> None:
    conn.execute("create extension pg_tle")  # its control file names schema pgtle, which it creates
    schema = "select extnamespace::regnamespace::text from pg_extension where extname = 'pg_tle'"
    assert one(conn, schema) == "pgtle"
    assert one(conn, "select rolcanlogin from pg_roles where rolname = 'pgtle_admin'") is False
    install = "select pgtle.install_extension(%s, %s, %s, %s)"
    assert one(conn, install, ["hello", "1.0", "Says hello", HELLO]) is True
    assert error_of(conn, install % ("'hello'", "'1.1'", "'again'", "'select 1'")) == (
        'extension "hello" already installed'
    )
    assert error_of(conn, install % ("'pgcrypto'", "'1.0'", "'x'", "'select 1'")) == (
        "control file already exists for the pgcrypto extension"
    )
    assert error_of(conn, install % ("'bad--name'", "'1.0'", "'x'", "'select 1'")) == (
        'invalid extension name: "bad--name"'
    )
    assert error_of(conn, install % ("'sneaky'", "'1.0'", "'x'", "'$_pgtle_o_$ drop table t'")) == (
        "invalid character in extension definition"
    )
    assert one(conn, "select pgtle.install_extension_version_sql('hello', '1.1', %s)", [HELLO]) is True
    assert one(conn, "select pgtle.install_update_path('hello', '1.0', '1.1', 'select 1')") is True
    assert one(conn, "select pgtle.set_default_version('hello', '1.1')") is True
    assert conn.execute("select * from pgtle.available_extensions()").fetchall() == [
        ("hello", "1.1", "Says hello")
    ]
    assert conn.execute("select name, version from pgtle.available_extension_versions()").fetchall() == [
        ("hello", "1.0"),
        ("hello", "1.1"),
    ]
    assert conn.execute("select * from pgtle.extension_update_paths('hello')").fetchall() == [
        ("1.0", "1.1", "1.0--1.1")
    ]
    assert error_of(conn, "select pgtle.uninstall_extension('hello', '1.1')").startswith(
        "Can not uninstall default version of extension hello"
    )
    assert one(conn, "select pgtle.uninstall_extension('hello', '1.0')") is True
    assert one(conn, "select pgtle.uninstall_extension('hello')") is True
    assert one(conn, "select pgtle.uninstall_extension_if_exists('hello')") is False
    assert error_of(conn, "select pgtle.uninstall_extension('hello')") == "Extension hello does not exist"
    # the feature registry forgets a function that is dropped
    conn.execute("create function public.check_password(text) returns void language sql as 'select'")
    conn.execute("select pgtle.register_feature('public.check_password', 'passcheck')")
    again = "select pgtle.register_feature_if_not_exists('public.check_password', 'passcheck')"
    assert one(conn, again) is False
    registry = "select feature::text, schema_name, proname, obj_identity from pgtle.feature_info"
    assert conn.execute(registry).fetchall() == [
        ("passcheck", "public", "check_password", "public.check_password(pg_catalog.text)")
    ]
    conn.execute("drop function public.check_password(text)")
    assert one(conn, "select count(*) from pgtle.feature_info") == 0


# pgsodium's functions as PostgreSQL describes them, owners and EXECUTE grantees named by their part
# (the installing superuser is `installer`, a function's owner `owner`), as the fixture records the real one.
PGSODIUM_CATALOG = """
select p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.provolatile,
  p.proisstrict, p.prosecdef, coalesce(array_to_string(p.proconfig, ','), ''), p.prokind,
  case when p.proowner::regrole::text like 'pgsodium%%' then p.proowner::regrole::text else 'installer' end,
  coalesce((select string_agg(g, ',' order by g) from (
    select case when a.grantee = 0 then 'public' when a.grantee = p.proowner then 'owner'
      when a.grantee::regrole::text like 'pgsodium%%' then a.grantee::regrole::text else 'installer' end as g
    from aclexplode(p.proacl) a where a.privilege_type = 'EXECUTE') grants), 'default')
from pg_depend d join pg_proc p on p.oid = d.objid
where d.classid = 'pg_proc'::regclass and d.deptype = 'e'
  and d.refobjid = (select oid from pg_extension where extname = 'pgsodium')
  and p.proname not like '\\_checker\\_%%'
order by 1, 2
"""


def _owned_here(row: list[str]) -> tuple[str, ...]:
    """The one deliberate difference: a SECURITY DEFINER function the real one leaves to its installer (a
    superuser) is pgsodium_keymaker's here, so that no project SQL it runs acts as a superuser."""
    if row[5] == "t" and row[8] == "installer":
        row[8] = "pgsodium_keymaker"
    return tuple(row)


@pytest.fixture
def sodium(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute("create schema pgsodium; create extension pgsodium with schema pgsodium")
    return conn


def test_pgsodium_has_the_real_extensions_functions_settings_and_privileges(
    sodium: psycopg.Connection,
) -> None:
    lines = (FIXTURES / "pgsodium-3.1.8-functions.tsv").read_text(encoding="utf-8").splitlines()
    real = [_owned_here(line.split("\t")) for line in lines if not line.startswith("#")]
    flag = {True: "t", False: "f"}
    standin = [
        tuple(flag.get(value, value) if isinstance(value, bool) else str(value) for value in row)
        for row in sodium.execute(PGSODIUM_CATALOG).fetchall()
    ]
    assert len(real) == 137
    assert standin == real


def test_pgsodium_hashes_and_macs_are_libsodiums(sodium: psycopg.Connection) -> None:
    message, key = b"what do ya want for nothing?", bytes(range(32))
    assert one(sodium, "select pgsodium.crypto_hash_sha256('abc')") == hashlib.sha256(b"abc").digest()
    sha512 = one(sodium, "select pgsodium.crypto_hash_sha512(%s)", [message])
    assert sha512 == hashlib.sha512(message).digest()
    for algorithm in ("sha256", "sha512"):
        expected = hmac.new(key, message, algorithm).digest()
        mac = f"select pgsodium.crypto_auth_hmac{algorithm}(%s, %s::bytea)"
        assert one(sodium, mac, [message, key]) == expected
        verified = f"select pgsodium.crypto_auth_hmac{algorithm}_verify(%s, %s, %s::bytea)"
        assert one(sodium, verified, [expected, message, key]) is True
    # crypto_auth is HMAC-SHA-512-256
    assert one(sodium, "select pgsodium.crypto_auth(%s, %s::bytea)", [message, key]) == hmac.new(
        key, message, "sha512"
    ).digest()[:32]
    assert error_of(sodium, "select pgsodium.crypto_auth_hmacsha256('x', '\\x0102'::bytea)") == (
        "pgsodium_crypto_auth_hmacsha256: invalid key"
    )


def test_pgsodium_encryption_round_trips_with_the_real_lengths_and_failures(
    sodium: psycopg.Connection,
) -> None:
    """Lengths and messages as the real pgsodium 3.1.8 gives them (aead_det adds 32 bytes, secretbox 16)."""
    sodium.execute(
        "create temp table k as select pgsodium.crypto_aead_det_keygen() as k1,"
        " pgsodium.crypto_aead_det_keygen() as k2, (pgsodium.create_key()).id as u1,"
        " (pgsodium.create_key()).id as u2,"
        " pgsodium.crypto_secretbox_keygen() as s, pgsodium.crypto_secretbox_noncegen() as n"
    )
    length = "select length(pgsodium.crypto_aead_det_encrypt('hello world', 'ad', k1)) from k"
    assert one(sodium, length) == 43
    assert one(sodium, "select length(pgsodium.crypto_aead_det_encrypt('', 'ad', u1)) from k") == 32
    encrypted = "pgsodium.crypto_aead_det_encrypt('x', 'ad', u1)"
    same = f"select {encrypted} = {encrypted} from k"
    assert one(sodium, same) is True
    sealed = "pgsodium.crypto_aead_det_encrypt('hello', 'ad', {0})"
    back = f"select pgsodium.crypto_aead_det_decrypt({sealed}, 'ad', {{0}}) from k"
    assert one(sodium, back.format("k1")) == b"hello"
    assert one(sodium, back.format("u1")) == b"hello"
    wrong = f"select pgsodium.crypto_aead_det_decrypt({sealed}, {{1}}, {{2}}) from k"
    invalid = "pgsodium_crypto_aead_det_decrypt: invalid ciphertext"
    assert error_of(sodium, wrong.format("k1", "'ad'", "k2")) == invalid
    assert error_of(sodium, wrong.format("u1", "'ad'", "u2")) == (
        "pgsodium_crypto_aead_det_decrypt_by_id: invalid ciphertext"
    )
    assert error_of(sodium, wrong.format("u1", "'other'", "u1")) == (
        "pgsodium_crypto_aead_det_decrypt_by_id: invalid ciphertext"
    )
    boxed = "pgsodium.crypto_secretbox('hello world', n, s)"
    assert one(sodium, f"select length({boxed}) from k") == 27
    assert one(sodium, f"select pgsodium.crypto_secretbox_open({boxed}, n, s) from k") == b"hello world"
    assert error_of(sodium, f"select pgsodium.crypto_secretbox_open({boxed}, n, k1) from k") == (
        "pgsodium_crypto_secretbox_open: invalid message"
    )
    # a key of another type is no key for this function, as in the real one (SELECT INTO STRICT)
    assert error_of(sodium, "select pgsodium.crypto_secretbox('x', n, u1) from k") == "query returned no rows"


def test_pgsodium_checks_its_arguments_as_the_real_one(sodium: psycopg.Connection) -> None:
    """pgsodium's C functions refuse NULLs and empty ciphertexts (v3.1.8's aead.c, secretbox.c)."""
    key, nonce = "pgsodium.crypto_aead_det_keygen()", "pgsodium.crypto_aead_ietf_noncegen()"
    assert error_of(sodium, f"select pgsodium.crypto_aead_det_encrypt(null, 'ad', {key})") == (
        "pgsodium_crypto_aead_det_encrypt: message cannot be NULL"
    )
    empty = "pgsodium.crypto_aead_det_encrypt('', 'ad', k)"
    assert error_of(sodium, f"select pgsodium.crypto_aead_det_decrypt({empty}, 'ad', k) from {key} as k") == (
        "pgsodium_crypto_aead_det_decrypt: invalid message"
    )
    keys = f"from {key} as k, {nonce} as n"
    sealed = "pgsodium.crypto_aead_ietf_encrypt('hello', 'ad', n, k)"
    assert one(sodium, f"select length({sealed}) {keys}") == 21
    assert one(sodium, f"select pgsodium.crypto_aead_ietf_decrypt({sealed}, 'ad', n, k) {keys}") == b"hello"
    wrong = f"select pgsodium.crypto_aead_ietf_decrypt({sealed}, 'other', n, k) {keys}"
    assert error_of(sodium, wrong) == "pgsodium_crypto_aead_ietf_decrypt: invalid ciphertext"
    no_nonce = "select pgsodium.crypto_secretbox('x', null, pgsodium.crypto_secretbox_keygen())"
    assert error_of(sodium, no_nonce) == "pgsodium_crypto_secretbox: nonce cannot be NULL"


def test_pgsodium_keys_hashes_and_refusals(sodium: psycopg.Connection) -> None:
    row = sodium.execute("select * from pgsodium.create_key(name => 'named')").fetchone()
    assert row is not None and row[1] == "named" and row[2] == "valid" and row[3] == "aead-det"
    assert error_of(sodium, "select pgsodium.create_key(name => 'named')") == (
        'duplicate key value violates unique constraint "pgsodium_key_unique_name"'
    )
    hashed = one(sodium, "select pgsodium.crypto_pwhash_str('secret')")
    assert isinstance(hashed, bytes) and len(hashed) == 128
    assert hashed.startswith(b"$argon2id$v=19$m=262144,t=3,p=1$")
    assert one(sodium, "select pgsodium.crypto_pwhash_str_verify(%s, 'secret')", [hashed]) is True
    assert one(sodium, "select pgsodium.crypto_pwhash_str_verify(%s, 'wrong')", [hashed]) is False
    assert one(sodium, "select length(pgsodium.crypto_generichash('abc'))") == 32
    assert one(sodium, "select length(pgsodium.derive_key(1, 64))") == 64
    pair = "select length(public), length(secret) from pgsodium.crypto_sign_new_keypair()"
    keys = sodium.execute(pair).fetchone()
    assert keys == (32, 64)
    with pytest.raises(psycopg.Error) as raised:
        sodium.execute("select pgsodium.crypto_sign('x', pgsodium.crypto_sign_new_seed())")
    assert raised.value.diag.sqlstate == "0A000"
    assert (raised.value.diag.message_primary or "").startswith(STANDIN_COMMENT)


@pytest.mark.parametrize("name", sorted(n for n, standin in STANDINS.items() if standin.pinned))
def test_a_pinned_stand_ins_script_searches_pg_catalog_only_from_its_first_statement(name: str) -> None:
    """What lets privileges.script_schema create it beside the project's functions."""
    (script,) = SOURCE_DIR.glob(f"{name}--*.sql")
    text = "\n".join(line for line in script.read_text().splitlines() if not line.startswith("\\"))
    first = parse_source(SourceFile(str(script), text)).statements[0]
    assert first.kind == "VariableSetStmt" and first.node["name"] == "search_path", first.text
    assert first.node.get("is_local"), "a plain SET outlives the script (SET LOCAL ends with it)"
    assert [a["A_Const"]["sval"]["sval"] for a in first.node["args"]] == ["pg_catalog", "pg_temp"]
