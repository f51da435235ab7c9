"""``breaker-advise --cache`` (advisor/ingest/cache.py, pipeline.analyze(cache=)): the same
contract as an uncached run, cold, warm and after new rows; a host is advised again
exactly when something its advice depends on changed; one process at a time; a damaged
cache is rebuilt; the cache is never a source."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from advisor import pipeline
from advisor.config import load_config
from advisor.ingest.cache import Cache
from advisor.simulate import simulate
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

END = "2026-01-15T06:00:00Z"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """One simulated hour of the ``mixed`` scenario (hosts in trouble, some advice)."""
    folder = tmp_path_factory.mktemp("sim") / "mixed"
    simulate("mixed", folder, hours=1.0, seed=3, end=END, overwrite=True, workers=1)
    return folder


@pytest.fixture
def run(simulated, tmp_path, monkeypatch) -> Path:
    """A private copy of the simulated run (tests append to it); generation time pinned."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    folder = tmp_path / "run"
    shutil.copytree(simulated, folder)
    return folder


def manifest(folder: Path) -> Path:
    return folder / "manifest.sqlite3"


def append(path: Path, rows: list[tuple[float, str, str, str]]) -> None:
    con = sqlite3.connect(path)
    con.executemany(
        "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)", rows
    )
    con.commit()
    con.close()


def last_rows(path: Path, n: int, shift: float, host: str | None = None) -> list[tuple]:
    """The last ``n`` rows (of ``host``), moved ``shift`` seconds on."""
    con = sqlite3.connect(path)
    where = "WHERE host = ?" if host else ""
    rows = con.execute(
        f"SELECT ts, host, event_type, details FROM breaker_events {where} "
        "ORDER BY id DESC LIMIT ?",
        (host, n) if host else (n,),
    ).fetchall()
    con.close()
    return [(ts + shift, h, kind, details) for ts, h, kind, details in reversed(rows)]


def cached_events(cache: Path) -> int:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def advised(monkeypatch) -> list[str]:
    """The hosts the decision engine advises afresh (the real ``advise`` runs; only the
    hosts it is given are recorded; a role's own breaker is keyed by a tuple)."""
    calls: list[str] = []
    real = pipeline.advise

    def recording(evidence, *args, **kwargs):
        calls.extend(key for key in evidence if isinstance(key, str))
        return real(evidence, *args, **kwargs)

    monkeypatch.setattr(pipeline, "advise", recording)
    return calls


def test_cold_warm_and_grown_runs_give_the_uncached_contract(run, tmp_path):
    cache = tmp_path / "c.duckdb"
    options = {"window_s": 3600, "until": "latest", "config": run / "breakers.yaml"}
    uncached = pipeline.analyze(run, **options)
    cold = pipeline.analyze(run, cache=Cache(cache), **options)
    warm = Cache(cache)
    assert cold.to_json() == uncached.to_json()
    assert pipeline.analyze(run, cache=warm, **options).to_json() == uncached.to_json()
    assert warm.notes == []
    assert cached_events(cache) == uncached.sources[0].events
    # the run goes on: 200 more rows, 5 minutes later (the window moves with --until latest)
    added = last_rows(manifest(run), 200, 300.0)
    append(manifest(run), added)
    grown = pipeline.analyze(run, **options)
    assert grown.sources[0].events == uncached.sources[0].events + 200
    assert pipeline.analyze(run, cache=Cache(cache), **options).to_json() == grown.to_json()
    assert cached_events(cache) == grown.sources[0].events  # new rows read once


def test_a_host_is_advised_again_only_when_its_inputs_change(run, tmp_path, advised):
    cache = tmp_path / "c.duckdb"
    yaml = run / "breakers.yaml"
    options = {"window_s": 3600, "until": END}

    def both(**more) -> set[str]:
        """The hosts advised afresh by a cached analysis (whole analyses not reused: the
        per-host results are under test), which must agree with the uncached one."""
        store = Cache(cache, reuse_analysis=False)
        advised.clear()
        result = pipeline.analyze(run, cache=store, **options, **more)
        fresh = set(advised)
        assert result.to_json() == pipeline.analyze(run, **options, **more).to_json()
        assert {h.host for h in result.hosts} == hosts
        return fresh

    hosts = {h.host for h in pipeline.analyze(run, config=yaml, **options).hosts}
    assert len(hosts) > 3
    assert both(config=yaml) == hosts  # cold: every host
    assert both(config=yaml) == set()  # nothing changed: every host's result reused
    # one more successful call of one host, inside the fixed window
    host = sorted(hosts)[0]
    append(manifest(run), last_rows(manifest(run), 1, -0.0005, host=host))
    assert both(config=yaml) == {host}
    # another host's configuration changes: that host only
    other = sorted(hosts)[1]
    config = load_config(yaml, host_overrides=[f"{other}=fail_max:3"], env={})
    assert both(config=config) == {other}
    # other rule settings: every host
    assert both(config=config, lost_weight=0.7) == hosts


