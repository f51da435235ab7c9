"""``nightly --parquet DIR``: the history as Hive-partitioned Parquet that DuckDB, Spark
or Trino read without this tool.

Layout: ``DIR/events/date=YYYY-MM-DD/part-0.parquet`` (the store's normalised events of
that UTC day) and ``DIR/breaker_daily/date=YYYY-MM-DD/part-0.parquet`` (one row per
breaker of the night: its metrics and current settings). A night's partition is written
by DuckDB's ``COPY ... (FORMAT parquet)`` into ``DIR/.staging/`` and renamed into place,
so a reader sees the old partition or the new one, never half a file; re-running a night
replaces its partitions. Partitions before the store's retention cutoff are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb

from advisor import queries
from advisor.errors import UsageError, first_line
from advisor.model import Analysis, BreakerResult, HostResult
from advisor.nightly.night import night_window

TABLES = ("events", "breaker_daily")
STAGING = ".staging"
FILE = "part-0.parquet"
_PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
SETTINGS = ("fail_max", "reset_timeout_s", "success_threshold", "retry_after_cap_s")
COUNTS = ("calls", "successes", "failures", "rejected", "opens", "episodes", "half_open_trials")
RATES = ("failure_rate", "open_time_s", "active_s", "half_open_success_rate")


def write_parquet(
    con: duckdb.DuckDBPyConnection, root: Path, night: date, analysis: Analysis, cutoff: date
) -> list[Path]:
    """Write ``night``'s partitions under ``root`` and drop those before ``cutoff``;
    returns the partition folders written. ``con`` has the store attached as ``hist``.

    Raises:
        UsageError: ``root`` cannot be written (one line naming it and why).
    """
    staging = root / STAGING
    try:
        shutil.rmtree(staging, ignore_errors=True)  # a crashed run's leftovers (we hold the lock)
        staging.mkdir(parents=True, exist_ok=True)
        window = night_window(night)
        written = [
            _replace(root, "events", night, lambda path: con.execute(
                queries.load("nightly/parquet_events"),
                {"start": window.start, "end": window.start + timedelta(days=1),
                 "path": str(path)},
            )),
            _replace(root, "breaker_daily", night, lambda path: _write_breakers(
                con, analysis, path
            )),
        ]  # fmt: skip
        for table in TABLES:
            prune(root / table, cutoff)
        staging.rmdir()
    except (OSError, duckdb.IOException) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise UsageError(f"cannot write --parquet {root}: {why}") from None
    return written


def _replace(root: Path, table: str, night: date, write: Callable[[Path], object]) -> Path:
    """Write one partition into the staging folder, then rename it into place (the old
    one, if any, is renamed aside first and removed after)."""
    staging = root / STAGING
    fresh = Path(tempfile.mkdtemp(prefix=f"{table}-", dir=staging))
    write(fresh / FILE)
    _fsync(fresh / FILE)
    target = root / table / f"date={night.isoformat()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f"old-{table}-", dir=staging)) / "partition"
        os.rename(target, old)
    os.rename(fresh, target)
    _fsync(target.parent)
    if old is not None:
        shutil.rmtree(old.parent)
    return target


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _breakers(analysis: Analysis) -> list[HostResult | BreakerResult]:
    """Each breaker of the night: a host's own, or each of the breakers it lists."""
    found: list[HostResult | BreakerResult] = []
    for host in analysis.hosts:
        found += host.breakers if host.breakers else [host]
    return found


def _write_breakers(con: duckdb.DuckDBPyConnection, analysis: Analysis, path: Path) -> None:
    con.execute(queries.load("nightly/parquet_breakers_schema"))
    rows = []
    for b in _breakers(analysis):
        m = b.metrics
        rows.append(
            {"host": b.host, "role": b.role if isinstance(b, BreakerResult) else None}
            | {k: m.get(k) for k in COUNTS + RATES}
            | {k: b.current.get(k) for k in SETTINGS}
            | {
                "changes": len(b.changes),
                "metrics": json.dumps(m),
                "current": json.dumps(b.current),
            }
        )
    if rows:
        con.executemany(queries.load("nightly/parquet_breaker_row"), rows)
    con.execute(queries.load("nightly/parquet_breakers"), {"path": str(path)})


def prune(table_dir: Path, cutoff: date) -> list[Path]:
    """Remove the partitions of ``table_dir`` dated before ``cutoff``; returns them."""
    removed: list[Path] = []
    if not table_dir.is_dir():
        return removed
    for entry in sorted(table_dir.iterdir()):
        match = _PARTITION.match(entry.name)
        if match and entry.is_dir() and date.fromisoformat(match.group(1)) < cutoff:
            shutil.rmtree(entry)
            removed.append(entry)
    return removed
