"""Zero configuration: with no PATH the checker finds a Supabase CLI project (supabase/config.toml)
here or above and checks supabase/migrations in runner mode; elsewhere no PATH is a usage error.
`checker init` writes a commented policy and a workflow, and never overwrites either."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_error_line, run_checker, run_json
from test_workflows import load_yaml, schema_errors

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "supabase_project"


@pytest.fixture
def supabase_project(tmp_path: Path) -> Path:
    """A copy outside the repository, so the repository's own policy does not apply."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.mark.parametrize("where", [".", "supabase/functions/hello"])
def test_lint_without_path_checks_the_supabase_migrations(supabase_project: Path, where: str) -> None:
    code, report, err = run_json("lint", cwd=supabase_project / where)
    assert code == 0, (report, err)
    assert report["summary"]["files"] == 2
    # The files have no BEGIN/COMMIT: runner mode, so no transaction-wrapper finding.
    assert report["findings"] == []


def test_policy_of_the_project_still_decides(supabase_project: Path) -> None:
    (supabase_project / "checker.toml").write_text('transaction = "explicit"\n', encoding="utf-8")
    code, report, _ = run_json("lint", cwd=supabase_project / "supabase")
    assert code == 1
    assert {f["rule"] for f in report["findings"]} == {"transaction-wrapper"}


def test_no_path_elsewhere_is_a_usage_error(isolated: Path) -> None:
    code, out, err = run_checker("lint", cwd=isolated)
    assert code == 2
    line = one_error_line(out, err)
    assert "supabase/config.toml" in line and str(isolated) in line and "checker lint sql/" in line


def test_init_in_a_supabase_project_writes_policy_and_workflow(supabase_project: Path) -> None:
    code, _, err = run_checker("init", cwd=supabase_project / "supabase")
    assert code == 0, err
    policy = (supabase_project / "checker.toml").read_text(encoding="utf-8")
    assert 'transaction = "runner"' in policy and policy.startswith("# ")
    workflow_path = supabase_project / ".github" / "workflows" / "checker.yml"
    workflow = load_yaml(workflow_path)
    assert schema_errors(workflow, "github-workflows.json") == []
    step = workflow["jobs"]["check"]["steps"][1]
    assert step["with"]["paths"] == "supabase/migrations"
    # The written policy is the one the checker then reads, and it is valid.
    code, report, _ = run_json("lint", cwd=supabase_project)
    assert code == 0 and report["findings"] == []


def test_init_writes_tool_checker_into_pyproject(isolated: Path) -> None:
    (isolated / "migrations").mkdir()
    (isolated / "migrations" / "0001_t.sql").write_text("begin;\nselect 1;\ncommit;\n", encoding="utf-8")
    code, _, err = run_checker("init", cwd=isolated)
    assert code == 0, err
    text = (isolated / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith("[project]") and "\n[tool.checker]\n" in text
    assert 'transaction = "explicit"' in text
    assert "paths: migrations" in (isolated / ".github/workflows/checker.yml").read_text(encoding="utf-8")
    code, report, _ = run_json("lint", "migrations", cwd=isolated)
    assert code == 0, report


def test_init_refuses_to_overwrite(supabase_project: Path) -> None:
    workflow = supabase_project / ".github" / "workflows" / "checker.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n", encoding="utf-8")
    code, out, err = run_checker("init", cwd=supabase_project)
    assert code == 2
    assert "not overwriting" in one_error_line(out, err)
    assert workflow.read_text(encoding="utf-8") == "name: mine\n"
    assert not (supabase_project / "checker.toml").exists()
    workflow.unlink()
    assert run_checker("init", cwd=supabase_project)[0] == 0
    code, out, err = run_checker("init", cwd=supabase_project)
    assert code == 2 and "checker.toml" in one_error_line(out, err)


def test_an_explicit_path_in_supabase_migrations_runs_as_the_cli_runs_it(supabase_project: Path) -> None:
    """`checker lint supabase/migrations` (the action's `paths`, a user's first command) is the same
    project as no PATH: runner mode, no transaction-wrapper false alarms."""
    for where, path in ((".", "supabase/migrations"), ("supabase", "migrations")):
        code, report, err = run_json("lint", path, cwd=supabase_project / where)
        assert code == 0, (report, err)
        assert report["summary"]["files"] == 2 and report["findings"] == []
    one_file = "supabase/migrations/20240101000000_profiles.sql"
    code, report, _ = run_json("lint", one_file, cwd=supabase_project)
    assert (code, report["findings"]) == (0, []), "one file of the folder is the same project"


def test_an_empty_migration_is_one_the_cli_applies(supabase_project: Path) -> None:
    """`supabase migration new` writes an empty file, and `supabase db push` applies and records it:
    in the Supabase layout it is a migration that does nothing, not unusable input."""
    _migrations(supabase_project, {"20240105000000_todo.sql": "", "20240106000000_note.sql": "-- later\n"})
    code, report, err = run_json("lint", cwd=supabase_project)
    assert (code, report["findings"]) == (0, []), err
    assert report["summary"]["files"] == 4
    code, _, err = run_checker("lint", "sql/empty.sql", cwd=_empty_elsewhere(supabase_project))
    assert code == 2 and "no SQL statements" in err, "outside the layout an empty file stays an input error"


