"""``breaker-advisor simulate``: synthetic telemetry from the real breaker runtime."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from advisor.cli.common import advisor_errors
from advisor.cli.options import VerbosityOpt
from advisor.config import normalize_host, parse_settings_spec
from advisor.errors import ConfigError
from advisor.simulate import SCENARIOS
from advisor.simulate import simulate as run_simulation
from advisor.telemetry.debug import enable_for_verbosity


def simulate(
    scenario: Annotated[
        str,
        typer.Option("--scenario", "-s", help=f"One of: {', '.join(SCENARIOS)}."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for manifest.sqlite3, breakers.yaml and truth.json (an earlier "
            "run's files are replaced only with --force, never written through a link).",
        ),
    ],
    hours: Annotated[
        float,
        typer.Option("--hours", help="Hours of virtual time to simulate (up to 8784).", min=0.001),
    ] = 1.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed, 0 to 2^63-1 (same seed, same events).")
    ] = 0,
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
            help="Processes sharing the hosts: 1 to 64, or 'auto' (one per CPU, at most 2, "
            "for runs of 100,000 calls or more). Each host's events are the same for any "
            "number; the row ids are the same for the same number.",
        ),
    ] = "auto",
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier run in --out.")
    ] = False,
    defaults: Annotated[
        str | None,
        typer.Option(
            "--defaults",
            help="Replace the scenario's breaker defaults, e.g. fail_max:5,reset:60.",
        ),
    ] = None,
    breakers: Annotated[
        list[str] | None,
        typer.Option(
            "--breaker",
            help="HOST=key:value,... (repeatable): replaces the scenario's per-host settings "
            "(hosts not named run on the defaults).",
        ),
    ] = None,
    resolver: Annotated[
        list[str] | None,
        typer.Option(
            "--resolver",
            help="NAME=HOST[,HOST...] (repeatable): those hosts' calls are made for resolver "
            "NAME and also pass through its own breaker (scope resolver). Runs one worker.",
        ),
    ] = None,
    breaker_resolver: Annotated[
        list[str] | None,
        typer.Option(
            "--breaker-resolver",
            help="NAME=key:value,... (repeatable): the resolver's settings (resolvers: in "
            "breakers.yaml), e.g. crossref=fail_max:3.",
        ),
    ] = None,
    seed_compatible: Annotated[
        bool,
        typer.Option(
            "--seed-compatible",
            help="Write the manifest as the deployment guide's SQL reads it: ts as Julian "
            "days, states upper-case, a breaker_state_transitions view.",
        ),
    ] = False,
    verbose: VerbosityOpt = 0,
) -> None:
    """Simulate hosts behind real pybreaker breakers and write their telemetry.

    Writes OUT/manifest.sqlite3 (breaker_events), OUT/breakers.yaml (the config used,
    mis-tuned for some hosts) and OUT/truth.json (what really happened per host).
    """
    enable_for_verbosity(verbose)
    with advisor_errors():
        routes = _resolvers(resolver or [])
        resolver_config = _host_config(breaker_resolver or [], "--breaker-resolver")
        default_values = (
            None
            if defaults is None
            else cast(dict[str, float], parse_settings_spec(defaults, "--defaults"))
        )
        host_config = None if not breakers else _host_config(breakers)
    console = Console(stderr=True)
    columns = (
        TextColumn(f"simulating {scenario}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with (
        advisor_errors(),
        Progress(*columns, console=console, disable=not console.is_terminal) as bar,
    ):
        task = bar.add_task("simulate", total=1.0)
        result = run_simulation(
            scenario,
            out,
            hours=hours,
            seed=seed,
            end=end,
            overwrite=force,
            workers=workers,
            progress=lambda done: bar.update(task, completed=done),
            host_config=host_config,
            defaults=default_values,
            seed_compatible=seed_compatible,
            resolvers=routes,
            resolver_config=resolver_config,
        )
    typer.echo(
        f"{result.events} events ({result.calls} calls) for {hours:g} h in "
        f"{result.elapsed_s:.1f} s ({result.events_per_s:,.0f} events/s)",
        err=True,
    )
    sys.stdout.write(f"{result.manifest}\n{result.config}\n{result.truth}\n")


def _host_config(entries: list[str], flag: str = "--breaker") -> dict[str, dict[str, float]]:
    """``--breaker`` (or ``--breaker-resolver``) values -> ``{host: settings}``.

    Raises:
        ConfigError: an entry is not ``HOST=key:value,...``.
    """
    out: dict[str, dict[str, float]] = {}
    for entry in entries:
        host, sep, spec = entry.partition("=")
        if not sep or not host.strip():
            raise ConfigError(f"{flag}: {entry!r}: expected NAME=key:value,key:value")
        host = normalize_host(host)
        values = cast(dict[str, float], parse_settings_spec(spec, f"{flag} {host}"))
        out.setdefault(host, {}).update(values)
    return out


def _resolvers(entries: list[str]) -> dict[str, list[str]]:
    """``--resolver NAME=HOST,HOST`` values -> ``{name: [hosts]}``.

    Raises:
        ConfigError: an entry is not ``NAME=HOST[,HOST...]``.
    """
    out: dict[str, list[str]] = {}
    for entry in entries:
        name, sep, hosts = entry.partition("=")
        names = [h.strip() for h in hosts.split(",") if h.strip()]
        if not sep or not name.strip() or not names:
            raise ConfigError(f"--resolver: {entry!r}: expected NAME=HOST[,HOST...]")
        out.setdefault(normalize_host(name), []).extend(names)
    return out
