"""``breaker-advisor simulate``: synthetic telemetry from the real breaker runtime."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from advisor.commands.common import fail
from advisor.errors import AdvisorError
from advisor.simulate import SCENARIOS
from advisor.simulate import simulate as run_simulation


def simulate(
    scenario: Annotated[
        str,
        typer.Option("--scenario", "-s", help=f"One of: {', '.join(SCENARIOS)}."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for manifest.sqlite3, breakers.yaml and truth.json."
        ),
    ],
    hours: Annotated[
        float, typer.Option("--hours", help="Hours of virtual time to simulate.", min=0.001)
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same events).")] = 0,
    end: Annotated[
        str,
        typer.Option(
            "--end", help="When the simulated stretch ends: 'now', ISO-8601 or epoch seconds."
        ),
    ] = "now",
    workers: Annotated[
        str,
        typer.Option(
            "--workers",
            help="Processes sharing the hosts: a number, or 'auto' (one per CPU, at most 2, "
            "for runs of 100,000 calls or more). Each host's events are the same for any "
            "number; the row ids are the same for the same number.",
        ),
    ] = "auto",
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier run in --out.")
    ] = False,
) -> None:
    """Simulate hosts behind real pybreaker breakers and write their telemetry.

    Writes OUT/manifest.sqlite3 (breaker_events), OUT/breakers.yaml (the config used,
    mis-tuned for some hosts) and OUT/truth.json (what really happened per host).
    """
    console = Console(stderr=True)
    columns = (
        TextColumn(f"simulating {scenario}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("simulate", total=1.0)
        try:
            result = run_simulation(
                scenario,
                out,
                hours=hours,
                seed=seed,
                end=end,
                overwrite=force,
                workers=workers,
                progress=lambda done: bar.update(task, completed=done),
            )
        except AdvisorError as exc:
            raise fail(exc) from None
    typer.echo(
        f"{result.events} events ({result.calls} calls) for {hours:g} h in "
        f"{result.elapsed_s:.1f} s ({result.events_per_s:,.0f} events/s)",
        err=True,
    )
    sys.stdout.write(f"{result.manifest}\n{result.config}\n{result.truth}\n")
