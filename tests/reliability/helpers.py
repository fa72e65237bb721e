"""Helpers of the reliability tests: assistants on private data dirs, a real mosquitto broker, polling."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["FAST", "MOSQUITTO", "PROJECT_ROOT", "Broker", "build_assistant", "free_port", "wait_for"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)

FAST: dict[str, Any] = {"llm": {"backend": "none"}, "nlu": {"llm": False}}
"""Config overrides for tests whose subject is not the language model (it is never loaded)."""


def build_assistant(data_dir: Path, *, home_file: Path | None = None, **overrides: Any) -> Any:
    """An Assistant on ``data_dir`` (which wins over $ASSISTANT_DATA_DIR) with config overrides."""
    from assistant.app import Assistant
    from assistant.config import load_config

    merged: dict[str, Any] = {k: dict(v) for k, v in FAST.items()}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    cfg = load_config(None, **merged)
    cfg = cfg.model_copy(update={"data_dir": data_dir})
    return Assistant.create(cfg, home=home_file)


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, interval: float = 0.05) -> bool:
    """Poll until ``predicate()`` is true or the timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """A real mosquitto on a loopback port that can be stopped and started again (same port)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until the port accepts connections."""
        assert MOSQUITTO is not None
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        if not wait_for(self._accepts, timeout=10):
            raise RuntimeError(f"mosquitto did not start: {self.log.read_text()}")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the broker (SIGTERM) and wait."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
