"""A simulation run: hosts through the real registry, in one or several processes."""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import multiprocessing
import os
import queue
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from advisor.config import BreakerConfig, load_config, normalize_host
from advisor.errors import BreakerOpenError, TelemetryError, UsageError
from advisor.limits import (
    DATE_RANGE,
    EARLIEST,
    MAX_SIM_HOURS,
    MAX_SIM_SEED,
    MAX_SIM_WORKERS,
    number_in,
)
from advisor.simulate.clock import VirtualClock, pybreaker_clock
from advisor.simulate.hosts import (
    BURST,
    DOWN,
    RECOVERING,
    THROTTLED,
    UNREACHABLE,
    Phase,
    Schedule,
    SimHost,
    SimulatedConnectionError,
    SimulatedHTTPError,
    SimulatedTimeout,
    overlay,
    plan_fleet,
    plan_incidents,
)
from advisor.simulate.scenarios import HostProcess, Scenario, scenario
from advisor.simulate.turns import Counter, LocalCounter, TurnWriter
from advisor.telemetry import BreakerRegistry, InMemoryCooldownStore, ManifestWriter
from advisor.window import iso_z, parse_until

MANIFEST_NAME = "manifest.sqlite3"
CONFIG_NAME = "breakers.yaml"
TRUTH_NAME = "truth.json"


@dataclass
class SimulationResult:
    """What a run wrote, and how fast (``elapsed_s``: the whole ``simulate`` call)."""

    out_dir: Path
    manifest: Path
    config: Path
    truth: Path
    events: int
    calls: int
    start: float
    end: float
    elapsed_s: float

    @property
    def events_per_s(self) -> float:
        """Events written per wall-clock second."""
        return self.events / self.elapsed_s if self.elapsed_s > 0 else math.inf


def resolve_end(end: str | float | datetime | None) -> float:
    """``now`` (default), ISO-8601 or epoch seconds -> epoch seconds.

    Raises:
        UsageError: unparseable value.
    """
    if isinstance(end, str) and end.strip().lower() == "latest":
        raise UsageError("--end: expected 'now', ISO-8601 or epoch seconds, got 'latest'")
    moment = parse_until("now" if end is None else end, None, name="--end")
    return round(moment.timestamp(), 3)


