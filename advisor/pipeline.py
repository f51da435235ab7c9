"""The analysis pipeline: sources -> events -> window metrics -> evidence -> advice ->
back-test. The only module that calls across the layers below it (ingest, metrics,
advice); it returns the plain result types of ``advisor.model``.

``analyze`` reads manifests; ``analyze_window`` analyses events already loaded (the
nightly job's store); ``what_if`` replays one host under other settings;
``report_data`` gathers what the HTML report shows as plain data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from advisor import queries
from advisor.advice.current import current_settings
from advisor.advice.replay import (
    Verdict,
    cross_check,
    load_breaker_timelines,
    load_timelines,
    replayable,
    suggested_setting,
    trade_offs,
)
from advisor.advice.replay.grid import Grid
from advisor.advice.replay.timeline import Timeline
from advisor.advice.replay.whatif import WhatIf, compare
from advisor.advice.rules import collect_evidence, load_rule_settings, recommend, rolling
from advisor.advice.rules.engine import HostAdvice, advise
from advisor.advice.rules.evidence import HostEvidence, collect_breaker_evidence
from advisor.config import BreakerConfig, load_config
from advisor.errors import UsageError, first_line
from advisor.ingest import cache as cached
from advisor.ingest.breakers import refresh, role_breakers, several, use_config
from advisor.ingest.cache import Cache
from advisor.ingest.database import connect
from advisor.ingest.events import analysis_horizon, load_events
from advisor.ingest.sources import open_sources
from advisor.metrics.hosts import (
    breaker_metrics,
    compute_relations,
    host_metrics,
    resolver_breakers,
    role_counts,
)
from advisor.metrics.series import REPORT_DATA_VERSION, collect
from advisor.model import (
    RESOLVER_SCOPE,
    Analysis,
    BreakerKey,
    BreakerResult,
    FleetIncident,
    HostResult,
    Source,
)
from advisor.rule_settings import RuleSettings
from advisor.version import __version__
from advisor.window import Window, iso_z, make_window, parse_until

log = logging.getLogger(__name__)  # -vv: each breaker's decision


def analyze(
    sources: Sequence[str | Path] | str | Path,
    *,
    window_s: float = 3600,
    until: str | float | datetime | None = "now",
    hosts: Sequence[str] | None = None,
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
    cache: Cache | None = None,
) -> Analysis:
    """Read the manifests in ``sources``, compute per-host metrics over the window and
    recommend settings.

    Args:
        sources: files, directories or globs of manifest SQLite files.
        window_s: window length in seconds.
        until: window end: ``now``, ``latest``, ISO-8601 or epoch seconds.
        hosts: only these hosts (case-insensitive); all when None.
        config: the current ``breakers.yaml`` (path) or a loaded ``BreakerConfig``; when
            None, ``$DOCSTOKG_BREAKERS_YAML`` and the other environment overlays.
        rules: YAML file overriding rule thresholds (``advisor/advice/rules/defaults.yaml``).
        lost_weight: weight of a refused healthy call against a wasted one (default 0.5).
        cache: read the events from this cache, brought up to date from ``sources``
            first, and reuse stored results (docs/design.md "The cache"); the same result.

    Raises:
        NoSourcesError: nothing matched ``sources``.
        UsageError: bad ``window_s`` or ``until``, or ``cache`` is a source.
        ConfigError: malformed configuration or rules file.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    breaker_config = config if isinstance(config, BreakerConfig) else load_config(config)
    settings = load_rule_settings(rules, lost_weight=lost_weight)
    if cache is not None:
        with cached.opened(cache, sources) as store:
            if store is not None:  # else busy or unusable (said in cache.notes): uncached
                use_config(store, breaker_config)
                try:
                    return _analyze_cached(
                        store, cache, sources, window_s, until, hosts, breaker_config, settings
                    )
                except cached.DAMAGE as exc:  # deleted on release, built again next time
                    cache.damaged = True
                    what = f"cache {cache.path} damaged ({first_line(exc)})"
                    cache.notes.append(f"{what}; read uncached, built again next time")
    con = connect()
    use_config(con, breaker_config)  # roles with a breaker of their own, for the events
    found = open_sources(con, sources)
    load_events(con, found, analysis_horizon(until))  # later rows are bad rows (issue 13)
    latest = con.execute(queries.load("events/latest")).fetchall()[0][0]
    window = make_window(window_s, parse_until(until, latest))
    return analyze_window(con, window, found, hosts=hosts, config=breaker_config, settings=settings)


