"""File identity of a JSON-lines manifest (``advisor.ingest.identity.plan_jsonl``): an
append-only text file read by line numbers, so ``--cache`` and the nightly store read a
``manifest.jsonl`` incrementally, and read it again when it was replaced."""

from __future__ import annotations

import json
import os
from datetime import date

from advisor import pipeline
from advisor.ingest.cache import Cache
from advisor.ingest.identity import plan_jsonl
from advisor.nightly import run_nightly
from tests.helpers.manifests import T0
from tests.test_jsonl_layout import _by_hand, _records, _write

COUNTED = ("calls", "failures", "rejected", "successes")


def _line(k: int) -> bytes:
    return json.dumps({"record_type": "attempt", "ts": T0 + k, "host": "doi.org",
                       "status": 200}).encode() + b"\n"  # fmt: skip


def test_appended_lines_are_new_rows_and_a_rewrite_reads_it_again(tmp_path):
    path = tmp_path / "manifest.jsonl"
    path.write_bytes(_line(1) + _line(2) + b"\n" + _line(3))  # a blank line counts as a line
    first = plan_jsonl(path, "attempts", None)
    assert (first.reason, first.after, first.replace) == ("new", 0, False)
    assert first.watermark is not None and first.watermark.last_rowid == 4
    with path.open("ab") as fh:  # one more line, and one still being written
        fh.write(_line(4) + _line(5)[:10])
    grown = plan_jsonl(path, "attempts", first.watermark)
    assert (grown.reason, grown.after, grown.replace) == ("grown", 4, False)
    assert grown.watermark is not None and grown.watermark.last_rowid == 5  # not the partial
    same = plan_jsonl(path, "attempts", grown.watermark)
    assert same.unchanged
    data = path.read_bytes()
    path.write_bytes(
        data.replace(b'"ts": ' + str(T0 + 1).encode(), b'"ts": ' + str(T0 + 9).encode())
    )
    edited = plan_jsonl(path, "attempts", grown.watermark)  # same inode, same size
    assert (edited.reason, edited.after, edited.replace) == ("replaced (lines changed)", 0, True)
    path.write_bytes(_line(1))
    shorter = plan_jsonl(path, "attempts", grown.watermark)
    assert (shorter.reason, shorter.replace) == ("truncated (fewer bytes)", True)
    other = tmp_path / "other.jsonl"
    other.write_bytes(data)
    os.replace(other, path)  # another file, renamed into place
    assert plan_jsonl(path, "attempts", grown.watermark).reason == "replaced (another file)"


def _counts(analysis) -> dict[str, dict[str, int]]:
    return {h.host: {k: h.metrics[k] for k in COUNTED} for h in analysis.hosts}


def test_the_cache_reads_a_jsonl_source_and_its_appended_lines(tmp_path):
    records = _records()
    path = _write(tmp_path / "manifest.jsonl", records[:150])
    options = {"window_s": 7200, "until": T0 + 3000}
    cache = tmp_path / "c.duckdb"
    cold = pipeline.analyze(path, cache=Cache(cache), **options)
    assert not cold.unreadable_sources and cold.sources[0].tables == {"attempts": "jsonl_attempts"}
    assert _counts(cold) == _counts(pipeline.analyze(path, **options))
    assert _counts(cold) == {h: c for h, c in _by_hand(records[:150]).items() if c["calls"]}
    _write(tmp_path / "manifest.jsonl", records)  # appended (rewritten with the same head)
    warm = Cache(cache)
    grown = pipeline.analyze(path, cache=warm, **options)
    assert not grown.unreadable_sources and not warm.notes  # read on, not read again
    assert _counts(grown) == _by_hand(records)
    assert grown.to_dict()["hosts"] == pipeline.analyze(path, **options).to_dict()["hosts"]


def test_the_nightly_job_reads_a_jsonl_source(tmp_path):
    records = _records()
    path = _write(tmp_path / "manifest.jsonl", records)
    result = run_nightly([path], tmp_path / "h.duckdb", tmp_path / "out", night=date(2026, 1, 15))
    assert result.unreadable_sources == []
    assert _counts(result.analysis) == _by_hand(records)
