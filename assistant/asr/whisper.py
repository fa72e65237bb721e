"""The local faster-whisper recognizer: one model instance, one lock held for the whole decode."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.asr.biasing import bias_prompt
from assistant.asr.confidence import confidence, weighted_mean
from assistant.asr.correction import VocabularySnapper
from assistant.asr.models import DeviceChoice, ModelSource, resolve_model, select_device
from assistant.asr.streaming import StreamingSession
from assistant.audio import SAMPLE_RATE, decode_audio
from assistant.config import AsrConfig
from assistant.engines import AudioInput
from assistant.messages import AssistantError, ErrorCode, Transcript

__all__ = ["Decoded", "WhisperRecognizer"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Decoded:
    """Raw decode figures before the no-speech decision."""

    text: str
    """Joined segment texts."""
    language: str
    """Language decoded with."""
    avg_logprob: float
    """Token-weighted mean log-probability."""
    no_speech_prob: float
    """Token-weighted mean no-speech probability."""
    speech_s: float
    """Seconds of audio left after VAD."""


class WhisperRecognizer:
    """faster-whisper speech recognition (a ``SpeechRecognizer``); thread-safe, decodes one utterance at a time."""

    def __init__(
        self,
        cfg: AsrConfig,
        *,
        data_dir: Path,
        offline: bool = True,
        progress: Callable[[str], None] | None = None,
        cuda_devices: Callable[[], int] | None = None,
    ) -> None:
        self._cfg = cfg
        self._data_dir = Path(data_dir)
        self._offline = offline
        self._progress = progress
        self._choice: DeviceChoice = select_device(
            cfg.device, cfg.compute_type, cfg.cpu_threads, cuda_devices=cuda_devices
        )
        self._lock = threading.Lock()
        self._model: Any = None
        self._multilingual: bool | None = None
        self._snapper: tuple[tuple[tuple[str, ...], float], VocabularySnapper] | None = None
        if offline:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if cfg.load == "start":
            self.warmup()

    @property
    def device(self) -> str:
        """'cpu' or 'cuda' (after a CUDA failure under 'auto', 'cpu')."""
        return self._choice.device

    @property
    def compute_type(self) -> str:
        """The CTranslate2 compute type in use."""
        return self._choice.compute_type

    @property
    def config(self) -> AsrConfig:
        """The ASR section this recognizer was built from."""
        return self._cfg

    @property
    def multilingual(self) -> bool:
        """True when the model is multilingual (loads it)."""
        self.warmup()
        return bool(self._multilingual)

    def update_config(self, **changes: Any) -> None:
        """Change decoding options (biasing, VAD, limits) keeping the loaded model; model and device are fixed."""
        fixed = {"model", "device", "compute_type", "cpu_threads", "remote_url"} & set(changes)
        if fixed:
            raise ValueError(f"cannot change {sorted(fixed)} on a loaded recognizer")
        self._cfg = self._cfg.model_copy(update=changes)

    def warmup(self) -> None:
        """Load the model now (idempotent)."""
        with self._lock:
            self._ensure_model()

    def _ensure_model(self) -> Any:
        if self._model is not None:
            return self._model
        source = resolve_model(self._cfg.model, data_dir=self._data_dir, offline=self._offline, progress=self._progress)
        try:
            self._model = self._load(source, self._choice)
        except AssistantError:
            raise
        except Exception as exc:
            if self._choice.device == "cuda" and self._cfg.device == "auto":
                log.warning("Whisper on CUDA failed (%s); falling back to CPU int8.", exc)
                self._choice = select_device("cpu", "auto", self._cfg.cpu_threads)
                self._model = self._load(source, self._choice)
            else:
                raise AssistantError(
                    ErrorCode.MODEL_UNAVAILABLE,
                    f"The speech model could not be loaded: {exc}",
                    details={"model": self._cfg.model, "device": self._choice.device},
                ) from exc
        self._multilingual = bool(self._model.model.is_multilingual)
        return self._model

    def _load(self, source: ModelSource, choice: DeviceChoice) -> Any:
        from faster_whisper import WhisperModel

        model = WhisperModel(
            source.path_or_id,
            device=choice.device,
            compute_type=choice.compute_type,
            cpu_threads=choice.cpu_threads,
            download_root=None if source.local else str(self._data_dir / "models" / "hub"),
            local_files_only=self._offline or source.local,
        )
        if choice.device == "cuda":  # prove the CUDA libraries work before the first user request does
            segments, _ = model.transcribe(np.zeros(SAMPLE_RATE // 2, np.float32), language="en", vad_filter=False)
            list(segments)
        return model

    def transcribe(self, audio: AudioInput, *, language: str | None = None, hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe one utterance (bytes or a path, any common format). Raises ``AssistantError`` (asr-*)."""
        decoded = decode_audio(audio, max_duration_s=self._cfg.max_duration_s)
        return self.transcribe_array(decoded.samples, language=language, hotwords=hotwords)

    def transcribe_array(
        self,
        samples: FloatArray,
        *,
        language: str | None = None,
        hotwords: Sequence[str] = (),
        partial: bool = False,
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples; ``partial`` = a quick, unfiltered pass for streaming."""
        duration = len(samples) / SAMPLE_RATE
        if len(samples) == 0:
            raise AssistantError(ErrorCode.ASR_EMPTY, "The audio holds no samples.")
        if duration > self._cfg.max_duration_s + 0.05:
            raise AssistantError(
                ErrorCode.ASR_TOO_LONG,
                f"The recording is too long ({duration:.0f} s); the limit is {self._cfg.max_duration_s:.0f} s.",
                details={"duration_s": round(duration, 2), "max_duration_s": self._cfg.max_duration_s},
            )
        decoded = self._decode(samples, language=language, hotwords=hotwords, partial=partial)
        if not decoded.text or decoded.speech_s <= 0.0 or decoded.no_speech_prob >= self._cfg.no_speech_max:
            raise AssistantError(
                ErrorCode.ASR_NO_SPEECH,
                "I didn't hear any speech.",
                details={"duration_s": round(duration, 2), "no_speech_prob": round(decoded.no_speech_prob, 4)},
            )
        text = decoded.text if partial or not self._cfg.vocab_correction else self._correct(decoded.text, hotwords)
        return Transcript(
            text=text,
            language=decoded.language,
            avg_logprob=round(decoded.avg_logprob, 4),
            no_speech_prob=round(decoded.no_speech_prob, 4),
            confidence=confidence(decoded.avg_logprob, decoded.no_speech_prob),
            duration_s=round(duration, 3),
            is_final=not partial,
        )

    def snapper(self, hotwords: Sequence[str]) -> VocabularySnapper:
        """The vocabulary corrector for these names plus the understanding lexicon's command words (cached)."""
        key = (tuple(hotwords), self._cfg.correction_min_similarity)
        if self._snapper is None or self._snapper[0] != key:
            common = self._common_words()
            self._snapper = (key, VocabularySnapper(hotwords, _command_words(), min_similarity=key[1], common=common))
        return self._snapper[1]

    def _common_words(self) -> frozenset[str]:
        """Whole-word tokens of the model's tokenizer: frequent English words, never snapped on their own."""
        self.warmup()
        try:
            vocab = self._model.hf_tokenizer.get_vocab()
        except AttributeError:  # pragma: no cover - a faster-whisper without hf_tokenizer
            return frozenset()
        return frozenset(k[1:].lower() for k in vocab if k.startswith("Ġ") and k[1:].isalpha())

    def _correct(self, text: str, hotwords: Sequence[str]) -> str:
        corrected, snaps = self.snapper(hotwords).correct(text)
        if snaps:
            log.debug("ASR vocabulary snaps: %s", snaps)
        return corrected

    def stream(self, language: str | None = None, hotwords: Sequence[str] = ()) -> StreamingSession:
        """A streaming session: feed PCM chunks, get occasional partials, a final transcript at end of speech."""

        def decode(samples: FloatArray, partial: bool) -> Transcript:
            return self.transcribe_array(samples, language=language, hotwords=hotwords, partial=partial)

        return StreamingSession(
            decode,
            max_duration_s=self._cfg.max_duration_s,
            partial_interval_s=self._cfg.stream_partial_s,
            silence_s=self._cfg.stream_silence_s,
        )

    def _language_options(self, model: Any, samples: FloatArray, language: str | None) -> str:
        if not self._multilingual:
            return "en"
        if language:
            return language
        allowed = [lang for lang in self._cfg.allowed_languages if lang]
        if len(allowed) <= 1:
            return allowed[0] if allowed else self._cfg.language
        _, _, probs = model.detect_language(audio=samples, vad_filter=self._cfg.vad)
        ranked = {code: prob for code, prob in probs or ()}
        best = max(allowed, key=lambda code: ranked.get(code, 0.0))
        return best if ranked.get(best, 0.0) > 0.0 else self._cfg.language

    def _decode(self, samples: FloatArray, *, language: str | None, hotwords: Sequence[str], partial: bool) -> Decoded:
        prompt = bias_prompt(hotwords, self._cfg.bias_max_chars) if self._cfg.biasing else None
        mode = self._cfg.bias_mode
        use_vad = self._cfg.vad and not partial and len(samples) >= self._cfg.vad_min_s * SAMPLE_RATE
        temperature: float | list[float] = [0.0, 0.2, 0.4, 0.6] if self._cfg.temperature_fallback else 0.0
        with self._lock:  # held for the whole decode: the segments generator does the work lazily
            model = self._ensure_model()
            lang = self._language_options(model, samples, language)
            segments_iter, info = model.transcribe(
                samples,
                language=lang,
                beam_size=1 if partial else max(1, self._cfg.beam_size),
                vad_filter=use_vad,
                without_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=prompt if mode in ("prompt", "both") else None,
                hotwords=prompt if mode in ("hotwords", "both") else None,
                temperature=0.0 if partial else temperature,
            )
            segments = list(segments_iter)
        texts = [s.text.strip() for s in segments if s.text.strip()]
        weights = [max(1, len(s.tokens)) for s in segments]
        return Decoded(
            text=" ".join(texts).strip(),
            language=str(info.language or lang),
            avg_logprob=weighted_mean([s.avg_logprob for s in segments], weights) if segments else float("-inf"),
            no_speech_prob=weighted_mean([s.no_speech_prob for s in segments], weights) if segments else 1.0,
            speech_s=float(info.duration_after_vad),
        )


def _command_words() -> frozenset[str]:
    """The words the understanding engine's lexicon knows (empty when it is not importable)."""
    try:
        from assistant.nlu.lexicon import lexicon_words
    except ImportError:  # pragma: no cover - the nlu package is part of the product
        return frozenset()
    return lexicon_words()