def _analyze_cached(
    con: duckdb.DuckDBPyConnection,
    cache: Cache,
    sources: Sequence[str | Path],
    window_s: float,
    until: str | float | datetime | None,
    hosts: Sequence[str] | None,
    config: BreakerConfig,
    settings: RuleSettings,
) -> Analysis:
    """``analyze`` over the cache (attached to ``con``): the analysis of a window whose
    inputs did not change since it was stored is reused, else computed and stored."""
    horizon = analysis_horizon(until)
    found = cached.refresh(con, cache, sources, horizon)
    newest, later = cached.window_state(con, found.sources, horizon)
    window = make_window(window_s, parse_until(until, newest))
    readable = [(s.path, sorted(s.tables)) for s in found.sources if s.readable]
    key = cached.key_of(
        "analysis", found.generation, readable, later, [window.start, window.end],
        sorted(hosts or []), config, config.origins, settings.to_dict(),
    )  # fmt: skip
    stored = cached.result(con, key) if cache.reuse_analysis else None
    if stored is not None:
        log.debug("cache %s: the whole analysis reused (its inputs did not change)", cache.path)
        return _stored_analysis(stored, window, found.sources, con, config, settings)
    opened = {s.path: len(s.warnings) for s in found.sources}
    cached.load_events(con, found.sources, horizon)
    analysis = analyze_window(
        con,
        window,
        found.sources,
        hosts=hosts,
        config=config,
        settings=settings,
        reuse=_Reuse(con, cached.host_digests(con)),
    )
    counted = {
        s.path: {"events": s.events, "skipped": s.skipped, "warnings": s.warnings[opened[s.path] :]}
        for s in found.sources
    }
    contract = analysis.to_dict()
    cached.save_result(
        con,
        key,
        {"hosts": contract["hosts"], "incidents": contract["incidents"], "notes": analysis.notes,
         "sources": counted},
    )  # fmt: skip
    return analysis


def _stored_analysis(
    stored: dict[str, Any],
    window: Window,
    sources: list[Source],
    con: duckdb.DuckDBPyConnection,
    config: BreakerConfig,
    settings: RuleSettings,
) -> Analysis:
    """An analysis read back from the cache; ``con`` holds no relations."""
    for source in sources:
        counted = stored["sources"].get(source.path, {})
        source.events, source.skipped = counted.get("events", 0), counted.get("skipped", 0)
        source.warnings += counted.get("warnings", [])
    return Analysis(
        window=window,
        sources=sources,
        hosts=[HostResult.from_dict(h) for h in stored["hosts"]],
        notes=list(stored["notes"]),
        generated_at=generation_time(),
        con=con,
        config=config,
        settings=settings,
        incidents=[FleetIncident.from_dict(i) for i in stored["incidents"]],
    )


