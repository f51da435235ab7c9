"""Read every attached source table once into the normalised ``events`` relation.

Each table is scanned by the events query of its layout into ``event_rows`` (one
worker per core, each file by one worker); rows that cannot be normalised carry a
``problem``, become per-source warnings and are deleted. Copies of one event in
several sources are then dropped and half-open trials logged as ``closed``
repaired (DESIGN.md); ``events`` is the view downstream queries read.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import duckdb

from advisor import queries
from advisor.errors import AdvisorError, first_line
from advisor.ingest.sources import LAYOUTS, NATIVE_COLUMNS, has_numeric_affinity
from advisor.limits import LATEST
from advisor.model import Source
from advisor.window import parse_until

MAX_PROBLEM_LINES = 10


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_schema(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Macros, ENUM types over this run's files and tables, and the empty tables."""
    con.execute(queries.load("events/macros"))
    con.execute("CREATE TABLE source_names (name VARCHAR)")
    con.execute("CREATE TABLE table_names (name VARCHAR)")
    # When every source is unreadable there is no table name, and an ENUM needs a value:
    # an unused '' keeps the schema valid (and the run ends with the exit-1 message).
    tables = sorted({t for s in sources for t in s.tables}) or [""]
    con.execute("INSERT INTO source_names SELECT unnest(?::VARCHAR[])", [[s.path for s in sources]])
    con.execute("INSERT INTO table_names SELECT unnest(?::VARCHAR[])", [tables])
    con.execute(queries.load("events/schema"))


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
    for col in LAYOUTS[source.tables[table]][1]:
        if col not in present:
            outer.append(f"NULL AS {col}")
            continue
        if col in NATIVE_COLUMNS and has_numeric_affinity(present[col]) and not as_text:
            inner.append(f"{_quote_identifier(col)} AS {col}")
            outer.append(col)
            continue
        if not as_text and source.scan_types.get(table, {}).get(col) == "BLOB":
            inner.append(f"{_quote_identifier(col)} AS raw_{col}")
            decoded = f"decode(raw_{col})"
        else:
            inner.append(f"CAST({_quote_identifier(col)} AS VARCHAR) AS raw_{col}")
            decoded = f"decode(encode(raw_{col}))"
        outer.append(f"TRY({decoded}) AS {col}" if validate else f"{decoded} AS {col}")
        checks.append(f"WHEN raw_{col} IS NOT NULL AND {col} IS NULL")
        checks.append(f"THEN '{col} is not valid UTF-8'")
    text_problem = f"CASE {' '.join(checks)} END" if checks and validate else "NULL::VARCHAR"
    return (
        f"CREATE OR REPLACE TEMP VIEW source_rows AS SELECT src_rowid, {', '.join(outer)}, "
        f"{text_problem} AS text_problem FROM (SELECT rowid AS src_rowid, "
        f"{', '.join(inner) or 'NULL AS _none'} "
        f"FROM {source.alias}.{_quote_identifier(table)}{' WHERE ' + where if where else ''})"
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
    query = "INSERT INTO event_rows BY NAME " + queries.load(f"events/{source.tables[table]}")
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
    con.execute("DELETE FROM event_rows WHERE source = ?", [source.path])


def _stage_source(con: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    """Stage every table of one source; returns the tables whose columns mix types
    (to be re-read as text). Any other failure marks the source unreadable."""
    mixed = []
    for table in source.tables:
        try:
            stage_rows(con, source, table)
        except (duckdb.TypeMismatchException, UnicodeDecodeError):
            # a value of another type than declared; when it is also invalid UTF-8, DuckDB's
            # message about it cannot even be decoded: both are re-read as validated text
            mixed.append(table)
        except duckdb.Error as exc:
            fail_source(con, source, table, exc)
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
        con.execute("SET sqlite_all_varchar = true")
        try:
            for source, table in retry:
                if not source.readable:
                    continue
                try:
                    stage_rows(con, source, table, as_text=True)
                except (duckdb.Error, UnicodeDecodeError) as exc:
                    fail_source(con, source, table, exc)
        finally:
            con.execute("SET sqlite_all_varchar = false")
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
        "UPDATE event_rows SET problem = 'ts ' || CAST(ts AS VARCHAR) || CASE "
        "WHEN NOT isfinite(ts) THEN ' is not a finite time' "
        "WHEN ts > $latest THEN ' is after ' || strftime($latest, '%Y-%m-%d') "
        "|| ', the end of the supported range' "
        "ELSE ' is more than a day after the analysis time' END "
        "WHERE problem IS NULL AND (NOT isfinite(ts) OR ts > least($not_after, $latest))",
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
    shown: dict[str, int] = {}
    for path, table, problem, count, rowids in con.execute(
        queries.load("events/problems")
    ).fetchall():
        shown[path] = shown.get(path, 0) + 1
        if shown[path] <= MAX_PROBLEM_LINES:
            examples = ", ".join(str(r) for r in rowids)
            by_path[path].warnings.append(
                f"table {table}: {count} row(s) skipped: {problem} (rowid {examples})"
            )
    con.execute("DELETE FROM event_rows WHERE problem IS NOT NULL")


def _warn_duplicates(con: duckdb.DuckDBPyConnection, by_path: dict[str, Source]) -> None:
    dropped = dict(
        con.execute(
            "SELECT source::VARCHAR, count(*) FROM event_rows "
            "WHERE rowid IN (SELECT row_id FROM duplicate_rows) GROUP BY ALL"
        ).fetchall()
    )
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
    con.execute(
        "CREATE OR REPLACE TEMP TABLE duplicate_rows AS " + queries.load("events/duplicates")
    )
    _warn_duplicates(con, by_path)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE half_open_fixes AS " + queries.load("events/half_open_fix")
    )
    con.execute("DELETE FROM event_rows WHERE rowid IN (SELECT row_id FROM duplicate_rows)")
    con.execute(
        "UPDATE event_rows SET inferred_half_open = true "
        "WHERE rowid IN (SELECT row_id FROM half_open_fixes)"
    )
    con.execute("DROP TABLE duplicate_rows")
    con.execute("DROP TABLE half_open_fixes")
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
