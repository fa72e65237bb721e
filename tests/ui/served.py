"""Start `assistant serve` as a subprocess on a free loopback port (for the end-to-end UI tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["Served", "free_port", "serve_subprocess"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running server."""

    url: str
    """Base URL, ending with '/'."""
    data_dir: Path
    """Its ASSISTANT_DATA_DIR."""
    log: Path
    """Its combined stdout/stderr."""


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("ASSISTANT_UI__PASSWORD", None)
    env.pop("ASSISTANT_UI__USERNAME", None)
    return env


@contextmanager
def serve_subprocess(
    data_dir: Path, *, timeout_s: float = 240.0, env: Mapping[str, str] | None = None
) -> Iterator[Served]:
    """Run `python -m assistant serve --port N` until the page answers; stop it afterwards.

    ``env`` adds environment variables (config overrides such as ``ASSISTANT_NLU__CONFIRM_PIN``).
    """
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**_env(data_dir), **dict(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"assistant serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
                if "Assistant UI ready on http://127.0.0.1" in log.read_text(errors="replace"):
                    try:
                        if httpx.get(url, timeout=5).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"assistant serve did not start in {timeout_s} s:\n{log.read_text()[-4000:]}")
                time.sleep(0.5)
            yield Served(url=url, data_dir=data_dir, log=log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def run_serve_expecting_failure(
    data_dir: Path, host: str, *, timeout_s: float = 180.0
) -> subprocess.CompletedProcess[str]:
    """Run `assistant serve --host HOST` and return the finished process (it should refuse to start)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--host", host, "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
