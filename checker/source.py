"""Reading SQL files: encoding, emptiness and offset → line:column, with one-line errors."""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import InputError


@dataclass
class SourceFile:
    """The text of one SQL file and a map from offsets to 1-based line:column."""

    path: str
    text: str
    _line_starts: array[int] = field(default_factory=lambda: array("q"), repr=False)
    _utf8: bytes | None = field(default=None, repr=False)
    _byte_line_starts: array[int] = field(default_factory=lambda: array("q"), repr=False)

    @classmethod
    def from_text(cls, path: str, text: str) -> SourceFile:
        return cls(path=path, text=text)

    @property
    def is_ascii(self) -> bool:
        return self.text.isascii()

    def position(self, offset: int) -> tuple[int, int]:
        """Line and column (both 1-based) of a character offset."""
        if not self._line_starts:
            self._line_starts = _line_starts(self.text, "\n")
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def byte_offset(self, char_offset: int) -> int:
        """UTF-8 byte offset of a character offset: the inverse of char_offset."""
        if self.is_ascii:
            return char_offset
        self._index_bytes()
        # Encode only the line holding the offset, so a large non-ASCII file stays linear.
        line = bisect.bisect_right(self._line_starts, char_offset)
        line_start = self._line_starts[line - 1]
        return self._byte_line_starts[line - 1] + len(self.text[line_start:char_offset].encode("utf-8"))

    def _index_bytes(self) -> None:
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8")
            self._byte_line_starts = _line_starts(self._utf8, b"\n")
            if not self._line_starts:
                self._line_starts = _line_starts(self.text, "\n")

    def char_offset(self, byte_offset: int) -> int:
        """Character offset of a UTF-8 byte offset (libpg_query's JSON output counts bytes)."""
        if self.is_ascii:
            return byte_offset
        self._index_bytes()
        # Decode only the line holding the offset, so a large non-ASCII file stays linear.
        line = bisect.bisect_right(self._byte_line_starts, byte_offset)
        line_start = self._byte_line_starts[line - 1]
        within = self._utf8[line_start:byte_offset].decode("utf-8", errors="ignore")
        return self._line_starts[line - 1] + len(within)


def _line_starts(text, newline) -> array[int]:
    starts = array("q", [0])  # 8 bytes a line instead of an int object's 36: large files have many
    find = text.find
    at = find(newline)
    while at != -1:
        starts.append(at + 1)
        at = find(newline, at + 1)
    return starts


def read_source(path: str | Path, allow_empty: bool = False) -> SourceFile:
    """Read a SQL file as UTF-8; missing, unreadable, non-UTF-8 and (unless allowed) empty files are
    InputErrors."""
    shown = str(path)
    file_path = Path(path)
    if not file_path.exists():
        raise InputError("no such file", shown)
    if file_path.is_dir():
        raise InputError("is a directory, expected a SQL file", shown)
    try:
        data = file_path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", shown) from None
    return decode_source(shown, data, allow_empty)


def decode_source(shown: str, data: bytes, allow_empty: bool = False) -> SourceFile:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark is harmless; PostgreSQL's psql skips it too
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[err.start]:02x}); save the file as UTF-8",
            f"{shown}:{line}:{column}",
        ) from None
    if not text.strip() and not allow_empty:
        raise InputError("empty file: no SQL statements", shown)
    return SourceFile.from_text(shown, text)
