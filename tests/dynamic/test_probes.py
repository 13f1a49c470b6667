"""Row level security probes of participant and child tables, on real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.dynamic.world import metadata_read, signup_inserts
from checker.findings import Finding, Severity
from checker.model.do_blocks import function_body_trees

from .helpers import require_engine
from .test_stage import ENGINES, ROOT, line_of, only, project_policy, run, write

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def embedded() -> None:
    require_engine("embedded")


# A participant table: user_a and user_b share a row; the policy asks a helper function.
PAIRS = """
begin;
create table public.pairs (
  id uuid primary key default gen_random_uuid(),
  user_a uuid not null references public.users (id) on delete cascade,
  user_b uuid not null references public.users (id) on delete cascade,
  note text not null,
  check (user_a <> user_b)
);
create function public.in_pair(p public.pairs, uid uuid)
returns boolean language sql stable set search_path = ''
as $$ select coalesce({members}, false) $$;
alter table public.pairs enable row level security;
create policy "pairs_select_participant" on public.pairs
  for select to authenticated using (public.in_pair(pairs, (select auth.uid())));
create policy "pairs_service_role_all" on public.pairs
  for all to service_role using (true) with check (true);
{extra}
commit;
"""
BOTH = "uid = p.user_a or uid = p.user_b"
PAIRS_ROLLBACK = """
begin;
drop table if exists public.pair_notes;
-- the policies call the function, and the function takes the table's row type
drop function if exists public.in_pair(public.pairs, uuid) cascade;
drop table if exists public.pairs;
commit;
"""

# A child table: its rows belong to a pair; the policy reaches the pair through a sub-select.
PAIR_NOTES = """
create table public.pair_notes (
  id uuid primary key default gen_random_uuid(),
  pair_id uuid not null references public.pairs (id) on delete cascade,
  body text not null
);
alter table public.pair_notes enable row level security;
create policy "pair_notes_select" on public.pair_notes
  for select to authenticated using ({using});
"""
THROUGH_THE_PAIR = """exists (
    select 1 from public.pairs as p
    where p.id = pair_notes.pair_id and public.in_pair(p, (select auth.uid()))
  )"""
# Any signed-in user passes: the sub-select never looks at the note's pair.
SIGNED_IN = "exists (select 1 from public.users as u where u.id = (select auth.uid()))"


def pairs(tmp_path: Path, members: str = BOTH, extra: str = "") -> list[Finding]:
    migration = write(tmp_path, "pairs.sql", PAIRS.replace("{members}", members).replace("{extra}", extra))
    return run(migration, write(tmp_path, "pairs_rollback.sql", PAIRS_ROLLBACK))


def probe_findings(findings: list[Finding]) -> list[str]:
    return [f"{f.severity.value} {f.rule}: {f.message}" for f in findings if f.rule.startswith("rls-")]


def test_participant_and_child_tables_that_hold_pass_and_are_probed(tmp_path: Path) -> None:
    findings = pairs(tmp_path, extra=PAIR_NOTES.replace("{using}", THROUGH_THE_PAIR))
    assert probe_findings(findings) == []  # nothing leaks, and neither table is skipped
    assert not only(findings, "dynamic-rollback"), findings


def test_participant_select_open_to_every_signed_in_user_is_a_leak(tmp_path: Path) -> None:
    extra = (
        'create policy "pairs_select_debug" on public.pairs for select to authenticated\n'
        "  using ((select auth.uid()) is not null);"
    )
    findings = pairs(tmp_path, extra=extra)
    leak, outsider = only(findings, "rls-probe", Severity.ERROR)
    assert leak.message.startswith("row level security leak on public.pairs: SELECT as authenticated")
    assert "where user A takes no part" in leak.message
    assert 'policy "pairs_select_debug"' in leak.message
    assert "whose rows: shared by the users in user_a, user_b" in leak.message
    assert "user D (signed in, owning nothing, in no group) sees 3" in outsider.message
    assert not only(findings, "rls-missing-policy")


def test_select_using_true_is_a_public_read_not_a_leak(tmp_path: Path) -> None:
    extra = 'create policy "pairs_public" on public.pairs for select to authenticated using (true);'
    findings = pairs(tmp_path, extra=extra)
    assert not [f for f in findings if f.severity is Severity.ERROR], probe_findings(findings)
    public, outsider = only(findings, "rls-probe", Severity.INFO)  # user A, then user D in no row
    for read in (public, outsider):
        assert read.message.startswith('public read of public.pairs through policy "pairs_public": SELECT')
        path = tmp_path / "pairs.sql"
        assert (read.file, read.line) == (str(path), line_of(path, 'create policy "pairs_public"'))


def test_all_using_true_is_still_a_leak(tmp_path: Path) -> None:
    # USING (true) on FOR ALL opens updates and deletes too: not a read-only public door
    extra = 'create policy "pairs_open" on public.pairs for all to authenticated using (true);'
    leaks = [f.message for f in only(pairs(tmp_path, extra=extra), "rls-probe", Severity.ERROR)]
    assert any("SELECT as authenticated" in m and 'policy "pairs_open"' in m for m in leaks), leaks
    assert any("UPDATE as authenticated" in m for m in leaks), leaks


@pytest.mark.parametrize(
    ("role", "using"),
    [
        ("authenticated", "auth.role() = 'authenticated'"),  # Supabase's older examples (no TO)
        ("authenticated", "(select auth.role()) = 'authenticated'"),
        ("authenticated", "auth.jwt() ->> 'role' = 'authenticated'"),
        # PostgREST runs the request as `set local role authenticated`: the role TO names
        ("authenticated", "current_user = 'authenticated'"),
        ("anon", "auth.role() = 'anon'"),
    ],
)
def test_select_open_to_every_user_of_the_role_is_a_public_read(
    tmp_path: Path, role: str, using: str
) -> None:
    """For the role, these are `using (true)`: the probe asks the database whether the USING holds
    with no row and a token that names no user, so a read opened this way is meant, like using (true)."""
    extra = f'create policy "pairs_public" on public.pairs for select using ({using});'
    findings = pairs(tmp_path, extra=extra)
    assert not [f for f in findings if f.severity is Severity.ERROR], probe_findings(findings)
    reads = only(findings, "rls-probe", Severity.INFO)
    assert reads, probe_findings(findings)
    for read in reads:
        expected = f'public read of public.pairs through policy "pairs_public": SELECT as {role}'
        assert read.message.startswith(expected), read.message


@pytest.mark.parametrize(
    ("role", "policy"),
    [
        # the same check, but it lets FOR ALL update and delete every row too
        ("authenticated", "for all using (auth.role() = 'authenticated')"),
        # true for every signed-in user, but it asks who the user is: not a statement about the role
        ("authenticated", "for select using ((select auth.uid()) is not null)"),
        # it reads the row: true on the probe's rows, which says nothing of every row
        ("anon", "for select using (note is not null)"),
        ("authenticated", "for select to authenticated using (note is not null)"),
    ],
)
def test_select_open_to_every_user_that_is_no_public_read_is_a_leak(
    tmp_path: Path, role: str, policy: str
) -> None:
    findings = pairs(tmp_path, extra=f'create policy "pairs_open" on public.pairs {policy};')
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any(f"SELECT as {role}" in m and 'policy "pairs_open"' in m for m in leaks), leaks


def test_a_leak_names_only_the_policies_that_allowed_it(tmp_path: Path) -> None:
    """Policies for the command that cannot hold for the user are not named: a service_role guard
    without TO, an owner's policy on another user's row."""
    extra = """
create policy "pairs_service_writes" on public.pairs for all
  using (auth.role() = 'service_role') with check (auth.role() = 'service_role');
create policy "pairs_select_own" on public.pairs for select to authenticated
  using ((select auth.uid()) = user_a);
create policy "pairs_select_debug" on public.pairs for select to authenticated
  using ((select auth.uid()) is not null);"""
    leaks = [f.message for f in only(pairs(tmp_path, extra=extra), "rls-probe", Severity.ERROR)]
    assert len(leaks) == 2, leaks  # user A sees B's row, user D sees every row
    for message in leaks:
        assert '(allowed by policy "pairs_select_debug")' in message, message


TEAM_DOCUMENTS = """
begin;
create table public.teams (id uuid primary key default gen_random_uuid(), name text);
create table public.members (
  user_id uuid not null references auth.users (id) on delete cascade,
  team_id uuid not null references public.teams (id) on delete cascade,
  role text,
  primary key (user_id, team_id)
);
create table public.documents (
  id uuid primary key default gen_random_uuid(),
  team_id uuid references public.teams (id),
  title text
);
alter table public.teams enable row level security;
alter table public.members enable row level security;
alter table public.documents enable row level security;
create policy my_memberships on public.members for select to authenticated
  using ((select auth.uid()) = user_id);
create policy team_docs on public.documents for all to authenticated
  using (team_id in (select team_id from public.members where user_id = (select auth.uid())));
create policy insert_docs on public.documents for insert to authenticated with check (true);
commit;
"""


def test_an_insert_leak_names_only_the_policies_whose_check_the_row_passes(tmp_path: Path) -> None:
    """midday's documents: a FOR ALL policy of the team's members does not admit a row of another team;
    the insert policy `with check (true)` does (both were named)."""
    rollback = "begin;\ndrop table if exists public.documents, public.members, public.teams;\ncommit;\n"
    migration = write(tmp_path, "documents.sql", TEAM_DOCUMENTS)
    findings = run(migration, write(tmp_path, "documents_rollback.sql", rollback))
    assert not [f.message for f in only(findings, "rls-probe", Severity.ERROR) if "INSERT" in f.message]
    # `with check (true)` on a group's rows: a form anyone may send to any group, a warning as in lint
    forms = [f.message for f in only(findings, "rls-probe", Severity.WARNING) if "INSERT" in f.message]
    assert forms and all('through policy "insert_docs", whose WITH CHECK is true' in m for m in forms), forms


POSTS = """
begin;
create table public.posts (
  id uuid primary key default gen_random_uuid(),
  author_id uuid not null references public.users (id) on delete cascade,
  is_published boolean not null default true,
  pinned boolean not null default false,
  body text not null
);
alter table public.posts enable row level security;
{policies}
commit;
"""


def posts(tmp_path: Path, policies: str) -> list[Finding]:
    migration = write(tmp_path, "posts.sql", POSTS.replace("{policies}", policies))
    rollback = write(tmp_path, "posts_rollback.sql", "begin;\ndrop table public.posts;\ncommit;\n")
    return run(migration, rollback)


def test_rows_readable_by_their_own_flag_are_a_public_read(tmp_path: Path) -> None:
    """Published posts are public by design: the probe's rows took the default (is_published true),
    and with the flag negated only the author reads them, so what others see is the row's own state."""
    findings = posts(
        tmp_path,
        'create policy "posts_select" on public.posts for select\n'
        "  using (is_published or (select auth.uid()) = author_id);\n"
        'create policy "posts_update_own" on public.posts for update to authenticated\n'
        "  using ((select auth.uid()) = author_id) with check ((select auth.uid()) = author_id);",
    )
    assert not [f for f in findings if f.severity is Severity.ERROR], probe_findings(findings)
    reads = [f.message for f in only(findings, "rls-probe", Severity.INFO)]
    assert len(reads) == 3, reads  # user A, user D, anon
    for message in reads:
        assert message.startswith(
            'public read of public.posts through policy "posts_select" while is_published is true: SELECT as'
        ), message


def test_a_read_every_signed_in_user_has_of_owners_rows_is_a_leak_the_project_may_state_public(
    tmp_path: Path,
) -> None:
    """`auth.uid() is not null` on users' own rows: private notes in one project, comments everyone reads in
    another (clubandplayer-app). The probe cannot tell which: a leak whose hint says how to state the table
    public, after which the read is as stated."""
    policies = (
        'create policy "posts_read" on public.posts for select to authenticated\n'
        "  using (auth.uid() is not null);\n"
        'create policy "posts_insert_own" on public.posts for insert to authenticated\n'
        "  with check ((select auth.uid()) = author_id);"
    )
    leaks = only(posts(tmp_path, policies), "rls-probe", Severity.ERROR)
    assert leaks and all('[rls.tenancy] "public.posts" = "public"' in f.hint for f in leaks), leaks
    policy = project_policy()
    policy.data.setdefault("rls", {})["tenancy"] = {"public.posts": "public"}
    migration = write(tmp_path, "posts.sql", POSTS.replace("{policies}", policies))
    rollback = write(tmp_path, "posts_rollback.sql", "begin;\ndrop table public.posts;\ncommit;\n")
    assert not only(run(migration, rollback, policy=policy), "rls-probe", Severity.ERROR)


