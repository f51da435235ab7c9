"""Stage a night's NEW source rows in memory and write them to the store.

Sources are found, inspected and attached read-only as for ``analyze``; each table
is planned against its watermark (``identity``) and only ``rowid > watermark`` is
read, through the same per-layout events queries (``advisor.ingest.events``), into the
in-memory ``new_rows``. ``write_ingest`` then copies them into ``hist.events`` and
moves the watermarks, inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from advisor.ingest.events import collect_problems, create_schema, fail_source, stage_rows
from advisor.ingest.identity import TablePlan, Watermark, plan_table
from advisor.ingest.sources import open_sources
from advisor.model import Source

NEW_ROW_COLUMNS = (
    "source, src_table, src_rowid, run_id, ts, host, role, kind, old_state, new_state, state, "
    "outcome, status, retry_after_s, elapsed_ms, reset_timeout_s, error, manual"
)


@dataclass
class Ingest:
    """What this run read: sources, table plans, and rows staged in ``new_rows``."""

    sources: list[Source]
    plans: list[TablePlan] = field(default_factory=list)
    new_events: int = 0

    @property
    def replaced(self) -> list[TablePlan]:
        return [p for p in self.plans if p.replace]


def _watermarks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Watermark]:
    rows = con.execute(
        "SELECT source, src_table, last_rowid, inode, size, mtime_ns, anchor_hash "
        "FROM hist.watermarks"
    ).fetchall()
    return {(r[0], r[1]): Watermark(*r[2:]) for r in rows}


def _stage(
    con: duckdb.DuckDBPyConnection, source: Source, plan: TablePlan, as_text: bool = False
) -> None:
    # Up to the rowid planned on: rows a live writer adds meanwhile wait for the next run.
    assert plan.watermark is not None
    where = f"rowid <= {int(plan.watermark.last_rowid)}"
    if plan.after is not None:
        where += f" AND rowid > {int(plan.after)}"
    stage_rows(con, source, plan.table, as_text=as_text, where=where)


def _stage_source(con: duckdb.DuckDBPyConnection, source: Source, plans: list[TablePlan]) -> None:
    for plan in plans:
        if plan.unchanged:  # a scan with an empty rowid range still reads the whole table
            continue
        try:
            try:
                _stage(con, source, plan)
            except (duckdb.TypeMismatchException, UnicodeDecodeError):  # re-read as text
                con.execute("SET sqlite_all_varchar = true")
                try:
                    _stage(con, source, plan, as_text=True)
                finally:
                    con.execute("SET sqlite_all_varchar = false")
        except (duckdb.Error, UnicodeDecodeError) as exc:
            fail_source(con, source, plan.table, exc)
            return


def stage_new_rows(
    con: duckdb.DuckDBPyConnection,
    arguments: Sequence[str | Path],
    keep_from: datetime,
    not_after: datetime | None = None,
) -> Ingest:
    """Read every source's rows beyond its watermark into the in-memory ``new_rows``.

    Rows older than ``keep_from`` (already out of retention) are not kept; rows after
    ``not_after`` (``advisor.ingest.events.analysis_horizon``) are bad rows.

    Raises:
        NoSourcesError: nothing matched ``arguments``.
    """
    ingest = Ingest(open_sources(con, arguments))
    create_schema(con, ingest.sources)
    marks = _watermarks(con)
    for source in ingest.sources:
        if not source.readable:
            continue
        plans = []
        try:
            for table in source.tables:
                previous = marks.get((source.path, table))
                plans.append(plan_table(Path(source.path), table, previous, Path(source.read_path)))
        except (OSError, sqlite3.Error) as exc:
            source.error = f"cannot check file identity: {exc}"
            continue
        for plan in plans:
            if plan.replace:
                source.warnings.append(f"table {plan.table}: {plan.reason}: read again")
            elif plan.warning:
                source.warnings.append(f"table {plan.table}: {plan.warning}")
        _stage_source(con, source, plans)
        if source.readable:
            ingest.plans.extend(plans)
    con.execute("DROP VIEW IF EXISTS source_rows")
    collect_problems(con, {s.path: s for s in ingest.sources}, not_after)
    con.execute(
        "CREATE TABLE new_rows AS SELECT * REPLACE (source::VARCHAR AS source, "
        "src_table::VARCHAR AS src_table, kind::VARCHAR AS kind, old_state::VARCHAR AS old_state, "
        "new_state::VARCHAR AS new_state, state::VARCHAR AS state, outcome::VARCHAR AS outcome) "
        "FROM event_rows WHERE ts >= ? ORDER BY ts",
        [keep_from],
    )
    con.execute("DROP TABLE event_rows")
    ingest.new_events = con.execute("SELECT count(*) FROM new_rows").fetchall()[0][0]
    con.execute(
        "CREATE TABLE replaced AS SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR)) "
        "AS t(source, src_table) WHERE false"
    )
    if ingest.replaced:
        con.executemany(
            "INSERT INTO replaced VALUES (?, ?)", [[p.source, p.table] for p in ingest.replaced]
        )
    return ingest


def write_ingest(con: duckdb.DuckDBPyConnection, ingest: Ingest) -> None:
    """Inside the caller's transaction: replace re-read tables, append rows, move watermarks."""
    con.execute(
        "DELETE FROM hist.events AS e USING replaced AS r "
        "WHERE e.source = r.source AND e.src_table = r.src_table"
    )
    con.execute(
        f"INSERT INTO hist.events ({NEW_ROW_COLUMNS}) SELECT {NEW_ROW_COLUMNS} FROM new_rows"
    )
    for plan in ingest.plans:
        mark = plan.watermark
        assert mark is not None
        con.execute(
            "INSERT OR REPLACE INTO hist.watermarks VALUES (?, ?, ?, ?, ?, ?, ?)",
            [plan.source, plan.table, mark.last_rowid, mark.inode, mark.size, mark.mtime_ns,
             mark.anchor_hash],
        )  # fmt: skip
