"""The finding: the one record every stage, rule and report format shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    stage: str  # "static" | "dynamic"
    file: str
    line: int
    column: int
    message: str
    hint: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @property
    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


# Findings that do not come from a rule module but from the pipeline itself.
SYNTAX_ERROR = "syntax-error"
UNUSED_SUPPRESSION = "unused-suppression"
INVALID_SUPPRESSION = "invalid-suppression"
