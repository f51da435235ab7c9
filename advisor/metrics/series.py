"""What the report's charts show, aggregated in DuckDB (``queries/report_*.sql``).

Time series are bucketed in SQL and only the buckets, bands and bins come back to
Python, so the cost of a report grows with hosts x buckets, not with events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from advisor import queries
from advisor.model import Analysis

# Bucket widths a person reads at a glance (seconds), smallest first.
NICE_WIDTHS_S = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)  # fmt: skip
FINE_BUCKETS = 240  # per-host timelines: at most this many buckets over the window
COARSE_BUCKETS = 48  # fleet heat map and half-open trials
BAND_RESOLUTION = 600  # state bands closer than window / this are merged
PER_DECADE = 5  # duration histogram bins per factor of ten (x1.58 per bin)
MAX_STREAK = 30  # longer failure streaks are counted as this long
STREAK_ENDINGS = ("open", "success", "end")


@dataclass(frozen=True)
class Buckets:
    """Epoch-aligned time buckets of ``width_s`` covering the window."""

    width_s: int
    first: int  # bucket number (since 1970) of the window start
    count: int

    @classmethod
    def covering(
        cls, start_s: float, end_s: float, max_buckets: int, multiple_of: int = 1
    ) -> Buckets:
        """The narrowest nice width, a multiple of ``multiple_of`` seconds, that covers
        ``[start_s, end_s]`` in at most ``max_buckets`` buckets."""
        span = max(end_s - start_s, 1.0)
        fits = [w for w in NICE_WIDTHS_S if w % multiple_of == 0 and span / w <= max_buckets - 1]
        unit = math.lcm(86400, multiple_of)
        width = fits[0] if fits else unit * math.ceil(span / unit / (max_buckets - 1))
        first = math.floor(start_s / width)
        return cls(width, first, math.floor(end_s / width) - first + 1)

    @property
    def width_us(self) -> int:
        return self.width_s * 1_000_000

    @property
    def start_ms(self) -> float:
        return self.first * self.width_s * 1000.0

    @property
    def width_ms(self) -> float:
        return self.width_s * 1000.0

    def index(self, bucket: int) -> int:
        """Position in a dense array of bucket number ``bucket``."""
        return bucket - self.first


@dataclass
class Bands:
    """Stretches a breaker was not closed (see ``report_state_bands.sql``)."""

    start_ms: list[float] = field(default_factory=list)
    end_ms: list[float] = field(default_factory=list)
    opens: list[int] = field(default_factory=list)
    open_s: list[float] = field(default_factory=list)
    half_opens: list[int] = field(default_factory=list)
    censored: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start_ms)


@dataclass
class HostSeries:
    """Everything the per-host charts of one host show."""

    failures: np.ndarray  # per fine bucket
    retry_after_max: np.ndarray  # per coarse bucket, NaN where no Retry-After was seen
    trial_successes: np.ndarray  # per coarse bucket
    trial_failures: np.ndarray  # per coarse bucket
    bands: Bands = field(default_factory=Bands)
    durations: dict[str, dict[int, tuple[int, int]]] = field(
        default_factory=lambda: {"open": {}, "episode": {}}
    )  # what -> {bin: (count, censored)}
    streaks: dict[str, dict[int, int]] = field(
        default_factory=lambda: {e: {} for e in STREAK_ENDINGS}
    )  # ended_by -> {length: streaks}
    censored_opens: int = 0
    censored_episodes: int = 0
    inferred_trials: int = 0


@dataclass
class ReportSeries:
    """The bucketed data of one report: the bucket grids, fleet opens, per-host series."""

    fine: Buckets
    coarse: Buckets
    start_ms: float
    end_ms: float
    opens: dict[str, np.ndarray]  # host -> opens per coarse bucket
    hosts: dict[str, HostSeries]


def _rows(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    sql = queries.load(name)
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()


def collect(analysis: Analysis) -> ReportSeries:
    """Run the report queries over ``analysis.con`` for the hosts of ``analysis``."""
    window = analysis.window
    start_s, end_s = window.start.timestamp(), window.end.timestamp()
    fine = Buckets.covering(start_s, end_s, FINE_BUCKETS)
    coarse = Buckets.covering(start_s, end_s, COARSE_BUCKETS, multiple_of=fine.width_s)
    names = [h.host for h in analysis.hosts]
    params: dict[str, Any] = {
        "start": window.start,
        "end": window.end,
        "hosts": names,
        "per_decade": PER_DECADE,
        "max_length": MAX_STREAK,
        "gap_us": max(1, int(window.seconds / BAND_RESOLUTION * 1e6)),
    }
    con = analysis.con  # the window's relations are TEMP tables of this connection
    hosts = {
        name: HostSeries(
            failures=np.zeros(fine.count, dtype=np.uint32),
            retry_after_max=np.full(coarse.count, np.nan),
            trial_successes=np.zeros(coarse.count, dtype=np.uint32),
            trial_failures=np.zeros(coarse.count, dtype=np.uint32),
        )
        for name in names
    }
    opens: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(coarse.count, np.uint32))
    for host, bucket, count in _rows(
        con, "report_open_buckets", {**params, "bucket_us": coarse.width_us}
    ):
        opens[host][coarse.index(bucket)] += count
    _fill_calls(con, params, fine, coarse, hosts)
    for host, *band in _rows(con, "report_state_bands", params):
        series = hosts[host].bands
        for column, value in zip(
            ("start_ms", "end_ms", "opens", "open_s", "half_opens", "censored"),
            band,
            strict=True,
        ):
            getattr(series, column).append(value)
    for host, what, bin_, count, censored in _rows(con, "report_duration_bins", params):
        hosts[host].durations[what][bin_] = (count, censored)
    for host, length, ended_by, count in _rows(con, "report_failure_streaks", params):
        hosts[host].streaks[ended_by][length] = count
    for host, c_opens, c_episodes, inferred in _rows(con, "report_data_quality", params):
        hosts[host].censored_opens = c_opens
        hosts[host].censored_episodes = c_episodes
        hosts[host].inferred_trials = inferred
    return ReportSeries(
        fine=fine,
        coarse=coarse,
        start_ms=start_s * 1000.0,
        end_ms=end_s * 1000.0,
        opens=dict(opens),
        hosts=hosts,
    )


def _fill_calls(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    fine: Buckets,
    coarse: Buckets,
    hosts: dict[str, HostSeries],
) -> None:
    """Failures per fine bucket; Retry-After and half-open trials per coarse bucket."""
    for host, bucket, failures, t_ok, t_fail, ra_count, ra_max in _rows(
        con, "report_call_buckets", {**params, "bucket_us": fine.width_us}
    ):
        series = hosts[host]
        series.failures[fine.index(bucket)] = failures
        j = coarse.index(bucket * fine.width_s // coarse.width_s)
        if ra_count:
            series.retry_after_max[j] = np.fmax(series.retry_after_max[j], ra_max)
        series.trial_successes[j] += t_ok
        series.trial_failures[j] += t_fail
