"""A local-first home voice assistant and chatbot. Public API: ``Assistant``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Assistant", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from assistant.app import Assistant


def __getattr__(name: str) -> Any:
    # lazy: importing a light engine module (assistant.config, assistant.jsonl) must not load the whole engine
    if name == "Assistant":
        from assistant.app import Assistant

        return Assistant
    raise AttributeError(name)
