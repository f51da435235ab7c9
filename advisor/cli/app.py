"""Command line: ``breaker-advise`` and the ``breaker-advisor`` command group.

Commands parse options, call one public function of the library and print the
result; ``AdvisorError`` is turned into a one-line message and the exit code of
DESIGN.md here and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from advisor.cli.breaker import breaker_app
from advisor.cli.common import AnalysisOptions, analysis_command, note_unmatched_hosts
from advisor.cli.nightly import nightly
from advisor.cli.options import OutputFormat, format_option
from advisor.cli.replay import replay
from advisor.cli.report import report
from advisor.cli.simulate import simulate
from advisor.errors import AdvisorError, first_line
from advisor.outputs.patch import write_config as save_config
from advisor.outputs.patch import yaml_fragment
from advisor.outputs.table import render

app = typer.Typer(
    name="breaker-advisor",
    help="Analyse circuit-breaker telemetry (manifest SQLite files) and advise on tuning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every source and its warnings.")
    ] = False,
) -> None:
    """Per-host breaker metrics and tuning advice over a time window.

    Exit codes: 0 analysed; 1 analysed but a source could not be read; 2 usage error;
    4 out of memory (--memory-limit); 70 internal error (traceback saved in the temp dir;
    -v prints it).
    """
    analysis, breaker_config = options.analyze(
        outputs={"--write-config": write_config, "--html": html, "--report-data": report_data_path}
    )
    if write_config is not None:
        written = save_config(analysis.hosts, breaker_config.path, write_config)
    if html is not None or report_data_path is not None:
        # Plotly is imported only when asked for
        from advisor.outputs.report import save_report, save_report_data
        from advisor.pipeline import report_data

        data = report_data(analysis)
        if html is not None:
            save_report(data, html)
        if report_data_path is not None:
            save_report_data(data, report_data_path)
    if output_format is OutputFormat.json:
        sys.stdout.write(analysis.to_json() + "\n")
    elif output_format is OutputFormat.yaml:
        sys.stdout.write(yaml_fragment(analysis.hosts))
    else:
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


app.command("advise")(advise)

advise_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
advise_app.command()(advise)


app.add_typer(breaker_app, name="breaker", help="Show per-host breakers; open or close one.")
app.command("simulate")(simulate)


app.command("report")(report)


app.command("nightly")(nightly)


app.command("replay")(replay)


EX_SOFTWARE = 70  # sysexits.h: internal software error (DESIGN.md "Exit codes")


def _verbose(args: list[str]) -> bool:
    options = args[: args.index("--")] if "--" in args else args
    return "-v" in options or "--verbose" in options


def internal_error(exc: BaseException, prog: str, args: list[str]) -> int:
    """Report a bug: one stderr line naming what failed and the file holding the
    traceback (in the temp dir; printed directly with ``-v``). Returns exit code 70."""
    trace = "".join(traceback.format_exception(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    what = f"{prog} {args[0]}" if prog == "breaker-advisor" and args else prog
    if _verbose(args):
        sys.stderr.write(trace)
    try:
        fd, saved = tempfile.mkstemp(prefix=f"{prog}-", suffix=".traceback.txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(f"{prog} {' '.join(args)}\n{trace}")
        where = f"traceback saved to {saved}"
    except OSError as save_error:
        if not _verbose(args):
            sys.stderr.write(trace)
        where = f"traceback not saved ({save_error.strerror or save_error})"
    typer.echo(
        f"Error: internal error in {what}: {type(exc).__name__}: {first_line(exc)}{at}; "
        f"{where} (please report it)",
        err=True,
    )
    return EX_SOFTWARE


EX_OUT_OF_MEMORY = 4  # docs/design.md "Exit codes"


def out_of_memory(exc: BaseException) -> int:
    """One stderr line for running out of memory (not a bug: a limit); exit code 4."""
    from advisor.ingest.database import ENV_MEMORY_LIMIT, memory_limit

    limit = "unknown"
    with contextlib.suppress(AdvisorError):
        limit = f"{memory_limit() / (1 << 30):.1f} GiB"
    typer.echo(
        f"Error: out of memory ({first_line(exc)}); the limit was {limit}: raise it with "
        f"--memory-limit or {ENV_MEMORY_LIMIT} (it spills to the temp directory beyond "
        "it), or analyse fewer sources or a shorter --window-s",
        err=True,
    )
    return EX_OUT_OF_MEMORY


def _run(entry: typer.Typer, prog: str) -> None:
    # Click turns usage errors into exit 2 and commands turn AdvisorError into 1/2/3;
    # running out of memory is exit 4; anything else reaching here is a bug: exit 70,
    # never 1 ("a source was unreadable").
    try:
        entry(prog_name=prog)
    except (MemoryError, duckdb.OutOfMemoryException) as exc:
        sys.exit(out_of_memory(exc))
    except Exception as exc:
        sys.exit(internal_error(exc, prog, sys.argv[1:]))


def main() -> None:
    """Entry point of ``breaker-advisor``."""
    _run(app, "breaker-advisor")


def advise_main() -> None:
    """Entry point of ``breaker-advise``."""
    _run(advise_app, "breaker-advise")
