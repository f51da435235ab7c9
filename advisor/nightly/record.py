"""Read earlier nights' advice from the store and record a night (metrics and advice)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import duckdb

from advisor.ingest.store import run_script
from advisor.model import Analysis
from advisor.nightly.stability import Advice, Key


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def previous_advice(
    con: duckdb.DuckDBPyConnection, night: date, limit: int
) -> list[dict[Key, dict[str, Any]]]:
    """Per recorded night before ``night`` (newest first, at most ``limit``), its advice."""
    nights = [
        row[0]
        for row in con.execute(
            "SELECT night FROM hist.nights WHERE night < ? ORDER BY night DESC LIMIT ?",
            [night, max(limit, 1)],
        ).fetchall()
    ]
    result: list[dict[Key, dict[str, Any]]] = []
    for earlier in nights:
        rows = con.execute(
            "SELECT host, parameter, direction, current, suggested, confidence, rule, "
            "recommendation FROM hist.night_recommendations "
            "WHERE night = ? AND status <> 'withdrawn'",
            [earlier],
        ).fetchall()
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
    run_script(con, "nightly/delete_night", {"night": night})
    for host in analysis.hosts:
        m = host.metrics
        con.execute(
            "INSERT INTO hist.night_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [night, host.host, m["calls"], m["successes"], m["failures"], m["rejected"],
             m["failure_rate"], m["opens"], m["open_time_s"], m["episodes"],
             m["half_open_trials"], m["half_open_success_rate"], _dump(m), _dump(host.current)],
        )  # fmt: skip
    for a in advice:
        con.execute(
            "INSERT INTO hist.night_recommendations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [night, a.host, a.parameter, _dump(a.current), _dump(a.suggested), a.direction,
             a.confidence, a.rule, a.status, a.urgent, a.nights_seen, _dump(a.recommendation)],
        )  # fmt: skip
    counts = Counter(a.status for a in advice)
    contract = stored_contract(analysis, advice)
    con.execute(
        "INSERT INTO hist.nights VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [night, analysis.window.start, analysis.window.end,
         sum(s.events for s in analysis.sources), len(analysis.hosts),
         sum(len(h.changes) for h in analysis.hosts), counts["confirmed"],
         counts["new"], counts["withdrawn"], sum(1 for a in advice if a.urgent),
         _dump(contract)],
    )  # fmt: skip
    return contract
