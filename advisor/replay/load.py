"""Read a window's calls from the analysis database into one timeline per host."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import duckdb
import numpy as np

from advisor import queries
from advisor.replay.health import US
from advisor.replay.timeline import Timeline, build_timeline
from advisor.window import Window

WARMUP_S = 3600.0  # calls before the window that set each breaker's state when it opens


def window_us(window: Window) -> tuple[int, int]:
    """``(start, length)`` of the window in epoch microseconds / microseconds."""
    start = round(window.start.timestamp() * US)
    return start, round(window.end.timestamp() * US) - start


def load_timelines(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    hosts: Sequence[str] | None = None,
    warmup_s: float = WARMUP_S,
) -> dict[str, Timeline]:
    """``{host: Timeline}`` of every host with calls in the window (or only ``hosts``),
    health reconstructed from the recorded outcomes.

    Args:
        con: a connection holding the normalised ``events`` relation.
        window: the analysis window.
        hosts: case-folded host names; all when None.
        warmup_s: also read this much before the window: a replayed breaker enters the
            window in the state those calls leave it in (closed when there are none).
    """
    params = {"start": window.start, "end": window.end, "hosts": list(hosts) if hosts else None}
    names = [row[0] for row in con.execute(queries.load("replay_hosts"), params).fetchall()]
    if not names:
        return {}
    warmup = window.start - timedelta(seconds=warmup_s)
    data = con.execute(
        queries.load("replay_calls"), {"start": warmup, "end": window.end, "hosts": names}
    ).fetchnumpy()
    host_id = np.asarray(data["host_id"])
    times = np.asarray(data["t_us"], np.int64)
    order = np.lexsort((data["src_rowid"], data["source_id"], times, host_id))
    host_id, times = host_id[order], times[order]
    runs = np.asarray(data["run_hash"])[order]
    codes = np.asarray(data["code"], np.int8)[order]
    retry_after = np.asarray(data["retry_after_us"], np.int64)[order]
    start, length = window_us(window)
    begin = round(warmup.timestamp() * US) - start
    edges = np.searchsorted(host_id, np.arange(len(names) + 1))
    result: dict[str, Timeline] = {}
    for index, name in enumerate(names):
        lo, hi = edges[index], edges[index + 1]
        if hi > lo:
            result[name] = build_timeline(
                name, start, length, runs[lo:hi], times[lo:hi] - start, codes[lo:hi],
                retry_after[lo:hi], begin_us=begin,
            )  # fmt: skip
    return result
