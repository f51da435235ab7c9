"""Recommendations as ``breakers.yaml``: a fragment with reasons as comments, or the
user's own file with the changes applied (comments and key order preserved)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from advisor.config import KNOB_KEYS
from advisor.errors import ConfigError, UsageError


def _changes(hosts: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """``{host: [recommendation, ...]}`` of value changes, in attention order."""
    return {h.host: h.changes for h in hosts if h.changes}


def _comment(rec: dict[str, Any]) -> str:
    return f"{rec['rule']} ({rec['confidence']}), was {rec['current']}: {rec['reasons'][0]}"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # keep each reason on its comment line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _apply(hosts_map: CommentedMap, host: str, recs: list[dict[str, Any]]) -> None:
    """Set each breaker knob of ``recs`` under the host's entry (matched case-insensitively)."""
    key = next((k for k in hosts_map if str(k).strip().lower() == host), host)
    entry = hosts_map.get(key)
    if not isinstance(entry, dict):
        entry = CommentedMap()
        hosts_map[key] = entry
    for rec in recs:
        entry[rec["parameter"]] = rec["suggested"]
        entry.yaml_add_eol_comment(_comment(rec), rec["parameter"])


def yaml_fragment(hosts: list[Any]) -> str:
    """``hosts: {host: {knob: value}}`` for every suggested change, reasons as comments."""
    root = CommentedMap()
    hosts_map = CommentedMap()
    root["hosts"] = hosts_map
    notes = []  # rate_limit is not a breaker knob: say it, do not invent a key
    for host, recs in _changes(hosts).items():
        knobs = [r for r in recs if r["parameter"] in KNOB_KEYS]
        notes += [
            f"{host}: {r['parameter']} {r['suggested']} ({_comment(r)})"
            for r in recs
            if r["parameter"] not in KNOB_KEYS
        ]
        if knobs:
            _apply(hosts_map, host, knobs)
    out = io.StringIO()
    if not hosts_map:
        out.write("# no breaker changes suggested\n")
        root["hosts"] = {}
    _yaml().dump(root, out)
    for note in notes:
        out.write(f"# {note}\n")
    return out.getvalue()


def write_config(hosts: list[Any], source: str | Path | None, out: str | Path) -> Path:
    """Write ``source`` (the user's breakers.yaml, or an empty one) with every suggested
    knob change applied under ``hosts.<host>``, atomically, to the new path ``out``.

    Raises:
        UsageError: ``out`` is the input file.
        ConfigError: the input cannot be read as YAML.
    """
    out = Path(out)
    if source is not None and out.resolve() == Path(source).resolve():
        raise UsageError(f"--write-config {out}: refusing to overwrite the input configuration")
    yaml = _yaml()
    root: Any = CommentedMap()
    if source is not None:
        try:
            root = yaml.load(Path(source).read_text(encoding="utf-8")) or CommentedMap()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{source}: cannot read as YAML: {exc}") from None
    if "hosts" not in root or not isinstance(root["hosts"], dict):
        root["hosts"] = CommentedMap()
    for host, recs in _changes(hosts).items():
        knobs = [r for r in recs if r["parameter"] in KNOB_KEYS]
        if knobs:
            _apply(root["hosts"], host, knobs)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.dump(root, fh)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
