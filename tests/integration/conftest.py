"""One real Assistant per test session (real store, simulated default home, embedded models)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    data: Path = tmp_path_factory.mktemp("assistant-data")
    a = Assistant.create(data_dir=str(data))
    try:
        yield a
    finally:
        a.close()
