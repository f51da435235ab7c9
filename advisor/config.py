"""The user's current breaker configuration: ``breakers.yaml``, env overlays, CLI overrides.

For one host and role, layers stack from least to most specific::

    built-ins < defaults < defaults.roles.<role> < hosts.<host> < hosts.<host>.roles.<role>

Within one layer the sources stack ``yaml < env < cli``: ``DOCSTOKG_BREAKER_HOSTS``
replaces a host's value from the file and ``--breaker`` replaces both. A more specific
layer still wins whatever its source, so ``--breaker-defaults fail_max:4`` leaves a
host's own ``fail_max`` alone. Every configured value remembers its source
(``yaml``, ``env``, ``cli``; ``default`` for built-ins), reported by
:meth:`BreakerConfig.origin`. Hosts are matched case-folded and stripped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import ConfigError
from advisor.limits import MAX_COUNT, MAX_DURATION_S
from advisor.rates import parse_rate_spec

KNOB_KEYS = ("fail_max", "reset_timeout_s", "success_threshold", "trial_calls", "retry_after_cap_s")
ROLES = ("metadata", "landing", "artifact")
ENV_YAML = "DOCSTOKG_BREAKERS_YAML"
ENV_HOSTS = "DOCSTOKG_BREAKER_HOSTS"
ENV_ROLES = "DOCSTOKG_BREAKER_ROLES"
ENV_DISABLED = "DOCSTOKG_BREAKER_DISABLED"

_INT_KNOBS = frozenset({"fail_max", "success_threshold", "trial_calls"})
_ALIASES = {"reset": "reset_timeout_s", "retry_after_cap": "retry_after_cap_s"}
_SPEC_KEYS = "fail_max, reset|reset_timeout_s, success_threshold, trial_calls, "
_SPEC_KEYS += "retry_after_cap|retry_after_cap_s"
_SPEC_FORM = f"expected key:value,key:value with keys {_SPEC_KEYS}"
_HALF_OPEN_KNOBS = ("success_threshold", "trial_calls")
_TOP_KEYS = ("defaults", "advanced", "hosts", "resolvers", "resolver_throttles")

Layer = tuple[str, ...]
"""Where partial values live: ``("defaults",)``, ``("roles", role)``, ``("hosts", host)``,
``("host_roles", host, role)`` or ``("resolvers", name)``."""


@dataclass(frozen=True)
class BreakerSettings:
    """The effective knobs of one breaker."""

    fail_max: int = 5
    reset_timeout_s: float = 60.0
    success_threshold: int = 1
    trial_calls: int = 1
    retry_after_cap_s: float = 900.0

    def to_dict(self) -> dict[str, int | float]:
        """Knobs in ``KNOB_KEYS`` order; whole-number floats as ``int``."""
        out: dict[str, int | float] = {}
        for key in KNOB_KEYS:
            value = getattr(self, key)
            out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        return out


ROLLING_KEYS = ("enabled", "window_s", "threshold_failures", "cooldown_s")


@dataclass(frozen=True)
class RollingSettings:
    """``advanced.rolling``: ``threshold_failures`` failures of one host within
    ``window_s`` seconds refuse its calls for ``cooldown_s`` seconds (docs/design.md)."""

    enabled: bool = False
    window_s: float = 60.0
    threshold_failures: int = 10
    cooldown_s: float = 60.0

    def to_dict(self) -> dict[str, bool | int | float]:
        """The keys of ``advanced.rolling``; whole-number floats as ``int``."""
        out: dict[str, bool | int | float] = {}
        for key in ROLLING_KEYS:
            value = getattr(self, key)
            out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        return out


@dataclass
class BreakerConfig:
    """Partial settings per layer, as configured; :meth:`effective` merges them.

    ``half_open`` keeps the non-knob keys of ``defaults.half_open`` (e.g. ``jitter_ms``);
    ``rate_limits`` maps a host to its rate limit as written (``resolver_throttles:``, the
    guide's legacy block: ``"1/3s"``); ``warnings`` says what the file uses that is
    deprecated, with its replacement (the analysis shows them, they fail nothing).
    ``origins`` maps each layer to ``knob -> source``. A value with no recorded
    source (a config built by hand) is reported as ``yaml``.
    """

    defaults: dict[str, object] = field(default_factory=dict)
    roles: dict[str, dict[str, object]] = field(default_factory=dict)
    hosts: dict[str, dict[str, object]] = field(default_factory=dict)
    host_roles: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)
    resolvers: dict[str, dict[str, object]] = field(default_factory=dict)
    classify: dict[str, object] = field(default_factory=dict)
    rolling: dict[str, object] = field(default_factory=dict)
    disabled: bool = False
    path: str | None = None
    rate_limits: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    half_open: dict[str, object] = field(default_factory=dict)
    origins: dict[Layer, dict[str, str]] = field(default_factory=dict, repr=False)

    def effective(self, host: str, role: str | None = None) -> BreakerSettings:
        """Merged knobs for ``host`` (any case) called in ``role``.

        ``disabled`` is not applied here: the caller decides what a disabled breaker means.
        """
        merged: dict[str, Any] = {}
        for _, values in self._layers(host, role):
            merged.update({k: v for k, v in values.items() if k in KNOB_KEYS})
        for key in ("reset_timeout_s", "retry_after_cap_s"):
            if key in merged:
                merged[key] = float(merged[key])
        return BreakerSettings(**merged)

    def origin(self, host: str, role: str | None = None) -> dict[str, str]:
        """For each knob, the source of its effective value: default, yaml, env or cli."""
        result = dict.fromkeys(KNOB_KEYS, "default")
        for layer, values in self._layers(host, role):
            sources = self.origins.get(layer, {})
            for key in values:
                if key in result:
                    result[key] = sources.get(key, "yaml")
        return result

    def rolling_settings(self) -> RollingSettings | None:
        """The rolling-window policy when ``advanced.rolling.enabled`` is true, else None
        (keys not given take their built-in values)."""
        if not self.rolling.get("enabled"):
            return None
        values: dict[str, Any] = {k: v for k, v in self.rolling.items() if k in ROLLING_KEYS}
        return RollingSettings(**values)  # checked and typed when read (``_rolling``)

    def rate_limit(self, host: str) -> str | None:
        """The host's configured rate limit in the contract's ``N/s`` form, or None."""
        spec = self.rate_limits.get(normalize_host(host))
        return None if spec is None else f"{parse_rate_spec(spec, host):.3g}/s"

    def configured_hosts(self) -> list[str]:
        """Sorted case-folded hosts with an entry of their own (host or host+role)."""
        return sorted(set(self.hosts) | {host for host, _ in self.host_roles})

    def _layers(self, host: str, role: str | None) -> list[tuple[Layer, dict[str, object]]]:
        name = normalize_host(host)
        layers: list[tuple[Layer, dict[str, object]]] = [(("defaults",), self.defaults)]
        kind = role.strip().casefold() if role else None
        if kind:
            layers.append((("roles", kind), self.roles.get(kind, {})))
        layers.append((("hosts", name), self.hosts.get(name, {})))
        if kind:
            layers.append((("host_roles", name, kind), self.host_roles.get((name, kind), {})))
        resolver = self.resolver_name(name)
        if resolver is not None:  # a resolver's breaker is keyed (written) by its name
            layers.append((("resolvers", resolver), self.resolvers[resolver]))
        return layers

    def resolver_name(self, key: str) -> str | None:
        """The configured resolver (``resolvers:``, ``--breaker-resolver``) whose breaker
        is keyed ``key`` (its name, any case), or None."""
        name = normalize_host(key)
        return next((r for r in self.resolvers if normalize_host(r) == name), None)


def normalize_host(host: str) -> str:
    """``" API.Crossref.org "`` -> ``"api.crossref.org"``."""
    return host.strip().casefold()


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    defaults_override: str | None = None,
    host_overrides: Sequence[str] = (),
    role_overrides: Sequence[str] = (),
    resolver_overrides: Sequence[str] = (),
) -> BreakerConfig:
    """Read ``breakers.yaml``, then the environment overlays, then CLI-style overrides.

    Args:
        path: the YAML file; when None, ``$DOCSTOKG_BREAKERS_YAML``; when neither, none.
        env: environment to read (``os.environ`` when None).
        defaults_override: ``--breaker-defaults`` value, e.g. ``"fail_max:5,reset:60"``.
        host_overrides: ``--breaker`` values, e.g. ``"api.x.org=fail_max:4,reset:90"``.
        role_overrides: ``--breaker-role`` values, e.g. ``"api.x.org:metadata=trial_calls:2"``.
        resolver_overrides: ``--breaker-resolver`` values, e.g. ``"crossref=fail_max:3"``.

    Returns:
        The configuration with the source of every configured value.

    Raises:
        ConfigError: unreadable or malformed file, environment variable or override; the
            message names the file or variable or flag, the key path and the expected form.
    """
    env = os.environ if env is None else env
    config = BreakerConfig()
    if path is not None:
        config.path = os.fspath(path)
        _load_yaml(config, Path(config.path), config.path)
    elif env.get(ENV_YAML, "").strip():
        config.path = env[ENV_YAML].strip()
        _load_yaml(config, Path(config.path), f"{config.path} (from {ENV_YAML})")

    for entry in _split_env(env.get(ENV_HOSTS, "")):
        _apply(config, *_parse_host_entry(entry, ENV_HOSTS), "env")
    for entry in _split_env(env.get(ENV_ROLES, "")):
        _apply(config, *_parse_role_entry(entry, ENV_ROLES), "env")
    config.disabled = _parse_flag(env.get(ENV_DISABLED, ""), ENV_DISABLED)

    if defaults_override is not None:
        values = _parse_spec(defaults_override, "--breaker-defaults", "defaults.")
        _apply(config, ("defaults",), values, "cli")
    for entry in host_overrides:
        _apply(config, *_parse_host_entry(entry, "--breaker"), "cli")
    for entry in role_overrides:
        _apply(config, *_parse_role_entry(entry, "--breaker-role"), "cli")
    for entry in resolver_overrides:
        name, sep, spec = entry.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--breaker-resolver: {entry!r}: expected NAME=key:value,key:value")
        name = name.strip()
        values = _parse_spec(spec, "--breaker-resolver", f"resolvers.{name}.")
        _apply(config, ("resolvers", name), values, "cli")
    return config


def parse_settings_spec(spec: str, where: str) -> dict[str, object]:
    """Parse ``"fail_max:4,reset:90"`` into ``{"fail_max": 4, "reset_timeout_s": 90.0}``.

    Args:
        spec: comma-separated ``key:value`` pairs; ``reset`` and ``retry_after_cap``
            are short for ``reset_timeout_s`` and ``retry_after_cap_s``.
        where: the flag or environment variable the spec came from, for error messages.

    Raises:
        ConfigError: empty spec, a pair without ``:``, an unknown key or a bad value.
    """
    return _parse_spec(spec, where, "")


# --- YAML -------------------------------------------------------------------------------


def _load_yaml(config: BreakerConfig, path: Path, label: str) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: breaker config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read breaker config: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{label}:{line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: invalid YAML: {exc}") from None
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError(
            f"{label}: top level: expected a mapping with keys {', '.join(_TOP_KEYS)}, "
            f"got {type(data).__name__}"
        )
    _check_keys(data, _TOP_KEYS, label, "")

    defaults, extra = _settings(data.get("defaults"), label, "defaults", ("classify", "roles"))
    _apply(config, ("defaults",), defaults, "yaml")
    config.half_open = extra.pop("half_open", {})
    config.classify = _mapping(extra.get("classify"), label, "defaults.classify")
    for role, raw in _mapping(extra.get("roles"), label, "defaults.roles").items():
        kind = _role(role, label, f"defaults.roles.{role}")
        values, _ = _settings(raw, label, f"defaults.roles.{role}")
        _apply(config, ("roles", kind), values, "yaml")

    advanced = _mapping(data.get("advanced"), label, "advanced")
    _check_keys(advanced, ("rolling",), label, "advanced.")
    config.rolling = _rolling(advanced.get("rolling"), label)

    seen: dict[str, object] = {}
    for key, raw in _mapping(data.get("hosts"), label, "hosts").items():
        where = f"hosts.{key}"
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{label}: {where}: expected a host name")
        host = normalize_host(key)
        if host in seen:
            raise ConfigError(f"{label}: {where}: same host as hosts.{seen[host]} (case-folded)")
        seen[host] = key
        values, extra = _settings(raw, label, where, ("roles",))
        _apply(config, ("hosts", host), values, "yaml")
        for role, role_raw in _mapping(extra.get("roles"), label, f"{where}.roles").items():
            kind = _role(role, label, f"{where}.roles.{role}")
            role_values, _ = _settings(role_raw, label, f"{where}.roles.{role}")
            _apply(config, ("host_roles", host, kind), role_values, "yaml")

    for name, raw in _mapping(data.get("resolvers"), label, "resolvers").items():
        values, _ = _settings(raw, label, f"resolvers.{name}")
        _apply(config, ("resolvers", str(name).strip()), values, "yaml")
    _throttles(config, _mapping(data.get("resolver_throttles"), label, "resolver_throttles"), label)


def _throttles(config: BreakerConfig, throttles: Mapping[str, object], label: str) -> None:
    """The guide's legacy ``resolver_throttles: {host: spec}``: each value becomes the
    host's current rate limit, and a warning gives the ``--rate`` lines replacing it."""
    lines = []
    for key, raw in throttles.items():
        where = f"{label}: resolver_throttles.{key}"
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{where}: expected a host name")
        host = normalize_host(key)
        spec = str(raw).strip() if isinstance(raw, str | int | float) else ""
        parse_rate_spec(spec, where)
        config.rate_limits[host] = spec.replace(" ", "")
        lines.append(f"--rate {host}={config.rate_limits[host]}")
    if lines:
        config.warnings.append(
            f"{label}: resolver_throttles is deprecated (the deployment guide's migration "
            "section): tune breakers under hosts: and shape traffic with the rate limiter: "
            + "; ".join(lines)
        )


def _settings(
    raw: object, label: str, where: str, extra: tuple[str, ...] = ()
) -> tuple[dict[str, int | float], dict[str, Any]]:
    """Validate one breaker settings mapping; returns (knob values, raw ``extra`` keys)."""
    mapping = _mapping(raw, label, where)
    _check_keys(mapping, (*KNOB_KEYS, "half_open", *extra), label, f"{where}.")
    knobs = {k: _coerce(k, v, label, f"{where}.{k}") for k, v in mapping.items() if k in KNOB_KEYS}
    rest: dict[str, Any] = {k: v for k, v in mapping.items() if k in extra}
    if "half_open" in mapping:
        half_open = _mapping(mapping["half_open"], label, f"{where}.half_open")
        at_defaults = where == "defaults"
        allowed = (*_HALF_OPEN_KNOBS, "jitter_ms") if at_defaults else _HALF_OPEN_KNOBS
        _check_keys(half_open, allowed, label, f"{where}.half_open.")
        for key in _HALF_OPEN_KNOBS:
            if key not in half_open:
                continue
            value = _coerce(key, half_open[key], label, f"{where}.half_open.{key}")
            if knobs.get(key, value) != value:
                raise ConfigError(
                    f"{label}: {where}.half_open.{key}: conflicts with {where}.{key} "
                    f"({value} vs {knobs[key]}); expected it set once"
                )
            knobs[key] = value
        if at_defaults:
            rest["half_open"] = {k: v for k, v in half_open.items() if k not in _HALF_OPEN_KNOBS}
    return knobs, rest


def _mapping(raw: object, label: str, where: str) -> dict[str, object]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: {where}: expected a mapping, got {type(raw).__name__}")
    return raw


def _check_keys(mapping: Iterable[object], allowed: Sequence[str], label: str, at: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise ConfigError(
                f"{label}: {at}{key}: unknown key; allowed keys: {', '.join(allowed)}"
            )


def _rolling(raw: object, label: str) -> dict[str, object]:
    """``advanced.rolling`` checked and typed: ``enabled`` a boolean, ``threshold_failures``
    a positive integer, ``window_s`` / ``cooldown_s`` positive durations."""
    where = "advanced.rolling"
    mapping = _mapping(raw, label, where)
    _check_keys(mapping, ROLLING_KEYS, label, f"{where}.")
    values: dict[str, object] = {}
    for key, value in mapping.items():
        if key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(
                    f"{label}: {where}.enabled: expected true or false, got {value!r}"
                )
            values[key] = value
        else:
            kind = "fail_max" if key == "threshold_failures" else "reset_timeout_s"
            values[key] = _coerce(kind, value, label, f"{where}.{key}")
    return values


def _role(role: object, label: str, where: str) -> str:
    kind = str(role).strip().casefold()
    if kind not in ROLES:
        raise ConfigError(f"{label}: {where}: unknown role; expected one of {', '.join(ROLES)}")
    return kind


# --- values, specs and overlays ------------------------------------------------------------


def _coerce(key: str, value: object, label: str, where: str) -> int | float:
    """A knob value (number or numeric text) checked and typed; ``where`` is its key path."""
    if isinstance(value, str):
        value = value.strip()
    if key in _INT_KNOBS:
        number: int | float | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.lstrip("+").isdecimal():
            number = int(value)
        if number is None or not 1 <= number <= MAX_COUNT:
            raise ConfigError(
                f"{label}: {where}: expected a positive integer up to {MAX_COUNT:,}, got {value!r}"
            )
        return number
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0 < number <= MAX_DURATION_S:
        raise ConfigError(
            f"{label}: {where}: expected a positive number of seconds up to "
            f"{MAX_DURATION_S:g}, got {value!r}"
        )
    return number


def _parse_spec(spec: str, label: str, prefix: str) -> dict[str, object]:
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{label}: {prefix.rstrip('.') or 'settings'}: empty; {_SPEC_FORM}")
    values: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition(":")
        key = key.strip().lower()
        key = _ALIASES.get(key, key)
        if not sep or not key:
            raise ConfigError(f"{label}: {prefix}{key or '?'}: got {item!r}, {_SPEC_FORM}")
        if key not in KNOB_KEYS:
            raise ConfigError(f"{label}: {prefix}{key}: unknown key; allowed keys: {_SPEC_KEYS}")
        values[key] = _coerce(key, raw, label, prefix + key)
    return values


def _parse_host_entry(entry: str, label: str) -> tuple[Layer, dict[str, object]]:
    host, sep, spec = entry.partition("=")
    if not sep or not host.strip():
        raise ConfigError(f"{label}: {entry!r}: expected HOST=key:value,key:value")
    host = normalize_host(host)
    return ("hosts", host), _parse_spec(spec, label, f"hosts.{host}.")


def _parse_role_entry(entry: str, label: str) -> tuple[Layer, dict[str, object]]:
    target, sep, spec = entry.partition("=")
    host, colon, role = target.rpartition(":")
    if not sep or not colon or not host.strip() or not role.strip():
        raise ConfigError(f"{label}: {entry!r}: expected HOST:ROLE=key:value,key:value")
    host = normalize_host(host)
    kind = _role(role, label, f"hosts.{host}.roles.{role.strip()}")
    return ("host_roles", host, kind), _parse_spec(spec, label, f"hosts.{host}.roles.{kind}.")


def _split_env(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _parse_flag(value: str, label: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{label}={value!r}: expected 1 or 0 (true/false, yes/no, on/off)")


def _apply(config: BreakerConfig, layer: Layer, values: Mapping[str, object], source: str) -> None:
    """Merge ``values`` into ``layer`` (creating it) and record ``source`` for each key."""
    kind, *names = layer
    if kind == "defaults":
        target = config.defaults
    elif kind == "roles":
        target = config.roles.setdefault(names[0], {})
    elif kind == "hosts":
        target = config.hosts.setdefault(names[0], {})
    elif kind == "host_roles":
        target = config.host_roles.setdefault((names[0], names[1]), {})
    else:
        target = config.resolvers.setdefault(names[0], {})
    target.update(values)
    config.origins.setdefault(layer, {}).update(dict.fromkeys(values, source))
