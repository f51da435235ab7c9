"""What every command shares: the error exit, the options of ``advise`` that other
commands take too, and the analysis those options describe. Imported by
``advisor.cli.app`` and by each command module (never the other way round)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from advisor.config import BreakerConfig, load_config, normalize_host
from advisor.errors import AdvisorError
from advisor.model import Analysis
from advisor.outputs.files import refuse_inputs
from advisor.pipeline import analyze
from advisor.text import printable


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
        "--rules", help="YAML overriding rule thresholds (see advisor/advice/rules/defaults.yaml)."
    ),
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        envvar="BREAKER_ADVISOR_MEMORY_LIMIT",
        show_envvar=True,
        help="Memory DuckDB may use, e.g. 2GB (default: 80% of RAM, at most half of "
        "ulimit -v); beyond it, it spills to the system temp directory.",
    ),
]
LostWeightOpt = Annotated[
    float | None,
    typer.Option(
        "--lost-weight",
        help="Cost of a refused call while the host was up, in wasted calls (default 0.5).",
    ),
]


def breaker_config_from_options(
    config: Path | None,
    breaker: list[str] | None,
    breaker_role: list[str] | None,
    breaker_defaults: str | None,
    breaker_resolver: list[str] | None,
) -> BreakerConfig:
    """The current configuration every command builds the same way: ``--config`` (else
    ``$DOCSTOKG_BREAKERS_YAML``), the environment overlays, then the override flags.

    Raises:
        ConfigError: a malformed file or override.
    """
    return load_config(
        config,
        defaults_override=breaker_defaults,
        host_overrides=breaker or (),
        role_overrides=breaker_role or (),
        resolver_overrides=breaker_resolver or (),
    )


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
    outputs: dict[str, Path | None] | None = None,
) -> tuple[Analysis, BreakerConfig]:
    """``analyze`` with the current configuration built from the file, the environment
    and the override flags (shared by the commands that take the advise options).
    ``outputs`` (``{option: path}``) are refused before anything is read when one is an
    input of the run (a source, the configuration, the rules file) or another output.

    Raises:
        UsageError: an output path is an input (and what ``analyze`` raises).
    """
    breaker_config = breaker_config_from_options(
        config, breaker, breaker_role, breaker_defaults, breaker_resolver
    )
    if outputs:
        refuse_inputs(
            outputs,
            sources=sources,
            inputs={
                "the input configuration": breaker_config.path,
                "the rules file": rules,
            },
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


def note_unmatched_hosts(requested: list[str] | None, analysis: Analysis) -> None:
    """Say on stderr which ``--host`` values matched no host of the analysis."""
    found = {h.host for h in analysis.hosts}
    for name in requested or []:
        if normalize_host(name) not in found:
            typer.echo(
                f"Warning: --host {printable(name)}: no such host in the sources' window "
                f"{analysis.window.to_dict()['start']} .. {analysis.window.to_dict()['end']}",
                err=True,
            )
