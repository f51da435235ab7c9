"""Build small manifest SQLite files in each telemetry layout, for tests.

Each builder takes rows in a compact form and writes them the way a producer
would, so tests state the telemetry they mean right next to their expectations.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

T0 = 1_768_464_000.0  # 2026-01-15T08:00:00Z, a round epoch for readable tests


def breaker_events(
    path: Path, rows: Iterable[tuple[Any, str, str, dict[str, Any]]], *, wal: bool = False
) -> Path:
    """``rows``: (ts, host, event_type, details dict) in the seed guide's layout."""
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE IF NOT EXISTS breaker_events "
        "(id INTEGER PRIMARY KEY, ts REAL, host TEXT, event_type TEXT, details TEXT)"
    )
    con.executemany(
        "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)",
        [
            (ts, host, etype, d if isinstance(d, str) else json.dumps(d))
            for ts, host, etype, d in rows
        ],
    )
    con.commit()
    con.close()
    return path


def breaker_transitions(path: Path, rows: Iterable[tuple[Any, ...]]) -> Path:
    """``rows``: (run_id, ts, host, scope, old_state, new_state, reset_timeout_s)."""
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE breaker_transitions (run_id TEXT, ts, host TEXT, scope TEXT, "
        "old_state TEXT, new_state TEXT, reset_timeout_s REAL)"
    )
    con.executemany("INSERT INTO breaker_transitions VALUES (?, ?, ?, ?, ?, ?, ?)", list(rows))
    con.commit()
    con.close()
    return path


HTTP_COLUMNS = (
    "run_id", "ts", "host", "role", "method", "status", "url_hash", "from_cache", "retry_count",
    "retry_after_s", "rate_delay_ms", "breaker_state", "breaker_recorded", "elapsed_ms", "error",
)  # fmt: skip


def http_events(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """``rows``: dicts with any of ``HTTP_COLUMNS`` (missing ones are NULL)."""
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE http_events ({', '.join(HTTP_COLUMNS)})")
    con.executemany(
        f"INSERT INTO http_events VALUES ({', '.join('?' for _ in HTTP_COLUMNS)})",
        [tuple(r.get(c) for c in HTTP_COLUMNS) for r in rows],
    )
    con.commit()
    con.close()
    return path


def state_transitions(path: Path, rows: Iterable[tuple[Any, ...]]) -> Path:
    """``rows``: (host, old_state, new_state, open_ts, close_ts)."""
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE breaker_state_transitions "
        "(host TEXT, old_state TEXT, new_state TEXT, open_ts, close_ts)"
    )
    con.executemany("INSERT INTO breaker_state_transitions VALUES (?, ?, ?, ?, ?)", list(rows))
    con.commit()
    con.close()
    return path


def change(ts: float, host: str, old: str, new: str, **extra: Any) -> tuple:
    """A breaker_events state_change row."""
    return (ts, host, "state_change", {"old_state": old, "new_state": new, **extra})


def call(ts: float, host: str, outcome: str, state: str = "closed", **extra: Any) -> tuple:
    """A breaker_events call row (success / failure / rejected)."""
    return (ts, host, outcome, {"state": state, **extra})
