"""Understanding: templates → grounded candidate ranking → constrained small LLM, with dialogue state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.config import NluConfig
from assistant.engines import Embedder, LanguageModel
from assistant.nlu.engine import UNKNOWN, Understanding, calibrate
from assistant.nlu.trace import Trace
from devices.api import HomeApi

__all__ = ["UNKNOWN", "Trace", "Understanding", "calibrate", "create_understanding"]


def create_understanding(
    cfg: NluConfig,
    *,
    home: HomeApi,
    intents: Sequence[Any],
    embedder: Embedder | None,
    llm: LanguageModel | None,
) -> Understanding:
    """Build the understanding engine over the live home and the skills' intents (``SkillIntent`` items)."""
    return Understanding(cfg, home=home, intents=intents, embedder=embedder, llm=llm)
