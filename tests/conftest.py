"""Shared test set-up: offline, no telemetry, and a private data dir so tests never touch ~/.local/share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_SESSION_DATA = Path(tempfile.mkdtemp(prefix="assistant-test-data-"))
os.environ["ASSISTANT_DATA_DIR"] = str(_SESSION_DATA)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "data" / "eval"


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir for one test (also exported as ASSISTANT_DATA_DIR)."""
    path = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """The shared evaluation data (development portions)."""
    if not SHARED_EVAL.is_dir():
        pytest.skip(f"shared eval data not found at {SHARED_EVAL}")
    return SHARED_EVAL
