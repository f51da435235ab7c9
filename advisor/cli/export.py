"""``breaker-advisor export``: the analysis as Prometheus / OpenMetrics text, for
node_exporter's textfile collector or any scraper that reads files.

Registered by ``advisor.cli.app``; the analysis options come from ``advisor.cli.common``
(the same as ``breaker-advise``), the exposition from ``advisor.outputs.openmetrics``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import (
    AnalysisOptions,
    analysis_command,
    cache_of,
    debug_logging,
    say_problems,
)
from advisor.cli.options import AnalysisVerbosityOpt, CacheKeepDaysOpt, CacheOpt, QuietOpt


class TextFormat(StrEnum):
    """``--format``: advisor.outputs.openmetrics.ExportFormat, declared here so that
    ``--help`` does not import prometheus_client."""

    openmetrics = "openmetrics"
    prometheus = "prometheus"


@analysis_command()
def export(
    options: AnalysisOptions,
    output_format: Annotated[
        TextFormat,
        typer.Option(
            "--format",
            "-f",
            help="openmetrics (OpenMetrics 1.0 text) or prometheus (the text format "
            "node_exporter's textfile collector reads).",
        ),
    ] = TextFormat.openmetrics,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write atomically (e.g. a *.prom file in node_exporter's "
            "--collector.textfile.directory); default: stdout.",
        ),
    ] = None,
    cache: CacheOpt = None,
    cache_keep_days: CacheKeepDaysOpt = None,
    quiet: QuietOpt = False,
    verbose: AnalysisVerbosityOpt = 0,
) -> None:
    """Per-breaker metrics and advised settings as Prometheus / OpenMetrics text.

    Exit codes: 0 written; 1 written but a source could not be read; 2 usage error;
    4 out of memory (--memory-limit); 70 internal error.
    """
    debug_logging(verbose)
    from advisor.outputs.openmetrics import ExportFormat, exposition, write_exposition

    store, outputs = cache_of(cache, cache_keep_days)
    analysis, _ = options.analyze(outputs={"--out": out, **outputs}, cache=store)
    chosen = ExportFormat(output_format.value)
    if out is None:
        sys.stdout.buffer.write(exposition(analysis, chosen))
        sys.stdout.flush()
    else:
        write_exposition(analysis, out, chosen)
    if not quiet:
        say_problems(analysis, store, options.host)
        if out is not None:
            typer.echo(f"wrote {out}", err=True)
    if analysis.unreadable_sources:
        raise typer.Exit(1)
