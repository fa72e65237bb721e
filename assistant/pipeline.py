"""The turn pipeline: asr → (sentiment ∥ nlu) → dialogue → skill → reply → tts, emitting events.

Safety lives here, in code: sensitive actions wait for an explicit "yes" (and the PIN when configured) before the
skill runs them, through the one ``ConfirmationService``; anything but a yes/no answer drops a pending confirmation
(a clarification too); skills see a ``GuardedHome`` that refuses sensitive calls the user did not just confirm; the PIN
is redacted before a turn is stored; invisible characters are removed before understanding; a conversation of another
owner is refused; low ASR confidence asks for a repeat instead of acting. The pipeline knows its collaborators only
through the narrow Protocols below.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from assistant.dialogue.confirm import (
    ANY_SERVICE,
    ConfirmationService,
    HeldAction,
    Verdict,
    VerdictKind,
    clean_text,
    parse_answer,
    redact_digits,
)
from assistant.dialogue.conversation import ConversationState, ConversationStates
from assistant.events import EventBus, RunRecorder
from contracts.engines import AudioInput, SentimentAnalyzer, SpeechRecognizer, SpeechSynthesizer
from contracts.home import Area, Entity, HomeApi
from contracts.messages import (
    Action,
    AssistantError,
    ErrorCode,
    EventType,
    IntentMatch,
    Passage,
    Sentiment,
    SkillResult,
    Stage,
    StateChange,
    Tier,
    Transcript,
    Turn,
    TurnResult,
)

__all__ = ["Pipeline", "PipelineOptions", "TurnStore", "UnderstandingEngine"]

_log = logging.getLogger("assistant.pipeline")

CONFIRM = "Confirm"
DENY = "Deny"
NEVERMIND = "HassNevermind"
UNKNOWN = "Unknown"

MESSAGES: Mapping[str, str] = {
    ErrorCode.INPUT_EMPTY: "I didn't get any text. What would you like me to do?",
    ErrorCode.INPUT_TOO_LONG: "That message is too long for me. Please keep requests under {limit} characters.",
    ErrorCode.ASR_EMPTY: "The audio was empty. Please try recording again.",
    ErrorCode.ASR_UNREADABLE: "I couldn't read that audio file. Please send WAV, FLAC, MP3, OGG or WebM audio.",
    ErrorCode.ASR_TOO_LONG: "That recording is too long. Please keep voice commands short.",
    ErrorCode.ASR_NO_SPEECH: "I didn't hear any speech. Please try again.",
    ErrorCode.ASR_LOW_CONFIDENCE: "Sorry, I didn't catch that clearly. Could you say it again?",
    ErrorCode.NLU_NO_MATCH: "Sorry, I didn't understand that.",
    ErrorCode.INPUT_INVALID: "That text isn't valid UTF-8, so I did nothing. Please retype it.",
    ErrorCode.CONVERSATION_FORBIDDEN: "That conversation belongs to someone else. Start a new one.",
    ErrorCode.CONVERSATION_CONFLICT: "This conversation was continued somewhere else at the same time. "
    "Please say that again.",
    ErrorCode.CONVERSATION_BUSY: "This conversation is busy with another request. Please try again in a moment.",
}


class UnderstandingEngine(Protocol):
    """What the pipeline needs from the understanding engine (assistant.nlu)."""

    def recognize(self, text: str, *, conversation_id: str, area: str | None = None) -> list[IntentMatch]:
        """One match per command in the text."""
        ...

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        """Update dialogue state with the outcome."""
        ...


class SkillDispatcher(Protocol):
    """What the pipeline needs from the skill registry (skills.registry)."""

    def owner(self, intent: str) -> str | None:
        """The skill id owning an intent."""
        ...

    def handle(self, match: IntentMatch, ctx: Any) -> SkillResult:
        """Run the owner's handler; never raises."""
        ...

    def make_context(self, skill_id: str, **kwargs: Any) -> Any:
        """A SkillContext with the services the skill's permissions grant."""
        ...


