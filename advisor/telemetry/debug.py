"""``DOCSTOKG_BREAKER_DEBUG=1``: log every breaker decision of the producer kit.

The registry and the listener log each admitted call, outcome, refusal, state change and
operator override at DEBUG on the ``advisor.telemetry`` logger. ``enable_from_env`` (run
by every ``BreakerRegistry``) turns that logger on, with a stderr handler, when the
variable is set to a true value; the CLI's ``-vv`` does the same.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

ENV_DEBUG = "DOCSTOKG_BREAKER_DEBUG"
LOGGER = "advisor.telemetry"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def debug_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``$DOCSTOKG_BREAKER_DEBUG`` is set to 1, true, yes or on (any case)."""
    value = (os.environ if env is None else env).get(ENV_DEBUG, "")
    return value.strip().lower() in _TRUE


def enable(level: int = logging.DEBUG) -> logging.Logger:
    """Log breaker decisions at ``level`` and above to stderr (once: no second handler)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(getattr(h, "_breaker_debug", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._breaker_debug = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def enable_from_env(env: Mapping[str, str] | None = None) -> bool:
    """``enable()`` when ``$DOCSTOKG_BREAKER_DEBUG`` asks for it; whether it did."""
    if not debug_requested(env):
        return False
    enable()
    return True


def enable_for_verbosity(verbose: int, env: Mapping[str, str] | None = None) -> None:
    """The CLI's ``-v`` count: ``-v`` INFO, ``-vv`` (or the variable) DEBUG."""
    if verbose >= 2 or debug_requested(env):
        enable(logging.DEBUG)
    elif verbose == 1:
        enable(logging.INFO)
