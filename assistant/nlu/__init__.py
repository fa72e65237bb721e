"""Understanding: templates → grounded candidate ranking → constrained small LLM, with dialogue state.

The engine is imported lazily so that ``assistant.dialogue`` can use the catalog modules of this package without
an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.config import NluConfig
from assistant.nlu.trace import Trace
from contracts.engines import Embedder, LanguageModel
from contracts.home import HomeApi

if TYPE_CHECKING:
    from assistant.nlu.engine import UNKNOWN, Understanding, calibrate

__all__ = ["UNKNOWN", "Trace", "Understanding", "calibrate", "create_understanding"]


def __getattr__(name: str) -> Any:
    if name in {"UNKNOWN", "Understanding", "calibrate"}:
        from assistant.nlu import engine

        return getattr(engine, name)
    raise AttributeError(name)


def create_understanding(
    cfg: NluConfig,
    *,
    home: HomeApi,
    intents: Sequence[Any],
    embedder: Embedder | None,
    llm: LanguageModel | None,
) -> Understanding:
    """Build the understanding engine over the live home and the skills' intents (``SkillIntent`` items)."""
    from assistant.nlu.engine import Understanding

    return Understanding(cfg, home=home, intents=intents, embedder=embedder, llm=llm)
