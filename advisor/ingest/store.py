"""The history store file: its lock, opening it (attached as ``hist``) and its schema.

The store is one DuckDB file written by one nightly run at a time. A run holds an
exclusive ``fcntl`` lock on ``<store>.lock`` for its whole duration; a second run
waits up to ``wait_s`` and then gives up with ``StoreError`` (exit 3). The store
is attached to an in-memory connection as ``hist``, so a run can stage and
analyse in memory and write the store in one transaction.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from advisor import queries
from advisor.errors import StoreError, first_line
from advisor.ingest.database import connect, quote_identifier, sql_literal

ALIAS = "hist"
SCHEMA_VERSION = "1"
STORE_TABLES = ("events", "watermarks", "nights", "night_metrics", "night_recommendations")


def lock_path(store: Path) -> Path:
    """``<store>.lock``, the file a run locks."""
    return store.with_name(store.name + ".lock")


@contextlib.contextmanager
def store_lock(store: Path, wait_s: float = 5.0) -> Iterator[None]:
    """Hold the exclusive run lock of ``store``.

    Raises:
        StoreError: another run held it for more than ``wait_s`` seconds.
    """
    path = lock_path(store)
    fd = _open_lock_file(path)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    holder = _holder(fd)
                    raise StoreError(
                        f"{store}: locked by another nightly run{holder} "
                        f"(waited {wait_s:g} s); try again later"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_lock_file(path: Path) -> int:
    """The lock file opened read-write (created when missing), never through a symlink
    (``O_NOFOLLOW``) and only when it is a regular file with one link: the run truncates
    it and writes its pid, so a planted ``S.duckdb.lock -> victim`` (a symlink, a hard
    link, a device or a FIFO) must never be written through.

    Raises:
        StoreError: it cannot be created, or is not such a file.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(
                f"{path}: the lock file is a symbolic link; refusing to follow it "
                "(remove it if nothing else needs it)"
            ) from None
        raise StoreError(f"{path}: cannot create the lock file: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(st.st_mode):
        problem = "is not a regular file"
    elif st.st_nlink != 1:
        problem = f"has {st.st_nlink} hard links (another file shares it)"
    if problem:
        os.close(fd)
        raise StoreError(f"{path}: the lock file {problem}; refusing to use it")
    os.set_blocking(fd, True)
    return fd


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f" (pid {int(os.pread(fd, 32, 0).decode().strip())})"
    return ""


def open_store(store: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with ``store`` attached as ``hist`` (schema created).

    Raises:
        StoreError: the file is not a DuckDB database, is damaged, or is in use.
    """
    con = connect()
    mode = " (READ_ONLY)" if read_only else ""
    try:
        if read_only and not store.is_file():
            raise StoreError(f"{store}: no such history store")
        con.execute(f"ATTACH {sql_literal(str(store))} AS {quote_identifier(ALIAS)}{mode}")
        if read_only:
            check_schema(con, store)
        else:
            con.execute("BEGIN")
            queries.run_script(con, "nightly/schema", {"version": SCHEMA_VERSION})
            con.execute("COMMIT")
            check_schema(con, store)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(
            f"{store}: history store corrupt or unusable ({first_line(exc)})"
        ) from None
    except StoreError:
        con.close()
        raise
    return con


def check_schema(con: duckdb.DuckDBPyConnection, store: Path) -> None:
    """Raise ``StoreError`` unless the attached store has this version's tables."""
    names = {
        row[0]
        for row in con.execute(queries.load("nightly/store_tables"), {"alias": ALIAS}).fetchall()
    }
    missing = [t for t in STORE_TABLES if t not in names]
    if missing:
        raise StoreError(f"{store}: not a breaker-advisor history store (no {', '.join(missing)})")
    row = con.execute(queries.load("nightly/schema_version")).fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        raise StoreError(
            f"{store}: history store schema version {row[0] if row else '?'}, "
            f"expected {SCHEMA_VERSION}"
        )
