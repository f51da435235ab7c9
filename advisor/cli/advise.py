"""``breaker-advise`` (and ``breaker-advisor advise``): per-host metrics and tuning advice.

Kept apart from the other commands, and importing only what its options need, so that
``breaker-advise --help`` starts fast: the analysis (DuckDB, NumPy) and each output's
modules are imported when they are used (issue 15, start-up).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import (
    AnalysisOptions,
    analysis_command,
    cache_of,
    debug_logging,
    note_unmatched_hosts,
    run_entry,
)
from advisor.cli.options import (
    AnalysisVerbosityOpt,
    ByOpt,
    CacheKeepDaysOpt,
    CacheOpt,
    OutputFormat,
    format_option,
)


@analysis_command()
def advise(
    options: AnalysisOptions,
    output_format: Annotated[
        OutputFormat,
        format_option(
            OutputFormat.table,
            OutputFormat.json,
            OutputFormat.yaml,
            help="table (terminal), json (contract) or yaml (breakers.yaml patch).",
        ),
    ] = OutputFormat.table,
    write_config: Annotated[
        Path | None,
        typer.Option(
            "--write-config",
            help="Write the current breakers.yaml with the suggested changes applied to this "
            "new file (comments and order kept; never the input).",
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the HTML report (self-contained) to this file."),
    ] = None,
    report_data_path: Annotated[
        Path | None,
        typer.Option(
            "--report-data",
            help="Also write the report data (JSON: what the HTML report shows) to this file; "
            "breaker-advisor report --from renders it later without the sources.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No warnings on stderr.")] = False,
    verbose: AnalysisVerbosityOpt = 0,
    cache: CacheOpt = None,
    cache_keep_days: CacheKeepDaysOpt = None,
    by: ByOpt = None,
) -> None:
    """Per-host breaker metrics and tuning advice over a time window.

    Exit codes: 0 analysed; 1 analysed but a source could not be read; 2 usage error;
    4 out of memory (--memory-limit); 70 internal error (traceback saved in the temp dir;
    -v prints it).
    """
    debug_logging(verbose)
    outputs = {"--write-config": write_config, "--html": html, "--report-data": report_data_path}
    # the report needs the analysis's relations: a stored whole analysis has none
    reports = html is not None or report_data_path is not None or by is not None
    store, cache_files = cache_of(cache, cache_keep_days, reuse_analysis=not reports)
    outputs |= cache_files
    analysis, breaker_config = options.analyze(outputs=outputs, cache=store)
    if store is not None and not quiet:
        for note in store.notes:
            typer.echo(f"Warning: {note}", err=True)
    if by is not None:  # --by role: hosts[].roles in every output
        from advisor.pipeline import attach_roles

        attach_roles(analysis)
    if write_config is not None:
        from advisor.outputs.patch import write_config as save_config

        written = save_config(analysis.hosts, breaker_config.path, write_config)
    if html is not None or report_data_path is not None:
        # Plotly is imported only when asked for
        from advisor.outputs.report import save_report, save_report_data
        from advisor.pipeline import report_data
        from advisor.window import iso_z

        until = iso_z(analysis.window.end)
        data = report_data(analysis, argv=options.command_line(until), rules=options.rules)
        if html is not None:
            save_report(data, html)
        if report_data_path is not None:
            save_report_data(data, report_data_path)
    if output_format is OutputFormat.json:
        sys.stdout.write(analysis.to_json() + "\n")
    elif output_format is OutputFormat.yaml:
        from advisor.outputs.patch import yaml_fragment

        sys.stdout.write(yaml_fragment(analysis.hosts))
    else:
        from rich.console import Console

        from advisor.outputs.table import render

        render(analysis, Console(highlight=False, width=None if sys.stdout.isatty() else 200))
    if not quiet:
        for source in analysis.sources:
            if verbose:
                typer.echo(
                    f"source {source.path}: tables {', '.join(sorted(source.tables)) or '-'}, "
                    f"{source.events} events, {source.skipped} skipped",
                    err=True,
                )
            if not source.readable:
                typer.echo(f"Error: {source.path}: not analysed: {source.error}", err=True)
            shown = source.warnings if verbose else source.warnings[:3]
            for warning in shown:
                typer.echo(f"Warning: {source.path}: {warning}", err=True)
            if len(source.warnings) > len(shown):
                typer.echo(
                    f"Warning: {source.path}: {len(source.warnings) - len(shown)} more "
                    "(--verbose shows all)",
                    err=True,
                )
    if not quiet:
        note_unmatched_hosts(options.host, analysis)
        for note in analysis.notes:
            typer.echo(f"Warning: {note}", err=True)
        if write_config is not None:
            typer.echo(f"wrote {written}", err=True)
    if analysis.unreadable_sources:
        raise typer.Exit(1)


advise_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
advise_app.command()(advise)


def advise_main() -> None:
    """Entry point of ``breaker-advise``."""
    run_entry(advise_app, "breaker-advise")
