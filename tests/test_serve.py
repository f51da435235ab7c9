"""``breaker-advisor serve`` (advisor/serve.py, advisor/cli/serve.py): real HTTP requests
on 127.0.0.1 answered from the last analysis at once, also while the next one runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from advisor import analyze
from advisor.errors import UsageError
from advisor.serve import MetricsServer
from advisor.simulate import simulate
from tests.helpers import serve as serving

END = "2026-01-15T06:00:00Z"
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


@pytest.fixture(scope="module")
def flapping(tmp_path_factory):
    return simulate("flapping", tmp_path_factory.mktemp("flap"), hours=0.3, seed=3, end=END)


def get(server: MetricsServer, accept: str | None = None) -> tuple[str, str, float]:
    """(content type, body, seconds taken) of one GET /metrics."""
    host, port = server.address
    request = urllib.request.Request(f"http://{host}:{port}/metrics")
    if accept:
        request.add_header("Accept", accept)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        kind = response.headers["Content-Type"]
    return kind, body, time.perf_counter() - started


def values(body: str, parser=text_string_to_metric_families) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for family in parser(body):
        for s in family.samples:
            found.setdefault(s.name, []).append(s.value)
    return found


def wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_scrape_answers_at_once_while_an_analysis_runs(flapping, tmp_path):
    """The first run is the real analysis; the second keeps the child process busy with
    real analyses for 8 s: scrapes during it get the first run's numbers within 100 ms
    (the analysis runs in its own process, not in the server's interpreter)."""
    opens = {
        h.host: h.metrics["opens"]
        for h in analyze([flapping.manifest], until=END, config=flapping.config).hosts
    }
    compute = partial(
        serving.busy_after_first, flapping.manifest, flapping.config, END, tmp_path / "m", 8.0
    )
    server = MetricsServer(compute, interval_s=0.1, port=0)
    started = time.time()
    server.start()
    try:
        assert server.address[0] == "127.0.0.1"
        wait_for(lambda: server.latest.runs >= 1)
        wait_for(server.running.is_set)
        times = []
        for _ in range(5):
            kind, body, seconds = get(server, OPENMETRICS)
            times.append(seconds)
            assert kind.startswith("application/openmetrics-text")
            got = {
                s.labels["host"]: s.value
                for f in text_string_to_metric_families(body)
                for s in f.samples
                if s.name == "breaker_advisor_opens_total"
            }
            assert got == opens
            assert values(body)["breaker_advisor_last_run_success"] == [1.0]
            assert values(body)["breaker_advisor_last_run_duration_seconds"][0] > 0
            stamp = values(body)["breaker_advisor_last_run_timestamp_seconds"][0]
            assert started <= stamp <= time.time()
            time.sleep(0.2)
        assert max(times) < 0.1, times
        assert server.running.is_set() and server.latest.runs == 1  # the second still runs
    finally:
        server.stop()


def test_prometheus_text_unless_openmetrics_is_asked_for(flapping):
    compute = partial(serving.analysis, flapping.manifest, flapping.config, END)
    server = MetricsServer(compute, interval_s=3600, port=0)
    server.start()
    try:
        wait_for(lambda: server.latest.runs >= 1)
        kind, body, _ = get(server)
        assert kind.startswith("text/plain") and "# EOF" not in body
        assert values(body, parse_prometheus)["breaker_advisor_opens_total"]
    finally:
        server.stop()


def test_a_failed_run_keeps_the_last_metrics_and_says_so(flapping, tmp_path):
    errors: list[str] = []
    compute = partial(
        serving.fails_after_first, flapping.manifest, flapping.config, END, tmp_path / "m"
    )
    server = MetricsServer(compute, interval_s=0.05, port=0, on_error=errors.append)
    server.start()
    try:
        wait_for(lambda: server.latest.runs >= 2)
        _, body, _ = get(server, OPENMETRICS)
        got = values(body)
        assert got["breaker_advisor_last_run_success"] == [0.0]
        assert got["breaker_advisor_opens_total"]  # the first run's, still served
        assert errors[0] == "the configuration went away"
    finally:
        server.stop()


def test_an_analysis_that_cannot_be_handed_over_is_a_failed_run(flapping):
    """A compute the child process cannot receive (a lambda) is said, not a crash."""
    errors: list[str] = []
    server = MetricsServer(lambda: None, interval_s=3600, port=0, on_error=errors.append)  # type: ignore[arg-type,return-value]
    server.start()
    try:
        wait_for(lambda: server.latest.runs >= 1)
        assert errors and "cannot hand the analysis over" in errors[0]
        _, body, _ = get(server)
        assert values(body, parse_prometheus)["breaker_advisor_last_run_success"] == [0.0]
    finally:
        server.stop()


def test_a_port_in_use_is_a_clear_error(flapping):
    first = MetricsServer(serving.always_fails, port=0)
    first.start()
    try:
        second = MetricsServer(serving.always_fails, port=first.address[1])
        with pytest.raises(UsageError, match="already in use"):
            second.start()
    finally:
        first.stop()


def test_the_command_serves_and_stops_on_sigterm(flapping):
    """The real command in its own process: it prints where it listens, answers a
    request, and exits 0 on SIGTERM (a service manager's stop)."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "breaker-advisor"), "serve", str(flapping.manifest),
         "--config", str(flapping.config), "--until", END, "--port", "0"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        line = process.stderr.readline()
        assert line.startswith("serving http://127.0.0.1:"), line
        url = line.split()[1]
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read().decode()
            if "breaker_advisor_opens_total" in body or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert 'breaker_advisor_opens_total{host="api.core.ac.uk",role=""}' in body
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert "stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
