"""Read every attached source table once into the normalised ``events`` relation.

Each table is scanned by the events query of its layout into ``event_rows`` (one
worker per core, each file by one worker); rows that cannot be normalised carry a
``problem``, become per-source warnings and are deleted. Copies of one event in
several sources are then dropped and half-open trials logged as ``closed``
repaired (DESIGN.md); ``events`` is the view downstream queries read.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import duckdb

from advisor import queries
from advisor.errors import AdvisorError, first_line
from advisor.ingest.database import quote_identifier
from advisor.ingest.layouts import JSONL_LAYOUT, NATIVE_COLUMNS, layout_named
from advisor.ingest.sources import has_numeric_affinity
from advisor.limits import LATEST
from advisor.model import Source
from advisor.window import parse_until

MAX_PROBLEM_LINES = 10
log = logging.getLogger(__name__)  # -vv: rows read and skipped per source


def create_schema(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Macros, ENUM types over this run's files and tables, and the empty tables."""
    con.execute(queries.load("events/macros"))
    # When every source is unreadable there is no table name, and an ENUM needs a value:
    # an unused '' keeps the schema valid (and the run ends with the exit-1 message).
    tables = sorted({t for s in sources for t in s.tables}) or [""]
    queries.run_script(
        con, "events/schema", {"sources": [s.path for s in sources], "tables": tables}
    )


def source_view(
    source: Source,
    table: str,
    *,
    as_text: bool = False,
    where: str = "",
    validate: bool = False,
) -> str:
    """``source_rows``: the table's columns its layout reads, missing ones as NULL, plus
    ``text_problem`` naming the first text column that is not valid UTF-8.

    DuckDB's sqlite scanner hands SQLite text over without checking its encoding, and
    string functions on invalid UTF-8 fail or never return (``trim`` on one such host
    spins forever). So every text value passes ``decode`` before anything else sees it:
    ``decode(encode(x))`` checks the bytes (``encode`` only relabels them; a column of
    undeclared type arrives as BLOB and is decoded directly). Unchecked (the default)
    an invalid value makes the scan fail; ``validate`` wraps each in ``TRY`` (NULL when
    invalid) and ``text_problem`` names it, making the row a bad row (``TRY`` costs ~25 %
    of the scan, so ``stage_rows`` uses it only for a table whose plain scan failed).
    ``as_text``: the scan runs with ``sqlite_all_varchar`` (every column is text);
    ``where``: a condition on the source table (``rowid`` ranges).
    """
    present = source.columns[table]
    inner, outer, checks = [], [], []
    for col in layout_named(source.tables[table]).columns:
        if col not in present:
            outer.append(f"NULL AS {col}")
            continue
        if col in NATIVE_COLUMNS and has_numeric_affinity(present[col]) and not as_text:
            inner.append(f"{quote_identifier(col)} AS {col}")
            outer.append(col)
            continue
        if not as_text and source.scan_types.get(table, {}).get(col) == "BLOB":
            inner.append(f"{quote_identifier(col)} AS raw_{col}")
            decoded = f"decode(raw_{col})"
        else:
            inner.append(f"CAST({quote_identifier(col)} AS VARCHAR) AS raw_{col}")
            decoded = f"decode(encode(raw_{col}))"
        outer.append(f"TRY({decoded}) AS {col}" if validate else f"{decoded} AS {col}")
        checks.append(f"WHEN raw_{col} IS NOT NULL AND {col} IS NULL")
        checks.append(f"THEN '{col} is not valid UTF-8'")
    text_problem = f"CASE {' '.join(checks)} END" if checks and validate else "NULL::VARCHAR"
    return (
        f"CREATE OR REPLACE TEMP VIEW source_rows AS SELECT src_rowid, {', '.join(outer)}, "
        f"{text_problem} AS text_problem FROM (SELECT rowid AS src_rowid, "
        f"{', '.join(inner) or 'NULL AS _none'} "
        f"FROM {quote_identifier(source.alias)}.{quote_identifier(table)}"
        f"{' WHERE ' + where if where else ''})"
    )


