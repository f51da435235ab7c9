"""Simulated nights for the nightly job's tests: one flapping-fleet run per night, and
copies of the first few runs as a source folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from advisor.simulate import simulate

NIGHTS = [date(2026, 1, day) for day in (1, 2, 3, 4)]


def simulate_nights(root: Path) -> list[Path]:
    """One simulated run per night of ``NIGHTS`` (flapping hosts, 0.2 h ending 06:00 UTC)."""
    paths = []
    for seed, night in enumerate(NIGHTS):
        result = simulate(
            "flapping", root / f"n{seed}", hours=0.2, seed=seed, end=f"{night}T06:00:00Z"
        )
        paths.append(result.manifest)
    return paths


def copy_runs(runs: list[Path], target: Path, count: int) -> Path:
    """Copy the first ``count`` runs to ``target/n0``, ``target/n1``...; returns ``target``."""
    for index, manifest in enumerate(runs[:count]):
        (target / f"n{index}").mkdir(parents=True)
        shutil.copy(manifest, target / f"n{index}" / manifest.name)
    return target