def simulate(
    scenario_name: str,
    out_dir: str | Path,
    *,
    hours: float = 1.0,
    seed: int = 0,
    end: str | float | datetime | None = "now",
    overwrite: bool = False,
    progress: Callable[[float], None] | None = None,
    workers: int | str = 1,
    batch_size: int = 5_000,
    host_config: dict[str, dict[str, float]] | None = None,
    defaults: dict[str, float] | None = None,
    rolling: dict[str, object] | None = None,
    seed_compatible: bool = False,
    resolvers: dict[str, list[str]] | None = None,
    resolver_config: dict[str, dict[str, float]] | None = None,
) -> SimulationResult:
    """Run ``scenario_name`` for ``hours`` of virtual time ending at ``end``; write ``out_dir``.

    Args:
        scenario_name: one of ``SCENARIOS``.
        out_dir: folder for ``manifest.sqlite3``, ``breakers.yaml`` and ``truth.json``.
        hours: virtual time simulated.
        seed: the random seed; with the same ``end`` the event stream is identical.
        end: when the simulated stretch ends (default the current time).
        overwrite: replace files of an earlier run in ``out_dir``.
        progress: called now and then with the fraction of virtual time done.
        workers: processes sharing the hosts, all writing the one manifest, or ``"auto"``
            (``default_workers``; the CLI's default). Every host's events are the same for
            any number; the rows, ids included, are the same for the same number. Workers
            are spawned without re-running the caller's ``__main__``.
        batch_size: about how many events (of all workers) one slice of virtual time holds;
            each worker writes its part of a slice in one transaction, in turn.
        host_config: replaces the scenario's per-host settings (the ``hosts:`` section of
            ``breakers.yaml``, host -> ``{"fail_max": 3, "reset_timeout_s": 30, ...}``);
            ``{}``: every host on the defaults; None: the scenario's own. To run a scenario
            under another tuning. The traffic and trouble stay the scenario's, but incident
            plans keep incidents ``2 * reset_timeout_s`` apart, so a longer timeout can
            thin them out.
        defaults: replaces the scenario's ``defaults:`` section (None: the scenario's own).
        seed_compatible: write the manifest as the deployment guide's SQL reads it
            (``ManifestWriter(seed_compatible=True)``: Julian-day ``ts``, upper-case states,
            the ``breaker_state_transitions`` view).
        resolvers: resolver name -> the scenario's hosts whose calls are made for it: those
            calls also pass through the resolver's own breaker (scope ``resolver``). One
            worker runs them all (a resolver's breaker lives in one process).
        resolver_config: resolver name -> its settings (``resolvers:`` in breakers.yaml).
        rolling: the ``advanced.rolling`` section (``{"enabled": True, "window_s": 30,
            "threshold_failures": 5, "cooldown_s": 60}``); None: none, the policy off.

    The config is written to ``breakers.yaml``, which every worker reads, and each host's
    effective settings go to ``truth.json`` (``hosts.<host>.config``).

    Raises:
        UsageError: unknown scenario, ``hours``, ``seed`` or ``workers`` outside their
            ranges (docs/design.md "Ranges"; ``workers`` may be ``auto``), bad ``end``,
            ``host_config`` names a host the scenario does not have, ``out_dir`` is not a
            folder, or it holds an earlier run and ``overwrite`` is false.
        ConfigError: ``host_config`` or ``defaults`` holds a bad key or value.
        TelemetryError: the manifest could not be written, or a worker failed.
    """
    started = time.perf_counter()
    spec = scenario(scenario_name)
    hours = number_in("--hours", hours, 0, MAX_SIM_HOURS, low_open=True)
    seed = _seed(seed)
    workers = 1 if resolvers else _worker_count(workers, spec, hours)
    routes = _routes(spec, resolvers or {})
    stop = resolve_end(end)
    start = stop - hours * 3600.0
    if start < EARLIEST.timestamp():
        raise UsageError(
            f"--end {end!r} less --hours {hours:g}: starts before 1970-01-01 "
            f"(the supported range is {DATE_RANGE})"
        )
    yaml_text = _config_yaml(spec, host_config, defaults, rolling, resolver_config)
    out = Path(out_dir)
    created = not out.exists()
    manifest, config_path, truth_path = _prepare_out_dir(out, overwrite)
    try:
        return _simulate_into(
            spec, out, manifest, config_path, truth_path, yaml_text,
            seed=seed, start=start, stop=stop, hours=hours, workers=workers,
            progress=progress, batch_size=batch_size, host_config=host_config,
            defaults=defaults, started=started, seed_compatible=seed_compatible, routes=routes,
        )  # fmt: skip
    except BaseException:
        _remove_run(out, created)  # never a half-written run folder
        raise


def _remove_run(out: Path, created: bool) -> None:
    """Remove the files of a failed run (and ``out`` when this run created it)."""
    for name in (MANIFEST_NAME, CONFIG_NAME, TRUTH_NAME):
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                (out / f"{name}{suffix}").unlink()
    if created:
        with contextlib.suppress(OSError):
            out.rmdir()  # only when empty


