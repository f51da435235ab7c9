"""``breaker-advisor report``: the HTML tuning report of one window, as one offline file;
from the sources, or ``--from`` a report-data file saved by ``breaker-advise --report-data``.

Registered by ``advisor.cli.app``; the analysis options come from ``advisor.cli.common``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import (
    AnalysisOptions,
    analysis_command,
    debug_logging,
    say_problems,
)
from advisor.cli.options import AnalysisVerbosityOpt, QuietOpt
from advisor.errors import UsageError
from advisor.outputs.files import refuse_inputs


@analysis_command(sources=False)
def report(
    options: AnalysisOptions,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="HTML file to write (self-contained, works offline)."),
    ],
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Render this report-data file (written by breaker-advise --report-data) "
            "instead of analysing SOURCES.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    verbose: AnalysisVerbosityOpt = 0,
) -> None:
    """Write the HTML tuning report: summary, fleet charts, one section per host.

    Exit codes: 0 written; 1 written but a source could not be read; 2 usage error;
    4 out of memory (--memory-limit); 70 internal error.
    """
    debug_logging(verbose)
    # Plotly is imported only when a report is made
    from advisor.outputs.report import save_report, save_report_from
    from advisor.pipeline import report_data

    if from_ is not None or not options.sources:
        if from_ is None or options.sources:
            raise UsageError("give SOURCES to analyse, or --from a saved report-data file")
        refuse_inputs({"--out": out}, inputs={"--from": from_})
        written = save_report_from(from_, out)
        if not quiet:
            typer.echo(f"wrote {written}", err=True)
        return
    analysis, _ = options.analyze(outputs={"--out": out})
    from advisor.window import iso_z

    command = options.command_line(iso_z(analysis.window.end))
    written = save_report(report_data(analysis, argv=command, rules=options.rules), out)
    if not quiet:
        say_problems(analysis, hosts=options.host)
        typer.echo(f"wrote {written}", err=True)
    if analysis.unreadable_sources:
        raise typer.Exit(1)
