"""Shared helpers for the benchmark scripts: latency statistics, memory, timers, free ports and server processes."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LatencyStats",
    "ServerProcess",
    "Timer",
    "current_rss_mb",
    "free_port",
    "machine_info",
    "peak_rss_mb",
    "percentile",
    "running_server",
    "start_server",
    "summarize",
    "wait_http",
]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(float(v) for v in values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Summary of a list of latencies in milliseconds."""

    n: int
    """Number of samples."""
    p50: float
    """Median."""
    p95: float
    """95th percentile."""
    mean: float
    """Arithmetic mean."""
    min: float
    """Smallest sample."""
    max: float
    """Largest sample."""

    def as_dict(self, digits: int = 1) -> dict[str, float | int]:
        """Rounded plain dict for reports."""
        return {
            k: (round(v, digits) if isinstance(v, float) and not math.isnan(v) else v) for k, v in asdict(self).items()
        }


def summarize(values: Sequence[float]) -> LatencyStats:
    """p50/p95/mean/min/max of latencies (ms)."""
    vals = [float(v) for v in values]
    if not vals:
        return LatencyStats(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    return LatencyStats(
        n=len(vals),
        p50=percentile(vals, 50),
        p95=percentile(vals, 95),
        mean=sum(vals) / len(vals),
        min=min(vals),
        max=max(vals),
    )


def current_rss_mb(pid: int | None = None) -> float:
    """Resident set size now (VmRSS) in MiB; NaN where /proc is not available."""
    return _proc_status_mb(pid, "VmRSS:")


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set size (VmHWM, else ru_maxrss) of a process in MiB."""
    value = _proc_status_mb(pid, "VmHWM:")
    if math.isnan(value) and pid is None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)
    return value


def _proc_status_mb(pid: int | None, key: str) -> float:
    path = Path(f"/proc/{pid or 'self'}/status")
    try:
        for line in path.read_text().split("\n"):
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


@dataclass(slots=True)
class Timer:
    """``with Timer() as t: ...`` then ``t.ms``; also usable with ``start()``/``stop()``."""

    started: float = 0.0
    ms: float = 0.0

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self.started) * 1000.0

    def elapsed_ms(self) -> float:
        """Milliseconds since the start, without stopping."""
        return (time.perf_counter() - self.started) * 1000.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str, *, timeout_s: float, proc: subprocess.Popen[Any] | None = None, interval_s: float = 0.05
) -> float:
    """Poll ``url`` until it answers 2xx/3xx; returns the seconds waited. Raises TimeoutError or RuntimeError."""
    started = time.perf_counter()
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                if 200 <= response.status < 400:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(interval_s)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")


@dataclass(slots=True)
class ServerProcess:
    """A running ``assistant serve`` subprocess."""

    proc: subprocess.Popen[bytes]
    """The process."""
    url: str
    """Its base URL."""
    port: int
    """Its port."""
    ready_s: float = math.nan
    """Seconds from spawn until the page answered."""
    log_path: Path | None = None
    """Where its stdout/stderr go."""
    spawned_at: float = 0.0
    """``time.perf_counter()`` when the process was spawned."""

    def stop(self, *, kill: bool = False, timeout_s: float = 10.0) -> None:
        """Terminate (or SIGKILL) the server and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout_s)

    def wait_for_log(self, text: str, *, timeout_s: float, interval_s: float = 0.05) -> float | None:
        """Seconds from spawn until ``text`` appears in the server's log (None on timeout or exit)."""
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            log = self.log_path
            if log is not None and log.exists() and text in log.read_text(errors="replace"):
                return time.perf_counter() - self.spawned_at
            if self.proc.poll() is not None:
                return None
            time.sleep(interval_s)
        return None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]


def start_server(
    *,
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout_s: float = 120.0,
    log_path: Path | None = None,
) -> ServerProcess:
    """Spawn ``assistant serve`` on a free loopback port and wait until its page answers."""
    port = free_port()
    run_env = dict(os.environ)
    run_env.update(
        {
            "ASSISTANT_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    run_env.update(env or {})
    log_path = log_path or (data_dir / f"serve-{port}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args]
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=run_env, start_new_session=True)
    server = ServerProcess(proc=proc, url=f"http://127.0.0.1:{port}/", port=port, log_path=log_path, spawned_at=started)
    try:
        wait_http(server.url, timeout_s=timeout_s, proc=proc)
    except (TimeoutError, RuntimeError) as exc:
        server.stop(kill=True)
        raise RuntimeError(f"{exc}\n--- server log ---\n{server.log_tail()}") from exc
    server.ready_s = time.perf_counter() - started
    return server


@contextlib.contextmanager
def running_server(**kwargs: Any) -> Iterator[ServerProcess]:
    """``start_server`` as a context manager that always stops the server."""
    server = start_server(**kwargs)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True, slots=True)
class MachineInfo:
    """Where a benchmark ran."""

    cpu: str
    """CPU model name."""
    cores: int
    """Logical cores visible to the process."""
    python: str
    """Python version."""
    platform: str
    """OS and architecture."""
    gpu: str | None = None
    """CUDA device name when torch sees one."""
    load_average: list[float] = field(default_factory=list)
    """1, 5 and 15 minute load averages when the figures were taken (the machine may be shared)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Library versions."""


def machine_info() -> dict[str, Any]:
    """CPU, core count, GPU (if torch sees one) and key library versions, for reports."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().split("\n"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    gpu: str | None = None
    versions: dict[str, Any] = {}
    for name in ("torch", "ctranslate2", "faster_whisper", "transformers", "sentence_transformers", "gradio"):
        module = sys.modules.get(name)
        if module is None:
            with contextlib.suppress(Exception):
                import importlib.metadata as md

                versions[name] = md.version(name.replace("_", "-"))
                continue
        versions[name] = getattr(module, "__version__", None)
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):
            if torch.cuda.is_available():
                gpu = str(torch.cuda.get_device_name(0))
    load: list[float] = []
    with contextlib.suppress(OSError, AttributeError):
        load = [round(x, 2) for x in os.getloadavg()]
    info = MachineInfo(
        cpu=cpu,
        cores=cores,
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        gpu=gpu,
        load_average=load,
        extra=versions,
    )
    return asdict(info)
