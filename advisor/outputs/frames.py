"""The analysis as pandas DataFrames: DuckDB relations with proper dtypes (UTC-aware
timestamps, nullable integers, categories for states) and the contract's per-host
fields flattened into columns."""

from __future__ import annotations

import warnings
from typing import Any

import duckdb
import pandas as pd


def relation_frame(
    con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any] | list[Any] | None = None
) -> pd.DataFrame:
    """Run ``query`` and return its rows as a DataFrame (DuckDB types preserved)."""
    cursor = con.execute(query, params) if params is not None else con.execute(query)
    with warnings.catch_warnings():
        # duckdb's pandas conversion still passes `inplace=` (deprecated in pandas 3.1)
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        return cursor.df()


def metrics_frame(hosts: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per host, its ``scope`` ("host" or "resolver": a resolver's own breaker)
    and every ``metrics`` field of the contract as a column (nested ones as
    ``open_duration_s_p50``...)."""
    rows = [
        {"host": h["host"], "scope": h.get("scope", "host"), **_flatten(h["metrics"])}
        for h in hosts
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in frame.columns[2:]:
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("Int64")
        else:
            frame[column] = frame[column].astype("Float64")
    return frame.set_index("host")


def recommendations_frame(hosts: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per recommendation: host, parameter, current, suggested, confidence,
    rule, the first reason, and the full reasons and evidence."""
    columns = ["host", "parameter", "current", "suggested", "confidence", "rule", "reason",
               "reasons", "evidence"]  # fmt: skip
    rows = [
        {"host": h["host"], **r, "reason": r["reasons"][0] if r["reasons"] else ""}
        for h in hosts
        for r in h["recommendations"]
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("current", "suggested"):
        # each value keeps its parameter's type (fail_max 3, not 3.0 beside a missing
        # rate limit; "1.27/s" stays text); nothing configured is <NA>
        frame[column] = pd.array([_missing(r[column]) for r in rows], dtype=object)
    return frame


def what_if_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A what-if's settings and counts side by side (``WhatIf.to_dict()``): one column
    each for what was recorded, today's setting replayed, the candidate and, after a grid
    search, the best setting; one row per setting or count."""
    columns = {"recorded": result["recorded"], "current (replayed)": result["current"]}
    columns["candidate"] = result["candidate"]
    if "grid" in result:
        columns["best of grid"] = result["grid"]["best"]
    # the settings first (the replays' keys), then the counts of every column
    rows = list(dict.fromkeys([*result["current"], *result["recorded"]]))
    return pd.DataFrame(
        {name: pd.array([_missing(v.get(k)) for k in rows], dtype=object)
         for name, v in columns.items()},
        index=pd.Index(rows, name=result["host"]),
    )  # fmt: skip


def _missing(value: Any) -> Any:
    return pd.NA if value is None else value


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat
