"""Append breaker telemetry to a manifest's ``breaker_events`` table (the seed's layout).

Events are buffered and written in batches, one ``BEGIN IMMEDIATE`` transaction each,
into a SQLite file in WAL mode. Several threads may share one writer and several
processes may write one file: SQLite's busy timeout waits for the write lock and a
batch that still meets ``SQLITE_BUSY`` is retried with backoff. What is buffered is
written by ``flush()``, by ``close()`` (also the context manager's exit), at
interpreter exit, and every ``flush_interval_s`` by a background thread.

``seed_compatible=True`` writes the file the deployment guide's monitoring SQL expects:
``ts`` as Julian days, states upper-case (``OPEN``, ``HALF_OPEN``) and a
``breaker_state_transitions`` VIEW over the events (``open_ts``/``close_ts`` in epoch
seconds). The advisor reads either form; it reads the view's events once (from the table).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from advisor.errors import ManifestSchemaError, TelemetryError, UsageError
from advisor.telemetry._sqlite import connect, in_transaction, is_busy, retry_busy

log = logging.getLogger(__name__)

TABLE = "breaker_events"
COLUMNS = (
    ("id", "INTEGER", 1),
    ("ts", "REAL", 0),
    ("host", "TEXT", 0),
    ("event_type", "TEXT", 0),
    ("details", "TEXT", 0),
)
EVENT_TYPES = frozenset({"state_change", "success", "failure", "rejected", "neutral"})
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id INTEGER PRIMARY KEY, ts REAL, host TEXT, event_type TEXT, details TEXT)"
)
INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_ts_host ON {TABLE} (ts, host)"
INSERT = f"INSERT INTO {TABLE} (ts, host, event_type, details) VALUES (?, ?, ?, ?)"

VIEW = "breaker_state_transitions"
JULIAN_EPOCH = 2440587.5
"""The Julian day of 1970-01-01T00:00:00Z: Julian days = epoch seconds / 86400 + this."""
_EPOCH_S = (
    f"(CASE WHEN ts BETWEEN 2000000 AND 3000000 THEN (ts - {JULIAN_EPOCH}) * 86400.0 ELSE ts END)"
)
# One row per stay of a breaker (host, or host and role) in old_state: entered at open_ts
# (the breaker's previous transition; NULL for its first), left for new_state at close_ts.
VIEW_SQL = f"""CREATE VIEW IF NOT EXISTS {VIEW} AS
SELECT id, host, role, scope, old_state, new_state,
       lag(epoch_s) OVER (PARTITION BY host, coalesce(role, '') ORDER BY ts, id) AS open_ts,
       epoch_s AS close_ts
FROM (
    SELECT id, ts, host, {_EPOCH_S} AS epoch_s,
           json_extract(details, '$.role') AS role,
           coalesce(json_extract(details, '$.scope'), 'host') AS scope,
           upper(json_extract(details, '$.old_state')) AS old_state,
           upper(json_extract(details, '$.new_state')) AS new_state
    FROM {TABLE}
    WHERE event_type = 'state_change' AND json_valid(details)
)"""

Row = tuple[float, str, str, str]
_MAX_DEFERRED_BATCHES = 8  # a due batch waits for a locked file only past this many batches

encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
"""Compact JSON text of a value (the encoding every ``details`` column uses); a NaN or
infinity raises ``ValueError`` (it is not JSON: callers drop such values first)."""

MAX_SECONDS = 30 * 86400.0
"""A Retry-After (or other duration) longer than this is not a real value: dropped."""


def is_finite_number(value: object) -> bool:
    """False for a float NaN or infinity; True for anything else."""
    return not isinstance(value, float) or math.isfinite(value)


def finite_details(details: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``details`` without None values and without non-finite numbers, and the keys of
    the numbers dropped (the producer never writes NaN or infinity)."""
    kept = {k: v for k, v in details.items() if v is not None and is_finite_number(v)}
    dropped = [k for k, v in details.items() if v is not None and k not in kept]
    return kept, dropped


_LIVE: set[ManifestWriter] = set()  # open writers, closed at exit (kept alive until then)


