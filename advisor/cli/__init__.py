"""The command line: ``breaker-advise`` and the ``breaker-advisor`` group (``app``); the
one place where ``AdvisorError`` becomes a message and an exit code.

The entry points import their commands when called: ``breaker-advise`` never loads the
other commands' modules (start-up time, issue 15).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.cli.app import app


def advise_main() -> None:
    """Entry point of ``breaker-advise``."""
    from advisor.cli.advise import advise_main as run

    run()


def main() -> None:
    """Entry point of ``breaker-advisor``."""
    from advisor.cli.app import main as run

    run()


def __getattr__(name: str) -> Any:
    """``app`` (the ``breaker-advisor`` Typer group), imported on first use."""
    if name != "app":
        raise AttributeError(f"module 'advisor.cli' has no attribute {name!r}")
    from advisor.cli.app import app as group

    return group


__all__ = ["advise_main", "app", "main"]
