"""The command line: `checker lint | verify | check | rules`.

Exit codes: 0 no error-level finding; 1 at least one error-level finding; 2 bad usage or bad input
(missing or unreadable file, unparseable SQL, bad policy, unusable database engine);
3 an internal error (a bug: reported in one line, CHECKER_DEBUG=1 shows the traceback);
130 interrupted (Ctrl-C or SIGTERM), after cleaning up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from checker import __version__
from checker.errors import EXIT_USAGE, CheckerError
from checker.gc_pause import gc_paused

EXIT_CODES_HELP = (
    "Exit codes: 0 no error-level finding; 1 error-level findings; 2 bad usage or bad input "
    "(missing file, unparseable SQL, bad policy, unusable engine, a migration not verified because no "
    "engine here has an extension it creates); 3 internal error; 130 interrupted."
)
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int) -> None:
    click.echo(f"checker: {message}", err=True)
    sys.exit(code)


def one_line_errors(command: Callable) -> Callable:
    """No traceback reaches the user: known errors exit 2, bugs exit 3, each with one line."""

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CheckerError as err:
            _fail(f"error: {err.one_line()}", err.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; everything the run started was removed", EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as err:
            if os.environ.get("CHECKER_DEBUG"):
                raise
            _fail(
                f"internal error: {type(err).__name__}: {' '.join(str(err).split())} "
                "(set CHECKER_DEBUG=1 for the traceback)",
                EXIT_INTERNAL,
            )

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="checker")
def cli() -> None:
    """Policy-as-code checks for Supabase / PostgreSQL migrations."""


def _common_options(command: Callable) -> Callable:
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option(
            "--rollback", type=click.Path(path_type=Path), help="Rollback of the (single) migration."
        ),
        click.option(
            "--baseline",
            "baselines",
            multiple=True,
            type=click.Path(path_type=Path),
            help="SQL file or directory describing the schema that exists before (repeatable).",
        ),
        click.option(
            "--config", help="Policy file (TOML or JSON); default: [tool.checker] in pyproject.toml."
        ),
        click.option(
            "--format",
            "fmt",
            default="text",
            show_default=True,
            type=click.Choice(["text", "json", "sarif", "github", "markdown", "junit"]),
        ),
        click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report to a file."),
        click.option(
            "--changed-since",
            metavar="REF",
            help="Report only on migrations changed since this git ref (all are still modelled).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _engine_options(command: Callable) -> Callable:
    from checker.dynamic.engine_names import ENGINE_NAMES

    options = [
        click.option(
            "--engine",
            default="auto",
            show_default=True,
            type=click.Choice(ENGINE_NAMES),
            help="Where the throwaway PostgreSQL runs.",
        ),
        click.option(
            "--dsn", help="Server for --engine dsn (a fresh database is created and dropped there)."
        ),
        click.option(
            "--pg-bin", type=click.Path(path_type=Path), help="PostgreSQL bin directory (--engine local)."
        ),
        click.option("--pg-version", help="PostgreSQL major version (local and docker engines)."),
        click.option("--image", help="Image for --engine docker (default postgres:<major>)."),
        click.option(
            "--accept-unverified",
            is_flag=True,
            help="A migration that cannot be run here (an extension no engine has) is a warning, not exit 2.",
        ),
        click.option(
            "--timings",
            type=click.Path(path_type=Path),
            help="Write the seconds each phase took (start, seed, apply, probes, ...) to this JSON file.",
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="A line on stderr per phase and migration (default: when stderr is a terminal).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command(epilog=EXIT_CODES_HELP)
@_common_options
@one_line_errors
def lint(paths, rollback, baselines, config, fmt, output, changed_since) -> None:
    """Static stage: parse and check migrations offline (no database, no network)."""
    with gc_paused():  # from the imports on: a small file's lint is mostly imports
        from checker.run import run_lint

        kept: list = []  # the lint result, alive until the exit (and the collector still paused)
        code, text = run_lint(paths, rollback, baselines, config, fmt, changed_since, keep=kept)
        _emit(text, output)
        _exit_without_teardown(code)


@cli.command(epilog=EXIT_CODES_HELP)
@_common_options
@_engine_options
@one_line_errors
def verify(**options) -> None:
    """Dynamic stage: apply to a throwaway Supabase-like PostgreSQL, validate, probe RLS, roll back."""
    _dynamic_command(lint_first=False, **options)


@cli.command(epilog=EXIT_CODES_HELP)
@_common_options
@_engine_options
@one_line_errors
def check(**options) -> None:
    """Both stages: lint, then verify (verify runs when lint found no syntax error)."""
    _dynamic_command(lint_first=True, **options)


@cli.command(epilog=EXIT_CODES_HELP)
@_common_options
@_engine_options
@one_line_errors
def tenancy(**options) -> None:
    """Whose rows each table holds, as the RLS probes use it (applies the migrations to find out)."""
    _dynamic_command(lint_first=False, tenancy_only=True, **options)


def _dynamic_command(
    lint_first: bool,
    engine,
    dsn,
    pg_bin,
    pg_version,
    image,
    accept_unverified,
    timings,
    progress,
    output,
    tenancy_only: bool = False,
    **common,
) -> None:
    from checker.dynamic.engines import EngineOptions
    from checker.run import DynamicRequest, run_verify

    if engine == "dsn" and not dsn:
        raise click.UsageError("--engine dsn needs --dsn URI")
    options = EngineOptions(
        pg_bin=str(pg_bin) if pg_bin else None, pg_version=pg_version, image=image, dsn=dsn
    )
    request = DynamicRequest(
        engine,
        options,
        lint_first,
        timings,
        accept_unverified,
        say=_progress(progress),
        tenancy_only=tenancy_only,
    )
    code, text = run_verify(request, **common)
    _emit(text, output)
    sys.exit(code)


def _progress(wanted: bool | None) -> Callable[[str], None]:
    """Progress goes to stderr only, so a machine format on stdout stays clean."""
    from checker.dynamic.record import stderr_progress

    if wanted is None:
        wanted = sys.stderr.isatty()
    return stderr_progress if wanted else (lambda _: None)


@cli.command(epilog=EXIT_CODES_HELP)
@one_line_errors
def init() -> None:
    """Write a commented policy and a GitHub workflow for the layout here (never overwrites)."""
    from checker.init import init_project

    for line in init_project(Path.cwd()):
        click.echo(line)


@cli.group(name="cache")
def cache_group() -> None:
    """The cache of seeded clusters and migration histories the dynamic stage starts from."""


@cache_group.command(name="dir")
@one_line_errors
def cache_dir() -> None:
    """Print the cache directory (e.g. for a CI job to save and restore it)."""
    click.echo(_user_cache().root)


@cache_group.command(name="trim", epilog=EXIT_CODES_HELP)
@click.option(
    "--unused-for",
    "unused_for",
    type=click.FloatRange(min=0),
    default=30 * 24 * 3600.0,
    show_default=True,
    help="Remove the entries no run looked up or stored for this many seconds.",
)
@one_line_errors
def cache_trim(unused_for: float) -> None:
    """Remove unused entries, spare copies and leftovers of killed runs. Before a CI job saves the
    cache for the next job: --unused-for the job's duration keeps what this job used."""
    cache = _user_cache()
    removed, spares = cache.trim(unused_for)
    kept = len(cache.entries())
    click.echo(f"removed {len(removed)} unused entries and {spares} spare copies; kept {kept}")


