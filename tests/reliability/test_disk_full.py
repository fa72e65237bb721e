"""Fault: the data dir's disk fills up → a clear store-full error (no crash), and turns work again once space is freed.

As root the data dir is a real 8 MiB tmpfs (``mount -t tmpfs``) filled with a ballast file until ENOSPC. Without
root (or where mounting is not permitted, e.g. an unprivileged container) the same condition is simulated inside
SQLite: ``PRAGMA max_page_count`` pinned to the file's current page count makes the next growing write fail with
SQLITE_FULL ("database or disk is full"), the very error a full disk gives.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.messages import AssistantError
from tests.reliability.helpers import build_assistant

pytestmark = pytest.mark.slow


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    """Write a ballast file until the file system says ENOSPC."""
    ballast = folder / "ballast.bin"
    block = b"\0" * (64 * 1024)
    with open(ballast, "wb") as fh:
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    with contextlib.suppress(OSError), open(folder / "ballast2.bin", "wb") as fh:  # the last few bytes too
        while True:
            fh.write(b"\0" * 512)
            fh.flush()
    return ballast


def _pin_sqlite_size(assistant: Any) -> Callable[[], None]:
    """Simulated full disk: every new connection of the store gets max_page_count = current page count.

    Returns a function that lifts the limit again (new connections are unlimited)."""
    from sqlalchemy import event

    engine = assistant.db._engine  # test-only reach into the store to install the size limit

    def limit(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.close()

    event.listen(engine, "connect", limit)
    engine.dispose()

    def unpin() -> None:
        event.remove(engine, "connect", limit)
        engine.dispose()

    return unpin


@pytest.fixture(params=["tmpfs", "sqlite-max-page-count"])
def full_disk_assistant(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, str, Path]]:
    mount = tmp_path / "disk"
    mode = str(request.param)
    mounted = mode == "tmpfs" and _mount_tmpfs(mount, "8m")
    if mode == "tmpfs" and not mounted:
        pytest.skip("mounting a tmpfs needs root (the sqlite-max-page-count variant covers this case)")
    data = mount / "data" if mounted else tmp_path / "data"
    assistant = build_assistant(data, nlu={"semantic": False}, sentiment={"engine": "vader"})
    try:
        yield assistant, mode, mount
    finally:
        assistant.close()
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _turn(assistant: Any, text: str, conversation: str) -> tuple[str | None, str]:
    """(error code, message) of a turn that either returns an error result or raises AssistantError."""
    try:
        result = assistant.handle_text(text, conversation_id=conversation)
    except AssistantError as exc:
        return exc.code.value, exc.message
    return result.error, result.reply


def test_full_disk_gives_a_clear_store_full_error_and_recovers(full_disk_assistant: tuple[Any, str, Path]) -> None:
    assistant, mode, mount = full_disk_assistant
    conversation = assistant.db.conversations.create_conversation()
    assert _turn(assistant, "turn on the kitchen light", conversation)[0] is None
    before = len(assistant.db.conversations.turns(conversation))

    unpin: Callable[[], None] | None = None
    if mode == "tmpfs":
        _fill(mount)
    else:
        unpin = _pin_sqlite_size(assistant)
    codes = []
    for i in range(30):  # long turns so the store must grow
        code, message = _turn(assistant, f"turn off the kitchen light {'please ' * 150}{i}", conversation)
        codes.append(code)
        if code == "store-full":
            assert "full" in message.lower() and "space" in message.lower(), message
            break
    assert "store-full" in codes, (mode, codes)
    assert "internal-error" not in codes, codes

    # free the space: the assistant works again without a restart
    if unpin is None:
        for path in mount.glob("ballast*.bin"):
            path.unlink()
    else:
        unpin()
    code, message = _turn(assistant, "turn on the kitchen light", conversation)
    assert code is None, message
    turns = assistant.db.conversations.turns(conversation)
    assert len(turns) >= before + 1
    assert turns[-1].user_text == "turn on the kitchen light"