class TurnStore(Protocol):
    """What the pipeline needs from the conversation store."""

    def ensure_conversation(self, conversation_id: str | None) -> str:
        """The conversation's id (a new one for None); the store may create the row with the first turn."""
        ...

    def save_turn(self, result: TurnResult, *, policy_rule: str | None = None, owner: str | None = None) -> str:
        """Persist a finished turn (recording ``owner`` on a new conversation)."""
        ...

    def owner_of(self, conversation_id: str) -> str | None:
        """The owner of a stored conversation (None when it has none or does not exist)."""
        ...

    def recent(self, conversation_id: str, n: int) -> list[Any]:
        """Recent turns (RecentTurn-like) newest last."""
        ...


class ReplyPolicy(Protocol):
    """Sentiment-driven reply policy (assistant.sentiment.policy)."""

    def apply(
        self,
        *,
        text: str,
        sentiment: Sentiment,
        matches: Sequence[IntentMatch],
        result: SkillResult,
        recent: Sequence[Any],
    ) -> Any:
        """A PolicyOutcome(reply, rule, frustrated, offer_ui)."""
        ...


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Pipeline knobs (from config)."""

    max_text_chars: int = 2000
    """Longer text is refused with input-too-long."""
    min_asr_confidence: float = 0.35
    """Below this, ask for a repeat."""
    confirm_pin: str | None = None
    """When set, a confirmation must include this PIN."""
    confirm_ttl_s: float = 60.0
    """A pending sensitive action expires after this many seconds."""
    confirm_max_attempts: int = 3
    """Wrong PINs per pending action (and in a row, anywhere) before confirmations lock."""
    confirm_lockout_s: float = 30.0
    """First lockout after too many wrong PINs (doubles each time)."""
    asr_language: str | None = None
    """Language passed to the recognizer (None = auto)."""
    bias_hotwords: bool = True
    """Pass the home's names to the recognizer."""
    workers: int = 4
    """Worker threads for sentiment ∥ nlu."""
    turn_lease_s: float = 30.0
    """With a shared store: a turn's lease on its conversation lasts this long unless renewed (a dead worker's
    expires after it)."""
    turn_wait_s: float = 3.0
    """With a shared store: how long a turn waits for another worker's turn of its conversation before it fails
    with conversation-busy."""


