"""What the report's charts show, aggregated in DuckDB (``queries/report/*.sql``).

Time series are bucketed in SQL and only the buckets, bands and bins come back to
Python, so the cost of a report grows with hosts x buckets, not with events.
``ReportSeries.to_dict`` / ``from_dict`` turn them into plain JSON-able data and back
(the report-data document, docs/design.md "Report data").
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from advisor import queries
from advisor.window import Window

# Version of the report-data document (``advisor.pipeline.report_data``) whose
# ``series`` this module defines; a reader refuses any other.
REPORT_DATA_VERSION = 1
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
# Failures split by kind (queries/report/call_buckets.sql); the rest are "other".
FAILURE_KINDS = ("429", "5xx", "timeout")
FEW_DURATIONS = 12  # at most this many stays of a kind: their values are kept too


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

    def to_dict(self) -> dict[str, int]:
        return {"width_s": self.width_s, "first": self.first, "count": self.count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Buckets:
        return cls(int(data["width_s"]), int(data["first"]), int(data["count"]))


@dataclass
class Bands:
    """Stretches a breaker was not closed (see ``queries/report/state_bands.sql``)."""

    start_ms: list[float] = field(default_factory=list)
    end_ms: list[float] = field(default_factory=list)
    opens: list[int] = field(default_factory=list)
    open_s: list[float] = field(default_factory=list)
    half_opens: list[int] = field(default_factory=list)
    censored: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start_ms)

    def to_dict(self) -> dict[str, list[Any]]:
        return {
            "start_ms": [float(v) for v in self.start_ms],
            "end_ms": [float(v) for v in self.end_ms],
            "opens": [int(v) for v in self.opens],
            "open_s": [float(v) for v in self.open_s],
            "half_opens": [int(v) for v in self.half_opens],
            "censored": [bool(v) for v in self.censored],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bands:
        return cls(
            start_ms=[float(v) for v in data["start_ms"]],
            end_ms=[float(v) for v in data["end_ms"]],
            opens=[int(v) for v in data["opens"]],
            open_s=[float(v) for v in data["open_s"]],
            half_opens=[int(v) for v in data["half_opens"]],
            censored=[bool(v) for v in data["censored"]],
        )


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
    # Added within report_data_version 1 (a document without them reads as empty):
    successes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))  # fine
    refused: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))  # fine
    failure_kinds: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> per fine
    duration_values: dict[str, list[tuple[float, int, int]]] = field(
        default_factory=dict
    )  # what -> [(seconds, stays, censored)] for hosts with few stays

    def to_dict(self) -> dict[str, Any]:
        """Plain data: arrays as lists (NaN as None), bins and lengths as pairs."""
        return {
            "failures": _ints(self.failures),
            "retry_after_max": [
                None if math.isnan(v) else v for v in self.retry_after_max.tolist()
            ],
            "trial_successes": _ints(self.trial_successes),
            "trial_failures": _ints(self.trial_failures),
            "bands": self.bands.to_dict(),
            "durations": {
                what: [[int(b), int(n), int(c)] for b, (n, c) in bins.items()]
                for what, bins in self.durations.items()
            },
            "streaks": {
                ended_by: [[int(length), int(n)] for length, n in lengths.items()]
                for ended_by, lengths in self.streaks.items()
            },
            "censored_opens": int(self.censored_opens),
            "censored_episodes": int(self.censored_episodes),
            "inferred_trials": int(self.inferred_trials),
            "successes": _ints(self.successes),
            "refused": _ints(self.refused),
            "failure_kinds": {kind: _ints(v) for kind, v in self.failure_kinds.items()},
            "duration_values": {
                what: [[float(s), int(n), int(c)] for s, n, c in values]
                for what, values in self.duration_values.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostSeries:
        return cls(
            failures=np.array(data["failures"], dtype=np.uint32),
            retry_after_max=np.array(
                [np.nan if v is None else float(v) for v in data["retry_after_max"]],
                dtype=np.float64,
            ),
            trial_successes=np.array(data["trial_successes"], dtype=np.uint32),
            trial_failures=np.array(data["trial_failures"], dtype=np.uint32),
            bands=Bands.from_dict(data["bands"]),
            durations={
                what: {int(b): (int(n), int(c)) for b, n, c in bins}
                for what, bins in data["durations"].items()
            },
            streaks={
                ended_by: {int(length): int(n) for length, n in lengths}
                for ended_by, lengths in data["streaks"].items()
            },
            censored_opens=int(data["censored_opens"]),
            censored_episodes=int(data["censored_episodes"]),
            inferred_trials=int(data["inferred_trials"]),
            successes=np.array(data.get("successes", []), dtype=np.uint32),
            refused=np.array(data.get("refused", []), dtype=np.uint32),
            failure_kinds={
                str(kind): np.array(v, dtype=np.uint32)
                for kind, v in data.get("failure_kinds", {}).items()
            },
            duration_values={
                str(what): [(float(s), int(n), int(c)) for s, n, c in values]
                for what, values in data.get("duration_values", {}).items()
            },
        )


@dataclass
class ReportSeries:
    """The bucketed data of one report: the bucket grids, fleet opens, per-host series."""

    fine: Buckets
    coarse: Buckets
    start_ms: float
    end_ms: float
    opens: dict[str, np.ndarray]  # host -> opens per coarse bucket
    hosts: dict[str, HostSeries]

    def to_dict(self) -> dict[str, Any]:
        """The series as plain JSON-able data (``from_dict`` reads it back unchanged)."""
        return {
            "fine": self.fine.to_dict(),
            "coarse": self.coarse.to_dict(),
            "start_ms": float(self.start_ms),
            "end_ms": float(self.end_ms),
            "opens": {host: _ints(counts) for host, counts in self.opens.items()},
            "hosts": {host: series.to_dict() for host, series in self.hosts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportSeries:
        """The series of ``to_dict`` (also after a JSON round trip).

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not in the shape of ``to_dict``.
        """
        return cls(
            fine=Buckets.from_dict(data["fine"]),
            coarse=Buckets.from_dict(data["coarse"]),
            start_ms=float(data["start_ms"]),
            end_ms=float(data["end_ms"]),
            opens={
                str(host): np.array(counts, dtype=np.uint32)
                for host, counts in data["opens"].items()
            },
            hosts={str(host): HostSeries.from_dict(s) for host, s in data["hosts"].items()},
        )


def _ints(values: np.ndarray) -> list[int]:
    return [int(v) for v in values.tolist()]


def _rows(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    sql = queries.load(name)
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()


def collect(con: duckdb.DuckDBPyConnection, window: Window, names: list[str]) -> ReportSeries:
    """Run the report queries over ``con`` (the window's relations are TEMP tables of
    the analysis's connection) for the hosts ``names``."""
    start_s, end_s = window.start.timestamp(), window.end.timestamp()
    fine = Buckets.covering(start_s, end_s, FINE_BUCKETS)
    coarse = Buckets.covering(start_s, end_s, COARSE_BUCKETS, multiple_of=fine.width_s)
    params: dict[str, Any] = {
        "start": window.start,
        "end": window.end,
        "hosts": names,
        "per_decade": PER_DECADE,
        "max_length": MAX_STREAK,
        "gap_us": max(1, int(window.seconds / BAND_RESOLUTION * 1e6)),
        "max_values": FEW_DURATIONS,
    }
    hosts = {
        name: HostSeries(
            failures=np.zeros(fine.count, dtype=np.uint32),
            retry_after_max=np.full(coarse.count, np.nan),
            trial_successes=np.zeros(coarse.count, dtype=np.uint32),
            trial_failures=np.zeros(coarse.count, dtype=np.uint32),
            successes=np.zeros(fine.count, dtype=np.uint32),
            refused=np.zeros(fine.count, dtype=np.uint32),
            failure_kinds={kind: np.zeros(fine.count, dtype=np.uint32) for kind in FAILURE_KINDS},
        )
        for name in names
    }
    opens: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(coarse.count, np.uint32))
    for host, bucket, count in _rows(
        con, "report/open_buckets", {**params, "bucket_us": coarse.width_us}
    ):
        opens[host][coarse.index(bucket)] += count
    _fill_calls(con, params, fine, coarse, hosts)
    for host, *band in _rows(con, "report/state_bands", params):
        series = hosts[host].bands
        for column, value in zip(
            ("start_ms", "end_ms", "opens", "open_s", "half_opens", "censored"),
            band,
            strict=True,
        ):
            getattr(series, column).append(value)
    for host, what, bin_, count, censored, values in _rows(con, "report/duration_bins", params):
        hosts[host].durations[what][bin_] = (count, censored)
        if values is not None:
            _add_values(hosts[host].duration_values.setdefault(what, []), values)
    for host, length, ended_by, count in _rows(con, "report/failure_streaks", params):
        hosts[host].streaks[ended_by][length] = count
    for host, c_opens, c_episodes, inferred in _rows(con, "report/data_quality", params):
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


