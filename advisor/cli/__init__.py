"""The command line: ``breaker-advise`` and the ``breaker-advisor`` group (``app``); the
one place where ``AdvisorError`` becomes a message and an exit code."""

from __future__ import annotations

from advisor.cli.app import advise_main, app, main

__all__ = ["advise_main", "app", "main"]
