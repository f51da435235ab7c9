"""The command-line options that more than one command takes, each declared once here
with its help text: the sources and window, the current breaker configuration and its
overrides, the rules, the memory limit and ``--format``. ``advisor.cli.common`` adds the
analysis options to ``advise``, ``report``, ``replay`` and ``nightly``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

# The help panel the configuration options share in every command's --help.
CONFIGURATION_PANEL = "Configuration (the same in advise, report, replay and nightly)"

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


def _configuration(*names: str, help: str, **more: Any) -> Any:
    """An option of the configuration panel (the same in every analysis command)."""
    return typer.Option(*names, help=help, rich_help_panel=CONFIGURATION_PANEL, **more)


ConfigOpt = Annotated[
    Path | None,
    _configuration(
        "--config",
        "--breaker-config",
        help="Current breakers.yaml (default: $DOCSTOKG_BREAKERS_YAML). Unconfigured knobs "
        "are inferred from telemetry where possible.",
    ),
]
BreakerOpt = Annotated[
    list[str] | None,
    _configuration("--breaker", help="Host override HOST=fail_max:4,reset:90 (repeatable)."),
]
BreakerRoleOpt = Annotated[
    list[str] | None,
    _configuration(
        "--breaker-role", help="Role override HOST:ROLE=success_threshold:2 (repeatable)."
    ),
]
BreakerDefaultsOpt = Annotated[
    str | None,
    _configuration(
        "--breaker-defaults", help="Defaults override fail_max:5,reset:60,retry_after_cap:900."
    ),
]
BreakerResolverOpt = Annotated[
    list[str] | None,
    _configuration("--breaker-resolver", help="Resolver override NAME=fail_max:3 (repeatable)."),
]
RulesOpt = Annotated[
    Path | None,
    _configuration(
        "--rules",
        help="YAML overriding rule thresholds and bounds (see advisor/advice/rules/defaults.yaml).",
    ),
]
LostWeightOpt = Annotated[
    float | None,
    _configuration(
        "--lost-weight",
        help="Cost of a refused call while the host was up, in wasted calls (default 0.5).",
    ),
]
MemoryLimitOpt = Annotated[
    str | None,
    _configuration(
        "--memory-limit",
        envvar="BREAKER_ADVISOR_MEMORY_LIMIT",
        show_envvar=True,
        help="Memory DuckDB may use, e.g. 2GB (default: 80% of RAM, at most half of "
        "ulimit -v); beyond it, it spills to the system temp directory.",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        envvar="BREAKER_ADVISOR_CACHE",
        show_envvar=True,
        help="Keep the normalised events (and results) in this DuckDB file (*.duckdb) and "
        "read only rows not seen before on the next run; the same output. Default: off.",
    ),
]
CacheKeepDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--cache-keep-days",
        help="Days of events the cache keeps, counted back from its newest event (default 14).",
        show_default=False,
    ),
]
# nightly analyses one UTC day (--night): it takes these only to refuse them clearly.
RefusedWindowOpt = Annotated[str | None, typer.Option("--window-s", hidden=True)]
RefusedUntilOpt = Annotated[str | None, typer.Option("--until", hidden=True)]


class OutputFormat(StrEnum):
    """What a command prints on stdout; each command accepts some of these."""

    table = "table"
    json = "json"
    yaml = "yaml"


def format_option(*formats: OutputFormat, help: str) -> Any:
    """The ``--format`` / ``-f`` option accepting only ``formats`` (the first is the
    default to give it); anything else is a usage error listing them."""
    names = [f.value for f in formats]

    def parse(value: str) -> OutputFormat:
        if value not in names:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(names)}")
        return OutputFormat(value)

    return typer.Option(
        "--format", "-f", parser=parse, metavar="[" + "|".join(names) + "]", help=help
    )


TableOrJsonOpt = Annotated[
    OutputFormat, format_option(OutputFormat.table, OutputFormat.json, help="table or json.")
]
"""``--format table|json`` of the commands without a YAML patch (replay, breaker show)."""
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr.")]
AnalysisVerbosityOpt = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        help="-v: on an internal error, print the traceback (advise: also every source and "
        "all its warnings); -vv (or DOCSTOKG_BREAKER_DEBUG=1): also log the analysis's "
        "decisions at DEBUG on stderr (sources read or skipped and why, the layout of each "
        "table, each breaker's advice).",
    ),
]
"""``-v``/``-vv`` of the analysis commands (advise, report, replay, nightly, export, serve):
``advisor.cli.common.debug_logging`` turns the count into logging."""
VerbosityOpt = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        help="-v: log breaker decisions at INFO; -vv (or DOCSTOKG_BREAKER_DEBUG=1): every "
        "admitted call, refusal, state change and operator override at DEBUG, on stderr.",
    ),
]
"""``-v``/``-vv`` of the commands that run or steer breakers (simulate, breaker)."""


class Breakdown(StrEnum):
    """What ``breaker-advise --by`` breaks a host's counts down by."""

    role = "role"


ByOpt = Annotated[
    Breakdown | None,
    typer.Option(
        "--by",
        help="role: also break each host's shared breaker's calls, failures and refused "
        "calls down by role (metadata, landing, artifact): table, JSON hosts[].roles.",
    ),
]
"""``breaker-advise --by role`` (docs/design.md "Output contract")."""
