"""First-run preparation: check the embedded models and cache slow conversions (idempotent, fast when done)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from assistant.config import Config

__all__ = ["prepare_all"]


def prepare_all(cfg: Config, *, progress: Callable[[str], None] = print) -> None:
    """Run every engine's prepare step (each is a no-op when its cache is ready)."""
    cache_dir = Path(cfg.cache_dir).expanduser()
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if cfg.llm.backend == "local":
        from assistant.llm import prepare_llm

        prepare_llm(cfg.llm, cache_dir, progress)
    from assistant.asr import prepare as prepare_asr

    prepare_asr(cfg.asr, cache_dir, progress)
    progress(f"Models ready ({time.perf_counter() - started:.1f} s).")
