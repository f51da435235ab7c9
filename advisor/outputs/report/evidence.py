"""A recommendation's evidence in plain words: the expected and replayed calls of today's
setting, of the value you would apply and of the cheapest one, as small tables with
units, and the remaining evidence keys under human labels (no internal key names).

Every figure is one the decision model or the replay already computed (the
recommendation's ``evidence`` and the host's replayed trade-off points); nothing here
prices a setting itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.model import Recommendation
from advisor.outputs.report.formatting import count, duration, pct, value

BREAKER_KNOBS = ("fail_max", "reset_timeout_s", "success_threshold")

# evidence key -> (label, unit): "s" durations, "%" shares, "/s" rates, "" counts/values
LABELS: dict[str, tuple[str, str]] = {
    "n": ("stretches of trouble the model fitted (n)", ""),
    "confidence_share": ("resamples in which the change lowers the cost", "%"),
    "request_rate_per_s": ("calls per active second", "/s"),
    "active_s": ("active time (calls no further apart than the gap limit)", "s"),
    "calls": ("calls in the window", ""),
    "episodes": ("episodes (closed → open → closed)", ""),
    "failures": ("failures", ""),
    "failures_429": ("failures that were 429 Too Many Requests", ""),
    "accepted_rate_per_s": ("rate the host accepted", "/s"),
    "retry_after_values": ("Retry-After values seen", ""),
    "over_cap": ("Retry-After values above today's cap", ""),
    "p90_s": ("Retry-After p90", "s"),
    "max_s": ("longest Retry-After asked", "s"),
    "noise_streaks": ("failure streaks ended by a success (noise)", ""),
    "streak_continue_p": ("chance a failure streak goes on one more call", "%"),
    "half_open_success_rate": ("half-open trials that succeeded", "%"),
    "episode_duration_s_p50": ("episode length p50", "s"),
    "inferred_share": ("part of the host's health inferred between calls", "%"),
}
# shown as tables, not as label/value rows
TABLED = {"expected_cost", "expected", "optimum_setting", "replay", "unclamped", "outage_fit"}


@dataclass(frozen=True)
class Row:
    """One setting in a before/after table; None where a figure is not known."""

    label: str
    setting: str
    wasted: float | None = None
    lost: float | None = None
    cost: float | None = None
    opens: int | None = None
    detect_s: float | None = None
    resume_s: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Evidence:
    """What a card shows: the model's and the replay's tables and the other evidence as
    (label, text) pairs."""

    model: list[Row]
    replay: list[Row]
    facts: list[tuple[str, str]]
    lost_weight: float | None = None


def setting_text(setting: Mapping[str, Any]) -> str:
    """``fail_max 5 · reset_timeout_s 60 s · success_threshold 1`` (known knobs only)."""
    parts = []
    for knob in BREAKER_KNOBS:
        if setting.get(knob) is not None:
            unit = " s" if knob == "reset_timeout_s" else ""
            parts.append(f"{knob} {value(setting[knob])}{unit}")
    return " · ".join(parts)


def applied(current: Mapping[str, Any], recs: Sequence[Recommendation]) -> dict[str, Any]:
    """Today's knobs with every change of ``recs`` applied (the values you would apply)."""
    setting = {k: current.get(k) for k in BREAKER_KNOBS}
    for rec in recs:
        if rec.is_change and rec.parameter in BREAKER_KNOBS:
            setting[rec.parameter] = rec.suggested
    return setting


def target(setting: Mapping[str, Any], recs: Sequence[Recommendation]) -> dict[str, Any]:
    """``setting`` with the model's own (unclamped) value of each held-back change."""
    out = dict(setting)
    for rec in recs:
        if rec.is_change and "unclamped" in rec.evidence and rec.parameter in BREAKER_KNOBS:
            out[rec.parameter] = rec.evidence["unclamped"]
    return out


def _row(label: str, setting: str, counts: Mapping[str, Any] | None, note: str = "") -> Row:
    c = counts or {}
    return Row(label, setting, c.get("wasted"), c.get("lost"), c.get("cost"), c.get("opens"),
               c.get("detect_s"), c.get("resume_s"), note)  # fmt: skip


