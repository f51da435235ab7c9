"""``breaker-advisor replay``: back-test a breaker setting against recorded traffic."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from advisor.advice.replay import Grid, default_grid, parse_values
from advisor.advice.rules import load_rule_settings
from advisor.cli.common import (
    BreakerDefaultsOpt,
    BreakerOpt,
    BreakerResolverOpt,
    BreakerRoleOpt,
    ConfigOpt,
    MemoryLimitOpt,
    breaker_config_from_options,
    fail,
)
from advisor.errors import AdvisorError
from advisor.ingest.database import set_memory_limit
from advisor.limits import MAX_COUNT, MAX_DURATION_S, number_in
from advisor.outputs.whatif import render_what_if
from advisor.pipeline import what_if


class ReplayFormat(StrEnum):
    table = "table"
    json = "json"


def replay(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Manifest files, directories (searched recursively) or globs.",
            show_default=False,
            metavar="SOURCES",
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="The host to replay (case-insensitive).")],
    fail_max: Annotated[
        int | None, typer.Option("--fail-max", help="Candidate fail_max (default: current).", min=1)
    ] = None,
    reset_timeout_s: Annotated[
        float | None,
        typer.Option("--reset-timeout-s", help="Candidate reset_timeout_s (default: current)."),
    ] = None,
    success_threshold: Annotated[
        int | None,
        typer.Option(
            "--success-threshold", help="Candidate success_threshold (default: current).", min=1
        ),
    ] = None,
    window_s: Annotated[
        float,
        typer.Option("--window-s", help="Window length in seconds, ending at --until.", min=1),
    ] = 3600,
    until: Annotated[
        str,
        typer.Option(
            "--until",
            help="Window end: ISO-8601, epoch seconds, 'now' or 'latest' (newest event).",
        ),
    ] = "now",
    config: ConfigOpt = None,
    breaker: BreakerOpt = None,
    breaker_role: BreakerRoleOpt = None,
    breaker_defaults: BreakerDefaultsOpt = None,
    breaker_resolver: BreakerResolverOpt = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="YAML overriding rule thresholds and bounds.")
    ] = None,
    lost_weight: Annotated[
        float | None,
        typer.Option(
            "--lost-weight",
            help="Cost of a refused call while the host was up, in wasted calls (default 0.5).",
        ),
    ] = None,
    memory_limit: MemoryLimitOpt = None,
    grid: Annotated[
        bool,
        typer.Option(
            "--grid", help="Also search fail_max x reset_timeout_s; print the Pareto front."
        ),
    ] = False,
    grid_size: Annotated[
        int,
        typer.Option("--grid-size", help="Values per knob, spread over the rules' bounds.", min=1),
    ] = 11,
    grid_fail_max: Annotated[
        str | None,
        typer.Option("--grid-fail-max", help="fail_max values to search, e.g. 2,3,5,8."),
    ] = None,
    grid_reset_timeout_s: Annotated[
        str | None,
        typer.Option(
            "--grid-reset-timeout-s", help="reset_timeout_s values to search, e.g. 10,30,60,120."
        ),
    ] = None,
    output_format: Annotated[
        ReplayFormat, typer.Option("--format", "-f", help="table or json.")
    ] = ReplayFormat.table,
) -> None:
    """Replay a host's recorded calls under today's breaker setting and a candidate.

    Counts wasted calls (sent into a down host), lost calls (refused while it was up),
    opens, and detect / resume times; --grid searches fail_max x reset_timeout_s and
    prints the Pareto front and the setting minimising wasted + w x lost.
    """
    try:
        set_memory_limit(memory_limit)
        _check_candidate(fail_max, reset_timeout_s, success_threshold)
        number_in("--grid-size", grid_size, 1, MAX_GRID_SIZE)
        spec: Grid | None = None
        if grid or grid_fail_max or grid_reset_timeout_s:
            square = default_grid(load_rule_settings(rules), grid_size)
            spec = Grid(
                parse_values(grid_fail_max, integer=True, name="--grid-fail-max")
                if grid_fail_max
                else square.fail_max,
                parse_values(grid_reset_timeout_s, integer=False, name="--grid-reset-timeout-s")
                if grid_reset_timeout_s
                else square.reset_timeout_s,
            )
            _check_grid(spec)
        breaker_config = breaker_config_from_options(
            config, breaker, breaker_role, breaker_defaults, breaker_resolver
        )
        result = what_if(
            sources,
            host=host,
            fail_max=fail_max,
            reset_timeout_s=reset_timeout_s,
            success_threshold=success_threshold,
            window_s=window_s,
            until=until,
            config=breaker_config,
            rules=rules,
            lost_weight=lost_weight,
            grid=spec,
        )
    except AdvisorError as exc:
        raise fail(exc) from None
    if output_format is ReplayFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n")
    else:
        render_what_if(result, Console(highlight=False, width=None if sys.stdout.isatty() else 200))


MAX_GRID_SIZE = 200  # values per knob: 200 x 200 candidates at most


def _check_candidate(
    fail_max: int | None, reset_timeout_s: float | None, success_threshold: int | None
) -> None:
    """Every candidate value finite and in its documented range (docs/design.md "Ranges").

    Raises:
        UsageError: naming the option and the range.
    """
    if fail_max is not None:
        number_in("--fail-max", fail_max, 1, MAX_COUNT)
    if success_threshold is not None:
        number_in("--success-threshold", success_threshold, 1, MAX_COUNT)
    if reset_timeout_s is not None:
        number_in("--reset-timeout-s", reset_timeout_s, 0, MAX_DURATION_S, low_open=True, unit="s")


def _check_grid(spec: Grid) -> None:
    for value in spec.fail_max:
        number_in("--grid-fail-max", value, 1, MAX_COUNT)
    for value in spec.reset_timeout_s:
        number_in("--grid-reset-timeout-s", value, 0, MAX_DURATION_S, low_open=True, unit="s")
