"""The nightly run lock never writes through what someone planted at its path (issue 13,
item 9): a symlink (``O_NOFOLLOW``), a hard link, a FIFO or any other non-regular file
is refused with exit 3 and the victim is untouched."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.errors import StoreError
from advisor.ingest.store import lock_path, store_lock
from tests.helpers import manifests as m
from tests.helpers.manifests import T0

VICTIM = "precious data\n"


def plant(kind: str, lock, victim) -> None:
    if kind == "symlink":
        lock.symlink_to(victim)
    elif kind == "dangling symlink":
        lock.symlink_to(victim.with_name("not-there-yet"))
    elif kind == "hard link":
        os.link(victim, lock)
    elif kind == "fifo":
        os.mkfifo(lock)
    elif kind == "directory":
        lock.mkdir()


KINDS = ["symlink", "dangling symlink", "hard link", "fifo", "directory"]


@pytest.mark.parametrize("kind", KINDS)
def test_store_lock_refuses_what_is_not_its_own_regular_file(tmp_path, kind):
    store = tmp_path / "h.duckdb"
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM)
    plant(kind, lock_path(store), victim)
    with pytest.raises(StoreError, match="lock file"), store_lock(store, wait_s=0.1):
        pytest.fail("the lock was taken")
    assert victim.read_text() == VICTIM
    assert not victim.with_name("not-there-yet").exists()


@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_nightly_exits_3_and_leaves_the_victim_alone(tmp_path, kind):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", [m.call(T0, "a.example", "success")])
    store = tmp_path / "h.duckdb"
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM)
    plant(kind, lock_path(store), victim)
    result = CliRunner().invoke(
        app,
        ["nightly", str(manifest), "--store", str(store), "--out", str(tmp_path / "r"),
         "--night", "2026-01-15"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "lock file" in result.stderr and "Traceback" not in result.stderr
    assert victim.read_text() == VICTIM
    assert not store.exists()


def test_a_regular_lock_file_still_works_and_holds_the_pid(tmp_path):
    store = tmp_path / "h.duckdb"
    lock_path(store).write_text("12345\n")  # left by an earlier run
    with store_lock(store, wait_s=0.1):
        assert lock_path(store).read_text() == f"{os.getpid()}\n"
