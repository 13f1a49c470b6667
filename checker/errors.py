"""Errors that end a run with a one-line message and a documented exit code (never a traceback)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CheckerError(Exception):
    """A user-facing failure: bad input, bad config, an unusable database engine.

    `location` is "file:line:column" (or "file") when the error points into a file.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, location: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{self.location}: {text}" if self.location else text


class InputError(CheckerError):
    """A migration, rollback or baseline file that cannot be read or parsed."""


class ConfigError(CheckerError):
    """A policy file that does not validate against the policy schema."""


class EngineError(CheckerError):
    """A database engine that cannot be started, reached, or is not throwaway."""
