"""The dynamic stage: the runbook's steps on a throwaway Supabase-like PostgreSQL.

Who runs what (privileges.py): the superuser runs the seed and the checker's own catalog queries;
the baseline, migrations, rollbacks, smoke files and RLS probes run on a connection logged in as
Supabase's non-superuser `postgres`, so a pull request's SQL cannot read the machine.

1. Start the engine, apply the Supabase seed and the baseline files, then the pre-checks: the
   baseline's tables exist, and nothing a migration will create exists yet. Engines that run their
   own server (local, embedded) keep the seeded cluster in the user's cache (cluster_cache.py): the
   first run seeds and stores it, later runs start from a copy of it and skip initdb and the seed.
2. Snapshot the catalog, then apply each migration statement by statement (its own BEGIN/COMMIT
   govern; with `transaction = "runner"` the whole file runs in one transaction, as the Supabase
   CLI does). A failure stops that migration, and the ones after it, which build on it.
3. Validate what the SQL declares: objects, keys, row level security, policies.
4. Run the policy's smoke files in a transaction that is rolled back (the sequences they moved are
   set back too, as after the probes: sequences.py).
5. Probe row level security: users and groups of a synthetic world, by the tenancy model of the schema
   (see tenancy.py, world.py, probes.py), then look in the catalog for what Supabase's database
   advisor would report (see advisor.py).
6. Roll back and compare snapshots, then apply again.

Several migrations are applied in order, each validated and probed right after it ran. Rollbacks
then run in reverse order, newest first, each compared with the snapshot taken just before its
own migration: reverse order is the only one in which every rollback starts from the state its
migration left, and it checks that the whole chain unwinds to the baseline. The chain stops at
the first rollback that fails or leaves differences (the older ones would only see its mess),
and the migrations rolled back are applied again, oldest first, proving each re-applies cleanly.

With --changed-since, the migrations before the first changed one are applied first, without their
checks, and the database they leave is cached for the next run (history.py); the chain of rollbacks
then ends at the first changed migration.

`run_dynamic(..., timings=d)` adds the seconds of each phase into `d` (start, seed, baseline,
precheck, apply, validate, smoke, probes, rollback, reapply, stop; history and save with --changed-since).

Odd files do not end the run (see apply.py): statements acting on the whole server are reported
and not run; a statement that ends the session is reported where it is and the stage stops there,
keeping the findings so far; the engine is removed in every case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import psycopg

from checker.context import MigrationUnit, RuleContext
from checker.dynamic import sequences
from checker.dynamic.advisor import Advisor
from checker.dynamic.api_login import api_connection
from checker.dynamic.apply import (
    TRANSACTION_CONTROL,
    Failure,
    Observer,
    reset_session,
    run_file,
    run_statements,
    statement_timeout,
    with_statement_timeout,
)
from checker.dynamic.capabilities import Lack, Needs, created_extensions, lack_in_failure, lacks, needs_of
from checker.dynamic.collect import Collector, Location, Timings, at, shown_path
from checker.dynamic.engines import Engine, EngineOptions, open_engine
from checker.dynamic.engines.cleanup import sigterm_as_interrupt
from checker.dynamic.history import APPLIED_UNCHECKED, RESTORED, History
from checker.dynamic.locks import LockTrace
from checker.dynamic.privileges import (
    MigratingSession,
    give_way_calls,
    prepare_migrating_session,
    requested_version,
    superuser_session,
)
from checker.dynamic.probes import probe_unit, probes_anything
from checker.dynamic.promotion import may_promote, probe_promotion
from checker.dynamic.record import MigrationRecord, Record, seed_identity
from checker.dynamic.rollback import ROLLBACK, Before, report_differences
from checker.dynamic.seed import apply_seed
from checker.dynamic.standins import standins_used
from checker.dynamic.validate import object_exists, precheck_baseline, precheck_unit, validate_unit
from checker.errors import EngineError, InputError
from checker.findings import NOT_VERIFIED, Finding, Severity
from checker.lint import parse_file
from checker.model import ObjectRef
from checker.model.objects import strings, tables_named
from checker.model.walk import find_nodes
from checker.parse import ParsedFile, Statement, parse_source
from checker.policy import Policy
from checker.rules._policies import call_name
from checker.source import read_source

BASELINE = "dynamic-baseline"
APPLY = "dynamic-apply"
SMOKE = "dynamic-smoke"
SEED_FILE = "dynamic-seed-file"
REAPPLY = "dynamic-reapply"
STANDIN = "dynamic-stand-in"


def run_dynamic(
    units: list[MigrationUnit],
    baseline: list[Path],
    policy: Policy,
    engine_name: str,
    options: EngineOptions,
    timings: dict[str, float] | None = None,
    record: Record | None = None,
    unchecked: int = 0,
) -> list[Finding]:
    """Run the dynamic stage on a fresh database; the engine is removed whatever happens.
    `record`, when given, is filled with what the run did (the verification record).
    `unchecked`: how many of the first migrations are history, applied without checks (history.py)."""
    statement_timeout()  # a bad CHECKER_STATEMENT_TIMEOUT is reported before a server starts
    clock = Timings(timings if timings is not None else {})
    out = Collector(policy, record=record if record is not None else Record())
    say = out.record.say
    roles = roles_file(policy)
    with sigterm_as_interrupt(), ExitStack() as stack:
        with clock.phase("start"):
            engine = open_engine(engine_name, options, needs_of(_files_run(roles, units)))
            say(f"starting a throwaway PostgreSQL ({engine.name} engine)")
            history = History(units[:unchecked], baseline, policy)
            if engine.cache is not None:
                engine.start_from = history.restore(engine) or engine.cache.lookup(engine.seeded_key)
            uri = stack.enter_context(engine)
        out.record.engine = engine.name
        with clock.phase("seed"):
            out.record.seed = seed_identity()
            if engine.seeded:
                say("started from a cached copy of the seeded cluster")
            else:
                say("seeding it like a Supabase project")
                _seed(engine, uri, say)
            admin = stack.enter_context(_connect(uri))
        out.record.server_version = admin.info.parameter_status("server_version") or ""
        run = None
        try:
            with clock.phase("seed"):
                session, conn = _migrating_session(admin, uri, stack)
            api_login = session if engine.owns_server else None
            run = Run(admin, conn, policy, out, clock, history, roles=roles, api_login=api_login)
            run.save = lambda: _save_history(engine, history, uri, stack, say)
            run.run(units, baseline)
            out.record.standins = [standin.name for standin in standins_used(run.admin)]
        except psycopg.Error as err:
            error = _engine_error(run.admin if run else admin, err)
            if error is err:
                raise
            raise error from None
        with clock.phase("stop"):
            say("stopping and removing the server")
            stack.close()
    return out.findings


def _seed(engine: Engine, uri: str, say: Callable[[str], None]) -> None:
    """Seed as the superuser; then keep the seeded cluster for the next runs, when the engine caches."""
    with _connect(uri) as admin:
        try:
            apply_seed(admin)
        except psycopg.Error as err:
            raise EngineError(f"the Supabase seed failed: {' '.join(str(err).split())}") from None
    if engine.cache is not None:
        try:
            engine.save_to_cache(engine.seeded_key)
        except OSError as err:  # a full disk costs the next run its head start, not this run
            say(f"the seeded cluster was not cached: {err}")


def _save_history(
    engine: Engine, history: History, uri: str, stack: ExitStack, say: Callable[[str], None]
) -> tuple[psycopg.Connection, psycopg.Connection]:
    """Store the history's state (the server restarts), then connect again: superuser, migrating session."""
    assert history.key is not None
    try:
        engine.save_to_cache(history.key)
    except OSError as err:  # a full disk costs the next run its head start, not this run
        say(f"the unchanged migrations' database was not cached: {err}")
    admin = stack.enter_context(_connect(uri))
    return admin, _migrating_session(admin, uri, stack)[1]


