from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.cli.app import advise_app
from tests.helpers.nightly import simulate_nights


@pytest.fixture(autouse=True)
def _no_breaker_environment(monkeypatch):
    """Tests see no DOCSTOKG_* settings from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("DOCSTOKG_"):
            monkeypatch.delenv(name)


@pytest.fixture
def run_advise():
    """Run ``breaker-advise`` in-process; returns (exit_code, stdout, stderr)."""

    def run(*args: str):
        result = CliRunner().invoke(advise_app, [str(a) for a in args])
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def advise_json(run_advise):
    """Run ``breaker-advise --format json --until latest`` and parse the contract."""

    def run(*args: str, until: str = "latest", window_s: float = 3600, expect_code: int = 0):
        code, out, err = run_advise(
            "--format", "json", "--until", until, "--window-s", str(window_s), *args
        )
        assert code == expect_code, (code, out, err)
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def night_runs(tmp_path_factory):
    """One simulated manifest per night of ``tests.helpers.nightly.NIGHTS`` (built once)."""
    return simulate_nights(tmp_path_factory.mktemp("nights"))
