"""The engine facade: ``Assistant.create()`` wires config, store, home, models, skills and the pipeline.

This is the public API for embedding and measurement (documented in the README):

    from assistant import Assistant
    a = Assistant.create()                       # embedded defaults, simulated default home
    r = a.handle_text("turn on the kitchen light")
    a.home.states()["light.kitchen"]
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, Config, load_config
from assistant.dialogue.confirm import (
    ConfirmationService,
    ControlOutcome,
    GuardedHome,
    PendingConfirmation,
    StoredPendingStore,
)
from assistant.events import EventBus
from assistant.pipeline import Pipeline, PipelineOptions
from contracts.engines import AudioInput, Embedder, LanguageModel, SpeechRecognizer, SpeechSynthesizer
from contracts.messages import AssistantError, ErrorCode, EventType, PipelineEvent, StateChange, Turn, TurnResult

__all__ = ["Assistant", "set_offline_environment"]

_log = logging.getLogger("assistant")


def set_offline_environment(offline: bool = True) -> None:
    """No hub access and no telemetry unless the user turns offline mode off."""
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    else:  # the user chose hub ids as model names
        os.environ["HF_HUB_OFFLINE"] = "0"
        os.environ["TRANSFORMERS_OFFLINE"] = "0"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bars on every model load


class _Lazy:
    """Build an engine on first use, once, thread-safely."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._value: Any = None
        self._built = False
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        """The last build failure (a later call tries again)."""

    def __call__(self) -> Any:
        if not self._built:
            with self._lock:
                if not self._built:
                    try:
                        self._value = self._factory()
                    except BaseException as exc:
                        self.error = exc
                        raise
                    self.error = None
                    self._built = True
        return self._value

    @property
    def built(self) -> bool:
        return self._built


def _error_text(exc: BaseException) -> str:
    """A one-line description of a start-up failure (the code and message of an AssistantError)."""
    if isinstance(exc, AssistantError):
        return f"Loading models failed [{exc.code.value}]: {exc.message}"
    return f"Loading models failed: {exc}"