def stage_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    table: str,
    *,
    as_text: bool = False,
    where: str = "",
) -> None:
    """Normalise one source table (the rows ``where`` selects) into ``event_rows``.

    Scanned unchecked first; when that fails (text that is not valid UTF-8 fails in
    ``decode``; an error message quoting such bytes cannot even be decoded by Python),
    the table is scanned again with every text value validated, so those rows become
    bad rows. A failed statement inserts nothing.

    Raises:
        duckdb.TypeMismatchException: a column holds values of another type than declared
            (re-read ``as_text``); other ``duckdb.Error``: the table cannot be read.
    """
    query = "INSERT INTO event_rows BY NAME " + queries.load(
        layout_named(source.tables[table]).query
    )
    params = {"source": source.path, "table": table}
    try:
        con.execute(source_view(source, table, as_text=as_text, where=where))
        con.execute(query, params)
    except duckdb.TypeMismatchException:
        raise
    except (duckdb.Error, UnicodeDecodeError):
        con.execute(source_view(source, table, as_text=as_text, where=where, validate=True))
        con.execute(query, params)


def fail_source(
    con: duckdb.DuckDBPyConnection, source: Source, table: str, exc: BaseException
) -> None:
    """Mark ``source`` unreadable because of ``table`` and drop the rows it staged.

    Running out of memory is not the source's fault: it is raised again (exit 4)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        raise exc
    source.error = f"table {table}: {first_line(exc)}"
    con.execute(queries.load("events/drop_source_rows"), {"source": source.path})


@contextlib.contextmanager
def text_scan(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Scan sources with ``sqlite_all_varchar`` (every column read as text) meanwhile.
    The setting is the connection's: no other scan may run on it at the same time."""
    con.execute("SET sqlite_all_varchar = true")
    try:
        yield
    finally:
        con.execute("SET sqlite_all_varchar = false")


def stage_as_text(
    con: duckdb.DuckDBPyConnection, source: Source, table: str, where: str = ""
) -> None:
    """Re-read a table whose columns mix types as text (inside ``text_scan``); a failure
    marks the source unreadable."""
    try:
        stage_rows(con, source, table, as_text=True, where=where)
    except (duckdb.Error, UnicodeDecodeError) as exc:
        fail_source(con, source, table, exc)


def stage_table(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    table: str,
    *,
    where: str = "",
    defer_text: bool = False,
) -> bool:
    """Stage one source table (the rows ``where`` selects) into ``event_rows``: the
    analysis and the incremental store ingest both read tables through here.

    A table whose values do not match their declared types (or whose invalid UTF-8
    spoils even DuckDB's message about them) is read again as text, at once or, with
    ``defer_text`` (parallel scans, which must not switch the connection to text),
    by the caller through ``text_scan`` and ``stage_as_text``. Any other failure marks
    the source unreadable.

    Returns:
        Whether the table is left to be re-read as text (only with ``defer_text``).
    """
    try:
        stage_rows(con, source, table, where=where)
    except (duckdb.TypeMismatchException, UnicodeDecodeError):
        if defer_text:
            return True
        with text_scan(con):
            stage_as_text(con, source, table, where)
    except duckdb.Error as exc:
        fail_source(con, source, table, exc)
    return False


