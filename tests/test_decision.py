"""The decision model's choice rule and its lazy dependency (costs worked out by hand)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from advisor.advice.replay.machine import Setting
from advisor.advice.rules import load_rule_settings
from advisor.advice.rules.decision import Costs, choose

SETTINGS = load_rule_settings()
TODAY = Setting(5, 600.0)


def costs(table: dict[tuple[int, float], float]) -> dict[Setting, Costs]:
    return {Setting(f, t): Costs(c, 0.0, 0.5) for (f, t), c in table.items()}


def test_the_cheapest_wins_when_nothing_else_is_near():
    chosen, optimum = choose(
        costs({(5, 600.0): 900, (5, 30.0): 40, (2, 5.0): 100}), TODAY, SETTINGS
    )
    assert chosen == optimum == Setting(5, 30.0)


def test_within_tolerance_the_setting_nearest_today_wins():
    # 41 is within 5 % of 40; (5, 60) is far nearer 600 s than (2, 30) is
    table = {(5, 600.0): 900, (2, 30.0): 40, (5, 60.0): 41, (5, 20.0): 60}
    chosen, optimum = choose(costs(table), TODAY, SETTINGS)
    assert optimum == Setting(2, 30.0) and chosen == Setting(5, 60.0)


def test_today_within_tolerance_is_kept():
    chosen, _ = choose(costs({(5, 600.0): 101, (3, 300.0): 100}), TODAY, SETTINGS)
    assert chosen == TODAY


def test_zero_tolerance_from_the_rule_settings_picks_the_strict_optimum():
    # 100 is within 5 % of 101, so by default today stays (test above); with no
    # tolerance set in the settings the cheaper setting wins
    strict = replace(
        SETTINGS, decision=replace(SETTINGS.decision, tolerance_calls=0.0, tolerance_fraction=0.0)
    )
    chosen, _ = choose(costs({(5, 600.0): 101, (3, 300.0): 100}), TODAY, strict)
    assert chosen == Setting(3, 300.0)


def test_help_does_not_import_scipy():
    code = (
        "import sys\n"
        "from advisor.cli.app import advise_main\n"
        "sys.argv = ['breaker-advise', '--help']\n"
        "try:\n    advise_main()\nexcept SystemExit:\n    pass\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
