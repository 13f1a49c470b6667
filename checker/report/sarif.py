"""SARIF 2.1.0 for GitHub code scanning: rule metadata in tool.driver.rules, one result per finding."""

from __future__ import annotations

import json
from pathlib import Path

from checker.findings import Severity
from checker.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules_metadata() -> list[dict]:
    from checker.findings import DYNAMIC_RULES, PIPELINE_RULES
    from checker.rules import all_rules

    described = []
    for rule in all_rules():
        for rule_id in (rule.id, *rule.extra_ids):
            described.append(
                {
                    "id": rule_id,
                    "name": "".join(part.title() for part in rule_id.split("-")),
                    "shortDescription": {"text": rule.summary},
                    "fullDescription": {"text": rule.rationale},
                    "help": {"text": rule.rationale},
                    "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                }
            )
    for rule_id, text in {**PIPELINE_RULES, **DYNAMIC_RULES}.items():
        described.append(
            {
                "id": rule_id,
                "name": "".join(p.title() for p in rule_id.split("-")),
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": "error"},
            }
        )
    return described


def artifact_uri(file: str) -> str:
    """Code scanning matches results to files by a repository-relative path (or a file:// URI)."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix().removeprefix("./")
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_uri()


def render_sarif(report: Report) -> str:
    rules = _rules_metadata()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for f in report.findings:
        result = {
            "ruleId": f.rule,
            "level": _LEVEL[f.severity],
            "message": {"text": f"{f.message}. Hint: {f.hint}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(f.file)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
            "properties": {"stage": f.stage},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "checker", "version": report.tool_version or "0", "rules": rules}
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    if report.verification is not None:  # what the dynamic stage did: a property bag of the run
        document["runs"][0]["properties"] = {"verification": report.verification}
    return json.dumps(document, indent=2) + "\n"