STATES = """
begin;
create type public.listing_state as enum ('draft', 'open', 'closed');
create table public.listings (
  id uuid primary key default gen_random_uuid(),
  seller_id uuid not null references public.users (id) on delete cascade,
  state public.listing_state not null default 'open',
  status text not null default 'published' check (status in ('draft', 'published')),
  kind text not null default 'memo',
  expires_at timestamptz not null default now() + interval '1 day'
);
alter table public.listings enable row level security;
create policy "listings_select" on public.listings for select to authenticated
  using ({using} or (select auth.uid()) = seller_id);
commit;
"""


@pytest.mark.parametrize(
    ("using", "state"),
    [
        ("state = 'open'", "state is open"),  # an enum: another of its labels hides the row
        ("status <> 'draft'", "status is published"),  # text: the state the policy names hides it
        ("status = 'published'::text", "status is published"),
        ("expires_at > now()", "expires_at is "),  # cocktailsop's stories: one end of time hides the row
        ("kind is not null", None),  # no state of the row keeps it private: the policy's read, a leak
    ],
)
def test_rows_readable_by_their_own_text_or_enum_state_are_a_public_read(
    tmp_path: Path, using: str, state: str | None
) -> None:
    """SanjoSolutions' service listings are readable while open (`status = 'open' or ...`); before, only
    boolean flags were tried and such a read was a leak."""
    migration = write(tmp_path, "listings.sql", STATES.replace("{using}", using))
    rollback = write(
        tmp_path,
        "rollback.sql",
        "begin;\ndrop table public.listings;\ndrop type public.listing_state;\ncommit;\n",
    )
    assert_read_while(run(migration, rollback), "public.listings", "listings_select", state)


def assert_read_while(findings: list[Finding], table: str, policy: str, state: str | None) -> None:
    """Reads of the table the rows' state makes public are info naming that state; without one the read
    stays a leak."""
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR) if table in f.message]
    reads = [f.message for f in only(findings, "rls-probe", Severity.INFO) if table in f.message]
    if state is None:
        assert leaks and not reads, probe_findings(findings)
    else:
        assert not leaks and reads, probe_findings(findings)
        assert all(f'policy "{policy}" while {state}' in m for m in reads), reads


STORES = """
begin;
create table public.stores (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references public.users (id) on delete cascade,
  is_active boolean not null default true,
  name text not null
);
create table public.categories (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null references public.stores (id) on delete cascade,
  name text not null
);
alter table public.stores enable row level security;
alter table public.categories enable row level security;
create policy "stores_select" on public.stores for select
  using (is_active or (select auth.uid()) = owner_id);
create policy "stores_write" on public.stores for all to authenticated
  using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create policy "categories_select" on public.categories for select
  using (exists (select 1 from public.stores s where s.id = store_id and ({gate})));
create policy "categories_write" on public.categories for all to authenticated
  using (exists (select 1 from public.stores s where s.id = store_id and s.owner_id = auth.uid()))
  with check (exists (select 1 from public.stores s where s.id = store_id and s.owner_id = auth.uid()));
commit;
"""


@pytest.mark.parametrize(
    ("gate", "state"),
    [
        ("s.is_active or s.owner_id = (select auth.uid())", "stores.is_active is true for its store_id"),
        ("s.owner_id is not null", None),  # every store's categories, whatever its state: a leak
    ],
)
def test_rows_readable_by_their_parents_state_are_a_public_read(
    tmp_path: Path, gate: str, state: str | None
) -> None:
    """OnlineStore's categories are readable while their store is active, as the stores themselves are:
    changing the parent's state is what hides them. Before, only the row's own columns were changed and
    the child's read was an error where the same gate on the parent was a public read."""
    migration = write(tmp_path, "stores.sql", STORES.replace("{gate}", gate))
    drops = "begin;\ndrop table public.categories;\ndrop table public.stores;\ncommit;\n"
    findings = run(migration, write(tmp_path, "rollback.sql", drops))
    assert_read_while(findings, "public.categories", "categories_select", state)



LESSONS = """
begin;
create table public.courses (
  id uuid primary key default gen_random_uuid(),
  creator_id uuid not null references auth.users default auth.uid(),
  title text not null
);
create table public.user_courses (
  user_id uuid not null references auth.users on delete cascade,
  course_id uuid not null references public.courses on delete cascade,
  primary key (user_id, course_id)
);
create table public.lessons (
  id uuid primary key default gen_random_uuid(),
  course_id uuid references public.courses on delete cascade,
  creator_id uuid not null references auth.users default auth.uid(),
  title text not null default 'Quick lesson'
);
create index on public.user_courses (course_id);
create index on public.lessons (course_id);
create index on public.lessons (creator_id);
alter table public.courses enable row level security;
alter table public.user_courses enable row level security;
alter table public.lessons enable row level security;
create policy "own memberships" on public.user_courses for select to authenticated
  using (user_id = (select auth.uid()));
create policy "lessons" on public.lessons for select to authenticated
  using ({gate} or exists (select 1 from public.user_courses uc
                           where uc.course_id = lessons.course_id and uc.user_id = (select auth.uid())));
commit;
"""


@pytest.mark.parametrize(
    ("gate", "state"), [("course_id is null", "course_id is null"), ("creator_id is not null", None)]
)
def test_rows_readable_while_a_key_is_null_are_a_public_read(
    tmp_path: Path, gate: str, state: str | None
) -> None:
    """grade-lms: a lesson in no course is everyone's (`course_id is null or <enrolled>`): with the key set to
    a course the reader is not in, they see none, so the read is the row's state, as a flag's is."""
    drops = "begin;\ndrop table public.lessons, public.user_courses, public.courses;\ncommit;\n"
    migration = write(tmp_path, "lessons.sql", LESSONS.replace("{gate}", gate))
    findings = run(migration, write(tmp_path, "rollback.sql", drops))
    assert_read_while(findings, "public.lessons", "lessons", state)


COLLEGE_POSTS = """
begin;
create table public.campus_posts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  college_domain text,
  body text
);
alter table public.campus_posts enable row level security;
create policy "campus_read" on public.campus_posts for select to anon, authenticated
  using ((select auth.uid()) = user_id or {gate});
create policy "campus_write" on public.campus_posts for insert to authenticated
  with check ((select auth.uid()) = user_id);
commit;
"""


@pytest.mark.parametrize(
    ("gate", "state"),
    [
        ("college_domain is null", "college_domain is null"),
        ("college_domain is null or college_domain = 'open'", "college_domain is null"),
        # true whatever the column holds: the read is the policy's, a leak
        ("length(coalesce(college_domain, 'x')) > 0", None),
    ],
)
def test_rows_readable_while_a_plain_column_is_null_are_a_public_read(
    tmp_path: Path, gate: str, state: str | None
) -> None:
    """clstr-reactnative's posts: a post of no college is everyone's (`or college_domain is null`); the
    probe's rows leave the column null, and set to a value they are the author's alone."""
    migration = write(tmp_path, "campus.sql", COLLEGE_POSTS.replace("{gate}", gate))
    rollback = write(tmp_path, "rollback.sql", "begin;\ndrop table public.campus_posts;\ncommit;\n")
    findings = run(migration, rollback)
    assert_read_while(findings, "public.campus_posts", "campus_read", state)


def test_rows_readable_whatever_their_flags_are_a_leak(tmp_path: Path) -> None:
    """Negating the flags leaves the rows readable to every signed-in user: no state of the row keeps
    it private, so the read is the policy's, not the row's; writes never count as public."""
    findings = posts(
        tmp_path,
        'create policy "posts_select" on public.posts for select\n'
        "  using (is_published or (select auth.uid()) is not null);\n"
        'create policy "posts_update" on public.posts for update to authenticated\n'
        "  using (is_published or (select auth.uid()) = author_id);",
    )
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("SELECT as authenticated: user A sees 1 row(s) of user B" in m for m in leaks), leaks
    assert any("SELECT as authenticated: user D" in m for m in leaks), leaks
    assert any("UPDATE as authenticated" in m for m in leaks), leaks
    (anon,) = [f.message for f in only(findings, "rls-probe", Severity.INFO) if "as anon" in f.message]
    assert "while is_published is true" in anon



@pytest.mark.parametrize(
    ("policy", "leaked"),
    [
        ('create policy "anon edits posts" on public.posts for update to anon using (true);', ["UPDATE"]),
        ('create policy "anon clears posts" on public.posts for delete to anon using (true);', ["DELETE"]),
        ('create policy "anon reads posts" on public.posts for select to anon using (is_published);', []),
    ],
)
def test_anon_rewriting_or_deleting_owned_rows_is_a_leak(
    tmp_path: Path, policy: str, leaked: list[str]
) -> None:
    """The probes asked anon to read only: a policy letting anyone holding the public key rewrite or delete
    every user's rows passed the dynamic stage (survey round seven). anon reads none of them here: an
    update setting a constant still reaches them all."""
    findings = posts(tmp_path, policy)
    found = [m for m in (f.message for f in only(findings, "rls-probe", Severity.ERROR)) if "as anon" in m]
    assert [c for c in ("UPDATE", "DELETE") if any(f"{c} as anon" in m for m in found)] == leaked

def test_participant_left_out_by_the_policy_is_missing(tmp_path: Path) -> None:
    findings = pairs(tmp_path, members="uid = p.user_a")
    (missing,) = only(findings, "rls-missing-policy")
    assert missing.severity is Severity.WARNING
    assert "SELECT on public.pairs" in missing.message
    assert "user A as user_b does not see their own row" in missing.message
    assert (missing.file, missing.line) == (str(tmp_path / "pairs.sql"), 3)  # create table public.pairs
    assert not only(findings, "rls-probe")


def test_child_policy_that_ignores_the_parent_is_a_leak(tmp_path: Path) -> None:
    findings = pairs(tmp_path, extra=PAIR_NOTES.replace("{using}", SIGNED_IN))
    (leak,) = only(findings, "rls-probe", Severity.ERROR)
    assert leak.message.startswith("row level security leak on public.pair_notes: SELECT as authenticated")
    assert "in public.pairs" in leak.message and 'policy "pair_notes_select"' in leak.message
    path = tmp_path / "pairs.sql"
    assert (leak.file, leak.line) == (str(path), line_of(path, 'create policy "pair_notes_select"'))


def test_project_helper_opened_to_everyone_leaks_matches_and_chats(tmp_path: Path) -> None:
    schema = (ROOT / "sql" / "connect_schema.sql").read_text()
    participant_check = "select coalesce(uid = m.user_a or uid = m.user_b, false);"
    assert participant_check in schema
    migration = write(tmp_path, "connect_schema.sql", schema.replace(participant_check, "select true;"))
    findings = run(migration, ROOT / "sql" / "connect_rollback.sql")
    leaked = {f.message.split(":")[0] for f in only(findings, "rls-probe", Severity.ERROR)}
    assert leaked == {
        "row level security leak on public.matches",
        "row level security leak on public.blind_chats",
        # its update's WITH CHECK asks the same helper: feedback can be moved onto any match
        "row level security leak on public.match_feedback",
    }, probe_findings(findings)


def test_check_of_the_project_sql_probes_every_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "checker", "check", "sql/", "--engine", "embedded"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "probe of public.matches skipped" not in result.stdout
    assert "probe of public.blind_chats skipped" not in result.stdout
    assert "skipped" not in result.stdout, result.stdout
    assert "0 error(s)" in result.stdout or "no problems" in result.stdout, result.stdout


TOKEN_CLAIMS = """
begin;
create table public.invites (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  note text not null
);
alter table public.invites enable row level security;
create policy "invites_select_own" on public.invites for select to authenticated
  using ((select auth.uid()) = user_id and (select auth.jwt() ->> 'email') is not null
         and (select auth.jwt() ->> 'aal') = 'aal1');
create policy "invites_insert_own" on public.invites for insert to authenticated
  with check ((select auth.uid()) = user_id and ((select auth.jwt() ->> 'is_anonymous')::boolean) is false);
commit;
"""


