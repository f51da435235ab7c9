"""Read a window's calls from the analysis database into one timeline per host."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from advisor import queries
from advisor.replay.health import US
from advisor.replay.timeline import Timeline, build_timeline
from advisor.window import Window


def window_us(window: Window) -> tuple[int, int]:
    """``(start, length)`` of the window in epoch microseconds / microseconds."""
    start = round(window.start.timestamp() * US)
    return start, round(window.end.timestamp() * US) - start


def load_timelines(
    con: duckdb.DuckDBPyConnection, window: Window, hosts: Sequence[str] | None = None
) -> dict[str, Timeline]:
    """``{host: Timeline}`` of every host with calls in the window (or only ``hosts``),
    health reconstructed from the recorded outcomes.

    Args:
        con: a connection holding the normalised ``events`` relation.
        window: the analysis window.
        hosts: case-folded host names; all when None.
    """
    params = {"start": window.start, "end": window.end, "hosts": list(hosts) if hosts else None}
    data = con.execute(queries.load("replay_calls"), params).fetchnumpy()
    start, length = window_us(window)
    names = np.asarray(data["host"], dtype=object)
    if names.size == 0:
        return {}
    edges = np.flatnonzero(names[1:] != names[:-1]) + 1
    result: dict[str, Timeline] = {}
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, names.size], strict=True):
        host = str(names[lo])
        result[host] = build_timeline(
            host,
            start,
            length,
            np.asarray(data["run_key"][lo:hi], dtype=object),
            np.asarray(data["t_us"][lo:hi], np.int64) - start,
            np.asarray(data["code"][lo:hi], np.int8),
            np.asarray(data["retry_after_us"][lo:hi], np.int64),
        )
    return result
