"""Fixtures of the dialogue tests: where they exercise the store, a real database, SQLite and PostgreSQL (as in
tests/store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.dialogue.confirm import PendingStore, StoredPendingStore
from assistant.store import Database
from tests.postgres import postgres  # noqa: F401 (a fixture)

OpenWorker = Callable[[], Database]


@pytest.fixture(params=["sqlite", "postgresql"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenWorker]:
    """Opens another worker's ``Database`` on one shared database (a SQLite file, or a new PostgreSQL database)."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").database()
    opened: list[Database] = []

    def open_worker() -> Database:
        database = Database(tmp_path / "data", busy_timeout_s=2.0, url=url)
        opened.append(database)
        return database

    yield open_worker
    for database in opened:
        database.close()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def pending_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PendingStore | None]:
    """Where the confirmation service keeps pending actions: in memory (None: its default), or in a real database
    (``StoredPendingStore``) on SQLite or PostgreSQL."""
    if request.param == "memory":
        yield None
        return
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    database = Database(tmp_path / "data", busy_timeout_s=2.0, url=url)
    yield StoredPendingStore(database.pending)
    database.close()
