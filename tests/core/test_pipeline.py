"""Pipeline unit tests with fakes (the real engines are exercised in tests/integration)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.pipeline import Pipeline, PipelineOptions
from contracts.messages import (
    Action,
    AssistantError,
    Candidate,
    ErrorCode,
    EventType,
    IntentMatch,
    Sentiment,
    SentimentLabel,
    SkillResult,
    Tier,
    Transcript,
    Turn,
    TurnResult,
)


class FakeUnderstanding:
    def __init__(self) -> None:
        self.observed: list[tuple[str, str]] = []

    def recognize(self, text: str, *, conversation_id: str, area: str | None = None) -> list[IntentMatch]:
        t = text.lower()
        if t.startswith("yes"):
            pin = t.split()[-1] if len(t.split()) > 1 else None
            return [
                IntentMatch(intent="Confirm", tier=Tier.DIALOGUE, confidence=1.0, slots={"pin": pin} if pin else {})
            ]
        if t == "no":
            return [IntentMatch(intent="Deny", tier=Tier.DIALOGUE, confidence=1.0)]
        if "unlock" in t:
            return [IntentMatch(intent="HassTurnOff", targets=("lock.front_door",), tier=Tier.TEMPLATE, confidence=1)]
        if "which" in t:
            choices = tuple(
                Candidate("HassTurnOn", (f"light.{n}",), description=f"Turn on {n.title()} Light.")
                for n in ("kitchen", "hall")
            )
            return [
                IntentMatch(intent="HassTurnOn", tier=Tier.SEMANTIC, clarification="Which light?", alternatives=choices)
            ]
        if " and " in t:
            return [
                IntentMatch(intent="HassTurnOn", targets=("light.kitchen",), tier=Tier.TEMPLATE, confidence=1),
                IntentMatch(intent="HassTurnOn", targets=("light.hall",), tier=Tier.TEMPLATE, confidence=1),
            ]
        if t.startswith("write"):
            return [IntentMatch(intent="GenerateText", tier=Tier.SEMANTIC, confidence=0.9)]
        if "light" in t:
            return [IntentMatch(intent="HassTurnOn", targets=("light.kitchen",), tier=Tier.TEMPLATE, confidence=1)]
        return [IntentMatch(intent="Unknown", tier=Tier.NONE)]

    def observe(self, conversation_id: str, match: IntentMatch, result: SkillResult) -> None:
        self.observed.append((conversation_id, match.intent))


@dataclass
class Ctx:
    conversation_id: str
    text: str
    state: dict[str, Any]
    area: str | None
    confirmed: bool
    emit_token: Any
    approved: frozenset[tuple[str, str]] = frozenset()


class FakeSkills:
    def __init__(self) -> None:
        self.executed: list[tuple[str, bool]] = []

    def owner(self, intent: str) -> str | None:
        return {"HassTurnOn": "home", "HassTurnOff": "home", "GenerateText": "text", "Unknown": "talk"}.get(intent)

    def make_context(self, skill_id: str, **kwargs: Any) -> Ctx:
        return Ctx(**kwargs)

    def handle(self, match: IntentMatch, ctx: Ctx) -> SkillResult:
        if match.intent == "GenerateText":
            for tok in ["Roses ", "are ", "red."]:
                ctx.emit_token(tok)
            return SkillResult(text="Roses are red.")
        if match.intent == "Unknown":
            return SkillResult(text="I didn't understand.", success=False, error_code="nlu-no-match")
        target = match.targets[0]
        if target.startswith("lock.") and not ctx.confirmed:
            return SkillResult(text="Do you want me to unlock the Front Door?", needs_confirmation=True)
        self.executed.append((target, ctx.confirmed))
        return SkillResult(
            text=f"Done: {target}.",
            actions=(Action(entity_id=target, service="x.y", success=True, new_state={"state": "on"}),),
        )


@dataclass
class FakeStore:
    turns: list[TurnResult] = field(default_factory=list)
    n: int = 0

    def ensure_conversation(self, conversation_id: str | None) -> str:
        if conversation_id:
            return conversation_id
        self.n += 1
        return f"c{self.n}"

    def save_turn(self, result: TurnResult, *, policy_rule: str | None = None, owner: str | None = None) -> str:
        self.turns.append(result)
        return result.turn_id

    def owner_of(self, conversation_id: str) -> str | None:
        return None

    def recent(self, conversation_id: str, n: int) -> list[Any]:
        return []


class FakeHome:
    def entities(self) -> Sequence[Any]:
        return []

    def areas(self) -> Sequence[Any]:
        return []

    def states(self) -> dict[str, dict[str, Any]]:
        return {"light.kitchen": {"state": "off", "attributes": {}}}


class FakeSentiment:
    def analyze(self, text: str) -> Sentiment:
        return Sentiment(label=SentimentLabel.NEUTRAL, score=0.0, confidence=0.5)


class FakeAsr:
    def __init__(self, transcript: Transcript | None = None, error: AssistantError | None = None) -> None:
        self.transcript, self.error = transcript, error
        self.hotwords: Sequence[str] = ()

    def transcribe(self, audio: Any, *, language: str | None = None, hotwords: Sequence[str] = ()) -> Transcript:
        self.hotwords = hotwords
        if self.error:
            raise self.error
        assert self.transcript
        return self.transcript


def make(**kw: Any) -> tuple[Pipeline, FakeSkills, FakeStore]:
    skills, store = FakeSkills(), FakeStore()
    pipe = Pipeline(
        understanding=FakeUnderstanding(),
        skills=skills,
        store=store,
        home=FakeHome(),  # type: ignore[arg-type]
        sentiment=FakeSentiment(),
        **kw,
    )
    return pipe, skills, store


def test_text_turn_runs_skill_and_records_trace() -> None:
    pipe, skills, store = make()
    r = pipe.run(Turn(text="turn on the kitchen light"))
    assert r.reply == "Done: light.kitchen."
    assert skills.executed == [("light.kitchen", False)]
    assert r.changes[0].old_state == {"state": "off", "attributes": {}}
    types = [e.type for e in r.events]
    assert types[0] is EventType.RUN_START and types[-1] is EventType.RUN_END
    assert EventType.INTENT_END in types and EventType.SKILL_END in types and EventType.SENTIMENT_END in types
    assert {"nlu", "skill", "total"} <= set(r.timings_ms)
    assert store.turns == [r]


def test_sensitive_action_waits_for_yes() -> None:
    pipe, skills, _ = make()
    first = pipe.run(Turn(text="unlock the front door", conversation_id="c"))
    assert first.needs_confirmation and skills.executed == []
    assert pipe.pending_confirmation("c")
    second = pipe.run(Turn(text="yes", conversation_id="c"))
    assert skills.executed == [("lock.front_door", True)]
    assert second.actions[0].confirmed_by_user
    assert not second.needs_confirmation


def test_no_and_new_request_drop_pending() -> None:
    pipe, skills, _ = make()
    pipe.run(Turn(text="unlock the front door", conversation_id="c"))
    assert pipe.run(Turn(text="no", conversation_id="c")).reply.startswith("OK")
    assert pipe.run(Turn(text="yes", conversation_id="c")).reply.startswith("There's nothing")
    pipe.run(Turn(text="unlock the front door", conversation_id="c"))
    pipe.run(Turn(text="turn on the kitchen light", conversation_id="c"))
    pipe.run(Turn(text="yes", conversation_id="c"))
    assert ("lock.front_door", True) not in skills.executed


def test_pending_is_per_conversation() -> None:
    pipe, skills, _ = make()
    pipe.run(Turn(text="unlock the front door", conversation_id="a"))
    pipe.run(Turn(text="yes", conversation_id="b"))
    assert skills.executed == []


def test_pin_required_when_configured() -> None:
    pipe, skills, _ = make(options=PipelineOptions(confirm_pin="1234"))
    pipe.run(Turn(text="unlock the front door", conversation_id="c"))
    bad = pipe.run(Turn(text="yes", conversation_id="c"))
    assert skills.executed == [] and "PIN" in bad.reply
    pipe.run(Turn(text="unlock the front door", conversation_id="c"))
    pipe.run(Turn(text="yes 1234", conversation_id="c"))
    assert skills.executed == [("lock.front_door", True)]


def test_clarification_acts_on_nothing() -> None:
    pipe, skills, _ = make()
    r = pipe.run(Turn(text="which one"))
    assert r.reply == "Which light?" and r.error == ErrorCode.NLU_AMBIGUOUS and skills.executed == []


def test_a_spoken_clarification_numbers_its_choices() -> None:
    asr = FakeAsr(Transcript(text="which one", confidence=0.9))
    pipe, skills, _ = make(asr=lambda: asr)
    r = pipe.run(Turn(audio=b"RIFF..."))
    assert r.reply == "Which do you mean? The first: Turn on Kitchen Light; the second: Turn on Hall Light."
    assert r.error == ErrorCode.NLU_AMBIGUOUS and skills.executed == []


def test_multi_command_reports_each() -> None:
    pipe, _skills, _ = make()
    r = pipe.run(Turn(text="kitchen and hall"))
    assert [a.entity_id for a in r.actions] == ["light.kitchen", "light.hall"]
    assert "light.kitchen" in r.reply and "light.hall" in r.reply


def test_empty_and_too_long_text() -> None:
    pipe, _, store = make(options=PipelineOptions(max_text_chars=50))
    assert pipe.run(Turn(text="   ")).error == ErrorCode.INPUT_EMPTY
    long = pipe.run(Turn(text="x" * 51))
    assert long.error == ErrorCode.INPUT_TOO_LONG and "50" in long.reply
    assert len(store.turns) == 2  # failed turns are stored too


def test_low_asr_confidence_asks_to_repeat() -> None:
    asr = FakeAsr(Transcript(text="turn on the kitchen light", confidence=0.1))
    pipe, skills, _ = make(asr=lambda: asr)
    r = pipe.run(Turn(audio=b"RIFF..."))
    assert r.error == ErrorCode.ASR_LOW_CONFIDENCE and skills.executed == []


def test_asr_error_code_is_kept() -> None:
    asr = FakeAsr(error=AssistantError(ErrorCode.ASR_NO_SPEECH, "no speech"))
    pipe, _, store = make(asr=lambda: asr)
    r = pipe.run(Turn(audio=b"\x00" * 10))
    assert r.error == ErrorCode.ASR_NO_SPEECH and store.turns[-1].error == ErrorCode.ASR_NO_SPEECH


def test_stream_yields_tokens_then_result() -> None:
    pipe, _, _ = make()
    items = list(pipe.stream(Turn(text="write a poem")))
    assert items[:3] == ["Roses ", "are ", "red."]
    assert isinstance(items[-1], TurnResult) and items[-1].reply == "Roses are red."


def test_failing_subscriber_does_not_break_turn() -> None:
    pipe, _, _ = make()
    seen: list[EventType] = []
    pipe.bus.subscribe(lambda e: (_ for _ in ()).throw(RuntimeError("boom")))
    pipe.bus.subscribe(lambda e: seen.append(e.type))
    r = pipe.run(Turn(text="turn on the kitchen light"))
    assert r.error is None and EventType.RUN_END in seen


def test_unexpected_exception_becomes_internal_error() -> None:
    pipe, _, _ = make()

    def boom(*a: Any, **k: Any) -> list[IntentMatch]:
        raise RuntimeError("bug")

    pipe.understanding.recognize = boom  # type: ignore[method-assign]
    r = pipe.run(Turn(text="hello"))
    assert r.error == ErrorCode.INTERNAL and "Nothing was changed" in r.reply


class _Conflicting:
    """Conversation records where another worker always saved first (every compare-and-set loses)."""

    def __init__(self) -> None:
        self.version_now = 1

    def version(self, conversation_id: str) -> int | None:
        return self.version_now

    def load(self, conversation_id: str) -> tuple[int, dict[str, Any]] | None:
        return self.version_now, {}

    def save(self, conversation_id: str, data: Any, *, expected: int | None = None) -> int:
        self.version_now += 1  # the other worker's save
        raise AssistantError(ErrorCode.CONVERSATION_CONFLICT, "This conversation was continued somewhere else.")

    def delete(self, conversation_id: str) -> None:
        pass


def test_a_turn_that_loses_its_conversation_to_another_worker_fails_cleanly_before_running() -> None:
    from assistant.dialogue import ConversationStates

    pipe, skills, store = make(conversations=ConversationStates(records=_Conflicting()))
    r = pipe.run(Turn(text="turn on the kitchen light", conversation_id="c"))
    assert r.error == ErrorCode.CONVERSATION_CONFLICT.value and "somewhere else" in r.reply
    assert skills.executed == [] and store.turns[-1].error == r.error  # nothing ran; the refusal is stored


class _HeldElsewhere(_Conflicting):
    """Leasing conversation records whose lease another worker's turn ("other-turn") holds."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[str] = []
        self.released: list[str] = []

    def save(self, conversation_id: str, data: Any, *, expected: int | None = None) -> int:
        self.version_now += 1
        return self.version_now

    def claim_turn(self, conversation_id: str, turn_id: str, ttl_s: float) -> bool:
        self.claims.append(turn_id)
        return turn_id == "other-turn"

    def release_turn(self, conversation_id: str, turn_id: str) -> None:
        self.released.append(turn_id)


