"""``breaker-advisor nightly``: ingest new telemetry into the history store, analyse a
night, and write dated reports with trends.

Registered by ``advisor.cli.app``; the configuration options come from
``advisor.cli.common`` (the window is the day ``--night``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import AnalysisOptions, analysis_command, debug_logging
from advisor.cli.options import AnalysisVerbosityOpt, QuietOpt
from advisor.errors import UsageError
from advisor.limits import date_in_range


def _night(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--night {text!r}: expected a date YYYY-MM-DD") from None
    return date_in_range("--night", day)


@analysis_command(window=False, hosts=False)
def nightly(
    options: AnalysisOptions,
    store: Annotated[
        Path, typer.Option("--store", help="DuckDB history store (created when missing).")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for YYYY-MM-DD.html, index.html, latest.json."),
    ],
    nights_to_confirm: Annotated[
        int,
        typer.Option("--nights-to-confirm", help="Nights a change must be advised on.", min=1),
    ] = 3,
    confirm_window: Annotated[
        int, typer.Option("--confirm-window", help="...out of this many last nights.", min=1)
    ] = 5,
    retention_days: Annotated[
        int,
        typer.Option(
            "--retention-days", help="Nights kept in store and reports (1 to 36600).", min=1
        ),
    ] = 90,
    night: Annotated[
        str | None,
        typer.Option(
            "--night",
            help="UTC day to analyse, YYYY-MM-DD, 1970-01-01 to 8999-12-31 (default yesterday).",
        ),
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option(
            "--parquet",
            help="Also write the night's events and per-breaker metrics as Hive-partitioned "
            "Parquet under this folder (events/date=YYYY-MM-DD/, breaker_daily/date=.../).",
        ),
    ] = None,
    quiet: QuietOpt = False,
    verbose: AnalysisVerbosityOpt = 0,
) -> None:
    """Nightly job: incremental history, stable advice, dated HTML reports with trends.

    The window is the UTC day --night (--window-s and --until are refused). Exit codes:
    0 done; 1 done but a source could not be read; 2 usage error; 3 history store locked
    by another run, or corrupt; 4 out of memory (--memory-limit); 70 internal error.
    """
    debug_logging(verbose)
    from advisor.nightly import StabilityRules, run_nightly

    if confirm_window < nights_to_confirm:
        raise UsageError("--confirm-window must be at least --nights-to-confirm")
    result = run_nightly(
        list(options.sources),
        store,
        out,
        night=_night(night),
        stability=StabilityRules(nights_to_confirm, confirm_window),
        retention_days=retention_days,
        config=options.breaker_config(),
        rules=options.rules,
        lost_weight=options.lost_weight,
        parquet=parquet,
    )
    if not quiet:
        for source in result.ingest.sources:
            if not source.readable:
                typer.echo(f"Error: {source.path}: not read: {source.error}", err=True)
            for warning in source.warnings[:3]:
                typer.echo(f"Warning: {source.path}: {warning}", err=True)
        counts = {s: sum(1 for a in result.advice if a.status == s) for s in
                  ("confirmed", "new", "pending", "withdrawn")}  # fmt: skip
        typer.echo(
            f"night {result.night}: {result.ingest.new_events} new events, "
            f"{len(result.analysis.hosts)} hosts, "
            + ", ".join(f"{n} {s}" for s, n in counts.items())
            + f"; wrote {result.written[0]}",
            err=True,
        )
    if result.unreadable_sources:
        raise typer.Exit(1)