def test_a_supabase_migrations_folder_without_config_toml_is_the_cli_layout(supabase_project: Path) -> None:
    """MarkFlow commits supabase/migrations but not config.toml: the folder is still the CLI's, so its
    comment-only first migration is one the CLI applies, and files run in runner mode."""
    (supabase_project / "supabase" / "config.toml").unlink()
    _migrations(supabase_project, {"20240105000000_init.sql": "-- the schema starts below\n"})
    code, report, err = run_json("lint", "supabase/migrations", cwd=supabase_project)
    assert (code, report["findings"]) == (0, []), err
    assert report["summary"]["files"] == 3


def _empty_elsewhere(root: Path) -> Path:
    (root / "sql").mkdir()
    (root / "sql" / "empty.sql").write_text("\n", encoding="utf-8")
    return root


def test_a_folder_elsewhere_keeps_the_default_policy(supabase_project: Path) -> None:
    elsewhere = supabase_project / "sql"
    shutil.copytree(supabase_project / "supabase" / "migrations", elsewhere)
    code, report, _ = run_json("lint", "sql", cwd=supabase_project)
    assert code == 1
    assert "transaction-wrapper" in {f["rule"] for f in report["findings"]}


def _migrations(root: Path, files: dict[str, str]) -> Path:
    folder = root / "supabase" / "migrations"
    for name, sql in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


TABLE = (
    "create table public.{0} (id bigint primary key);\n"
    "alter table public.{0} enable row level security;\n"
)


def _migration_names(report: dict) -> set[tuple[str, str]]:
    found = [f for f in report["findings"] if f["rule"] == "migration-name"]
    return {(Path(f["file"]).name, f["severity"]) for f in found}


def test_files_the_cli_skips_or_cannot_record_are_reported(supabase_project: Path) -> None:
    """What stops `supabase db push` before any SQL runs, on the file concerned."""
    _migrations(
        supabase_project,
        {
            # a rollback, but named like a migration
            "20240101000000_profiles.down.sql": "drop table public.profiles;\n",
            "20240102000000_zebra.sql": TABLE.format("zebra"),  # the avatars migration's version
            "notes.sql": TABLE.format("notes"),  # no version: never applied
        },
    )
    code, report, _ = run_json("lint", cwd=supabase_project)
    assert code == 1
    assert _migration_names(report) == {
        ("20240101000000_profiles.down.sql", "error"),
        ("20240102000000_zebra.sql", "error"),
        ("notes.sql", "warning"),
    }
    assert report["summary"]["files"] == 4, "notes.sql is not a migration: not linted"
    text = run_checker("lint", cwd=supabase_project)[1]
    assert "version 20240102000000 is also 20240102000000_avatars.sql's" in text


def test_a_folder_of_files_the_cli_skips_says_so(supabase_project: Path) -> None:
    """A Lovable project's `<version>-<uuid>.sql` files (blood-nexus-frontend, survey round 20): the CLI
    applies none, and the one-line error says why, not only that no migration was found."""
    for path in (supabase_project / "supabase" / "migrations").glob("*.sql"):
        path.rename(path.with_name(path.name.replace("_", "-", 1)))
    code, out, err = run_checker("lint", cwd=supabase_project)
    assert code == 2
    line = one_error_line(out, err)
    assert "its 2 .sql file(s)" in line and "are not named `<version>_<name>.sql`" in line, line


def test_a_file_named_like_a_rollback_of_no_migration_is_checked_as_the_cli_applies_it(
    supabase_project: Path,
) -> None:
    """lodgeical2's 055_import_batch_rollback.sql adds a column and a policy, and no 055_import_batch.sql
    exists: the CLI applies it, and it was neither linted nor verified."""
    orphan = {"20240103000000_batches_rollback.sql": "create table public.open (id int);\n"}
    _migrations(supabase_project, orphan)
    code, report, _ = run_json("lint", cwd=supabase_project)
    assert _migration_names(report) == {("20240103000000_batches_rollback.sql", "warning")}
    assert report["summary"]["files"] == 3
    assert ("rls-enabled", "20240103000000_batches_rollback.sql") in {
        (f["rule"], Path(f["file"]).name) for f in report["findings"]
    }
    assert code == 1


def test_the_cli_layout_findings_follow_the_policy(supabase_project: Path) -> None:
    _migrations(supabase_project, {"notes.sql": TABLE.format("notes")})
    (supabase_project / "checker.toml").write_text('[rules]\nmigration-name = {severity = "off"}\n')
    code, report, _ = run_json("lint", cwd=supabase_project)
    assert (code, report["findings"]) == (0, [])
    (supabase_project / "checker.toml").write_text('order = "version"\n')
    code, report, _ = run_json("lint", cwd=supabase_project)
    assert report["summary"]["files"] == 3, "in version order every SQL file of the folder is a migration"
    assert "migration-name" not in {f["rule"] for f in report["findings"]}


