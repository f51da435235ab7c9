"""Nightly keeps history when the runtime prunes its manifest (issue 13, item 7): rows
that vanished at the low end of the rowid range are pruning, not replacement; when
pruning cannot be told from replacement (everything up to the stored watermark is
gone) the stored events are kept, the new rows read, and a warning says so."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from advisor.ingest.store import open_store
from advisor.nightly import run_nightly
from tests.helpers import manifests as m
from tests.helpers.manifests import T0

NIGHT = date(2026, 1, 15)  # T0's day


def calls(start: int, count: int) -> list[tuple]:
    return [m.call(T0 + i, f"h{i % 3}.example", "success") for i in range(start, start + count)]


def stored(store: Path) -> int:
    con = open_store(store, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM hist.events").fetchone()[0]
    finally:
        con.close()


def delete(path: Path, where: str) -> None:
    with sqlite3.connect(path) as con:
        con.execute(f"DELETE FROM breaker_events WHERE {where}")


def night(source: Path, store: Path, tmp_path: Path):
    return run_nightly([source], store, tmp_path / "r", night=NIGHT)


def warnings(result) -> list[str]:
    return result.ingest.sources[0].warnings


def test_pruning_the_oldest_rows_keeps_the_stored_events(tmp_path):
    source = m.breaker_events(tmp_path / "manifest.sqlite3", calls(0, 2000))
    store = tmp_path / "h.duckdb"
    night(source, store, tmp_path)
    assert stored(store) == 2000
    delete(source, "rowid <= 1000")  # routine retention in the runtime
    m.breaker_events(source, calls(2000, 300))  # and the run goes on
    result = night(source, store, tmp_path)
    assert stored(store) == 2300  # nothing lost, the 300 new rows read once
    assert not any("read again" in w for w in warnings(result))
    delete(source, "rowid <= 2100")  # pruned again, nothing new
    result = night(source, store, tmp_path)
    assert stored(store) == 2300 and warnings(result) == []


def test_everything_up_to_the_watermark_gone_keeps_history_and_warns(tmp_path):
    source = m.breaker_events(tmp_path / "manifest.sqlite3", calls(0, 1000))
    store = tmp_path / "h.duckdb"
    night(source, store, tmp_path)
    m.breaker_events(source, calls(1000, 200))
    delete(source, "rowid <= 1000")  # the watermark row (1000) and all before it
    result = night(source, store, tmp_path)
    assert stored(store) == 1200  # kept 1000, read the 200 new ones
    (warning,) = [w for w in warnings(result) if "watermark" in w]
    assert "rowid 1000" in warning and "cannot be told" in warning and "kept" in warning
    again = night(source, store, tmp_path)  # the next run is quiet and reads nothing twice
    assert stored(store) == 1200 and warnings(again) == []


def test_a_manifest_pruned_empty_and_refilled_loses_nothing(tmp_path):
    source = m.breaker_events(tmp_path / "manifest.sqlite3", calls(0, 500))
    store = tmp_path / "h.duckdb"
    night(source, store, tmp_path)
    delete(source, "1 = 1")
    result = night(source, store, tmp_path)
    assert stored(store) == 500
    assert any("watermark" in w for w in warnings(result))
    m.breaker_events(source, calls(500, 50))  # SQLite restarts rowids at 1 in an empty table
    result = night(source, store, tmp_path)
    assert stored(store) == 550 and warnings(result) == []


def test_a_replaced_file_is_still_read_again(tmp_path):
    source = m.breaker_events(tmp_path / "manifest.sqlite3", calls(0, 500))
    store = tmp_path / "h.duckdb"
    night(source, store, tmp_path)
    with sqlite3.connect(source) as con:  # same inode, a known row now says something else
        con.execute("UPDATE breaker_events SET host = 'other.example' WHERE rowid = 500")
    result = night(source, store, tmp_path)
    assert any("replaced (rows changed): read again" in w for w in warnings(result))
    assert stored(store) == 500
