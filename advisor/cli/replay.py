"""``breaker-advisor replay``: back-test a breaker setting against recorded traffic."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from advisor.advice.replay import Grid, default_grid, parse_values
from advisor.advice.rules import load_rule_settings
from advisor.cli.common import AnalysisOptions, analysis_command, debug_logging
from advisor.cli.options import AnalysisVerbosityOpt, OutputFormat, TableOrJsonOpt
from advisor.limits import MAX_COUNT, MAX_DURATION_S, number_in
from advisor.outputs.whatif import render_what_if
from advisor.pipeline import what_if


@analysis_command(hosts=False)
def replay(
    options: AnalysisOptions,
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
    output_format: TableOrJsonOpt = OutputFormat.table,
    verbose: AnalysisVerbosityOpt = 0,
) -> None:
    """Replay a host's recorded calls under today's breaker setting and a candidate.

    Counts wasted calls (sent into a down host), lost calls (refused while it was up),
    opens, and detect / resume times; --grid searches fail_max x reset_timeout_s and
    prints the Pareto front and the setting minimising wasted + w x lost. Today's setting
    comes from the same configuration options as advise's.
    """
    debug_logging(verbose)
    _check_candidate(fail_max, reset_timeout_s, success_threshold)
    number_in("--grid-size", grid_size, 1, MAX_GRID_SIZE)
    spec: Grid | None = None
    if grid or grid_fail_max or grid_reset_timeout_s:
        square = default_grid(load_rule_settings(options.rules), grid_size)
        spec = Grid(
            parse_values(grid_fail_max, integer=True, name="--grid-fail-max")
            if grid_fail_max
            else square.fail_max,
            parse_values(grid_reset_timeout_s, integer=False, name="--grid-reset-timeout-s")
            if grid_reset_timeout_s
            else square.reset_timeout_s,
        )
        _check_grid(spec)
    result = what_if(
        list(options.sources),
        host=host,
        fail_max=fail_max,
        reset_timeout_s=reset_timeout_s,
        success_threshold=success_threshold,
        window_s=options.window_s,
        until=options.until,
        config=options.breaker_config(),
        rules=options.rules,
        lost_weight=options.lost_weight,
        grid=spec,
    )
    if output_format is OutputFormat.json:
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
    for seconds in spec.reset_timeout_s:
        number_in("--grid-reset-timeout-s", seconds, 0, MAX_DURATION_S, low_open=True, unit="s")
