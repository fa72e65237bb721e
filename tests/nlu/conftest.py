"""Fixtures for the understanding tests: a fake home and an engine without models."""

from __future__ import annotations

import pytest

from assistant.config import NluConfig
from assistant.nlu import Understanding, create_understanding
from tests.nlu.fakes import FakeHome, small_home


@pytest.fixture()
def home() -> FakeHome:
    """A fresh small home."""
    return small_home()


@pytest.fixture()
def engine(home: FakeHome) -> Understanding:
    """Templates + semantic tier, no embedder, no LLM."""
    return create_understanding(NluConfig(llm=False), home=home, intents=[], embedder=None, llm=None)
