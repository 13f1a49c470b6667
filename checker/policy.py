"""The policy as code: the default in rules/, extended by a project's own, checked by a JSON Schema."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import ConfigError
from checker.findings import Severity
from checker.model.objects import ObjectRef


@dataclass
class MigrationEntry:
    path: Path
    rollback: Path | None = None


@dataclass
class Policy:
    data: dict
    origin: str = "default policy"
    root: Path = field(default_factory=Path.cwd)  # where relative paths in the policy start
    chosen: frozenset[str] = frozenset()  # the keys the project's own policy sets

    def default(self, key: str, value: object) -> None:
        """A layout's default (a Supabase CLI project's `transaction`), unless the project chose one."""
        if key not in self.chosen:
            self.data[key] = value

    @property
    def exposed_schemas(self) -> list[str]:
        return self.data.get("exposed_schemas", ["public"])

    @property
    def transaction(self) -> str:
        return self.data.get("transaction", "explicit")

    @property
    def order(self) -> str:
        return self.data.get("order", "version")

    @property
    def supabase_runner(self) -> bool:
        """The runner is the Supabase CLI (its order of names): one transaction per file, except for the
        statements it runs alone (transaction_wrapper.runs_alone)."""
        return self.transaction == "runner" and self.order == "supabase"

    @property
    def rollback_required(self) -> bool:
        return self.data.get("rollback") == "required"

    @property
    def accept_unverified(self) -> bool:
        return self.data.get("unverified") == "warn"

    @property
    def baseline(self) -> list[Path]:
        return [self.root / p for p in self.data.get("baseline", [])]

    @property
    def migrations(self) -> list[MigrationEntry]:
        return [
            MigrationEntry(self.root / m["path"], self.root / m["rollback"] if m.get("rollback") else None)
            for m in self.data.get("migrations", [])
        ]

    @property
    def smoke(self) -> list[Path]:
        return [self.root / p for p in self.data.get("smoke", [])]

    @property
    def seed_files(self) -> list[Path]:
        """The project's seed files (`supabase db reset` runs them after the migrations)."""
        return [self.root / p for p in self.data.get("seed_files", [])]

    @property
    def roles_file(self) -> Path | None:
        """The project's custom roles (`supabase/roles.sql`, which the CLI runs before the migrations)."""
        path = self.data.get("roles_file")
        return self.root / path if path else None

    @property
    def tenancy(self) -> dict[str, str]:
        """[rls.tenancy]: table -> whose rows it holds, where the schema cannot tell (dynamic/tenancy.py)."""
        return self.data.get("rls", {}).get("tenancy", {})

    def severity(self, rule_id: str, default: Severity) -> Severity | None:
        """The severity the policy gives a rule; None when the rule is off."""
        chosen = self.data.get("rules", {}).get(rule_id, {}).get("severity")
        if chosen == "off":
            return None
        return Severity(chosen) if chosen else default

    def exemption(self, rule_id: str, object_name: str) -> str | None:
        for item in self.data.get("exemptions", []):
            if item["rule"] == rule_id and item["object"] == object_name:
                return item["reason"]
        return None

    def known_objects(self) -> list[ObjectRef]:
        known = self.data.get("known", {})
        refs = [ObjectRef("schema", "", name) for name in known.get("schemas", [])]
        refs += [ObjectRef("extension", "", name) for name in known.get("extensions", [])]
        for kind, key in (("table", "tables"), ("function", "functions"), ("type", "types")):
            for name in known.get(key, []):
                schema, _, base = name.partition(".")
                refs.append(ObjectRef(kind, schema, base))
        return refs


def _policy_file(name: str) -> str:
    """A file of the built-in policy package (installed as files: importlib.resources is not needed,
    and importing it would cost every run)."""
    import checker.default_policy

    return (Path(checker.default_policy.__file__).parent / name).read_text(encoding="utf-8")


def _schema() -> dict:
    return json.loads(_policy_file("policy.schema.json"))


def default_policy() -> Policy:
    return Policy(tomllib.loads(_policy_file("default.toml")))


def load_policy(config: str | None, start: Path | None = None) -> Policy:
    """The default policy extended by --config FILE, else by the nearest checker.toml or pyproject's
    [tool.checker] (in the same folder, checker.toml wins)."""
    base = default_policy()
    if config:
        path = Path(config)
        return _extend(base, _read_config_file(path), str(path), path.resolve().parent)
    found = _find_policy_file(start or Path.cwd())
    if found and found.name == POLICY_FILE:
        return _extend(base, _read_toml(found), str(found), found.resolve().parent)
    if found:
        table = _read_toml(found).get("tool", {}).get("checker")
        if table is not None:
            return _extend(base, table, f"{found} [tool.checker]", found.resolve().parent)
    return base


POLICY_FILE = "checker.toml"  # a project's policy where there is no pyproject.toml


def _find_policy_file(start: Path) -> Path | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        for name in (POLICY_FILE, "pyproject.toml"):
            if (folder / name).is_file():
                return folder / name
    return None


def _read_config_file(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError("no such policy file", str(path))
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"not valid JSON: {err}", str(path)) from None
    data = _read_toml(path)
    return data.get("tool", {}).get("checker", data) if path.name == "pyproject.toml" else data


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"not valid TOML: {err}", str(path)) from None


def _extend(base: Policy, overrides: dict, origin: str, root: Path) -> Policy:
    validate(overrides, origin)
    _check_rule_ids(overrides, origin)
    root = _shown(root)
    merged = dict(base.data)
    for key, value in overrides.items():
        if key == "exemptions":
            merged[key] = [*merged.get(key, []), *value]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return Policy(merged, origin, root, frozenset(overrides))


def validate(data: dict, origin: str) -> None:
    """Raise ConfigError naming the first bad key and why."""
    import jsonschema  # only when a project policy is given: the import is slow

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"bad policy key {where}: {_why(error)}", origin)


def _why(error) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    return error.message


def _shown(folder: Path) -> Path:
    """The folder relative to the working directory when it is below it: findings name files as users do."""
    try:
        return folder.relative_to(Path.cwd().resolve())
    except ValueError:
        return folder


def known_rule_ids() -> set[str]:
    from checker.findings import DYNAMIC_RULES, PIPELINE_RULES
    from checker.rules import all_rules

    ids = set(DYNAMIC_RULES) | set(PIPELINE_RULES)
    for rule in all_rules():
        ids.update((rule.id, *rule.extra_ids))
    return ids


def _check_rule_ids(data: dict, origin: str) -> None:
    """A misspelt rule id would otherwise change nothing, silently."""
    named = [(f"rules.{rule_id}", rule_id) for rule_id in data.get("rules", {})]
    named += [(f"exemptions.{i}.rule", e["rule"]) for i, e in enumerate(data.get("exemptions", []))]
    known = known_rule_ids()
    for key, rule_id in named:
        if rule_id not in known:
            raise ConfigError(f"bad policy key {key}: no rule {rule_id!r} (see: checker rules)", origin)
