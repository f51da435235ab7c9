"""Analyses for ``MetricsServer`` tests: module-level, so the server's child process can
unpickle them (``functools.partial`` of these)."""

from __future__ import annotations

import time
from pathlib import Path

from advisor import analyze
from advisor.errors import UsageError
from advisor.model import Analysis


def analysis(manifest: Path, config: Path, until: str) -> Analysis:
    """The real analysis of one simulated manifest."""
    return analyze([manifest], until=until, config=config)


def busy_after_first(
    manifest: Path, config: Path, until: str, marker: Path, busy_s: float
) -> Analysis:
    """The first call: one analysis. Later calls: real analyses again and again for at
    least ``busy_s`` seconds (the child process is busy the whole time)."""
    if not marker.exists():
        marker.write_text("first run done")
        return analysis(manifest, config, until)
    deadline = time.monotonic() + busy_s
    result = analysis(manifest, config, until)
    while time.monotonic() < deadline:
        result.con.close()
        result = analysis(manifest, config, until)
    return result


def fails_after_first(manifest: Path, config: Path, until: str, marker: Path) -> Analysis:
    """The first call: the analysis; later calls fail as a bad configuration would."""
    if marker.exists():
        raise UsageError("the configuration went away")
    marker.write_text("first run done")
    return analysis(manifest, config, until)


def always_fails() -> Analysis:
    """A run that fails at once."""
    raise UsageError("x")
