"""Who a source table is: file identity and watermark checks that decide what to read.

A table is read from its watermark on when the file is the one read before: same
inode, and the rows at the first rowid and at the watermark rowid hash as they did.
Anything else (another inode, a row changed, fewer rows than the watermark) means
the file was replaced or truncated: its stored rows are dropped and it is read
again from the start. SQLite's first page is not used as identity: its change
counter moves on every commit, so it cannot tell "grown" from "replaced".
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Watermark:
    """What was read of one table last time."""

    last_rowid: int
    inode: int
    size: int
    mtime_ns: int
    anchor_hash: str


@dataclass
class TablePlan:
    """What this run reads of one source table."""

    source: str
    table: str
    after: int | None  # read rowid > after; None = everything
    replace: bool  # drop the table's stored rows first
    watermark: Watermark | None  # the new watermark, set once read
    reason: str = ""

    @property
    def unchanged(self) -> bool:
        """Nothing to read: no row beyond the stored watermark."""
        return (
            self.after is not None
            and self.watermark is not None
            and (self.watermark.last_rowid <= self.after)
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _row_hash(con: sqlite3.Connection, table: str, rowid: int) -> str:
    row = con.execute(f"SELECT * FROM {_quote(table)} WHERE rowid = ?", (rowid,)).fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:32]


def _anchor(con: sqlite3.Connection, table: str, first: int, last: int) -> str:
    return f"{first}:{_row_hash(con, table, first)}:{_row_hash(con, table, last)}"


def plan_table(
    path: Path, table: str, previous: Watermark | None, read_path: Path | None = None
) -> TablePlan:
    """Decide what to read of ``table`` in ``path`` given the stored watermark.

    ``read_path``: where the rows are read (a snapshot of ``path``); ``path`` gives the
    identity.

    Raises:
        sqlite3.Error: the file cannot be read (the caller marks the source unreadable).
    """
    stat = path.stat()
    uri = (read_path or path).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
        # text that is not valid UTF-8 is hashed by its bytes (valid text as before)
        con.text_factory = _lenient_text
        # two queries: SQLite answers a lone min() or max() of the rowid from the b-tree's
        # ends, but scans the whole table for both in one
        first = con.execute(f"SELECT min(rowid) FROM {_quote(table)}").fetchone()[0]
        last = con.execute(f"SELECT max(rowid) FROM {_quote(table)}").fetchone()[0]
        anchor = _anchor(con, table, first, last) if last is not None else ""
        old_anchor = ""
        if previous and last is not None and previous.last_rowid <= last:
            old_anchor = _anchor(con, table, first, previous.last_rowid)
    current = Watermark(
        last if last is not None else 0, stat.st_ino, stat.st_size, stat.st_mtime_ns, anchor
    )
    src = str(path)
    if previous is None:
        return TablePlan(src, table, None, False, current, "new")
    if previous.inode != stat.st_ino:
        return TablePlan(src, table, None, True, current, "replaced (another file)")
    if last is None or previous.last_rowid > last:
        return TablePlan(src, table, None, True, current, "truncated (fewer rows)")
    if previous.anchor_hash and old_anchor != previous.anchor_hash:
        return TablePlan(src, table, None, True, current, "replaced (rows changed)")
    return TablePlan(src, table, previous.last_rowid, False, current, "grown")