def _simulate_into(
    spec: Scenario,
    out: Path,
    manifest: Path,
    config_path: Path,
    truth_path: Path,
    yaml_text: str,
    *,
    seed: int,
    start: float,
    stop: float,
    hours: float,
    workers: int,
    progress: Callable[[float], None] | None,
    batch_size: int,
    host_config: dict[str, dict[str, float]] | None,
    defaults: dict[str, float] | None,
    started: float,
    seed_compatible: bool = False,
    routes: tuple[tuple[str, str], ...] = (),
) -> SimulationResult:
    _write_new(config_path, yaml_text)
    config = load_config(config_path, env={})
    run_id = f"sim-{spec.name}-{seed}"
    # the table, once; no index: it would add half again to the cost of writing a row
    ManifestWriter(
        manifest, run_id=run_id, flush_interval_s=None, bulk_load=True,
        seed_compatible=seed_compatible,
    ).close()  # fmt: skip

    groups = _partition(spec.hosts, workers)
    slices = _slice_count(spec, hours, batch_size)
    jobs = [
        _Job(spec.name, tuple(p.host for p in group), seed, start, stop, manifest, config_path,
             run_id, slices, len(groups), index, seed_compatible, routes)
        for index, group in enumerate(groups)
    ]  # fmt: skip
    if len(jobs) == 1:
        events, calls = _run_job(jobs[0], progress, LocalCounter())
    else:
        events, calls = _run_parallel(jobs, progress)

    hosts = _build_hosts(spec, spec.hosts, config, seed, start, stop, VirtualClock(start))
    overridden = host_config is not None or defaults is not None
    truth = _truth(spec, config, hosts, seed, start, stop, run_id, overridden)
    _write_new(truth_path, json.dumps(truth, indent=2) + "\n")
    elapsed = time.perf_counter() - started
    return SimulationResult(
        out, manifest, config_path, truth_path, events, calls, start, stop, elapsed
    )


AUTO_MIN_CALLS = 100_000  # a shorter run is done before worker processes have started