def _migrating_session(
    admin: psycopg.Connection, uri: str, stack: ExitStack
) -> tuple[MigratingSession, psycopg.Connection]:
    """Log in as the non-superuser that runs the project's SQL."""
    session = prepare_migrating_session(admin, uri)
    stack.callback(session.drop, admin)
    return session, stack.enter_context(session.connect(with_statement_timeout(session.uri)))


def _connect(uri: str) -> psycopg.Connection:
    try:
        return superuser_session(
            psycopg.connect(with_statement_timeout(uri), autocommit=True, connect_timeout=30)
        )
    except psycopg.Error as err:
        raise EngineError(f"cannot connect to the throwaway database: {' '.join(str(err).split())}") from None


def _engine_error(conn: psycopg.Connection, err: psycopg.Error) -> Exception:
    """A query of the checker's own (snapshot, validation, probe) the database did not answer; else a bug."""
    text = " ".join(str(err).split())
    if conn.broken or conn.closed:
        return EngineError(f"the database connection was lost: {text}")
    if isinstance(err, psycopg.errors.QueryCanceled):
        limit = statement_timeout()
        return EngineError(f"a check on the migrated database ran longer than {limit:g} s: {text}")
    return err


class _SessionLost(Exception):
    """A file's statement ended the connection; it is reported, and nothing more can run."""


