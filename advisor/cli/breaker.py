"""``breaker-advisor breaker show|open|close``: look at and override per-host breakers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.cli.common import advisor_errors
from advisor.cli.options import OutputFormat, TableOrJsonOpt, VerbosityOpt
from advisor.config import KNOB_KEYS, load_config, normalize_host
from advisor.errors import UsageError
from advisor.telemetry.control import Override, close_host, open_host
from advisor.telemetry.cooldown import (
    ENV_STORE,
    CooldownStore,
    SQLiteCooldownStore,
    open_store,
)
from advisor.telemetry.debug import enable_for_verbosity
from advisor.telemetry.status import DEFAULT_MANIFEST, HostStatus, breaker_status, iso_or_text
from advisor.text import printable

breaker_app = typer.Typer(
    help="Show per-host breaker state; hold a host open or release it (operator overrides).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


ManifestOpt = Annotated[
    Path | None,
    typer.Option(
        "--manifest",
        help=f"Manifest SQLite file of the run: read by show (default: {DEFAULT_MANIFEST} when "
        "present); open/close record the override in it only when given (the workers' "
        "registries record it in their own manifests).",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="breakers.yaml (default: $DOCSTOKG_BREAKERS_YAML, else built-ins)."
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--cooldown-store",
        envvar=ENV_STORE,
        help="Shared cooldown store, e.g. sqlite:///var/run/docstokg/breakers/cooldowns.db.",
        show_envvar=True,
    ),
]


def _shared_store(url: str | None) -> CooldownStore:
    if not url or not url.strip():
        raise UsageError(
            "no cooldown store: pass --cooldown-store sqlite:///path/cooldowns.db "
            f"or set {ENV_STORE}"
        )
    return open_store(url)


def _existing_store(url: str | None) -> CooldownStore | None:
    """The store to read for ``show``: None when no URL is given or its file does not
    exist (``show`` only reads; it never creates the store)."""
    if not url or not url.strip():
        return None
    store = open_store(url)
    if isinstance(store, SQLiteCooldownStore) and not store.path.exists():
        typer.echo(f"no cooldown store at {store.path} (no host is held open)", err=True)
        return None
    return store


def _iso(ts: float) -> str:
    return iso_or_text(ts) or "-"


@breaker_app.command("show")
def show(
    host: Annotated[
        list[str] | None, typer.Option("--host", help="Only this host (repeatable).")
    ] = None,
    manifest: ManifestOpt = None,
    cooldown_store: StoreOpt = None,
    config: ConfigOpt = None,
    output_format: TableOrJsonOpt = OutputFormat.table,
    verbose: VerbosityOpt = 0,
) -> None:
    """Per host: live state (holds in the store merged with the newest recorded
    transition) and its age, the recorded state, cooldown, config."""
    enable_for_verbosity(verbose)
    no_manifest = manifest is None and not DEFAULT_MANIFEST.is_file()
    if manifest is None and not no_manifest:
        manifest = DEFAULT_MANIFEST
    with advisor_errors():
        settings = load_config(config)
        store = _existing_store(cooldown_store)
        rows = breaker_status(settings, store=store, manifest=manifest, hosts=host)
    if no_manifest:
        typer.echo(
            f"no manifest at {DEFAULT_MANIFEST} (pass --manifest PATH): showing the "
            "configuration and the holds in the cooldown store only",
            err=True,
        )
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps([row.to_dict() for row in rows], indent=2) + "\n")
        return
    _print_table(rows)


_COLUMNS = ("host", "live", "age", "recorded", "since", "cooldown until")


def _print_table(rows: list[HostStatus]) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if not rows:
        console.print("no hosts: none configured, recorded or under a cooldown")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in _COLUMNS:
        table.add_column(name)
    for name in KNOB_KEYS:
        table.add_column(name, justify="right")
    for row in rows:
        data = row.to_dict()
        state = (data["state"] or "-") + (" (manual)" if data["manual"] else "")
        cooldown = data["cooldown_until"] or "-"
        if data["cooldown_reason"]:
            cooldown += f" ({data['cooldown_reason']})"
        age = "-" if data["age_s"] is None else _age(data["age_s"])
        cells = (row.host, data["live_state"] or "-", age, state, data["since"] or "-", cooldown)
        knobs = [str(data["config"][key]) for key in KNOB_KEYS]
        table.add_row(*(Text(printable(v)) for v in cells), *knobs)
    console.print(table)


def _age(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3.5 h``, ``2.0 d``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@breaker_app.command("open")
def open_(
    host: Annotated[str, typer.Argument(help="The host to hold open.", show_default=False)],
    seconds: Annotated[
        float,
        typer.Option("--seconds", help="How long calls are refused (up to 10^7 s).", min=0.001),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded with the event).")],
    manifest: ManifestOpt = None,
    cooldown_store: StoreOpt = None,
    verbose: VerbosityOpt = 0,
) -> None:
    """Refuse calls to HOST for --seconds in every worker sharing the cooldown store."""
    enable_for_verbosity(verbose)
    with advisor_errors():
        done = open_host(
            host, seconds, reason, store=_shared_store(cooldown_store), manifest=manifest
        )
    until = done.cooldown.until if done.cooldown else done.at + seconds
    typer.echo(
        f"{printable(done.host)}: open until {_iso(until)} ({seconds:g} s): "
        f"{printable(reason.strip())}"
    )
    _note_manifest(done)


@breaker_app.command("close")
def close(
    host: Annotated[str, typer.Argument(help="The host to release.", show_default=False)],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (recorded with the event).")
    ] = "manual close",
    manifest: ManifestOpt = None,
    cooldown_store: StoreOpt = None,
    config: ConfigOpt = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Release HOST even when the store, the manifest and the configuration know "
            "nothing of it (a breaker tripped only in a worker's memory).",
        ),
    ] = False,
    verbose: VerbosityOpt = 0,
) -> None:
    """Release HOST: its hold cleared, and every worker sharing the cooldown store closes
    its breaker of HOST on its next call (recording that in its own manifest)."""
    enable_for_verbosity(verbose)
    evidence = DEFAULT_MANIFEST if manifest is None and DEFAULT_MANIFEST.is_file() else None
    with advisor_errors():
        known = [normalize_host(host)] if force else load_config(config).configured_hosts()
        done = close_host(
            host,
            store=_shared_store(cooldown_store),
            manifest=manifest,
            reason=reason,
            known=known,
            evidence=evidence,
        )
    if done.cooldown is not None:
        typer.echo(
            f"{printable(done.host)}: closed (cooldown until {_iso(done.cooldown.until)} cleared)"
        )
    else:
        typer.echo(f"{printable(done.host)}: closed (there was no active cooldown)")
    _note_manifest(done)


def _note_manifest(done: Override) -> None:
    if done.manifest is not None and not done.recorded:
        typer.echo(f"nothing recorded in {done.manifest}: {done.host} was not open", err=True)
    elif done.manifest is not None:
        typer.echo(
            f"recorded {done.old_state} -> {done.new_state} (manual) in {done.manifest}", err=True
        )
    else:
        typer.echo("not recorded in telemetry (no --manifest given)", err=True)