def model_rows(rec: Recommendation, today: str, now: str, aim: str | None) -> list[Row]:
    """The decision model's expected calls over the window: today, the applied value, the
    model's target when the bounds hold it back, and the cheapest setting it found."""
    ev = rec.evidence
    expected, costs = ev.get("expected"), ev.get("expected_cost")
    if not isinstance(expected, dict) or not isinstance(costs, dict):
        return []
    rows = [_row("today", today, expected.get("current"))]
    if aim is None:
        rows.append(_row("with the change", now, expected.get("suggested")))
    else:
        rows.append(Row("with the change", now, note="not priced by the model (replay below)"))
        rows.append(
            _row("model's target (not applied: held by the bounds)", aim, expected.get("suggested"))
        )
    best = ev.get("optimum_setting")
    rows.append(
        _row("cheapest the model found", setting_text(best or {}), {"cost": costs.get("optimum")})
    )
    return rows


def replay_rows(
    rec: Recommendation, today: str, now: str, trade: Mapping[str, Any] | None
) -> list[Row]:
    """The replay of the recorded calls: today, the applied value (``evidence.replay``) and
    the cheapest point of the host's replayed grid (its trade-offs)."""
    replayed = rec.evidence.get("replay")
    rows = []
    if isinstance(replayed, dict):
        rows += [
            _row("today", today, replayed.get("current")),
            _row("with the change", now, replayed.get("suggested")),
        ]
    if trade and isinstance(trade.get("best"), dict):
        best = trade["best"]
        rows.append(_row("cheapest on the replayed grid", setting_text(best), best))
    return rows


def front_rows(trade: Mapping[str, Any] | None) -> list[Row]:
    """The host's replayed trade-off points (Pareto front: fewer wasted only for more
    refused), by ascending wasted."""
    if not trade:
        return []
    return [_row("", setting_text(p), p) for p in trade.get("front", [])]


def _fact(key: str, item: Any) -> tuple[str, str]:
    label, unit = LABELS.get(key, (key.replace("_", " ").removesuffix(" s"), ""))
    if not isinstance(item, int | float) or isinstance(item, bool):
        if isinstance(item, dict):  # an unknown nested value: its parts, labelled
            return label, "; ".join(f"{_fact(k, v)[0]}: {_fact(k, v)[1]}" for k, v in item.items())
        return label, value(item)
    if unit == "s" or key.endswith("_s"):
        return label, duration(float(item))
    if unit == "%":
        return label, pct(float(item))
    if unit == "/s":
        return label, f"{value(float(item))} calls/s"
    return label, count(item) if isinstance(item, int) else value(item)


def facts(rec: Recommendation) -> list[tuple[str, str]]:
    """The evidence that is not in the tables, as (label, text) with units."""
    ev = rec.evidence
    out = [_fact(k, v) for k, v in ev.items() if k not in TABLED]
    fit = ev.get("outage_fit")
    if isinstance(fit, dict):
        out.append((
            "typical outage (fitted)",
            f"median {duration(fit.get('median_s'))}, spread ×{value(fit.get('sigma'))} "
            f"(log-normal σ), from {count(fit.get('stretches'))} stretches",
        ))  # fmt: skip
    if isinstance(ev.get("replay"), dict) and "inferred_share" in ev["replay"]:
        out.append(_fact("inferred_share", ev["replay"]["inferred_share"]))
    return out


def evidence_of(
    rec: Recommendation,
    current: Mapping[str, Any],
    recs: Sequence[Recommendation],
    trade: Mapping[str, Any] | None,
) -> Evidence:
    """The card's evidence for ``rec``, one of the host's (or breaker's) ``recs``."""
    now_setting = applied(current, recs)
    aim_setting = target(now_setting, recs)
    today, now = setting_text(current), setting_text(now_setting)
    aim = setting_text(aim_setting) if aim_setting != now_setting else None
    breaker = rec.parameter in BREAKER_KNOBS
    return Evidence(
        model=model_rows(rec, today, now, aim),
        replay=replay_rows(rec, today, now, trade if breaker else None),
        facts=facts(rec),
        lost_weight=(trade or {}).get("lost_weight"),
    )
