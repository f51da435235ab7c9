"""Test-only entry point: the real nightly job in a process of its own that is killed
(SIGKILL) or paused at a named stage, to prove crash safety and the run lock. The
production job has no such switch; this passes ``run_nightly`` a checkpoint that acts.

    python -m tests.helpers.nightly_crash --kill-at recorded SOURCES --store S --out O --night D
    python -m tests.helpers.nightly_crash --sleep-at locked:8 SOURCES --store S --out O ...
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from advisor.nightly import run_nightly
from advisor.nightly.job import STAGES

ROOT = Path(__file__).resolve().parents[2]


def acting_checkpoint(
    kill_at: str | None, sleep_at: tuple[str, float] | None
) -> Callable[[str], None]:
    """A checkpoint that sleeps at ``sleep_at`` (stage, seconds), SIGKILLs at ``kill_at``."""

    def checkpoint(stage: str) -> None:
        if sleep_at is not None and stage == sleep_at[0]:
            time.sleep(sleep_at[1])
        if stage == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def nightly_process(
    sources: Path,
    store: Path,
    out: Path,
    night: date,
    *,
    kill_at: str | None = None,
    sleep_at: str | None = None,
) -> subprocess.Popen:
    """Start this entry point on ``sources`` for ``night``; stderr is piped."""
    args = [str(sources), "--store", str(store), "--out", str(out), "--night", str(night)]
    if kill_at:
        args += ["--kill-at", kill_at]
    if sleep_at:
        args += ["--sleep-at", sleep_at]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.nightly_crash", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stage(text: str) -> str:
    if text not in STAGES:
        raise argparse.ArgumentTypeError(f"{text!r}: expected one of {', '.join(STAGES)}")
    return text


def _sleep(text: str) -> tuple[str, float]:
    stage, _, seconds = text.partition(":")
    return _stage(stage), float(seconds or 1)


def main(argv: list[str] | None = None) -> None:
    """Run one nightly job with the acting checkpoint (exit 0 when it was not killed)."""
    parser = argparse.ArgumentParser(prog="python -m tests.helpers.nightly_crash")
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--night", required=True, type=date.fromisoformat)
    parser.add_argument("--kill-at", type=_stage)
    parser.add_argument("--sleep-at", type=_sleep, help="STAGE:SECONDS")
    args = parser.parse_args(argv)
    checkpoint = acting_checkpoint(args.kill_at, args.sleep_at)
    run_nightly(args.sources, args.store, args.out, night=args.night, checkpoint=checkpoint)


if __name__ == "__main__":
    main()