def test_policies_read_the_claims_a_real_token_carries(tmp_path: Path) -> None:
    """GoTrue's tokens carry email, phone, aal, amr, session_id and is_anonymous: policies that read
    them must see what a signed-in user's token holds, not a missing claim."""
    migration = write(tmp_path, "invites.sql", TOKEN_CLAIMS)
    rollback = write(tmp_path, "invites_rollback.sql", "begin;\ndrop table public.invites;\ncommit;\n")
    assert probe_findings(run(migration, rollback)) == []


# --- owners named by the policies: a user column the table's own policies compare with auth.uid() ---

# chatgpt-your-files: a document is its uploader's, in created_by, an audit-looking name its policies
# compare with auth.uid(); its sections are the document's.
DOCUMENTS = """
begin;
create table public.documents (
  id bigint primary key generated always as identity,
  name text not null,
  created_by uuid not null references auth.users (id) default auth.uid()
);
create table public.document_sections (
  id bigint primary key generated always as identity,
  document_id bigint not null references public.documents (id),
  content text not null
);
alter table public.documents enable row level security;
alter table public.document_sections enable row level security;
create policy "documents_insert" on public.documents for insert to authenticated
  with check (auth.uid() = created_by);
create policy "documents_select" on public.documents for select to authenticated
  using ({documents});
create policy "sections_select" on public.document_sections for select to authenticated
  using (document_id in (select id from public.documents where created_by = auth.uid()));
commit;
"""
DOCUMENTS_ROLLBACK = "begin;\ndrop table public.document_sections;\ndrop table public.documents;\ncommit;\n"


def documents(tmp_path: Path, using: str) -> list[Finding]:
    migration = write(tmp_path, "documents.sql", DOCUMENTS.replace("{documents}", using))
    return run(migration, write(tmp_path, "documents_rollback.sql", DOCUMENTS_ROLLBACK))


def test_an_audit_named_column_the_policies_tie_to_the_user_owns_the_row(tmp_path: Path) -> None:
    """created_by says who wrote a row unless the policies say it is whose the row is: then the
    documents are their uploader's and the sections the document's, both probed."""
    assert probe_findings(documents(tmp_path, "auth.uid() = created_by")) == []  # probed, not skipped
    findings = documents(tmp_path, "(select auth.uid()) is not null")
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all(m.startswith("row level security leak on public.documents: SELECT") for m in leaks)
    assert "user A sees 1 row(s) of user B" in leaks[0] and "whose rows: a user's created_by" in leaks[0]


# hivecom: a discussion may be about another user's profile (profile_id, one of several optional
# targets); its author is created_by, the column its policies compare with auth.uid(). A reply is
# its author's too.
DISCUSSIONS = """
begin;
create table public.discussions (
  id uuid primary key default gen_random_uuid(),
  title text not null default 'a discussion',
  profile_id uuid references public.users (id) on delete cascade,
  created_by uuid references public.users (id) on delete set null default auth.uid()
);
create table public.discussion_replies (
  id uuid primary key default gen_random_uuid(),
  discussion_id uuid not null references public.discussions (id) on delete cascade,
  content text not null,
  created_by uuid references public.users (id) on delete set null default auth.uid()
);
alter table public.discussions enable row level security;
alter table public.discussion_replies enable row level security;
create policy "discussions_select" on public.discussions for select using (true);
create policy "discussions_insert" on public.discussions for insert to authenticated
  with check ({check});
create policy "discussions_update_own" on public.discussions for update to authenticated
  using (auth.uid() = created_by);
create policy "replies_select" on public.discussion_replies for select using (true);
create policy "replies_insert" on public.discussion_replies for insert to authenticated
  with check (auth.uid() = created_by
              and exists (select 1 from public.discussions d where d.id = discussion_id));
commit;
"""
DISCUSSIONS_ROLLBACK = (
    "begin;\ndrop table public.discussion_replies;\ndrop table public.discussions;\ncommit;\n"
)


def discussions(tmp_path: Path, check: str) -> list[Finding]:
    migration = write(tmp_path, "discussions.sql", DISCUSSIONS.replace("{check}", check))
    return run(migration, write(tmp_path, "discussions_rollback.sql", DISCUSSIONS_ROLLBACK))


def test_a_user_column_no_policy_ties_to_the_user_is_not_the_owner(tmp_path: Path) -> None:
    """Starting a discussion about another user's profile is no leak: the policies tie the row to
    created_by, its author, not to profile_id, the profile it is about."""
    findings = discussions(tmp_path, "auth.uid() = created_by")
    assert not [f for f in findings if f.severity is Severity.ERROR], probe_findings(findings)
    assert not [f for f in only(findings, "rls-probe") if "skipped" in f.message], probe_findings(findings)
    # an insert that no longer checks the author is still a leak, now of the author's rows
    findings = discussions(tmp_path, "(select auth.uid()) is not null")
    (leak,) = only(findings, "rls-probe", Severity.ERROR)
    assert leak.message.startswith(
        "row level security leak on public.discussions: INSERT as authenticated: "
        "user A inserted a row owned by user B"
    ), leak.message
    assert leak.message.endswith("whose rows: a user's created_by"), leak.message


def test_a_stated_tenancy_wins_over_the_policies(tmp_path: Path) -> None:
    """[rls.tenancy] is the project's word: stated as the profile's rows, the discussion a user starts
    about another user's profile is a row of that user."""
    policy = project_policy()
    policy.data["rls"] = {"tenancy": {"public.discussions": "user:profile_id"}}
    migration = write(tmp_path, "discussions.sql", DISCUSSIONS.replace("{check}", "auth.uid() = created_by"))
    rollback = write(tmp_path, "discussions_rollback.sql", DISCUSSIONS_ROLLBACK)
    findings = run(migration, rollback, policy=policy)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("on public.discussions: INSERT" in m and "a user's profile_id" in m for m in leaks), leaks


NOTES = """
begin;
create table public.notes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  created_by uuid references public.users (id) on delete set null default auth.uid(),
  reviewer_id uuid references public.users (id) on delete set null
);
alter table public.notes enable row level security;
create policy "notes_select" on public.notes for select to authenticated
  using ((select auth.uid()) = user_id or (select auth.uid()) = created_by);
commit;
"""


def test_of_the_user_columns_the_policies_compare_a_non_audit_one_owns_the_row(tmp_path: Path) -> None:
    """user_id says whose the note is, created_by who wrote it; reviewer_id, which no policy compares
    with auth.uid(), is not an owner (without the comparison the note is shared by user_id, reviewer_id)."""
    policy = project_policy()
    policy.data["rules"] = {**policy.data["rules"], "rls-tenancy": {"severity": "info"}}
    rollback = write(tmp_path, "notes_rollback.sql", "begin;\ndrop table public.notes;\ncommit;\n")
    findings = run(write(tmp_path, "notes.sql", NOTES), rollback, policy=policy)
    (model,) = [f.message for f in only(findings, "rls-tenancy")]
    assert model == "tenancy of public.notes: a user's user_id (inferred from the schema)"


THREADS = """
begin;
create table public.threads (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now()
);
create table public.thread_posts (
  id uuid primary key default gen_random_uuid(),
  thread_id uuid not null references public.threads (id) on delete cascade,
  author_id uuid not null references public.users (id) on delete cascade
);
alter table public.threads enable row level security;
alter table public.thread_posts enable row level security;
create policy "thread_posts_own" on public.thread_posts for all to authenticated
  using ((select auth.uid()) = author_id) with check ((select auth.uid()) = author_id);
commit;
"""


def test_a_row_of_nothing_but_defaults_is_made(tmp_path: Path) -> None:
    """A referenced row whose columns all have defaults is inserted with DEFAULT VALUES."""
    migration = write(tmp_path, "threads.sql", THREADS)
    rollback = "begin;\ndrop table public.thread_posts;\ndrop table public.threads;\ncommit;\n"
    findings = run(migration, write(tmp_path, "threads_rollback.sql", rollback))
    skipped = [f.message for f in only(findings, "rls-probe") if "public.thread_posts skipped" in f.message]
    assert skipped == []
    assert not [f for f in findings if f.severity is Severity.ERROR], probe_findings(findings)


# A check that a nullable column the probe leaves out must satisfy: a thread with no topic needs a title.
TOPICS = """
begin;
create table public.topic_threads (
  id uuid primary key default gen_random_uuid(),
  title text,
  topic text,
  author_id uuid not null references public.users (id) on delete cascade,
  constraint topic_threads_title_check check (topic is not null or title is not null)
);
alter table public.topic_threads enable row level security;
create policy "topic_threads_own" on public.topic_threads for all to authenticated
  using ((select auth.uid()) = author_id) with check ((select auth.uid()) = author_id);
commit;
"""


def test_a_check_on_columns_left_null_is_satisfied(tmp_path: Path) -> None:
    """A CHECK that fails on the columns the probe left null gives them a value of their type."""
    migration = write(tmp_path, "topics.sql", TOPICS)
    rollback = write(tmp_path, "topics_rollback.sql", "begin;\ndrop table public.topic_threads;\ncommit;\n")
    findings = run(migration, rollback)
    assert probe_findings(findings) == []  # probed, not skipped


# Built-in types a NOT NULL column without default may have; the probe must give each a value. xml only
# where the server was built with libxml (the Debian PostgreSQL 15, not the embedded one).
BUILT_IN_TYPES = (
    "bytea", "inet", "cidr", "macaddr", "macaddr8", "interval", "time", "timetz", "date", "money",
    "bit(8)", "varbit(4)", "tsvector", "tsquery", "int4range", "tstzrange", "daterange", "int4multirange",
    "point", "box", "lseg", "line", "path", "polygon", "circle", "jsonpath", "pg_lsn",
)  # fmt: skip


@pytest.mark.parametrize("engine", ["embedded", "local"])
def test_a_not_null_column_of_any_built_in_type_gets_a_value(tmp_path: Path, engine: str) -> None:
    """leadminer's private.mining_sources keeps credentials in a bytea NOT NULL column: the probe skipped
    the table ("no automatic value ... of type bytea") and missed an update policy open to everyone."""
    require_engine(engine, ENGINES[engine])
    types = (*BUILT_IN_TYPES, "xml") if engine == "local" else BUILT_IN_TYPES
    columns = "".join(f"  c{i} {kind} not null,\n" for i, kind in enumerate(types))
    migration = write(
        tmp_path,
        "sources.sql",
        "create table public.mining_sources (\n  id uuid primary key default gen_random_uuid(),\n"
        f"{columns}  user_id uuid not null references auth.users (id) on delete cascade\n);\n"
        "alter table public.mining_sources enable row level security;\n"
        'create policy "sources_update" on public.mining_sources for update to authenticated\n'
        "  using (true) with check (true);\n",
    )
    findings = run(migration, None, engine)
    assert not [f.message for f in findings if "skipped" in f.message]
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("UPDATE as authenticated" in m and 'policy "sources_update"' in m for m in leaks), leaks


def test_a_not_null_pgvector_column_gets_a_value_of_its_dimensions(tmp_path: Path) -> None:
    """recollect's bookmark_embeddings keep `embedding halfvec(3) not null`: the probe skipped the table
    ("no automatic value ... of type halfvec(3)"); a cosine index takes no zero vector."""
    migration = write(
        tmp_path,
        "embeddings.sql",
        "create extension if not exists vector with schema extensions;\n"
        "create table public.embeddings (\n  id uuid primary key default gen_random_uuid(),\n"
        "  full_vector extensions.vector(1536) not null,\n  half extensions.halfvec(3) not null,\n"
        "  sparse extensions.sparsevec(5) not null,\n  any_size extensions.vector not null,\n"
        "  user_id uuid not null references auth.users (id) on delete cascade\n);\n"
        "create index on public.embeddings using hnsw (half extensions.halfvec_cosine_ops);\n"
        "alter table public.embeddings enable row level security;\n"
        'create policy "embeddings_update" on public.embeddings for update to authenticated\n'
        "  using (true) with check (true);\n",
    )
    findings = run(migration, None)
    assert not [f.message for f in findings if "skipped" in f.message]
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("UPDATE as authenticated" in m and 'policy "embeddings_update"' in m for m in leaks), leaks