class Pipeline:
    """Runs one turn at a time per conversation (turns of different conversations run concurrently)."""

    def __init__(
        self,
        *,
        understanding: UnderstandingEngine,
        skills: SkillDispatcher,
        store: TurnStore,
        home: HomeApi,
        sentiment: SentimentAnalyzer | None = None,
        policy: ReplyPolicy | None = None,
        asr: Callable[[], SpeechRecognizer] | None = None,
        tts: Callable[[], SpeechSynthesizer | None] | None = None,
        bus: EventBus | None = None,
        options: PipelineOptions | None = None,
        confirmations: ConfirmationService | None = None,
        conversations: ConversationStates | None = None,
    ) -> None:
        """``conversations``: where each conversation's state is kept; by default the understanding engine's (so
        the dialogue, the skills' state and the last trace are one object per conversation), else a private one."""
        self.understanding = understanding
        self.skills = skills
        self.store = store
        self.home = home
        self.sentiment = sentiment
        self.policy = policy
        self._asr_factory = asr
        self._tts_factory = tts
        self.bus = bus or EventBus()
        self.options = options or PipelineOptions()
        opts = self.options
        self.confirmations = confirmations or ConfirmationService(
            pin=opts.confirm_pin,
            ttl_s=opts.confirm_ttl_s,
            max_attempts=opts.confirm_max_attempts,
            lockout_s=opts.confirm_lockout_s,
        )
        self._states = conversations
        self._own_states = ConversationStates()
        self._wired: ConversationStates | None = None
        self._executor = ThreadPoolExecutor(max_workers=max(2, self.options.workers), thread_name_prefix="pipeline")

    # ------------------------------------------------------------------ public API

    def run(
        self,
        turn: Turn,
        *,
        on_token: Callable[[str], None] | None = None,
        speak: bool = False,
    ) -> TurnResult:
        """Run one turn end to end and store it. Errors become a reply with a stable code, never an exception.

        The turn holds its conversation from start to end: one turn at a time per conversation in this worker, and
        with a shared store across workers (a lease held by the turn's id, ``request_id`` when given, so a retried
        request takes it over at once); a turn that finds another worker's turn running waits up to
        ``turn_wait_s`` and then ends with conversation-busy (stored; nothing ran)."""
        if turn.conversation_id and not self._may_use(turn.conversation_id, turn.owner):
            return self._forbidden(turn)
        conversation_id = self.store.ensure_conversation(turn.conversation_id)
        turn_id = turn.request_id or uuid.uuid4().hex
        opts = self.options
        try:
            with self.conversations.turn(
                conversation_id, turn_id=turn_id, lease_s=opts.turn_lease_s, wait_s=opts.turn_wait_s
            ) as conv:
                return self._run_locked(turn, turn_id, conversation_id, conv, on_token=on_token, speak=speak)
        except AssistantError as exc:  # another worker holds or kept moving the conversation on: nothing ran
            if exc.code not in (ErrorCode.CONVERSATION_CONFLICT, ErrorCode.CONVERSATION_BUSY):
                raise
            rec = RunRecorder(self.bus, run_id=turn_id, conversation_id=conversation_id)
            rec.emit(EventType.ERROR, data={"code": exc.code.value, "message": exc.message})
            return self._finish_error(
                rec, turn.text or "", exc.code, transcript=None, message=exc.message, speak=speak, owner=turn.owner
            )

    @property
    def conversations(self) -> ConversationStates:
        """Each conversation's state (``assistant.dialogue.ConversationStates``): the one given, else the
        understanding engine's, else the pipeline's own. The skill registry keeps skills' state in it too."""
        states = self._states
        if states is None:
            try:
                shared = getattr(self.understanding, "conversations", None)
            except Exception:  # the engine failed to start: this turn reports it from recognize
                _log.debug("the understanding engine has no conversation states yet", exc_info=True)
                shared = None
            states = shared if isinstance(shared, ConversationStates) else self._own_states
        if states is not self._wired:
            use_states = getattr(self.skills, "use_states", None)
            if callable(use_states):
                use_states(states.skill_state)
            self._wired = states
        return states

    def stream(self, turn: Turn, *, speak: bool = False) -> Iterator[str | TurnResult]:
        """Yield reply tokens as skills stream them, then the TurnResult."""
        import queue

        q: queue.Queue[str | TurnResult | BaseException] = queue.Queue()

        def work() -> None:
            try:
                q.put(self.run(turn, on_token=q.put, speak=speak))
            except BaseException as exc:  # surfaced to the consumer
                q.put(exc)

        threading.Thread(target=work, name="pipeline-stream", daemon=True).start()
        while True:
            item = q.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, TurnResult):
                return

    def pending_confirmation(self, conversation_id: str) -> str | None:
        """The question waiting for a yes/no in a conversation, if any."""
        held = self.confirmations.current(conversation_id)
        return held.view.question if held else None

    def owns(self, conversation_id: str, owner: str | None) -> bool:
        """True when ``owner`` may use the conversation (it has no owner yet, or this one)."""
        return self._may_use(conversation_id, owner)

    def close(self) -> None:
        """Stop worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ internals

    def _may_use(self, conversation_id: str, owner: str | None) -> bool:
        owner_of = getattr(self.store, "owner_of", None)
        stored = owner_of(conversation_id) if callable(owner_of) else None
        return stored is None or stored == owner

    def _forbidden(self, turn: Turn) -> TurnResult:
        """Another owner's conversation: nothing runs and nothing is stored."""
        code = ErrorCode.CONVERSATION_FORBIDDEN
        return TurnResult(
            turn_id=uuid.uuid4().hex,
            conversation_id=turn.conversation_id or "",
            text="",
            reply=MESSAGES[code],
            intent=IntentMatch(intent=UNKNOWN, tier=Tier.NONE),
            error=code.value,
        )

    def _run_locked(
        self,
        turn: Turn,
        turn_id: str,
        conversation_id: str,
        conv: ConversationState,
        *,
        on_token: Callable[[str], None] | None,
        speak: bool,
    ) -> TurnResult:
        rec = RunRecorder(self.bus, run_id=turn_id, conversation_id=conversation_id)
        rec.emit(EventType.RUN_START, data={"kind": "audio" if turn.audio is not None else "text", "area": turn.area})
        transcript: Transcript | None = None
        text = turn.text or ""
        try:
            if turn.audio is not None:
                transcript = self._transcribe(turn.audio, turn.language or conv.language, rec)
                text = transcript.text
                if transcript.language and not conv.language:
                    conv.language = transcript.language
                if transcript.confidence < self.options.min_asr_confidence:
                    return self._finish_error(
                        rec, text, ErrorCode.ASR_LOW_CONFIDENCE, transcript=transcript, speak=speak, owner=turn.owner
                    )
            text = clean_text(text).strip()
            if not text:
                return self._finish_error(
                    rec, text, ErrorCode.INPUT_EMPTY, transcript=transcript, speak=speak, owner=turn.owner
                )
            if len(text) > self.options.max_text_chars:
                return self._finish_error(
                    rec, text[:200], ErrorCode.INPUT_TOO_LONG, transcript=transcript, speak=speak, owner=turn.owner
                )
            return self._understand_and_act(rec, turn, text, conv, transcript, on_token=on_token, speak=speak)
        except AssistantError as exc:
            rec.emit(EventType.ERROR, data={"code": exc.code.value, "message": exc.message})
            if exc.code != ErrorCode.INPUT_INVALID:
                self.confirmations.drop(conversation_id)  # a failed turn is not an answer either
            return self._finish_error(
                rec, text, exc.code, transcript=transcript, message=exc.message, speak=speak, owner=turn.owner
            )
        except Exception as exc:
            _log.exception("turn failed")
            rec.emit(EventType.ERROR, data={"code": ErrorCode.INTERNAL.value, "message": str(exc)})
            return self._finish_error(
                rec,
                text,
                ErrorCode.INTERNAL,
                transcript=transcript,
                message="Sorry, something went wrong on my side. Nothing was changed.",
                speak=speak,
                owner=turn.owner,
            )

    def _transcribe(self, audio: AudioInput, language: str | None, rec: RunRecorder) -> Transcript:
        if self._asr_factory is None:
            raise AssistantError(ErrorCode.ASR_UNAVAILABLE, "Speech recognition is not configured.")
        rec.emit(EventType.ASR_START, Stage.ASR)
        hotwords = self._hotwords() if self.options.bias_hotwords else ()
        started = rec.total_ms()
        try:
            transcript = self._asr_factory().transcribe(
                audio, language=language or self.options.asr_language, hotwords=hotwords
            )
        finally:
            duration = rec.total_ms() - started
        rec.emit(
            EventType.ASR_END,
            Stage.ASR,
            duration_ms=duration,
            data={
                "text": transcript.text,
                "confidence": transcript.confidence,
                "avg_logprob": transcript.avg_logprob,
                "no_speech_prob": transcript.no_speech_prob,
                "language": transcript.language,
                "duration_s": transcript.duration_s,
            },
        )
        return transcript

    def _hotwords(self) -> tuple[str, ...]:
        """The home's names and aliases; the recognizer de-duplicates and bounds them (asr.biasing.bias_prompt)."""
        names: list[str] = []
        items: list[Entity | Area] = [*self.home.entities(), *self.home.areas()]
        for item in items:
            names.append(item.name)
            names.extend(item.aliases)
        return tuple(names)

    def _understand_and_act(
        self,
        rec: RunRecorder,
        turn: Turn,
        text: str,
        conv: ConversationState,
        transcript: Transcript | None,
        *,
        on_token: Callable[[str], None] | None,
        speak: bool,
    ) -> TurnResult:
        conversation_id = rec.conversation_id
        sentiment_future = self._executor.submit(self._analyze, text, rec) if self.sentiment else None
        rec.emit(EventType.INTENT_START, Stage.NLU, data={"text": text})
        started = rec.total_ms()
        if turn.confirm_id is not None:  # a Yes/No button: the answer is the button, not a guess
            matches = [_button_answer(text, turn)]
        else:
            matches = self.understanding.recognize(text, conversation_id=conversation_id, area=turn.area)
        nlu_data: dict[str, Any] = {"matches": [_match_summary(m) for m in matches]}
        last_trace = getattr(self.understanding, "last_trace", None)
        trace = last_trace(conversation_id) if callable(last_trace) else None
        if trace is not None and hasattr(trace, "as_dict"):
            nlu_data["trace"] = trace.as_dict()
        rec.emit(EventType.INTENT_END, Stage.NLU, duration_ms=rec.total_ms() - started, data=nlu_data)

        started = rec.total_ms()
        plans = self._plan(matches, turn, conversation_id)
        rec.emit(
            EventType.DIALOGUE_END,
            Stage.DIALOGUE,
            duration_ms=rec.total_ms() - started,
            data={"plan": [{"kind": p.kind, "intent": p.match.intent, "skill": p.skill_id} for p in plans]},
        )

        results: list[SkillResult] = []
        used_skills: list[str] = []
        before = self._snapshot(plans)
        for plan in plans:
            result = self._execute(plan, turn, text, conv, rec, on_token)
            results.append(result)
            if plan.skill_id:
                used_skills.append(plan.skill_id)
            if plan.kind in ("skill", "confirmed"):
                self.understanding.observe(conversation_id, plan.match, result)
        combined = _combine(results)

        # sentiment ran beside understanding, planning and the skill; the reply policy is its first reader
        recent = self.store.recent(conversation_id, 5) if self.policy is not None and sentiment_future else []
        sentiment = sentiment_future.result() if sentiment_future else None
        started = rec.total_ms()
        reply = combined.text
        rule: str | None = None
        reasons: tuple[str, ...] = ()
        if self.policy is not None and sentiment is not None:
            outcome = self.policy.apply(text=text, sentiment=sentiment, matches=matches, result=combined, recent=recent)
            reply, rule = outcome.reply, outcome.rule
            reasons = tuple(getattr(outcome, "reasons", ()))
        rec.emit(
            EventType.REPLY_END,
            Stage.REPLY,
            duration_ms=rec.total_ms() - started,
            data={"reply": reply, "rule": rule or "none", "reasons": list(reasons)},
        )

        audio = self._speak(reply, rec) if speak else None
        actions = tuple(a for r in results for a in r.actions)
        changes = tuple(
            StateChange(
                entity_id=a.entity_id, old_state=before.get(a.entity_id), new_state=a.new_state, source="action"
            )
            for a in actions
            if a.success and a.new_state is not None
        )
        primary = _primary_match(plans, matches)
        rec.timings_ms["total"] = rec.total_ms()
        error = combined.error_code if not combined.success else None
        rec.emit(EventType.RUN_END, data={"error": error})
        turn_result = TurnResult(
            turn_id=rec.run_id,
            conversation_id=conversation_id,
            text=text,
            reply=reply,
            transcript=transcript,
            intent=primary,
            sentiment=sentiment,
            skill_id=used_skills[0] if used_skills else None,
            actions=actions,
            changes=changes,
            needs_confirmation=self.confirmations.current(conversation_id, owner=turn.owner) is not None,
            citations=tuple(p for r in results for p in r.citations),
            timings_ms=dict(rec.timings_ms),
            error=error,
            events=tuple(rec.events),
            audio=audio,
        )
        turn_result = _redact(turn_result, _secrets(matches, turn), self.confirmations.redact)
        self.store.save_turn(turn_result, policy_rule=rule, owner=turn.owner)
        return turn_result

    def _analyze(self, text: str, rec: RunRecorder) -> Sentiment | None:
        assert self.sentiment is not None
        started = rec.total_ms()
        try:
            sentiment = self.sentiment.analyze(text)
        except Exception:
            _log.exception("sentiment failed")
            return None
        rec.emit(
            EventType.SENTIMENT_END,
            Stage.SENTIMENT,
            duration_ms=rec.total_ms() - started,
            data={"label": sentiment.label.value, "score": sentiment.score, "signals": list(sentiment.signals)},
        )
        return sentiment

    def _plan(self, matches: Sequence[IntentMatch], turn: Turn, conversation_id: str) -> list[_Plan]:
        plans: list[_Plan] = []
        confirmations = self.confirmations
        for match in matches:
            if match.intent in (CONFIRM, DENY, NEVERMIND):
                pin = turn.pin or match.slots.get("pin")
                verdict = confirmations.resolve(
                    conversation_id,
                    yes=match.intent == CONFIRM,
                    pin=str(pin) if pin is not None else None,
                    owner=turn.owner,
                    pending_id=turn.confirm_id,
                )
                plans.append(self._answer_plan(match, verdict, button=turn.confirm_id is not None))
            elif match.clarification:
                confirmations.drop(conversation_id)  # a clarification never counts as a confirmation
                question = _spoken_choices(match) if turn.audio is not None else match.clarification
                plans.append(_Plan("say", match, None, question, clarify=True))
            else:
                confirmations.drop(conversation_id)  # a new request drops a pending confirmation
                owner = self.skills.owner(match.intent) or self.skills.owner(UNKNOWN)
                if owner is None:
                    plans.append(_Plan("say", match, None, MESSAGES[ErrorCode.NLU_NO_MATCH], error=True))
                else:
                    plans.append(_Plan("skill", match, owner))
        return plans

    @staticmethod
    def _answer_plan(match: IntentMatch, verdict: Verdict, *, button: bool) -> _Plan:
        held = verdict.held
        if verdict.kind == VerdictKind.CONFIRMED and held is not None and held.match is not None:
            return _Plan("confirmed", held.match, held.skill_id, approved=held.approved)
        if verdict.kind == VerdictKind.DENIED:
            return _Plan("say", match, None, verdict.message)
        if verdict.kind == VerdictKind.NOT_PENDING and match.intent != CONFIRM:
            return _Plan("say", match, None, "OK, never mind.")
        if verdict.kind == VerdictKind.NOT_PENDING and not button:
            return _Plan("say", match, None, verdict.message)  # a "yes" out of the blue is not an error
        return _Plan("say", match, None, verdict.message, code=verdict.error_code)

    def _execute(
        self,
        plan: _Plan,
        turn: Turn,
        text: str,
        conv: ConversationState,
        rec: RunRecorder,
        on_token: Callable[[str], None] | None,
    ) -> SkillResult:
        if plan.kind == "say" or plan.skill_id is None:
            code = plan.code or (
                ErrorCode.NLU_AMBIGUOUS if plan.clarify else (ErrorCode.NLU_NO_MATCH if plan.error else None)
            )
            return SkillResult(text=plan.say or "", success=code is None, error_code=code)
        confirmed = plan.kind == "confirmed"
        rec.emit(EventType.SKILL_START, Stage.SKILL, data={"skill": plan.skill_id, "intent": plan.match.intent})
        started = rec.total_ms()

        def emit_token(token: str) -> None:
            rec.emit(EventType.REPLY_TOKEN, Stage.REPLY, data={"token": token})
            if on_token is not None:
                on_token(token)

        state: MutableMapping[str, Any] = conv.skill_state(plan.skill_id)
        ctx = self.skills.make_context(
            plan.skill_id,
            conversation_id=rec.conversation_id,
            text=text,
            state=state,
            area=turn.area,
            confirmed=confirmed,
            emit_token=emit_token,
            approved=plan.approved,
        )
        result = self.skills.handle(plan.match, ctx)
        if result.needs_confirmation and not confirmed:
            self._hold(rec.conversation_id, turn, plan, result)
        rec.emit(
            EventType.SKILL_END,
            Stage.SKILL,
            duration_ms=rec.total_ms() - started,
            data={
                "skill": plan.skill_id,
                "success": result.success,
                "error": result.error_code,
                "detail": result.data.get("detail") if not result.success else None,
                "needs_confirmation": result.needs_confirmation,
                "confirmed_by_user": confirmed,
                "actions": [
                    {"entity_id": a.entity_id, "service": a.service, "success": a.success, "error": a.error_code}
                    for a in result.actions
                ],
            },
        )
        if confirmed:
            result = replace(result, actions=tuple(replace(a, confirmed_by_user=True) for a in result.actions))
        return result

    def _hold(self, conversation_id: str, turn: Turn, plan: _Plan, result: SkillResult) -> HeldAction:
        """Hold the exact action the skill asked about: its service on the entities it named, else the targets."""
        service = str(result.data.get("service") or ANY_SERVICE)
        entities = [str(e) for e in result.data.get("pending") or plan.match.targets]
        return self.confirmations.hold(
            conversation_id,
            question=result.text,
            owner=turn.owner,
            approved=[(service, e) for e in entities],
            conversation_id=conversation_id,
            skill_id=plan.skill_id,
            match=plan.match,
        )

    def _snapshot(self, plans: Sequence[_Plan]) -> dict[str, dict[str, Any]]:
        wanted = {t for p in plans for t in p.match.targets}
        if not wanted:
            return {}
        states = self.home.states()
        return {eid: states[eid] for eid in wanted if eid in states}

    def _speak(self, reply: str, rec: RunRecorder) -> bytes | None:
        if self._tts_factory is None or not reply:
            return None
        rec.emit(EventType.TTS_START, Stage.TTS)
        started = rec.total_ms()
        try:
            synth = self._tts_factory()
            if synth is None:
                return None
            from assistant.wav import concat_wavs

            audio = concat_wavs(list(synth.synthesize(reply)))
        except AssistantError as exc:
            rec.emit(EventType.ERROR, Stage.TTS, data={"code": exc.code.value, "message": exc.message})
            return None
        rec.emit(EventType.TTS_END, Stage.TTS, duration_ms=rec.total_ms() - started, data={"bytes": len(audio)})
        return audio

    def _finish_error(
        self,
        rec: RunRecorder,
        text: str,
        code: ErrorCode,
        *,
        transcript: Transcript | None,
        message: str | None = None,
        speak: bool = False,
        owner: str | None = None,
    ) -> TurnResult:
        reply = message or MESSAGES.get(code, "Sorry, that didn't work.").format(limit=self.options.max_text_chars)
        text = _valid_unicode(text)
        audio = self._speak(reply, rec) if speak else None
        rec.timings_ms["total"] = rec.total_ms()
        rec.emit(EventType.RUN_END, data={"error": code.value})
        result = TurnResult(
            turn_id=rec.run_id,
            conversation_id=rec.conversation_id,
            text=text,
            reply=reply,
            transcript=transcript,
            intent=IntentMatch(intent=UNKNOWN, tier=Tier.NONE, text=text),
            timings_ms=dict(rec.timings_ms),
            error=code.value,
            events=tuple(rec.events),
            audio=audio,
        )
        self.store.save_turn(result, owner=owner)
        return result


