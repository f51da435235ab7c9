"""Search ``fail_max`` x ``reset_timeout_s`` by replay: the cost surface, the setting
minimising ``wasted + w * lost`` and the Pareto front of (wasted, lost)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from advisor.advice.replay.machine import Setting, run_breaker
from advisor.advice.replay.timeline import Timeline, seconds_to_us
from advisor.errors import UsageError
from advisor.rule_settings import RuleSettings

DEFAULT_SIZE = 11


@dataclass(frozen=True)
class Grid:
    """Candidate values of each searched knob, ascending."""

    fail_max: tuple[int, ...]
    reset_timeout_s: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.fail_max or not self.reset_timeout_s:
            raise UsageError("replay grid: every axis needs at least one value")
        if min(self.fail_max) < 1:
            raise UsageError(f"replay grid: fail_max values must be >= 1, got {self.fail_max}")
        if min(self.reset_timeout_s) <= 0:
            raise UsageError(
                f"replay grid: reset_timeout_s values must be > 0, got {self.reset_timeout_s}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.fail_max), len(self.reset_timeout_s)

    def setting(self, i: int, j: int, base: Setting) -> Setting:
        """The setting at cell ``(i, j)``, other knobs from ``base``."""
        return base.with_value("fail_max", self.fail_max[i]).with_value(
            "reset_timeout_s", self.reset_timeout_s[j]
        )


def _round_sig(value: float, digits: int = 2) -> float:
    if value <= 0:
        return value
    scale = 10 ** (digits - 1 - math.floor(math.log10(value)))
    rounded = round(value * scale) / scale
    return float(int(rounded)) if rounded >= 10 else rounded


@overload
def geometric_values(
    low: float, high: float, size: int, *, integer: Literal[True]
) -> tuple[int, ...]: ...
@overload
def geometric_values(
    low: float, high: float, size: int, *, integer: Literal[False]
) -> tuple[float, ...]: ...
def geometric_values(low: float, high: float, size: int, *, integer: bool) -> tuple[float, ...]:
    """About ``size`` values spread geometrically over ``[low, high]``: distinct integers,
    or floats rounded to two significant digits."""
    if size < 1 or low <= 0 or high < low:
        raise UsageError(f"replay grid: cannot spread {size} values over [{low}, {high}]")
    if integer:
        low, high = math.ceil(low), math.floor(high)
        if high - low + 1 <= size:
            return tuple(range(int(low), int(high) + 1))
        count = size
        while True:
            values = sorted({round(v) for v in np.geomspace(low, high, count)})
            if len(values) >= size:
                return tuple(int(v) for v in values)
            count += 1
    values = sorted({_round_sig(float(v)) for v in np.geomspace(low, high, size)})
    return tuple(int(v) if float(v).is_integer() else v for v in values)


def default_grid(settings: RuleSettings, size: int = DEFAULT_SIZE) -> Grid:
    """``size`` x ``size`` values spanning the rules' bounds for the two knobs."""
    fail_lo, fail_hi = settings.bounds["fail_max"]
    reset_lo, reset_hi = settings.bounds["reset_timeout_s"]
    return Grid(
        geometric_values(fail_lo, fail_hi, size, integer=True),
        geometric_values(reset_lo, reset_hi, size, integer=False),
    )