def analyze_window(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    sources: list[Source],
    *,
    hosts: Sequence[str] | None = None,
    config: BreakerConfig,
    settings: RuleSettings,
    generated_at: datetime | None = None,
    replay: bool = True,
    reuse: _Reuse | None = None,
) -> Analysis:
    """Metrics, evidence and advice for ``window`` over the ``events`` already in ``con``
    (filled from sources by ``analyze``, or from the history store by the nightly job);
    ``replay`` back-tests the advice on the recorded calls (``attach_replay``).

    A host with a role's own breaker (docs/design.md "Breakers") is advised breaker by
    breaker: each from its own evidence, with its own current settings
    (``config.effective(host, role)``); its row sums them and lists them. ``reuse``
    (the cache): a host whose advice inputs are unchanged takes its stored result."""
    if use_config(con, config):  # events finalised without this configuration's breakers
        refresh(con)
    compute_relations(con, window)
    # Filters only filter: every host is analysed (fleet incidents, the decision model),
    # and ``hosts`` picks what is returned.
    metrics = host_metrics(con, window)
    limits = {h: _gap_limit(config, h) for h in metrics}
    evidence = collect_evidence(con, window, metrics, settings, gap_limits=limits)
    for host, values in metrics.items():
        values["active_s"] = round(evidence[host].active_s, 3)
    split = _Breakers.collect(con, window, config, settings)
    troubled = [
        h for h, ev in evidence.items() if ev.failures and not config.disabled and h not in split
    ]
    timelines = load_timelines(con, window, troubled) if troubled else {}
    for host, timeline in timelines.items():
        evidence[host].timeline = timeline
    currents, origins = {}, {}
    for host in metrics:
        own = split.evidence.get((host, None)) if host in split else evidence[host]
        currents[host], origins[host] = current_settings(config, host, own)
    only = [h for h in metrics if h not in split]
    advice, incidents = recommend(
        evidence, currents, settings, disabled=config.disabled, only=only if reuse is None else []
    )
    keys: dict[str, str] = {}
    if reuse is not None:  # the cache: advise only hosts without a stored result
        for host in only:
            rolling_key = (config.rolling,) if config.rolling.get("enabled") else ()
            parts = (window, currents[host], origins[host], config.effective(host),
                     config.resolver_name(host), *rolling_key)  # fmt: skip
            keys[host] = reuse.key(host, *parts, _gap_limit(config, host), config.disabled,
                                   settings, incidents)  # fmt: skip
        reuse.look_up(keys)
        fresh = {h: evidence[h] for h in only if h not in reuse.found}
        advice = advise(fresh, currents, settings, disabled=config.disabled, incidents=incidents)
    split.advise(settings, config, incidents)
    split_currents = {key: values for key, (values, _) in split.currents.items()}
    policy = None if config.disabled else config.rolling_settings()
    groups = (timelines, currents, advice), (split.timelines, split_currents, split.advice)
    rolling.attach(policy, settings, *groups)  # advanced.rolling: did it help, which values
    wanted = {h.strip().lower() for h in hosts} if hosts else None
    # scope: the telemetry marks a resolver's breaker, or resolvers: configures its name
    resolvers = resolver_breakers(con) | {h for h in metrics if config.resolver_name(h)}
    results = []
    for host, values in metrics.items():
        if wanted is not None and host not in wanted:
            continue
        if reuse is not None and host in reuse.found:
            results.append(reuse.found[host])
            continue
        result = HostResult(host=host, metrics=values, current=currents[host])
        result.current_origin = origins[host]
        if host in resolvers:
            result.scope = RESOLVER_SCOPE
        if host in split:
            result.breakers = split.results(host, result.scope)
            own_breaker = next((b for b in result.breakers if b.role is None), None)
            if own_breaker is not None:  # one list: a veto edits both in place
                result.recommendations = own_breaker.recommendations
                result.unchanged_reason = own_breaker.unchanged_reason
        else:
            result.recommendations = advice[host].recommendations
            result.unchanged_reason = advice[host].unchanged
        if evidence[host].early_probes:
            result.warnings.append(_early_probes(evidence[host].early_probes))
        results.append(result)
    notes = list(config.warnings)  # deprecated keys of breakers.yaml, with their replacement
    if config.disabled:
        notes.append(
            "breakers are disabled (DOCSTOKG_BREAKER_DISABLED): no breaker changes suggested"
        )
    notes.extend(incident.describe() for incident in incidents)
    analysis = Analysis(
        window=window,
        sources=sources,
        hosts=results,
        notes=notes,
        generated_at=generated_at or generation_time(),
        con=con,
        config=config,
        settings=settings,
        incidents=incidents,
    )
    if replay:  # back-test each breaker change on the recorded traffic
        attach_replay(analysis, timelines, split.timelines, skip=reuse.found if reuse else None)
    if reuse is not None:
        reuse.save(
            {h.host: h for h in results if h.host in keys and h.host not in reuse.found}, keys
        )
    if log.isEnabledFor(logging.DEBUG):
        for result in results:
            reused = reuse is not None and result.host in reuse.found
            targets: list[HostResult | BreakerResult] = [*result.breakers] or [result]
            for target in targets:
                log.debug("%s", _decision(target, reused))
    return analysis


