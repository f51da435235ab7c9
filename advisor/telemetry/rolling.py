"""The rolling-window policy (``advanced.rolling``) of the breaker runtime.

Beside pybreaker's consecutive-failure breaker: ``threshold_failures`` failures of one
host whose times lie within ``window_s`` seconds (successes in between do not reset it)
set a cooldown of ``cooldown_s`` seconds in the cooldown store; the registry refuses the
host's calls until it ends and records them as ``rejected`` with reason
``rolling_cooldown``. The failures that set a cooldown are forgotten: the next one
needs a new burst.
"""

from __future__ import annotations

import threading
from collections import deque

from advisor.config import RollingSettings

REASON = "rolling_cooldown"
"""The ``reason`` of a call refused during a rolling-window cooldown."""

NOTE_PREFIX = "rolling window:"
"""How a rolling-window cooldown's note in the cooldown store begins."""


def is_rolling(note: str | None) -> bool:
    """Whether a cooldown's note says the rolling-window policy set it."""
    return bool(note) and str(note).startswith(NOTE_PREFIX)


class RollingWindow:
    """Failure times per host; ``failure`` says when a burst reaches the threshold.

    Args:
        settings: the policy (its ``enabled`` is not looked at: the caller decides).
    """

    def __init__(self, settings: RollingSettings) -> None:
        self.settings = settings
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def failure(self, host: str, now: float) -> float | None:
        """Count a failure of ``host`` at ``now`` (epoch s).

        Returns:
            The end of the cooldown it sets (``now + cooldown_s``) when it is the
            ``threshold_failures``-th failure within the last ``window_s`` seconds (those
            failures are then forgotten), else None.
        """
        window = self.settings.window_s
        with self._lock:
            times = self._times.get(host)
            if times is None:
                times = self._times[host] = deque()
            times.append(now)
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) < self.settings.threshold_failures:
                return None
            times.clear()
        return now + self.settings.cooldown_s

    def note(self) -> str:
        """The cooldown store's note for a cooldown this policy sets."""
        s = self.settings
        return f"{NOTE_PREFIX} {s.threshold_failures} failures within {s.window_s:g} s"
