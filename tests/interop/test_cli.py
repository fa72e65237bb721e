"""``assistant wyoming`` and ``assistant openai-api`` as a user runs them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_UI__")}
    return {**env, "ASSISTANT_DATA_DIR": str(data), **extra}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def _start(*args: str, env: dict[str, str], ready: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if ready in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"server did not start: {proc.stderr.read()}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.parametrize(
    "args",
    [
        ("wyoming", "--uri", "tcp://0.0.0.0:10700"),
        ("openai-api", "--host", "0.0.0.0"),
        ("openai-api", "--host", "192.168.1.20", "--port", "8080"),
    ],
)
def test_non_loopback_without_opt_in_is_refused(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = _cli(*args, env=_env(tmp_path / "data"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error [config-invalid]: Refusing to serve")


def test_openai_api_on_another_address_with_credentials_starts(tmp_path: Path) -> None:
    """With ui.username/password the API may bind beyond loopback, and then requires them."""
    port = _free_port()
    env = _env(tmp_path / "data", ASSISTANT_UI__USERNAME="alice", ASSISTANT_UI__PASSWORD="s3cret-pass")
    proc = _start("openai-api", "--host", "0.0.0.0", "--port", str(port), env=env, ready="ready on")
    try:
        base = f"http://127.0.0.1:{port}/v1"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).models.list()
        models = openai.OpenAI(base_url=base, api_key="s3cret-pass", max_retries=0).models.list()
        assert [m.id for m in models] == ["assistant"]
    finally:
        _stop(proc)


def test_wyoming_command_serves_describe(tmp_path: Path) -> None:
    port = _free_port()
    proc = _start("wyoming", "--uri", f"tcp://127.0.0.1:{port}", env=_env(tmp_path / "data"), ready="ready on")

    async def describe() -> Info:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Describe().event())
            while True:
                event = await client.read_event()
                assert event is not None
                if Info.is_type(event.type):
                    return Info.from_event(event)

    try:
        info = asyncio.run(asyncio.wait_for(describe(), 60))
        assert info.asr and info.handle and info.wake
    finally:
        _stop(proc)
