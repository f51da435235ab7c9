"""Nightly job killed at named stages, and run twice at once: the store stays consistent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advisor.errors import StoreError
from advisor.ingest.store import lock_path
from advisor.nightly import run_nightly
from advisor.nightly.hooks import KILL_ENV, SLEEP_ENV
from tests.test_nightly import NIGHTS, checksums, copy_runs, night_runs  # noqa: F401 - fixture


def nightly_process(runs: Path, store: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    code = "import sys; from advisor.cli.app import main; sys.argv[0] = 'breaker-advisor'; main()"
    args = ["nightly", str(runs), "--store", str(store), "--out", str(out), "--night",
            str(NIGHTS[1]), "--quiet"]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env={**os.environ, **env}, stderr=subprocess.DEVNULL
    )


@pytest.mark.parametrize("stage", ["ingested", "recorded", "committed"])
def test_kill_at_any_stage_leaves_the_store_consistent(night_runs, tmp_path, stage):  # noqa: F811
    runs = copy_runs(night_runs, tmp_path / "runs", 2)
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    run_nightly([runs / "n0"], store, out, night=NIGHTS[0])
    before = checksums(store)
    killed = nightly_process(runs, store, out, {KILL_ENV: stage})
    assert killed.wait(timeout=120) == -9
    after_kill = checksums(store)  # opens (and recovers) the store: no StoreError
    if stage != "committed":
        assert after_kill == before
    run_nightly([runs], store, out, night=NIGHTS[1])
    reference = tmp_path / "ref.duckdb"
    run_nightly([runs / "n0"], reference, tmp_path / "r2", night=NIGHTS[0])
    run_nightly([runs], reference, tmp_path / "r2", night=NIGHTS[1])
    assert checksums(store) == checksums(reference)


def test_second_run_waits_then_exits_3(night_runs, tmp_path):  # noqa: F811
    runs = copy_runs(night_runs, tmp_path / "runs", 1)
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    first = nightly_process(runs, store, out, {SLEEP_ENV: "locked:8"})
    deadline = time.monotonic() + 60
    while not (lock_path(store).exists() and lock_path(store).read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with pytest.raises(StoreError, match="locked by another nightly run"):
        run_nightly([runs], store, out, night=NIGHTS[1], lock_wait_s=0.5)
    assert first.wait(timeout=120) == 0
    shutil.rmtree(out)
    run_nightly([runs], store, out, night=NIGHTS[1])  # free again