@dataclass
class Applied:
    unit: MigrationUnit
    context: RuleContext
    before: Before | None  # None: it has no rollback to check


# SECURITY LABEL FOR pgsodium turns on Transparent Column Encryption: the real extension's label provider (C,
# preloaded) accepts it and its event trigger makes an encryption trigger and a decrypted_<table> view. The
# stand-in cannot register a provider, so the statement is skipped and what depends on it is not verified.
TCE_NOT_RUN = (
    "not run: SECURITY LABEL FOR pgsodium (Transparent Column Encryption) needs the label provider the real "
    "pgsodium registers, which this server's stand-in cannot"
)
TCE_NOT_RUN_HINT = (
    "on Supabase this label makes an encryption trigger and a decrypted_<table> view; statements that need "
    "them are not verified here: verify with --engine docker --image supabase/postgres:<tag>"
)


def _labelled_tables(label: Statement) -> list[str]:
    """The table a SECURITY LABEL names (ON TABLE t, ON COLUMN t.c), as it may appear in messages."""
    names = strings(label.node.get("object", {}).get("List", {}).get("items"))
    if label.node.get("objtype") == "OBJECT_COLUMN":
        names = names[:-1]
    return names[-1:]


@dataclass
class Run:
    """One run of the stage. `admin` is the superuser: the checker's own catalog queries only.
    `conn` logged in as the non-superuser `postgres`: everything the project wrote, and the probes."""

    admin: psycopg.Connection
    conn: psycopg.Connection
    policy: Policy
    out: Collector
    clock: Timings
    history: History | None = None  # --changed-since: the unchanged migrations first (history.py)
    save: Callable[[], tuple[psycopg.Connection, psycopg.Connection]] | None = None  # cache it, reconnect
    applied: list[Applied] = field(default_factory=list)
    not_run: set[Location] = field(default_factory=set)
    standins_reported: set[str] = field(default_factory=set)
    advisor: Advisor | None = None
    roles: ParsedFile | None = None  # the project's roles file (supabase/roles.sql): before everything
    # how the probes log in as PostgREST does (api_login.py); None: on the migrating connection
    api_login: MigratingSession | None = None
    api_login_lacked: bool = False  # said once a run
    # (how, table, column) -> whether it was said as a warning (a later file ends it): once a run
    promotions_reported: dict = field(default_factory=dict)
    diverged: Failure | None = None  # the first statement skipped as not reproducible here (_skip)
    labelled: set[str] = field(default_factory=set)  # the tables of the skipped labels

    @property
    def one_transaction(self) -> bool:
        return self.policy.transaction == "runner"

    def run(self, units: list[MigrationUnit], baseline: list[Path]) -> None:
        try:
            self._steps(units, baseline)
        except _SessionLost:
            return

    def _steps(self, units: list[MigrationUnit], baseline: list[Path]) -> None:
        history = self.history or History([], baseline, self.policy)
        units = units[len(history.units) :]
        if history.restored:
            self._restored(history)
        else:
            with self.clock.phase("baseline"):
                if not self._roles(units):
                    return
                if baseline:
                    self.out.record.say(f"applying the baseline ({len(baseline)} file(s))")
                if not self._baseline(baseline):
                    return
            if not self._history(history, units):
                return
        if units:
            with self.clock.phase("precheck"):
                precheck_baseline(self.admin, units[0].before, self.out)
            with self.clock.phase("advisor"):
                self.advisor = Advisor(self.policy)
                self.advisor.start(self.admin)
        complete = self._apply_all(units)
        if complete:
            with self.clock.phase("smoke"):
                self._smoke()
                self._seed_files()
        self._rollback_chain()

    # --- setup ---------------------------------------------------------------------------------

    def _roles(self, units: list[MigrationUnit]) -> bool:
        """The roles file first, as `supabase start` and `db reset` run it ("Seeding globals")."""
        roles = self.roles
        if roles is None:
            return True
        if roles.syntax_error:
            self.out.findings.append(roles.syntax_error)
            return False
        missing = lacks(roles, self._offered, self.major)
        if missing:
            self._not_verified(units, missing, cause=roles.path)
            return False
        self.out.record.say(f"applying the roles file {roles.path}")
        failure = self._run(roles)
        if failure:
            why = "the roles file does not apply (supabase db reset stops there), so no migration was run"
            self._report(BASELINE, failure, why)
        return failure is None

    def _baseline(self, files: list[Path]) -> bool:
        for path in files:
            parsed = parse_file(path)
            parsed.source.path = shown_path(path)
            failure = self._run(parsed)
            if failure:
                self._report(BASELINE, failure, "the baseline does not apply, so no migration was run")
                return False
        return True

    def _run(self, parsed: ParsedFile, observe: Observer | None = None) -> Failure | None:
        skipped: list[Failure] = []
        alone = self.policy.supabase_runner
        failure = run_file(self.conn, parsed, self.one_transaction, skipped, observe, alone, self._skip)
        self._report_not_run(skipped)
        return failure

    def _report_not_run(self, skipped: list[Failure]) -> None:
        # A migration applied again after its rollback skips the same statements: report them once.
        for item in skipped:
            if item.where not in self.not_run:
                self.not_run.add(item.where)
                self.out.add(APPLY, Severity.WARNING, item.where, item.message, item.hint)

    def _report(
        self, rule: str, failure: Failure, context: str = "", severity: Severity = Severity.ERROR
    ) -> None:
        """Report a failed file; when its statement ended the session, stop the stage here (an error)."""
        if failure.session_lost:
            self.out.add(rule, Severity.ERROR, failure.where, failure.message, failure.hint)
            raise _SessionLost
        message = f"{failure.message}" + (f"; {context}" if context else "")
        self.out.add(rule, severity, failure.where, message, failure.hint)

    # --- the history: unchanged migrations before the first changed one (history.py) ------------

    def _restored(self, history: History) -> None:
        count = len(history.units)
        self.out.record.say(f"restored the database of {count} unchanged migration(s) from the cache")
        for unit in history.units:
            self._record(unit).status = RESTORED

    def _history(self, history: History, rest: list[MigrationUnit]) -> bool:
        """Apply the unchanged migrations without their checks, then cache the database they leave."""
        if not history.units:
            return True
        with self.clock.phase("history"):
            applied = self._apply_unchecked(history.units, rest)
        if applied and history.key is not None and self.save is not None:
            with self.clock.phase("save"):
                self.out.record.say("caching the database the unchanged migrations leave")
                self.admin.close()
                self.conn.close()
                self.admin, self.conn = self.save()
        return applied

    def _apply_unchecked(self, units: list[MigrationUnit], rest: list[MigrationUnit]) -> bool:
        offered = self._offered
        for index, unit in enumerate(units):
            missing = lacks(unit.migration, offered, self.major)
            if missing:
                self._not_verified(units[index:] + rest, missing)
                return False
            record = self._record(unit)
            self.out.record.say(f"applying {unit.migration.path} unchecked ({index + 1}/{len(units)})")
            self._make_way(unit.migration)
            started = time.perf_counter()
            failure = self._run(unit.migration)
            record.seconds = time.perf_counter() - started
            record.status = "failed" if failure else APPLIED_UNCHECKED
            if failure and self._lacking(failure, units[index:] + rest):
                return False
            if failure:
                self._skip_rest(units[index + 1 :] + rest, unit)
                self._report(APPLY, failure, "it is unchanged; the changed migrations after it build on it")
                return False
        return True

    def _make_way(self, migration: ParsedFile) -> None:
        """A migration that creates pgsodium (or its schema) as a newer project does meets no seed copy."""
        for call, arguments in give_way_calls(migration.statements):
            self.admin.execute(call, arguments)

    def _record(self, unit: MigrationUnit) -> MigrationRecord:
        record = self.out.record.migration(unit.migration.path)
        record.statements = len(unit.migration.statements)
        record.rollback_file = unit.rollback.path if unit.rollback else None
        return record

    @property
    def major(self) -> int:
        return self.admin.info.server_version // 10000

    @cached_property
    def _offered(self) -> set[str]:
        """The extensions the server offers (asked once: the installation does not change in a run)."""
        return {row[0] for row in self.admin.execute("select name from pg_available_extensions")}

    # --- migrations ----------------------------------------------------------------------------

    def _apply_all(self, units: list[MigrationUnit]) -> bool:
        offered = self._offered
        for index, unit in enumerate(units):
            missing = lacks(unit.migration, offered, self.major)
            if missing:
                self._not_verified(units[index:], missing)
                return False
            context = RuleContext(unit, self.policy)
            record = self._record(unit)
            self.out.record.say(f"applying {unit.migration.path} ({index + 1}/{len(units)})")
            self._make_way(unit.migration)
            with self.clock.phase("precheck"):
                precheck_unit(self.admin, context, self.out)
            with self.clock.phase("rollback"):
                before = Before.take(self.admin, context) if unit.rollback else None
            with self.clock.phase("apply"):
                started = time.perf_counter()
                trace = LockTrace.start(self.admin, self.conn)
                failure = self._run(unit.migration, trace.observe)
                record.seconds = time.perf_counter() - started
            record.status = "failed" if failure else "applied"
            if failure and self._lacking(failure, units[index:]):
                return False
            if failure:
                # The later migrations are named first: a failure that ended the session stops the stage.
                self._skip_rest(units[index + 1 :], unit)
                self._report(APPLY, failure, "validation, probes and rollback of this migration were skipped")
                return False
            self._report_standins(unit.migration, created_extensions(unit.migration))
            self._report_versions(unit.migration)
            trace.report(unit.migration, self.one_transaction, self.out)
            self.out.record.say(f"validating and probing {unit.migration.path}")
            with self.clock.phase("validate"):
                validate_unit(self.admin, context, self.out)
            probing, promoting = probes_anything(context), may_promote(context)
            if probing or promoting:
                with (
                    self.clock.phase("probes"),
                    self._api_session() as api,
                    sequences.kept(self.admin, api),
                ):
                    if probing:
                        probe_unit(api, context, self.out)
                    if promoting:
                        probe_promotion(api, context, self.out, self.promotions_reported)
            if self.advisor is not None:
                with self.clock.phase("advisor"):
                    self.advisor.advise(self.admin, context, self.out)
            self.applied.append(Applied(unit, context, before))
        return True

    @contextmanager
    def _api_session(self) -> Iterator[psycopg.Connection]:
        """The probes' connection: logged in as authenticator where it can be, else the migrating one."""
        if self.api_login is None:
            yield self.conn
            return
        login = self.api_login
        with api_connection(self.admin, login.uri, login.acts_as) as conn:
            if conn is None and not self.api_login_lacked:
                self.api_login_lacked = True
                self.out.record.say(
                    "the RLS probes run on the migrating login: authenticator cannot be made PostgREST's "
                    "login here (policies see session_user = postgres, not authenticator)"
                )
            yield conn if conn is not None else self.conn

    def _report_standins(self, parsed: ParsedFile, created: list[tuple[str, Location]]) -> None:
        """Each stand-in a migration created or called, once a run: what it approximates, and the real one."""
        used = {standin.name: standin for standin in standins_used(self.admin)}
        if not used:
            return
        for name, where in created + self._standin_calls(parsed, list(used)):
            if name in used and name not in self.standins_reported:
                self.standins_reported.add(name)
                standin = used[name]
                self.out.add(
                    STANDIN,
                    Severity.INFO,
                    where,
                    f"extension {name} is the checker's stand-in on this server: {standin.approximates}; "
                    f"not reproduced: {standin.differs}",
                    f"{standin.real_one}; verify there for the real behaviour",
                )

    def _report_versions(self, parsed: ParsedFile) -> None:
        """CREATE EXTENSION ... VERSION of a version this server lacks made the server's own (privileges.py):
        Supabase may ship the one asked for, so it is said, not blamed."""
        for statement in parsed.statements:
            asked = requested_version(statement)
            if asked is None:
                continue
            name = statement.node["extname"]
            offered = self.admin.execute(
                "select from pg_catalog.pg_available_extension_versions where name = %s and version = %s",
                [name, asked],
            ).fetchone()
            row = self.admin.execute(
                "select extversion from pg_catalog.pg_extension where extname = %s", [name]
            ).fetchone()
            if offered is None and row is not None and row[0] != asked:
                self.out.add(
                    APPLY,
                    Severity.INFO,
                    at(statement),
                    f"extension {name} {asked} is not on this server: its {row[0]} was created instead",
                    f"Supabase's images ship a few versions of {name}; verify there for {asked}'s behaviour",
                )

    def _standin_calls(self, parsed: ParsedFile, installed: list[str]) -> list[tuple[str, Location]]:
        """Calls the file makes to a stand-in's functions (pre-installed by the seed, like pgcrypto's)."""
        provided = dict(self.admin.execute(_STANDIN_FUNCTIONS, [installed]).fetchall())
        return [
            (provided[call_name(call)[1]], at(statement, call.get("location")))
            for statement in parsed.statements
            for call in find_nodes(statement.node, "FuncCall")
            if call_name(call)[1] in provided
        ]

    def _skip(self, statement: Statement) -> Failure | None:
        """A statement this server cannot reproduce and the run goes on without (see _lacking)."""
        if statement.kind != "SecLabelStmt" or statement.node.get("provider") not in (None, "pgsodium"):
            return None
        if not self._pgsodium_stand_in:
            return None  # the real provider, or none at all: it runs, and fails as it would
        skipped = Failure(at(statement), TCE_NOT_RUN, TCE_NOT_RUN_HINT)
        self.diverged = self.diverged or skipped
        self.labelled.update(_labelled_tables(statement))
        return skipped

    @cached_property
    def _pgsodium_stand_in(self) -> bool:
        return "pgsodium" in {standin.name for standin in standins_used(self.admin)}

    def _needs_a_skipped_label(self, failure: Failure) -> bool:
        """Whether a failure names what a skipped label would have made: a decrypted_<table> view, or the
        labelled table (its encryption trigger, named after it)."""
        quoted = ('"{}"', '.{}"', '"{}_')  # the table itself, qualified, or a trigger named after it
        return "decrypted_" in failure.message or any(
            form.format(name) in failure.message for name in self.labelled for form in quoted
        )

    def _lacking(self, failure: Failure, rest: list[MigrationUnit]) -> bool:
        """A failure that is the server's, not the SQL's (a stand-in's refusal, a label provider not loaded,
        or a failure naming what a label the run skipped would have made): rest[0] and what follows are
        not verified, as where an extension is missing."""
        lack = lack_in_failure(failure.sqlstate, failure.message, failure.where)
        if lack is None and self.diverged is not None and self._needs_a_skipped_label(failure):
            file, line = self.diverged.where[0], self.diverged.where[1]
            lack = Lack(
                f"the statement failed ({failure.message}) after the run skipped SECURITY LABEL FOR pgsodium "
                f"at {file}:{line}, which makes objects this server cannot make",
                TCE_NOT_RUN_HINT,
                failure.where,
            )
        if lack is None:
            return False
        self._not_verified(rest, [lack])
        return True

    def _not_verified(self, rest: list[MigrationUnit], missing: list[Lack], cause: str = "") -> None:
        """What this server lacks (an extension, CREATEROLE): the migration and those after it were not
        run, never blamed. `cause`: the file that needs it when it is not rest[0] (the roles file)."""
        severity = Severity.WARNING if self.policy.accept_unverified else Severity.ERROR
        for unit in rest:
            self.out.record.migration(unit.migration.path).status = "not verified"
        so = "no migration was run" if cause else "this migration and the ones after it were not run"
        for lack in missing:
            self.out.add(
                NOT_VERIFIED,
                severity,
                lack.where,
                f"not verified: {lack.what} on this PostgreSQL {self.major} server, so {so}",
                f"{lack.hint}; or accept unverified migrations as warnings "
                '(policy `unverified = "warn"`, --accept-unverified)',
            )
        followers = rest if cause else rest[1:]
        cause = cause or rest[0].migration.path
        for unit in followers:
            self.out.add(
                NOT_VERIFIED,
                Severity.INFO,
                _file_start(unit.migration),
                f"not verified: it runs after {cause}, which needs what this server lacks",
                "see the finding on that file",
            )

    def _skip_rest(self, rest: list[MigrationUnit], failed: MigrationUnit) -> None:
        _not_applied(self.out, rest, f"{failed.migration.path}, which failed")

    # --- smoke -----------------------------------------------------------------------------------

    def _smoke(self) -> None:
        created = {
            ref
            for applied in self.applied
            for ref in applied.context.created_by_migration()
            if ref.kind == "table"
        }
        for path in self.policy.smoke:
            parsed = self._parse_run_file(path, self.out.record.smoke_result)
            if parsed is None:
                continue
            touched = _tables_touched(parsed)
            missing = sorted(ref.qualified for ref in touched if object_exists(self.admin, ref) is False)
            if missing or not touched & created:
                why = (
                    f"it uses {', '.join(missing)}, which the database does not have"
                    if missing
                    else "it touches no table these migrations create"
                )
                self.out.add(
                    SMOKE,
                    Severity.INFO,
                    _file_start(parsed),
                    f"smoke test not run: {why}",
                    "smoke files run when they exercise the migrations being checked",
                )
                self.out.record.smoke_result(parsed.path, "not run", why)
                continue
            self.out.record.say(f"running the smoke test {parsed.path}")
            passed = self._smoke_file(parsed)
            self.out.record.smoke_result(parsed.path, "passed" if passed else "failed")

    def _parse_run_file(self, path: Path, result: Callable[[str, str, str], None]) -> ParsedFile | None:
        """A smoke or seed file, parsed; None, its outcome recorded, when it has a syntax error."""
        parsed = parse_file(path)
        parsed.source.path = shown_path(path)
        if parsed.syntax_error:
            self.out.findings.append(parsed.syntax_error)
            result(parsed.path, "not run", "syntax error")
            return None
        return parsed

    def _smoke_file(self, parsed: ParsedFile) -> bool:
        failure = self._run_rolled_back(parsed)
        if failure:
            self._report(SMOKE, failure, "the smoke test failed on the migrated schema")
        return failure is None

    def _run_rolled_back(self, parsed: ParsedFile) -> Failure | None:
        """Run a file's statements in a transaction that is rolled back, and the sequences it moved back."""
        # The runner owns the transaction: the file's own BEGIN/COMMIT would end it early.
        statements = [s for s in parsed.statements if s.kind != TRANSACTION_CONTROL]
        skipped: list[Failure] = []
        with sequences.kept(self.admin, self.conn):
            self.conn.execute("begin")
            try:
                failure = run_statements(self.conn, statements, skipped)
            finally:
                if not (self.conn.broken or self.conn.closed):
                    reset_session(self.conn)
        self._report_not_run(skipped)
        return failure

    # --- the project's seed files ------------------------------------------------------------------

    def _seed_files(self) -> None:
        """`supabase db reset` runs the seed files after the migrations: each must still apply on the
        migrated schema. A warning when one fails: it breaks local resets, not a deploy (`db push`
        runs no seed)."""
        for path in self.policy.seed_files:
            try:
                parsed = self._parse_run_file(path, self.out.record.seed_file_result)
            except InputError as empty:  # `supabase init`'s seed.sql holds comments only
                self.out.record.seed_file_result(shown_path(path), "not run", empty.message)
                continue
            if parsed is None:
                continue
            self.out.record.say(f"running the seed file {parsed.path}")
            failure = self._run_rolled_back(parsed)
            self.out.record.seed_file_result(parsed.path, "failed" if failure else "applied")
            if failure is not None:
                why = "the seed file fails on the migrated schema: supabase db reset stops here"
                self._report(SEED_FILE, failure, why, Severity.WARNING)

    # --- rollback and re-apply ---------------------------------------------------------------

    def _rollback_chain(self) -> None:
        rolled_back: list[Applied] = []
        for applied in reversed(self.applied):
            rollback = applied.unit.rollback
            record = self.out.record.migration(applied.unit.migration.path)
            if rollback is None:
                record.rollback = "no rollback file"
                self._stop_chain(applied, "it has no rollback file")
                break
            self.out.record.say(f"rolling back {applied.unit.migration.path} ({rollback.path})")
            with self.clock.phase("rollback"):
                failure = self._run(rollback)
                assert applied.before is not None  # taken for every migration whose rollback is checked
                differences = [] if failure else applied.before.differences(self.admin)
            record.rollback = "failed" if failure else "differences" if differences else "restored"
            record.differences = [difference.message for difference in differences]
            if failure:
                self._report(
                    ROLLBACK, failure, "the rollback does not run, so the migration cannot be undone"
                )
                self._stop_chain(applied, "its rollback failed")
                break
            report_differences(applied.context, differences, self.out)
            rolled_back.append(applied)
            if differences:
                self._stop_chain(applied, "its rollback did not restore the database")
                break
        with self.clock.phase("reapply"):
            self._reapply(list(reversed(rolled_back)))

    def _stop_chain(self, applied: Applied, why: str) -> None:
        older = self.applied[: self.applied.index(applied)]
        for earlier in older:
            self.out.record.migration(earlier.unit.migration.path).rollback = "not checked"
            if earlier.unit.rollback is not None:
                self.out.add(
                    ROLLBACK,
                    Severity.INFO,
                    _file_start(earlier.unit.rollback),
                    f"rollback not checked: the newer migration {applied.unit.migration.path} stays applied "
                    f"because {why}",
                    "rollbacks are checked newest first; fix the newer one",
                )

    def _reapply(self, units: list[Applied]) -> None:
        for applied in units:
            self.out.record.say(f"applying {applied.unit.migration.path} again")
            failure = self._run(applied.unit.migration)
            record = self.out.record.migration(applied.unit.migration.path)
            record.reapply = "failed" if failure else "applied"
            if failure:
                self._report(REAPPLY, failure, "the migration does not apply again after its rollback")
                return


