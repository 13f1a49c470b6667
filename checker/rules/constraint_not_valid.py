"""constraint-not-valid: foreign keys and checks on existing tables are added NOT VALID, validated later."""

from __future__ import annotations

from collections.abc import Iterator

from checker.context import RuleContext
from checker.findings import Severity
from checker.model import ObjectRef
from checker.model.effects import constraint_name
from checker.model.objects import range_var
from checker.rules._locks import Step, alter_table_steps
from checker.rules._schema_support import has_command, table_commands
from checker.rules.base import Example, Issue, Rule

_CHECKED = ("CONSTR_FOREIGN", "CONSTR_CHECK")


def check(ctx: RuleContext) -> Iterator[Issue]:
    added_not_valid: dict[tuple[ObjectRef, str], int] = {}  # constraint -> its transaction
    for step, table in alter_table_steps(ctx):
        if not has_command(step.statement, "AT_AddConstraint", "AT_ValidateConstraint"):
            continue
        commands = list(table_commands(step.statement))
        for cmd in commands:
            con = cmd.get("def", {}).get("Constraint", {})
            if cmd.get("subtype") == "AT_AddConstraint" and con.get("contype") in _CHECKED:
                name = constraint_name(table, con, None)
                if con.get("skip_validation"):
                    if table in step.locks:  # a table this migration created is empty: nothing to scan
                        added_not_valid[(table, name)] = step.transaction
                elif table in step.locks:
                    yield _validated_at_once(step, table, con, name, len(commands) == 1)
            elif cmd.get("subtype") == "AT_ValidateConstraint" and (
                added_not_valid.get((table, cmd.get("name", ""))) == step.transaction
            ):
                yield _same_transaction(step, table, cmd["name"])


def _validated_at_once(step: Step, table: ObjectRef, con: dict, name: str, alone: bool) -> Issue:
    shown = table.qualified
    if con["contype"] == "CONSTR_FOREIGN":
        target = range_var(con["pktable"]).qualified
        what = f"foreign key {name}"
        lock = f"SHARE ROW EXCLUSIVE on {shown} and {target} (writes to both wait)"
    else:
        what, lock = f"check constraint {name}", f"ACCESS EXCLUSIVE on {shown} (reads and writes wait)"
    add = f"{step.statement.text.strip()} not valid;" if alone else f"add {name} with NOT VALID;"
    return Issue(
        step.statement,
        f"{what} is added to {shown}, which existed before this migration, without NOT VALID: every "
        f"existing row is checked while the statement holds {lock}, until the transaction ends",
        f"{add} then, in a later transaction: alter table {shown} validate constraint {name}; "
        "(SHARE UPDATE EXCLUSIVE: reads and writes go on while it scans)",
        con.get("location"),
        shown,
    )


def _same_transaction(step: Step, table: ObjectRef, name: str) -> Issue:
    return Issue(
        step.statement,
        f"constraint {name} on {table.qualified} is validated in the transaction that added it: the "
        "lock taken to add it is held until commit, so the scan runs under it and NOT VALID gains nothing",
        f"commit after adding {name} NOT VALID, and validate it in a later transaction (or migration)",
        None,
        table.qualified,
    )


_BASELINE = (
    "create table public.orgs (id uuid primary key);\n"
    "create table public.projects (id uuid primary key, org_id uuid);\n"
)

RULE = Rule(
    id="constraint-not-valid",
    severity=Severity.ERROR,
    summary="Foreign keys and check constraints on existing tables are added NOT VALID and validated later",
    rationale=(
        "Adding a foreign key checks every existing row under SHARE ROW EXCLUSIVE on both tables "
        "(their writes wait); adding a check constraint does it under ACCESS EXCLUSIVE (reads wait "
        "too). With NOT VALID the constraint applies to new rows at once and the statement is "
        "instant; ALTER TABLE ... VALIDATE CONSTRAINT then checks the old rows under SHARE UPDATE "
        "EXCLUSIVE, which blocks neither reads nor writes. Validating in the same transaction that "
        "added the constraint keeps the first lock until commit, so it is reported as well. Tables "
        "the migration created are empty and exempt."
    ),
    bad=Example(
        "begin;\nalter table public.projects add constraint projects_org_id_fkey\n"
        "  foreign key (org_id) references public.orgs (id);\ncommit;\n",
        baseline=_BASELINE,
    ),
    good=Example(
        "begin;\nalter table public.projects add constraint projects_org_id_fkey\n"
        "  foreign key (org_id) references public.orgs (id) not valid;\ncommit;\n"
        "begin;\nalter table public.projects validate constraint projects_org_id_fkey;\ncommit;\n",
        baseline=_BASELINE,
    ),
    check=check,
)