def _decision(target: HostResult | BreakerResult, reused: bool) -> str:
    """One line for ``-vv``: a breaker's scope, counts, current settings and what the
    rules decided (each change or note with its rule, confidence and first reason)."""
    name = target.name if isinstance(target, BreakerResult) else target.host
    m = target.metrics
    head = (
        f"{name} (scope {target.scope}): {m['calls']} calls, {m['failures']} failures, "
        f"{m['rejected']} refused, {m['opens']} opens; current "
        + ", ".join(
            f"{k}={v} ({target.current_origin.get(k, '-')})" for k, v in target.current.items()
        )  # fmt: skip
    )
    said = [
        f"{r.parameter} {r.current} -> {r.suggested} ({r.rule}, {r.confidence}): "
        f"{r.reasons[0] if r.reasons else '-'}"
        if r.is_change
        else f"note {r.rule}: {r.reasons[0] if r.reasons else '-'}"
        for r in target.recommendations
    ]
    if target.unchanged_reason:
        said.append(f"no change: {target.unchanged_reason}")
    said += [f"warning: {w}" for w in target.warnings]
    cached_note = " [reused from the cache]" if reused else ""
    return f"{head}{cached_note}; " + ("; ".join(said) or "nothing to change")


def attach_replay(
    analysis: Analysis,
    timelines: dict[str, Timeline] | None = None,
    breaker_timelines: dict[BreakerKey, Timeline] | None = None,
    skip: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Apply the replay's cross-check (``advice.replay.cross_check``) to every breaker
    with a replayable change: each such recommendation quotes ``evidence.replay``; when
    the replay disagrees in sign, the changes are dropped and the breaker's (and its
    host's) warnings say why. A host that lists its breakers is checked breaker by
    breaker, each over its own arrivals with its own settings; the host's row shows its
    own breaker's recommendations.

    Args:
        analysis: the analysis whose hosts' recommendations are checked (updated).
        timelines: recorded timelines by host, when already loaded.
        breaker_timelines: recorded timelines by (host, role), when already loaded.
        skip: hosts already checked (results reused from the cache).

    Returns:
        The vetoed recommendations as contract dicts, each with its ``host`` (and
        ``breaker`` when the host lists its breakers).
    """

    def wanted(target: HostResult | BreakerResult) -> bool:
        return any(replayable(r, target.current) for r in target.recommendations)

    hosts = [
        h for h in analysis.hosts if not h.breakers and wanted(h) and h.host not in (skip or ())
    ]
    owned = [(b, h) for h in analysis.hosts for b in h.breakers if wanted(b)]
    timelines = dict(timelines or {})
    breaker_timelines = dict(breaker_timelines or {})
    if missing := [h.host for h in hosts if h.host not in timelines]:
        timelines.update(load_timelines(analysis.con, analysis.window, missing))
    if keys := [(b.host, b.role) for b, _ in owned if (b.host, b.role) not in breaker_timelines]:
        breaker_timelines.update(load_breaker_timelines(analysis.con, analysis.window, keys))
    w = analysis.settings.lost_weight
    vetoed: list[dict[str, Any]] = []
    for host in hosts:
        vetoed += _apply_verdict(host, cross_check(host, timelines.get(host.host), w))
    for breaker, owner in owned:
        timeline = breaker_timelines.get((breaker.host, breaker.role))
        dropped = _apply_verdict(breaker, cross_check(breaker, timeline, w))
        if dropped:  # the host's row says it too, naming a role's breaker
            veto = breaker.warnings[-1]
            owner.warnings.append(
                veto if breaker.role is None else f"breaker {breaker.name}: {veto}"
            )
        vetoed += [{"host": r["host"], "breaker": breaker.name} | r for r in dropped]
        if breaker.role is None:  # the host's row shows its own breaker's advice
            owner.recommendations = breaker.recommendations
    return vetoed


def _apply_verdict(
    target: HostResult | BreakerResult, verdict: Verdict | None
) -> list[dict[str, Any]]:
    """``target``'s replayed changes quote the verdict's counts, or are dropped with a
    warning when it vetoes them; returns the dropped ones as contract dicts."""
    if verdict is None:
        return []
    checked = [
        r.with_evidence("replay", verdict.replay) if replayable(r, target.current) else r
        for r in target.recommendations
    ]
    dropped: list[dict[str, Any]] = []
    if verdict.veto is not None:
        dropped = [
            {"host": target.host} | r.to_dict() for r in checked if replayable(r, target.current)
        ]
        checked = [r for r in checked if not replayable(r, target.current)]
        target.warnings.append(verdict.veto)
    target.recommendations = checked
    return dropped


def what_if(
    sources: Sequence[str | Path] | str | Path,
    *,
    host: str,
    fail_max: int | None = None,
    reset_timeout_s: float | None = None,
    success_threshold: int | None = None,
    window_s: float = 3600,
    until: str | float | datetime | None = "now",
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
    grid: Grid | int | None = None,
) -> WhatIf:
    """Replay ``host``'s recorded calls under today's setting and a candidate.

    Args:
        sources: manifest files, directories or globs.
        host: the host (case-insensitive).
        fail_max, reset_timeout_s, success_threshold: the candidate's knobs; the
            others (and any left None) are today's.
        window_s, until, config, rules, lost_weight: as for ``analyze``.
        grid: also search ``fail_max`` x ``reset_timeout_s``: a ``Grid``, or a size for
            a square grid over the rules' bounds.

    Raises:
        UsageError: the host has no calls in the window, or a knob is not positive.
        NoSourcesError, ConfigError: as ``analyze``.
    """
    name = host.strip().lower()
    analysis = analyze(
        sources,
        window_s=window_s,
        until=until,
        hosts=[name],
        config=config,
        rules=rules,
        lost_weight=lost_weight,
    )
    result = next((h for h in analysis.hosts if h.host == name), None)
    timeline = load_timelines(analysis.con, analysis.window, [name]).get(name)
    if result is None or timeline is None or not timeline.runs:
        window = analysis.window.to_dict()
        raise UsageError(
            f"--host {host}: no calls in the window {window['start']} .. {window['end']} "
            "(see --window-s / --until)"
        )
    return compare(
        timeline,
        result,
        analysis.window,
        analysis.settings,
        fail_max=fail_max,
        reset_timeout_s=reset_timeout_s,
        success_threshold=success_threshold,
        grid=grid,
    )


def attach_roles(analysis: Analysis) -> None:
    """``--by role``: give every host its own breaker's calls, failures and refused calls
    per role (``HostResult.roles``; ``[]`` for a host without such calls). Needs the
    analysis's ``events`` (not an analysis read back whole from the cache)."""
    counts = role_counts(analysis.con, analysis.window)
    for host in analysis.hosts:
        host.roles = counts.get(host.host, [])


def report_data(
    analysis: Analysis,
    *,
    argv: Sequence[str] | None = None,
    rules: str | Path | None = None,
) -> dict[str, Any]:
    """Everything the HTML report shows, as plain JSON-able data (docs/design.md "Report
    data"): the JSON contract, the chart series and the replayed trade-off points of each
    host with a breaker change, so the report renders (now or later, from a saved file)
    without the sources or a connection; ``generated_at`` (when the report was made) and
    ``reproduce`` (how to make the same analysis again).

    The trade-offs are charted for hosts advised as one breaker (a host with a role's own
    breaker is replayed breaker by breaker, ``attach_replay``, not on one grid).

    Args:
        analysis: the analysis to report.
        argv: ``breaker-advise`` with the options that made it, window pinned (the CLI's
            ``AnalysisOptions.command_line``); built from the analysis when None.
        rules: the rules file the analysis read, when one was given.
    """
    charted = [h.host for h in analysis.hosts if not h.breakers and suggested_setting(h)]
    return {
        "report_data_version": REPORT_DATA_VERSION,
        "contract": analysis.to_dict(),
        "unreadable_sources": [s.path for s in analysis.unreadable_sources],
        "series": collect(
            analysis.con, analysis.window, [h.host for h in analysis.hosts]
        ).to_dict(),
        "trade_offs": trade_offs(analysis, hosts=charted) if charted else {},
        "generated_at": iso_z(generation_time().replace(microsecond=0)),
        "reproduce": reproduction(analysis, argv=argv, rules=rules),
    }


def reproduction(
    analysis: Analysis, *, argv: Sequence[str] | None = None, rules: str | Path | None = None
) -> dict[str, Any]:
    """How to make the same analysis again: ``argv``, the ``breaker-advise`` command with
    the window pinned (given by the command that made the report, else built from the
    analysis), the configuration with its digests, the rules, ``lost_weight``, version."""
    config = analysis.config
    w = analysis.settings.lost_weight
    defaults = load_rule_settings(None, lost_weight=w)
    window_s, until = analysis.window.to_dict()["seconds"], iso_z(analysis.window.end)
    sources = [s.path for s in analysis.sources]
    if argv is None:  # the equivalent command of an analysis made through the API
        argv = ["breaker-advise", "--window-s", str(window_s), "--until", until]
        argv += ["--config", config.path] if config.path else []
        argv += ["--rules", str(rules)] if rules is not None else []
        argv += ["--lost-weight", f"{w:g}", *sources]
    return {
        "argv": list(argv),
        "sources": sources,
        "window_s": window_s,
        "until": until,
        "config": config.path,
        "env_overlays": any("env" in o.values() for o in config.origins.values()),
        "config_sha256": _file_sha256(config.path),
        "effective_config_sha256": config_digest(config),
        "rules": None if rules is None else str(rules),
        "rules_default": analysis.settings.to_dict() == defaults.to_dict(),
        "rules_sha256": hashlib.sha256(
            json.dumps(analysis.settings.to_dict(), sort_keys=True).encode()
        ).hexdigest(),
        "lost_weight": analysis.settings.lost_weight,
        "version": __version__,
    }


def config_digest(config: BreakerConfig) -> str:
    """sha256 of the effective configuration (file, environment overlays and flags merged
    into layers) as canonical JSON: equal digests, equal settings for every host."""
    layers = {
        "defaults": config.defaults,
        "roles": config.roles,
        "hosts": config.hosts,
        "host_roles": {f"{h}:{r}": v for (h, r), v in sorted(config.host_roles.items())},
        "resolvers": config.resolvers,
        "classify": config.classify,
        "rolling": config.rolling,
        "half_open": config.half_open,
        "disabled": config.disabled,
    }
    text = json.dumps(layers, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _file_sha256(path: str | None) -> str | None:
    """sha256 of the file's bytes; None without a file or when it cannot be read."""
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def generation_time() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` (epoch seconds) when set: the reproducible-builds
    convention, so an output's ``generated_at`` can be pinned and outputs compared."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if pinned:
        try:
            return datetime.fromtimestamp(int(pinned), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise UsageError(f"SOURCE_DATE_EPOCH: expected epoch seconds, got {pinned!r}") from exc
    return datetime.now(UTC)


def _gap_limit(config: BreakerConfig, host: str, role: str | None = None) -> float:
    """The longest gap between calls that still counts as active time (docs/design.md)."""
    return max(600.0, 2.0 * float(config.effective(host, role).reset_timeout_s or 0))


def _early_probes(count: int) -> str:
    return f"{count} half-open probes were sent before the server's Retry-After deadline"


@dataclass
class _Reuse:
    """Per-host results stored in the cache (attached to ``con``), keyed by the host's
    events digest and everything else its advice depends on."""

    con: duckdb.DuckDBPyConnection
    digests: dict[str, str]
    found: dict[str, HostResult] = field(default_factory=dict)

    def key(self, host: str, *parts: Any) -> str:
        return cached.key_of("host", host, self.digests.get(host), *parts)

    def look_up(self, keys: dict[str, str]) -> None:
        for host, key in keys.items():
            stored = cached.result(self.con, key)
            if stored is not None:
                self.found[host] = HostResult.from_dict(stored)

    def save(self, results: dict[str, HostResult], keys: dict[str, str]) -> None:
        for host, result in results.items():
            cached.save_result(self.con, keys[host], result.to_dict())


@dataclass
class _Breakers:
    """The breakers of the hosts that have a role's own breaker in the window, each
    with its metrics, evidence, recorded timeline, current settings and advice."""

    metrics: dict[BreakerKey, dict[str, Any]]
    evidence: dict[BreakerKey, HostEvidence]
    timelines: dict[BreakerKey, Timeline]
    roles: dict[str, list[str | None]]  # host -> its breakers' roles, its own first
    currents: dict[BreakerKey, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    advice: dict[BreakerKey, HostAdvice] = field(default_factory=dict)

    def __contains__(self, host: object) -> bool:
        return host in self.roles

    @classmethod
    def collect(
        cls,
        con: duckdb.DuckDBPyConnection,
        window: Window,
        config: BreakerConfig,
        settings: RuleSettings,
    ) -> _Breakers:
        candidates = sorted(role_breakers(con))  # hosts with a role's breaker in some run
        found = breaker_metrics(con, window, candidates) if candidates else {}
        roles = several(found)
        metrics = {key: m for key, m in found.items() if key[0] in roles}
        if not metrics:
            return cls({}, {}, {}, {})
        limits = {(h, r): _gap_limit(config, h, r) for h, r in metrics}
        evidence = collect_breaker_evidence(con, window, metrics, settings, gap_limits=limits)
        for key, values in metrics.items():
            values["active_s"] = round(evidence[key].active_s, 3)
        troubled = [k for k, ev in evidence.items() if ev.failures and not config.disabled]
        timelines = load_breaker_timelines(con, window, troubled) if troubled else {}
        for key, timeline in timelines.items():
            evidence[key].timeline = timeline
        currents = {
            (h, r): current_settings(config, h, evidence[(h, r)], role=r) for h, r in metrics
        }
        return cls(metrics, evidence, timelines, roles, currents)

    def advise(
        self, settings: RuleSettings, config: BreakerConfig, incidents: list[FleetIncident]
    ) -> None:
        """Each breaker's advice: the same engine, with the fleet incidents of the hosts."""
        currents = {key: values for key, (values, _) in self.currents.items()}
        self.advice = advise(
            self.evidence, currents, settings, disabled=config.disabled, incidents=incidents
        )

    def results(self, host: str, scope: str) -> list[BreakerResult]:
        found = []
        for role in self.roles[host]:
            key = (host, role)
            current, origin = self.currents[key]
            result = BreakerResult(
                host=host,
                role=role,
                metrics=self.metrics[key],
                current=current,
                current_origin=origin,
                recommendations=self.advice[key].recommendations,
                unchanged_reason=self.advice[key].unchanged,
                scope=scope,
            )
            if self.evidence[key].early_probes:
                result.warnings.append(_early_probes(self.evidence[key].early_probes))
            found.append(result)
        return found
