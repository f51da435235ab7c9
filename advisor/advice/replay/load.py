"""Read a window's calls from the analysis database into one timeline per host, or per
breaker (docs/design.md "Breakers")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np

from advisor import queries
from advisor.advice.replay.health import US
from advisor.advice.replay.timeline import Timeline, build_timeline
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
    health reconstructed from the recorded outcomes. Each breaker of each run is its
    own run of the timeline (a role's own breaker is replayed apart from the host's).

    Args:
        con: a connection holding the normalised ``events`` relation.
        window: the analysis window.
        hosts: case-folded host names; all when None.
        warmup_s: also read this much before the window: a replayed breaker enters the
            window in the state those calls leave it in (closed when there are none).
    """
    result: dict[str, Timeline] = {}
    for name, arrays in _host_calls(con, window, hosts, warmup_s, []):
        start, length, runs, times, codes, retry_after, begin, _ = arrays
        result[name] = build_timeline(
            name, start, length, runs, times, codes, retry_after, begin_us=begin
        )
    return result


def load_breaker_timelines(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    breakers: Sequence[tuple[str, str | None]],
    warmup_s: float = WARMUP_S,
) -> dict[tuple[str, str | None], Timeline]:
    """``{(host, role): Timeline}`` of each breaker in ``breakers`` with calls in the
    window (role None: the host's own breaker): that breaker's arrivals only, under the
    health reconstructed from all of its host's calls (a host is down for every breaker).
    Arguments as in ``load_timelines``."""
    roles = sorted({role for _, role in breakers if role is not None})
    wanted = set(breakers)
    hosts = sorted({host for host, _ in breakers})
    result: dict[tuple[str, str | None], Timeline] = {}
    for name, arrays in _host_calls(con, window, hosts, warmup_s, roles):
        start, length, runs, times, codes, retry_after, begin, role_ids = arrays
        health = build_timeline(
            name, start, length, runs, times, codes, retry_after, begin_us=begin
        ).health
        for index, role in [(0, None), *((i + 1, r) for i, r in enumerate(roles))]:
            mine = role_ids == index
            if (name, role) in wanted and mine.any():
                result[(name, role)] = build_timeline(
                    name, start, length, runs[mine], times[mine], codes[mine],
                    retry_after[mine], health=health, begin_us=begin,
                )  # fmt: skip
    return result


def _host_calls(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    hosts: Sequence[str] | None,
    warmup_s: float,
    roles: list[str],
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Per host with calls in the window: ``(start_us, length_us, run_keys, times, codes,
    retry_after, begin_us, role_ids)``, calls in time (and source) order; ``role_ids``
    1-based into ``roles``, 0 for the host's own breaker."""
    params = {"start": window.start, "end": window.end, "hosts": list(hosts) if hosts else None}
    names = [row[0] for row in con.execute(queries.load("replay/hosts"), params).fetchall()]
    if not names:
        return
    warmup = window.start - timedelta(seconds=warmup_s)
    data = con.execute(
        queries.load("replay/calls"),
        {"start": warmup, "end": window.end, "hosts": names, "roles": roles},
    ).fetchnumpy()
    host_id = np.asarray(data["host_id"])
    times = np.asarray(data["t_us"], np.int64)
    order = np.lexsort((data["src_rowid"], data["source_id"], times, host_id))
    host_id, times = host_id[order], times[order]
    runs = np.asarray(data["run_hash"])[order]
    codes = np.asarray(data["code"], np.int8)[order]
    retry_after = np.asarray(data["retry_after_us"], np.int64)[order]
    role_ids = np.asarray(data["role_id"])[order]
    start, length = window_us(window)
    begin = round(warmup.timestamp() * US) - start
    edges = np.searchsorted(host_id, np.arange(len(names) + 1))
    for index, name in enumerate(names):
        lo, hi = edges[index], edges[index + 1]
        if hi > lo:
            yield name, (
                start, length, runs[lo:hi], times[lo:hi] - start, codes[lo:hi],
                retry_after[lo:hi], begin, role_ids[lo:hi],
            )  # fmt: skip
