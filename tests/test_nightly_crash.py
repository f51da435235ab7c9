"""Nightly job killed at named stages, and run twice at once: the store stays consistent.

A real process runs the real job (``tests/helpers/nightly_crash.py``) with a checkpoint
that SIGKILLs or pauses it at one of ``advisor.nightly.job.STAGES``."""

from __future__ import annotations

import shutil
import time

import pytest

from advisor.errors import StoreError
from advisor.ingest.store import lock_path
from advisor.nightly import run_nightly
from advisor.nightly.job import STAGES
from tests.helpers.nightly import NIGHTS, copy_runs
from tests.helpers.nightly_crash import nightly_process
from tests.helpers.store import checksums

AFTER_COMMIT = {"committed", "reports"}


def test_a_run_reaches_every_stage_in_order(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 1)
    reached: list[str] = []
    run_nightly([runs], tmp_path / "h.duckdb", tmp_path / "r", night=NIGHTS[0],
                checkpoint=reached.append)  # fmt: skip
    expected = ["locked", "staged", "analysed", "ingested", "recorded", "committed", "reports"]
    assert reached == expected == list(STAGES)


@pytest.fixture(scope="module")
def stores(night_runs, tmp_path_factory):
    """Two nights' sources, a store after night 0, and the checksums after nights 0 and 1
    of a run never interrupted (built once: the stored source paths must match)."""
    root = tmp_path_factory.mktemp("crash")
    runs = copy_runs(night_runs, root / "runs", 2)
    night_0 = root / "night0.duckdb"
    run_nightly([runs / "n0"], night_0, root / "r0", night=NIGHTS[0])
    reference = root / "ref.duckdb"
    shutil.copy(night_0, reference)
    run_nightly([runs], reference, root / "r1", night=NIGHTS[1])
    after = checksums(night_0), checksums(reference)
    assert after[0] != after[1]
    return runs, night_0, after


@pytest.mark.parametrize("stage", STAGES)
def test_kill_at_any_stage_leaves_the_store_consistent(stores, tmp_path, stage):
    runs, night_0, (after_night_0, after_night_1) = stores
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    shutil.copy(night_0, store)
    killed = nightly_process(runs, store, out, NIGHTS[1], kill_at=stage)
    _, err = killed.communicate(timeout=120)
    assert killed.returncode == -9, err
    # opens (and recovers) the store: no StoreError; all of night 1 or none of it
    after_kill = checksums(store)
    assert after_kill == (after_night_1 if stage in AFTER_COMMIT else after_night_0)
    run_nightly([runs], store, out, night=NIGHTS[1])
    assert checksums(store) == after_night_1


def test_second_run_waits_then_exits_3(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 1)
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    first = nightly_process(runs, store, out, NIGHTS[1], sleep_at="locked:8")
    deadline = time.monotonic() + 60
    while not (lock_path(store).exists() and lock_path(store).read_text().strip()):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.1)
    with pytest.raises(StoreError, match="locked by another nightly run"):
        run_nightly([runs], store, out, night=NIGHTS[1], lock_wait_s=0.5)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    shutil.rmtree(out)
    run_nightly([runs], store, out, night=NIGHTS[1])  # free again