def test_a_row_passes_the_usual_checks_of_slugs_and_date_order(tmp_path: Path) -> None:
    """consultora's orgs keep `slug ~ '^[a-z0-9-]+$'` (44 probes skipped), lodgeical2's bookings
    `check (check_out > check_in)`: the probe's values fit both."""
    migration = write(
        tmp_path,
        "bookings.sql",
        "create table public.bookings (\n  id uuid primary key default gen_random_uuid(),\n"
        "  slug text not null check (slug ~ '^[a-z0-9-]+$'),\n  check_in date not null,\n"
        "  check_out date not null check (check_out > check_in),\n  starts_at timestamptz not null,\n"
        "  ends_at timestamptz not null,\n  check (ends_at > starts_at),\n"
        "  user_id uuid not null references auth.users (id) on delete cascade\n);\n"
        "alter table public.bookings enable row level security;\n"
        'create policy "bookings_update" on public.bookings for update to authenticated\n'
        "  using (true) with check (true);\n",
    )
    findings = run(migration, None)
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("UPDATE as authenticated" in m and 'policy "bookings_update"' in m for m in leaks), leaks


# A signup trigger as Supabase's guide writes it (liam's handle_new_user reads new.email): the probe users
# are email sign-ups as GoTrue records them, and their tokens carry the same e-mail address.
SIGNUP_TRIGGER = """
begin;
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  provider text not null,
  display_name text not null
);
alter table public.profiles enable row level security;
create policy "profiles_select_own" on public.profiles for select to authenticated
  using ((select auth.uid()) = id and (select auth.jwt() ->> 'email') = email);
create function public.handle_new_user() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  if new.aud <> 'authenticated' or new.role <> 'authenticated' or new.email_confirmed_at is null
     or new.created_at is null or not (new.raw_user_meta_data ->> 'email_verified')::boolean then
    raise exception 'not an email sign-up as GoTrue records it';
  end if;
  insert into public.profiles (id, email, provider, display_name)
  values (new.id, new.email, new.raw_app_meta_data ->> 'provider', split_part(new.email, '@', 1));
  return new;
end $$;
revoke all on function public.handle_new_user() from public, anon, authenticated;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null
);
create index notes_user_id_idx on public.notes (user_id);
alter table public.notes enable row level security;
create policy "notes_own" on public.notes for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
commit;
"""
SIGNUP_TRIGGER_ROLLBACK = """
begin;
drop trigger on_auth_user_created on auth.users;
drop function public.handle_new_user();
drop table public.notes;
drop table public.profiles;
commit;
"""


def test_probe_users_are_email_sign_ups_as_gotrue_records_them(tmp_path: Path) -> None:
    migration = write(tmp_path, "signup.sql", SIGNUP_TRIGGER)
    findings = run(migration, write(tmp_path, "signup_rollback.sql", SIGNUP_TRIGGER_ROLLBACK))
    assert [f.message for f in findings if "skipped" in f.message] == []
    assert probe_findings(findings) == []



# grade-lms: the signup trigger makes the profile from what the sign-up form sends, each NOT NULL, and a
# role cast to its enum; the probe users' sign-ups failed on it and every table's probe was skipped.
SIGNUP_FORM = """
begin;
create type public.account_role as enum ('admin', 'teacher', 'student');
create table public.accounts (
  id uuid primary key references auth.users (id) on delete cascade,
  avatar text not null,
  timezone text not null,
  role public.account_role not null
);
create function public.handle_new_account() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  perform now() at time zone (new.raw_user_meta_data ->> 'timezone');
  insert into public.accounts (id, avatar, timezone, role)
  values (new.id, new.raw_user_meta_data ->> 'avatar', new.raw_user_meta_data ->> 'timezone',
          (new.raw_user_meta_data ->> 'role')::public.account_role);
  return new;
end $$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_account();
alter table public.accounts enable row level security;
create policy "accounts_own" on public.accounts for select to authenticated using ((select auth.uid()) = id);
create table public.notes (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  body text
);
create index on public.notes (account_id);
alter table public.notes enable row level security;
create policy "notes_all" on public.notes for all to authenticated using (true) with check (true);
commit;
"""


def test_probe_users_sign_up_with_the_metadata_the_signup_trigger_reads(tmp_path: Path) -> None:
    """Each key the trigger reads gets a value its use accepts (a time zone, the enum's first label
    without power over others): the probes run, and find the notes open to every signed-in user."""
    rollback = (
        "begin;\ndrop trigger on_auth_user_created on auth.users;\n"
        "drop function public.handle_new_account();\ndrop table public.notes;\n"
        "drop table public.accounts;\ndrop type public.account_role;\ncommit;\n"
    )
    findings = run(write(tmp_path, "accounts.sql", SIGNUP_FORM), write(tmp_path, "rollback.sql", rollback))
    assert [f.message for f in findings if "skipped" in f.message] == [], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("public.notes: UPDATE as authenticated" in m for m in leaks), leaks



@pytest.mark.parametrize("key", ["is_streamer", "streamer"])
def test_a_metadata_flag_the_signup_trigger_tests_leaves_the_probes_running(tmp_path: Path, key: str) -> None:
    """gamepity-nextjs: `if (new.raw_user_meta_data ->> 'is_streamer') then`: a flag is sent false, and a key
    whose use text does not fit is left out again, as a sign-up form that does not send it (the probe
    users' sign-ups failed on "probe-a" and every table's probe was skipped)."""
    sql = (
        "begin;\ncreate table public.members (id uuid primary key references auth.users on delete cascade,\n"
        "  streams boolean not null);\nalter table public.members enable row level security;\n"
        "create policy own on public.members for select to authenticated using ((select auth.uid()) = id);\n"
        "create function public.on_signup() returns trigger language plpgsql security definer\n"
        "  set search_path = '' as $$\nbegin\n"
        f"  if (new.raw_user_meta_data ->> '{key}') then\n"
        "    insert into public.members (id, streams) values (new.id, true);\n"
        "  else\n    insert into public.members (id, streams) values (new.id, false);\n  end if;\n"
        "  return new;\nend $$;\ncreate trigger on_signup after insert on auth.users\n"
        "  for each row execute function public.on_signup();\ncommit;\n"
    )
    rollback = (
        "begin;\ndrop trigger on_signup on auth.users;\ndrop function public.on_signup();\n"
        "drop table public.members;\ncommit;\n"
    )
    findings = run(write(tmp_path, "members.sql", sql), write(tmp_path, "rollback.sql", rollback))
    assert [f.message for f in findings if "skipped" in f.message] == [], probe_findings(findings)

def test_the_metadata_a_signup_trigger_reads_with_the_type_it_casts_to() -> None:
    body = (
        "begin insert into public.accounts (id, avatar, role)\n"
        "values (new.id, new.raw_user_meta_data ->> 'avatar',"
        " (new.raw_user_meta_data ->> 'role')::public.account_role); return new; end"
    )
    trees = function_body_trees(body, "plpgsql")
    assert metadata_read(trees) == {"role": "public.account_role", "avatar": ""}


def test_a_uuid_the_signup_trigger_casts_through_nullif_or_coalesce_is_read_as_uuid() -> None:
    body = (
        "begin insert into public.usuarios (id, empresa_id, org_id)\n"
        "values (new.id, nullif(new.raw_user_meta_data ->> 'empresa_id', '')::uuid,"
        " coalesce(new.raw_user_meta_data ->> 'org_id', null)::uuid); return new; end"
    )
    trees = function_body_trees(body, "plpgsql")
    assert metadata_read(trees) == {"empresa_id": "uuid", "org_id": "uuid"}
    assert signup_inserts(trees, "empresa_id") == [(("public", "usuarios"), "empresa_id")]


# actium: an administrator creates users with their company in user_metadata; the trigger stores it in the
# profile, which a check requires for every role but super_admin. Every probe user's sign-up failed (the
# key got the user's own id, then nothing), and all 85 tables of the project went unprobed.
COMPANY_SIGNUP = """
begin;
create type public.user_role as enum ('super_admin', 'admin', 'operativo');
create table public.empresas (id uuid primary key default gen_random_uuid(), nombre text not null);
create table public.usuarios (
  id uuid primary key references auth.users (id) on delete cascade,
  empresa_id uuid references public.empresas (id) on delete restrict,
  rol public.user_role not null,
  constraint chk_empresa_segun_rol check (rol = 'super_admin' or empresa_id is not null)
);
create table public.proyectos (
  id uuid primary key default gen_random_uuid(),
  empresa_id uuid not null references public.empresas (id) on delete cascade,
  nombre text not null
);
create index on public.usuarios (empresa_id);
create index on public.proyectos (empresa_id);
alter table public.empresas enable row level security;
alter table public.usuarios enable row level security;
alter table public.proyectos enable row level security;
create function public.handle_new_user() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  insert into public.usuarios (id, empresa_id, rol)
  values (new.id, nullif(new.raw_user_meta_data ->> 'empresa_id', '')::uuid,
          coalesce((new.raw_user_meta_data ->> 'rol')::public.user_role, 'operativo'));
  return new;
end $$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
create function public.auth_empresa_id() returns uuid language sql stable security definer
  set search_path = '' as $$ select empresa_id from public.usuarios where id = auth.uid() $$;
create policy empresas_own on public.empresas for select to authenticated
  using (id = (select public.auth_empresa_id()));
create policy usuarios_own on public.usuarios for select to authenticated using (id = (select auth.uid()));
create policy proyectos_select on public.proyectos for select to authenticated
  using (exists (select 1 from public.usuarios u where u.id = (select auth.uid())));
create policy proyectos_insert on public.proyectos for insert to authenticated
  with check (empresa_id = (select public.auth_empresa_id()));
commit;
"""


def test_probe_users_sign_up_into_a_row_of_the_table_their_metadata_key_references(tmp_path: Path) -> None:
    rollback = (
        "begin;\ndrop trigger on_auth_user_created on auth.users;\ndrop function public.handle_new_user();\n"
        "drop table public.proyectos, public.usuarios, public.empresas cascade;\n"
        "drop function public.auth_empresa_id();\n"
        "drop type public.user_role;\ncommit;\n"
    )
    findings = run(write(tmp_path, "empresas.sql", COMPANY_SIGNUP), write(tmp_path, "rollback.sql", rollback))
    assert [f.message for f in findings if "skipped" in f.message] == [], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("public.proyectos: SELECT as authenticated: user A sees" in m for m in leaks), leaks


APP_EVENTS = """
begin;
create table public.apps (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  name text not null default 'an app'
);
create index on public.apps (owner_id);
alter table public.apps enable row level security;
create policy apps_owner on public.apps for all to authenticated
  using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create table public.app_events (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references public.apps (id) on delete cascade,
  kind text not null default 'page_view'
);
create index on public.app_events (app_id);
alter table public.app_events enable row level security;
create policy events_insert on public.app_events for insert to anon, authenticated with check (true);
create policy events_owner on public.app_events for select to authenticated
  using (app_id in (select id from public.apps where owner_id = (select auth.uid())));
commit;
"""


def test_a_page_view_anyone_records_for_another_users_app_is_a_form(tmp_path: Path) -> None:
    """DockOne: `with check (true)` on rows under another user's row (a page view of their app) is a form
    anyone may send, a warning as in lint (it was an error because the rows are a user's, not a group's)."""
    drops = "begin;\ndrop table public.app_events, public.apps;\ncommit;\n"
    rollback = write(tmp_path, "rollback.sql", drops)
    findings = run(write(tmp_path, "apps.sql", APP_EVENTS), rollback)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)
    forms = [f.message for f in only(findings, "rls-probe", Severity.WARNING)]
    assert forms and all('policy "events_insert", whose WITH CHECK is true' in m for m in forms), forms


