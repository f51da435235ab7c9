"""Nightly job: history over several simulated nights, stability, idempotence, retention."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from advisor import analyze
from advisor.cli.app import app
from advisor.ingest.store import open_store
from advisor.model import HostResult, Recommendation
from advisor.nightly import StabilityRules, open_history, run_nightly
from advisor.nightly.stability import classify
from tests.helpers.nightly import NIGHTS, copy_runs
from tests.helpers.store import checksums


def test_nights_history_trends_and_status(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 3)
    store, out = tmp_path / "h.duckdb", tmp_path / "reports"
    rules = StabilityRules(nights_to_confirm=2, confirm_window=3)
    results = [run_nightly([runs], store, out, night=n, stability=rules) for n in NIGHTS[:3]]
    assert [r.ingest.new_events for r in results][1:] == [0, 0]  # all read on night 1
    history = open_history(store)
    assert [str(n.date()) for n in history.nights["night"]] == [str(n) for n in NIGHTS[:3]]
    assert set(history.metrics["host"]) >= {"api.crossref.org", "api.core.ac.uk"}
    # Night 2: a change advised both nights is confirmed (2 of 3), unless urgent it was new.
    first = {(a.host, a.parameter): a for a in results[0].advice}
    for advice in results[1].advice:
        earlier = first.get((advice.host, advice.parameter))
        if advice.status != "withdrawn" and earlier and earlier.direction == advice.direction:
            assert advice.status == "confirmed" and advice.nights_seen == 2
    for name in ("2026-01-01.html", "2026-01-02.html", "2026-01-03.html", "index.html"):
        assert (out / name).is_file()
    page = (out / "2026-01-03.html").read_text()
    assert 'id="nightly"' in page and 'id="trend-0-data"' in page
    index = (out / "index.html").read_text()
    assert index.count('href="2026-01-0') == 3
    latest = json.loads((out / "latest.json").read_text())
    assert latest["night"] == "2026-01-03"
    statuses = {r.get("status") for h in latest["hosts"] for r in h["recommendations"]}
    assert statuses - {None} <= {"new", "pending", "confirmed"}


def test_night_matches_a_full_analysis(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 2)
    result = run_nightly([runs], tmp_path / "h.duckdb", tmp_path / "r", night=NIGHTS[0])
    full = analyze([runs], window_s=86400, until=f"{NIGHTS[1]}T00:00:00Z")
    assert {h.host: h.metrics for h in result.analysis.hosts} == {
        h.host: h.metrics for h in full.hosts
    }

    def changes(hosts):
        return {(h.host, r.parameter, r.suggested) for h in hosts for r in h.changes}

    assert changes(result.analysis.hosts) == changes(full.hosts)


def test_rerun_changes_nothing(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 2)
    store = tmp_path / "h.duckdb"
    run_nightly([runs], store, tmp_path / "r", night=NIGHTS[0])
    run_nightly([runs], store, tmp_path / "r", night=NIGHTS[1])
    before = checksums(store)
    again = run_nightly([runs], store, tmp_path / "r", night=NIGHTS[1])
    assert again.ingest.new_events == 0
    assert checksums(store) == before


def test_replaced_and_truncated_sources_are_read_again(night_runs, tmp_path):
    source = tmp_path / "runs" / "manifest.sqlite3"
    source.parent.mkdir()
    shutil.copy(night_runs[0], source)
    store = tmp_path / "h.duckdb"

    def stored() -> int:
        con = open_store(store, read_only=True)
        try:
            return con.execute("SELECT count(*) FROM hist.events").fetchone()[0]
        finally:
            con.close()

    def rows(path: Path) -> int:
        with sqlite3.connect(path) as con:
            return con.execute("SELECT count(*) FROM breaker_events").fetchone()[0]

    run_nightly([source], store, tmp_path / "r", night=NIGHTS[0])
    first = stored()
    assert first > 0
    shutil.copy(night_runs[1], tmp_path / "other.sqlite3")  # replaced: another file, renamed in
    (tmp_path / "other.sqlite3").replace(source)
    result = run_nightly([source], store, tmp_path / "r", night=NIGHTS[1])
    assert any("replaced" in w for w in result.ingest.sources[0].warnings)
    assert stored() <= rows(source)  # old rows gone, new ones in (minus skipped)
    kept = stored()
    with sqlite3.connect(source) as con:  # truncated in place: same inode, fewer rows
        con.execute("DELETE FROM breaker_events WHERE rowid > 1000")
    result = run_nightly([source], store, tmp_path / "r", night=NIGHTS[1])
    assert any("truncated" in w for w in result.ingest.sources[0].warnings)
    assert 0 < stored() <= 1000 < kept


def test_retention_prunes_nights_events_and_reports(night_runs, tmp_path):
    runs = copy_runs(night_runs, tmp_path / "runs", 4)
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    for night in NIGHTS:
        run_nightly([runs], store, out, night=night, retention_days=2)
    history = open_history(store)
    assert [str(n.date()) for n in history.nights["night"]] == ["2026-01-02", "2026-01-03",
                                                                  "2026-01-04"]  # fmt: skip
    assert not (out / "2026-01-01.html").exists()
    con = open_store(store, read_only=True)
    try:
        oldest = con.execute("SELECT min(ts) FROM hist.events").fetchone()[0]
    finally:
        con.close()
    assert oldest.date() >= date(2026, 1, 1)  # kept: one day of lookback before 01-02


def test_corrupt_store_exits_3(night_runs, tmp_path):
    store = tmp_path / "h.duckdb"
    store.write_bytes(b"not a duckdb file" * 100)
    result = CliRunner().invoke(
        app, ["nightly", str(night_runs[0]), "--store", str(store), "--out", str(tmp_path / "r"),
              "--night", "2026-01-01"],
    )  # fmt: skip
    assert result.exit_code == 3
    assert "corrupt" in result.output


def test_bad_night_is_a_usage_error(night_runs, tmp_path):
    result = CliRunner().invoke(
        app, ["nightly", str(night_runs[0]), "--store", str(tmp_path / "h.duckdb"), "--out",
              str(tmp_path / "r"), "--night", "yesterday"],
    )  # fmt: skip
    assert result.exit_code == 2


def _host(name: str, changes: dict[str, tuple[int, int]]) -> HostResult:
    recs = [Recommendation(p, c, s, "high", "r") for p, (c, s) in changes.items()]
    return HostResult(name, {"open_time_s": 0.0}, recommendations=recs)


def _night(changes: dict[tuple[str, str], tuple[int, int]]) -> dict:
    return {
        key: {"direction": "up" if s > c else "down", "current": c, "suggested": s,
              "confidence": "high", "rule": "r", "recommendation": {}}
        for key, (c, s) in changes.items()
    }  # fmt: skip


def test_confirmation_needs_n_of_m_nights_urgent_at_once_and_withdrawal():
    rules = StabilityRules(nights_to_confirm=3, confirm_window=5)
    up = {("a", "fail_max"): (5, 8)}
    tonight = [_host("a", {"fail_max": (5, 9)}), _host("b", {"reset_timeout_s": (60, 30)})]
    previous = [_night(up), {}, {}, _night(up), _night(up)]  # newest first; 5th is outside
    advice = {(a.host, a.parameter, a.status): a for a in classify(tonight, {}, previous, rules)}
    assert advice[("a", "fail_max", "confirmed")].nights_seen == 3
    assert ("b", "reset_timeout_s", "new") in advice
    previous = [_night(up), {}, {}, {}, _night(up)]
    statuses = {a.status for a in classify(tonight[:1], {}, previous, rules)}
    assert statuses == {"pending"}  # seen yesterday too, 2 of 5
    urgent = classify(tonight[1:], {"b": 0.8}, [], rules)
    assert [(a.status, a.urgent) for a in urgent] == [("confirmed", True)]
    down = [_host("a", {"fail_max": (5, 3)})]
    statuses = sorted(a.status for a in classify(down, {}, [_night(up)], rules))
    assert statuses == ["new", "withdrawn"]


def test_a_change_that_is_not_expected_to_save_is_never_confirmed():
    """Three nights in the same direction, urgent even: if the decision model prices
    the change above today's cost, it stays pending."""
    rules = StabilityRules(nights_to_confirm=3, confirm_window=5)
    up = {("a", "fail_max"): (5, 10)}
    costly = _host("a", {"fail_max": (5, 10)})
    costly.recommendations[0] = replace(
        costly.recommendations[0], evidence={"expected_cost": {"current": 33.5, "suggested": 40}}
    )
    statuses = [a.status for a in classify([costly], {"a": 0.9}, [_night(up), _night(up)], rules)]
    assert statuses == ["pending"]
    saving = _host("a", {"fail_max": (5, 10)})
    saving.recommendations[0] = replace(
        saving.recommendations[0], evidence={"expected_cost": {"current": 40, "suggested": 33.5}}
    )
    statuses = [a.status for a in classify([saving], {}, [_night(up), _night(up)], rules)]
    assert statuses == ["confirmed"]