def _stage_source(con: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    """Stage every table of one source; returns the tables to re-read as text. A
    failure marks the source unreadable and stops there."""
    mixed = []
    for table in source.tables:
        if stage_table(con, source, table, defer_text=True):
            mixed.append(table)
        if not source.readable:
            return []
    return mixed


def stage_sources(
    con: duckdb.DuckDBPyConnection, sources: list[Source], workers: int | None = None
) -> None:
    """Scan each table of each readable source into ``event_rows``, in parallel."""
    readable = [s for s in sources if s.readable]
    workers = max(1, min(workers or os.cpu_count() or 1, len(readable)))
    cursors = [con.cursor() for _ in range(workers)]
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    if workers > 1:  # one thread per file scan: more only contend (measured ~2x slower)
        con.execute("SET threads = 1")
    try:
        with ThreadPoolExecutor(workers) as pool:
            mixed = list(
                pool.map(
                    lambda i: [(s, _stage_source(cursors[i], s)) for s in readable[i::workers]],
                    range(workers),
                )
            )
    finally:
        con.execute(f"SET threads = {int(threads)}")
        for cursor in cursors:
            cursor.close()
    retry = [(s, t) for chunk in mixed for s, tables in chunk for t in tables]
    if retry:
        try:
            with text_scan(con):
                for source, table in retry:
                    if source.readable:
                        stage_as_text(con, source, table)
        finally:
            con.execute("DROP VIEW IF EXISTS source_rows")


FUTURE_SLACK = timedelta(days=1)


def analysis_horizon(until: str | float | datetime | None = "now") -> datetime:
    """The latest credible event time: a day after the analysis time, the later of the
    wall clock and ``until`` (``now`` / ``latest``: the wall clock). An ``until`` the
    window check will refuse gives the end of the supported range (``LATEST``): the
    usage error is reported when the window is made.
    """
    wall = datetime.now(UTC)
    if until is None or (isinstance(until, str) and until.strip().lower() in ("now", "latest")):
        return min(wall + FUTURE_SLACK, LATEST)
    try:
        explicit = parse_until(until, None)
    except (AdvisorError, OverflowError, ValueError, OSError):  # reported when the window is made
        return LATEST
    return min(max(wall, explicit) + FUTURE_SLACK, LATEST)


def flag_future_rows(con: duckdb.DuckDBPyConnection, not_after: datetime | None) -> None:
    """Mark staged rows at an infinite time, after ``not_after``, or after the supported
    range (``LATEST``; also when ``not_after`` is None) as bad rows."""
    con.execute(
        queries.load("events/flag_future_rows"),
        {"not_after": not_after or LATEST, "latest": LATEST},
    )


def collect_problems(
    con: duckdb.DuckDBPyConnection, by_path: dict[str, Source], not_after: datetime | None = None
) -> None:
    """Per-source counts of rows read and skipped, and warnings naming the bad rows (also
    rows at an infinite time or later than ``not_after``), which are then deleted."""
    flag_future_rows(con, not_after)
    for path, read, skipped in con.execute(queries.load("events/source_counts")).fetchall():
        by_path[path].events = read
        by_path[path].skipped = skipped
        log.debug("%s: %d event row(s) read, %d bad row(s) skipped", path, read, skipped)
    shown: dict[str, int] = {}
    for path, table, problem, count, rowids in con.execute(
        queries.load("events/problems")
    ).fetchall():
        shown[path] = shown.get(path, 0) + 1
        if shown[path] <= MAX_PROBLEM_LINES:
            examples = ", ".join(str(r) for r in rowids)
            if by_path[path].tables.get(table) == JSONL_LAYOUT.name:  # numbered lines
                by_path[path].warnings.append(
                    f"{count} line(s) skipped: {problem} (line {examples})"
                )
                continue
            by_path[path].warnings.append(
                f"table {table}: {count} row(s) skipped: {problem} (rowid {examples})"
            )
    con.execute(queries.load("events/drop_bad_rows"))


def _warn_duplicates(con: duckdb.DuckDBPyConnection, by_path: dict[str, Source]) -> None:
    dropped = dict(con.execute(queries.load("events/duplicate_counts")).fetchall())
    for path, count in dropped.items():
        source = by_path.get(path)
        if source is None:
            continue
        if count == source.events:
            source.warnings.append(
                f"duplicate of another source: all {count} events are also in another file"
                " and are counted once"
            )
        else:
            source.warnings.append(
                f"{count} of {source.events} events are also in another file and are counted once"
            )


def finalize_events(con: duckdb.DuckDBPyConnection, by_path: dict[str, Source]) -> None:
    """Drop copies of events found in several sources (warning the sources in
    ``by_path``), flag half-open trials logged as ``closed`` and create the ``events`` view."""
    con.execute(queries.load("events/duplicates"))
    con.execute(queries.load("events/half_open_fix"))
    _warn_duplicates(con, by_path)
    queries.run_script(con, "events/apply_fixes", {})
    con.execute(queries.load("events/view"))


def load_events(
    con: duckdb.DuckDBPyConnection, sources: list[Source], not_after: datetime | None = None
) -> None:
    """Fill ``events`` from every readable source and record counts and warnings; rows
    after ``not_after`` (see ``analysis_horizon``) are bad rows."""
    create_schema(con, sources)
    stage_sources(con, sources)
    by_path = {s.path: s for s in sources}
    collect_problems(con, by_path, not_after)
    finalize_events(con, by_path)
