"""``breaker-advisor serve``: ``/metrics`` for Prometheus over a sliding window,
recomputed in the background (``advisor.serve``).

Registered by ``advisor.cli.app``; the analysis options come from ``advisor.cli.common``
(the same as ``breaker-advise``; ``--window-s`` ending ``--until``, default now).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli.common import (
    AnalysisOptions,
    analysis_command,
    cache_of,
    debug_logging,
    say_problems,
)
from advisor.cli.options import AnalysisVerbosityOpt, CacheKeepDaysOpt, CacheOpt, QuietOpt

if TYPE_CHECKING:
    from advisor.model import Analysis


def analyse(
    options: AnalysisOptions,
    cache: Path | None,
    cache_keep_days: int | None,
    quiet: bool,
    verbose: int = 0,
) -> Analysis:
    """One analysis of the window ending now (run in the server's child process, hence
    a module-level function), its warnings on stderr (``-vv``: its decisions too)."""
    debug_logging(verbose)
    store, _ = cache_of(cache, cache_keep_days)
    analysis, _ = options.analyze(cache=store)
    if not quiet:
        say_problems(analysis, store)
    return analysis


@analysis_command()
def serve(
    options: AnalysisOptions,
    bind: Annotated[
        str,
        typer.Option(
            "--bind",
            help="Address to listen on. No authentication or TLS: keep the default, or put "
            "a reverse proxy in front.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port (0: any free port).", min=0, max=65535)
    ] = 9464,
    interval_s: Annotated[
        float,
        typer.Option("--interval-s", help="Seconds between the starts of two analyses.", min=1),
    ] = 60.0,
    cache: CacheOpt = None,
    cache_keep_days: CacheKeepDaysOpt = None,
    quiet: QuietOpt = False,
    verbose: AnalysisVerbosityOpt = 0,
) -> None:
    """Serve the export's metrics on /metrics, recomputed in the background.

    A scrape returns the last analysis at once (never waits for one). Ctrl-C stops.
    Exit codes: 0 stopped; 2 usage error (port in use, bad option); 70 internal error.
    """
    from advisor.serve import MetricsServer

    # refused before listening: an output of a run must never be one of its sources
    _, outputs = cache_of(cache, cache_keep_days)
    if outputs:
        from advisor.outputs.files import refuse_inputs

        refuse_inputs(outputs, sources=list(options.sources))

    def say(message: str) -> None:
        if not quiet:
            typer.echo(f"Error: analysis failed: {message}", err=True)

    compute = partial(analyse, options, cache, cache_keep_days, quiet, verbose)
    server = MetricsServer(compute, interval_s=interval_s, bind=bind, port=port, on_error=say)
    server.start()
    host, bound = server.address
    if not quiet:
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"serving http://{shown}:{bound}/metrics (Ctrl-C stops)", err=True)
    server.wait()
    if not quiet:
        typer.echo("stopped", err=True)
