"""deploy/breaker_health_check.sh (the deployment guide's script with our commands), run
with bash against a simulated manifest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.simulate import simulate

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "breaker_health_check.sh"
BIN = Path(sys.executable).parent


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
        "HOME": str(cwd),
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("health")
    sim = simulate("outage", folder / "sim", hours=0.1, seed=1, end="2026-01-15T08:00:00Z")
    content = folder / "runs" / "content"
    content.mkdir(parents=True)
    shutil.copy(sim.manifest, content / "manifest.sqlite3")
    return folder, sim


def test_all_checks_pass_on_a_simulated_run(run_folder):
    folder, sim = run_folder
    done = run(folder, DOCSTOKG_BREAKERS_YAML=str(sim.config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "Circuit Breaker Deployment Health Check",
        "========================================",
        "✅ Core module",
        f"✅ Config loads ({sim.config})",
        "✅ CLI works",
        "✅ Telemetry DB present (runs/content/manifest.sqlite3)",
        "✅ Telemetry readable",
        "Health check complete!",
    ]


def test_a_missing_database_is_a_warning_and_a_bad_config_a_failure(run_folder, tmp_path):
    folder, sim = run_folder
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "⚠️  Config: DOCSTOKG_BREAKERS_YAML not set (built-in defaults)" in done.stdout
    assert "⚠️  Telemetry DB not yet created (runs/content/manifest.sqlite3)" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  fail_max: lots\n")
    not_sqlite = tmp_path / "m.sqlite3"
    not_sqlite.write_text("not a database")
    done = run(tmp_path, str(not_sqlite), DOCSTOKG_BREAKERS_YAML=str(bad))
    assert done.returncode == 1
    assert f"❌ Config loads ({bad})" in done.stdout
    assert "❌ Telemetry readable" in done.stdout
    assert done.stdout.rstrip().endswith("Health check complete!")


def test_the_script_is_strict_bash():
    text = SCRIPT.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert os.access(SCRIPT, os.X_OK)
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0
