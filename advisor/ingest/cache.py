"""The incremental cache of ``breaker-advise --cache``: normalised events kept up to date
from the sources, and analysis results stored by key.

The cache is a DuckDB file with the history store's tables (``advisor.ingest.store``)
attached as ``hist``: each run ingests only the rows beyond the watermarks, with the
nightly job's replacement and pruning detection (``advisor.ingest.incremental``), keeps
the bad rows so that every analysis counts and names them as a fresh read does, and
drops events older than ``keep_days`` before the newest one. ``generation`` moves
whenever the stored rows change. Results are opaque JSON by key: the pipeline decides
the keys (everything a result depends on) and when to use them.

One process at a time: a run holds ``<cache>.lock`` (as the nightly store's lock);
another waits ``lock_wait_s`` and then goes without the cache. A damaged cache file
is deleted and built again. Either is said in ``Cache.notes`` (stderr, never the JSON).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache as once
from pathlib import Path
from typing import Any

import duckdb

from advisor import queries
from advisor.errors import StoreError, UsageError, first_line
from advisor.ingest.database import connect, quote_identifier, sql_literal
from advisor.ingest.events import collect_problems, finalize_events
from advisor.ingest.incremental import stage_new_rows, write_ingest
from advisor.ingest.store import ALIAS, SCHEMA_VERSION, check_schema, lock_path, store_lock

__all__ = ["Cache", "lock_path"]
from advisor.limits import MAX_RETENTION_DAYS
from advisor.model import Source
from advisor.resources import queries_dir
from advisor.version import __version__

SUFFIX = ".duckdb"  # source discovery (*.sqlite3, *.sqlite, *.db) never picks it up
DEFAULT_KEEP_DAYS = 14
MAX_KEEP_DAYS = MAX_RETENTION_DAYS
SINCE_EVER = datetime.min.replace(tzinfo=UTC)  # the cache keeps rows of any time
KEEP_RESULTS = 5000  # stored results kept (a few KB each), the most recently used
# DuckDB errors that mean the file is damaged (not a bug in a query): the run goes on
# uncached and the file is built again next time
DAMAGE = (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException)
ENV_CACHE = "BREAKER_ADVISOR_CACHE"  # read by the CLI option


@dataclass
class Cache:
    """Where the cache lives and how long it keeps events; ``notes`` collects what the
    caller should say on stderr (the cache was busy or rebuilt)."""

    path: Path
    keep_days: int | None = DEFAULT_KEEP_DAYS  # None: the default
    lock_wait_s: float = 3.0
    # reuse a stored whole analysis (its connection then holds no relations: off for the
    # HTML report and the notebook views, which query them; per-host results still are)
    reuse_analysis: bool = True
    notes: list[str] = field(default_factory=list)
    damaged: bool = False  # found damaged while in use: deleted when released

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.keep_days is None:
            self.keep_days = DEFAULT_KEEP_DAYS
        if self.path.suffix != SUFFIX:
            raise UsageError(
                f"--cache {self.path}: expected a file name ending in {SUFFIX} (never read "
                "as a manifest)"
            )
        if not 1 <= self.keep_days <= MAX_KEEP_DAYS:
            raise UsageError(
                f"--cache-keep-days: expected a whole number of days from 1 to "
                f"{MAX_KEEP_DAYS:,}, got {self.keep_days!r}"
            )


@dataclass
class Refreshed:
    """This run's sources (counts and warnings not yet filled) and the cache's state."""

    sources: list[Source]
    generation: int
    new_events: int


@once
def code_version() -> str:
    """A digest of the package's code and queries: results of other code never match."""
    digest = hashlib.sha256(f"{__version__} duckdb {duckdb.__version__}".encode())
    package = Path(__file__).resolve().parent.parent
    files = [*package.rglob("*.py"), *package.rglob("*.yaml"), *queries_dir().rglob("*.sql")]
    for path in sorted(files):
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """A key for ``parts`` (by their ``repr``: plain data, dataclasses) and the code version."""
    return hashlib.sha256(repr([code_version(), *parts]).encode()).hexdigest()


@contextlib.contextmanager
def opened(
    cache: Cache, sources: Sequence[str | Path]
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """An in-memory connection with the cache attached as ``hist``, under its lock; None
    (and a note) when another process holds the lock or the cache cannot be used. The
    cache is detached (and the lock released) on leaving; the connection stays open.

    Raises:
        UsageError: the cache is one of the sources (or its lock, or WAL), or an
            existing DuckDB file that is not a breaker-advisor cache.
    """
    _refuse_sources(cache.path, sources)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store_lock(cache.path, cache.lock_wait_s))
        except StoreError as exc:
            cache.notes.append(f"cache {cache.path} not used ({_reason(exc)}); read uncached")
            yield None
            return
        con = _attach(cache)
        if con is None:
            yield None
            return
        try:
            yield con
        finally:  # the connection lives on (the analysis's relations are in memory)
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {ALIAS}")
            if cache.damaged:  # still under the lock
                _delete(cache.path)


def _reason(exc: StoreError) -> str:
    text = str(exc)
    return "in use by another process" if "locked by another" in text else text


def _refuse_sources(path: Path, sources: Sequence[str | Path]) -> None:
    """The cache, its lock and its WAL are never a source (nor written over one)."""
    own = [path, lock_path(path), path.with_name(path.name + ".wal")]
    for given in sources:
        candidate = Path(given)
        for target in own:
            same = candidate.exists() and target.exists() and os.path.samefile(candidate, target)
            if same or candidate.resolve() == target.resolve():
                raise UsageError(f"--cache {path}: it is the source {given}; use another file")