def test_an_old_clis_first_init_file_is_skipped_as_the_cli_skips_it(supabase_project: Path) -> None:
    _migrations(supabase_project, {"20200101000000_init.sql": TABLE.format("old_init")})
    _, report, _ = run_json("lint", cwd=supabase_project)
    assert _migration_names(report) == {("20200101000000_init.sql", "warning")}
    assert report["summary"]["files"] == 2
    (supabase_project / "supabase" / "migrations" / "20200101000000_init.sql").rename(
        supabase_project / "supabase" / "migrations" / "20220101000000_init.sql"
    )
    _, report, _ = run_json("lint", cwd=supabase_project)
    assert report["summary"]["files"] == 3, "an init file from 2022 on is an ordinary migration"


def test_the_schemas_the_projects_api_exposes_are_checked(supabase_project: Path) -> None:
    """config.toml's `[api] schemas` is what PostgREST serves: a table without RLS in an exposed `api`
    schema is reported, with no PATH and with supabase/migrations as the PATH."""
    config = supabase_project / "supabase" / "config.toml"
    config.write_text(config.read_text().replace('"graphql_public"]', '"graphql_public", "api"]'))
    # as Supabase's guide to custom schemas has it: the API roles may use the schema
    api = "create schema api;\ngrant usage on schema api to anon, authenticated;\n"
    api += "create table api.things (id int primary key);\n"
    _migrations(supabase_project, {"20240103000000_api.sql": api})
    for args in ((), ("supabase/migrations",)):
        _, report, _ = run_json("lint", *args, cwd=supabase_project)
        assert "rls-enabled" in {f["rule"] for f in report["findings"]}, args
    config.write_text(config.read_text().replace(', "api"]', "]"))
    _, report, _ = run_json("lint", cwd=supabase_project)
    assert "rls-enabled" not in {f["rule"] for f in report["findings"]}, "api is not exposed any more"


def test_init_writes_the_projects_exposed_schemas(supabase_project: Path) -> None:
    code, _, err = run_checker("init", cwd=supabase_project)
    assert code == 0, err
    policy = (supabase_project / "checker.toml").read_text(encoding="utf-8")
    assert 'exposed_schemas = ["public", "graphql_public"]' in policy


def test_a_file_of_supabase_migrations_alone_is_checked_on_the_migrations_before_it(
    supabase_project: Path,
) -> None:
    """What the pre-commit hook does (`checker lint` on the staged files): the folder's earlier
    migrations are context, so the avatars table's reference to profiles is no fk-order error, and
    only the named file is reported."""
    avatars = "supabase/migrations/20240102000000_avatars.sql"
    index = "supabase/migrations/20240103000000_index.sql"
    _migrations(supabase_project, {Path(index).name: "create index on public.profiles (display_name);\n"})
    code, report, _ = run_json("lint", avatars, cwd=supabase_project)
    assert (code, report["findings"]) == (0, []), report
    _, report, _ = run_json("lint", avatars, index, cwd=supabase_project)
    assert {(Path(f["file"]).name, f["rule"]) for f in report["findings"] if f["severity"] == "error"} == {
        ("20240103000000_index.sql", "index-concurrently")  # profiles exists before it: a real finding
    }
    _migrations(supabase_project, {"notes.sql": TABLE.format("notes")})
    _, report, _ = run_json("lint", "supabase/migrations/notes.sql", cwd=supabase_project)
    assert _migration_names(report) == {("notes.sql", "warning")}, "the CLI skips it: said, not linted"
    assert [f["rule"] for f in report["findings"]] == ["migration-name"]


def test_a_versioned_file_named_alone_is_checked_on_its_folders_earlier_migrations(isolated: Path) -> None:
    """The same for a folder of numbered migrations outside Supabase (golang-migrate, dbmate...)."""
    folder = isolated / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("begin;\n" + TABLE.format("a") + "commit;\n")
    (folder / "0002_b.sql").write_text(
        "begin;\ncreate table public.b (id int primary key, a_id bigint references public.a (id));\n"
        "alter table public.b enable row level security;\ncreate index on public.b (a_id);\ncommit;\n"
    )
    _, report, _ = run_json("lint", "migrations/0002_b.sql", cwd=isolated)
    assert "fk-order" not in {f["rule"] for f in report["findings"]}, report
    assert {Path(f["file"]).name for f in report["findings"]} <= {"0002_b.sql"}


@pytest.mark.parametrize("path", [".", "supabase"])
def test_the_projects_root_or_supabase_folder_as_path_checks_its_migrations(
    supabase_project: Path, path: str
) -> None:
    """`checker lint .` or `checker lint supabase` (the survey's first try on each project): the project's
    migrations, as with no PATH (was: no migration files found); seed.sql beside them is no migration."""
    seed = supabase_project / "supabase" / "seed.sql"
    seed.write_text("insert into nothing values (1);\n", encoding="utf-8")
    code, report, err = run_json("lint", path, cwd=supabase_project)
    assert code == 0, (report, err)
    assert report["summary"]["files"] == 2
    assert report["findings"] == []
