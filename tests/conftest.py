"""Shared test set-up: offline, no telemetry, a private data dir so tests never touch ~/.local/share, and the
hypothesis profiles.

Hypothesis profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default, what ``make test`` runs) is deterministic: examples
are derived from each test, never from a random seed or a saved database, so a run passes or fails the same way every
time. ``soak`` (``make soak``) draws ten times the examples from random seeds to find new failures; each one found is
pinned in its test with ``@example(...)`` so that ``ci`` checks it from then on. Tests that set ``max_examples`` scale
it with ``tests.conftest.examples(n)``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_BASE_EXAMPLES = 100
settings.register_profile(
    "ci",
    max_examples=_BASE_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "soak",
    max_examples=10 * _BASE_EXAMPLES,
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """``n`` examples under the ``ci`` profile, scaled with the loaded profile (ten times ``n`` under ``soak``)."""
    return max(1, n * settings.default.max_examples // _BASE_EXAMPLES)


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
