"""ManifestWriter: schema, batching, shape check, durability across kill -9, several
writer processes and threads on one file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from advisor.errors import ManifestSchemaError, TelemetryError, UsageError
from advisor.telemetry import ManifestWriter
from tests.helpers import manifests as m
from tests.helpers.manifests import T0


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(
            "SELECT id, ts, host, event_type, details FROM breaker_events ORDER BY id"
        ).fetchall()


def run_python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_creates_wal_schema_and_index(tmp_path):
    path = tmp_path / "runs" / "r1" / "manifest.sqlite3"
    with ManifestWriter(path, run_id="r1") as writer:
        writer.record("api.example.org", "success", ts=T0, state="closed", elapsed_ms=12.5)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [(r[1], r[2], r[5]) for r in con.execute("PRAGMA table_info(breaker_events)")]
        indexes = [r[1] for r in con.execute("PRAGMA index_list(breaker_events)")]
        index_columns = [r[2] for r in con.execute("PRAGMA index_info(breaker_events_ts_host)")]
    assert columns == [
        ("id", "INTEGER", 1),
        ("ts", "REAL", 0),
        ("host", "TEXT", 0),
        ("event_type", "TEXT", 0),
        ("details", "TEXT", 0),
    ]
    assert indexes == ["breaker_events_ts_host"]
    assert index_columns == ["ts", "host"]
    assert rows(path) == [
        (
            1,
            T0,
            "api.example.org",
            "success",
            '{"state":"closed","elapsed_ms":12.5,"run_id":"r1"}',
        )
    ]


def test_details_drop_none_and_always_carry_run_id(tmp_path):
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, run_id="run-7") as writer:
        writer.record("h", "failure", ts=T0, state="half_open", status=None, exc_type="Timeout")
        writer.record("h", "state_change", ts=T0, old_state="closed", new_state="open")
    details = [json.loads(r[4]) for r in rows(path)]
    assert details == [
        {"state": "half_open", "exc_type": "Timeout", "run_id": "run-7"},
        {"old_state": "closed", "new_state": "open", "run_id": "run-7"},
    ]


def test_fresh_run_id_when_none_given(tmp_path):
    first = ManifestWriter(tmp_path / "a.sqlite3")
    second = ManifestWriter(tmp_path / "b.sqlite3")
    first.close()
    second.close()
    assert first.run_id and second.run_id and first.run_id != second.run_id


def test_unknown_event_type_is_refused(tmp_path):
    with (
        ManifestWriter(tmp_path / "m.sqlite3") as writer,
        pytest.raises(UsageError, match="unknown event_type 'sucess'"),
    ):
        writer.record("h", "sucess")


def test_batches_are_written_only_when_full_or_flushed(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, run_id="r", batch_size=3, flush_interval_s=None)
    writer.record("h", "success", ts=T0)
    writer.record("h", "success", ts=T0 + 1)
    assert rows(path) == [] and writer.pending == 2
    writer.record("h", "success", ts=T0 + 2)
    assert len(rows(path)) == 3 and writer.pending == 0
    writer.record("h", "success", ts=T0 + 3)
    assert writer.flush() == 1
    assert len(rows(path)) == 4
    writer.close()
    writer.close()  # idempotent


def test_flush_with_a_limit_writes_the_oldest_events(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, run_id="r", batch_size=100, flush_interval_s=None)
    for i in range(5):
        writer.record("h", "success", ts=T0 + i)
    assert writer.flush(2) == 2 and writer.pending == 3
    assert [row[1] for row in rows(path)] == [T0, T0 + 1]
    assert writer.flush(0) == 0 and writer.flush(10) == 3
    assert [row[1] for row in rows(path)] == [T0 + i for i in range(5)]
    writer.close()


def test_bulk_load_skips_fsync_on_its_own_connection_and_the_index(tmp_path):
    def indexes(path: Path) -> list[str]:
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            return [r[1] for r in con.execute("PRAGMA index_list(breaker_events)")]

    path = tmp_path / "m.sqlite3"
    bulk = ManifestWriter(path, run_id="sim", flush_interval_s=None, bulk_load=True)
    bulk.record("h", "success", ts=T0)
    bulk.flush()
    assert indexes(path) == []
    plain = ManifestWriter(path, run_id="rt", flush_interval_s=None)
    assert indexes(path) == ["breaker_events_ts_host"]
    # PRAGMA synchronous: 0 = OFF, 1 = NORMAL (per connection)
    assert bulk._connection().execute("PRAGMA synchronous").fetchone()[0] == 0
    assert plain._connection().execute("PRAGMA synchronous").fetchone()[0] == 1
    bulk.record("h", "success", ts=T0 + 1)
    plain.record("h", "success", ts=T0 + 2)
    bulk.close()
    plain.close()
    assert [row[1] for row in rows(path)] == [T0, T0 + 1, T0 + 2]


def test_interval_flush_writes_without_being_asked(tmp_path):
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, batch_size=1000, flush_interval_s=0.05) as writer:
        writer.record("h", "success", ts=T0)
        deadline = time.monotonic() + 5
        while not rows(path) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(rows(path)) == 1


def test_close_flushes_and_refuses_more(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, batch_size=100, flush_interval_s=None)
    for i in range(5):
        writer.record("h", "success", ts=T0 + i)
    writer.close()
    assert len(rows(path)) == 5
    with pytest.raises(Exception, match="closed"):
        writer.record("h", "success", ts=T0)


def test_appends_to_an_existing_manifest_of_the_same_shape(tmp_path):
    path = m.breaker_events(tmp_path / "m.sqlite3", [m.call(T0, "h", "success")])
    with ManifestWriter(path, run_id="r") as writer:
        writer.record("h", "failure", ts=T0 + 1, state="closed")
    assert [r[3] for r in rows(path)] == ["success", "failure"]


def test_refuses_a_breaker_events_table_of_another_shape(tmp_path):
    path = tmp_path / "m.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE breaker_events (ts TEXT, host TEXT, kind TEXT)")
    with pytest.raises(ManifestSchemaError) as caught:
        ManifestWriter(path)
    message = str(caught.value)
    assert "ts TEXT, host TEXT, kind TEXT" in message
    assert "id INTEGER PRIMARY KEY, ts REAL, host TEXT, event_type TEXT, details TEXT" in message
    assert caught.value.exit_code == 2


def test_refuses_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "m.sqlite3"
    path.write_text("this is a manifest.jsonl, not SQLite\n" * 10)
    with pytest.raises(ManifestSchemaError, match="cannot use as a manifest"):
        ManifestWriter(path)


def test_threads_share_one_writer_without_losing_events(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, batch_size=37, flush_interval_s=0.01)

    def work(n: int) -> None:
        for i in range(500):
            writer.record(f"h{n}", "success", ts=T0 + i, seq=i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    found = rows(path)
    assert len(found) == 3000
    for n in range(6):
        seqs = [json.loads(r[4])["seq"] for r in found if r[2] == f"h{n}"]
        assert seqs == list(range(500))


def test_events_are_written_at_interpreter_exit(tmp_path):
    path = tmp_path / "m.sqlite3"
    child = run_python(
        """
        import sys
        from advisor.telemetry import ManifestWriter
        writer = ManifestWriter(sys.argv[1], batch_size=1000, flush_interval_s=None)
        for i in range(7):
            writer.record("h", "success", ts=1.8e9 + i)
        """,
        str(path),
    )
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert len(rows(path)) == 7


def test_kill_9_keeps_every_committed_event(tmp_path):
    path = tmp_path / "m.sqlite3"
    child = run_python(
        """
        import sys
        from advisor.telemetry import ManifestWriter
        writer = ManifestWriter(sys.argv[1], run_id="victim", batch_size=50, flush_interval_s=None)
        i = 0
        while True:
            writer.record("h.example.org", "success", ts=1.8e9 + i, seq=i, state="closed")
            i += 1
            if i % 50 == 0:
                print(writer.written, flush=True)
        """,
        str(path),
    )
    committed = 0
    while committed < 1000:
        line = child.stdout.readline()
        assert line, child.stderr.read()
        committed = int(line)
    os.kill(child.pid, signal.SIGKILL)
    rest, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    committed = max([committed, *(int(x) for x in rest.split())])

    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    found = rows(path)
    assert len(found) >= committed
    assert len(found) % 50 == 0  # whole batches only
    assert [json.loads(r[4])["seq"] for r in found] == list(range(len(found)))


def test_several_processes_on_one_file_lose_nothing(tmp_path):
    path = tmp_path / "m.sqlite3"
    code = """
        import sys
        from advisor.telemetry import ManifestWriter
        name, count = sys.argv[2], int(sys.argv[3])
        with ManifestWriter(sys.argv[1], run_id=name, batch_size=30, flush_interval_s=None) as w:
            for i in range(count):
                w.record("shared.example.org", "success", ts=1.8e9 + i, seq=i)
        """
    children = [run_python(code, str(path), f"p{n}", "1500") for n in range(3)]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    found = rows(path)
    assert len(found) == 4500
    by_run: dict[str, list[int]] = {}
    for row in found:
        details = json.loads(row[4])
        by_run.setdefault(details["run_id"], []).append(details["seq"])
    assert {name: sorted(seqs) for name, seqs in by_run.items()} == {
        f"p{n}": list(range(1500)) for n in range(3)
    }


def test_a_forked_child_writes_only_its_own_events(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, run_id="r", batch_size=100, flush_interval_s=None)
    writer.record("h", "success", ts=T0, who="parent, before the fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: the parent's buffered event is not its to write
        try:
            writer.record("h", "success", ts=T0 + 1, who="child")
            writer.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    writer.record("h", "success", ts=T0 + 2, who="parent, after the fork")
    writer.close()
    assert sorted(json.loads(r[4])["who"] for r in rows(path)) == [
        "child",
        "parent, after the fork",
        "parent, before the fork",
    ]


def test_a_locked_file_defers_batches_then_waits_then_gives_up_keeping_events(tmp_path):
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, batch_size=10, flush_interval_s=None, busy_timeout_s=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    started = time.monotonic()
    for i in range(79):
        writer.record("h", "success", ts=T0 + i, seq=i)
    assert time.monotonic() - started < 0.2  # due batches were deferred, not waited for
    assert writer.pending == 79
    with pytest.raises(TelemetryError, match="still locked"):
        writer.record("h", "success", ts=T0 + 79, seq=79)  # 8 batches: now it waits
    assert writer.pending == 80
    other.execute("ROLLBACK")
    other.close()
    writer.close()
    assert [json.loads(r[4])["seq"] for r in rows(path)] == list(range(80))