class Assistant:
    """The whole assistant: call ``create()``, then ``handle_text`` / ``handle_audio``."""

    def __init__(self, *, config: Config, home_file: Path | None = None, defer_models: bool = False) -> None:
        self.config = config
        set_offline_environment(config.offline)
        data_dir = Path(config.data_dir).expanduser()
        self.data_dir = data_dir
        self.cache_dir = Path(config.cache_dir).expanduser()
        """Model caches (shared by all data dirs)."""
        self.bus = EventBus()

        from assistant.store import Database

        self.db = Database(data_dir, url=config.store.url)
        from devices import create_home_from_config

        home_section = config.home
        if home_file is not None:
            home_section = home_section.model_copy(update={"file": str(home_file)})
        self.home = create_home_from_config(home_section, data_dir=data_dir, project_root=PROJECT_ROOT)
        self._unsubscribe_home = self.home.subscribe(self._on_state_change)

        self._embedder = _Lazy(self._build_embedder)
        self._llm = _Lazy(self._build_llm)
        self._asr = _Lazy(self._build_asr)
        self._tts = _Lazy(self._build_tts)

        from skills.registry import SkillRegistry

        skills_folder = config.skills.folder
        folder = None
        if skills_folder:
            folder = Path(skills_folder).expanduser()
            if not folder.is_absolute():
                folder = data_dir / folder
        self.skills = SkillRegistry.load(
            folder=folder,
            disabled=config.skills.disabled,
            settings=config.skills.settings,
            host=lambda skill_id: _SkillHost(self, skill_id),
        )
        for err in self.skills.errors:
            _log.warning("skill load error: %s", err)

        from assistant.rag import KnowledgeBase

        self.kb = KnowledgeBase(self.db.knowledge, _LazyEmbedder(self._embedder), config.rag)

        self._understanding = _Lazy(self._build_understanding)
        self._startup = _Lazy(self._load_models)
        self._startup_started = 0.0
        self._startup_s: float | None = None

        from assistant.sentiment import create_analyzer
        from assistant.sentiment.policy import ResponsePolicy

        probe_states = self._probe_states()  # no local SmolLM2 to share: no probe (never a second model copy)
        sentiment = create_analyzer(
            config.sentiment if probe_states else config.sentiment.model_copy(update={"llm_probe": False}),
            embedder=_LazyEmbedder(self._embedder),
            probe_states=probe_states,
        )
        self.pipeline = Pipeline(
            understanding=_DeferredUnderstanding(self),
            skills=_SkillDispatch(self),
            store=_StoreAdapter(self.db),
            home=self.home,
            sentiment=sentiment,
            policy=ResponsePolicy(config.sentiment),
            asr=self._asr,
            tts=self._tts,
            bus=self.bus,
            options=PipelineOptions(
                max_text_chars=min(config.pipeline.max_text_chars, config.nlu.max_text_chars),
                min_asr_confidence=config.asr.min_confidence,
                confirm_pin=config.nlu.confirm_pin,
                asr_language=config.asr.language if config.asr.model.endswith(".en") else None,
                bias_hotwords=config.asr.biasing,
                workers=config.pipeline.workers,
                turn_lease_s=config.store.turn_lease_s,
                turn_wait_s=config.store.turn_wait_s,
            ),
            confirmations=ConfirmationService(  # in the store: any worker on it answers a pending action
                pin=config.nlu.confirm_pin,
                ttl_s=config.nlu.confirm_ttl_s,
                max_attempts=config.nlu.confirm_max_attempts,
                lockout_s=config.nlu.confirm_lockout_s,
                store=StoredPendingStore(self.db.pending),
            ),
        )
        if not defer_models:
            self.ensure_ready()

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(
        cls,
        config: Config | str | Path | None = None,
        home: str | Path | None = None,
        *,
        defer_models: bool = False,
        **overrides: Any,
    ) -> Assistant:
        """Build an assistant from a Config, a YAML path or the defaults (+ keyword overrides).

        With ``defer_models`` the understanding engine (intent embeddings) and the knowledge-base ingest are left
        to ``start_loading()`` or the first request, so a server can listen at once; requests wait for them.
        """
        cfg = config if isinstance(config, Config) else load_config(config, **overrides)
        return cls(config=cfg, home_file=Path(home).expanduser() if home else None, defer_models=defer_models)

    def _load_models(self) -> float:
        """Build the understanding engine and index the knowledge folder; returns the seconds it took."""
        import time

        started = time.perf_counter()
        self._startup_started = started
        self._understanding()
        self.ingest_default_knowledge()
        self._startup_s = time.perf_counter() - started
        return self._startup_s

    def ensure_ready(self) -> None:
        """Build what requests need (once); waits while a background start-up is doing it."""
        self._startup()

    @property
    def ready(self) -> bool:
        """True once the understanding engine is built and the knowledge folder indexed."""
        return self._startup.built

    def models_status(self) -> dict[str, Any]:
        """Start-up state for the UI: ready, still loading (requests wait), or failed (with the message)."""
        if self._startup.built:
            return {"state": "ready", "seconds": self._startup_s, "message": "Models ready."}
        if self._startup.error is not None:
            return {"state": "failed", "seconds": None, "message": _error_text(self._startup.error)}
        return {
            "state": "loading",
            "seconds": None,
            "message": "Loading the language models; requests sent now will run as soon as they are ready.",
        }

    def start_loading(self, *, warm: bool = True, on_ready: Callable[[dict[str, Any]], None] | None = None) -> Any:
        """Load models in a background thread (then warm them up unless ``warm`` is False); returns the thread."""

        def work() -> None:
            try:
                self.ensure_ready()
                if warm:
                    self.warmup()
            except Exception:  # the next request retries and reports it; the UI shows models_status()
                _log.exception("loading models failed")
            if on_ready is not None:
                on_ready(self.models_status())

        thread = threading.Thread(target=work, name="load-models", daemon=True)
        thread.start()
        return thread

    def ingest_default_knowledge(self) -> None:
        """Index the configured knowledge folder (incremental: unchanged files are skipped)."""
        folder = self.config.resolve_path(self.config.rag.folder)
        if not folder.is_dir():
            _log.warning("knowledge folder %s does not exist; FAQ answers only from uploads", folder)
            return
        for report in self.kb.ingest_folder(folder):
            if report.error_code:
                _log.warning("knowledge base: %s: %s", report.name, report.message)

    # ------------------------------------------------------------------ engines (lazy)

    def _build_understanding(self) -> Any:
        from assistant.nlu import create_understanding

        cfg = self.config
        engine = create_understanding(
            cfg.nlu,
            home=self.home,
            intents=self.skills.intents(),
            embedder=_LazyEmbedder(self._embedder) if cfg.nlu.semantic else None,
            llm=_LazyLLM(self._llm) if (cfg.nlu.llm and cfg.llm.backend != "none") else None,
        )
        dialogue = getattr(engine, "dialogue", None)
        if cfg.store.url and dialogue is not None:  # several workers: follow-ups work on whichever gets the turn
            dialogue.use_records(self.db.dialogue)
        return engine

    @property
    def understanding(self) -> Any:
        """The understanding engine (built on first use; waits while a background start-up builds it)."""
        return self._understanding()

    def _build_embedder(self) -> Embedder:
        from assistant.embeddings import create_embedder

        return create_embedder(self.config.embeddings)

    def _probe_states(self) -> Callable[[Any, int], Any] | None:
        """Hidden states for the sentiment probe from the assistant's own SmolLM2 (shared, not a second copy).

        None when the probe is off or the configured LLM is another model, a remote server or none: the probe then
        stays off rather than loading a second copy.
        """
        from assistant.sentiment import PROBE_MODEL

        cfg = self.config
        if not cfg.sentiment.llm_probe or cfg.llm.backend != "local" or cfg.llm.model != PROBE_MODEL:
            return None
        wait_s = cfg.sentiment.probe_wait_s

        def states(texts: Any, layer: int) -> Any:
            read = getattr(self._llm(), "hidden_states", None)
            return read(texts, layer, wait_s=wait_s) if callable(read) else None

        return states

    def _build_llm(self) -> LanguageModel | None:
        from assistant.llm import create_llm

        return create_llm(self.config.llm, data_dir=self.cache_dir)

    def _build_asr(self) -> SpeechRecognizer:
        from assistant.asr import create_recognizer

        return create_recognizer(self.config.asr, data_dir=self.cache_dir, offline=self.config.offline)

    def _build_tts(self) -> SpeechSynthesizer | None:
        from assistant.tts import create_synthesizer

        return create_synthesizer(self.config.tts, data_dir=self.data_dir)

    @property
    def embedder(self) -> Embedder:
        """The shared sentence embedder."""
        return self._embedder()  # type: ignore[no-any-return]

    @property
    def llm(self) -> LanguageModel | None:
        """The shared language model (None when disabled)."""
        return self._llm()  # type: ignore[no-any-return]

    @property
    def asr(self) -> SpeechRecognizer:
        """The shared speech recognizer."""
        return self._asr()  # type: ignore[no-any-return]

    @property
    def tts(self) -> SpeechSynthesizer | None:
        """The speech synthesizer, if any."""
        return self._tts()  # type: ignore[no-any-return]

    def warmup(self, *, asr: bool = True) -> dict[str, float]:
        """Load models and compile templates now instead of on the first request; milliseconds per step."""
        import time

        self.ensure_ready()
        timings = {f"nlu.{k}": v for k, v in self.understanding.warmup().items()}
        started = time.perf_counter()
        if self.pipeline.sentiment is not None:
            self.pipeline.sentiment.analyze("thanks, that works")
        timings["sentiment"] = round((time.perf_counter() - started) * 1000, 1)
        if asr:
            started = time.perf_counter()
            warm = getattr(self.asr, "warmup", None)
            if callable(warm):
                warm()
            timings["asr"] = round((time.perf_counter() - started) * 1000, 1)
        _log.info("warm-up done: %s", timings)
        return timings

    # ------------------------------------------------------------------ turns

    def handle_text(
        self,
        text: str,
        conversation_id: str | None = None,
        area: str | None = None,
        *,
        speak: bool = False,
        owner: str | None = None,
        request_id: str | None = None,
    ) -> TurnResult:
        """Run one typed turn end to end (stored in the conversation store).

        ``owner`` (a browser session or signed-in user) is recorded on a new conversation; a conversation of another
        owner is refused with conversation-forbidden (nothing runs, nothing is stored). ``request_id`` becomes the
        turn id, so a client's retry of the same request replaces its stored turn rather than adding one.
        """
        self.ensure_ready()
        turn = Turn(text=text, conversation_id=conversation_id, area=area, owner=owner, request_id=request_id)
        return self.pipeline.run(turn, speak=speak)

    def handle_audio(
        self,
        audio: AudioInput,
        conversation_id: str | None = None,
        area: str | None = None,
        *,
        language: str | None = None,
        speak: bool = False,
        owner: str | None = None,
    ) -> TurnResult:
        """Run one spoken turn (a path or the bytes of any common audio format)."""
        self.ensure_ready()
        if isinstance(audio, str | Path):
            try:
                data = Path(audio).read_bytes()
            except OSError as exc:
                raise AssistantError(
                    ErrorCode.ASR_UNREADABLE, f"Audio file not readable: {audio}", details={"path": str(audio)}
                ) from exc
        else:
            data = audio
        turn = Turn(audio=data, conversation_id=conversation_id, area=area, language=language, owner=owner)
        return self.pipeline.run(turn, speak=speak)

    def stream_text(
        self,
        text: str,
        conversation_id: str | None = None,
        area: str | None = None,
        *,
        speak: bool = False,
        owner: str | None = None,
    ) -> Iterator[str | TurnResult]:
        """Yield reply tokens as they are produced (text generation), then the TurnResult."""
        self.ensure_ready()
        turn = Turn(text=text, conversation_id=conversation_id, area=area, owner=owner)
        return self.pipeline.stream(turn, speak=speak)

    # ------------------------------------------------------------------ confirmations (one service for every front end)

    @property
    def confirmations(self) -> ConfirmationService:
        """The confirmation service shared by chat, voice, the Home tab and the APIs."""
        return self.pipeline.confirmations

    def pending(self, conversation_id: str, *, owner: str | None = None) -> PendingConfirmation | None:
        """The sensitive action waiting for a yes/no in a conversation (None if none, expired, or not ``owner``'s)."""
        held = self.confirmations.current(conversation_id, owner=owner)
        return held.view if held is not None else None

    def answer_confirmation(
        self,
        conversation_id: str,
        *,
        yes: bool,
        pending_id: str,
        pin: str | None = None,
        owner: str | None = None,
        area: str | None = None,
        speak: bool = False,
    ) -> TurnResult:
        """Answer one specific pending action (a Yes/No button) as a stored turn; the PIN is checked, never stored.

        A ``pending_id`` that is not the live one gives confirm-not-pending (or confirm-expired) and does nothing.
        """
        self.ensure_ready()
        turn = Turn(
            text="yes" if yes else "no",
            conversation_id=conversation_id,
            area=area,
            owner=owner,
            confirm_id=pending_id,
            pin=pin or None,
        )
        return self.pipeline.run(turn, speak=speak)

    def open_question(self, conversation_id: str, *, owner: str | None = None) -> tuple[str, ...] | None:
        """The choices of the clarification question still open in a conversation (None when none is open, it
        was answered or timed out, or the conversation is another owner's)."""
        if not self.pipeline.owns(conversation_id, owner):
            return None
        dialogue = getattr(self.understanding, "dialogue", None)
        pending = dialogue.get(conversation_id).pending if dialogue is not None else None
        if pending is None:
            return None
        return tuple(c.description for c in pending.options)

    def request_control(
        self, entity_id: str, service: str, data: dict[str, Any] | None = None, *, owner: str | None
    ) -> ControlOutcome:
        """A direct control (Home tab): runs a normal action, holds a sensitive one for confirmation, refuses a
        blocked one. Sensitive actions are answered with ``confirm_control`` / ``cancel_control``."""
        entity = self.home.entity(entity_id)
        if entity is None:
            return ControlOutcome(
                "refused", error_code=ErrorCode.DEVICE_UNKNOWN.value, message=f"There is no device {entity_id}."
            )
        tier = str(self.home.risk(entity_id, service))
        if tier == "blocked":
            return ControlOutcome(
                "refused",
                error_code=ErrorCode.PERMISSION_DENIED.value,
                message=f"{service} on {entity.name} is blocked by policy.",
            )
        if tier == "sensitive":
            held = self.confirmations.hold(
                _control_key(owner),
                question=f"{service} on {entity.name} is a sensitive action. Confirm?",
                owner=owner,
                approved=[(service, entity_id)],
                service=service,
                entity_ids=[entity_id],
                data=data,
            )
            return ControlOutcome("needs-confirmation", pending=held.view, message=held.view.question)
        return self._run_control(GuardedHome(self.home), service, [entity_id], data or {})

    def confirm_control(self, pending_id: str, *, pin: str | None = None, owner: str | None) -> ControlOutcome:
        """Confirm a held Home-tab control (its id, this owner, before it expires, with the PIN when set)."""
        verdict = self.confirmations.resolve(
            _control_key(owner), yes=True, pin=pin or None, owner=owner, pending_id=pending_id
        )
        held = verdict.held
        if verdict.kind != "confirmed" or held is None or held.service is None:
            code = verdict.error_code
            live = self.pending_control(owner=owner)  # still waiting after a wrong PIN or during a lockout
            return ControlOutcome(
                "refused", pending=live, error_code=code.value if code else None, message=verdict.message
            )
        outcome = self._run_control(GuardedHome(self.home, held.approved), held.service, held.entity_ids, held.data)
        actions = tuple(_confirmed(a) for a in outcome.actions)
        return ControlOutcome(outcome.status, actions, error_code=outcome.error_code, message=outcome.message)

    def pending_control(self, *, owner: str | None) -> PendingConfirmation | None:
        """The owner's held Home-tab control, if one is still waiting (None once answered or expired)."""
        held = self.confirmations.current(_control_key(owner), owner=owner)
        return held.view if held is not None else None

    def cancel_control(self, pending_id: str, *, owner: str | None) -> None:
        """Drop a held Home-tab control (only its owner's, only that id)."""
        key = _control_key(owner)
        held = self.confirmations.current(key, owner=owner)
        if held is not None and held.id == pending_id:
            self.confirmations.drop(key)

    def _run_control(self, home: GuardedHome, service: str, entity_ids: Any, data: Any) -> ControlOutcome:
        try:
            actions = tuple(home.call_service(service, list(entity_ids), dict(data) or None))
        except AssistantError as exc:
            return ControlOutcome("refused", error_code=exc.code.value, message=exc.message)
        failed = next((a for a in actions if not a.success), None)
        message = "Done." if failed is None else f"{failed.entity_id}: {failed.error_code or 'failed'}"
        return ControlOutcome("done", actions, error_code=failed.error_code if failed else None, message=message)

    def watch_skills(self, interval_s: float = 1.0) -> bool:
        """Hot reload of the local skills folder (while serving); True when watching."""
        if not (self.config.skills.hot_reload and self.config.skills.folder):
            return False

        def reloaded(registry: Any) -> None:
            self.understanding.set_intents(registry.intents())
            _log.info("skills reloaded: %s", sorted(registry.skills))

        self.skills.watch(interval_s, on_reload=reloaded)
        return True

    def subscribe(self, callback: Callable[[PipelineEvent], None]) -> Callable[[], None]:
        """Receive every pipeline event (and home state changes); returns an unsubscribe function."""
        return self.bus.subscribe(callback)

    def announce(self, conversation_id: str, text: str, *, source: str = "skill") -> None:
        """Say something in a conversation outside a turn (a timer rang): an ANNOUNCEMENT event for the UI."""
        _log.info("announcement in %s: %s", conversation_id, text)
        self.bus.publish(
            PipelineEvent(
                type=EventType.ANNOUNCEMENT,
                conversation_id=conversation_id,
                data={"text": text, "source": source},
            )
        )

    def submit_later(self, conversation_id: str, text: str, *, source: str = "timer") -> threading.Thread:
        """Run a request as a turn of the conversation now, in the background (a delayed command whose timer rang).

        It goes through the whole pipeline, so risky actions still ask for confirmation; the reply is announced.
        """

        def work() -> None:
            try:
                owner = self.db.conversations.owner_of(conversation_id)
                result = self.handle_text(text, conversation_id=conversation_id, owner=owner)
            except Exception as exc:  # the announcement says what went wrong; the serving process carries on
                _log.exception("scheduled request %r failed", text)
                self.announce(conversation_id, f"I couldn't run “{text}”: {_error_text(exc)}", source=source)
                return
            self.announce(conversation_id, f"“{text}”: {result.reply}", source=source)

        thread = threading.Thread(target=work, name=f"scheduled-{source}", daemon=True)
        thread.start()
        return thread

    def pending_confirmation(self, conversation_id: str) -> str | None:
        """The question waiting for yes/no in a conversation, if any."""
        return self.pipeline.pending_confirmation(conversation_id)

    def _on_state_change(self, change: StateChange) -> None:
        self.bus.publish(
            PipelineEvent(
                type=EventType.STATE_CHANGED,
                data={"entity_id": change.entity_id, "new_state": dict(change.new_state), "source": change.source},
            )
        )

    def describe(self) -> dict[str, Any]:
        """Models in use, devices and paths (for the UI's settings view and `assistant eval`)."""
        asr_device = getattr(self._asr(), "device", "cpu") if self._asr.built else "not loaded"
        return {
            "data_dir": str(self.data_dir),
            "cache_dir": str(self.cache_dir),
            "home_file": str(self.config.resolve_path(self.config.home.file)),
            "adapter": self.config.home.adapter,
            "asr_model": self.config.asr.model,
            "asr_device": asr_device,
            "llm": f"{self.config.llm.backend}:{self.config.llm.model}",
            "embeddings": self.config.embeddings.model,
            "sentiment": self.config.sentiment.engine,
            "tts": self.config.tts.engine,
            "skills": sorted(self.skills.skills),
            "entities": len(self.home.entities()),
        }

    def close(self) -> None:
        """Release the store, adapters and workers."""
        self._unsubscribe_home()
        self.skills.close()
        self.pipeline.close()
        close_home = getattr(self.home, "close", None)
        if callable(close_home):
            close_home()
        self.db.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _control_key(owner: str | None) -> str:
    """The confirmation key of an owner's Home-tab controls (one pending control per owner)."""
    return f"control:{owner or ''}"


