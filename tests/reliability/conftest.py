"""Fixtures of the reliability tests (helpers in ``helpers.py``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # benchmarks/ and tests/ helpers are imported from the source tree
    sys.path.insert(0, str(_ROOT))

from tests.reliability.helpers import MOSQUITTO, Broker  # noqa: E402


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running mosquitto (skips when it is not installed)."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (make setup installs it)")
    b = Broker(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()
