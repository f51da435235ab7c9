"""Read earlier nights' advice from the store and record a night (metrics and advice)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import duckdb

from advisor import queries
from advisor.model import Analysis
from advisor.nightly.stability import Advice, Key

# The metrics stored in columns of their own (queries/nightly/insert_night_metrics.sql).
_METRIC_COLUMNS = (
    "calls", "successes", "failures", "rejected", "failure_rate", "opens", "open_time_s",
    "episodes", "half_open_trials", "half_open_success_rate",
)  # fmt: skip


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def previous_advice(
    con: duckdb.DuckDBPyConnection, night: date, limit: int
) -> list[dict[Key, dict[str, Any]]]:
    """Per recorded night before ``night`` (newest first, at most ``limit``), its advice."""
    nights = [
        row[0]
        for row in con.execute(
            queries.load("nightly/nights_before"), {"night": night, "limit": max(limit, 1)}
        ).fetchall()
    ]
    result: list[dict[Key, dict[str, Any]]] = []
    for earlier in nights:
        rows = con.execute(queries.load("nightly/night_advice"), {"night": earlier}).fetchall()
        result.append(
            {
                (r[0], r[1]): {
                    "direction": r[2], "current": json.loads(r[3]),
                    "suggested": json.loads(r[4]), "confidence": r[5], "rule": r[6],
                    "recommendation": json.loads(r[7]),
                }
                for r in rows
            }
        )  # fmt: skip
    return result


def stored_contract(analysis: Analysis, advice: list[Advice]) -> dict[str, Any]:
    """The night's contract, with a ``status`` per change and ``withdrawn`` per host;
    without ``generated_at`` (added when written out, so re-runs store the same bytes)."""
    contract = analysis.to_dict()
    contract.pop("generated_at")
    by_key = {(a.host, a.parameter): a for a in advice if a.status != "withdrawn"}
    for host in contract["hosts"]:
        for rec in host["recommendations"]:
            found = by_key.get((host["host"], rec["parameter"]))
            if found is not None and rec["suggested"] != rec["current"]:
                rec["status"] = found.status
                rec["urgent"] = found.urgent
                rec["nights_seen"] = found.nights_seen
        host["withdrawn"] = [
            {**a.recommendation, "status": "withdrawn"}
            for a in advice
            if a.status == "withdrawn" and a.host == host["host"]
        ]
    return contract


def record_night(
    con: duckdb.DuckDBPyConnection, night: date, analysis: Analysis, advice: list[Advice]
) -> dict[str, Any]:
    """Replace what the store holds for ``night`` (inside the caller's transaction).

    Returns:
        The stored contract (see ``stored_contract``).
    """
    queries.run_script(con, "nightly/delete_night", {"night": night})
    for host in analysis.hosts:
        m = host.metrics
        con.execute(
            queries.load("nightly/insert_night_metrics"),
            {"night": night, "host": host.host, "metrics": _dump(m), "current": _dump(host.current),
             **{k: m[k] for k in _METRIC_COLUMNS}},
        )  # fmt: skip
    for a in advice:
        con.execute(
            queries.load("nightly/insert_night_recommendation"),
            {"night": night, "host": a.host, "parameter": a.parameter, "current": _dump(a.current),
             "suggested": _dump(a.suggested), "direction": a.direction,
             "confidence": a.confidence, "rule": a.rule, "status": a.status, "urgent": a.urgent,
             "nights_seen": a.nights_seen, "recommendation": _dump(a.recommendation)},
        )  # fmt: skip
    counts = Counter(a.status for a in advice)
    contract = stored_contract(analysis, advice)
    con.execute(
        queries.load("nightly/insert_night"),
        {"night": night, "window_start": analysis.window.start,
         "window_end": analysis.window.end, "events": sum(s.events for s in analysis.sources),
         "hosts": len(analysis.hosts), "changes": sum(len(h.changes) for h in analysis.hosts),
         "confirmed": counts["confirmed"], "new": counts["new"], "withdrawn": counts["withdrawn"],
         "urgent": sum(1 for a in advice if a.urgent), "contract": _dump(contract)},
    )  # fmt: skip
    return contract
