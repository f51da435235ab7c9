"""Find manifest files, check each one, and attach the readable ones to DuckDB read-only.

A source argument is a file, a directory (searched recursively for ``*.sqlite3``,
``*.sqlite``, ``*.db``, and ``manifest.jsonl`` in a folder without those) or a glob.
Which telemetry tables a file holds is decided by their columns, not their names; a
``*.jsonl`` file is a JSON-lines manifest of attempt records (``advisor/ingest/jsonl.py``).
A file that cannot be read is recorded with the reason and skipped; nothing here ever
writes to a source.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import glob
import logging
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import duckdb

from advisor import queries
from advisor.errors import NoSourcesError, SourceError, first_line
from advisor.ingest.database import quote_identifier, sql_literal
from advisor.ingest.jsonl import attach_jsonl, inspect_jsonl, is_jsonl
from advisor.ingest.layouts import detect_layout, layout_names
from advisor.model import Source

MANIFEST_SUFFIXES = (".sqlite3", ".sqlite", ".db")
JSONL_MANIFEST = "manifest.jsonl"  # what a folder scan finds of JSON-lines manifests
SQLITE_MAGIC = b"SQLite format 3\x00"
log = logging.getLogger(__name__)  # -vv: what was read and skipped, and why


def discover(arguments: Sequence[str | Path]) -> list[Path]:
    """Expand files, directories and globs into a sorted, de-duplicated list of files.

    Raises:
        NoSourcesError: when nothing matched at all.
    """
    return discover_sources(arguments)[0]


def discover_sources(
    arguments: Sequence[str | Path],
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files, directories and globs: the files found (resolved, de-duplicated),
    and each argument that matched nothing with the reason (missing, dangling symlink,
    symlink loop, empty glob or folder, not a regular file).

    Raises:
        NoSourcesError: when nothing matched at all.
    """
    found: dict[Path, None] = {}
    unmatched: list[tuple[str, str]] = []
    for arg in arguments:
        text = str(arg)
        path = Path(text).expanduser()
        matches, reason = _expand(text, path)
        if not matches:
            unmatched.append((text, reason))
            log.debug("source argument %s: matched nothing: %s", text, reason)
        else:
            log.debug("source argument %s: %d file(s)", text, len(matches))
        for match in matches:
            found.setdefault(match.resolve(), None)
    if not found:
        what = "; ".join(f"{text}: {reason}" for text, reason in unmatched) or "(none given)"
        raise NoSourcesError(
            f"no manifest files found in {what} "
            f"(looked for {', '.join('*' + s for s in MANIFEST_SUFFIXES)}, {JSONL_MANIFEST})"
        )
    return list(found), unmatched


def _expand(text: str, path: Path) -> tuple[list[Path], str]:
    """The manifest files one argument names, or none and why."""
    try:
        st = path.stat()
    except OSError as exc:
        if glob.has_magic(text):
            matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
            files = [p for p in matches if p.is_file()]
            if files:
                return files, ""
            return [], "the pattern matched no manifest file"
        if path.is_symlink():
            if exc.errno == errno.ELOOP:
                return [], "symbolic link loop"
            return [], f"dangling symbolic link to {os.readlink(path)}"
        return [], exc.strerror or "cannot be read"
    if stat.S_ISDIR(st.st_mode):
        files = _walk(path)
        return files, "" if files else "the folder holds no manifest file"
    if not stat.S_ISREG(st.st_mode):
        return [], "not a regular file"
    return [path], ""


def _walk(folder: Path) -> list[Path]:
    """Manifest files under ``folder``, following symlinked folders (each real folder
    once, so a link back up the tree ends)."""
    seen: set[tuple[int, int]] = set()
    files = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        found = [Path(root) / n for n in names if _is_manifest_name(Path(n))]
        found = [p for p in found if p.is_file()]
        # a folder's manifest.jsonl records the calls its SQLite manifest records too:
        # read only where there is no SQLite manifest (named explicitly, it is read)
        jsonl = Path(root) / JSONL_MANIFEST
        if not found and JSONL_MANIFEST in names and jsonl.is_file():
            found.append(jsonl)
        elif found and JSONL_MANIFEST in names:
            log.debug("%s: skipped: the folder's SQLite manifest records the same calls", jsonl)
        files += found
    return sorted(files)


def _is_manifest_name(path: Path) -> bool:
    return path.suffix in MANIFEST_SUFFIXES


