"""The PostgreSQL fixture of the tests (the server itself is ``benchmarks.postgres``, shared with the benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.postgres import PostgresServer, missing_reason

__all__ = ["PostgresServer", "missing_reason", "postgres"]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the test session (skips, with the reason, where it cannot run).

    Import it into a conftest.py to use it: ``from tests.postgres import postgres``."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = PostgresServer(tmp_path_factory.mktemp("postgres")).start()
    yield server
    server.stop()
