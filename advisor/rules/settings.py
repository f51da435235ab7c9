"""Rule thresholds: the shipped ``defaults.yaml`` merged with a user's ``--rules`` file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import ConfigError

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")


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
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
                and value[0] <= value[1]
            ):
                raise ConfigError(f"{where}: {label}: expected [low, high] numbers, got {value!r}")
            base[key] = value
        else:
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(
                    f"{where}: {label}: expected a non-negative number, got {value!r}"
                )
            base[key] = value


def load_rule_settings(
    path: str | Path | None = None, *, lost_weight: float | None = None
) -> dict[str, Any]:
    """Defaults, overlaid by the YAML at ``path`` and then ``lost_weight``.

    Raises:
        ConfigError: unreadable file, bad YAML, unknown key or bad value (names file and key).
    """
    settings = copy.deepcopy(yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8")))
    if path is not None:
        where = str(path)
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read rules file: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark else ""
            raise ConfigError(f"{where}: {line}invalid YAML") from None
        if raw is not None:
            if not isinstance(raw, dict):
                raise ConfigError(f"{where}: expected a mapping of rule settings")
            _merge(settings, raw, "", where)
    if lost_weight is not None:
        if lost_weight < 0:
            raise ConfigError(f"--lost-weight: expected a non-negative number, got {lost_weight}")
        settings["lost_weight"] = float(lost_weight)
    return settings
