"""Read every attached source table once into the normalised ``events`` relation.

Each table is scanned by the events query of its layout into ``staged``; rows
that cannot be normalised stay there with a ``problem`` and become per-source
warnings. ``events`` is then built from ``staged``: duplicates across sources
removed, half-open trials logged as ``closed`` repaired (see DESIGN.md).
"""

from __future__ import annotations

import duckdb

from advisor import queries
from advisor.sources import LAYOUTS, Source

MAX_PROBLEM_LINES = 10


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_sources(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Scan each table of each readable source into ``staged``; a failing source is
    marked with its error and its partial rows removed."""
    con.execute(queries.load("macros"))
    con.execute(queries.load("staged_schema"))
    for source in sources:
        if not source.readable:
            continue
        for table, layout in source.tables.items():
            columns = source.columns[table]
            select = ", ".join(
                _quote_identifier(col) if col in columns else f"NULL AS {col}"
                for col in LAYOUTS[layout][1]
            )
            con.execute(
                "CREATE OR REPLACE TEMP VIEW source_rows AS SELECT rowid AS src_rowid, "
                f"{select} FROM {source.alias}.{_quote_identifier(table)}"
            )
            try:
                con.execute(
                    "INSERT INTO staged BY NAME " + queries.load(f"events_{layout}"),
                    {"source": source.path, "table": table},
                )
            except duckdb.Error as exc:
                source.error = f"table {table}: {str(exc).strip().splitlines()[0]}"
                con.execute("DELETE FROM staged WHERE source = ?", [source.path])
                break
    con.execute("DROP VIEW IF EXISTS source_rows")


def build_events(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Create ``events`` from ``staged`` and fill each source's counts and warnings."""
    con.execute(queries.load("events_build"))
    con.execute(queries.load("events_half_open_fix"))
    by_path = {s.path: s for s in sources}
    for path, read, skipped in con.execute(queries.load("source_counts")).fetchall():
        by_path[path].events = read
        by_path[path].skipped = skipped
    kept = dict(con.execute("SELECT source, count(*) FROM events GROUP BY source").fetchall())
    for source in sources:
        dropped = source.events - kept.get(source.path, 0)
        if source.events and dropped == source.events:
            source.warnings.append(
                f"duplicate of another source: all {source.events} events are also in another file"
                " and are counted once"
            )
        elif dropped:
            source.warnings.append(
                f"{dropped} of {source.events} events are also in another file and are counted once"
            )
    lines_per_source: dict[str, int] = {}
    for path, table, problem, count, rowids in con.execute(
        queries.load("staged_problems")
    ).fetchall():
        shown = lines_per_source.get(path, 0)
        lines_per_source[path] = shown + 1
        if shown < MAX_PROBLEM_LINES:
            examples = ", ".join(str(r) for r in rowids)
            by_path[path].warnings.append(
                f"table {table}: {count} row(s) skipped: {problem} (rowid {examples})"
            )


def load_events(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Stage every readable source and build ``events`` (the two steps above)."""
    stage_sources(con, sources)
    build_events(con, sources)