# --- finished WAL manifests: read from a private snapshot -------------------------------
#
# A WAL-mode file (what ManifestWriter and the simulator write) cannot be opened by SQLite,
# even read-only, unless its -wal and -shm files exist or can be created beside it: in a
# folder the reader may not write that fails ("attempt to write a readonly database"),
# and where it may, every read leaves an empty -wal and a 32 KiB -shm behind. When no
# WAL content exists (no -wal, or an empty one) the main file alone holds every committed
# row, so it is copied into a private folder and the copy is read instead, marked as a
# rollback-journal file (header bytes 18-19) so that it needs no -wal/-shm either.
# Why this is safe although the crawler may reopen the file at any moment: a WAL writer
# only appends to the -wal; the main file changes only when a checkpoint copies pages
# back. A copy taken while the file's identity (inode, size, mtime, ctime) stayed the
# same, of a file last modified before the copy started (past the coarse mtime clock),
# is therefore exactly the database as committed before any new writer's transactions:
# a consistent, slightly earlier snapshot. A copy that raced a checkpoint is taken again;
# a file that keeps changing is reported unreadable for this run. Snapshots are
# removed at interpreter exit.

SNAPSHOT_ATTEMPTS = 3
SETTLE_S = 0.05  # a file modified this recently may still be changing within one mtime tick
_FICLONE = 0x40049409  # Linux ioctl: copy-on-write clone (btrfs, XFS): no data copied
_snapshot_folder: Path | None = None


def _snapshot_dir() -> Path:
    global _snapshot_folder
    if _snapshot_folder is None or not _snapshot_folder.is_dir():
        _snapshot_folder = Path(tempfile.mkdtemp(prefix="breaker-advisor-snapshots-"))
        atexit.register(shutil.rmtree, _snapshot_folder, True)
    return _snapshot_folder


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _copy_file(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return
        except OSError:
            pass
        size = os.fstat(fin.fileno()).st_size
        try:  # in-kernel copy (no trip through Python's buffers)
            done = 0
            while done < size:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), size - done)
                if n == 0:
                    break
                done += n
            return
        except OSError:
            fin.seek(0)
            fout.seek(0)
            fout.truncate()
        shutil.copyfileobj(fin, fout, 1 << 20)


def is_finished_wal(path: Path) -> bool:
    """WAL mode in the header, and no WAL content beside the file."""
    with path.open("rb") as fh:
        header = fh.read(20)
    if header[18:20] != b"\x02\x02":
        return False
    try:
        return path.with_name(path.name + "-wal").stat().st_size == 0
    except FileNotFoundError:
        return True


ROLLBACK_WARNING = (
    "rollback-journal (non-WAL) manifest with a -journal beside it: a writer is using it, "
    "and reading it in place takes a shared lock that makes that writer wait; have the "
    "runtime use WAL mode (PRAGMA journal_mode=WAL; advisor.telemetry's writer does)"
)


def is_live_rollback_journal(path: Path) -> bool:
    """Rollback-journal mode in the header and a ``-journal`` file beside it (a writer
    mid-transaction, or one in PERSIST / TRUNCATE journal mode): said once per file."""
    with path.open("rb") as fh:
        header = fh.read(20)
    if header[18:20] == b"\x02\x02":
        return False
    return path.with_name(path.name + "-journal").exists()


def snapshot(path: Path) -> str:
    """A private, consistent copy of the finished WAL manifest ``path`` (see above).

    Raises:
        SourceError: the file kept changing while it was copied.
        OSError: it could not be read or copied.
    """
    for attempt in range(SNAPSHOT_ATTEMPTS):
        if attempt:
            time.sleep(SETTLE_S + 0.05 * attempt)
        started = time.time_ns()
        before = _identity(path)
        if before[2] > started - int(SETTLE_S * 1e9):
            continue  # modified a moment ago: a write in the same mtime tick would not show
        fd, name = tempfile.mkstemp(dir=_snapshot_dir(), suffix=path.suffix)
        os.close(fd)
        copy = Path(name)
        _copy_file(path, copy)
        if _identity(path) == before and is_finished_wal(path):
            with copy.open("r+b") as fh:
                fh.seek(18)
                fh.write(b"\x01\x01")  # rollback-journal mode: no -wal/-shm for the copy
            return str(copy)
        copy.unlink()
    raise SourceError(str(path), "changed while being copied (a writer is checkpointing it)")


def inspect(path: Path) -> Source:
    """Check that ``path`` is a readable SQLite file and detect its telemetry tables
    (or a readable JSON-lines manifest, by its name)."""
    source = inspect_jsonl(path) if is_jsonl(path) else _inspect_sqlite(path)
    if source.error:
        log.debug("%s: skipped: %s", path, source.error)
    else:
        layouts = ", ".join(f"{t} as {layout}" for t, layout in sorted(source.tables.items()))
        log.debug("%s: reading %s", path, layouts)
    return source


