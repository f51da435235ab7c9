"""Analyse one night from the store: the ``events`` relation is built from stored rows.

Rather than re-reading sources, ``analyze_night`` fills the in-memory
``event_rows`` (the relation ``advisor.ingest.events`` builds) from ``hist.events`` in
the window plus ``LOOKBACK`` before it and from the rows this run staged, then
applies the same de-duplication and half-open repair (``finalize_events``), and runs
``advisor.pipeline.analyze_window`` like ``advisor.analyze`` does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import duckdb

from advisor import queries
from advisor.config import BreakerConfig
from advisor.ingest.breakers import use_config
from advisor.ingest.events import finalize_events
from advisor.model import Analysis, Source
from advisor.pipeline import analyze_window
from advisor.rule_settings import RuleSettings
from advisor.window import Window

LOOKBACK = timedelta(days=1)  # stays in open/half_open that began before the window


def night_window(night: date) -> Window:
    """The UTC day ``night``: ``00:00 <= ts <= 24:00``."""
    start = datetime.combine(night, time(0), tzinfo=UTC)
    return Window(start=start, end=start + timedelta(days=1))


def _load_window_events(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    con.execute(
        queries.load("nightly/window_events"),
        {"from": window.start - LOOKBACK, "end": window.end},
    )
    finalize_events(con, {})


def _window_sources(con: duckdb.DuckDBPyConnection, window: Window) -> list[Source]:
    rows = con.execute(
        queries.load("nightly/window_sources"), {"start": window.start, "end": window.end}
    ).fetchall()
    return [Source(path=p, tables=dict.fromkeys(t, ""), events=n) for p, t, n in rows]


def analyze_night(
    con: duckdb.DuckDBPyConnection,
    night: date,
    config: BreakerConfig,
    settings: RuleSettings,
) -> Analysis:
    """Metrics and recommendations of ``night`` over the store plus staged rows."""
    window = night_window(night)
    use_config(con, config)  # roles with a breaker of their own, for the half-open repair
    _load_window_events(con, window)
    return analyze_window(
        con,
        window,
        _window_sources(con, window),
        config=config,
        settings=settings,
        generated_at=window.end,
    )


def open_fractions(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, float]:
    """Per host, the part of the night's active span its breaker was open."""
    rows = con.execute(
        queries.load("nightly/active_open_time"), {"start": window.start, "end": window.end}
    ).fetchall()
    return {host: (open_s / span_s if span_s else 0.0) for host, open_s, span_s in rows}