# nzila-gym-manager: a gym's creator becomes its owner through a trigger that reads auth.uid()
GYMS = """
begin;
create table public.gyms (id uuid primary key default gen_random_uuid(), name text not null);
create table public.user_roles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  gym_id uuid references public.gyms (id) on delete cascade,
  role text not null default 'member',
  unique (user_id, gym_id)
);
create table public.members (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  full_name text not null
);
create index on public.user_roles (gym_id);
create index on public.members (gym_id);
alter table public.gyms enable row level security;
alter table public.user_roles enable row level security;
alter table public.members enable row level security;
create policy "own roles" on public.user_roles for select to authenticated
  using (user_id = (select auth.uid()));
create policy "gyms of my roles" on public.gyms for select to authenticated
  using (id in (select gym_id from public.user_roles where user_id = (select auth.uid())));
create function public.handle_new_gym() returns trigger language plpgsql security definer
  set search_path = '' as $$
begin
  insert into public.user_roles (user_id, gym_id, role) values (auth.uid(), new.id, 'gym_owner');
  return new;
end $$;
create trigger on_gym_created after insert on public.gyms
  for each row execute function public.handle_new_gym();
create policy "members_require_auth" on public.members for select to authenticated
  using ((select auth.uid()) is not null);
commit;
"""


def test_rows_are_made_by_their_owner_for_triggers_that_ask_auth_uid(tmp_path: Path) -> None:
    """The probe made a gym with no user signed in: the trigger's membership row got a null user_id, and
    31 of nzila-gym-manager's tables were skipped, its leak of every gym's members unseen."""
    drops = "begin;\ndrop table public.members, public.user_roles, public.gyms;\n"
    drops += "drop function public.handle_new_gym();\ncommit;\n"
    findings = run(write(tmp_path, "gyms.sql", GYMS), write(tmp_path, "rollback.sql", drops))
    assert [f.message for f in findings if "skipped" in f.message] == [], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any('public.members: SELECT as authenticated' in m for m in leaks), leaks


def test_a_membership_whose_user_column_has_no_foreign_key_is_probed(tmp_path: Path) -> None:
    """FlowTrack's users table keeps the auth user's id unique, without a foreign key: making the probe's
    members stopped the whole dynamic stage (an internal error, StopIteration)."""
    sql = (
        "begin;\ncreate table public.tenants (id uuid primary key default gen_random_uuid(), name text);\n"
        "create table public.users (id uuid primary key default gen_random_uuid(),\n"
        "  auth_user_id uuid unique, email text not null,\n"
        "  tenant_id uuid not null references public.tenants (id) on delete cascade);\n"
        "create index on public.users (tenant_id);\n"
        "alter table public.tenants enable row level security;\n"
        "alter table public.users enable row level security;\n"
        "create policy tenants_members on public.tenants for all to authenticated using (id in\n"
        "  (select tenant_id from public.users where auth_user_id = (select auth.uid())));\n"
        "create policy users_self on public.users for select to authenticated\n"
        "  using (auth_user_id = (select auth.uid()));\ncommit;\n"
    )
    drops = "begin;\ndrop table public.users, public.tenants;\ncommit;\n"
    # its own public.users: not the baseline's
    findings = run(write(tmp_path, "tenants.sql", sql), write(tmp_path, "rollback.sql", drops), baseline=[])
    assert [f.message for f in findings if "skipped" in f.message] == [], probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


@pytest.mark.parametrize(
    ("check", "leak"),
    [
        ("status = 'pending' and user_id = (select auth.uid())", False),  # capital-planning's join requests
        ("user_id = (select auth.uid())", True),  # a post into another group's rows, as its author
    ],
)
def test_a_users_own_pending_request_to_another_group_is_no_leak(
    tmp_path: Path, check: str, leak: bool
) -> None:
    """Asking to join an organization one is not in is what a join-request table is for: a row the user
    writes as their own, in the state the group answers, is a request (info); without the set state it is
    a write into that group's rows (a leak)."""
    mine = "user_id = (select auth.uid())"
    sql = (
        "begin;\ncreate table public.orgs (id uuid primary key default gen_random_uuid(), name text);\n"
        "create table public.org_members (\n"
        "  org_id uuid not null references public.orgs (id) on delete cascade,\n"
        "  user_id uuid not null references auth.users (id) on delete cascade,\n"
        "  primary key (org_id, user_id));\n"
        "create table public.join_requests (id uuid primary key default gen_random_uuid(),\n"
        "  org_id uuid not null references public.orgs (id) on delete cascade,\n"
        "  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,\n"
        "  status text not null default 'pending' check (status in ('pending', 'approved')));\n"
        "create index on public.org_members (user_id);\ncreate index on public.join_requests (org_id);\n"
        "create index on public.join_requests (user_id);\n"
        "alter table public.orgs enable row level security;\n"
        "alter table public.org_members enable row level security;\n"
        "alter table public.join_requests enable row level security;\n"
        f"create policy own on public.org_members for select to authenticated using ({mine});\n"
        "create policy mine on public.orgs for select to authenticated using (id in\n"
        f"  (select org_id from public.org_members where {mine}));\n"
        f"create policy jr_read on public.join_requests for select to authenticated using ({mine}\n"
        f"  or org_id in (select org_id from public.org_members where {mine}));\n"
        f"create policy jr_create on public.join_requests for insert to authenticated with check ({check});\n"
        "commit;\n"
    )
    drops = "begin;\ndrop table public.join_requests, public.org_members, public.orgs;\ncommit;\n"
    findings = run(write(tmp_path, "requests.sql", sql), write(tmp_path, "rollback.sql", drops))
    inserts = [f for f in findings if f.rule == "rls-probe" and "public.join_requests" in f.message]
    errors = [f.message for f in inserts if f.severity is Severity.ERROR and "INSERT" in f.message]
    requests = [f.message for f in inserts if f.message.startswith("request to another group")]
    assert (bool(errors), bool(requests)) == (leak, not leak), probe_findings(findings)


@pytest.mark.parametrize(
    ("admins", "leak"), [("public.is_admin((select auth.uid()))", False), ("true", True)]
)
def test_a_table_listing_who_may_manage_it_is_no_leak(tmp_path: Path, admins: str, leak: bool) -> None:
    """learn's admin_users: is_admin() reads the table itself, so the probe's own row made user A an admin
    and admins reading, granting and revoking admins showed as leaks; a policy that holds whoever reads
    stays one."""
    sql = (
        "begin;\ncreate table public.admin_users (id uuid primary key default gen_random_uuid(),\n"
        "  user_id uuid unique references auth.users (id) on delete cascade, email text unique not null);\n"
        "alter table public.admin_users enable row level security;\n"
        "create function public.is_admin(uid uuid) returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$\n"
        "  select exists (select 1 from public.admin_users a where a.user_id = uid) $$;\n"
        f"create policy view on public.admin_users for select to authenticated using ({admins});\n"
        f"create policy revoke on public.admin_users for delete to authenticated using ({admins});\ncommit;\n"
    )
    drops = "begin;\ndrop table public.admin_users;\ndrop function public.is_admin(uuid);\ncommit;\n"
    findings = run(write(tmp_path, "admins.sql", sql), write(tmp_path, "rollback.sql", drops))
    errors = [m.message for m in only(findings, "rls-probe", Severity.ERROR) if "authenticated" in m.message]
    listed = [f.message for f in findings if "lists who may manage it" in f.message]
    assert (bool(errors), bool(listed)) == (leak, not leak), probe_findings(findings)

ORG_NOTES = """
begin;
create table public.orgs (id uuid primary key default gen_random_uuid(), name text);
create table public.org_members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  primary key (org_id, user_id)
);
create table public.notes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  org_id uuid references public.orgs (id) on delete cascade,
  body text
);
create index on public.notes (user_id);
create index on public.notes (org_id);
alter table public.orgs enable row level security;
alter table public.org_members enable row level security;
alter table public.notes enable row level security;
create policy "members read their orgs" on public.orgs for select to authenticated
  using (id in (select org_id from public.org_members where user_id = (select auth.uid())));
create policy "members read their memberships" on public.org_members for select to authenticated
  using (user_id = (select auth.uid()));
{policies}
commit;
"""


@pytest.mark.parametrize(
    ("policies", "handed_over"),
    [
        # every policy asks for the row's user: org_id gives nobody access, moving it hands nothing over
        (
            'create policy "own notes" on public.notes for select to authenticated\n'
            "  using ((select auth.uid()) = user_id);\n"
            'create policy "own updates" on public.notes for update to authenticated\n'
            "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);",
            False,
        ),
        # the org's members read its notes: moving one's note into another org puts it before them
        (
            'create policy "org notes" on public.notes for select to authenticated\n'
            "  using (org_id in (select org_id from public.org_members\n"
            "                    where user_id = (select auth.uid())));\n"
            'create policy "own updates" on public.notes for update to authenticated\n'
            "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);",
            True,
        ),
        # the same through a helper given the whole row: it reads org_id too
        (
            "create function public.can_access(n public.notes) returns boolean language sql stable\n"
            "  security definer set search_path = '' as $$ select exists (\n"
            "    select 1 from public.org_members m\n"
            "    where m.org_id = n.org_id and m.user_id = (select auth.uid())) $$;\n"
            'create policy "org notes" on public.notes for select to authenticated\n'
            "  using (public.can_access(notes));\n"
            'create policy "own updates" on public.notes for update to authenticated\n'
            "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);",
            True,
        ),
        # chess-map-frontend's quests: an administrators' policy reads no column, so it ties no row to a
        # group either (the move was a hand-over leak)
        (
            'create policy "own notes" on public.notes for select to authenticated\n'
            "  using ((select auth.uid()) = user_id);\n"
            'create policy "own updates" on public.notes for update to authenticated\n'
            "  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);\n"
            "create function public.is_admin() returns boolean language sql stable security definer\n"
            "  set search_path = '' as $$ select false $$;\n"
            'create policy "admins" on public.notes for update to authenticated\n'
            "  using ((select public.is_admin())) with check ((select public.is_admin()));",
            False,
        ),
    ],
)
def test_a_key_to_a_group_is_handed_over_only_where_a_policy_reads_it(
    tmp_path: Path, policies: str, handed_over: bool
) -> None:
    """SanjoSolutions' notifications key every policy on user_id and have an organization_id: the move of
    that key was reported as a hand-over leak."""
    migration = write(tmp_path, "notes.sql", ORG_NOTES.replace("{policies}", policies))
    rollback = write(
        tmp_path,
        "rollback.sql",
        "begin;\ndrop table public.notes, public.org_members, public.orgs;\ncommit;\n",
    )
    findings = run(migration, rollback)
    moves = [f.message for f in only(findings, "rls-probe", Severity.ERROR) if "handing it over" in f.message]
    assert bool(moves) is handed_over, probe_findings(findings)


@pytest.mark.parametrize(
    "schema",
    [
        # petroflow-sparkle: the role enum starts with a platform-wide super_admin
        "create type public.app_role as enum ('super_admin', 'member');\n"
        "create table public.orgs (id uuid primary key default gen_random_uuid());\n"
        "create table public.user_roles (id uuid primary key default gen_random_uuid(),\n"
        "  user_id uuid not null references auth.users on delete cascade,\n"
        "  org_id uuid references public.orgs on delete cascade, role public.app_role not null,\n"
        "  unique (user_id, org_id, role));\n"
        "create index on public.user_roles (org_id);\n"
        "create function public.is_super_admin() returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select exists (select 1 from public.user_roles\n"
        "    where user_id = auth.uid() and role = 'super_admin') $$;\n"
        "alter table public.orgs enable row level security;\n"
        "alter table public.user_roles enable row level security;\n"
        'create policy "super admins see all" on public.orgs for select to authenticated\n'
        "  using (public.is_super_admin());\n",
        # fastnd-poc: the first user to sign up becomes the administrator
        "create table public.user_roles (user_id uuid primary key references auth.users on delete cascade,\n"
        "  role text not null);\n"
        "alter table public.user_roles enable row level security;\n"
        "create function public.on_signup() returns trigger language plpgsql security definer\n"
        "  set search_path = '' as $$ begin insert into public.user_roles values (new.id,\n"
        "    case when exists (select 1 from public.user_roles) then 'user' else 'admin' end); return new;\n"
        "  end $$;\n"
        "create trigger on_auth_user_created after insert on auth.users for each row\n"
        "  execute function public.on_signup();\n"
        "create table public.logs (id uuid primary key default gen_random_uuid(),\n"
        "  user_id uuid not null references auth.users on delete cascade);\n"
        "create index on public.logs (user_id);\n"
        "alter table public.logs enable row level security;\n"
        "create function public.is_admin() returns boolean language sql stable security definer\n"
        "  set search_path = '' as $$ select exists (select 1 from public.user_roles r\n"
        "    where r.user_id = auth.uid() and r.role = 'admin') $$;\n"
        'create policy "admins read all" on public.logs for select to authenticated\n'
        "  using (public.is_admin());\n",
    ],
    ids=["platform-wide-role-first", "first-user-is-admin"],
)
def test_the_probe_users_are_no_platform_administrators(tmp_path: Path, schema: str) -> None:
    """An administrator of the whole platform reads every tenant's rows by design; the probe's users are
    ordinary members: user A gets a group role before a platform-wide one, and someone else signs up first."""
    migration = write(tmp_path, "admins.sql", schema)
    findings = run(migration, None)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


