"""Read the history store from Python: nights, metrics and advice as DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from advisor.ingest.store import open_store
from advisor.outputs.frames import relation_frame


@dataclass
class History:
    """A snapshot of the history store (the file is closed again once read)."""

    nights: pd.DataFrame  # one row per night: window and headline counts
    metrics: pd.DataFrame  # one row per night and host: flat metrics (+ JSON of all)
    recommendations: pd.DataFrame  # one row per night, host and parameter, with status


def open_history(path: str | Path) -> History:
    """Load the nightly history store at ``path`` into DataFrames.

    Raises:
        StoreError: no store there, it is corrupt, or a nightly run holds it.
    """
    con = open_store(Path(path), read_only=True)
    try:
        return History(
            nights=relation_frame(
                con, "SELECT * EXCLUDE (contract) FROM hist.nights ORDER BY night"
            ),
            metrics=relation_frame(con, "SELECT * FROM hist.night_metrics ORDER BY night, host"),
            recommendations=relation_frame(
                con, "SELECT * FROM hist.night_recommendations ORDER BY night, host, parameter"
            ),
        )
    finally:
        con.close()