# The functions of the given extensions, except names pg_catalog also has (a call resolves to those first).
_STANDIN_FUNCTIONS = """
select p.proname::text, e.extname::text
from pg_catalog.pg_depend d
join pg_catalog.pg_extension e on e.oid = d.refobjid
join pg_catalog.pg_proc p on p.oid = d.objid
where d.classid = 'pg_catalog.pg_proc'::regclass and d.refclassid = 'pg_catalog.pg_extension'::regclass
  and d.deptype = 'e' and e.extname = any(%s) and p.proname !~ '^_'
  and not exists (select from pg_catalog.pg_proc q
                  where q.pronamespace = 'pg_catalog'::regnamespace and q.proname = p.proname)"""


def dynamic_needs(units: list[MigrationUnit], policy: Policy) -> Needs:
    """What the run needs of a server: the roles file's and the migrations' extensions and roles."""
    return needs_of(_files_run(roles_file(policy), units))


def _files_run(roles: ParsedFile | None, units: list[MigrationUnit]) -> list[ParsedFile]:
    return ([roles] if roles else []) + [unit.migration for unit in units]


def roles_file(policy: Policy) -> ParsedFile | None:
    """The project's roles file, parsed (a syntax error kept for the run to report); None when it
    has no statements (comments only) or the policy names none."""
    path = policy.roles_file
    if path is None:
        return None
    found = path.stat() if path.is_file() else None  # a missing file: read_source says so
    return _parsed_roles_file(path, found.st_mtime_ns if found else 0, found.st_size if found else 0)


