"""The report's "Actions" section: one row per change with its expected effect in calls,
its confidence and (in nightly reports) its status over nights; the ``breakers.yaml``
patch exactly as ``breaker-advise --format yaml`` prints it; the one-line "why not" of
hosts with trouble and no change; and how to make the same analysis again.

The effect figures are the decision model's (``evidence.expected``) or, when the bounds
hold the applied value away from the model's target, the replay's for the applied value
(``evidence.replay``): never computed here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor.model import HostResult, Recommendation
from advisor.outputs.patch import yaml_fragment
from advisor.outputs.report.formatting import approx, pct, value

WRITE_CONFIG_PATH = "breakers.patched.yaml"


@dataclass(frozen=True)
class Action:
    """One change: its host (view) and breaker, the recommendation, its expected effect
    as (when, text) steps, its confidence in words and its nightly status."""

    host: Any  # summary.HostView (not imported: summary imports this module)
    breaker: str
    rec: Recommendation
    effect: list[tuple[str, str]]
    basis: str
    confidence: str
    status: str | None = None


@dataclass(frozen=True)
class WhyNot:
    """A host with visible trouble and no change, with the reason."""

    host: Any
    reason: str


@dataclass(frozen=True)
class Reproduce:
    """How to make the same analysis (and the patch) again."""

    command: str
    yaml_command: str
    write_command: str
    api_call: str
    facts: list[tuple[str, str]] = field(default_factory=list)


def _before_after(found: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Today and with the change, from ``found``'s ``current`` and ``suggested`` counts."""
    return [
        (when, f"{approx(counts.get('wasted'))} calls into a down host, "
               f"{approx(counts.get('lost'))} healthy calls refused "
               f"(cost {approx(counts.get('cost'))})")
        for when, counts in (("today", found["current"]), ("with the change", found["suggested"]))
    ]  # fmt: skip


def effect(rec: Recommendation, held: bool) -> tuple[list[tuple[str, str]], str]:
    """``[(when, text)]`` for today, with the change and the cheapest setting, and where
    the figures come from; ``held``: the bounds hold one of the breaker's changes away
    from the model's target (its expected figures are not those of the applied value)."""
    ev = rec.evidence
    expected, costs, replayed = ev.get("expected"), ev.get("expected_cost"), ev.get("replay")
    if isinstance(expected, dict) and isinstance(costs, dict) and not held:
        return [
            *_before_after(expected),
            ("cheapest found", f"cost {approx(costs.get('optimum'))}"),
        ], "expected by the decision model"
    if isinstance(replayed, dict):
        steps = _before_after(replayed)
        if isinstance(costs, dict):
            steps.append(("cheapest found", f"cost {approx(costs.get('optimum'))} (model)"))
        return steps, "replayed on the recorded calls (the model priced its unclamped target)"
    if "over_cap" in ev and "retry_after_values" in ev:
        return [(
            "today",
            f"{approx(ev['over_cap'])} of {approx(ev['retry_after_values'])} Retry-After "
            f"values were longer than the cap (longest {value(ev.get('max_s'))} s)",
        )], "Retry-After values seen"  # fmt: skip
    if "failures_429" in ev and "failures" in ev:
        return [(
            "today",
            f"{approx(ev['failures_429'])} of {approx(ev['failures'])} failures were 429 "
            "Too Many Requests",
        )], "failures seen"  # fmt: skip
    return [("why", rec.reasons[0] if rec.reasons else "")], "the rule's reason"


def confidence_text(rec: Recommendation) -> str:
    """``high: lower cost in 97 % of the resamples, n = 12`` (what is known of it)."""
    ev = rec.evidence
    parts = []
    if isinstance(ev.get("confidence_share"), int | float):
        parts.append(f"lower cost in {pct(float(ev['confidence_share']))} of the resamples")
    if isinstance(ev.get("n"), int):
        n = ev["n"]
        parts.append(f"n = {n} stretch{'es' if n != 1 else ''} of trouble")
    return f"{rec.confidence}: {', '.join(parts)}" if parts else rec.confidence


def _held(recs: Sequence[Recommendation]) -> bool:
    return any(r.is_change and "unclamped" in r.evidence for r in recs)


def actions(hosts: Sequence[Any], statuses: Mapping[tuple[str, str], str]) -> list[Action]:
    """One row per change of every host's breakers (its own, then its roles'), hosts in
    the page's order; ``statuses``: ``(host, parameter) -> status`` of the nightly job."""
    rows = []
    for host in hosts:
        for name, recs in [(host.host, host.recommendations), *host.role_changes]:
            held = _held(recs)
            for rec in (r for r in recs if r.is_change):
                steps, basis = effect(rec, held)
                status = statuses.get((host.host, rec.parameter)) if name == host.host else None
                rows.append(Action(host, name, rec, steps, basis, confidence_text(rec), status))
    return rows


def why_not(hosts: Sequence[Any]) -> list[WhyNot]:
    """Hosts with visible trouble (opens, refused calls or failed half-open trials) and no
    change, each with its one-line reason."""
    found = []
    for host in hosts:
        m = host.metrics
        trouble = m["opens"] or m["rejected"] or m["half_open_failures"]
        if not trouble or host.changes or any(recs for _, recs in host.role_changes):
            continue
        notes = [r.reasons[0] for r in host.recommendations if r.reasons]
        reason = host.unchanged_reason or (notes[0] if notes else "no reason was recorded")
        found.append(WhyNot(host, reason))
    return found


def patch(contract: Mapping[str, Any]) -> str:
    """The ``breakers.yaml`` patch of the contract's hosts: ``breaker-advise --format yaml``
    of the same analysis (the same function, over the hosts read back)."""
    return yaml_fragment([HostResult.from_dict(h) for h in contract["hosts"]])


def reproduce(data: Mapping[str, Any]) -> Reproduce | None:
    """The reproduction block of a report-data document (None for a document saved
    before it was recorded)."""
    item = data.get("reproduce")
    if not isinstance(item, dict):
        return None
    argv = [str(a) for a in item["argv"]]
    kwargs = [f"window_s={item['window_s']!r}", f"until={item['until']!r}"]
    if item.get("config"):
        kwargs.append(f"config={item['config']!r}")
    if item.get("rules"):
        kwargs.append(f"rules={item['rules']!r}")
    kwargs.append(f"lost_weight={item['lost_weight']!r}")
    api = f"advisor.analyze({item['sources']!r}, {', '.join(kwargs)})"
    rules = item.get("rules") or ("defaults" if item.get("rules_default") else "not recorded")
    facts = [
        ("configuration file", item.get("config") or "none (defaults and environment)"),
        ("sha256 of the configuration file", item.get("config_sha256") or "–"),
        ("sha256 of the effective configuration", item["effective_config_sha256"]),
        ("environment overrides applied", "yes" if item.get("env_overlays") else "no"),
        ("rules file", str(rules)),
        ("sha256 of the rule settings", item["rules_sha256"]),
        ("--lost-weight", value(item["lost_weight"])),
        ("window", f"{value(item['window_s'])} s ending {item['until']}"),
        ("breaker-advisor version", str(item["version"])),
    ]
    return Reproduce(
        command=shlex.join(argv),
        yaml_command=shlex.join([*argv, "--format", "yaml"]),
        write_command=shlex.join([*argv, "--write-config", WRITE_CONFIG_PATH]),
        api_call=api,
        facts=facts,
    )
