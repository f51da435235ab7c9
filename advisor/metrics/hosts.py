"""Per-host metrics of the JSON contract, computed in DuckDB over ``events``.

``compute_relations`` materialises the window's ``open_intervals``, ``episodes``
and ``half_open_trials`` (each per breaker, docs/design.md "Breakers"); ``host_metrics``
aggregates them with the calls into one contract-shaped dict per host (the sum over its
breakers), ``breaker_metrics`` into one per breaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from advisor import queries
from advisor.window import Window

RELATIONS = ("open_intervals", "episodes", "half_open_trials")


def _params(window: Window) -> dict[str, Any]:
    return {"start": window.start, "end": window.end}


def compute_relations(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """Create the window's derived relations (temp tables named as in ``RELATIONS``)."""
    con.execute(queries.load("metrics/run_ends"))
    con.execute(queries.load("metrics/failure_streaks_macro"))
    for name in RELATIONS:
        con.execute(queries.load(f"metrics/{name}"), _params(window))


def _percentiles(row: dict[str, Any], prefix: str) -> dict[str, float | None]:
    return {"p50": row[f"{prefix}_p50"], "p90": row[f"{prefix}_p90"], "max": row[f"{prefix}_max"]}


def host_metrics(
    con: duckdb.DuckDBPyConnection, window: Window, hosts: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """``{host: metrics}`` in contract shape, hosts sorted; ``hosts`` filters (case-folded).
    A host's metrics sum its breakers' (counts, open time) or pool them (percentiles)."""
    return {host: m for (host, _), m in _metrics(con, window, hosts, by_breaker=False).items()}


def breaker_metrics(
    con: duckdb.DuckDBPyConnection, window: Window, hosts: Sequence[str] | None = None
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """``{(host, role): metrics}`` per breaker with calls, opens or episodes in the window
    (role None: the host's own breaker), in contract shape; ``hosts`` filters."""
    return _metrics(con, window, hosts, by_breaker=True)


def role_counts(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, list[dict[str, Any]]]:
    """``{host: [{role, calls, failures, refused}, ...]}``: the calls of each host's own
    breaker (shared by its roles without a breaker of their own) broken down by role,
    roles sorted, calls without a role (``role`` None) last; only hosts with such calls."""
    result: dict[str, list[dict[str, Any]]] = {}
    for host, role, calls, failures, refused in con.execute(
        queries.load("metrics/role_counts"), _params(window)
    ).fetchall():
        entry = {"role": role, "calls": calls, "failures": failures, "refused": refused}
        result.setdefault(host, []).append(entry)
    return result


def resolver_breakers(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Hosts (breaker keys) whose telemetry records ``"scope": "resolver"``: a resolver's
    own breaker, written under the resolver's name (docs/design.md "Breakers")."""
    return {host for (host,) in con.execute(queries.load("metrics/resolver_breakers")).fetchall()}


def _metrics(
    con: duckdb.DuckDBPyConnection, window: Window, hosts: Sequence[str] | None, by_breaker: bool
) -> dict[tuple[str, str | None], dict[str, Any]]:
    wanted = sorted({h.strip().lower() for h in hosts}) if hosts else None
    cursor = con.execute(
        queries.load("metrics/host_metrics"),
        {**_params(window), "hosts": wanted, "by_breaker": by_breaker},
    )
    names = [d[0] for d in cursor.description]
    result: dict[tuple[str, str | None], dict[str, Any]] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        result[(row["host"], row["breaker_role"])] = {
            "calls": row["calls"],
            "successes": row["successes"],
            "failures": row["failures"],
            "rejected": row["rejected"],
            "failure_rate": row["failure_rate"],
            "status_429": row["status_429"],
            "status_5xx": row["status_5xx"],
            "timeouts": row["timeouts"],
            "opens": row["opens"],
            "open_time_s": row["open_time_s"],
            "open_duration_s": _percentiles(row, "open"),
            "episodes": row["episodes"],
            "episode_duration_s": _percentiles(row, "episode"),
            "half_open_trials": row["half_open_trials"],
            "half_open_successes": row["half_open_successes"],
            "half_open_failures": row["half_open_failures"],
            "half_open_success_rate": row["half_open_success_rate"],
            "retry_after_s": {
                "count": row["retry_after_count"],
                **_percentiles(row, "retry_after"),
            },
        }
    return result
