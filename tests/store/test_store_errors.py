"""Error paths with their stable codes: bad data dir, locked, corrupt, full, closed."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from assistant.store import Database
from contracts.messages import AssistantError, ErrorCode

from .conftest import MakeResult


def _code(exc: pytest.ExceptionInfo[AssistantError]) -> ErrorCode:
    return exc.value.code


def test_file_where_the_data_dir_should_be(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(AssistantError) as err:
        Database(blocker)
    assert _code(err) == ErrorCode.STORE_UNAVAILABLE
    assert str(blocker) in err.value.message and "ASSISTANT_DATA_DIR" in err.value.message
    with pytest.raises(AssistantError) as err:
        Database(blocker / "sub")
    assert _code(err) == ErrorCode.STORE_UNAVAILABLE


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_data_dir(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(AssistantError) as err:
            Database(locked)
        assert _code(err) == ErrorCode.STORE_UNAVAILABLE and "not writable" in err.value.message
        with pytest.raises(AssistantError) as err:
            Database(locked / "child")
        assert _code(err) == ErrorCode.STORE_UNAVAILABLE
    finally:
        locked.chmod(0o700)


def test_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "assistant.sqlite").write_bytes(os.urandom(8192))
    with pytest.raises(AssistantError) as err:
        Database(tmp_path)
    assert _code(err) == ErrorCode.STORE_UNAVAILABLE
    assert str(tmp_path / "assistant.sqlite") in err.value.message
    assert err.value.details["path"] == str(tmp_path / "assistant.sqlite")


def test_locked_by_another_writer(tmp_path: Path, make_result: MakeResult) -> None:
    with Database(tmp_path) as setup:
        conv = setup.conversations.create_conversation()
    db = Database(tmp_path, busy_timeout_s=0.3)
    other = sqlite3.connect(tmp_path / "assistant.sqlite", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        start = time.monotonic()
        with pytest.raises(AssistantError) as err:
            db.conversations.save_turn(make_result(conversation_id=conv))
        waited = time.monotonic() - start
        assert _code(err) == ErrorCode.STORE_LOCKED
        assert str(db.path) in err.value.message
        assert 0.25 <= waited < 3.0
        assert db.conversations.list_conversations()[0].id == conv  # WAL: readers still work
        other.execute("ROLLBACK")
        db.conversations.save_turn(make_result(conversation_id=conv))  # and writes succeed once released
        assert db.conversations.stats().turns == 1
    finally:
        other.close()
        db.close()


def test_lock_released_within_the_timeout_is_waited_for(tmp_path: Path, make_result: MakeResult) -> None:
    db = Database(tmp_path, busy_timeout_s=5.0)
    other = sqlite3.connect(tmp_path / "assistant.sqlite", isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
        release.start()
        db.conversations.save_turn(make_result(conversation_id="c"))
        release.join()
        assert db.conversations.stats().turns == 1
    finally:
        other.close()
        db.close()


def test_locked_non_wal_file_at_open(tmp_path: Path) -> None:
    path = tmp_path / "assistant.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("CREATE TABLE t (x)")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(AssistantError) as err:
            Database(tmp_path, busy_timeout_s=0.2)
        assert _code(err) == ErrorCode.STORE_LOCKED
    finally:
        other.close()


def test_full_database(tmp_path: Path, make_result: MakeResult) -> None:
    db = Database(tmp_path, max_size_bytes=160 * 1024)
    try:
        with pytest.raises(AssistantError) as err:
            for i in range(100):
                db.conversations.save_turn(make_result(conversation_id="c", reply="x" * 4000 + str(i)))
        assert _code(err) == ErrorCode.STORE_FULL
        assert "full" in err.value.message
        turns = db.conversations.stats().turns
        assert 0 < turns < 100  # earlier turns are intact; the failed one was rolled back
        assert len(db.conversations.turns("c")) == turns
    finally:
        db.close()


def test_closed_database(tmp_path: Path) -> None:
    db = Database(tmp_path)
    db.close()
    db.close()
    with pytest.raises(AssistantError) as err:
        db.conversations.list_conversations()
    assert _code(err) == ErrorCode.STORE_UNAVAILABLE


def test_database_path_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "assistant.sqlite").mkdir()
    with pytest.raises(AssistantError) as err:
        Database(tmp_path)
    assert _code(err) == ErrorCode.STORE_UNAVAILABLE
    assert str(tmp_path / "assistant.sqlite") in err.value.message


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("database is locked", ErrorCode.STORE_LOCKED),
        ("database or disk is full", ErrorCode.STORE_FULL),
        ("file is not a database", ErrorCode.STORE_UNAVAILABLE),
        ("database disk image is malformed", ErrorCode.STORE_UNAVAILABLE),
        ("unable to open database file", ErrorCode.STORE_UNAVAILABLE),
        ("attempt to write a readonly database", ErrorCode.STORE_UNAVAILABLE),
    ],
)
def test_sqlite_messages_map_to_codes(message: str, code: ErrorCode) -> None:
    from sqlalchemy.exc import OperationalError

    from assistant.store.errors import store_error

    wrapped = OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    error = store_error(wrapped, Path("/data/assistant.sqlite"))
    assert error.code == code
    assert "/data/assistant.sqlite" in error.message and error.details["cause"] == message