def test_a_damaged_cache_is_built_again_with_a_warning(run, tmp_path):
    cache = tmp_path / "c.duckdb"
    cache.write_bytes(b"not a database" * 1000)
    options = {"window_s": 3600, "until": "latest", "config": run / "breakers.yaml"}
    store = Cache(cache)
    result = pipeline.analyze(run, cache=store, **options)
    assert result.to_json() == pipeline.analyze(run, **options).to_json()
    assert len(store.notes) == 1 and "damaged" in store.notes[0] and "built again" in store.notes[0]
    assert cached_events(cache) == result.sources[0].events
    again = Cache(cache)
    assert pipeline.analyze(run, cache=again, **options).to_json() == result.to_json()
    assert again.notes == []


def advise_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "--format", "json", "--window-s", "3600",
         "--until", END, *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1", **(env or {})},
    )  # fmt: skip


HOLD = """
import sys, time
from pathlib import Path
from advisor.ingest.store import store_lock
with store_lock(Path(sys.argv[1]), 0):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_busy_cache_is_waited_for_briefly_then_the_run_goes_uncached(run, tmp_path):
    cache = tmp_path / "c.duckdb"
    expected = pipeline.analyze(run, window_s=3600, until=END).to_json() + "\n"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(cache)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        out, err = advise_cli(run, "--cache", cache).communicate(timeout=120)
        assert out == expected
        assert "not used (in use by another process); read uncached" in err
        assert time.monotonic() - started < 60  # it never waited for the holder to finish
    finally:
        holder.kill()
        holder.communicate()
    assert not cache.exists() or cached_events(cache) == 0  # untouched while held


def test_two_runs_on_one_cache_both_give_the_uncached_contract(run, tmp_path):
    cache = tmp_path / "c.duckdb"
    expected = pipeline.analyze(run, window_s=3600, until=END).to_json() + "\n"
    first = advise_cli(run, "--cache", cache)
    time.sleep(0.5)
    second = advise_cli(run, env={"BREAKER_ADVISOR_CACHE": str(cache)})
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out == expected
    warm = advise_cli(run, "--cache", cache)
    out, err = warm.communicate(timeout=300)
    assert out == expected and "Warning" not in err  # the cache is sound afterwards


def test_the_cache_is_never_a_source(run, tmp_path, run_advise, monkeypatch):
    source = manifest(run)
    before = source.read_bytes()
    code, _, err = run_advise("--until", END, "--cache", source, source)
    assert code == 2 and "ending in .duckdb" in err
    link = tmp_path / "link.duckdb"
    link.symlink_to(source)
    code, _, err = run_advise("--until", END, "--cache", link, source)
    assert code == 2 and "link.duckdb" in err
    assert source.read_bytes() == before
    monkeypatch.setenv("BREAKER_ADVISOR_CACHE", str(source))
    code, _, err = run_advise("--until", END, run)
    assert code == 2 and "ending in .duckdb" in err


def test_a_cache_inside_a_source_folder_is_not_read_as_a_source(run, run_advise):
    for _ in range(2):
        code, out, err = run_advise("--format", "json", "--until", END, "--cache",
                                    run / "c.duckdb", run)  # fmt: skip
        assert code == 0, err
        assert '"path": "' + str(manifest(run)) + '"' in out
        assert "c.duckdb" not in out


def test_another_duckdb_file_is_refused_and_left_alone(run, tmp_path, run_advise):
    other = tmp_path / "mine.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE notes AS SELECT 42 AS answer")
    con.close()
    before = other.read_bytes()
    code, _, err = run_advise("--until", END, "--cache", other, run)
    assert code == 2 and "not a breaker-advisor cache" in err
    assert other.read_bytes() == before


def test_retention_drops_old_events_and_keeps_the_window(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    rows = [call(T0 - 3 * 86400 + i, "a.example", "success") for i in range(5)]
    rows += [change(T0, "a.example", "closed", "open"), call(T0 + 1, "a.example", "failure")]
    rows += [call(T0 + 10 + i, "b.example", "success") for i in range(5)]
    source = m.breaker_events(tmp_path / "m.sqlite3", rows)
    cache = tmp_path / "c.duckdb"
    options = {"window_s": 3600, "until": "latest"}
    result = pipeline.analyze(source, cache=Cache(cache, keep_days=1), **options)
    assert cached_events(cache) == 7  # the rows of three days ago are gone
    uncached = pipeline.analyze(source, **options)
    assert [h.to_dict() for h in result.hosts] == [h.to_dict() for h in uncached.hosts]


def test_keep_days_and_file_name_are_checked():
    with pytest.raises(Exception, match="ending in .duckdb"):
        Cache(Path("c.sqlite3"))
    with pytest.raises(Exception, match="--cache-keep-days"):
        Cache(Path("c.duckdb"), keep_days=0)
