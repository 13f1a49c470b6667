"""The static rules mirroring Supabase's database advisor (splinter), through the real CLI: each
case is one migration on a small baseline, with the rule ids it must and must not raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json

from checker.rules import all_rules
from checker.rules.base import remediation_url

POSTS = (
    "create table public.posts (id bigint primary key, author_id uuid references auth.users (id));\n"
    "alter table public.posts enable row level security;\n"
)


def lint(folder: Path, migration: str, policy: str = "") -> list[dict]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "case"\n\n[tool.checker]\ntransaction = "runner"\n{policy}', encoding="utf-8"
    )
    (folder / "baseline.sql").write_text(POSTS, encoding="utf-8")
    (folder / "migration.sql").write_text(migration, encoding="utf-8")
    code, report, err = run_json("lint", "migration.sql", "--baseline", "baseline.sql", cwd=folder)
    assert code in (0, 1), err
    return report["findings"]


def _policy(expression: str, roles: str = "anon, authenticated", command: str = "select") -> str:
    clause = "with check" if command == "insert" else "using"
    return f'create policy "p" on public.posts for {command} to {roles} {clause} ({expression});\n'


AUTH_NULL_CAUGHT = [
    "auth.uid() is null or author_id = auth.uid()",
    "(((auth.uid() is null)) or (author_id = auth.uid()))",
    "coalesce(auth.uid() = author_id, true)",
    "not (auth.uid() is not null)",
    "(select auth.uid()) is null or author_id = (select auth.uid())",
    "auth.email() is null",
    "(auth.uid() = author_id) is not true",
]
AUTH_NULL_SILENT = [
    "auth.uid() is not null and author_id = auth.uid()",
    "author_id = auth.uid()",
    "true",
    "coalesce(auth.uid(), '00000000-0000-0000-0000-000000000000'::uuid) = author_id",
    "auth.uid() is null and author_id is null and false",
]


@pytest.mark.parametrize("expression", AUTH_NULL_CAUGHT)
def test_auth_null_caught(expression: str, tmp_path: Path) -> None:
    found = [f for f in lint(tmp_path, _policy(expression)) if f["rule"] == "rls-policy-auth-null"]
    assert len(found) == 1 and found[0]["severity"] == "error" and found[0]["line"] == 1, found


@pytest.mark.parametrize("expression", AUTH_NULL_SILENT)
def test_auth_null_silent(expression: str, tmp_path: Path) -> None:
    assert "rls-policy-auth-null" not in {f["rule"] for f in lint(tmp_path, _policy(expression))}


def test_auth_null_needs_anon(tmp_path: Path) -> None:
    """Requests as authenticated always carry a user: the null branch is dead there."""
    sql = _policy("auth.uid() is null or author_id = auth.uid()", roles="authenticated")
    assert "rls-policy-auth-null" not in {f["rule"] for f in lint(tmp_path, sql)}


def test_auth_null_in_with_check(tmp_path: Path) -> None:
    sql = _policy("auth.uid() is null or author_id = auth.uid()", command="insert")
    assert "rls-policy-auth-null" in {f["rule"] for f in lint(tmp_path, sql)}


DEFINER = (
    "create function {schema}.purge(target uuid) returns {returns} language plpgsql security definer\n"
    "  set search_path = '' as $$ begin return; end $$;\n"
)


@pytest.mark.parametrize(
    ("revoke", "roles"),
    [
        ("", "anon and authenticated"),
        ("revoke execute on function public.purge(uuid) from public;\n", "anon and authenticated"),
        ("revoke execute on function public.purge(uuid) from public, anon;\n", "authenticated can"),
        ("revoke all on function public.purge from public, anon, authenticated;\n", None),
        ("revoke execute on function public.purge(uuid) from public, anon, authenticated;\n", None),
    ],
)
def test_definer_function_revokes(revoke: str, roles: str | None, tmp_path: Path) -> None:
    sql = DEFINER.format(schema="public", returns="void") + revoke
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "function-definer-exposed"]
    if roles is None:
        assert not found
    else:
        assert len(found) == 1 and roles in found[0]["message"] and found[0]["line"] == 1, found


@pytest.mark.parametrize(("schema", "returns"), [("private", "void"), ("public", "trigger")])
def test_definer_function_not_callable(schema: str, returns: str, tmp_path: Path) -> None:
    sql = "create schema private;\n" + DEFINER.format(schema=schema, returns=returns)
    assert "function-definer-exposed" not in {f["rule"] for f in lint(tmp_path, sql)}


@pytest.mark.parametrize(
    ("sql", "caught"),
    [
        ("create materialized view public.m as select 1 as x;\n", True),
        ("create materialized view public.m as select 1 as x;\nrevoke select on public.m from anon;\n", True),
        (
            "create materialized view public.m as select 1 as x;\n"
            "revoke all on public.m from anon, authenticated;\n",
            False,
        ),
        ("create schema private;\ncreate materialized view private.m as select 1 as x;\n", False),
    ],
)
def test_materialized_view(sql: str, caught: bool, tmp_path: Path) -> None:
    assert ("materialized-view-in-api" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


def test_foreign_table(tmp_path: Path) -> None:
    sql = "create foreign table public.remote (id int) server s;\n"
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "foreign-table-in-api"]
    assert len(found) == 1 and (found[0]["line"], found[0]["column"]) == (1, 22), found


@pytest.mark.parametrize(
    ("column_type", "caught"),
    [
        ("regproc", True),
        ("pg_catalog.regnamespace", True),
        ("regconfig[]", True),
        ("regclass", False),
        ("regtype", False),
    ],
)
def test_reg_types(column_type: str, caught: bool, tmp_path: Path) -> None:
    sql = f"create table public.t (id int primary key, x {column_type});\n"
    assert ("column-reg-type" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


def test_reg_type_added_column(tmp_path: Path) -> None:
    found = [
        f
        for f in lint(tmp_path, "alter table public.posts add column fn regprocedure;\n")
        if f["rule"] == "column-reg-type"
    ]
    assert len(found) == 1 and (found[0]["line"], found[0]["column"]) == (1, 40), found


def test_reg_type_of_an_altered_column_names_the_column(tmp_path: Path) -> None:
    """ALTER COLUMN ... TYPE names its column in the command, not in the column definition."""
    sql = "alter table public.posts alter column fn type regproc using fn::regproc;\n"
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "column-reg-type"]
    assert len(found) == 1 and "column public.posts.fn has type regproc" in found[0]["message"], found


@pytest.mark.parametrize(
    ("reference", "caught"),
    [
        ("auth.users (phone)", True),
        ("auth.users (id)", False),
        ("auth.users", False),
        ("public.posts (id)", False),
    ],
)
def test_fk_auth_unique(reference: str, caught: bool, tmp_path: Path) -> None:
    sql = f"alter table public.posts add column ref text, add foreign key (ref) references {reference};\n"
    assert ("fk-auth-unique" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


@pytest.mark.parametrize(
    ("second", "caught"),
    [
        ("create index b on public.posts (author_id);", True),
        ("create index concurrently b on public.posts using btree (author_id);", True),
        ("create index b on public.posts (author_id, id);", False),
        ("create unique index b on public.posts (author_id);", False),
        ("create index b on public.posts (author_id) where author_id is not null;", False),
        ("create index b on public.posts using hash (author_id);", False),
        ("drop index public.a;\ncreate index b on public.posts (author_id);", False),
        ("create unique index b on public.posts (id);", True),
        ("create unique index b on public.posts (id desc);", False),
        ("create unique index b on public.posts (id) where author_id is not null;", False),
        # `supabase db diff` builds a key's index, then makes it the key: one index, not two
        (
            "create unique index posts_author_key on public.posts (author_id);\n"
            "alter table public.posts add constraint posts_author_key unique using index posts_author_key;",
            False,
        ),
    ],
)
def test_duplicate_index(second: str, caught: bool, tmp_path: Path) -> None:
    sql = f"create index a on public.posts (author_id);\n{second}\n"
    assert ("index-duplicate" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


@pytest.mark.parametrize(
    ("extra", "caught"),
    [
        ("", True),
        ("alter table public.keys enable row level security;\n", False),
        ("revoke select on public.keys from anon, authenticated;\n", False),
    ],
)
def test_sensitive_columns(extra: str, caught: bool, tmp_path: Path) -> None:
    sql = 'create table public.keys (id int primary key, "Api-Key" text);\n' + extra
    assert ("sensitive-columns-exposed" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


@pytest.mark.parametrize(
    ("sql", "caught"),
    [
        (_policy("auth.uid() is not null", roles="authenticated"), True),
        (_policy("auth.role() = 'authenticated'", roles="authenticated"), True),
        (_policy("author_id = (select auth.uid())", roles="authenticated"), False),
        (
            _policy("not coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false)", roles="authenticated"),
            False,
        ),
        (_policy("true", roles="anon"), False),
    ],
)
def test_anonymous_sign_ins(sql: str, caught: bool, tmp_path: Path) -> None:
    assert ("rls-policy-anonymous-users" in {f["rule"] for f in lint(tmp_path, sql)}) is caught


def test_every_mirrored_lint_has_its_page() -> None:
    mirrored = {lint for rule in all_rules() for lint in rule.mirrors}
    assert {
        "0009_duplicate_index",
        "0016_materialized_view_in_api",
        "0028_anon_security_definer_function_executable",
    } <= mirrored
    for rule in all_rules():
        assert rule.remediation == tuple(remediation_url(lint) for lint in rule.mirrors)
        for url in rule.remediation:
            assert url.startswith("https://supabase.com/docs/guides/database/database-linter?lint=00")


def test_rules_command_names_the_lint() -> None:
    from conftest import run_checker

    code, out, _ = run_checker("rules", "materialized-view-in-api")
    assert code == 0
    assert "0016_materialized_view_in_api" in out
    assert (
        "https://supabase.com/docs/guides/database/database-linter?lint=0016_materialized_view_in_api" in out
    )


@pytest.mark.parametrize(
    ("finding", "lint"),
    [
        ("graphql-table-exposed", "0027_pg_graphql_authenticated_table_exposed"),
        ("queue-exposed-in-api", "0019"),
    ],
)
def test_rules_command_describes_the_advisor_only_findings(finding: str, lint: str) -> None:
    from conftest import run_checker

    code, out, _ = run_checker("rules", finding)
    assert code == 0 and out.startswith(f"{finding} (dynamic stage)")
    assert lint in out and "database-linter?lint=" in out
    code, listing, _ = run_checker("rules")
    assert code == 0 and any(line.startswith(finding) for line in listing.splitlines())


def _bucket(public: str, using: str, roles: str = "public") -> str:
    return (
        f"insert into storage.buckets (id, name, public) values ('avatars', 'avatars', {public});\n"
        f'create policy "list" on storage.objects for select to {roles} using ({using});\n'
    )


@pytest.mark.parametrize(
    ("sql", "caught"),
    [
        (_bucket("true", "bucket_id = 'avatars'"), True),
        (_bucket("true", "(bucket_id)::text = ('avatars'::character varying)::text"), True),
        (_bucket("true", "true", roles="anon"), True),
        (_bucket("true", "bucket_id = 'avatars' and auth.role() = 'authenticated'"), True),
        (_bucket("true", "bucket_id = 'avatars' and auth.role() = 'service_role'"), False),
        (_bucket("false", "bucket_id = 'avatars'"), False),
        (_bucket("true", "bucket_id = 'other'"), False),
        (_bucket("true", "bucket_id = 'avatars' and owner_id = (select auth.uid())::text"), False),
        (_bucket("true", "bucket_id = 'avatars'", roles="service_role"), False),
    ],
)
def test_public_bucket_listing(sql: str, caught: bool, tmp_path: Path) -> None:
    found = [f for f in lint(tmp_path, sql) if f["rule"] == "storage-bucket-listing"]
    assert bool(found) is caught, found
    if caught:
        assert found[0]["line"] == 2 and "avatars" in found[0]["message"]
