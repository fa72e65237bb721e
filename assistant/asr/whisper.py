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
from assistant.asr.cuda import preload_cuda_libraries
from assistant.asr.grammar import HomeGrammar
from assistant.asr.models import DeviceChoice, ModelSource, resolve_model, select_device
from assistant.asr.rescoring import Choice, Hypothesis, choose
from assistant.asr.streaming import StreamingSession
from assistant.audio import SAMPLE_RATE, decode_audio
from assistant.config import AsrConfig
from contracts.engines import AudioInput
from contracts.messages import AssistantError, ErrorCode, Transcript

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
    choice: Choice | None = None
    """What grammar rescoring picked (None when it did not run)."""


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
        self._grammar: tuple[tuple[str, ...], HomeGrammar] | None = None
        self.last_choice: Choice | None = None
        """What grammar rescoring picked for the last final transcript (for traces and the benchmark)."""
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
        except Exception as exc:
            if self._choice.device == "cuda" and self._cfg.device == "auto":
                log.warning("Whisper on CUDA failed (%s); falling back to CPU int8.", exc)
                self._choice = select_device("cpu", "auto", self._cfg.cpu_threads)
                self._model = self._load(source, self._choice)
            elif isinstance(exc, AssistantError):
                raise
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

        if choice.device == "cuda":  # cuBLAS 12 from the pip wheels (`make gpu`), found without LD_LIBRARY_PATH
            preload_cuda_libraries()
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
            confidence=_with_grammar(confidence(decoded.avg_logprob, decoded.no_speech_prob), decoded.choice),
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

    def grammar(self, hotwords: Sequence[str]) -> HomeGrammar | None:
        """The home's command grammar over these names (cached while they stay the same); None without names."""
        key = tuple(hotwords)
        if not key:
            return None
        if self._grammar is None or self._grammar[0] != key:
            self._grammar = (key, HomeGrammar(key, language="en"))
        return self._grammar[1]

    def _window_s(self, samples: FloatArray) -> int:
        """Seconds of encoder window for this clip: its length + 1 s, at least ``window_s``, at most 30."""
        seconds = len(samples) / SAMPLE_RATE + 1.0
        return int(min(30.0, max(float(self._cfg.window_s), np.ceil(seconds))))

    def _decode(self, samples: FloatArray, *, language: str | None, hotwords: Sequence[str], partial: bool) -> Decoded:
        if (
            partial
            or self._multilingual_other(language)
            or (self._cfg.window_s >= 30 and not self._cfg.grammar_rescoring)
        ):
            if not partial:
                self.last_choice = None
            return self._decode_plain(samples, language=language, hotwords=hotwords, partial=partial)
        grammar = self.grammar(hotwords) if self._cfg.grammar_rescoring else None  # built outside the model lock
        decoded = self._decode_nbest(samples, hotwords=hotwords, grammar=grammar)
        self.last_choice = decoded.choice
        return decoded

    def _multilingual_other(self, language: str | None) -> bool:
        """True when a multilingual model is asked for (or may detect) a language other than English."""
        self.warmup()
        if not self._multilingual:
            return False
        if language:
            return str(language).split("-")[0].lower() != "en"
        return [lang for lang in self._cfg.allowed_languages if lang] != ["en"]

    def _decode_nbest(self, samples: FloatArray, *, hotwords: Sequence[str], grammar: HomeGrammar | None) -> Decoded:
        """VAD-trimmed English audio, one encoder pass over a short window, beam n-best, then the grammar's choice
        (without a grammar: ``beam_size`` and the top hypothesis)."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        cfg = self._cfg
        prompt_text = bias_prompt(hotwords, cfg.bias_max_chars) if cfg.biasing else None
        speech = samples
        if cfg.vad and len(samples) >= cfg.vad_min_s * SAMPLE_RATE:
            spans = get_speech_timestamps(samples, VadOptions())
            if not spans:
                return Decoded("", "en", float("-inf"), 1.0, 0.0)
            chunks, _meta = collect_chunks(samples, spans)
            speech = np.concatenate(chunks) if chunks else samples
        with self._lock:
            model = self._ensure_model()
            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
            prompt: list[int] = []
            if prompt_text:
                prompt = [
                    tokenizer.sot_prev,
                    *tokenizer.encode(" " + prompt_text.strip())[-(model.max_length // 2 - 1) :],
                ]
            prompt += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
            features = model.feature_extractor(speech)
            window = self._window_s(speech)
            results = None
            for frames in dict.fromkeys((window * 100, 3000)):
                segment = features[:, :frames]
                if segment.shape[1] < frames:
                    segment = np.pad(segment, ((0, 0), (0, frames - segment.shape[1])))
                encoded = model.model.encode(
                    ctranslate2.StorageView.from_array(np.ascontiguousarray(segment[None], dtype=np.float32)),
                    to_cpu=False,
                )
                beam = max(1, cfg.nbest if grammar is not None else cfg.beam_size)
                max_tokens = int(min(model.max_length // 2, 12 * len(speech) / SAMPLE_RATE + 16))  # ~3 words/s
                results = model.model.generate(
                    encoded,
                    [prompt],
                    beam_size=beam,
                    num_hypotheses=beam,
                    return_scores=True,
                    return_no_speech_prob=True,
                    max_length=len(prompt) + max_tokens,
                    suppress_blank=True,
                    suppress_tokens=[-1],
                )[0]
                top_tokens = results.sequences_ids[0] if results.sequences_ids else []
                top_text = tokenizer.decode(top_tokens)
                too_many = len(top_text.split()) > 4.5 * len(speech) / SAMPLE_RATE + 2  # fast speech is ~3.5 words/s
                if len(top_tokens) < max_tokens - 1 and not too_many and not _repetitive(top_text):
                    break  # a sane short-window decode; else redo with Whisper's full 30 s window
            assert results is not None
            hypotheses = [
                Hypothesis(text=tokenizer.decode(ids).strip(), logprob=float(score))
                for ids, score in zip(results.sequences_ids, results.scores, strict=False)
            ]
            no_speech = float(results.no_speech_prob)
        hypotheses = [h for h in hypotheses if h.text] or hypotheses
        if grammar is None:
            choice = Choice(text=hypotheses[0].text if hypotheses else "", source="open", index=0)
        else:
            choice = choose(
                hypotheses,
                grammar,
                weight=cfg.grammar_weight,
                max_cost=cfg.grammar_max_cost,
                max_cost_per_word=cfg.grammar_max_cost_per_word,
            )
        picked = hypotheses[choice.index] if hypotheses else None
        return Decoded(
            text=choice.text,
            language="en",
            avg_logprob=picked.logprob if picked else float("-inf"),
            no_speech_prob=no_speech,
            speech_s=len(speech) / SAMPLE_RATE,
            choice=choice,
        )

    def _decode_plain(
        self, samples: FloatArray, *, language: str | None, hotwords: Sequence[str], partial: bool
    ) -> Decoded:
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
                chunk_length=self._window_s(samples),
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


def _repetitive(text: str) -> bool:
    """A decoding loop: text that gzips too well (Whisper's compression-ratio test) or a run of 2+ words said
    twice in a row ('turn off the light turn off the light'), the way a short window makes tiny.en repeat itself."""
    import zlib

    data = text.encode("utf-8")
    if len(data) > 24 and len(data) / max(1, len(zlib.compress(data))) > 2.4:
        return True
    words = [w.strip(".,!?").lower() for w in text.split()]
    for k in range(2, len(words) // 2 + 1):
        for i in range(len(words) - 2 * k + 1):
            if words[i : i + k] == words[i + k : i + 2 * k]:
                return True
    return False


def _command_words() -> frozenset[str]:
    """The words the understanding engine's lexicon knows (empty when it is not importable)."""
    try:
        from assistant.nlu.lexicon import lexicon_words
    except ImportError:  # pragma: no cover - the nlu package is part of the product
        return frozenset()
    return lexicon_words()


def _with_grammar(value: float, choice: Choice | None) -> float:
    """A transcript that is (almost) exactly a command of this home is more likely right than its token
    probabilities say: halve the doubt. (Whisper's confidence in a short command with a rare name is low even when
    every word is right, and the pipeline asks for a repeat below ``asr.min_confidence``.)"""
    if choice is None or choice.source != "grammar" or choice.cost is None or choice.cost > 0.5:
        return value
    return round(1.0 - (1.0 - value) / 2.0, 4)
