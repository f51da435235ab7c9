"""Recommendations as ``breakers.yaml``: a fragment with reasons as comments, or the
user's own file with the changes applied (comments and key order preserved). A role's
own breaker (``HostResult.breakers``) is tuned under ``hosts.<host>.roles.<role>``, a
resolver's breaker (scope ``resolver``) under ``resolvers.<name>``: the layer its settings
come from (``BreakerConfig.effective`` applies it last)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from advisor.config import KNOB_KEYS, ROLES
from advisor.errors import ConfigError
from advisor.model import RESOLVER_SCOPE, HostResult, Recommendation
from advisor.outputs.files import atomic_write, refuse_inputs

Target = tuple[str, str, str | None]
"""Where a breaker's changes go: (section, name, role): ``("hosts", host, role)`` or
``("resolvers", name, None)``."""


def _changes(hosts: Sequence[HostResult]) -> dict[Target, list[Recommendation]]:
    """``{(section, name, role): [recommendation, ...]}`` of value changes, in attention
    order; role None: the host's (or resolver's) own breaker (a role breakers.yaml cannot
    name, or a role of a resolver's breaker, is left out)."""
    found: dict[Target, list[Recommendation]] = {}
    for h in hosts:
        section = "resolvers" if h.scope == RESOLVER_SCOPE else "hosts"
        if h.changes:
            found[(section, h.host, None)] = h.changes
        for breaker in h.role_breakers:
            if breaker.changes and breaker.role in ROLES and section == "hosts":
                found[(section, h.host, breaker.role)] = breaker.changes
    return found


def _rolling(hosts: Sequence[HostResult]) -> list[Recommendation]:
    """The rolling-window changes (``rolling.<key>``): one fleet-wide policy, the same on
    every host that carries them, so the first such host's."""
    for h in hosts:
        found = [r for r in h.changes if r.parameter.startswith("rolling.")]
        if found:
            return found
    return []


def _apply_rolling(root: CommentedMap, recs: list[Recommendation]) -> None:
    """Set each ``rolling.<key>`` change under ``advanced.rolling``, reasons as comments."""
    entry = _entry(_entry(root, "advanced"), "rolling")
    for rec in recs:
        key = rec.parameter.removeprefix("rolling.")
        entry[key] = rec.suggested
        entry.yaml_add_eol_comment(_comment(rec), key)


def _label(host: str, role: str | None) -> str:
    return host if role is None else f"{host}:{role}"


def _comment(rec: Recommendation) -> str:
    return f"{rec.rule} ({rec.confidence}), was {rec.current}: {rec.reasons[0]}"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # keep each reason on its comment line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _section(root: CommentedMap, name: str) -> CommentedMap:
    """The top-level mapping ``name`` (``hosts``, ``resolvers``), made one when it is not."""
    if name not in root or not isinstance(root[name], dict):
        root[name] = CommentedMap()
    return cast(CommentedMap, root[name])


def _entry(mapping: CommentedMap, name: str) -> CommentedMap:
    """The entry of ``name`` (matched case-insensitively), created when missing."""
    key = next((k for k in mapping if str(k).strip().lower() == name), name)
    entry = mapping.get(key)
    if isinstance(entry, dict):
        return cast(CommentedMap, entry)  # a round-trip load makes every mapping one
    created = CommentedMap()
    mapping[key] = created
    return created


def _apply(
    hosts_map: CommentedMap, host: str, recs: list[Recommendation], role: str | None = None
) -> None:
    """Set each breaker knob of ``recs`` under the host's entry (matched case-insensitively),
    or under its ``roles.<role>`` for a role's own breaker."""
    entry = _entry(hosts_map, host)
    if role is not None:
        entry = _entry(_entry(entry, "roles"), role)
    for rec in recs:
        entry[rec.parameter] = rec.suggested
        entry.yaml_add_eol_comment(_comment(rec), rec.parameter)


def yaml_fragment(hosts: Sequence[HostResult]) -> str:
    """``hosts: {host: {knob: value}}`` for every suggested change (a resolver's under
    ``resolvers: {name: ...}``), reasons as comments."""
    root = CommentedMap()
    hosts_map = CommentedMap()
    root["hosts"] = hosts_map
    notes = []  # rate_limit is not a breaker knob: say it, do not invent a key
    for (section, host, role), recs in _changes(hosts).items():
        knobs = [r for r in recs if r.parameter in KNOB_KEYS]
        for r in (
            r
            for r in recs
            if r.parameter not in KNOB_KEYS and not r.parameter.startswith("rolling.")
        ):
            notes.append(f"{_label(host, role)}: {r.parameter} {r.suggested} ({_comment(r)})")
            if r.rate_spec is not None:  # the rate limiter's flag, as the guide writes it
                notes.append(f"--rate {host}={r.rate_spec}")
        if knobs:
            _apply(_section(root, section), host, knobs, role)
    if rolling := _rolling(hosts):
        _apply_rolling(root, rolling)
    out = io.StringIO()
    if not hosts_map and "resolvers" not in root:
        out.write("# no breaker changes suggested\n")
        root["hosts"] = {}
    _yaml().dump(root, out)
    for note in notes:
        out.write(f"# {note}\n")
    return out.getvalue()


def write_config(hosts: Sequence[HostResult], source: str | Path | None, out: str | Path) -> Path:
    """Write ``source`` (the user's breakers.yaml, or an empty one) with every suggested
    knob change applied under ``hosts.<host>`` (a role's own breaker under
    ``hosts.<host>.roles.<role>``, a resolver's under ``resolvers.<name>``), atomically,
    to the new path ``out``.

    Raises:
        UsageError: ``out`` is the input file, or cannot be written (the file it replaces
            keeps its mode).
        ConfigError: the input cannot be read as YAML.
    """
    out = Path(out)
    refuse_inputs({"--write-config": out}, inputs={"the input configuration": source})
    yaml = _yaml()
    root: Any = CommentedMap()
    if source is not None:
        try:
            root = yaml.load(Path(source).read_text(encoding="utf-8")) or CommentedMap()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{source}: cannot read as YAML: {exc}") from None
    _section(root, "hosts")
    for (section, host, role), recs in _changes(hosts).items():
        knobs = [r for r in recs if r.parameter in KNOB_KEYS]
        if knobs:
            _apply(_section(root, section), host, knobs, role)
    if rolling := _rolling(hosts):
        _apply_rolling(root, rolling)
    text = io.StringIO()
    yaml.dump(root, text)
    return atomic_write(out, text.getvalue(), what="--write-config", make_parents=True)