def default_workers(scenario_name: str, hours: float) -> int:
    """How many workers ``"auto"`` means: one per CPU this process may use, at most 2, for
    a run of at least ``AUTO_MIN_CALLS`` calls; else 1.

    Two workers are nearly twice as fast as one once started (a fraction of a second);
    more add little: one SQLite file takes all the writes, and the busiest host of a
    scenario makes a large share of its calls.

    Raises:
        UsageError: unknown scenario.
    """
    if _expected_calls(scenario(scenario_name), hours) < AUTO_MIN_CALLS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def _routes(spec: Scenario, resolvers: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    """(host, resolver) pairs of ``resolvers`` (name -> hosts), hosts checked.

    Raises:
        UsageError: a host the scenario does not have, or one named for two resolvers.
    """
    known = {p.host for p in spec.hosts}
    routes: dict[str, str] = {}
    for name, hosts in resolvers.items():
        resolver = normalize_host(name)
        if not resolver:
            raise UsageError("--resolver: empty resolver name; expected NAME=HOST[,HOST...]")
        for raw in hosts:
            host = normalize_host(raw)
            if host not in known:
                raise UsageError(
                    f"--resolver {name}: scenario {spec.name} has no host {host!r}; "
                    f"its hosts: {', '.join(sorted(known))}"
                )
            if routes.get(host, resolver) != resolver:
                raise UsageError(f"--resolver: {host} named for {routes[host]} and {resolver}")
            routes[host] = resolver
    return tuple(sorted(routes.items()))


def _seed(seed: int) -> int:
    """``seed`` when it is a whole number from 0 to ``MAX_SIM_SEED``.

    Raises:
        UsageError: anything else (a negative seed would give another seed's events).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SIM_SEED:
        raise UsageError(
            f"--seed: expected a whole number from 0 to {MAX_SIM_SEED:,}, got {seed!r}"
        )
    return seed


def _worker_count(workers: int | str, spec: Scenario, hours: float) -> int:
    """``workers`` as a number of processes (``"auto"`` resolved).

    Raises:
        UsageError: neither a number from 1 to ``MAX_SIM_WORKERS`` nor ``auto``.
    """
    if isinstance(workers, str):
        text = workers.strip().lower()
        if text == "auto":
            return default_workers(spec.name, hours)
        count = int(text) if text.isdigit() else 0
    else:
        count = workers if isinstance(workers, int) and not isinstance(workers, bool) else 0
    if not 1 <= count <= MAX_SIM_WORKERS:
        raise UsageError(
            f"--workers: expected a whole number from 1 to {MAX_SIM_WORKERS} or 'auto', "
            f"got {workers!r}"
        )
    return count


@dataclass(frozen=True)
class _Job:
    """What one worker simulates (picklable: it crosses to a spawned process)."""

    scenario: str
    hosts: tuple[str, ...]
    seed: int
    start: float
    stop: float
    manifest: Path
    config_path: Path
    run_id: str
    slices: int
    workers: int
    index: int
    seed_compatible: bool = False
    routes: tuple[tuple[str, str], ...] = ()  # (host, resolver): calls made for a resolver


def _expected_calls(spec: Scenario, hours: float) -> float:
    """Calls of all hosts in ``hours``, at their offered rates, in their active time."""
    return sum(p.rate * _active_share(p) for p in spec.hosts) * hours * 3600.0


def _active_share(process: HostProcess) -> float:
    """The share of the run in which ``process`` gets traffic."""
    if not process.active:
        return 1.0
    return sum(max(0.0, min(b, 1.0) - max(a, 0.0)) for a, b in process.active)


def _stretches(
    fractions: tuple[tuple[float, float], ...], start: float, stop: float
) -> list[tuple[float, float]]:
    """Fractions of the run -> disjoint epoch-second stretches in time order (to the
    millisecond, inside the run; overlapping ones merged)."""
    span = stop - start
    merged: list[tuple[float, float]] = []
    for a, b in sorted((max(a, 0.0), min(b, 1.0)) for a, b in fractions):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return [(round(start + a * span, 3), round(start + b * span, 3)) for a, b in merged]


def _fleet_plan(spec: Scenario, seed: int, start: float, stop: float) -> list[tuple[float, float]]:
    """The scenario's shared incidents (its own random stream), or none."""
    if spec.fleet is None:
        return []
    return plan_fleet(spec.fleet, random.Random(f"{seed}:{spec.name}:fleet"), start, stop)


def _slice_count(spec: Scenario, hours: float, batch_size: int) -> int:
    """Slices of virtual time that hold about ``batch_size`` calls of all hosts each."""
    if batch_size < 1:
        raise UsageError(f"batch_size must be at least 1, got {batch_size}")
    return max(1, math.ceil(_expected_calls(spec, hours) / batch_size))


def _partition(hosts: tuple[HostProcess, ...], workers: int) -> list[list[HostProcess]]:
    """Spread hosts over at most ``workers`` groups with about equal request rates."""
    groups: list[list[HostProcess]] = [[] for _ in range(min(workers, len(hosts)))]
    load = [0.0] * len(groups)
    for process in sorted(hosts, key=lambda p: (-p.rate, p.host)):
        index = load.index(min(load))
        groups[index].append(process)
        load[index] += process.rate
    return [g for g in groups if g]


def _build_hosts(
    spec: Scenario,
    processes: tuple[HostProcess, ...] | list[HostProcess],
    config: BreakerConfig,
    seed: int,
    start: float,
    stop: float,
    clock: VirtualClock,
) -> list[SimHost]:
    """Each host with its incident plan and its own random stream (seeded by host name).

    A host with active stretches has its incidents planned inside them; scheduled down
    stretches, then the scenario's fleet incidents, are laid over its own plan.
    """
    fleet = _fleet_plan(spec, seed, start, stop)
    fleet_hosts = set(spec.fleet.hosts) if spec.fleet is not None else set()
    hosts = []
    for process in processes:
        reset = config.effective(process.host).reset_timeout_s
        plan_rng = random.Random(f"{seed}:{process.host}:plan")
        schedule = None
        if process.active:
            schedule = Schedule(_stretches(process.active, start, stop))
            phases: list[Phase] = []
            for a, b in schedule.stretches:
                phases.extend(plan_incidents(process, plan_rng, a, b, reset))
        else:
            phases = plan_incidents(process, plan_rng, start, stop, reset)
        if process.down:
            phases = overlay(phases, _stretches(process.down, start, stop), DOWN)
        if process.host in fleet_hosts and fleet:
            phases = overlay(phases, fleet, UNREACHABLE)
        call_rng = random.Random(f"{seed}:{process.host}:calls")
        hosts.append(SimHost(process, phases, call_rng, clock, stop, schedule))
    return hosts


def _run_job(
    job: _Job, progress: Callable[[float], None] | None, turns: Counter
) -> tuple[int, int]:
    """Simulate one group of hosts through a real registry; returns (events, calls)."""
    spec = scenario(job.scenario)
    config = load_config(job.config_path, env={})
    clock = VirtualClock(job.start)
    processes = [p for p in spec.hosts if p.host in job.hosts]
    hosts = _build_hosts(spec, processes, config, job.seed, job.start, job.stop, clock)
    # The TurnWriter writes each slice in its turn (no write when the buffer fills), and
    # bulk_load: the output is a throwaway file that a rerun writes again.
    writer = ManifestWriter(
        job.manifest,
        run_id=job.run_id,
        batch_size=sys.maxsize,
        flush_interval_s=None,
        bulk_load=True,
        seed_compatible=job.seed_compatible,
    )
    try:
        slices = TurnWriter(
            writer,
            turns,
            workers=job.workers,
            index=job.index,
            start=job.start,
            stop=job.stop,
            count=job.slices,
        )
        registry = BreakerRegistry(config, writer, InMemoryCooldownStore(), clock=clock)
        with pybreaker_clock(clock):
            calls = _run(
                hosts, registry, clock, slices, job.start, job.stop, progress, dict(job.routes)
            )
        slices.finish()
    finally:
        writer.close()
    return writer.written, calls


def _worker(job: _Job, slot: Any, turns: Counter, results: Any) -> None:
    """Entry point of a worker process: run the job, report progress and the outcome.

    Ends the process with ``os._exit`` once the outcome is sent: the manifest is closed
    by then, and the orderly shutdown of a spawned interpreter takes about 0.1 s.
    """

    def report(fraction: float) -> None:
        slot.value = fraction

    try:
        outcome: tuple[str, Any] = ("ok", _run_job(job, report, turns))
    except BaseException as exc:  # reported to the parent, which raises
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    results.put(outcome)
    results.close()
    results.join_thread()  # the outcome is in the pipe
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Workers need nothing from ``__main__``: while they are started, hide its name and
    file so a spawned worker does not re-run it (the console script would import the
    whole CLI, ~0.5 s per worker; a user's script would run again, or need a guard)."""
    main = sys.modules["__main__"]
    saved: dict[str, Any] = {
        key: main.__dict__[key] for key in ("__spec__", "__file__") if key in main.__dict__
    }
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _run_parallel(jobs: list[_Job], progress: Callable[[float], None] | None) -> tuple[int, int]:
    """Run each job in a spawned process; a failed worker stops the others."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    turns = context.Value("q", 0, lock=False)  # only the worker whose turn it is writes it
    slots = [context.Value("d", 0.0, lock=False) for _ in jobs]
    procs = [
        context.Process(target=_worker, args=(job, slot, turns, results), daemon=True)
        for job, slot in zip(jobs, slots, strict=True)
    ]
    with _main_hidden():
        for proc in procs:
            proc.start()
    outcomes: list[tuple[str, Any]] = []
    try:
        while len(outcomes) < len(procs):
            try:
                outcomes.append(results.get(timeout=0.2))
            except queue.Empty:
                # a worker that died without a word would leave the others waiting for its turn
                exited = sum(not proc.is_alive() for proc in procs)
                if exited > len(outcomes) and results.empty():
                    break
            if outcomes and outcomes[-1][0] == "error":
                break
            if progress is not None:
                progress(min(slot.value for slot in slots))
    finally:
        stop_now = len(outcomes) < len(procs)
        for proc in procs:
            if stop_now:
                proc.terminate()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    errors = [detail for status, detail in outcomes if status == "error"]
    if errors or len(outcomes) < len(procs):
        raise TelemetryError(
            "simulation worker failed: " + ("; ".join(errors) or "exited without a result")
        )
    if progress is not None:
        progress(1.0)
    return sum(d[0] for _, d in outcomes), sum(d[1] for _, d in outcomes)


def _prepare_out_dir(out: Path, overwrite: bool) -> tuple[Path, Path, Path]:
    """The run's three files in ``out`` (created), none of them left in place.

    ``out`` must be a folder (or not exist). A file of an earlier run is only replaced
    with ``overwrite``, and then removed first (its ``-wal`` / ``-shm`` / ``-journal``
    too) and created anew: a run file that is a symlink or hard link to another file
    (a real manifest, a production breakers.yaml) is never written through
    (docs/design.md "Output files").
    """
    manifest, config_path, truth_path = out / MANIFEST_NAME, out / CONFIG_NAME, out / TRUTH_NAME
    if os.path.lexists(out) and not out.is_dir():
        raise UsageError(f"--out {out}: not a folder (simulate writes a run folder)")
    files = [Path(f"{p}{suffix}") for p in (manifest, config_path, truth_path)
             for suffix in ("", "-wal", "-shm", "-journal")]  # fmt: skip
    leftovers = [p for p in (manifest, config_path, truth_path) if os.path.lexists(p)]
    if leftovers and not overwrite:
        raise UsageError(
            f"{out} already holds a run ({', '.join(p.name for p in leftovers)}); "
            "pass --force to replace it or choose another --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path in files:
            path.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"{out}: cannot prepare output folder: {exc}") from None
    return manifest, config_path, truth_path


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` to a file that must not exist yet (never through a link)."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


def _run(
    hosts: list[SimHost],
    registry: BreakerRegistry,
    clock: VirtualClock,
    slices: TurnWriter,
    start: float,
    stop: float,
    progress: Callable[[float], None] | None,
    routes: dict[str, str] | None = None,
) -> int:
    """The event loop: the host with the earliest pending arrival calls next (through
    its resolver's breaker too when ``routes`` names one).

    Arrivals per host are a Poisson process; a host's next call waits for its previous
    one to finish (pybreaker runs one call at a time per breaker). Now and then (in
    virtual time) ``slices`` closes the finished slices and writes those whose turn came.
    """
    log = math.log
    # per host: name, its request function, its random draw, mean gap between arrivals,
    # its activity schedule (None: always active)
    table = [(h.host, h.request, h.rng.random, h.mean_gap, h.schedule) for h in hosts]
    via = [(routes or {}).get(h.host) for h in hosts]
    heap = [
        (
            start - log(1.0 - draw()) * gap
            if schedule is None
            else schedule.next_arrival(start, -log(1.0 - draw()) * gap),
            i,
        )
        for i, (_, _, draw, gap, schedule) in enumerate(table)
    ]
    heapq.heapify(heap)
    call = registry.call
    replace = heapq.heapreplace
    expected = (BreakerOpenError, SimulatedHTTPError, SimulatedTimeout, SimulatedConnectionError)
    calls = 0
    report_every = 20_000
    span = stop - start
    check = slices.next_check  # <= stop: one comparison per call covers both
    while heap:
        t, index = heap[0]
        if t >= check:
            if t >= stop:
                heapq.heappop(heap)
                continue
            check = slices.check(t)
        name, request, draw, gap, schedule = table[index]
        clock.now = t
        resolver = via[index]
        try:  # noqa: SIM105 - the hot loop: cheaper than contextlib.suppress
            if resolver is None:
                call(name, request)
            else:
                call(name, request, resolver=resolver)
        except expected:
            pass
        done = clock.now
        if schedule is None:
            following = t - log(1.0 - draw()) * gap
            replace(heap, (following if following > done else done, index))
        else:
            replace(heap, (schedule.next_arrival(t, -log(1.0 - draw()) * gap, done), index))
        calls += 1
        if progress is not None and calls % report_every == 0:
            progress(min(1.0, (t - start) / span))
    if progress is not None:
        progress(1.0)
    return calls


def _config_yaml(
    spec: Scenario,
    host_config: dict[str, dict[str, float]] | None = None,
    defaults: dict[str, float] | None = None,
    rolling: dict[str, object] | None = None,
    resolver_config: dict[str, dict[str, float]] | None = None,
) -> str:
    """The ``breakers.yaml`` of a run: the scenario's, or the caller's replacements
    (and ``advanced.rolling`` when ``rolling`` is given).

    Raises:
        UsageError: ``host_config`` names a host the scenario does not have.
    """
    data: dict[str, Any] = {
        "defaults": dict(spec.defaults if defaults is None else defaults),
        "hosts": {},
    }
    if host_config is None:
        for process in spec.hosts:
            if process.config:
                data["hosts"][process.host] = dict(process.config)
    else:
        known = {p.host for p in spec.hosts}
        unknown = sorted({normalize_host(h) for h in host_config} - known)
        if unknown:
            raise UsageError(
                f"host_config: scenario {spec.name} has no host {', '.join(unknown)}; "
                f"its hosts: {', '.join(sorted(known))}"
            )
        for host, values in host_config.items():
            if values:
                data["hosts"].setdefault(normalize_host(host), {}).update(values)
    if rolling is not None:
        data["advanced"] = {"rolling": dict(rolling)}
    if resolver_config:
        data["resolvers"] = {name: dict(values) for name, values in resolver_config.items()}
    head = f"# breakers.yaml used by `breaker-advisor simulate --scenario {spec.name}`\n"
    if host_config is not None or defaults is not None:
        replaced = [
            name
            for name, value in (("defaults", defaults), ("hosts", host_config))
            if value is not None
        ]
        head += f"# (the scenario's {' and '.join(replaced)} replaced by the caller)\n"
    return head + yaml.safe_dump(data, sort_keys=False)


def _truth(
    spec: Scenario,
    config: BreakerConfig,
    hosts: list[SimHost],
    seed: int,
    start: float,
    stop: float,
    run_id: str,
    overridden: bool = False,
) -> dict[str, Any]:
    def intervals(host: SimHost, *kinds: str) -> list[list[float]]:
        return [[round(p.start, 3), round(p.end, 3)] for p in host.phases if p.kind in kinds]

    fleet = _fleet_plan(spec, seed, start, stop)
    fleet_hosts = sorted(spec.fleet.hosts) if spec.fleet is not None else []
    out: dict[str, Any] = {}
    for host in hosts:
        process = host.process
        throttles = intervals(host, THROTTLED)
        stretches = host.schedule.stretches if host.schedule is not None else [(start, stop)]
        out[process.host] = {
            "behaviour": process.behaviour,
            "request_rate_per_s": process.rate,
            "failure_probability_up": process.p_fail,
            "active": [[round(a, 3), round(b, 3)] for a, b in stretches],
            "outages": intervals(host, DOWN, UNREACHABLE),
            "recoveries": intervals(host, RECOVERING),
            "noise_bursts": intervals(host, BURST),
            "rate_limit": (
                {
                    "status": 429,
                    "windows": throttles,
                    "retry_after": "seconds until the window ends",
                }
                if any(i.kind == "throttle" for i in process.incidents)
                else None
            ),
            "process": {
                "latency_ms": process.latency_ms,
                "timeout_s": process.timeout_s,
                "failure_mix": {"timeout": 0.1, "connection_error": 0.2, "http_5xx": 0.7},
                "incidents": [asdict(i) for i in process.incidents],
            },
            "config": config.effective(process.host).to_dict(),
            # the scenario's note is about its own config; under another, say nothing
            "mistuned": (process.mistuned or None) if not overridden else None,
        }
    return {
        "scenario": spec.name,
        "description": spec.description,
        "seed": seed,
        "run_id": run_id,
        "start": start,
        "end": stop,
        "start_iso": iso_z(datetime.fromtimestamp(start, UTC)),
        "end_iso": iso_z(datetime.fromtimestamp(stop, UTC)),
        "config_replaced": overridden,
        # caller-side incidents: every listed host down at once (also in its outages)
        "fleet_incidents": [[a, b, fleet_hosts] for a, b in fleet],
        "hosts": out,
    }
