"""One nightly run: lock, stage new rows, analyse the night, write it all in ONE transaction.

Order: take the run lock; attach the store; stage rows beyond the watermarks in
memory; analyse the night over stored plus staged rows; classify advice against
earlier nights; then BEGIN, append events and move watermarks, record the night,
prune by retention, COMMIT. A crash before COMMIT leaves the store as it was.
Reports are written after COMMIT from the committed data (re-running rewrites them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from advisor.advice.rules import load_rule_settings
from advisor.config import BreakerConfig, load_config
from advisor.errors import StoreError, UsageError, first_line
from advisor.ingest.events import analysis_horizon
from advisor.ingest.incremental import Ingest, stage_new_rows, write_ingest
from advisor.ingest.store import lock_path, open_store, store_lock
from advisor.limits import MAX_RETENTION_DAYS, date_in_range
from advisor.model import Analysis
from advisor.nightly.night import LOOKBACK, analyze_night, night_window, open_fractions
from advisor.nightly.outputs import write_outputs
from advisor.nightly.parquet import write_parquet
from advisor.nightly.record import previous_advice, record_night
from advisor.nightly.stability import Advice, StabilityRules, classify
from advisor.outputs.files import refuse_inputs
from advisor.outputs.report.render import PLOTLY_FILE
from advisor.queries import run_script

# DuckDB errors that mean the store file cannot be used (I/O, damage, lost transaction).
STORE_FAILURES = (
    duckdb.IOException,
    duckdb.InternalException,
    duckdb.SerializationException,
    duckdb.TransactionException,
)

# The stages at which a run calls its ``checkpoint``, in order. ``ingested`` and
# ``recorded`` are inside the transaction (events written; before COMMIT).
STAGES = ("locked", "staged", "analysed", "ingested", "recorded", "committed", "reports")


def no_checkpoint(stage: str) -> None:
    """The default checkpoint: a run does nothing extra at any stage."""


@dataclass
class NightResult:
    """What a nightly run did."""

    night: date
    analysis: Analysis
    ingest: Ingest
    advice: list[Advice]
    contract: dict[str, Any]
    written: list[Path]

    @property
    def unreadable_sources(self) -> list[str]:
        return [f"{s.path}: {s.error}" for s in self.ingest.sources if not s.readable]


def default_night(now: datetime | None = None) -> date:
    """Yesterday (UTC): the last complete night."""
    return ((now or datetime.now(UTC)) - timedelta(days=1)).date()


def run_nightly(
    sources: Sequence[str | Path],
    store: str | Path,
    out: str | Path,
    *,
    night: date | None = None,
    stability: StabilityRules | None = None,
    retention_days: int = 90,
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
    lock_wait_s: float = 5.0,
    checkpoint: Callable[[str], None] = no_checkpoint,
    parquet: str | Path | None = None,
) -> NightResult:
    """Ingest new events, analyse ``night`` and write its reports.

    Args:
        sources: manifest files, directories or globs.
        store: the DuckDB history store (created when missing).
        out: folder for ``YYYY-MM-DD.html``, ``index.html`` and ``latest.json``.
        night: the UTC day analysed (default yesterday).
        stability: confirmation thresholds.
        retention_days: nights older than this (before ``night``) are pruned.
        config: the current ``breakers.yaml`` or a loaded config.
        rules: YAML overriding rule thresholds.
        lost_weight: weight of a refused healthy call against a wasted one.
        lock_wait_s: how long to wait for another run's lock.
        checkpoint: called with each of ``STAGES`` as the run reaches it (tests kill or
            pause a real run there to prove crash safety and the lock).
        parquet: also write the night's events and per-breaker metrics as Hive-partitioned
            Parquet under this folder (``advisor.nightly.parquet``).

    Raises:
        StoreError: store locked by another run, or corrupt.
        NoSourcesError: nothing matched ``sources``.
        ConfigError: malformed configuration or rules file.
        UsageError: ``night`` outside 1970-01-01 to 8999-12-31, ``retention_days`` outside
            1 to 36,600, or ``store`` or a file written in ``out`` is an input (a source, the
            configuration, the rules file) or another output.
    """
    night = date_in_range("--night", night or default_night())
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise UsageError(
            f"--retention-days: expected a whole number of days from 1 to "
            f"{MAX_RETENTION_DAYS:,}, got {retention_days!r}"
        )
    stability = stability or StabilityRules()
    breaker_config = config if isinstance(config, BreakerConfig) else load_config(config)
    settings = load_rule_settings(rules, lost_weight=lost_weight)
    store_path, out_dir = Path(store), Path(out)
    refuse_inputs(
        {
            "--store": store_path,
            "--store (its lock file)": lock_path(store_path),
            "--out": out_dir,
            "--parquet": parquet,
            **{f"--out ({name})": out_dir / name for name in _output_names(night)},
        },
        sources=sources,
        inputs={"the input configuration": breaker_config.path, "the rules file": rules},
    )
    cutoff = night - timedelta(days=retention_days)
    keep_from = night_window(cutoff).start - LOOKBACK
    with store_lock(store_path, lock_wait_s):
        checkpoint("locked")
        con = open_store(store_path)
        try:
            # rows more than a day after the later of the clock and the night are bad rows
            horizon = analysis_horizon(night_window(night).end)
            ingest = stage_new_rows(con, sources, keep_from, horizon)
            checkpoint("staged")
            analysis = analyze_night(con, night, breaker_config, settings)
            previous = previous_advice(con, night, stability.confirm_window)
            fractions = open_fractions(con, analysis.window)
            advice = classify(analysis.hosts, fractions, previous, stability)
            checkpoint("analysed")
            contract = _commit(con, ingest, night, analysis, advice, cutoff, keep_from, checkpoint)
            checkpoint("committed")
            written = write_outputs(con, out_dir, night, analysis, advice, stability, cutoff)
            if parquet is not None:
                written += write_parquet(con, Path(parquet), night, analysis, cutoff)
            checkpoint("reports")
        except STORE_FAILURES as exc:
            raise StoreError(f"{store_path}: history store error ({first_line(exc)})") from None
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("DETACH hist")  # the DuckDB file is free before the lock is
    return NightResult(night, analysis, ingest, advice, contract, written)


def _output_names(night: date) -> tuple[str, ...]:
    """The files a run writes in ``--out``."""
    return (f"{night.isoformat()}.html", "index.html", "latest.json", PLOTLY_FILE)


def _commit(
    con: duckdb.DuckDBPyConnection,
    ingest: Ingest,
    night: date,
    analysis: Analysis,
    advice: list[Advice],
    cutoff: date,
    keep_from: datetime,
    checkpoint: Callable[[str], None],
) -> dict[str, Any]:
    con.execute("BEGIN")
    try:
        write_ingest(con, ingest)
        checkpoint("ingested")
        contract = record_night(con, night, analysis, advice)
        run_script(con, "nightly/prune", {"cutoff": cutoff, "keep_events_from": keep_from})
        checkpoint("recorded")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return contract
