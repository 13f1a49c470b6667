"""dbmate-style files: `-- migrate:up` and `-- migrate:down` sections of one file.

Each section becomes a source of its own with the other section blanked out (newlines kept), so
line:column in findings still point into the real file. Markers are found as comments by
libpg_query's scanner.
"""

from __future__ import annotations

from checker.parse import comments
from checker.source import SourceFile

UP, DOWN = "migrate:up", "migrate:down"


def _markers(source: SourceFile) -> list[tuple[str, int, int]]:
    """(marker, start, end) character offsets of each section comment, in file order."""
    found = []
    for comment in comments(source.text, ("SQL_COMMENT",)):
        words = comment.body.split()
        if words and words[0] in (UP, DOWN):
            found.append((words[0], comment.start, comment.end))
    return found


def section(source: SourceFile, which: str) -> SourceFile:
    """The `up` or `down` part of a sectioned file, other text blanked; the whole file if unmarked."""
    marker = UP if which == "up" else DOWN
    markers = _markers(source)
    if not markers:
        return source
    keep = [False] * len(source.text)
    for index, (name, _, end) in enumerate(markers):
        stop = markers[index + 1][1] if index + 1 < len(markers) else len(source.text)
        if name == marker:
            keep[end:stop] = [True] * (stop - end)
    text = "".join(ch if kept or ch == "\n" else " " for ch, kept in zip(source.text, keep, strict=True))
    return SourceFile.from_text(source.path, text)
