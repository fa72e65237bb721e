"""Unit tests of the benchmark helpers (statistics, memory, ports, HTTP wait)."""

from __future__ import annotations

import http.server
import math
import threading

import pytest

from benchmarks.common import (
    Timer,
    current_rss_mb,
    free_port,
    machine_info,
    peak_rss_mb,
    percentile,
    summarize,
    wait_http,
)


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 50.0
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))


def test_percentile_ignores_input_order() -> None:
    assert percentile([5, 1, 4, 2, 3], 50) == 3


def test_summarize_reports_p50_p95_mean() -> None:
    stats = summarize([float(v) for v in range(1, 101)])
    assert stats.n == 100
    assert stats.p50 == pytest.approx(50.5)
    assert stats.p95 == pytest.approx(95.05)
    assert stats.mean == pytest.approx(50.5)
    assert (stats.min, stats.max) == (1.0, 100.0)
    assert stats.as_dict()["p95"] == 95.0 or stats.as_dict()["p95"] == pytest.approx(95.0, abs=0.1)
    empty = summarize([])
    assert empty.n == 0 and math.isnan(empty.p50)


def test_memory_figures_are_positive_and_peak_is_not_below_current() -> None:
    now = current_rss_mb()
    peak = peak_rss_mb()
    assert now > 1.0
    assert peak >= now - 1.0


def test_timer_measures_elapsed_time() -> None:
    with Timer() as timer:
        sum(range(10000))
    assert timer.ms > 0.0


def test_wait_http_returns_once_the_server_answers() -> None:
    port = free_port()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        waited = wait_http(f"http://127.0.0.1:{port}/", timeout_s=5)
        assert waited < 5
    finally:
        server.shutdown()


def test_wait_http_times_out_on_a_closed_port() -> None:
    with pytest.raises(TimeoutError):
        wait_http(f"http://127.0.0.1:{free_port()}/", timeout_s=0.3)


def test_machine_info_names_cores_and_cpu() -> None:
    info = machine_info()
    assert info["cores"] >= 1
    assert info["cpu"]