class ManifestWriter:
    """Buffered, thread- and process-safe writer of ``breaker_events`` rows.

    Args:
        path: manifest file; created (with its folder) when missing.
        run_id: put in every row's ``details``; a fresh id when None.
        batch_size: buffered events that trigger a write.
        flush_interval_s: buffered events are written at least this often; None: only on
            ``batch_size``, ``flush()`` and ``close()``.
        busy_timeout_s: how long one write waits for other writers before giving up.
        seed_compatible: write as the deployment guide's SQL reads (module docstring):
            Julian-day ``ts``, upper-case states, the ``breaker_state_transitions`` view.
        bulk_load: for a throwaway file filled in one go (the simulator's output), never a
            runtime's manifest: this connection writes with ``PRAGMA synchronous=OFF`` (a
            crash of the process does no harm; an OS crash or power loss may corrupt the
            file), and the ``(ts, host)`` index is not created (the advisor reads whole
            tables; a writer opened later without ``bulk_load`` creates it; one that
            exists is kept up to date).

    Raises:
        ManifestSchemaError: the file is not SQLite, has a ``breaker_events`` table of
            another shape, or (``seed_compatible``) a ``breaker_state_transitions`` table.
        TelemetryError: the file cannot be opened or stays locked.
    """

    _con: sqlite3.Connection | None  # None: closed, or not opened yet in this process

    def __init__(
        self,
        path: str | os.PathLike[str],
        run_id: str | None = None,
        *,
        batch_size: int = 500,
        flush_interval_s: float | None = 1.0,
        busy_timeout_s: float = 30.0,
        bulk_load: bool = False,
        seed_compatible: bool = False,
    ) -> None:
        if batch_size < 1:
            raise UsageError(f"batch_size must be at least 1, got {batch_size}")
        self.path = Path(path)
        self.run_id = run_id or f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self.run_id_json = encode_json(self.run_id)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.busy_timeout_s = busy_timeout_s
        self.bulk_load = bulk_load
        self.seed_compatible = seed_compatible
        self.written = 0
        self.dropped_values: Counter[str] = Counter()  # detail key -> non-finite values dropped
        self._init_state()
        with self._io_lock:
            self._con = self._open()
        _LIVE.add(self)

    def _init_state(self) -> None:
        self._buffer: list[Row] = []
        self._due = self.batch_size  # buffered events that trigger the next write attempt
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._con = None
        self._closed = False
        self._pid = os.getpid()

    # --- recording ------------------------------------------------------------------------

    def record(self, host: str, event_type: str, ts: float | None = None, **details: Any) -> None:
        """Buffer one event; ``details`` (None values dropped) plus ``run_id`` become JSON.

        A NaN or infinite number in ``details`` is not written (it is not JSON, and no
        reader could use it): the key is dropped, counted in ``dropped_values`` and logged.

        Raises:
            UsageError: unknown ``event_type``, or ``ts`` not a finite number.
            TelemetryError: the writer is closed, or a due batch could not be written (its
                events stay buffered).
        """
        if event_type not in EVENT_TYPES:
            known = ", ".join(sorted(EVENT_TYPES))
            raise UsageError(f"unknown event_type {event_type!r}; expected one of {known}")
        if ts is not None and not (isinstance(ts, int | float) and math.isfinite(ts)):
            raise UsageError(f"ts must be a finite number of epoch seconds, got {ts!r}")
        payload, dropped = finite_details(details)
        for key in dropped:
            self.note_dropped(host, key, details[key])
        payload["run_id"] = self.run_id
        self.record_encoded(
            time.time() if ts is None else ts, host, event_type, encode_json(payload)
        )

    def record_encoded(self, ts: float, host: str, event_type: str, details_json: str) -> None:
        """Buffer one event whose ``details`` is already JSON text (fast path).

        The caller's JSON must carry ``run_id`` (``run_id_json`` is its encoding) and spell
        states with ``state_label``; ``ts`` is epoch seconds (stored as Julian days when
        ``seed_compatible``).
        """
        if self.seed_compatible:
            ts = ts / 86400.0 + JULIAN_EPOCH
        lock = self._lock
        lock.acquire()  # once per event: explicit calls cost half of a `with` block
        try:
            if self._closed:
                raise TelemetryError(f"{self.path}: telemetry writer is closed")
            buffer = self._buffer
            buffer.append((ts, host, event_type, details_json))
            size = len(buffer)
        finally:
            lock.release()
        if size >= self._due:
            # never wait for another process's write lock while a few batches fit in memory
            self._flush(block=size >= self.batch_size * _MAX_DEFERRED_BATCHES)
        elif self._flusher is None and self.flush_interval_s is not None:
            self._start_flusher()

    def note_dropped(self, host: str, key: str, value: object) -> None:
        """Count a detail value that was not written (non-finite, or an absurd duration);
        the first of each key is logged as a warning."""
        with self._lock:
            self.dropped_values[key] += 1
            first = self.dropped_values[key] == 1
        if first:
            log.warning(
                "%s: %s %r for %s not written (not a finite, plausible number); further "
                "ones are counted in dropped_values",
                self.path,
                key,
                value,
                host,
            )

    def state_label(self, state: str | None) -> str | None:
        """How a state (``closed``, ``open``, ``half_open``) is written: as given, or
        upper-case (``HALF_OPEN``) when ``seed_compatible`` (the guide's SQL matches that)."""
        return state.upper() if self.seed_compatible and state else state

    @property
    def pending(self) -> int:
        """Events buffered and not yet written."""
        return len(self._buffer)

    # --- writing --------------------------------------------------------------------------

    def flush(self, limit: int | None = None) -> int:
        """Write every buffered event (or the oldest ``limit``) in one transaction.

        Returns:
            How many events were written.

        Raises:
            TelemetryError: the write failed; the events stay buffered for the next try.
        """
        return self._flush(block=True, limit=limit)

    def _flush(self, block: bool, limit: int | None = None) -> int:
        """Write the buffer (its oldest ``limit`` events); when not ``block``, give up at once
        if the file is locked."""
        if not self._io_lock.acquire(blocking=block):
            return 0
        try:
            with self._lock:
                buffer = self._buffer
                if limit is None or limit >= len(buffer):
                    batch, self._buffer = buffer, []
                else:
                    cut = max(0, limit)
                    batch, self._buffer = buffer[:cut], buffer[cut:]
            if not batch:
                return 0
            try:
                done = self._write(batch, block)
            except BaseException:
                self._requeue(batch)
                raise
            if not done:
                self._requeue(batch)
                self._due = len(batch) + max(1, self.batch_size // 4)  # try again a bit later
                return 0
            self._due = self.batch_size
            self.written += len(batch)
            return len(batch)
        finally:
            self._io_lock.release()

    def _requeue(self, batch: list[Row]) -> None:
        with self._lock:
            self._buffer[:0] = batch

    def close(self) -> None:
        """Write what is buffered, stop the flush thread and close the file (idempotent).

        Raises:
            TelemetryError: the last batch could not be written.
        """
        with self._lock:
            if self._closed:
                return
        self._stop.set()
        flusher = self._flusher
        if flusher is not None and flusher is not threading.current_thread():
            flusher.join()
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True
            with self._io_lock:
                if self._con is not None:
                    self._con.close()
                    self._con = None
            _LIVE.discard(self)

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ManifestWriter({str(self.path)!r}, run_id={self.run_id!r})"

    # --- internals ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = self._open()
        return self._con

    def _open(self) -> sqlite3.Connection:
        con = connect(self.path, 0.0, "manifest")  # waiting for the lock: retry_busy
        try:
            retry_busy(
                lambda: _prepare(con, self.path, self.bulk_load, self.seed_compatible),
                self.path,
                self.busy_timeout_s,
            )
        except BaseException:
            con.close()
            raise
        return con

    def _write(self, batch: list[Row], block: bool = True) -> bool:
        """Insert ``batch`` in one transaction; False when not ``block`` and the file is locked."""
        con = self._connection()

        def attempt() -> None:
            in_transaction(con, lambda: con.executemany(INSERT, batch))

        if block:
            retry_busy(attempt, self.path, self.busy_timeout_s)
            return True
        try:
            attempt()
        except sqlite3.Error as exc:
            if is_busy(exc):
                return False
            raise TelemetryError(f"{self.path}: {exc}") from None
        return True

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None or self._closed:
                return
            self._flusher = threading.Thread(
                target=self._flush_loop, name=f"telemetry-flush {self.path.name}", daemon=True
            )
        self._flusher.start()

    def _flush_loop(self) -> None:
        interval = self.flush_interval_s or 1.0
        while not self._stop.wait(interval):
            try:
                self.flush()
            except TelemetryError as exc:
                log.warning("%s", exc)

    def _after_fork_in_child(self) -> None:
        # The parent's buffered events are the parent's to write; its connection must not
        # be used here (nor closed: keep it referenced so it is never finalised).
        self._orphan = self._con
        self._init_state()


def _prepare(
    con: sqlite3.Connection, path: Path, bulk_load: bool = False, seed_compatible: bool = False
) -> None:
    """WAL mode, then the table and index created or the existing table's shape checked.

    ``bulk_load``: no fsync on this connection, and no index; ``seed_compatible``: the
    ``breaker_state_transitions`` view too (see ``ManifestWriter``).
    """

    def create_or_check() -> None:
        columns = [
            (row[1].lower(), row[2].upper(), row[5])
            for row in con.execute(f"PRAGMA table_info({TABLE})")
        ]
        if columns and columns != list(COLUMNS):
            found = ", ".join(f"{name} {kind or '(no type)'}" for name, kind, _ in columns)
            raise ManifestSchemaError(
                f"{path}: table {TABLE} has columns ({found}); the telemetry writer needs "
                "(id INTEGER PRIMARY KEY, ts REAL, host TEXT, event_type TEXT, details TEXT); "
                "write to another manifest file"
            )
        con.execute(SCHEMA)
        if not bulk_load:
            con.execute(INDEX)
        if seed_compatible:
            kind = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (VIEW,)).fetchone()
            if kind is not None and kind[0] != "view":
                raise ManifestSchemaError(
                    f"{path}: has a {kind[0]} named {VIEW}; seed-compatible mode creates a "
                    "view of that name: write to another manifest file"
                )
            con.execute(VIEW_SQL)

    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={'OFF' if bulk_load else 'NORMAL'}")
        in_transaction(con, create_or_check)
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise
        raise ManifestSchemaError(f"{path}: cannot use as a manifest: {exc}") from None


def _close_all_at_exit() -> None:
    for writer in list(_LIVE):
        try:
            writer.close()
        except TelemetryError as exc:
            log.error("%s", exc)


def _reset_after_fork() -> None:
    for writer in list(_LIVE):
        writer._after_fork_in_child()


atexit.register(_close_all_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
