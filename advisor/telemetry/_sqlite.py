"""SQLite helpers shared by the telemetry writer and the cooldown store."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from advisor.errors import TelemetryError


def connect(path: Path, busy_timeout_s: float, what: str) -> sqlite3.Connection:
    """Open (creating the folder) a connection in autocommit mode, usable from any thread.

    Raises:
        TelemetryError: the file cannot be opened.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise TelemetryError(f"{path}: cannot open {what}: {exc}") from None


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLITE_BUSY / SQLITE_LOCKED (another connection holds the lock)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def in_transaction(con: sqlite3.Connection, action: Callable[[], object]) -> None:
    """Run ``action`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back on any error."""
    con.execute("BEGIN IMMEDIATE")
    try:
        action()
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def retry_busy(action: Callable[[], object], path: Path, budget_s: float) -> None:
    """Run ``action``; on SQLITE_BUSY retry with jittered backoff for up to ``budget_s``.

    Raises:
        TelemetryError: another SQLite error, or still busy when the budget is spent.
    """
    deadline = time.monotonic() + budget_s
    delay = 0.005
    while True:
        try:
            action()
            return
        except sqlite3.Error as exc:
            if not is_busy(exc):
                raise TelemetryError(f"{path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise TelemetryError(
                    f"{path}: still locked by other processes after {budget_s:g} s: {exc}"
                ) from None
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.05)
