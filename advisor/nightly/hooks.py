"""Test hooks: die or pause at a named stage of a nightly run, to prove crash safety.

``BREAKER_ADVISOR_NIGHTLY_KILL_AT=<stage>`` sends SIGKILL to the process itself at
that stage; ``BREAKER_ADVISOR_NIGHTLY_SLEEP_AT=<stage>:<seconds>`` pauses there.
Stages: ``locked``, ``staged``, ``analysed``, ``ingested`` (inside the transaction,
events written), ``recorded`` (inside, before COMMIT), ``committed``, ``reports``.
"""

from __future__ import annotations

import os
import signal
import time

KILL_ENV = "BREAKER_ADVISOR_NIGHTLY_KILL_AT"
SLEEP_ENV = "BREAKER_ADVISOR_NIGHTLY_SLEEP_AT"


def checkpoint(stage: str) -> None:
    """Honour the test hooks for ``stage`` (no-op unless the variables are set)."""
    sleep = os.environ.get(SLEEP_ENV, "")
    if sleep.partition(":")[0] == stage:
        time.sleep(float(sleep.partition(":")[2] or 1))
    if os.environ.get(KILL_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)
