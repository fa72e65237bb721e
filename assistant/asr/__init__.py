"""Speech recognition: faster-whisper locally (CPU or CUDA), or a remote OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.asr.biasing import bias_prompt
from assistant.asr.confidence import confidence
from assistant.asr.models import DeviceChoice, ModelSource, resolve_model, select_device
from assistant.asr.remote import RemoteRecognizer
from assistant.asr.streaming import StreamingSession
from assistant.asr.whisper import WhisperRecognizer
from assistant.config import AsrConfig

__all__ = [
    "DeviceChoice",
    "ModelSource",
    "RemoteRecognizer",
    "StreamingSession",
    "WhisperRecognizer",
    "bias_prompt",
    "confidence",
    "create_recognizer",
    "prepare",
    "select_device",
]


def create_recognizer(
    cfg: AsrConfig,
    *,
    data_dir: Path,
    offline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> WhisperRecognizer | RemoteRecognizer:
    """The configured recognizer: remote when ``asr.remote_url`` is set, else local faster-whisper."""
    if cfg.remote_url:
        return RemoteRecognizer(cfg)
    return WhisperRecognizer(cfg, data_dir=data_dir, offline=offline, progress=progress)


def prepare(
    cfg: AsrConfig, data_dir: Path, progress: Callable[[str], None] | None = None, *, offline: bool = True
) -> str:
    """Make the configured model available locally (joins the multilingual model once); returns its path or id."""
    if cfg.remote_url:
        return cfg.remote_url
    return resolve_model(cfg.model, data_dir=Path(data_dir), offline=offline, progress=progress).path_or_id
