"""Phrases of the verification record shared by the text and Markdown reports."""

from __future__ import annotations

from collections.abc import Iterable


def run_line(verification: dict) -> str:
    """Where the run happened: engine, server version, seed and stand-ins."""
    standins = ", ".join(verification["standins"]) or "none"
    return (
        f"{verification['engine']} engine, PostgreSQL {verification['server_version']}; "
        f"{verification['seed']}; stand-ins: {standins}"
    )


def applied_phrase(migration: dict) -> str:
    status = migration["status"]
    if migration.get("count", 1) > 1:
        return status
    if status in ("applied", "failed", "applied unchecked"):
        return f"{status}: {migration['statements']} statement(s) in {migration['seconds']:.3f} s"
    return status


HISTORY_STATUSES = ("applied unchecked", "restored from cache")


def shown_migrations(migrations: list[dict]) -> list[dict]:
    """The migrations as a reader wants them: the history a --changed-since run applied unchecked or
    restored (often hundreds of files) as one entry per status, `file` naming the first and last."""
    shown: list[dict] = []
    for migration in migrations:
        status = migration["status"]
        last = shown[-1] if shown else None
        if status in HISTORY_STATUSES and last is not None and last.get("history") == status:
            last["count"] += 1
            last["file"] = f"{last['first']} … {migration['file']} ({last['count']} migrations)"
        elif status in HISTORY_STATUSES:
            shown.append({**migration, "history": status, "first": migration["file"], "count": 1})
        else:
            shown.append(migration)
    return shown


def checks_phrase(checks: dict) -> str:
    """`tables 6/6, keys 14/14` (passed of run), kinds that ran only; `none` when nothing ran."""
    parts = []
    for kind, counts in checks.items():
        ran = counts["passed"] + counts["failed"]
        if ran:
            failed = f" ({counts['failed']} failed)" if counts["failed"] else ""
            parts.append(f"{kind} {counts['passed']}/{ran}{failed}")
    return ", ".join(parts) or "none"


def rollback_phrase(migration: dict) -> str:
    rollback = migration["rollback"]
    status = rollback["status"]
    if status == "restored":
        text = "catalog restored"
    elif status == "differences":
        text = f"{len(rollback['differences'])} difference(s): " + "; ".join(rollback["differences"])
    else:
        text = status
    return f"{text}; re-apply: {migration['reapply']}"


def probe_counts(probes: list[dict]) -> tuple[int, int]:
    """(cells as the policies say, cells that are not)."""
    expected = sum(1 for probe in probes if probe["expected"])
    return expected, len(probes) - expected


def probes_phrase(migration: dict) -> str:
    expected, surprising = probe_counts(migration["probes"])
    skipped = len(migration["probes_skipped"])
    if not migration["probes"] and not skipped:
        return "none (no exposed table created or changed)"
    text = f"{expected} of {expected + surprising} as the policies say"
    return text + (f", {skipped} table(s) skipped" if skipped else "")


def unexpected(probes: Iterable[dict]) -> list[str]:
    return [
        f"{p['table']}: {p['actor']} {p['command']} on {p['rows']} rows {p['outcome']}"
        for p in probes
        if not p["expected"]
    ]


def smoke_phrase(smoke: dict) -> str:
    """A smoke test's or a seed file's outcome."""
    why = f" ({smoke['why']})" if smoke.get("why") else ""
    return f"{smoke['file']} {smoke['status']}{why}"
