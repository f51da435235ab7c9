"""Output writes (issue 13, item 11): no output path may be an input of the run, the
HTML report and ``--write-config`` are written atomically (a failed write leaves the
previous file intact; the replaced file keeps its mode), and a target that cannot be
written is a one-line error, not a traceback."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.outputs import files as outputs
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROWS = [change(T0, "a.example", "closed", "open")] + [
    call(T0 + 1 + i, "a.example", "success") for i in range(30)
]
WINDOW = ["--until", str(T0 + 600), "--window-s", "3600"]


@pytest.fixture
def manifest(tmp_path) -> Path:
    return m.breaker_events(tmp_path / "manifest.sqlite3", ROWS)


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def one_line_error(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and all(w in lines[0] for w in words), err
    assert "Traceback" not in err


@pytest.mark.parametrize("via", ["same", "symlink", "hardlink", "relative"])
def test_html_over_a_source_is_refused(manifest, tmp_path, via, monkeypatch):
    before = manifest.read_bytes()
    target = manifest
    if via == "symlink":
        target = tmp_path / "link.html"
        target.symlink_to(manifest)
    elif via == "hardlink":
        target = tmp_path / "hard.html"
        os.link(manifest, target)
    elif via == "relative":
        monkeypatch.chdir(tmp_path)
        target = Path("manifest.sqlite3")
    code, _, err = run("advise", *WINDOW, "--html", target, "--", manifest)
    assert code == 2, err
    one_line_error(err, "--html", "refusing to overwrite the source")
    assert manifest.read_bytes() == before


def test_report_out_over_a_source_is_refused(manifest):
    before = manifest.read_bytes()
    code, _, err = run("report", manifest, *WINDOW, "--out", manifest)
    assert code == 2, err
    one_line_error(err, "--out", "refusing to overwrite the source")
    assert manifest.read_bytes() == before


def test_report_out_over_a_sources_wal_is_refused(manifest):
    wal = manifest.with_name(manifest.name + "-wal")
    code, _, err = run("report", manifest, *WINDOW, "--out", wal)
    assert code == 2, err
    one_line_error(err, "refusing to overwrite the source")
    assert not wal.exists()


def test_write_config_over_a_source_or_the_rules_is_refused(manifest, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("lost_weight: 0.5\n")
    before = manifest.read_bytes()
    code, _, err = run("advise", *WINDOW, "--write-config", manifest, manifest)
    assert code == 2, err
    one_line_error(err, "--write-config", "refusing to overwrite the source")
    code, _, err = run("advise", *WINDOW, "--rules", rules, "--html", rules, manifest)
    assert code == 2, err
    one_line_error(err, "--html", "refusing to overwrite the rules file")
    assert manifest.read_bytes() == before and rules.read_text() == "lost_weight: 0.5\n"


def test_html_and_write_config_on_one_path_is_refused(manifest, tmp_path):
    same = tmp_path / "out.txt"
    code, _, err = run("advise", *WINDOW, "--write-config", same, "--html", same, manifest)
    assert code == 2, err
    one_line_error(err, "--html", "refusing to overwrite the output --write-config")
    assert not same.exists()


def test_nightly_store_or_out_over_a_source_is_refused(manifest, tmp_path):
    before = manifest.read_bytes()
    night = ["--night", "2026-01-15"]
    code, _, err = run("nightly", manifest, "--store", manifest, "--out", tmp_path / "r", *night)
    assert code == 2, err
    one_line_error(err, "--store", "refusing to overwrite the source")
    assert manifest.read_bytes() == before
    assert not (tmp_path / "manifest.sqlite3.lock").exists()
    # a source that happens to carry the name of a file the night writes
    out = tmp_path / "r"
    out.mkdir()
    named = m.breaker_events(out / "latest.json", ROWS)
    kept = named.read_bytes()
    store = tmp_path / "h.duckdb"
    code, _, err = run("nightly", named, "--store", store, "--out", out, *night)
    assert code == 2, err
    one_line_error(err, "--out (latest.json)", "refusing to overwrite the source")
    assert named.read_bytes() == kept and not store.exists()


def test_write_config_keeps_the_mode_of_the_file_it_replaces(manifest, tmp_path):
    target = tmp_path / "tuned.yaml"
    target.write_text("old: 1\n")
    target.chmod(0o644)
    code, _, err = run("advise", *WINDOW, "--write-config", target, manifest)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert "hosts" in target.read_text()
    fresh = tmp_path / "fresh.yaml"
    mask = os.umask(0o022)
    try:
        code, _, err = run("advise", *WINDOW, "--write-config", fresh, manifest)
    finally:
        os.umask(mask)
    assert code == 0, err
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # 0666 & ~umask, not mkstemp's 0600


@pytest.mark.parametrize("option", ["--html", "--write-config"])
def test_a_failed_write_leaves_the_previous_file_intact(manifest, tmp_path, option, monkeypatch):
    target = tmp_path / "previous.out"
    target.write_text("previous\n")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs.os, "fsync", disk_full)
    code, _, err = run("advise", *WINDOW, option, target, manifest)
    assert code == 2, err
    one_line_error(err, str(target), "No space left on device")
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.sqlite3", "previous.out"]


@pytest.mark.parametrize("option", ["--html", "--write-config"])
def test_unwritable_targets_are_one_line_errors(manifest, tmp_path, option):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in (blocker / "below-a-file.out", tmp_path):
        code, _, err = run("advise", *WINDOW, option, target, manifest)
        assert code == 2, err
        one_line_error(err, "cannot write", str(target))


def test_report_out_to_a_character_device_is_written_in_place(manifest):
    code, _, err = run("report", manifest, *WINDOW, "--out", os.devnull)
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_symlinked_target_is_written_through(manifest, tmp_path):
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    code, _, err = run("report", manifest, *WINDOW, "--out", link)
    assert code == 0, err
    assert link.is_symlink() and "<html" in real.read_text().lower()


SIMULATE = ["simulate", "--scenario", "outage", "--hours", "0.01", "--seed", "1", "--end",
            str(T0)]  # fmt: skip


@pytest.mark.parametrize("kind", ["file", "symlink to a file"])
def test_simulate_out_that_is_not_a_folder_is_refused(manifest, tmp_path, kind):
    out = manifest if kind == "file" else tmp_path / "link"
    if kind != "file":
        out.symlink_to(manifest)
    before = manifest.read_bytes()
    for force in ([], ["--force"]):
        code, _, err = run(*SIMULATE, "--out", out, *force)
        assert code == 2, err
        one_line_error(err, "--out", "not a folder")
    assert manifest.read_bytes() == before


def test_simulate_force_never_writes_through_a_link(manifest, tmp_path):
    """A run file that is a symlink or hard link to a file elsewhere (a real manifest, a
    production breakers.yaml) is replaced, never written through."""
    elsewhere = tmp_path / "prod"
    elsewhere.mkdir()
    config = elsewhere / "breakers.yaml"
    config.write_text("defaults: {fail_max: 5}\n")
    notes = elsewhere / "notes.json"
    notes.write_text("{}\n")
    out = tmp_path / "sim"
    out.mkdir()
    (out / "breakers.yaml").symlink_to(config)
    os.link(notes, out / "truth.json")
    (out / "manifest.sqlite3").symlink_to(manifest)
    before = manifest.read_bytes()
    code, _, err = run(*SIMULATE, "--out", out, "--force")
    assert code == 0, err
    assert config.read_text() == "defaults: {fail_max: 5}\n" and notes.read_text() == "{}\n"
    assert manifest.read_bytes() == before
    for name in ("breakers.yaml", "truth.json", "manifest.sqlite3"):
        assert not (out / name).is_symlink() and (out / name).stat().st_nlink == 1


def test_simulate_dangling_link_is_an_earlier_run_file(tmp_path):
    """Without --force a dangling symlink in --out is refused like any earlier run file
    (it was written through, creating the file it points at)."""
    out = tmp_path / "sim"
    out.mkdir()
    target = tmp_path / "elsewhere.yaml"
    (out / "breakers.yaml").symlink_to(target)
    code, _, err = run(*SIMULATE, "--out", out)
    assert code == 2, err
    one_line_error(err, "already holds a run", "--force")
    assert not target.exists()