def test_a_state_test_anded_with_a_faulty_tenant_test_is_still_a_leak(tmp_path: Path) -> None:
    """Archiving the row hides it from everyone whatever the tenant test says, so a hidden row proves
    nothing: only rows an outsider (user D) reads as they are can be public by their state."""
    policies = (
        "create table public.projects (id uuid primary key default gen_random_uuid(),\n"
        "  org_id uuid not null references public.orgs (id) on delete cascade,\n"
        "  status text not null default 'active' check (status in ('active', 'archived')));\n"
        "create index on public.projects (org_id);\n"
        "alter table public.projects enable row level security;\n"
        'create policy "projects read" on public.projects for select to authenticated\n'
        "  using (status <> 'archived' and exists (select 1 from public.org_members m\n"
        "         where m.org_id = m.org_id and m.user_id = (select auth.uid())));\n"
    )
    migration = write(tmp_path, "projects.sql", ORG_NOTES.replace("{policies}", policies))
    findings = run(migration, None)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR) if "public.projects" in f.message]
    assert any("user A sees 1 row(s)" in m for m in leaks), probe_findings(findings)


def test_a_membership_table_showing_each_user_their_own_memberships_misses_nothing(tmp_path: Path) -> None:
    """`using (user_id = auth.uid())` on the membership table (the usual guard against recursive policies)
    hides the other members from user A, not A's own membership: a choice, not a missing policy."""
    policies = (
        'create policy "own notes" on public.notes for select to authenticated\n'
        "  using ((select auth.uid()) = user_id);"
    )
    migration = write(tmp_path, "members.sql", ORG_NOTES.replace("{policies}", policies))
    findings = run(migration, None)
    missing = [f.message for f in only(findings, "rls-missing-policy") if "public.org_members" in f.message]
    assert not [m for m in missing if "SELECT" in m], missing


# GECO-Project-App/facilitation-app: whoever creates a team becomes its owner through a trigger reading
# new.created_by; the membership insert policy lets anyone add anyone to any team.
TEAMS = """
create table public.teams (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  {created_by}
);
create table public.team_members (
  team_id uuid not null references public.teams (id) on delete cascade,
  user_id uuid not null references {users} (id) on delete cascade,
  role text not null default 'member',
  primary key (team_id, user_id)
);
create index on public.team_members (user_id);
alter table public.teams enable row level security;
alter table public.team_members enable row level security;
create function public.handle_new_team() returns trigger language plpgsql security definer
  set search_path = '' as $$
begin
  insert into public.team_members (team_id, user_id, role) values (new.id, new.created_by, 'owner');
  return new;
end $$;
create trigger on_team_created after insert on public.teams
  for each row execute function public.handle_new_team();
create policy "teams_select" on public.teams for select to authenticated
  using (exists (select 1 from public.team_members m
                 where m.team_id = teams.id and m.user_id = (select auth.uid())));
create policy "members_select" on public.team_members for select to authenticated
  using (user_id = (select auth.uid()));
create policy "members_insert" on public.team_members for insert to authenticated with check (true);
"""


@pytest.mark.parametrize(
    ("created_by", "users"),
    [
        ("created_by uuid references auth.users (id) on delete set null", "auth.users"),
        # the trigger's member needs a row in the users table the membership references
        ("created_by uuid references auth.users (id) on delete set null", "public.users"),
        ("created_by uuid default auth.uid() references auth.users (id)", "auth.users"),
        # hivecom's projects: no foreign key, and the service's insert has no auth.uid()
        ("created_by uuid not null default auth.uid()", "auth.users"),
    ],
    ids=["nullable", "members-in-public-users", "default-auth-uid", "not-null-default-auth-uid-no-fk"],
)
def test_a_group_is_created_by_its_owner(tmp_path: Path, created_by: str, users: str) -> None:
    """G1 is A's: its creator column says A, so a trigger making the creator the first member works (it
    failed on a null user_id and both tables were skipped, hiding the open membership insert)."""
    schema = TEAMS.replace("{created_by}", created_by).replace("{users}", users)
    findings = run(write(tmp_path, "teams.sql", schema), None)
    assert not [f.message for f in findings if "skipped" in f.message]
    errors = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    leak = "row level security leak on public.team_members: INSERT as authenticated"
    assert errors and all(m.startswith(leak) and 'policy "members_insert"' in m for m in errors), errors


def test_a_users_row_is_created_by_its_owner(tmp_path: Path) -> None:
    """hivecom's projects belong to the profile in `owner` and record their creator with `created_by uuid
    not null default auth.uid()`, null for the service's insert: the table was skipped."""
    schema = (
        "create table public.projects (\n"
        "  id bigint generated by default as identity primary key,\n"
        "  created_by uuid not null default auth.uid(),\n"
        "  title text not null,\n"
        "  owner uuid references public.users (id)\n"
        ");\n"
        "create index on public.projects (owner);\n"
        "alter table public.projects enable row level security;\n"
        'create policy "projects_update" on public.projects for update to authenticated\n'
        "  using (true) with check (true);\n"
    )
    findings = run(write(tmp_path, "projects.sql", schema), None)
    assert not [f.message for f in findings if "skipped" in f.message]
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert any("UPDATE as authenticated" in m and 'policy "projects_update"' in m for m in leaks), leaks


ADMIN_ONLY = """
begin;
create table public.admins (user_id uuid primary key references auth.users (id));
alter table public.admins enable row level security;
create function public.is_admin() returns boolean language sql stable security definer set search_path = ''
  as $$ select exists (select 1 from public.admins where user_id = (select auth.uid())) $$;
create table public.reservations (
  id bigint generated always as identity primary key,
  username text not null,
  assigned_to uuid references auth.users (id) on delete set null
);
alter table public.reservations enable row level security;
create policy res_select on public.reservations for select to authenticated
  using ((select public.is_admin()));
create policy res_update on public.reservations for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
{extra}
commit;
"""


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ("", set()),  # hivecom's profile_reservations: the admins' table, whoever it is assigned to
        (
            "create policy res_own on public.reservations for select to authenticated\n"
            "  using (assigned_to = (select auth.uid()) and false);",
            {"SELECT"},  # a policy about the row's user that lets nobody read their own
        ),
    ],
    ids=["admin-only", "about-the-owner"],
)
def test_a_table_only_admins_reach_misses_no_policy_for_its_owners(
    tmp_path: Path, extra: str, missing: set[str]
) -> None:
    rollback = "begin;\ndrop table if exists public.reservations, public.admins;\n"
    rollback += "drop function if exists public.is_admin();\ncommit;\n"
    findings = run(
        write(tmp_path, "reservations.sql", ADMIN_ONLY.replace("{extra}", extra)),
        write(tmp_path, "reservations_rollback.sql", rollback),
    )
    warned = {
        f.message.split(" on ")[0].removeprefix("missing policy for ")
        for f in only(findings, "rls-missing-policy")
    }
    assert warned == missing, probe_findings(findings)


NO_FOREIGN_KEY = """
begin;
create table public.persons (
  email text not null,
  user_id uuid not null,
  name text,
  primary key (email, user_id)
);
alter table public.persons enable row level security;
create policy p_select on public.persons for select to authenticated using ((select auth.uid()) = user_id);
create policy p_update on public.persons for update to authenticated using (true) with check (true);
commit;
"""


def test_an_owner_column_without_a_foreign_key_is_the_owner_the_policies_compare(tmp_path: Path) -> None:
    """leadminer's tables keep `user_id uuid` with no foreign key; their policies say whose rows they are."""
    findings = run(
        write(tmp_path, "persons.sql", NO_FOREIGN_KEY),
        write(tmp_path, "persons_rollback.sql", "begin;\ndrop table if exists public.persons;\ncommit;\n"),
    )
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all("whose rows: a user's user_id" in message for message in leaks), probe_findings(
        findings
    )
    assert any('policy "p_update"' in message for message in leaks), leaks


CHILD_OF_A_MEMBERSHIP = """
begin;
create table public.groups (id uuid primary key default gen_random_uuid());
create table public.groupmember (
  id uuid primary key default gen_random_uuid(),
  group_id uuid not null references public.groups (id),
  user_id uuid references auth.users (id),
  unique (group_id, user_id)
);
create table public.poll (
  id uuid primary key default gen_random_uuid(),
  author_id uuid references public.groupmember (id)
);
alter table public.groups enable row level security;
alter table public.groupmember enable row level security;
alter table public.poll enable row level security;
create policy poll_own on public.poll for select to authenticated
  using (author_id in (select id from public.groupmember where user_id = (select auth.uid())));
commit;
"""


def test_a_child_of_a_membership_row_is_made_under_the_members_the_table_holds(tmp_path: Path) -> None:
    """classroomio's polls reference groupmember(id): the membership plan's extra row, made for the insert
    probe only (user A joining G2), has no id and is no parent (verify stopped with KeyError: 'id')."""
    rollback = "begin;\ndrop table if exists public.poll, public.groupmember, public.groups;\ncommit;\n"
    findings = run(
        write(tmp_path, "poll.sql", CHILD_OF_A_MEMBERSHIP), write(tmp_path, "poll_rollback.sql", rollback)
    )
    probed = [f for f in only(findings, "rls-probe") if "public.poll" in f.message]
    assert not [f for f in probed if "skipped" in f.message], probe_findings(findings)
    assert not [f for f in probed if f.severity is Severity.ERROR], probe_findings(findings)


BREAKS = """
begin;
create table public.workspaces (id uuid primary key default gen_random_uuid(), name text);
create table public.workspace_members (
  ws_id uuid not null references public.workspaces (id),
  user_id uuid not null references auth.users (id),
  primary key (ws_id, user_id)
);
create index on public.workspace_members (user_id);
create table public.break_types (
  id uuid primary key default gen_random_uuid(),
  ws_id uuid not null references public.workspaces (id)
);
create index on public.break_types (ws_id);
create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  ws_id uuid not null references public.workspaces (id),
  user_id uuid not null references auth.users (id)
);
create index on public.sessions (ws_id);
create index on public.sessions (user_id);
create table public.breaks (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id),
  break_type_id uuid references public.break_types (id),
  created_by uuid not null default auth.uid() references auth.users (id)
);
create index on public.breaks (session_id);
create index on public.breaks (break_type_id);
create index on public.breaks (created_by);
alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;
alter table public.break_types enable row level security;
alter table public.sessions enable row level security;
alter table public.breaks enable row level security;
create policy "own memberships" on public.workspace_members for select to authenticated
  using (user_id = (select auth.uid()));
create policy "read breaks of my workspaces" on public.breaks for select to authenticated
  using (exists (select 1 from public.sessions s join public.workspace_members wm on wm.ws_id = s.ws_id
                 where s.id = breaks.session_id and wm.user_id = (select auth.uid())));
create policy "update own breaks" on public.breaks for update to authenticated
  using (created_by = (select auth.uid()));
create policy "members read sessions" on public.sessions for select to authenticated
  using (exists (select 1 from public.workspace_members wm
                 where wm.ws_id = sessions.ws_id and wm.user_id = (select auth.uid())));
commit;
"""