def _add_values(points: list[tuple[float, int, int]], values: list[list[float]]) -> None:
    """Add sorted (seconds, censored) pairs to ``points`` as (seconds, stays, censored),
    equal durations counted together."""
    for seconds, censored in values:
        if points and points[-1][0] == seconds:
            _, n, c = points[-1]
            points[-1] = (seconds, n + 1, c + int(censored))
        else:
            points.append((float(seconds), 1, int(censored)))


def _fill_calls(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    fine: Buckets,
    coarse: Buckets,
    hosts: dict[str, HostSeries],
) -> None:
    """Successes, failures (by kind) and refused calls per fine bucket; Retry-After and
    half-open trials per coarse bucket."""
    for host, bucket, failures, t_ok, t_fail, ra_count, ra_max, ok, refused, *kinds in _rows(
        con, "report/call_buckets", {**params, "bucket_us": fine.width_us}
    ):
        series, i = hosts[host], fine.index(bucket)
        series.failures[i] = failures
        series.successes[i] = ok
        series.refused[i] = refused
        for kind, n in zip(FAILURE_KINDS, kinds, strict=True):
            series.failure_kinds[kind][i] = n
        j = coarse.index(bucket * fine.width_s // coarse.width_s)
        if ra_count:
            series.retry_after_max[j] = np.fmax(series.retry_after_max[j], ra_max)
        series.trial_successes[j] += t_ok
        series.trial_failures[j] += t_fail
