"""``nightly --parquet`` (advisor/nightly/parquet.py): DuckDB reads back the store's counts
per retained night from the Hive-partitioned files, a re-run night replaces its partition,
retention drops old ones, and README's DuckDB example runs as written."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.ingest.store import open_store
from advisor.nightly import run_nightly
from tests.helpers.nightly import NIGHTS, copy_runs

ROOT = Path(__file__).resolve().parents[1]


def parquet_counts(root: Path) -> tuple[dict, dict]:
    """Per date: events, and (breakers, opens) of breaker_daily, as DuckDB reads them."""
    con = duckdb.connect()
    events = dict(
        con.execute(
            "SELECT date::VARCHAR, count(*) FROM read_parquet(?, hive_partitioning = true) "
            "GROUP BY ALL",
            [str(root / "events" / "*" / "*.parquet")],
        ).fetchall()
    )
    daily = {
        d: (n, opens)
        for d, n, opens in con.execute(
            "SELECT date::VARCHAR, count(*), sum(opens) FROM "
            "read_parquet(?, hive_partitioning = true) GROUP BY ALL",
            [str(root / "breaker_daily" / "*" / "*.parquet")],
        ).fetchall()
    }
    return events, daily


def store_counts(store: Path, days: list[str]) -> tuple[dict, dict]:
    """The same counts from the history store: its events of each UTC day, and its
    per-host metrics of each recorded night."""
    con = open_store(store, read_only=True)
    events = {
        day: con.execute(
            "SELECT count(*) FROM hist.events WHERE ts >= ?::DATE::TIMESTAMPTZ "
            "AND ts < (?::DATE + 1)::TIMESTAMPTZ",
            [day, day],
        ).fetchone()[0]
        for day in days
    }
    daily = {
        str(night): (n, opens)
        for night, n, opens in con.execute(
            "SELECT night, count(*), sum(opens) FROM hist.night_metrics GROUP BY ALL"
        ).fetchall()
    }
    con.close()
    return events, daily


def partitions(root: Path) -> dict[str, list[str]]:
    return {
        table: sorted(
            f"{p.parent.name}/{p.name}" for p in (root / table).glob("date=*/*") if p.is_file()
        )
        for table in ("events", "breaker_daily")
    }


@pytest.fixture
def runs(night_runs, tmp_path):
    return copy_runs(night_runs, tmp_path / "runs", 4)


def test_parquet_reads_back_the_stores_counts_and_a_rerun_replaces(runs, tmp_path):
    store, out, lake = tmp_path / "h.duckdb", tmp_path / "reports", tmp_path / "lake"
    for night in NIGHTS[:2]:
        run_nightly([runs], store, out, night=night, parquet=lake)
    days = [str(n) for n in NIGHTS[:2]]
    events, daily = parquet_counts(lake)
    assert sorted(events) == days and sorted(daily) == days
    assert (events, daily) == store_counts(store, days)
    assert all(n > 0 for n in events.values())
    assert sum(opens for _, opens in daily.values()) > 0
    before = partitions(lake)
    assert before["events"] == [f"date={d}/part-0.parquet" for d in days]

    # the same night again: its partition replaced, not duplicated, nothing left behind
    run_nightly([runs], store, out, night=NIGHTS[1], parquet=lake)
    assert partitions(lake) == before
    assert parquet_counts(lake) == (events, daily)
    assert sorted(p.name for p in lake.iterdir()) == ["breaker_daily", "events"]


def test_parquet_events_have_the_stores_columns(runs, tmp_path):
    """Every column of the store's events (scope included) reaches the Parquet history."""
    store, lake = tmp_path / "h.duckdb", tmp_path / "lake"
    run_nightly([runs], store, tmp_path / "reports", night=NIGHTS[0], parquet=lake)
    con = open_store(store, read_only=True)
    stored = [r[0] for r in con.execute("DESCRIBE hist.events").fetchall()]
    con.close()
    written = [
        r[0]
        for r in duckdb.connect()
        .execute(
            "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)",
            [str(lake / "events" / "*" / "*.parquet")],
        )
        .fetchall()
    ]
    assert written == stored


def test_retention_drops_old_partitions(runs, tmp_path):
    store, out, lake = tmp_path / "h.duckdb", tmp_path / "reports", tmp_path / "lake"
    for night in NIGHTS:
        run_nightly([runs], store, out, night=night, parquet=lake, retention_days=2)
    cutoff = NIGHTS[-1] - timedelta(days=2)
    kept = [str(n) for n in NIGHTS if n >= cutoff]
    events, daily = parquet_counts(lake)
    assert sorted(events) == kept and sorted(daily) == kept
    assert (events, daily) == store_counts(store, kept)


def test_the_command_writes_parquet_and_refuses_it_over_a_source(runs, tmp_path):
    args = ["nightly", str(runs), "--store", str(tmp_path / "h.duckdb"), "--out",
            str(tmp_path / "r"), "--night", str(NIGHTS[0])]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--parquet", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.stderr
    assert partitions(tmp_path / "lake")["breaker_daily"] == [f"date={NIGHTS[0]}/part-0.parquet"]
    manifest = next(runs.rglob("*.sqlite3"))
    result = CliRunner().invoke(app, [*args, "--parquet", str(manifest)])
    assert result.exit_code == 2 and "refusing to overwrite the source" in result.stderr


def readme_duckdb_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- duckdb-parquet-example -->\s*```sql\n(.*?)```", text, re.S)
    assert match, "README.md: no DuckDB example over the Parquet history"
    return match.group(1)


def test_the_readme_duckdb_example_runs_as_written(runs, tmp_path, monkeypatch):
    """README runs its example from the folder holding ``history/`` (``--parquet
    history``): the same here."""
    for night in NIGHTS[:2]:
        run_nightly([runs], tmp_path / "h.duckdb", tmp_path / "r", night=night,
                    parquet=tmp_path / "history")  # fmt: skip
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    results = [con.execute(statement).fetchall() for statement in
               filter(str.strip, readme_duckdb_example().split(";"))]  # fmt: skip
    assert results and all(results)
    events, _ = parquet_counts(tmp_path / "history")
    flattened = {str(v) for rows in results for row in rows for v in row}
    assert {str(n) for n in NIGHTS[:2]} <= flattened or str(sum(events.values())) in flattened