def _user_cache():
    """The cache the dynamic stage uses; where it has none, why, as a usage error."""
    from checker.dynamic.cluster_cache import default_cache
    from checker.errors import InputError

    refused: list[str] = []
    cache = default_cache(refused.append)
    if cache is None:
        raise InputError(refused[0] if refused else "the cache is turned off (CHECKER_NO_CACHE)")
    return cache


@cli.command(name="rules")
@click.argument("rule_id", required=False)
def rules_command(rule_id: str | None) -> None:
    """List the rules, or show one rule's rationale and examples."""
    from checker.findings import DYNAMIC_RULES
    from checker.rules import all_rules, rule_by_id

    if rule_id is None:
        for rule in all_rules():
            ids = ", ".join((rule.id, *rule.extra_ids))
            click.echo(f"{ids:<40} {rule.severity.value:<8} {rule.summary}")
        for finding_id, meaning in DYNAMIC_RULES.items():
            click.echo(f"{finding_id:<40} {'dynamic':<8} {meaning}")
        return
    rule = rule_by_id(rule_id)
    if rule is not None:
        click.echo(_describe(rule))
    elif rule_id in DYNAMIC_RULES:
        click.echo(_describe_dynamic(rule_id, DYNAMIC_RULES[rule_id]))
    else:
        _fail(f"error: no rule {rule_id!r}; `checker rules` lists them", EXIT_USAGE)


def _mirrored(lints: tuple[str, ...]) -> list[str]:
    from checker.rules.base import remediation_url

    lines = [f"Mirrors Supabase's database advisor lint {lint}: {remediation_url(lint)}" for lint in lints]
    return [*lines, ""] if lines else []


def _describe_dynamic(finding_id: str, meaning: str) -> str:
    """A dynamic-stage finding: what it means and the lints it mirrors (measured, so no SQL examples)."""
    from checker.findings import ADVISOR_MIRRORS

    parts = [f"{finding_id} (dynamic stage)", "", meaning, ""]
    return "\n".join(parts + _mirrored(ADVISOR_MIRRORS.get(finding_id, ()))).rstrip("\n")


def _describe(rule) -> str:
    parts = [f"{rule.id} ({rule.severity.value})", "", rule.summary, "", rule.rationale, ""]
    parts += _mirrored(rule.mirrors)
    for title, example in (("Bad", rule.bad), ("Good", rule.good)):
        if example.policy:
            parts += [f"{title} example runs under the policy: {example.policy}"]
        if example.baseline:
            parts += [f"{title} example's baseline (exists before):", example.baseline]
        parts += [f"{title}:", example.migration]
        if example.rollback:
            parts += [f"{title} rollback:", example.rollback]
    return "\n".join(parts)


def _exit_without_teardown(code: int) -> None:
    """Exit once the report is out, without freeing the parse trees and the model one object at a
    time (a tenth of a large migration's lint): the lint path holds no resource that needs closing.
    Only from the console script (`main`): a caller that invokes the click command in its own process
    (click's CliRunner, an embedding tool) gets a normal exit. Under a profiler or a tracer (coverage),
    a normal exit too, so that they can write what they found."""
    if not _FAST_EXIT or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader left (`checker lint | head`): nothing more to tell it
        pass
    os._exit(code)


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


_FAST_EXIT = False  # set by the console script only: this process is the checker's own


def main() -> None:
    global _FAST_EXIT
    _FAST_EXIT = True
    cli(prog_name="checker")