def _confirmed(action: Any) -> Any:
    from dataclasses import replace

    return replace(action, confirmed_by_user=True)


class _DeferredUnderstanding:
    """The pipeline's view of the understanding engine: built on first use, or awaited from a background start."""

    def __init__(self, assistant: Assistant) -> None:
        self._a = assistant

    def recognize(self, text: str, *, conversation_id: str, area: str | None = None) -> Any:
        return self._a.understanding.recognize(text, conversation_id=conversation_id, area=area)

    def observe(self, conversation_id: str, match: Any, result: Any) -> None:
        self._a.understanding.observe(conversation_id, match, result)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._a.understanding, name)


class _LazyEmbedder:
    """An Embedder that loads the model on first use (start-up stays fast)."""

    def __init__(self, lazy: _Lazy) -> None:
        self._lazy = lazy

    def embed(self, texts: Any) -> Any:
        return self._lazy().embed(texts)


class _LazyLLM:
    """A LanguageModel that loads on first use; a missing model is an llm-unavailable error."""

    def __init__(self, lazy: _Lazy) -> None:
        self._lazy = lazy

    def _model(self) -> Any:
        model = self._lazy()
        if model is None:
            raise AssistantError(ErrorCode.LLM_UNAVAILABLE, "No language model is configured.")
        return model

    def generate(self, prompt: str, **kwargs: Any) -> Any:
        return self._model().generate(prompt, **kwargs)

    def score(self, prompt: str, continuations: Any) -> Any:
        return self._model().score(prompt, continuations)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model(), name)