@dataclass
class GridResult:
    """Counts per grid cell (rows: ``fail_max``, columns: ``reset_timeout_s``)."""

    host: str
    grid: Grid
    base: Setting
    lost_weight: float
    wasted: np.ndarray
    lost: np.ndarray
    opens: np.ndarray

    @property
    def cost(self) -> np.ndarray:
        return self.wasted + self.lost_weight * self.lost

    def _distance(self, i: int, j: int) -> float:
        """How far cell ``(i, j)`` is from the base setting (log scale)."""
        return abs(math.log(self.grid.fail_max[i] / self.base.fail_max)) + abs(
            math.log(self.grid.reset_timeout_s[j] / self.base.reset_timeout_s)
        )

    def best_cell(self) -> tuple[int, int]:
        """The cheapest cell; among equals, the one closest to the base setting."""
        cost = self.cost
        cells = np.argwhere(np.isclose(cost, cost.min(), rtol=0, atol=1e-9))
        i, j = min(map(tuple, cells), key=lambda c: (self._distance(*c), c))
        return int(i), int(j)

    def best(self) -> Setting:
        """The setting minimising ``wasted + w * lost``."""
        return self.grid.setting(*self.best_cell(), self.base)

    def point(self, i: int, j: int) -> dict[str, Any]:
        """Cell ``(i, j)`` as a plain dict (setting and counts)."""
        return {
            **self.grid.setting(i, j, self.base).to_dict(),
            "wasted": int(self.wasted[i, j]),
            "lost": int(self.lost[i, j]),
            "cost": round(float(self.cost[i, j]), 3),
            "opens": int(self.opens[i, j]),
        }

    def points(self) -> list[dict[str, Any]]:
        """Every cell, row by row."""
        rows, cols = self.grid.shape
        return [self.point(i, j) for i in range(rows) for j in range(cols)]

    def front(self) -> list[dict[str, Any]]:
        """The Pareto front of (wasted, lost): cells no other cell beats on both, by
        ascending wasted; of cells with equal counts, the one closest to the base."""
        rows, cols = self.grid.shape
        cells = sorted(
            ((i, j) for i in range(rows) for j in range(cols)),
            key=lambda c: (self.wasted[c], self.lost[c], self._distance(*c)),
        )
        front, best_lost = [], math.inf
        for cell in cells:
            if self.lost[cell] < best_lost:
                front.append(self.point(*cell))
                best_lost = self.lost[cell]
        return front


def grid_search(timeline: Timeline, grid: Grid, base: Setting, lost_weight: float) -> GridResult:
    """Replay every cell of ``grid`` over ``timeline``.

    Args:
        timeline: the host's arrivals and health.
        grid: the ``fail_max`` and ``reset_timeout_s`` values to try.
        base: the other knobs (``success_threshold``, ``retry_after_cap_s``), and the
            setting ties are broken towards.
        lost_weight: ``w`` in ``wasted + w * lost``.
    """
    shape = grid.shape
    wasted, lost, opens = (np.zeros(shape, np.int64) for _ in range(3))
    failures = sum(run.failures for run in timeline.runs)
    cap_us = seconds_to_us(base.retry_after_cap_s)
    resets = [seconds_to_us(t) for t in grid.reset_timeout_s]
    for i, fail_max in enumerate(grid.fail_max):
        for j, reset_us in enumerate(resets):
            spared = 0
            for run in timeline.runs:
                counts = run_breaker(run, fail_max, reset_us, base.success_threshold, cap_us)
                opens[i, j] += counts.opens
                lost[i, j] += counts.refused_ok
                spared += counts.refused_fail
            wasted[i, j] = failures - spared
    return GridResult(timeline.host, grid, base, lost_weight, wasted, lost, opens)


@overload
def parse_values(text: str, *, integer: Literal[True], name: str) -> tuple[int, ...]: ...
@overload
def parse_values(text: str, *, integer: Literal[False], name: str) -> tuple[float, ...]: ...
def parse_values(text: str, *, integer: bool, name: str) -> tuple[float, ...]:
    """``"2,3,5"`` -> ``(2, 3, 5)`` (sorted, distinct).

    Raises:
        UsageError: a value that is not a positive number.
    """
    values: set[float] = set()
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise UsageError(f"{name}: expected comma-separated numbers, got {text!r}") from None
        if not value > 0 or (integer and not value.is_integer()):
            kind = "positive integers" if integer else "positive numbers"
            raise UsageError(f"{name}: expected {kind}, got {part.strip()!r}")
        values.add(value)
    return tuple(int(v) if integer or v.is_integer() else v for v in sorted(values))