def _attach(cache: Cache) -> duckdb.DuckDBPyConnection | None:
    """The cache attached (created when missing; rebuilt once when damaged)."""
    for attempt in (1, 2):
        con = connect()
        try:
            _open_schema(con, cache.path)
            return con
        except (duckdb.Error, StoreError) as exc:
            con.close()
            if attempt == 2:
                cache.notes.append(
                    f"cache {cache.path} unusable ({first_line(exc)}); read uncached"
                )
                return None
            cache.notes.append(f"cache {cache.path} was damaged ({first_line(exc)}); built again")
            _delete(cache.path)
        except UsageError:
            con.close()
            raise
    return None  # pragma: no cover (the loop returns)


def _delete(path: Path) -> None:
    for damaged in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            damaged.unlink()


def _open_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"ATTACH {sql_literal(str(path))} AS {quote_identifier(ALIAS)}")
    tables = con.execute(queries.load("nightly/store_tables"), {"alias": ALIAS}).fetchall()
    if tables:
        kind = None
        with contextlib.suppress(duckdb.CatalogException):
            kind = con.execute(queries.load("cache/kind")).fetchall()[0][0]
        if kind != "cache":
            raise UsageError(
                f"--cache {path}: an existing DuckDB file that is not a breaker-advisor "
                "cache (never written as one); use another file"
            )
    con.execute("BEGIN")
    queries.run_script(con, "nightly/schema", {"version": SCHEMA_VERSION})
    queries.run_script(con, "cache/schema", {})
    con.execute("COMMIT")
    check_schema(con, path)


def refresh(
    con: duckdb.DuckDBPyConnection,
    cache: Cache,
    sources: Sequence[str | Path],
    not_after: datetime,
) -> Refreshed:
    """Bring the cache up to date with ``sources``: read the rows beyond the watermarks
    (tables replaced are read again), keep them and their bad rows, drop events older
    than ``keep_days`` before the newest credible one (at most ``not_after``), in one
    transaction.

    Raises:
        NoSourcesError: nothing matched ``sources``.
    """
    ingest = stage_new_rows(con, sources, SINCE_EVER, None, keep_problems=True)
    cache.notes.extend(f"cache: {note}" for note in ingest.notes)
    generation = int(_meta(con, "generation") or 0)
    bad_rows = con.execute("SELECT count(*) FROM new_problems").fetchall()[0][0]
    con.execute("BEGIN")
    try:
        write_ingest(con, ingest)
        queries.run_script(con, "cache/write_problems", {})
        newest = con.execute(queries.load("cache/newest"), {"not_after": not_after}).fetchall()
        before = _stored(con)
        if newest[0][0] is not None:
            now, keep_days = datetime.now(UTC), cache.keep_days or DEFAULT_KEEP_DAYS
            queries.run_script(
                con,
                "cache/prune",
                {
                    "keep_from": newest[0][0] - timedelta(days=keep_days),
                    "results_from": now - timedelta(days=keep_days),
                    "keep_results": KEEP_RESULTS,
                },
            )
        if ingest.new_events or bad_rows or ingest.replaced or _stored(con) != before:
            generation += 1
            con.execute(
                queries.load("cache/set_meta"), {"key": "generation", "value": str(generation)}
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    for table in ("new_rows", "replaced", "new_problems"):
        con.execute(f"DROP TABLE {table}")
    return Refreshed(ingest.sources, generation, ingest.new_events)


def _stored(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM hist.events").fetchall()[0][0])


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute(queries.load("cache/meta"), {"key": key}).fetchall()
    return rows[0][0] if rows else None


def _wanted(sources: list[Source]) -> dict[str, list[str]]:
    pairs = [(s.path, t) for s in sources if s.readable for t in s.tables]
    return {"sources": [p for p, _ in pairs], "tables": [t for _, t in pairs]}


def window_state(
    con: duckdb.DuckDBPyConnection, sources: list[Source], not_after: datetime
) -> tuple[datetime | None, int]:
    """The newest credible cached event of ``sources`` (at most ``not_after``) and how
    many of their cached events lie after ``not_after``."""
    row = con.execute(
        queries.load("cache/window_state"), {**_wanted(sources), "not_after": not_after}
    ).fetchall()[0]
    return row[0], int(row[1])


def load_events(con: duckdb.DuckDBPyConnection, sources: list[Source], not_after: datetime) -> None:
    """Fill ``events`` from the cache as ``advisor.ingest.events.load_events`` does from
    the sources: the same rows, bad rows counted and named, copies dropped, half-open
    trials repaired (``not_after``: later rows are bad rows)."""
    con.execute("DROP TABLE IF EXISTS event_rows")
    con.execute(queries.load("cache/load_events"), _wanted(sources))
    by_path = {s.path: s for s in sources}
    collect_problems(con, by_path, not_after)
    finalize_events(con, by_path)


def host_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per host, a digest of all of its rows in ``events`` (a key part of its results)."""
    return dict(con.execute(queries.load("cache/host_digests")).fetchall())


def result(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    """The result stored under ``key`` (decoded JSON), or None."""
    rows = con.execute(queries.load("cache/result"), {"key": key}).fetchall()
    if not rows:
        return None
    con.execute(
        queries.load("cache/save_result"),
        {"key": key, "value": rows[0][0], "used_at": datetime.now(UTC)},
    )
    return json.loads(rows[0][0])


def save_result(con: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
    """Store ``value`` (JSON-able) under ``key``."""
    con.execute(
        queries.load("cache/save_result"),
        {"key": key, "value": json.dumps(value, allow_nan=False), "used_at": datetime.now(UTC)},
    )
