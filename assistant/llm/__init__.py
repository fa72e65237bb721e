"""Language-model backends: local transformers (embedded GGUF, folders, hub ids) or an OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

from assistant.config import LlmConfig
from assistant.llm.local import TransformersLLM
from assistant.llm.models import EMBEDDED_LLMS, Progress, ensure_local_model, resolve_model_source
from assistant.llm.openai_compat import OpenAICompatibleLLM
from assistant.llm.text import ChatMessage

__all__ = [
    "EMBEDDED_LLMS",
    "ChatMessage",
    "OpenAICompatibleLLM",
    "TransformersLLM",
    "create_llm",
    "prepare_llm",
]


def prepare_llm(cfg: LlmConfig, data_dir: Path, progress: Progress | None = None) -> str | None:
    """Convert and cache the configured local model ahead of time; returns the folder (None when nothing to do)."""
    if cfg.backend != "local":
        return None
    return ensure_local_model(resolve_model_source(cfg.model), data_dir, progress=progress)


def create_llm(
    cfg: LlmConfig, *, data_dir: Path, progress: Progress | None = None
) -> TransformersLLM | OpenAICompatibleLLM | None:
    """The configured language model, or None for backend 'none'. Local weights load lazily unless load='start'."""
    if cfg.backend == "none":
        return None
    if cfg.backend == "openai":
        return OpenAICompatibleLLM.from_config(cfg)
    source = resolve_model_source(cfg.model)

    def folder() -> str:
        return ensure_local_model(source, data_dir, progress=progress)

    llm = TransformersLLM(
        folder,
        device=cfg.device,
        max_new_tokens=cfg.max_new_tokens,
        name=cfg.model,
        prefix_cache_tokens=cfg.prefix_cache_tokens,
        packed_scoring=cfg.packed_scoring,
        score_memo_size=cfg.score_memo_size,
    )
    if cfg.load == "start":
        llm.warmup()
    return llm