@dataclass(slots=True)
class _Plan:
    kind: str  # "skill" | "confirmed" | "say"
    match: IntentMatch
    skill_id: str | None
    say: str | None = None
    error: bool = False
    clarify: bool = False
    code: ErrorCode | None = None
    approved: frozenset[tuple[str, str]] = frozenset()


def _button_answer(text: str, turn: Turn) -> IntentMatch:
    """The match of a Yes/No button turn: its text is 'yes' or 'no' (anything else counts as no)."""
    answer = parse_answer(text)
    yes = answer is not None and answer.kind.value == "yes"
    return IntentMatch(intent=CONFIRM if yes else DENY, tier=Tier.DIALOGUE, confidence=1.0, text=text)


_ORDINAL_WORDS = ("first", "second", "third", "fourth")


def _spoken_choices(match: IntentMatch) -> str | None:
    """A clarification read aloud: its choices numbered ('the first: ..., the second: ...'), answerable by ordinal."""
    choices = [c.description.strip().rstrip(".") for c in match.alternatives[: len(_ORDINAL_WORDS)] if c.description]
    if len(choices) < 2:
        return match.clarification
    listed = "; ".join(f"the {_ORDINAL_WORDS[i]}: {text}" for i, text in enumerate(choices))
    return f"Which do you mean? {listed[0].upper()}{listed[1:]}."


