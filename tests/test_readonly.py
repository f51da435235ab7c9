"""Sources are never written, and a live WAL writer is never blocked."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROWS = [change(T0 + i * 10, "h.example", "closed", "open") for i in range(20)] + [
    call(T0 + i, "h.example", "failure") for i in range(200)
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sources_are_byte_identical_and_get_no_wal_files(tmp_path, run_advise):
    paths = [
        m.breaker_events(tmp_path / "events.sqlite3", ROWS),
        m.http_events(tmp_path / "http.db", [{"ts": T0, "host": "x", "breaker_recorded": "none"}]),
        m.state_transitions(tmp_path / "st.sqlite", [("x", "OPEN", "CLOSED", T0, T0 + 5)]),
    ]
    before = {p: digest(p) for p in paths}
    listing = sorted(p.name for p in tmp_path.iterdir())
    for args in (["--format", "json"], ["--format", "table"]):
        code, _, err = run_advise(*args, "--until", "latest", tmp_path)
        assert code == 0, err
    assert {p: digest(p) for p in paths} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no -wal / -shm / -journal


WRITER = r"""
import json, sqlite3, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
con = sqlite3.connect(path, timeout=0.0, isolation_level=None)  # no busy wait: BUSY would raise
written = busy = 0
deadline = time.time() + seconds
while time.time() < deadline:
    t = time.time()
    try:
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)",
            [(t, f"w{i % 7}.example", "success", '{"state": "closed"}') for i in range(10)],
        )
        con.execute("COMMIT")
        written += 10
    except sqlite3.OperationalError:
        busy += 1
    time.sleep(max(0.0, 0.02 - (time.time() - t)))  # ~500 events/s
print(json.dumps({"written": written, "busy": busy}))
"""


def test_live_wal_writer_is_never_blocked(tmp_path):
    path = m.breaker_events(tmp_path / "live.sqlite3", ROWS, wal=True)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "12"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(0.5)
    results = []
    for _ in range(10):
        run = subprocess.run(
            [sys.executable, "-m", "advisor.cli", "--format", "json", "--until", "now", str(path)],
            capture_output=True,
            text=True,
        )
        results.append(run)
    out, _ = writer.communicate(timeout=60)
    stats = json.loads(out)
    assert [r.returncode for r in results] == [0] * 10, results[-1].stderr
    assert stats["busy"] == 0
    assert stats["written"] > 1000
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    calls = [json.loads(r.stdout)["hosts"] for r in results]
    assert all(any(h["host"] == "w0.example" for h in hosts) for hosts in calls[1:])
