"""The fifth telemetry layout (issue 17, item 7): ``manifest.jsonl`` attempt records,
as the deployment guide's troubleshooting reads them with jq, counted against an
independent count over the fixture's records; bad lines named by file and line number."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import manifests as m
from tests.helpers.manifests import T0

HOSTS = ("api.crossref.org", "export.arxiv.org", "doi.org")


def _records(seed: int = 3) -> list[dict]:
    """Attempts of three hosts with every outcome the layout tells apart, plus the other
    record types a downloader's manifest holds (which are not calls)."""
    rng = random.Random(seed)
    out: list[dict] = [{"record_type": "run_start", "run_id": "r1", "ts": T0}]
    for k in range(300):
        host = rng.choice(HOSTS)
        kind = rng.choice(["ok", "ok", "ok", "429", "503", "timeout", "404", "refused", "cache"])
        rec: dict = {"record_type": "attempt", "run_id": "r1", "host": host}
        # both timestamp spellings: epoch seconds and ISO-8601 text
        ts = T0 + k * 7.0
        if k % 2:
            rec["ts"] = ts
        else:
            rec["timestamp"] = datetime.fromtimestamp(ts, UTC).isoformat()
        if kind == "ok":
            rec |= {"status": "pdf", "http_status": 200, "reason": None}
        elif kind == "429":
            rec |= {"status": "http_error", "http_status": 429, "reason": "too many requests",
                    "retry_after_s": 30}  # fmt: skip
        elif kind == "503":
            rec |= {"status": 503, "reason": "unavailable"}
        elif kind == "timeout":
            rec |= {"status": "request_error", "reason": "read timeout"}
        elif kind == "404":
            rec |= {"status": "http_error", "http_status": 404, "reason": "not found"}
        elif kind == "refused":
            rec |= {"status": "skipped", "reason": "breaker_open"}
        else:
            rec |= {"status": "cached", "http_status": 304, "from_cache": True}
        rec["_kind"] = kind
        out.append(rec)
        if k % 50 == 0:
            out.append({"record_type": "manifest", "work_id": f"W{k}", "path": "x.pdf"})
    return out


def _write(path: Path, records: list[dict], extra: list[bytes] = ()) -> Path:
    lines = [json.dumps({k: v for k, v in r.items() if k != "_kind"}).encode() for r in records]
    path.write_bytes(b"\n".join([*lines, *extra]) + b"\n")
    return path


def _by_hand(records: list[dict]) -> dict[str, dict[str, int]]:
    """calls / failures / refused per host, from the fixture's own labels."""
    out = {h: {"calls": 0, "failures": 0, "rejected": 0, "successes": 0} for h in HOSTS}
    for r in records:
        kind = r.get("_kind")
        if kind is None or kind == "cache":
            continue
        counts = out[r["host"]]
        if kind == "refused":
            counts["rejected"] += 1
            continue
        counts["calls"] += 1
        counts["failures"] += kind in ("429", "503", "timeout")
        counts["successes"] += kind == "ok"
    return out


def _window() -> tuple[str, str]:
    return str(T0 + 300 * 7.0 + 1), "3600"


def test_attempt_records_are_counted_like_calls(tmp_path, advise_json):
    records = _records()
    path = _write(tmp_path / "manifest.jsonl", records)
    until, window = _window()
    report = advise_json(path, until=until, window_s=float(window))
    (source,) = report["sources"]
    assert source["tables"] == ["attempts"] and source["warnings"] == []
    assert source["skipped"] == 0
    got = {
        h["host"]: {k: h["metrics"][k] for k in ("calls", "failures", "rejected", "successes")}
        for h in report["hosts"]
    }
    assert got == _by_hand(records)
    throttled = sum(1 for r in records if r.get("_kind") == "429")
    assert sum(h["metrics"]["status_429"] for h in report["hosts"]) == throttled
    assert sum(h["metrics"]["retry_after_s"]["count"] for h in report["hosts"]) == throttled


def test_bad_lines_are_named_and_the_rest_analysed(tmp_path, run_advise, advise_json):
    records = _records()
    (tmp_path / "good").mkdir()
    good = _write(tmp_path / "good" / "manifest.jsonl", records)
    n = len(records)
    bad_lines = [
        b"{not json",
        b"[1, 2]",
        b'{"record_type": "attempt", "ts": "soon", "host": "doi.org", "status": 200}',
        b'{"record_type": "attempt", "ts": 1, "status": 200}',
        b'{"record_type": "attempt", "ts": "2026-01-15T08:00:00Z", "host": "doi.org"}',
        b'{"record_type": "attempt", "ts": "2026-01-15T08:00:00Z", "host": "\xff\xfe"}',
        b"",
        b'{"record_type": "attempt", "ts": "2026-01-15T08:00:00Z", "host": "doi.org", '
        b'"status": 503, "retry_after_s": -5}',
    ]
    path = _write(tmp_path / "manifest.jsonl", records, bad_lines)
    until, window = _window()
    report = advise_json("--verbose", path, until=until, window_s=float(window))
    (source,) = report["sources"]
    assert source["skipped"] == 7  # the blank line is no record
    warnings = " | ".join(source["warnings"])
    for offset, what in [
        (1, "line is not valid JSON"),
        (2, "line is an array, not a JSON object"),
        (3, "ts soon is not a timestamp"),
        (4, "ts 1 is not a timestamp"),
        (5, "attempt without a status or http_status"),
        (6, "line is not valid UTF-8"),
        (8, "retry_after_s -5.0 is not a duration"),
    ]:
        assert f"{what}" in warnings and f"(line {n + offset})" in warnings, (what, warnings)
    clean = advise_json(good, until=until, window_s=float(window))
    assert [h["metrics"] for h in report["hosts"]] == [h["metrics"] for h in clean["hosts"]]
    code, out, err = run_advise("--until", until, "--window-s", window, path)
    assert code == 0
    assert f"{path}: 1 line(s) skipped: line is not valid JSON (line {n + 1})" in err


def test_a_folder_scan_finds_manifest_jsonl(tmp_path, advise_json):
    """Alone in its folder it is read; beside a SQLite manifest (the same calls, recorded
    twice) only the SQLite file is; named explicitly it is always read."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "manifest.jsonl", _records())
    _write(tmp_path / "b" / "manifest.jsonl", _records(4))
    _write(tmp_path / "b" / "other.jsonl", _records(5))  # not a manifest name: not scanned
    m.breaker_events(tmp_path / "b" / "manifest.sqlite3", [(T0 + 5, "doi.org", "success", {})])
    until, window = _window()
    report = advise_json(tmp_path, until=until, window_s=float(window))
    assert sorted(Path(s["path"]).relative_to(tmp_path).as_posix() for s in report["sources"]) == [
        "a/manifest.jsonl",
        "b/manifest.sqlite3",
    ]
    explicit = advise_json(tmp_path / "b" / "manifest.jsonl", until=until, window_s=float(window))
    assert explicit["sources"][0]["events"] > 0


def test_a_manifest_without_attempts_is_read_and_empty(tmp_path, advise_json):
    path = _write(tmp_path / "manifest.jsonl", [{"record_type": "run_start", "ts": T0}])
    report = advise_json(path, until=str(T0 + 10), window_s=60)
    assert report["sources"][0]["events"] == 0 and report["hosts"] == []