def _inspect_sqlite(path: Path) -> Source:
    source = Source(path=str(path))
    source.error = _header_problem(path)
    if source.error:
        return source
    try:
        if is_finished_wal(path):
            source.read_path = snapshot(path)
        elif is_live_rollback_journal(path):
            source.warnings.append(ROLLBACK_WARNING)
    except SourceError as exc:
        source.error = exc.reason
        return source
    except OSError as exc:
        source.error = f"cannot copy a finished WAL manifest: {exc.strerror or exc}"
        return source
    uri = Path(source.read_path).resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
            con.text_factory = lambda data: data.decode("utf-8", "replace")  # odd names
            views: dict[str, str] = {}
            for name, kind, sql in con.execute(
                "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') "
                "ORDER BY name"
            ).fetchall():
                cols = {
                    row[1].lower(): row[2].upper()
                    for row in con.execute("SELECT * FROM pragma_table_info(?)", (name,))
                }
                layout = detect_layout(cols)
                if not layout:
                    log.debug("%s: %s %s: not a telemetry layout (columns %s)", path, kind,
                              name, ", ".join(sorted(cols)))  # fmt: skip
                if layout:
                    source.tables[name] = layout.name
                    source.columns[name] = cols
                    if kind == "view":
                        views[name] = sql or ""
            _drop_derived_views(source, views)
    except sqlite3.DatabaseError as exc:
        source.error = _explain(exc)
        return source
    if not source.tables:
        source.error = f"no breaker telemetry table ({layout_names()})"
    return source


def _drop_derived_views(source: Source, views: dict[str, str]) -> None:
    """Forget telemetry views that select from a telemetry table read already (the
    seed-compatible writer's ``breaker_state_transitions`` over ``breaker_events``): their
    events would count twice. A view over other tables is read like a table."""
    tables = [name for name in source.tables if name not in views]
    for name, sql in views.items():
        if any(re.search(rf"(?<![\w$]){re.escape(t)}(?![\w$])", sql, re.I) for t in tables):
            log.debug("%s: view %s: skipped: it selects from a telemetry table read already",
                      source.path, name)  # fmt: skip
            del source.tables[name]
            del source.columns[name]


def has_numeric_affinity(declared: str) -> bool:
    """SQLite's type-affinity rules: INTEGER, REAL or NUMERIC (not TEXT or BLOB)."""
    declared = declared.upper()
    if "INT" in declared:
        return True
    textual = any(word in declared for word in ("CHAR", "CLOB", "TEXT"))
    return not (textual or declared in ("", "BLOB"))


def _header_problem(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if size == 0:
        return "empty file (0 bytes)"
    if not header.startswith(SQLITE_MAGIC):
        return "not an SQLite database (bad header)"
    if len(header) < 100:
        return f"truncated: {size} bytes, shorter than an SQLite header"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid_count = header[24:28] == header[92:96]
    if page_size and valid_count and pages and size < pages * page_size:
        return f"truncated: {size} bytes, header says {pages * page_size}"
    return None


def _explain(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"locked by another process ({text})"
    if "malformed" in text or "not a database" in text:
        return f"corrupt or truncated ({text})"
    return text


def attach(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Attach every readable source READ_ONLY as ``s0``, ``s1``...; failures are recorded."""
    for index, source in enumerate(sources):
        if not source.readable:
            continue
        source.alias = f"s{index}"
        if is_jsonl(source.path):
            attach_jsonl(con, source)
            continue
        try:
            con.execute(
                f"ATTACH {sql_literal(source.read_path)} AS {quote_identifier(source.alias)} "
                "(TYPE sqlite, READ_ONLY)"
            )
        except duckdb.Error as exc:
            source.error = f"cannot attach: {first_line(exc)}"
    # The types the scanner reads each column as (one catalog query for all sources).
    by_alias = {s.alias: s for s in sources if s.readable and not is_jsonl(s.path)}
    if not by_alias:
        return
    try:
        for alias, table, column, kind in con.execute(
            queries.load("events/scan_types"), {"aliases": list(by_alias)}
        ).fetchall():
            by_alias[alias].scan_types.setdefault(table, {})[column.lower()] = kind
    except (duckdb.Error, UnicodeDecodeError):  # the events query then casts every column
        pass


def open_sources(con: duckdb.DuckDBPyConnection, arguments: Sequence[str | Path]) -> list[Source]:
    """Discover, inspect and attach; returns every source found, readable or not, and
    an unreadable one for each argument that matched nothing (named, never dropped)."""
    paths, unmatched = discover_sources(arguments)
    sources = [inspect(path) for path in paths]
    sources += [Source(path=text, error=f"matched nothing: {why}") for text, why in unmatched]
    attach(con, sources)
    return sources