class _SkillDispatch:
    """Adapts the skill registry to the pipeline: contexts carry only the services a skill was granted."""

    def __init__(self, assistant: Assistant) -> None:
        self._a = assistant

    def owner(self, intent: str) -> str | None:
        return self._a.skills.owner(intent)

    def handle(self, match: Any, ctx: Any) -> Any:
        return self._a.skills.handle(match, ctx)

    def make_context(self, skill_id: str, **kwargs: Any) -> Any:
        from contracts.skills import Permission, SkillContext

        a = self._a
        skill = a.skills.skills[skill_id]
        perms = skill.permissions
        approved = kwargs.pop("approved", frozenset())
        granted = Permission.CONTROL_DEVICES in perms or Permission.READ_DEVICES in perms
        home = GuardedHome(a.home, approved) if granted else None  # sensitive calls only as the user confirmed
        llm = _LazyLLM(a._llm) if Permission.USE_LLM in perms and a.config.llm.backend != "none" else None
        retriever = a.kb if Permission.READ_KNOWLEDGE in perms else None
        conversation_id = str(kwargs.get("conversation_id") or "")

        def announce(text: str) -> None:
            a.announce(conversation_id, text, source=skill_id)

        def submit(text: str) -> None:
            a.submit_later(conversation_id, text, source=skill_id)

        return SkillContext(
            settings=a.skills.settings_for(skill_id),
            home=home,  # type: ignore[arg-type]
            llm=llm,  # type: ignore[arg-type]
            retriever=retriever,
            announce=announce,
            submit=submit,
            **kwargs,
        )