def test_of_two_keys_to_groups_the_one_the_policies_read_says_whose_the_row_is(tmp_path: Path) -> None:
    """tutur3u's breaks reference a session and a break type, both of a workspace: the policies follow
    session_id, so a break is its session's workspace's; moving it to another workspace's session is the
    write-through (a break type, which nothing reads, was called handed over)."""
    rollback = "begin;\ndrop table if exists public.breaks, public.sessions, public.break_types,"
    rollback += " public.workspace_members, public.workspaces;\ncommit;\n"
    findings = run(write(tmp_path, "breaks.sql", BREAKS), write(tmp_path, "breaks_rollback.sql", rollback))
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR) if "public.breaks" in f.message]
    assert leaks and all("set session_id of their own row" in message for message in leaks), leaks
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)


ORGANIZATION_OF_THE_PROFILE = """
begin;
create table public.organizations (id uuid primary key default gen_random_uuid(), name text not null);
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  organization_id uuid references public.organizations (id)
);
alter table public.organizations enable row level security;
alter table public.profiles enable row level security;
create policy own_profile on public.profiles for all to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));
create policy members_read on public.organizations for select to authenticated
  using (id = (select organization_id from public.profiles where profiles.id = (select auth.uid())));
create policy members_update on public.organizations for update to authenticated
  using (id = (select organization_id from public.profiles where profiles.id = (select auth.uid())));
commit;
"""


def test_a_row_id_compared_with_a_value_read_from_another_table_is_no_user_column(tmp_path: Path) -> None:
    """`id = (select organization_id from profiles where id = auth.uid())` compares the organization's
    id with the user's organization, not with the user: the organizations are not the users' own rows
    (they were, and each user was found unable to read and update "their own" organization)."""
    rollback = "begin;\ndrop table if exists public.profiles, public.organizations;\ncommit;\n"
    findings = run(
        write(tmp_path, "organizations.sql", ORGANIZATION_OF_THE_PROFILE),
        write(tmp_path, "organizations_rollback.sql", rollback),
    )
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)


def test_a_profile_naming_the_users_organization_makes_them_its_member(tmp_path: Path) -> None:
    """One organization per user, named by the user's profile, which the policies read: the
    organization is a group and its projects are its rows (they were nobody's, and not probed), so an
    update policy open to every user is caught handing a project to another organization."""
    migration = ORGANIZATION_OF_THE_PROFILE.replace(
        "commit;",
        "create table public.projects (\n  id uuid primary key default gen_random_uuid(),\n"
        "  organization_id uuid not null references public.organizations (id),\n  title text not null\n);\n"
        "alter table public.projects enable row level security;\n"
        "create policy members_read_projects on public.projects for select to authenticated using (\n"
        "  organization_id = (select organization_id from public.profiles where id = (select auth.uid())));\n"
        "create policy anyone_edits_projects on public.projects for update to authenticated using (true);\n"
        "commit;",
    )
    rollback = "begin;\ndrop table if exists public.projects, public.profiles, public.organizations;\ncommit;"
    migration_file = write(tmp_path, "projects.sql", migration)
    findings = run(migration_file, write(tmp_path, "projects_rollback.sql", rollback + "\n"))
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all("public.projects" in m for m in leaks), leaks
    assert all("members in public.profiles (id)" in m for m in leaks), leaks
    assert all('policy "anyone_edits_projects"' in message for message in leaks), leaks
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)


ACCOUNTS_WITH_AN_AUDIT_KEY = """
begin;
create table public.accounts (
  id uuid primary key,
  name text not null,
  created_by uuid references auth.users (id)
);
alter table public.accounts enable row level security;
create policy accounts_read on public.accounts for select to authenticated using ((select auth.uid()) = id);
create policy accounts_insert on public.accounts for insert to authenticated with check (true);
commit;
"""


def test_an_audit_key_beside_the_column_the_policies_compare_leaves_that_column_the_owner(
    tmp_path: Path,
) -> None:
    """makerkit's accounts: `created_by references auth.users` is who made the row; the policies compare
    `id` with auth.uid(). The table was skipped as nobody's; it is the user's in id, and an insert policy
    open to every user is a leak there."""
    rollback = "begin;\ndrop table if exists public.accounts;\ncommit;\n"
    migration = write(tmp_path, "accounts.sql", ACCOUNTS_WITH_AN_AUDIT_KEY)
    findings = run(migration, write(tmp_path, "accounts_rollback.sql", rollback))
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all("whose rows: a user's id" in message for message in leaks), probe_findings(findings)
    assert all('policy "accounts_insert"' in message for message in leaks), leaks


UPLOADED_DOCUMENTS = """
begin;
create table public.docs (
  id bigint primary key generated always as identity,
  name text not null,
  storage_object_id uuid not null references storage.objects (id),
  created_by uuid not null references auth.users (id) default auth.uid()
);
create index on public.docs (storage_object_id);
create index on public.docs (created_by);
alter table public.docs enable row level security;
create policy docs_read on public.docs for select to authenticated using (created_by = (select auth.uid()));
create policy docs_rename on public.docs for update to authenticated using (true);
create function public.on_upload() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.bucket_id is null then
    raise exception 'Storage puts every object in a bucket';
  end if;
  insert into public.docs (name, storage_object_id, created_by)
  values (new.path_tokens[2], new.id, new.owner);
  return null;
end $$;
revoke execute on function public.on_upload() from public, anon, authenticated;
create trigger on_upload after insert on storage.objects for each row execute function public.on_upload();
commit;
"""


def test_a_storage_object_is_made_as_storage_uploads_one(tmp_path: Path) -> None:
    """chatgpt-your-files keeps a row per upload, made by a trigger from the object's path and owner: the
    probe's object had no name, bucket or owner, and the table was skipped."""
    findings = run(write(tmp_path, "docs.sql", UPLOADED_DOCUMENTS), None)
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all('policy "docs_rename"' in message for message in leaks), probe_findings(findings)


TEAM_OF_THE_PROFILE = """
create table public.teams (id uuid primary key default gen_random_uuid(), name text);
create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  team_id uuid references public.teams (id) on delete set null
);
create table public.users_on_team (
  user_id uuid not null references public.users (id) on delete cascade,
  team_id uuid not null references public.teams (id) on delete cascade,
  role text,
  primary key (user_id, team_id)
);
alter table public.teams enable row level security;
alter table public.users enable row level security;
alter table public.users_on_team enable row level security;
create policy own_profile on public.users for select to authenticated using ((select auth.uid()) = id);
create policy own_memberships on public.users_on_team for select to authenticated
  using ((select auth.uid()) = user_id);
create policy my_teams on public.teams for select to authenticated
  using (id in (select team_id from public.users_on_team where user_id = (select auth.uid())));
"""


