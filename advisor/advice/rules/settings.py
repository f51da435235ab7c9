"""Rule thresholds: the shipped ``defaults.yaml`` merged with a user's ``--rules`` file,
validated key by key and returned as a typed ``RuleSettings``."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import ConfigError
from advisor.limits import MAX_LOST_WEIGHT, MAX_SETTING
from advisor.rule_settings import RuleSettings

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")
# Every number is finite and at least 0; at most MAX_SETTING, or (shares, fractions,
# probabilities) 1, or (lost_weight) MAX_LOST_WEIGHT (docs/design.md, "Ranges").
_HIGHEST = {
    "lost_weight": MAX_LOST_WEIGHT,
    "alpha": 1.0,
    "min_share": 1.0,
    "high_share": 1.0,
    "medium_share": 1.0,
    "tolerance_fraction": 1.0,
    "min_saving_fraction": 1.0,
    "min_active_fraction": 1.0,
    "min_429_fraction": 1.0,
    "min_over_fraction": 1.0,
}


def _merge(base: dict[str, Any], override: dict[str, Any], path: str, where: str) -> None:
    for key, value in override.items():
        label = f"{path}.{key}" if path else str(key)
        if key not in base:
            raise ConfigError(
                f"{where}: {label}: unknown key; expected one of {', '.join(sorted(base))}"
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {label}: expected a mapping, got {value!r}")
            _merge(base[key], value, label, where)
        elif isinstance(base[key], list):
            if not (
                isinstance(value, list)
                and len(value) == 2
                and all(_number(v, 0, MAX_SETTING) for v in value)
                and value[0] <= value[1]
            ):
                raise ConfigError(
                    f"{where}: {label}: expected [low, high] finite numbers with "
                    f"0 <= low <= high <= {MAX_SETTING:g}, got {value!r}"
                )
            base[key] = value
        else:
            high = _HIGHEST.get(key, MAX_SETTING)
            if not _number(value, 0, high):
                raise ConfigError(
                    f"{where}: {label}: expected a finite number from 0 to {high:g}, got {value!r}"
                )
            base[key] = value


def _number(value: object, low: float, high: float) -> bool:
    """A finite int or float (not a bool) in ``[low, high]``."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )


def load_rule_settings(
    path: str | Path | None = None, *, lost_weight: float | None = None
) -> RuleSettings:
    """Defaults, overlaid by the YAML at ``path`` and then ``lost_weight``.

    Raises:
        ConfigError: unreadable file, bad YAML, unknown key or bad value (names file and key).
    """
    settings: dict[str, Any] = copy.deepcopy(
        yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    )
    if path is not None:
        where = str(path)
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read rules file: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{where}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                f"{exc.start})"
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark else ""
            raise ConfigError(f"{where}: {line}invalid YAML") from None
        if raw is not None:
            if not isinstance(raw, dict):
                raise ConfigError(f"{where}: expected a mapping of rule settings")
            _merge(settings, raw, "", where)
    if lost_weight is not None:
        if not _number(lost_weight, 0, MAX_LOST_WEIGHT):
            raise ConfigError(
                f"--lost-weight: expected a finite number from 0 to {MAX_LOST_WEIGHT:g}, "
                f"got {lost_weight!r}"
            )
        settings["lost_weight"] = float(lost_weight)
    return RuleSettings.from_dict(settings)
