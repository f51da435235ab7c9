"""Finished WAL-mode manifests (issue 13, item 3): read without write access to their
folder, without leaving -wal / -shm files beside them, from a private snapshot that is
checked not to have changed while it was taken."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.ingest import sources
from advisor.pipeline import analyze
from advisor.telemetry import ManifestWriter
from tests.helpers.manifests import T0

SETPRIV = shutil.which("setpriv")
DROP_WRITE = ["--inh-caps=-dac_override,-dac_read_search",
              "--bounding-set=-dac_override,-dac_read_search"]  # fmt: skip


def finished_manifest(folder: Path, events: int = 40) -> Path:
    """What the writer (and the simulator) leave: WAL mode, cleanly closed, no -wal."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "manifest.sqlite3"
    with ManifestWriter(path, flush_interval_s=None) as writer:
        for i in range(events):
            writer.record("h.example", "failure", ts=T0 + i, state="closed")
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL mode in the header
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.sqlite3"]
    return path


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def without_write_access(*command: str, env: dict[str, str] | None = None):
    """Run as root without CAP_DAC_OVERRIDE: a 0555 folder is then really unwritable,
    as it is for the unit's User=breaker-advisor over the crawler's runs."""
    return subprocess.run(
        [SETPRIV, *DROP_WRITE, *command], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture
def unwritable(tmp_path):
    if SETPRIV is None:
        pytest.skip("setpriv is not installed")
    folder = tmp_path / "runs" / "r1"
    path = finished_manifest(folder)
    folder.chmod(0o555)
    probe = without_write_access("touch", str(folder / "probe"))
    if probe.returncode == 0:  # capabilities could not be dropped: not a real test
        (folder / "probe").unlink()
        folder.chmod(0o755)
        pytest.skip("cannot drop write access here")
    yield path
    folder.chmod(0o755)


def test_finished_wal_manifest_in_an_unwritable_folder_is_read(unwritable, tmp_path):
    before = unwritable.read_bytes()
    private = tmp_path / "tmp"
    private.mkdir()
    env = {**os.environ, "TMPDIR": str(private)}
    done = without_write_access(
        sys.executable, "-c", "from advisor.cli.app import advise_main; advise_main()",
        "--format", "json", "--until", "latest", str(unwritable.parent), env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (source,) = json.loads(done.stdout)["sources"]
    assert (source["events"], source["warnings"]) == (40, [])
    assert listing(unwritable.parent) == ["manifest.sqlite3"]
    assert unwritable.read_bytes() == before
    assert list(private.iterdir()) == []  # the snapshot is removed at exit


def test_nightly_reads_a_finished_manifest_in_an_unwritable_folder(unwritable, tmp_path):
    done = without_write_access(
        sys.executable, "-c", "from advisor.cli.app import main; main()", "nightly",
        str(unwritable.parent), "--store", str(tmp_path / "h.duckdb"),
        "--out", str(tmp_path / "out"), "--night", "2026-01-15",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "40 new events" in done.stderr
    assert listing(unwritable.parent) == ["manifest.sqlite3"]


def test_reading_a_finished_manifest_leaves_no_wal_or_shm(tmp_path):
    path = finished_manifest(tmp_path / "r1")
    before = path.read_bytes()
    for _ in range(2):
        analysis = analyze(path, until="latest")
        assert analysis.sources[0].events == 40
        analysis.con.close()
    assert listing(path.parent) == ["manifest.sqlite3"]
    assert path.read_bytes() == before


def test_a_live_writer_is_read_in_place_with_its_wal(tmp_path):
    path = tmp_path / "live.sqlite3"
    writer = ManifestWriter(path, flush_interval_s=None)
    try:
        for i in range(30):
            writer.record("h.example", "success", ts=T0 + i, state="closed")
        writer.flush()
        assert (tmp_path / "live.sqlite3-wal").stat().st_size > 0  # rows only in the WAL
        analysis = analyze(path, until="latest")
        assert analysis.sources[0].events == 30
        assert analysis.sources[0].read_path == str(path)
        analysis.con.close()
    finally:
        writer.close()


def test_a_file_that_changes_while_copied_is_copied_again(tmp_path, monkeypatch):
    path = finished_manifest(tmp_path / "r1")
    copies = []
    real_copy = sources._copy_file

    def copy_while_a_checkpoint_writes(src, dst):
        real_copy(src, dst)
        copies.append(dst)
        if len(copies) == 1:  # the first copy races a writer's checkpoint
            with path.open("r+b") as fh:
                fh.seek(0, os.SEEK_END)
                fh.write(b"\0" * 4096)

    monkeypatch.setattr(sources, "_copy_file", copy_while_a_checkpoint_writes)
    monkeypatch.setattr(sources, "SETTLE_S", 0.0)
    snapshot = sources.snapshot(path)
    assert len(copies) == 2
    assert Path(snapshot).stat().st_size == path.stat().st_size


def test_a_file_that_keeps_changing_is_not_read(tmp_path, monkeypatch):
    path = finished_manifest(tmp_path / "r1")

    def copy_and_touch(src, dst):
        shutil.copyfile(src, dst)
        with path.open("r+b") as fh:
            fh.seek(0, os.SEEK_END)
            fh.write(b"\0")

    monkeypatch.setattr(sources, "_copy_file", copy_and_touch)
    monkeypatch.setattr(sources, "SETTLE_S", 0.0)
    source = sources.inspect(path)
    assert not source.readable
    assert "changed while" in source.error


def test_snapshot_is_a_consistent_rollback_mode_copy(tmp_path):
    path = finished_manifest(tmp_path / "r1")
    copy = Path(sources.snapshot(path))
    assert copy.parent != path.parent
    assert copy.read_bytes()[18:20] == b"\x01\x01"  # needs no -wal / -shm of its own
    con = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
    assert con.execute("SELECT count(*) FROM breaker_events").fetchone()[0] == 40
    con.close()
