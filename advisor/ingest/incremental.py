"""Stage a night's NEW source rows in memory and write them to the store.

Sources are found, inspected and attached read-only as for ``analyze``; each table
is planned against its watermark (``identity``) and only ``rowid > watermark`` is
read, through the same per-layout events queries (``advisor.ingest.events``), into the
in-memory ``new_rows``. ``write_ingest`` then copies them into ``hist.events`` and
moves the watermarks, inside the caller's transaction. The nightly store and the
``--cache`` of ``breaker-advise`` (``advisor.ingest.cache``) both ingest through here.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from advisor import queries
from advisor.ingest.events import (
    collect_problems,
    create_schema,
    flag_future_rows,
    stage_table,
)
from advisor.ingest.identity import TablePlan, Watermark, plan_jsonl, plan_table
from advisor.ingest.jsonl import is_jsonl
from advisor.ingest.sources import open_sources
from advisor.model import Source


@dataclass
class Ingest:
    """What this run read: sources, table plans, and rows staged in ``new_rows``."""

    sources: list[Source]
    plans: list[TablePlan] = field(default_factory=list)
    new_events: int = 0
    notes: list[str] = field(default_factory=list)  # replacements, when not source warnings

    @property
    def replaced(self) -> list[TablePlan]:
        return [p for p in self.plans if p.replace]


def _watermarks(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Watermark]:
    rows = con.execute(queries.load("nightly/watermarks")).fetchall()
    return {(r[0], r[1]): Watermark(*r[2:]) for r in rows}


def _rowid_range(plan: TablePlan, rowid: str = "rowid") -> str:
    """The rows to read: after the stored watermark, up to the rowid planned on (rows a
    live writer adds meanwhile wait for the next run). Integers, formatted: a view over
    the source table takes no parameters, and the range must reach SQLite's scan.
    ``rowid``: the column numbering the rows (a JSONL file's: its line numbers)."""
    assert plan.watermark is not None
    where = f"{rowid} <= {int(plan.watermark.last_rowid)}"
    if plan.after is not None:
        where += f" AND {rowid} > {int(plan.after)}"
    return where


def _stage_source(con: duckdb.DuckDBPyConnection, source: Source, plans: list[TablePlan]) -> None:
    rowid = "jsonl_line" if is_jsonl(source.path) else "rowid"
    for plan in plans:
        if plan.unchanged:  # a scan with an empty rowid range still reads the whole table
            continue
        stage_table(con, source, plan.table, where=_rowid_range(plan, rowid))
        if not source.readable:
            return


def stage_new_rows(
    con: duckdb.DuckDBPyConnection,
    arguments: Sequence[str | Path],
    keep_from: datetime,
    not_after: datetime | None = None,
    *,
    keep_problems: bool = False,
) -> Ingest:
    """Read every source's rows beyond its watermark into the in-memory ``new_rows``.

    Rows older than ``keep_from`` (already out of retention) are not kept; rows after
    ``not_after`` (``advisor.ingest.events.analysis_horizon``) are bad rows.
    ``keep_problems`` (the cache, which counts and names bad rows at each analysis):
    the bad rows go to ``new_problems`` instead of the sources' counts and warnings,
    and replacements are ``Ingest.notes``.

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
                if is_jsonl(source.path):  # an append-only text file: lines, not rowids
                    plans.append(plan_jsonl(Path(source.path), table, previous))
                else:
                    plans.append(
                        plan_table(Path(source.path), table, previous, Path(source.read_path))
                    )
        except (OSError, sqlite3.Error) as exc:
            source.error = f"cannot check file identity: {exc}"
            continue
        said = ingest.notes if keep_problems else source.warnings
        prefix = f"{source.path}: " if keep_problems else ""
        for plan in plans:
            if plan.replace:
                said.append(f"{prefix}table {plan.table}: {plan.reason}: read again")
            elif plan.warning:
                said.append(f"{prefix}table {plan.table}: {plan.warning}")
        _stage_source(con, source, plans)
        if source.readable:
            ingest.plans.extend(plans)
    con.execute("DROP VIEW IF EXISTS source_rows")
    if keep_problems:
        flag_future_rows(con, not_after)
        con.execute(queries.load("cache/new_problems"))
        counted = [dataclasses.replace(s, warnings=[]) for s in ingest.sources]
        collect_problems(con, {s.path: s for s in counted}, not_after)
    else:
        collect_problems(con, {s.path: s for s in ingest.sources}, not_after)
    con.execute(queries.load("nightly/new_rows"), {"keep_from": keep_from})
    con.execute("DROP TABLE event_rows")
    ingest.new_events = con.execute("SELECT count(*) FROM new_rows").fetchall()[0][0]
    con.execute(
        queries.load("nightly/replaced"),
        {
            "sources": [p.source for p in ingest.replaced],
            "tables": [p.table for p in ingest.replaced],
        },
    )
    return ingest


def write_ingest(con: duckdb.DuckDBPyConnection, ingest: Ingest) -> None:
    """Inside the caller's transaction: replace re-read tables, append rows, move watermarks."""
    queries.run_script(con, "nightly/write_events", {})
    for plan in ingest.plans:
        mark = plan.watermark
        assert mark is not None
        con.execute(
            queries.load("nightly/save_watermark"),
            {"source": plan.source, "src_table": plan.table, **dataclasses.asdict(mark)},
        )
