"""SARIF 2.1.0 for GitHub code scanning: rule metadata in tool.driver.rules, one result per finding."""

from __future__ import annotations

import json

from checker.findings import Severity
from checker.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules_metadata() -> list[dict]:
    from checker.findings import INVALID_SUPPRESSION, SYNTAX_ERROR, UNUSED_SUPPRESSION
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
    for rule_id, text in (
        (SYNTAX_ERROR, "SQL that PostgreSQL cannot parse"),
        (UNUSED_SUPPRESSION, "A suppression comment that matched no finding"),
        (INVALID_SUPPRESSION, "A suppression comment without rule ids or reason"),
    ):
        described.append(
            {
                "id": rule_id,
                "name": "".join(p.title() for p in rule_id.split("-")),
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": "error"},
            }
        )
    return described


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
                        "artifactLocation": {
                            "uri": f.file.lstrip("./") if f.file.startswith("./") else f.file
                        },
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
    return json.dumps(document, indent=2) + "\n"