def _valid_unicode(text: str) -> str:
    """Text that can be stored: lone surrogates (undecodable bytes) become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if text else text


def _secrets(matches: Sequence[IntentMatch], turn: Turn) -> tuple[str, ...]:
    found = [str(m.slots["pin"]) for m in matches if m.slots.get("pin")]
    if turn.pin:
        found.append(turn.pin)
    return tuple(dict.fromkeys(found))


def _redact(result: TurnResult, secrets: Sequence[str], redact_pin: Callable[[str], str]) -> TurnResult:
    """The turn with every PIN given in it, and the configured PIN, replaced by '••••' (text, intent, transcript,
    events)."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                value = redact_digits(value, secret)
            return redact_pin(value)
        if isinstance(value, Mapping):
            return {k: scrub(v) for k, v in value.items() if k != "pin"}
        if isinstance(value, list | tuple):
            return type(value)(scrub(v) for v in value)
        return value

    intent = result.intent
    if intent is not None:
        intent = replace(intent, text=scrub(intent.text), slots=scrub(intent.slots))
    transcript = result.transcript
    if transcript is not None:
        transcript = replace(transcript, text=scrub(transcript.text))
    events = tuple(replace(e, data=scrub(e.data)) for e in result.events)
    return replace(result, text=scrub(result.text), intent=intent, transcript=transcript, events=events)


