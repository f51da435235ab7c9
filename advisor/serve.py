"""``breaker-advisor serve``: the exporter's metrics on ``/metrics``, recomputed in the
background.

The analysis runs in a child process (started once, reused run after run) every
``interval_s`` seconds (the next run starts that long after the previous one started, or
at once when it took longer); the server swaps in the metric families it sends back. A
scrape only reads the last families: it never waits for an analysis, and the analysis's
Python work does not share the server's interpreter. The server adds its own health: the
last run's end time, its duration and whether it succeeded (a failed run keeps the
previous metrics). The HTTP side is ``prometheus_client``'s WSGI server (content
negotiation: OpenMetrics when the scraper's ``Accept`` asks for it, else the Prometheus
text format; gzip when accepted).
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from wsgiref.simple_server import WSGIServer

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector, CollectorRegistry

from advisor.errors import AdvisorError, UsageError, first_line
from advisor.model import Analysis
from advisor.outputs.openmetrics import PREFIX, metric_families

DEFAULT_BIND = "127.0.0.1"
DEFAULT_PORT = 9464
DEFAULT_INTERVAL_S = 60.0

Outcome = tuple[list[Metric] | None, str | None]
"""What one run sends back: its families, or None and the message of its failure."""


class _Latest(Collector):
    """What a scrape returns: the families of the last successful run and the runs'
    health, swapped under a lock (a scrape never sees half of a run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._runs = {"succeeded": 0, "failed": 0}
        self._last: tuple[float, float, bool] | None = None  # end, duration, success

    def record(self, families: list[Metric] | None, end: float, duration: float) -> None:
        """Note a run that ended at ``end``: its families (None: it failed)."""
        with self._lock:
            if families is not None:
                self._families = families
            self._runs["succeeded" if families is not None else "failed"] += 1
            self._last = (end, duration, families is not None)

    @property
    def runs(self) -> int:
        """Runs finished so far (successful or not)."""
        with self._lock:
            return sum(self._runs.values())

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            families, runs, last = list(self._families), dict(self._runs), self._last
        health: list[Metric] = []
        if last is not None:
            end, duration, ok = last
            health += [
                GaugeMetricFamily(
                    PREFIX + "last_run_timestamp", "When the last analysis ended (Unix time).",
                    value=end, unit="seconds",
                ),
                GaugeMetricFamily(
                    PREFIX + "last_run_duration", "How long the last analysis took.",
                    value=duration, unit="seconds",
                ),
            ]  # fmt: skip
        health.append(
            GaugeMetricFamily(
                PREFIX + "last_run_success",
                "1 when the last analysis succeeded, 0 when it failed or none has ended yet "
                "(the metrics are then the last successful run's).",
                value=1.0 if last is not None and last[2] else 0.0,
            )
        )
        runs_family = CounterMetricFamily(
            PREFIX + "runs", "Analyses finished since the server started.", labels=["result"]
        )
        for result, count in runs.items():
            runs_family.add_metric([result], float(count))
        return [*families, *health, runs_family]


def run_analysis(compute: Callable[[], Analysis]) -> Outcome:
    """One analysis made into metric families (run in the child process)."""
    try:
        analysis = compute()
        try:
            return metric_families(analysis), None
        finally:
            with contextlib.suppress(Exception):
                analysis.con.close()
    except AdvisorError as exc:
        return None, str(exc)
    except Exception as exc:  # a bug must not stop the server: say it, keep serving
        return None, f"internal error: {type(exc).__name__}: {first_line(exc)}"


def _analyses(connection: Connection) -> None:
    """The child process: run each ``compute`` received, send back its outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with contextlib.suppress(OSError):
        os.nice(10)  # background work: a scrape's thread gets the CPU first
    while True:
        try:
            compute = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(run_analysis(compute))


class _Analyst:
    """The child process that runs the analyses, started on first use and again after
    it died; ``compute`` must be picklable (a module-level function or a partial)."""

    def __init__(self) -> None:
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def run(self, compute: Callable[[], Analysis], stopping: threading.Event) -> Outcome:
        """``compute`` run in the child; (None, None) when ``stopping`` was set first."""
        if self._process is None or not self._process.is_alive():
            self._start()
        assert self._connection is not None and self._process is not None
        try:
            self._connection.send(compute)
        except Exception as exc:  # not picklable: a programming error, said once per run
            return None, f"internal error: cannot hand the analysis over: {first_line(exc)}"
        while not self._connection.poll(0.1):
            if stopping.is_set():
                return None, None
            if not self._process.is_alive():
                self._process = None
                return None, "the analysis process died (out of memory?); it is restarted"
        try:
            outcome: Outcome = self._connection.recv()
        except (EOFError, OSError):
            self._process = None
            return None, "the analysis process died (out of memory?); it is restarted"
        return outcome

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded DuckDB
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_analyses, args=(child,), name="breaker-advisor-analysis", daemon=True
        )
        self._process.start()
        child.close()
        self._connection = parent

    def stop(self, timeout_s: float) -> None:
        """End the child, a run under way included."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout_s)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None


class MetricsServer:
    """``/metrics`` over the last analysis that ``compute`` returned, recomputed in a
    child process every ``interval_s`` seconds.

    Args:
        compute: runs one analysis (a new window each call) in the child process, so it
            must be picklable: a module-level function or a ``functools.partial`` of
            one. An ``AdvisorError`` or any other exception counts as a failed run,
            reported through ``on_error``.
        interval_s: seconds between the starts of two runs.
        bind, port: where to listen (port 0: any free port, see ``address``).
        on_error: told the message of a failed run.
    """

    def __init__(
        self,
        compute: Callable[[], Analysis],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        bind: str = DEFAULT_BIND,
        port: int = DEFAULT_PORT,
        on_error: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.compute = compute
        self.interval_s = interval_s
        self.bind, self.port = bind, port
        self.on_error = on_error
        self.latest = _Latest()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.latest)
        self.running = threading.Event()
        """Set while a run is under way."""
        self._stop = threading.Event()
        self._analyst = _Analyst()
        self._httpd: WSGIServer | None = None
        self._worker: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on (after ``start``)."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Listen, then start the first analysis in the background.

        Raises:
            UsageError: the address cannot be bound (port in use, no such address).
        """
        try:
            self._httpd, _ = start_http_server(self.port, addr=self.bind, registry=self.registry)
        except OSError as exc:
            why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
            raise UsageError(
                f"--bind {self.bind} --port {self.port}: cannot listen: {why}"
                + (" (choose another --port)" if exc.errno == errno.EADDRINUSE else "")
            ) from None
        self._worker = threading.Thread(target=self._loop, name="breaker-advisor-runs")
        self._worker.daemon = True
        self._worker.start()

    def run_once(self) -> bool:
        """One analysis in the child process, its families swapped in; False when it
        failed (or the server stopped first)."""
        started = time.monotonic()
        self.running.set()
        try:
            families, error = self._analyst.run(self.compute, self._stop)
        finally:
            self.running.clear()
        if families is None and error is None:
            return False  # stopped
        if error is not None:
            self.on_error(error)
        self.latest.record(families, time.time(), time.monotonic() - started)
        return families is not None

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once()
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def wait(self) -> None:
        """Block until ``stop``, Ctrl-C or SIGTERM (a service manager's stop), then stop
        the server. Signals are only caught when called from the main thread."""
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *_: self._stop.set()) if main else None
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.stop()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop listening and the background runs (a run under way is ended)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._worker is not None:
            self._worker.join(timeout_s)
        self._analyst.stop(timeout_s)
