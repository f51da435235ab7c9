"""``breaker-advisor report``: the HTML tuning report of one window, as one offline file.

Registered by ``advisor.cli.app``; its options come from ``advisor.cli.common``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import (
    BreakerDefaultsOpt,
    BreakerOpt,
    BreakerResolverOpt,
    BreakerRoleOpt,
    ConfigOpt,
    HostOpt,
    LostWeightOpt,
    MemoryLimitOpt,
    RulesOpt,
    SourcesArg,
    UntilOpt,
    WindowOpt,
    analyze_with_options,
    fail,
    note_unmatched_hosts,
)
from advisor.errors import AdvisorError
from advisor.ingest.database import set_memory_limit


def report(
    sources: SourcesArg,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="HTML file to write (self-contained, works offline)."),
    ],
    window_s: WindowOpt = 3600,
    until: UntilOpt = "now",
    host: HostOpt = None,
    config: ConfigOpt = None,
    breaker: BreakerOpt = None,
    breaker_role: BreakerRoleOpt = None,
    breaker_defaults: BreakerDefaultsOpt = None,
    breaker_resolver: BreakerResolverOpt = None,
    rules: RulesOpt = None,
    lost_weight: LostWeightOpt = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr.")] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="On an internal error, print the traceback."),
    ] = False,
) -> None:
    """Write the HTML tuning report: summary, fleet charts, one section per host.

    Exit codes: 0 written; 1 written but a source could not be read; 2 usage error;
    70 internal error.
    """
    from advisor.outputs.report import save_report  # Plotly is imported only when a report is made

    try:
        set_memory_limit(memory_limit)
        analysis, _ = analyze_with_options(
            sources, window_s=window_s, until=until, host=host, config=config, breaker=breaker,
            breaker_role=breaker_role, breaker_defaults=breaker_defaults,
            breaker_resolver=breaker_resolver, rules=rules, lost_weight=lost_weight,
            outputs={"--out": out},
        )  # fmt: skip
        written = save_report(analysis, out)
    except AdvisorError as exc:
        raise fail(exc) from None
    if not quiet:
        note_unmatched_hosts(host, analysis)
        for source in analysis.unreadable_sources:
            typer.echo(f"Error: {source.path}: not analysed: {source.error}", err=True)
        typer.echo(f"wrote {written}", err=True)
    if analysis.unreadable_sources:
        raise typer.Exit(1)