@cache  # verify asks before it starts an engine (what the run needs) and again to run it
def _parsed_roles_file(path: Path, _mtime_ns: int, _size: int) -> ParsedFile | None:
    parsed = parse_source(read_source(path))
    parsed.source.path = shown_path(path)
    return parsed if parsed.statements or parsed.syntax_error else None


def unparsed_rest(units: list[MigrationUnit], policy: Policy, record: Record) -> list[Finding]:
    """The migrations from the first that does not parse on, which the stage never reached: recorded as
    not applied, each after that one saying which file stopped it (that one has its syntax error)."""
    out = Collector(policy, record=record)
    if units:
        record.migration(units[0].migration.path)
        _not_applied(out, units[1:], f"{units[0].migration.path}, which does not parse")
    return out.findings


def _not_applied(out: Collector, units: list[MigrationUnit], after: str) -> None:
    """Migrations a failure before them kept from running: in the record, each with why (info)."""
    for unit in units:
        out.record.migration(unit.migration.path)
        out.add(
            APPLY,
            Severity.INFO,
            _file_start(unit.migration),
            f"not applied: it runs after {after}",
            "fix the earlier migration; this one is checked once it applies",
        )


def _file_start(parsed: ParsedFile) -> Location:
    if parsed.statements:
        return at(parsed.statements[0])
    return parsed.path, 1, 1


def _tables_touched(parsed: ParsedFile) -> set[ObjectRef]:
    """Tables a file names outside of PL/pgSQL bodies (common table expressions excluded)."""
    touched = set()
    for statement in parsed.statements:
        # INSERT/UPDATE/DELETE hold their target as a bare `relation`, FROM clauses as RangeVar nodes.
        touched.update(tables_named(statement.node, "RangeVar", "relation"))
    return touched