def test_a_turn_whose_conversation_another_worker_holds_fails_busy_without_running() -> None:
    from assistant.dialogue import ConversationStates

    records = _HeldElsewhere()
    pipe, skills, store = make(
        conversations=ConversationStates(records=records), options=PipelineOptions(turn_wait_s=0.1)
    )
    r = pipe.run(Turn(text="turn on the kitchen light", conversation_id="c", request_id="mine"))
    assert r.error == ErrorCode.CONVERSATION_BUSY.value and "try again" in r.reply and r.turn_id == "mine"
    assert skills.executed == [] and store.turns[-1].error == r.error  # nothing ran; the refusal is stored
    assert len(records.claims) > 1 and set(records.claims) == {"mine"} and records.released == []  # it polled
    r = pipe.run(Turn(text="turn on the kitchen light", conversation_id="c", request_id="other-turn"))
    assert r.error is None and skills.executed == [("light.kitchen", False)]  # the holder's retry runs
    assert records.released == ["other-turn"]


def test_skill_state_and_language_live_in_the_one_conversation_state() -> None:
    seen: list[dict[str, Any]] = []

    class CountingSkills(FakeSkills):
        def handle(self, match: IntentMatch, ctx: Ctx) -> SkillResult:
            ctx.state["n"] = ctx.state.get("n", 0) + 1
            seen.append(ctx.state)
            return super().handle(match, ctx)

    transcript = Transcript(text="turn on the kitchen light", language="de", avg_logprob=-0.1,
                            no_speech_prob=0.01, confidence=0.9, duration_s=1.0)  # fmt: skip
    skills = CountingSkills()
    pipe = Pipeline(
        understanding=FakeUnderstanding(),
        skills=skills,
        store=FakeStore(),
        home=FakeHome(),  # type: ignore[arg-type]
        asr=lambda: FakeAsr(transcript),
    )
    pipe.run(Turn(audio=b"...", conversation_id="c"))
    pipe.run(Turn(text="turn on the kitchen light", conversation_id="c"))
    state = pipe.conversations.get("c")
    assert state.skills["home"] == {"n": 2} and seen[0] is seen[1] is state.skills["home"]
    assert state.language == "de"


def test_any_worker_continues_a_conversation_through_the_store(tmp_path: Any) -> None:
    from assistant.dialogue import ConversationStates
    from assistant.store import Database

    class CountingSkills(FakeSkills):
        def handle(self, match: IntentMatch, ctx: Ctx) -> SkillResult:
            ctx.state["n"] = ctx.state.get("n", 0) + 1
            return SkillResult(text=f"Turn {ctx.state['n']} of this conversation.")

    dbs = [Database(tmp_path / "data"), Database(tmp_path / "data")]
    try:
        workers = [
            Pipeline(
                understanding=FakeUnderstanding(),
                skills=CountingSkills(),
                store=FakeStore(),
                home=FakeHome(),  # type: ignore[arg-type]
                conversations=ConversationStates(records=db.dialogue),
            )
            for db in dbs
        ]
        replies = [workers[i % 2].run(Turn(text="turn on the light", conversation_id="c")).reply for i in range(4)]
        assert replies == [f"Turn {n} of this conversation." for n in (1, 2, 3, 4)]
    finally:
        for db in dbs:
            db.close()