class _SkillHost:
    """What a skill gets outside a turn: its durable records in the store, announce and submit."""

    def __init__(self, assistant: Assistant, skill_id: str) -> None:
        self._a = assistant
        self._skill_id = skill_id
        self._store = assistant.db.skill_records(skill_id)

    @property
    def store(self) -> Any:
        return self._store

    def announce(self, conversation_id: str, text: str) -> None:
        self._a.announce(conversation_id, text, source=self._skill_id)

    def submit(self, conversation_id: str, text: str) -> None:
        a = self._a

        def when_ready() -> None:  # a timer restored at start-up may ring before the pipeline exists
            deadline = time.monotonic() + 120
            while getattr(a, "pipeline", None) is None and time.monotonic() < deadline:
                time.sleep(0.1)
            a.submit_later(conversation_id, text, source=self._skill_id)

        threading.Thread(target=when_ready, name=f"submit-{self._skill_id}", daemon=True).start()


class _StoreAdapter:
    """Adapts the conversation repository to the pipeline's TurnStore protocol."""

    def __init__(self, db: Any) -> None:
        self._repo = db.conversations

    def ensure_conversation(self, conversation_id: str | None) -> str:
        """The id to use; the row itself is written with the turn (save_turn creates a missing conversation)."""
        return conversation_id or uuid.uuid4().hex

    def save_turn(self, result: TurnResult, *, policy_rule: str | None = None, owner: str | None = None) -> str:
        return str(self._repo.save_turn(result, policy_rule=policy_rule, owner=owner))

    def owner_of(self, conversation_id: str) -> str | None:
        return self._repo.owner_of(conversation_id)

    def recent(self, conversation_id: str, n: int) -> list[Any]:
        from assistant.sentiment.policy import RecentTurn

        return [
            RecentTurn(
                text=t.user_text,
                intent=t.intent,
                success=t.success,
                error_code=t.error_code,
                sentiment_score=t.sentiment_score,
                targets=t.targets,
            )
            for t in self._repo.recent_briefs(conversation_id, n)
        ]
