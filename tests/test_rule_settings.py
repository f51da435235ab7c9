"""Rule settings: ``load_rule_settings`` returns a typed, frozen ``RuleSettings`` that holds
exactly the YAML's values (read here with PyYAML on its own) and refuses bad files with
the messages of docs/design.md "Ranges"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from advisor.advice.rules import load_rule_settings
from advisor.errors import ConfigError
from advisor.rule_settings import RuleSettings

DEFAULTS = Path(__file__).resolve().parents[1] / "advisor" / "advice" / "rules" / "defaults.yaml"


def _shipped() -> dict:
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))


def _keys(value: object) -> object:
    """The key structure (order included) of a nested mapping."""
    if isinstance(value, dict):
        return [(k, _keys(v)) for k, v in value.items()]
    return None


def test_defaults_round_trip_with_the_same_keys_order_and_values():
    settings = load_rule_settings()
    shipped = _shipped()
    assert settings.to_dict() == shipped
    assert _keys(settings.to_dict()) == _keys(shipped)
    assert settings.lost_weight == shipped["lost_weight"]
    assert settings.bounds["reset_timeout_s"] == tuple(shipped["bounds"]["reset_timeout_s"])
    assert settings.decision.min_share == shipped["decision"]["min_share"]
    assert settings.fleet_incident.alpha == shipped["fleet_incident"]["alpha"]
    cap = shipped["retry_after_cap"]
    assert settings.retry_after_cap.min_over_fraction == cap["min_over_fraction"]


def test_every_yaml_key_is_a_typed_field():
    shipped = _shipped()
    top = {f.name: f for f in dataclasses.fields(RuleSettings)}
    assert list(top) == list(shipped)
    settings = load_rule_settings()
    for name, value in shipped.items():
        if isinstance(value, dict) and name != "bounds":
            section = getattr(settings, name)
            assert [f.name for f in dataclasses.fields(section)] == list(value)


def test_a_rules_file_and_lost_weight_override_only_their_keys(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "bounds:\n  fail_max: [3, 12]\ndecision:\n  min_share: 0.8\nevidence:\n  min_calls: 20\n",
        encoding="utf-8",
    )
    settings = load_rule_settings(rules, lost_weight=2)
    expected = _shipped()
    expected["bounds"]["fail_max"] = [3, 12]
    expected["decision"]["min_share"] = 0.8
    expected["evidence"]["min_calls"] = 20
    expected["lost_weight"] = 2.0
    assert settings.to_dict() == expected
    assert settings.bounds["fail_max"] == (3, 12)
    assert settings.decision.min_share == 0.8 and settings.decision.high_share == 0.95
    assert settings.evidence.min_calls == 20
    assert settings.lost_weight == 2.0 and isinstance(settings.lost_weight, float)


def test_settings_cannot_be_changed_in_place():
    settings = load_rule_settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lost_weight = 3.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.decision.min_share = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.bounds["fail_max"] = (1, 2)  # type: ignore[index]
    changed = dataclasses.replace(settings, lost_weight=3.0)
    assert changed.lost_weight == 3.0 and settings.lost_weight == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "decision:\n  bogus: 1\n",
            "decision.bogus: unknown key; expected one of high_share, medium_share, "
            "min_share, tolerance_calls, tolerance_fraction",
        ),
        ("evidence: 3\n", "evidence: expected a mapping, got 3"),
        (
            "bounds:\n  fail_max: [9, 2]\n",
            "bounds.fail_max: expected [low, high] finite numbers with "
            "0 <= low <= high <= 1e+09, got [9, 2]",
        ),
        (
            "fleet_incident:\n  alpha: 2\n",
            "fleet_incident.alpha: expected a finite number from 0 to 1, got 2",
        ),
        ("- 1\n", "expected a mapping of rule settings"),
        ("a: [\n", "line 2: invalid YAML"),
    ],
)
def test_bad_files_are_refused_with_file_and_key(tmp_path, text, message):
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rule_settings(rules)
    assert str(caught.value) == f"{rules}: {message}"


def test_a_bad_lost_weight_is_refused():
    with pytest.raises(ConfigError, match=r"^--lost-weight: expected a finite number from 0 to"):
        load_rule_settings(lost_weight=-1)