def _match_summary(match: IntentMatch) -> dict[str, Any]:
    return {
        "intent": match.intent,
        "tier": match.tier.value,
        "confidence": round(match.confidence, 4),
        "targets": list(match.targets),
        "slots": {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in match.slots.items()
        },
        "alternatives": [
            {"intent": c.intent, "targets": list(c.targets), "score": round(c.score, 4), "description": c.description}
            for c in match.alternatives[:5]
        ],
        "clarification": match.clarification,
    }


def _primary_match(plans: Sequence[_Plan], matches: Sequence[IntentMatch]) -> IntentMatch | None:
    for plan in plans:
        if plan.kind in ("skill", "confirmed"):
            return plan.match
    return matches[0] if matches else None


def _combine(results: Sequence[SkillResult]) -> SkillResult:
    if len(results) == 1:
        return results[0]
    if not results:
        return SkillResult(text=MESSAGES[ErrorCode.NLU_NO_MATCH], success=False, error_code=ErrorCode.NLU_NO_MATCH)
    failed = [r for r in results if not r.success]
    citations: tuple[Passage, ...] = tuple(p for r in results for p in r.citations)
    actions: tuple[Action, ...] = tuple(a for r in results for a in r.actions)
    return SkillResult(
        text=" ".join(r.text.strip() for r in results if r.text.strip()),
        success=not failed,
        actions=actions,
        error_code=failed[0].error_code if failed else None,
        needs_confirmation=any(r.needs_confirmation for r in results),
        citations=citations,
    )
