"""The nightly job: incremental history in DuckDB, stable advice, dated reports.

``store`` (file, lock, schema) · ``identity`` + ``ingest`` (new rows only) ·
``night`` (analysis over the store) · ``stability`` + ``record`` (advice over nights)
· ``outputs`` + ``trend_figures`` (files) · ``history`` (read API) · ``job`` (one run).
"""

from __future__ import annotations

from advisor.nightly.history import History, open_history
from advisor.nightly.job import NightResult, default_night, run_nightly
from advisor.nightly.stability import StabilityRules

__all__ = [
    "History",
    "NightResult",
    "StabilityRules",
    "default_night",
    "open_history",
    "run_nightly",
]
