"""Command line: ``breaker-advise`` and the ``breaker-advisor`` command group.

Commands parse options, call one public function of the library and print the
result; ``AdvisorError`` is turned into a one-line message and the exit code of
DESIGN.md in ``advisor.cli.common`` and nowhere else.
"""

from __future__ import annotations

import typer

from advisor.cli.advise import advise, advise_app, advise_main
from advisor.cli.breaker import breaker_app
from advisor.cli.common import internal_error, out_of_memory, run_entry
from advisor.cli.export import export
from advisor.cli.nightly import nightly
from advisor.cli.replay import replay
from advisor.cli.report import report
from advisor.cli.serve import serve
from advisor.cli.simulate import simulate

app = typer.Typer(
    name="breaker-advisor",
    help="Analyse circuit-breaker telemetry (manifest SQLite files) and advise on tuning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("advise")(advise)
app.add_typer(breaker_app, name="breaker", help="Show per-host breakers; open or close one.")
app.command("simulate")(simulate)
app.command("report")(report)
app.command("nightly")(nightly)
app.command("replay")(replay)
app.command("export")(export)
app.command("serve")(serve)


def main() -> None:
    """Entry point of ``breaker-advisor``."""
    run_entry(app, "breaker-advisor")


__all__ = ["advise_app", "advise_main", "app", "internal_error", "main", "out_of_memory"]
