"""Known health of a simulated host, from the ``truth.json`` a simulation writes: down
during outages, noise bursts and 429 windows (whose Retry-After points at the window's
end), and in the first half of a slow recovery (when most calls still fail).

``outages`` already holds every down stretch of the host: its own, scheduled ones (a host
down for the whole run has one outage from ``start`` to ``end``) and its part in the
fleet's shared incidents (``fleet_incidents`` at the top level only says which hosts
shared them). A host's ``active`` stretches (when it got traffic) change nothing here: no
call is sent outside them, so its health there costs nothing either way.
"""

from __future__ import annotations

from typing import Any

DownStretch = tuple[float, float, bool]
"""(start, end, retry_after): epoch seconds; ``retry_after`` when the server named the
stretch's end in its Retry-After headers (a 429 window)."""


def down_stretches(truth: dict[str, Any], host: str) -> list[DownStretch]:
    """The true down stretches of ``host`` in the parsed ``truth.json``, in the order
    outages and noise bursts, slow recoveries' failing halves, 429 windows."""
    spec = truth["hosts"][host]
    found: list[DownStretch] = [
        (a, b, False) for a, b in [*spec.get("outages", ()), *spec.get("noise_bursts", ())]
    ]
    found += [(a, (a + b) / 2, False) for a, b in spec.get("recoveries", ())]
    found += [(a, b, True) for a, b in (spec.get("rate_limit") or {}).get("windows", [])]
    return found