def test_a_profile_naming_its_team_is_its_users_and_a_chosen_denial_counts_as_meant(tmp_path: Path) -> None:
    """midday's public.users (id references auth.users, team_id the team the user works in) was taken
    for the team's row, and the probe's row for it collided with the member's own profile ("duplicate
    key"): it is the user's. And the membership table that shows each user only their own memberships
    (no finding, a choice) was counted as a probe not as the policies say ("28 of 29")."""
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_teams.sql").write_text(TEAM_OF_THE_PROFILE)
    result = subprocess.run(
        [sys.executable, "-m", "checker", "verify", str(folder), "--engine", "embedded", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout)
    (migration,) = report["verification"]["migrations"]
    assert migration["probes_skipped"] == [], migration["probes_skipped"]
    tables = {probe["table"] for probe in migration["probes"]}
    assert tables == {"public.teams", "public.users", "public.users_on_team"}
    assert [probe for probe in migration["probes"] if not probe["expected"]] == []


TAGGED_BOOKMARKS = """
begin;
create table public.bookmarks (
  id bigint generated by default as identity primary key,
  user_id uuid not null references auth.users (id)
);
create table public.tags (id bigint generated by default as identity primary key, name text,
  user_id uuid references auth.users (id));
create table public.bookmark_tags (
  id bigint generated by default as identity primary key,
  bookmark_id bigint not null references public.bookmarks (id),
  tag_id bigint not null references public.tags (id),
  user_id uuid references auth.users (id),
  unique (tag_id, bookmark_id)
);
alter table public.bookmarks enable row level security;
alter table public.tags enable row level security;
alter table public.bookmark_tags enable row level security;
create policy bookmarks_own on public.bookmarks for all to authenticated
  using (user_id = (select auth.uid()));
create policy tags_own on public.tags for all to authenticated using (user_id = (select auth.uid()));
create policy bookmark_tags_select on public.bookmark_tags for select to authenticated
  using (user_id = (select auth.uid()));
create policy bookmark_tags_insert on public.bookmark_tags for insert to authenticated
  with check (user_id = (select auth.uid())
    and bookmark_id in (select id from public.bookmarks where user_id = (select auth.uid()))
    and tag_id in (select id from public.tags where user_id = (select auth.uid())));
commit;
"""


def test_a_row_made_for_the_owners_key_is_the_owners_even_if_its_user_may_be_null(tmp_path: Path) -> None:
    """recollect's bookmark_tags insert policy asks that the tag be the user's own; tags.user_id may be
    null, and the probe made user A's tag with no user: A could not insert "their own" row."""
    rollback = "begin;\ndrop table if exists public.bookmark_tags, public.tags, public.bookmarks;\ncommit;\n"
    migration = write(tmp_path, "tags.sql", TAGGED_BOOKMARKS)
    findings = run(migration, write(tmp_path, "tags_rollback.sql", rollback))
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


def test_an_organization_a_policy_function_reads_from_the_profile_makes_its_member(tmp_path: Path) -> None:
    """viagrua's orgs: the policies call a helper, `id = public.my_org()`, whose body reads the profile's
    org_id; PostgreSQL records no dependency on that column, so the helper's body is read."""
    helper = (
        "create function public.my_org() returns uuid language plpgsql stable security definer\n"
        "  set search_path = '' as $$ begin\n"
        "  return (select organization_id from public.profiles where id = (select auth.uid())); end $$;\n"
    )
    migration = ORGANIZATION_OF_THE_PROFILE.replace(
        "alter table public.organizations enable", helper + "alter table public.organizations enable"
    ).replace(
        "(select organization_id from public.profiles where profiles.id = (select auth.uid()))",
        "public.my_org()",
    )
    rollback = "begin;\ndrop table if exists public.profiles, public.organizations cascade;\n"
    rollback += "drop function if exists public.my_org();\ncommit;\n"
    findings = run(write(tmp_path, "orgs.sql", migration), write(tmp_path, "orgs_rollback.sql", rollback))
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


LOVABLE_PROFILES = """
begin;
create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  full_name text
);
alter table public.profiles enable row level security;
create policy "own profile read" on public.profiles for select to authenticated using (true);
create policy "own profile update" on public.profiles for update to authenticated
  using ((select auth.uid()) = user_id) with check (true);
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (user_id) values (new.id);
  return new;
end $$;
revoke execute on function public.handle_new_user() from public, anon, authenticated;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
commit;
"""


def test_a_profile_keyed_by_its_unique_user_id_is_that_users(tmp_path: Path) -> None:
    """hyper-local-shoppe's profiles (the common generated template): a generated id, and user_id unique,
    which a signup trigger fills. The owner was taken to be id, and the probe's own row collided with
    the trigger's ("duplicate key"): it is user_id, and the profile the trigger made is the user's row."""
    migration = write(tmp_path, "profiles.sql", LOVABLE_PROFILES)
    findings = run(migration, write(tmp_path, "profiles_rollback.sql", signup_rollback("public.profiles")))
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all("whose rows: a user's user_id" in message for message in leaks), leaks


SELLER_PROFILES = """
begin;
create table public.seller_profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique,
  shop_name text not null
);
alter table public.seller_profiles enable row level security;
create policy own_seller_profile on public.seller_profiles for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create table public.public_seller_profiles (
  id uuid primary key default gen_random_uuid(),
  seller_id uuid not null unique references public.seller_profiles (user_id) on delete cascade,
  shop_name text not null
);
alter table public.public_seller_profiles enable row level security;
create policy sellers_write on public.public_seller_profiles for insert to authenticated with check (true);
create policy sellers_read on public.public_seller_profiles for select to authenticated
  using ((select auth.uid()) = seller_id);
commit;
"""


def test_a_key_to_a_unique_user_id_the_policies_compare_is_a_user_reference(tmp_path: Path) -> None:
    """hyper-local-shoppe's public_seller_profiles reference seller_profiles(user_id), unique, without a
    foreign key, compared with auth.uid() by its policies: the probe made no seller for its user and
    the table was skipped (a foreign key violation)."""
    rollback = "begin;\ndrop table if exists public.public_seller_profiles, public.seller_profiles;\ncommit;"
    migration = write(tmp_path, "sellers.sql", SELLER_PROFILES)
    findings = run(migration, write(tmp_path, "sellers_rollback.sql", rollback + "\n"))
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all('policy "sellers_write"' in message for message in leaks), probe_findings(findings)


ASSETS_OF_ITEMS = """
begin;
create table public.orgs (id uuid primary key default gen_random_uuid(), name text not null);
create table public.org_members (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  unique (org_id, user_id)
);
create table public.personas (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade
);
create table public.weeks (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade
);
create table public.items (
  id uuid primary key default gen_random_uuid(),
  week_id uuid not null references public.weeks (id) on delete cascade
);
create table public.assets (
  id uuid primary key default gen_random_uuid(),
  item_id uuid not null references public.items (id) on delete cascade,
  author_persona_id uuid not null references public.personas (id) on delete restrict
);
create index on public.org_members (user_id);
create index on public.personas (org_id);
create index on public.weeks (org_id);
create index on public.items (week_id);
create index on public.assets (item_id);
create index on public.assets (author_persona_id);

create function public.is_member(o uuid) returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.org_members where org_id = o and user_id = (select auth.uid()));
$$;
create function public.item_org(i uuid) returns uuid
  language sql stable security definer set search_path = '' as $$
  select w.org_id from public.items i2 join public.weeks w on w.id = i2.week_id where i2.id = i;
$$;

alter table public.orgs enable row level security;
alter table public.org_members enable row level security;
alter table public.personas enable row level security;
alter table public.weeks enable row level security;
alter table public.items enable row level security;
alter table public.assets enable row level security;
create policy r on public.orgs for select to authenticated using (public.is_member(id));
create policy r on public.org_members for select to authenticated using (public.is_member(org_id));
create policy a on public.personas for all to authenticated
  using (public.is_member(org_id)) with check (public.is_member(org_id));
create policy a on public.weeks for all to authenticated
  using (public.is_member(org_id)) with check (public.is_member(org_id));
create policy a on public.items for all to authenticated using (public.is_member(public.item_org(id)))
  with check (exists (select 1 from public.weeks w where w.id = week_id and public.is_member(w.org_id)));
create policy a on public.assets for all to authenticated
  using (exists (select 1 from public.items i join public.weeks w on w.id = i.week_id
                 where i.id = item_id and public.is_member(w.org_id)))
  with check (exists (select 1 from public.items i join public.weeks w on w.id = i.week_id
                      where i.id = item_id and public.is_member(w.org_id)));
commit;
"""


def test_the_key_the_policies_read_says_whose_the_row_is_over_a_shorter_one(tmp_path: Path) -> None:
    """Reddit-Mastermind's content_assets reference their item (item -> week -> org) and their author
    persona (persona -> org, shorter): the policies follow item_id, and the probe put the asset in A's
    persona but another group's item (false missing policies)."""
    rollback = "begin;\ndrop table if exists public.assets, public.items, public.weeks, public.personas,"
    rollback += " public.org_members, public.orgs cascade;\n"
    rollback += "drop function if exists public.is_member(uuid), public.item_org(uuid);\ncommit;\n"
    migration = write(tmp_path, "assets.sql", ASSETS_OF_ITEMS)
    findings = run(migration, write(tmp_path, "assets_rollback.sql", rollback))
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


PENDING_APPROVAL = """
begin;
create type public.user_status as enum ('pending', 'active', 'disabled');
create table public.user_profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  status public.user_status not null default 'pending',
  is_approved boolean not null default false
);
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin insert into public.user_profiles (id) values (new.id); return new; end $$;
revoke execute on function public.handle_new_user() from public, anon, authenticated;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
create function public.is_active() returns boolean language sql stable security definer set search_path = ''
  as $$ select exists (select 1 from public.user_profiles
                       where id = (select auth.uid()) and status = 'active' and is_approved) $$;
alter table public.user_profiles enable row level security;
create policy own_profile on public.user_profiles for select to authenticated
  using (id = (select auth.uid()));
create table public.links (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references public.user_profiles (id) on delete cascade,
  url text not null
);
create index on public.links (owner_id);
alter table public.links enable row level security;
create policy active_users_own_links on public.links for all to authenticated
  using ({tenant}public.is_active()) with check (owner_id = (select auth.uid()) and public.is_active());
commit;
"""


@pytest.mark.parametrize("tenant", ["owner_id = (select auth.uid()) and ", ""], ids=["owned", "open"])
def test_probe_users_are_approved_accounts(tmp_path: Path, tenant: str) -> None:
    """pm-app's sign-up leaves a profile pending; its policies admit active users only. The probe users
    stayed pending: every probe was denied, owners' rows showed as missing policies and a policy open to
    every active user went unseen. They are approved accounts now, as an administrator approves one."""
    rollback = "begin;\ndrop trigger if exists on_auth_user_created on auth.users;\n"
    rollback += "drop table if exists public.links, public.user_profiles;\n"
    rollback += "drop function if exists public.is_active(), public.handle_new_user();\n"
    rollback += "drop type if exists public.user_status;\ncommit;\n"
    migration = write(tmp_path, "links.sql", PENDING_APPROVAL.replace("{tenant}", tenant))
    findings = run(migration, write(tmp_path, "links_rollback.sql", rollback))
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    if tenant:
        assert leaks == [], leaks
    else:
        assert any("user A sees 1 row(s) of user B" in m for m in leaks), probe_findings(findings)


USER_ROLES = """
begin;
create type public.app_role as enum ('admin', 'moderator', 'user');
create table public.user_roles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.app_role not null,
  unique (user_id, role)
);
alter table public.user_roles enable row level security;
create function public.has_role(_user_id uuid, _role public.app_role) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.user_roles where user_id = _user_id and role = _role)
$$;
create policy own_roles on public.user_roles for select to authenticated
  using ((select auth.uid()) = user_id);
create policy admins_see_all on public.user_roles for select to authenticated
  using ({admins});
commit;
"""


@pytest.mark.parametrize(
    ("admins", "leaks"),
    [("public.has_role((select auth.uid()), 'admin')", False), ("(select auth.uid()) is not null", True)],
    ids=["admins", "everyone"],
)
def test_a_probe_users_own_role_is_one_without_power(tmp_path: Path, admins: str, leaks: bool) -> None:
    """The generated projects' user_roles (app_role 'admin', 'moderator', 'user'; has_role()): user A's
    own row took the first label, admin, and A read every user's roles through the admins' policy."""
    rollback = "begin;\ndrop table if exists public.user_roles cascade;\n"
    rollback += "drop function if exists public.has_role(uuid, public.app_role);\n"
    rollback += "drop type if exists public.app_role;\ncommit;\n"
    migration = write(tmp_path, "roles.sql", USER_ROLES.replace("{admins}", admins))
    findings = run(migration, write(tmp_path, "roles_rollback.sql", rollback))
    found = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert bool(found) == leaks, probe_findings(findings)


NAMED_SIGN_UP = """
begin;
create table public.people (
  id uuid primary key references auth.users (id) on delete cascade,
  name text not null
);
alter table public.people enable row level security;
create policy people_read on public.people for select to authenticated using (true);
create policy people_rename on public.people for update to authenticated using (true);
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if coalesce(new.raw_user_meta_data ->> 'name', '') = '' then
    raise exception 'Name is required in user_metadata';
  end if;
  insert into public.people (id, name) values (new.id, new.raw_user_meta_data ->> 'name');
  return new;
end $$;
revoke execute on function public.handle_new_user() from public, anon, authenticated;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
commit;
"""


def test_probe_users_sign_up_with_a_name(tmp_path: Path) -> None:
    """todofam's signup trigger requires a name in the user's metadata, as its sign-up form sends one: the
    probe users could not sign up, and no table of the project was probed."""
    migration = write(tmp_path, "people.sql", NAMED_SIGN_UP)
    findings = run(migration, write(tmp_path, "people_rollback.sql", signup_rollback("public.people")))
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all('policy "people_rename"' in message for message in leaks), probe_findings(findings)


def signup_rollback(table: str) -> str:
    """The rollback of a migration that makes a table and the signup trigger (handle_new_user) filling it."""
    return (
        "begin;\ndrop trigger if exists on_auth_user_created on auth.users;\n"
        f"drop function if exists public.handle_new_user();\ndrop table if exists {table};\ncommit;\n"
    )


STORE_PRODUCTS = """
begin;
create table public.stores (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade
);
alter table public.stores enable row level security;
create policy stores_owner on public.stores for all to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
create table public.categories (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null references public.stores (id) on delete cascade
);
alter table public.categories enable row level security;
create policy categories_owner on public.categories for all to authenticated
  using (exists (select 1 from public.stores s where s.id = store_id and s.owner_id = (select auth.uid())));
create table public.products (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null references public.stores (id) on delete cascade,
  category_id uuid references public.categories (id) on delete set null
);
alter table public.products enable row level security;
create policy products_owner on public.products for all to authenticated
  using (exists (select 1 from public.stores s where s.id = store_id and s.owner_id = (select auth.uid())))
  with check (exists (select 1 from public.stores s
                      where s.id = store_id and s.owner_id = (select auth.uid()))
    and (category_id is null or exists (select 1 from public.categories c
                                        where c.id = category_id and c.store_id = products.store_id)));
commit;
"""


def test_of_two_keys_to_a_users_rows_the_one_the_policies_follow_wins(tmp_path: Path) -> None:
    """OnlineStore's products reference their store and, optionally, a category of a store: the policies
    follow store_id; the first key by name, category_id, was taken (false missing policies, and a product
    moved to another store's category called a hand-over)."""
    rollback = "begin;\ndrop table if exists public.products, public.categories, public.stores;\ncommit;\n"
    migration = write(tmp_path, "products.sql", STORE_PRODUCTS)
    findings = run(migration, write(tmp_path, "products_rollback.sql", rollback))
    assert not only(findings, "rls-missing-policy"), probe_findings(findings)
    assert not only(findings, "rls-probe", Severity.ERROR), probe_findings(findings)


TRACKED_ORDERS = """
begin;
create table public.orders (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references auth.users (id) on delete cascade
);
alter table public.orders enable row level security;
create policy orders_own on public.orders for all to authenticated
  using (customer_id = (select auth.uid())) with check (customer_id = (select auth.uid()));
create table public.delivery_tracking (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null unique references public.orders (id) on delete cascade,
  stage text not null default 'pending'
);
alter table public.delivery_tracking enable row level security;
create policy tracking_read on public.delivery_tracking for select to authenticated using (true);
create policy tracking_write on public.delivery_tracking for update to authenticated using (true);
create function public.orders_make_tracking() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.delivery_tracking (order_id) values (new.id);
  return new;
end $$;
revoke execute on function public.orders_make_tracking() from public, anon, authenticated;
create trigger orders_make_tracking after insert on public.orders
  for each row execute function public.orders_make_tracking();
commit;
"""


def test_a_child_row_a_trigger_made_for_its_parent_is_the_probes_row(tmp_path: Path) -> None:
    """OnlineStore's orders get their delivery_tracking row from a trigger, one per order: the probe's own
    row collided with it ("duplicate key") and the table was skipped."""
    rollback = "begin;\ndrop table if exists public.delivery_tracking, public.orders cascade;\n"
    rollback += "drop function if exists public.orders_make_tracking();\ncommit;\n"
    migration = write(tmp_path, "tracking.sql", TRACKED_ORDERS)
    findings = run(migration, write(tmp_path, "tracking_rollback.sql", rollback))
    assert not [f.message for f in findings if "skipped" in f.message], probe_findings(findings)
    leaks = [f.message for f in only(findings, "rls-probe", Severity.ERROR)]
    assert leaks and all('policy "tracking_write"' in message for message in leaks), probe_findings(findings)
