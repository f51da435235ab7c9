"""``breaker-advisor serve``: the exporter's metrics on ``/metrics``, recomputed in the
background.

A worker thread runs the analysis every ``interval_s`` seconds (the next run starts that
long after the previous one started, or at once when it took longer) and swaps in the
metric families it built; a scrape only reads the last families, so it never waits for an
analysis. The server adds its own health: the last run's end time, its duration and
whether it succeeded (a failed run keeps the previous metrics). The HTTP side is
``prometheus_client``'s WSGI server (content negotiation: OpenMetrics when the scraper's
``Accept`` asks for it, else the Prometheus text format; gzip when accepted).
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
import time
from collections.abc import Callable, Iterable
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


class MetricsServer:
    """``/metrics`` over the last analysis that ``compute`` returned, recomputed by a
    background thread every ``interval_s`` seconds.

    Args:
        compute: runs one analysis (a new window each call); an ``AdvisorError`` or
            any other exception counts as a failed run, reported through ``on_error``.
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
        self._stop = threading.Event()
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
        self._worker = threading.Thread(target=self._loop, name="breaker-advisor-analysis")
        self._worker.daemon = True
        self._worker.start()

    def run_once(self) -> bool:
        """One analysis, its families swapped in; False when it failed."""
        started = time.monotonic()
        families: list[Metric] | None = None
        try:
            analysis = self.compute()
            try:
                families = metric_families(analysis)
            finally:
                with contextlib.suppress(Exception):
                    analysis.con.close()
        except AdvisorError as exc:
            self.on_error(str(exc))
        except Exception as exc:  # a bug must not stop the server: say it, keep serving
            self.on_error(f"internal error: {type(exc).__name__}: {first_line(exc)}")
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
        """Stop listening and the background runs (a run under way is not waited for
        longer than ``timeout_s``; its thread is a daemon)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._worker is not None:
            self._worker.join(timeout_s)
