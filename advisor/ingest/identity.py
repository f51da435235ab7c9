"""Who a source table is: file identity and watermark checks that decide what to read.

A table is read from its watermark on when the file is the one read before: same
inode, and the rows at the first rowid and at the watermark rowid hash as they did.
Rows that vanished at the low end of the rowid range (the first row read before is
gone, the watermark row is unchanged) are the runtime pruning its manifest: what is
stored is kept and the rows after the watermark are read. Evidence of another file
(another inode, a row at a known rowid changed) or of a truncated one (the watermark
row gone, the first row still there) drops the table's stored rows and reads it again
from the start. When everything up to and including the watermark row is gone, pruning
cannot be told from replacement: the stored rows are kept (history is never deleted on
a guess), the rows after the watermark are read and the plan carries a warning. SQLite's
first page is not used as identity: its change counter moves on every commit, so it
cannot tell "grown" from "replaced".

A JSON-lines manifest (``plan_jsonl``) is an append-only text file: its rows are its
lines, numbered from 1, and its watermark is the last line ending in a newline (a last
line still being written waits for the next run). It is the file read before when the
inode is the same, it is no smaller, and its first block and the block before the
watermark hash as they did: then only the lines after the watermark are new; anything
else (another inode, fewer bytes, a changed block) reads it again from the start.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from advisor.ingest.database import quote_identifier


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
    warning: str = ""  # said on stderr although nothing stored is dropped

    @property
    def unchanged(self) -> bool:
        """Nothing to read: no row beyond the stored watermark."""
        return (
            self.after is not None
            and self.watermark is not None
            and (self.watermark.last_rowid <= self.after)
        )


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _row_hash(con: sqlite3.Connection, table: str, rowid: int) -> str:
    row = con.execute(
        f"SELECT * FROM {quote_identifier(table)} WHERE rowid = ?", (rowid,)
    ).fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:32]


def _hash_if_present(con: sqlite3.Connection, table: str, rowid: int) -> str | None:
    row = con.execute(
        f"SELECT * FROM {quote_identifier(table)} WHERE rowid = ?", (rowid,)
    ).fetchone()
    return None if row is None else hashlib.sha256(repr(row).encode()).hexdigest()[:32]


def _anchor(con: sqlite3.Connection, table: str, first: int, last: int) -> str:
    return f"{first}:{_row_hash(con, table, first)}:{_row_hash(con, table, last)}"


def _parse_anchor(anchor: str) -> tuple[int, str, str] | None:
    """``(first rowid, its hash, the watermark row's hash)`` of a stored anchor."""
    parts = anchor.split(":")
    if len(parts) != 3 or not parts[0].lstrip("-").isdigit():
        return None
    return int(parts[0]), parts[1], parts[2]


JSONL_BLOCK = 4096  # bytes hashed at the start of a JSONL file and before its watermark
_JSONL_ANCHOR = "jsonl"


def _block_hash(fh: BinaryIO, start: int, end: int) -> str:
    fh.seek(start)
    return hashlib.sha256(fh.read(end - start)).hexdigest()[:32]


def _complete_lines(fh: BinaryIO) -> tuple[int, int]:
    """(lines ending in a newline, the byte offset after the last of them)."""
    lines = offset = position = 0
    while chunk := fh.read(1 << 20):
        found = chunk.count(b"\n")
        if found:
            lines += found
            offset = position + chunk.rindex(b"\n") + 1
        position += len(chunk)
    return lines, offset


def _jsonl_anchor(fh: BinaryIO, offset: int) -> str:
    """``jsonl:<first block length>:<its hash>:<watermark offset>:<hash of the block
    before it>``: what identifies the file read up to ``offset``."""
    first = min(JSONL_BLOCK, offset)
    head = _block_hash(fh, 0, first)
    tail = _block_hash(fh, max(0, offset - JSONL_BLOCK), offset)
    return f"{_JSONL_ANCHOR}:{first}:{head}:{offset}:{tail}"


def _jsonl_same_file(fh: BinaryIO, size: int, stored: str) -> bool:
    """Whether the file still holds, unchanged, what the stored anchor describes."""
    parts = stored.split(":")
    if len(parts) != 5 or parts[0] != _JSONL_ANCHOR or not (parts[1] + parts[3]).isdigit():
        return False
    first, offset = int(parts[1]), int(parts[3])
    if offset > size:
        return False
    return _jsonl_anchor(fh, offset) == f"{_JSONL_ANCHOR}:{first}:{parts[2]}:{offset}:{parts[4]}"


def plan_jsonl(path: Path, table: str, previous: Watermark | None) -> TablePlan:
    """What to read of the JSON-lines manifest ``path`` (its one ``table``) given the
    stored watermark: rows are line numbers (see the module's docstring).

    Raises:
        OSError: the file cannot be read (the caller marks the source unreadable).
    """
    with path.open("rb") as fh:
        stat = os.fstat(fh.fileno())
        lines, offset = _complete_lines(fh)
        anchor = _jsonl_anchor(fh, offset)
        same = previous is not None and _jsonl_same_file(fh, stat.st_size, previous.anchor_hash)
    current = Watermark(lines, stat.st_ino, stat.st_size, stat.st_mtime_ns, anchor)
    src = str(path)
    if previous is None:
        return TablePlan(src, table, 0, False, current, "new")
    if previous.inode != stat.st_ino:
        return TablePlan(src, table, 0, True, current, "replaced (another file)")
    if stat.st_size < previous.size:
        return TablePlan(src, table, 0, True, current, "truncated (fewer bytes)")
    if not same:
        return TablePlan(src, table, 0, True, current, "replaced (lines changed)")
    return TablePlan(src, table, previous.last_rowid, False, current, "grown")


@dataclass(frozen=True)
class _Seen:
    """The rows the stored anchor names, as they are now (None: the row is gone)."""

    first: str | None
    mark: str | None


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
    stored = _parse_anchor(previous.anchor_hash) if previous else None
    with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
        # text that is not valid UTF-8 is hashed by its bytes (valid text as before)
        con.text_factory = _lenient_text
        # two queries: SQLite answers a lone min() or max() of the rowid from the b-tree's
        # ends, but scans the whole table for both in one
        first = con.execute(f"SELECT min(rowid) FROM {quote_identifier(table)}").fetchone()[0]
        last = con.execute(f"SELECT max(rowid) FROM {quote_identifier(table)}").fetchone()[0]
        anchor = _anchor(con, table, first, last) if last is not None else ""
        seen = None
        if previous is not None and stored is not None:
            seen = _Seen(
                _hash_if_present(con, table, stored[0]),
                _hash_if_present(con, table, previous.last_rowid),
            )
    current = Watermark(
        last if last is not None else 0, stat.st_ino, stat.st_size, stat.st_mtime_ns, anchor
    )
    src = str(path)
    if previous is None:
        return TablePlan(src, table, None, False, current, "new")
    if previous.inode != stat.st_ino:
        return TablePlan(src, table, None, True, current, "replaced (another file)")
    if previous.last_rowid <= 0 or stored is None or seen is None:
        # nothing was there last time (or an anchor of another form): all rows are new
        return TablePlan(src, table, max(previous.last_rowid, 0), False, current, "grown")
    _, first_hash, mark_hash = stored
    if seen.mark is not None:
        if seen.mark != mark_hash or (seen.first is not None and seen.first != first_hash):
            return TablePlan(src, table, None, True, current, "replaced (rows changed)")
        if seen.first is None:
            return TablePlan(src, table, previous.last_rowid, False, current, "pruned")
        return TablePlan(src, table, previous.last_rowid, False, current, "grown")
    if seen.first is not None:
        reason = "truncated (fewer rows)" if seen.first == first_hash else "replaced (rows changed)"
        return TablePlan(src, table, None, True, current, reason)
    return TablePlan(
        src, table, previous.last_rowid, False, current, "pruned or replaced",
        warning=(
            f"every row up to the stored watermark (rowid {previous.last_rowid}) is gone: "
            "pruning cannot be told from replacement, so the stored events are kept and "
            f"only rows after rowid {previous.last_rowid} are read"
        ),
    )  # fmt: skip
