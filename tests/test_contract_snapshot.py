"""The JSON contract, byte for byte, on simulated runs: restructurings and speed-ups
must not change a single output byte (``tests/snapshots/README.md``)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from advisor.simulate import simulate

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
END = "2026-01-15T06:00:00Z"
RUNS = {"crawl-night": (2.0, 7), "mixed": (2.0, 3)}  # scenario: (hours, seed)


def contract(scenario: str, out: Path) -> str:
    """``breaker-advise --format json`` over a fresh simulation, as a user runs it."""
    hours, seed = RUNS[scenario]
    simulate(scenario, out, hours=hours, seed=seed, end=END, overwrite=True, workers=1)
    epoch = int(datetime.fromisoformat(END).timestamp())
    done = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "--format", "json", "--window-s",
         str(hours * 3600), "--until", END, "--config", str(out / "breakers.yaml"), str(out)],
        capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.replace(str(out / "manifest.sqlite3"), "{MANIFEST}")


@pytest.mark.parametrize("scenario", sorted(RUNS))
def test_contract_is_byte_identical_to_its_snapshot(scenario, tmp_path):
    expected = (SNAPSHOTS / f"contract-{scenario}.json").read_text(encoding="utf-8")
    assert contract(scenario, tmp_path / scenario) == expected


if __name__ == "__main__":  # regenerate, after a change meant to move the contract
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for name in sorted(RUNS):
            text = contract(name, Path(folder) / name)
            (SNAPSHOTS / f"contract-{name}.json").write_text(text, encoding="utf-8")
            print(f"wrote {SNAPSHOTS / f'contract-{name}.json'}")
