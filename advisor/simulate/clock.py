"""Virtual time for simulations: a settable clock, and pybreaker made to read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pybreaker


class VirtualClock:
    """A clock that only moves when told: ``clock()`` is ``clock.now`` (epoch seconds)."""

    __slots__ = ("now",)

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def pybreaker_clock(clock: Callable[[], float]) -> Iterator[None]:
    """Make pybreaker read ``clock`` instead of the wall clock inside the block.

    pybreaker calls ``datetime.now(UTC)`` (its module's ``datetime`` name) to stamp an
    opening and to decide when the reset timeout has elapsed. This swaps that name for
    the block, for every breaker in the process; meant for simulations and tests only.
    """

    class _VirtualDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(clock(), tz)

    namespace = vars(pybreaker)  # its ``datetime`` global is not part of its typed API
    original = namespace["datetime"]
    namespace["datetime"] = _VirtualDatetime
    try:
        yield
    finally:
        namespace["datetime"] = original
