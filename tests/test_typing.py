"""The package type-checks: mypy, strict, with pyproject's ``[tool.mypy]`` (docs/design.md
"Layout"; STYLE.md 7). The tests themselves are not checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_finds_no_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)  # module search and [tool.mypy] paths are relative to the repo
    # a fresh cache: a stale incremental cache has crashed mypy (an internal error)
    args = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path)]
    stdout, stderr, status = api.run([*args, "--no-error-summary", "-p", "advisor"])
    assert status == 0 and not stdout, f"mypy (exit {status}):\n{stdout}{stderr}"


def test_mypy_config_is_strict_and_covers_the_package() -> None:
    """The check above means something only if the configuration asks for it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert config["packages"] == ["advisor"]
    for override in config.get("overrides", []):
        # only missing third-party stubs may be tolerated, never our own modules
        assert not any(m.startswith("advisor") for m in override["module"])
        assert set(override) <= {"module", "ignore_missing_imports"}
