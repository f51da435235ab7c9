"""A scripted host for replay tests: two hours at 0.5 calls/s with four 240 s outages,
recorded behind fail_max 3 / reset 30 s by the independent simulation of
tests/breaker_sim.py (which also knows the true cost of any other setting)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import manifests as m
from tests.helpers.breaker_sim import SimResult, arrivals, down_between, simulate

HOST = "slow.example"
OUTAGES = [(600 + k * 1800, 840 + k * 1800) for k in range(4)]  # seconds after T0
TIMES = arrivals(0.5, 7200, seed=3)
WINDOW = 7200.0


def run(fail_max: int = 3, reset_timeout_s: float = 30, record: bool = True) -> SimResult:
    """The scripted host behind a breaker with these knobs."""
    return simulate(
        HOST, TIMES, down_between(OUTAGES), fail_max=fail_max,
        reset_timeout_s=reset_timeout_s, record=record,
    )  # fmt: skip


def write(folder: Path) -> tuple[Path, Path, SimResult]:
    """``manifest.sqlite3`` and a ``breakers.yaml`` saying fail_max 3 / reset 30 s."""
    sim = run()
    path = m.breaker_events(folder / "manifest.sqlite3", sim.rows)
    config = folder / "breakers.yaml"
    config.write_text("defaults:\n  fail_max: 3\n  reset_timeout_s: 30\n")
    return path, config, sim
