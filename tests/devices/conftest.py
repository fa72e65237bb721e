"""Shared fixtures for the devices tests: the default home on a temporary state file, and the eval fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices import Home, create_home

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOME = PROJECT_ROOT / "config" / "homes" / "default.yaml"
EVAL_DIR = PROJECT_ROOT.parent / "shared" / "data" / "eval"
HA_FIXTURES = EVAL_DIR / "intents" / "ha_fixtures.json"
HA_LOCAL_FIXTURES = EVAL_DIR / "intents" / "ha_local_fixtures.json"
SPEECH_FIXTURES = EVAL_DIR / "speech" / "speech_stp_en_commands" / "fixtures_en.json"


def need(path: Path) -> Path:
    """Skip when a shared evaluation file is not present in this checkout."""
    if not path.exists():
        pytest.skip(f"evaluation data not present: {path}")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    """The default home, simulated, with its state in a fresh SQLite file."""
    h = create_home(file=DEFAULT_HOME, data_dir=tmp_path)
    yield h
    h.close()
