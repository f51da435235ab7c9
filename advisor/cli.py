"""Command line: ``breaker-advise`` and the ``breaker-advisor`` command group.

Commands parse options, call one public function of the library and print the
result; ``AdvisorError`` is turned into a one-line message and the exit code of
DESIGN.md here and nowhere else.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from advisor.analysis import Analysis, analyze
from advisor.config import BreakerConfig, load_config
from advisor.errors import AdvisorError
from advisor.patch import write_config as save_config
from advisor.patch import yaml_fragment
from advisor.table import render

app = typer.Typer(
    name="breaker-advisor",
    help="Analyse circuit-breaker telemetry (manifest SQLite files) and advise on tuning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


def fail(exc: AdvisorError) -> typer.Exit:
    """Print ``Error: message`` on stderr and return the Exit carrying its code."""
    typer.echo(f"Error: {exc}", err=True)
    return typer.Exit(exc.exit_code)


SourcesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Manifest files, directories (searched recursively for *.sqlite3, *.sqlite, *.db) "
        "or globs.",
        show_default=False,
        metavar="SOURCES",
    ),
]
WindowOpt = Annotated[
    float, typer.Option("--window-s", help="Window length in seconds, ending at --until.", min=1)
]
UntilOpt = Annotated[
    str,
    typer.Option(
        "--until",
        help="Window end: ISO-8601 (Z, offset, or naive = UTC), epoch seconds, 'now' "
        "or 'latest' (newest event in the sources).",
    ),
]
HostOpt = Annotated[
    list[str] | None,
    typer.Option("--host", help="Only this host (repeatable, case-insensitive)."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "--breaker-config",
        help="Current breakers.yaml (default: $DOCSTOKG_BREAKERS_YAML). Unconfigured knobs "
        "are inferred from telemetry where possible.",
    ),
]
BreakerOpt = Annotated[
    list[str] | None,
    typer.Option("--breaker", help="Host override HOST=fail_max:4,reset:90 (repeatable)."),
]
BreakerRoleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--breaker-role", help="Role override HOST:ROLE=success_threshold:2 (repeatable)."
    ),
]
BreakerDefaultsOpt = Annotated[
    str | None,
    typer.Option(
        "--breaker-defaults", help="Defaults override fail_max:5,reset:60,retry_after_cap:900."
    ),
]
BreakerResolverOpt = Annotated[
    list[str] | None,
    typer.Option("--breaker-resolver", help="Resolver override NAME=fail_max:3 (repeatable)."),
]
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules", help="YAML overriding rule thresholds (see advisor/rules/defaults.yaml)."
    ),
]
LostWeightOpt = Annotated[
    float | None,
    typer.Option(
        "--lost-weight",
        help="Cost of a refused call while the host was up, in wasted calls (default 0.5).",
    ),
]


def analyze_with_options(
    sources: list[Path],
    *,
    window_s: float,
    until: str,
    host: list[str] | None,
    config: Path | None,
    breaker: list[str] | None,
    breaker_role: list[str] | None,
    breaker_defaults: str | None,
    breaker_resolver: list[str] | None,
    rules: Path | None,
    lost_weight: float | None,
) -> tuple[Analysis, BreakerConfig]:
    """``analyze`` with the current configuration built from the file, the environment
    and the override flags (shared by the commands that take the advise options)."""
    breaker_config = load_config(
        config,
        defaults_override=breaker_defaults,
        host_overrides=breaker or (),
        role_overrides=breaker_role or (),
        resolver_overrides=breaker_resolver or (),
    )
    analysis = analyze(
        sources,
        window_s=window_s,
        until=until,
        hosts=host,
        config=breaker_config,
        rules=rules,
        lost_weight=lost_weight,
    )
    return analysis, breaker_config


def advise(
    sources: SourcesArg,
    window_s: WindowOpt = 3600,
    until: UntilOpt = "now",
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="table (terminal), json (contract) or yaml (breakers.yaml patch).",
        ),
    ] = OutputFormat.table,
    host: HostOpt = None,
    config: ConfigOpt = None,
    breaker: BreakerOpt = None,
    breaker_role: BreakerRoleOpt = None,
    breaker_defaults: BreakerDefaultsOpt = None,
    breaker_resolver: BreakerResolverOpt = None,
    rules: RulesOpt = None,
    lost_weight: LostWeightOpt = None,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No warnings on stderr.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every source and its warnings.")
    ] = False,
) -> None:
    """Per-host breaker metrics and tuning advice over a time window.

    Exit codes: 0 analysed; 1 analysed but a source could not be read; 2 usage error.
    """
    try:
        analysis, breaker_config = analyze_with_options(
            sources, window_s=window_s, until=until, host=host, config=config, breaker=breaker,
            breaker_role=breaker_role, breaker_defaults=breaker_defaults,
            breaker_resolver=breaker_resolver, rules=rules, lost_weight=lost_weight,
        )  # fmt: skip
        if write_config is not None:
            written = save_config(analysis.hosts, breaker_config.path, write_config)
        if html is not None:
            from advisor.report import save_report  # Plotly is imported only when asked for

            save_report(analysis, html)
    except AdvisorError as exc:
        raise fail(exc) from None
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
        for note in analysis.notes:
            typer.echo(f"Warning: {note}", err=True)
        if write_config is not None:
            typer.echo(f"wrote {written}", err=True)
    if analysis.unreadable_sources:
        raise typer.Exit(1)


app.command("advise")(advise)

advise_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
advise_app.command()(advise)


from advisor.commands.breaker import breaker_app  # noqa: E402 - registered after `fail` exists
from advisor.commands.simulate import simulate  # noqa: E402

app.add_typer(breaker_app, name="breaker", help="Show per-host breakers; open or close one.")
app.command("simulate")(simulate)

from advisor.commands.report import report  # noqa: E402

app.command("report")(report)

from advisor.commands.nightly import nightly  # noqa: E402

app.command("nightly")(nightly)


from advisor.commands.replay import replay  # noqa: E402

app.command("replay")(replay)


def main() -> None:
    """Entry point of ``breaker-advisor``."""
    app()


def advise_main() -> None:
    """Entry point of ``breaker-advise``."""
    advise_app()


if __name__ == "__main__":
    advise_main()
