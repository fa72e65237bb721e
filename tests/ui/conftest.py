"""A fake Assistant for the UI's unit tests: a real SQLite store, a tiny in-memory home, scripted turns."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_config
from assistant.dialogue.confirm import ControlOutcome, PendingConfirmation
from contracts.home import Area, Entity, Floor, RiskTier
from contracts.messages import (
    Action,
    AssistantError,
    Candidate,
    ErrorCode,
    EventType,
    IntentMatch,
    Passage,
    PipelineEvent,
    Sentiment,
    SentimentLabel,
    StateChange,
    Tier,
    Transcript,
    TurnResult,
)


class FakeHome:
    """Three rooms on two floors, a dimmable light, a lock, a cover and a thermostat."""

    def __init__(self) -> None:
        self._floors = [Floor("ground", "Ground floor", level=0), Floor("first", "First floor", level=1)]
        self._areas = [
            Area("kitchen", "Kitchen", floor_id="ground"),
            Area("hall", "Hall", floor_id="ground"),
            Area("bedroom", "Bedroom", floor_id="first"),
        ]
        self._entities = {
            e.entity_id: e
            for e in [
                Entity(
                    "light.kitchen",
                    "Kitchen Light",
                    "off",
                    {"supported_color_modes": ["brightness"]},
                    area_id="kitchen",
                    services=frozenset({"light.turn_on", "light.turn_off", "light.toggle"}),
                ),
                Entity(
                    "light.hall_lamp",
                    "Hall Lamp",
                    "off",
                    {"supported_color_modes": ["onoff"]},
                    area_id="hall",
                    services=frozenset({"light.turn_on", "light.turn_off", "light.toggle"}),
                ),
                Entity(
                    "lock.front_door",
                    "Front Door",
                    "locked",
                    area_id="hall",
                    services=frozenset({"lock.lock", "lock.unlock"}),
                ),
                Entity(
                    "cover.bedroom_blinds",
                    "Bedroom Blinds",
                    "closed",
                    {"current_position": 0},
                    area_id="bedroom",
                    services=frozenset({"cover.open_cover", "cover.close_cover", "cover.set_cover_position"}),
                ),
                Entity(
                    "climate.hall",
                    "Thermostat",
                    "heat",
                    {"temperature": 20, "current_temperature": 19.5, "min_temp": 10, "max_temp": 30},
                    area_id="hall",
                    services=frozenset({"climate.set_temperature"}),
                ),
                Entity("sensor.outside", "Outside <Temp>", "12", {"unit_of_measurement": "°C"}),
                Entity("binary_sensor.hall_door", "Hall Door", "on", area_id="hall", device_class="door"),
                Entity("weather.home", "Forecast", "partlycloudy", {"temperature": 13, "temperature_unit": "°C"}),
                Entity("scene.evening", "Evening", "unknown", area_id="hall", services=frozenset({"scene.turn_on"})),
            ]
        }
        self._subs: list[Callable[[StateChange], None]] = []
        self.calls: list[tuple[str, list[str], dict[str, Any]]] = []

    def entities(self) -> list[Entity]:
        return list(self._entities.values())

    def entity(self, entity_id: str) -> Entity | None:
        return self._entities.get(entity_id)

    def areas(self) -> list[Area]:
        return list(self._areas)

    def floors(self) -> list[Floor]:
        return list(self._floors)

    def states(self) -> dict[str, dict[str, Any]]:
        return {e.entity_id: {"state": e.state, "attributes": dict(e.attributes)} for e in self._entities.values()}

    def risk(self, entity_id: str, service: str) -> RiskTier:
        return RiskTier.SENSITIVE if service == "lock.unlock" else RiskTier.NORMAL

    def call_service(
        self, service: str, entity_ids: Sequence[str], data: Mapping[str, Any] | None = None
    ) -> list[Action]:
        self.calls.append((service, list(entity_ids), dict(data or {})))
        out = []
        for eid in entity_ids:
            old = self._entities[eid]
            new_state = {
                "light.turn_on": "on",
                "light.turn_off": "off",
                "scene.turn_on": "2026-01-01T00:00:00+00:00",
                "lock.unlock": "unlocked",
                "lock.lock": "locked",
                "cover.open_cover": "open",
                "cover.close_cover": "closed",
            }.get(service, old.state)
            attrs = dict(old.attributes)
            if data and "brightness_pct" in data:
                attrs["brightness"] = round(data["brightness_pct"] * 255 / 100)
            if data and "position" in data:
                attrs["current_position"] = data["position"]
                new_state = "open" if data["position"] > 0 else "closed"
            if data and "temperature" in data:
                attrs["temperature"] = data["temperature"]
            new = replace(old, state=new_state, attributes=attrs)
            self._entities[eid] = new
            for cb in list(self._subs):
                cb(StateChange(eid, {"state": old.state}, {"state": new_state, "attributes": attrs}, source="test"))
            out.append(Action(eid, service, dict(data or {}), success=True, new_state={"state": new_state}))
        return out

    def subscribe(self, callback: Callable[[StateChange], None]) -> Callable[[], None]:
        self._subs.append(callback)
        return lambda: self._subs.remove(callback)


@dataclass
class FakeKb:
    """Documents in a dict; search returns every chunk containing a query word."""

    docs: dict[str, tuple[str, str]] = field(default_factory=dict)

    def ingest_file(self, source: Any, name: str | None = None, progress: Any = None, **_: Any) -> Any:
        from assistant.rag.kb import IngestReport

        text = Path(source).read_text() if isinstance(source, str | Path) else bytes(source).decode()
        if not text.strip():
            raise AssistantError(ErrorCode.KB_EMPTY_DOCUMENT, "The document is empty.")
        if progress:
            progress(0.5, "embedding")
            progress(1.0, "done")
        doc_id = uuid.uuid4().hex
        self.docs[doc_id] = (name or "doc", text)
        return IngestReport(name=name or "doc", status="ingested", document_id=doc_id, chunks=1, seconds=0.01)

    def documents(self) -> list[Any]:
        from datetime import UTC, datetime

        from assistant.store.records import DocumentInfo

        now = datetime.now(UTC)
        return [
            DocumentInfo(i, n, n.rsplit(".", 1)[0], "upload", "h", len(t), now, now, chunk_count=1)
            for i, (n, t) in self.docs.items()
        ]

    def delete(self, document: str) -> None:
        if document not in self.docs:
            raise AssistantError(ErrorCode.KB_NOT_FOUND, "No such document.")
        del self.docs[document]

    def search(self, query: str, *, k: int = 5) -> list[Passage]:
        words = set(query.lower().split())
        hits = [
            Passage(i, f"{i}:0", t, score=0.8, title=n)
            for i, (n, t) in self.docs.items()
            if words & set(t.lower().split())
        ]
        return hits[:k]

    def ingest_folder(self, *_: Any, **__: Any) -> list[Any]:
        return []


@dataclass
class FakeSkills:
    """A registry with one skill and one load error."""

    skills: dict[str, Any] = field(default_factory=dict)
    errors: list[Any] = field(default_factory=list)


_ORDINALS = {"the first one": 0, "the second one": 1}


class FakeAssistant:
    """Turns: 'turn on/off the kitchen light', 'turn on the light' (asks which: kitchen light or hall lamp, answered
    'the first one'/'the second one'), 'unlock the front door' (asks to confirm), 'yes'/'no', anything else.

    Conversations belong to the ``owner`` that started them; another owner's is refused (conversation-forbidden).
    A pending unlock has an id, expires after ``ttl_s`` and needs ``pin`` when one is set.
    """

    def __init__(self, data_dir: Path, *, pin: str | None = None, ttl_s: float = 60.0) -> None:
        from assistant.store import Database
        from contracts.skills import Permission, Skill, intent

        self.config = load_config(data_dir=str(data_dir))
        self.db = Database(data_dir)
        self.home = FakeHome()
        self.kb = FakeKb()

        class Lights(Skill):
            id = "lights"
            description = "Switches lights."
            permissions = frozenset({Permission.CONTROL_DEVICES})

            @intent("HassTurnOn", examples=("turn on the kitchen light",))
            def on(self, match: Any, ctx: Any) -> Any:
                return None

        self.skills = FakeSkills({"lights": Lights()}, ["broken_skill: SyntaxError in broken_skill.py"])
        self._listeners: list[Callable[[PipelineEvent], None]] = []
        self._pending: dict[str, PendingConfirmation] = {}
        self._controls: dict[str | None, tuple[PendingConfirmation, str, str, dict[str, Any]]] = {}
        self._questions: dict[str, tuple[str, ...]] = {}
        self.pin = pin
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self.home.subscribe(
            lambda ch: self._publish(PipelineEvent(EventType.STATE_CHANGED, data={"entity_id": ch.entity_id}))
        )

    def _publish(self, event: PipelineEvent) -> None:
        for cb in list(self._listeners):
            cb(event)

    def subscribe(self, callback: Callable[[PipelineEvent], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _hold(self, cid: str | None) -> PendingConfirmation:
        return PendingConfirmation(
            id=secrets.token_urlsafe(8),
            question="Unlock Front Door?",
            needs_pin=self.pin is not None,
            expires_at=time.time() + self.ttl_s,
            conversation_id=cid,
        )

    def _live(self, cid: str) -> PendingConfirmation | None:
        held = self._pending.get(cid)
        if held is not None and held.expires_at <= time.time():
            self._pending.pop(cid, None)
            return None
        return held

    def _forbidden(self, cid: str | None, owner: str | None) -> bool:
        if not cid:
            return False
        try:
            self.db.conversations.get_conversation(cid)
        except AssistantError:
            return False
        return self.db.conversations.owner_of(cid) != owner

    def _turn(
        self,
        text: str,
        cid: str | None,
        area: str | None,
        transcript: Transcript | None = None,
        *,
        owner: str | None = None,
        answer: tuple[str, str | None] | None = None,
    ) -> TurnResult:
        repo = self.db.conversations
        if self._forbidden(cid, owner):
            return TurnResult(
                turn_id="",
                conversation_id=cid or "",
                text=text,
                reply="That conversation is not yours.",
                error=ErrorCode.CONVERSATION_FORBIDDEN.value,
            )
        cid = repo.ensure_conversation(cid) if cid else repo.create_conversation(owner=owner)
        low = text.lower().strip()
        actions: tuple[Action, ...] = ()
        needs = False
        error = None
        citations: tuple[Passage, ...] = ()
        intent = IntentMatch("Unknown", tier=Tier.NONE)
        if "kitchen light" in low:
            service = "light.turn_on" if " on" in f" {low}" else "light.turn_off"
            actions = tuple(self.home.call_service(service, ["light.kitchen"]))
            reply = "Turned on the kitchen light." if service.endswith("on") else "Turned off the kitchen light."
            intent = IntentMatch(
                "HassTurnOn",
                targets=("light.kitchen",),
                tier=Tier.TEMPLATE,
                confidence=0.98,
                alternatives=(
                    Candidate("HassTurnOff", ("light.kitchen",), score=0.1, description="Turn off Kitchen Light"),
                ),
            )
        elif low == "turn on the light":
            options = ("light.kitchen", "light.hall_lamp")
            self._questions[cid] = options
            reply, error = "Which do you mean: turn on the Kitchen Light or turn on the Hall Lamp?", "nlu-ambiguous"
            intent = IntentMatch(
                "HassTurnOn",
                tier=Tier.TEMPLATE,
                confidence=0.5,
                alternatives=tuple(
                    Candidate("HassTurnOn", (eid,), score=0.5, description=f"Turn on the {name}.")
                    for eid, name in zip(options, ("Kitchen Light", "Hall Lamp"), strict=True)
                ),
            )
        elif low in _ORDINALS and cid in self._questions:
            chosen = self._questions.pop(cid)[_ORDINALS[low]]
            actions = tuple(self.home.call_service("light.turn_on", [chosen]))
            reply = f"Turned on the {self.home._entities[chosen].name}."
            intent = IntentMatch("HassTurnOn", targets=(chosen,), tier=Tier.DIALOGUE, confidence=1.0)
        elif "unlock" in low:
            self._pending[cid] = self._hold(cid)
            reply, needs = "Do you want me to unlock the Front Door?", True
            intent = IntentMatch("HassUnlock", targets=("lock.front_door",), tier=Tier.TEMPLATE, confidence=0.95)
        elif answer is not None and (live := self._live(cid)) is not None and answer[0] != live.id:
            reply, error = "That confirmation is no longer waiting; I did nothing.", ErrorCode.CONFIRM_NOT_PENDING.value
        elif answer is not None and self._live(cid) is None:
            reply, error = "There's nothing waiting for a confirmation.", ErrorCode.CONFIRM_NOT_PENDING.value
        elif low == "yes" and self.pin is not None and self._live(cid) and (answer or ("", None))[1] != self.pin:
            reply, error, needs = "That PIN is not right, so I did nothing.", ErrorCode.CONFIRM_WRONG_PIN.value, True
        elif low in ("yes", "no") and self._live(cid) is not None:
            self._pending.pop(cid)
            if low == "yes":
                actions = tuple(
                    replace(a, confirmed_by_user=True)
                    for a in self.home.call_service("lock.unlock", ["lock.front_door"])
                )
                reply = "Unlocked the Front Door."
            else:
                reply = "OK, I won't."
            intent = IntentMatch("Confirm" if low == "yes" else "Deny", tier=Tier.DIALOGUE, confidence=1.0)
        elif passages := self.kb.search(text):
            reply, citations = f"According to {passages[0].title}: {passages[0].text[:80]}", tuple(passages)
        else:
            reply, error = "Sorry, I didn't understand that.", ErrorCode.NLU_NO_MATCH.value
        label = SentimentLabel.NEGATIVE if "stupid" in low else SentimentLabel.NEUTRAL
        result = TurnResult(
            turn_id=uuid.uuid4().hex,
            conversation_id=cid,
            text=text,
            reply=reply,
            transcript=transcript,
            intent=intent,
            sentiment=Sentiment(label, -0.6 if label == SentimentLabel.NEGATIVE else 0.0, 0.9),
            actions=actions,
            needs_confirmation=needs,
            citations=citations,
            timings_ms={"sentiment": 1.0, "nlu": 4.0, "skill": 2.0, "total": 8.0},
            error=error,
        )
        turn_id = repo.save_turn(result)
        return replace(result, turn_id=turn_id)

    def handle_text(
        self,
        text: str,
        conversation_id: str | None = None,
        area: str | None = None,
        *,
        speak: bool = False,
        owner: str | None = None,
    ) -> TurnResult:
        result = self._turn(text, conversation_id, area, owner=owner)
        return replace(result, audio=b"RIFF0000WAVEfmt " if speak else None)

    def handle_audio(
        self,
        audio: Any,
        conversation_id: str | None = None,
        area: str | None = None,
        *,
        owner: str | None = None,
        **_: Any,
    ) -> TurnResult:
        text = "turn off the kitchen light"  # a fake recognizer: every recording says the same
        heard = Transcript(text=text, confidence=0.9, duration_s=1.0)
        return self._turn(text, conversation_id, area, heard, owner=owner)

    def stream_text(
        self, text: str, conversation_id: str | None = None, area: str | None = None, *, owner: str | None = None
    ) -> Iterator[Any]:
        result = self._turn(text, conversation_id, area, owner=owner)
        for word in result.reply.split(" "):
            yield word + " "
        yield result

    def pending(self, conversation_id: str, *, owner: str | None = None) -> PendingConfirmation | None:
        if self._forbidden(conversation_id, owner):
            return None
        return self._live(conversation_id)

    def answer_confirmation(
        self,
        conversation_id: str,
        *,
        yes: bool,
        pending_id: str,
        pin: str | None = None,
        owner: str | None = None,
        area: str | None = None,
    ) -> TurnResult:
        return self._turn("yes" if yes else "no", conversation_id, area, owner=owner, answer=(pending_id, pin))

    def request_control(
        self, entity_id: str, service: str, data: dict[str, Any] | None = None, *, owner: str | None
    ) -> ControlOutcome:
        if self.home.risk(entity_id, service) == RiskTier.SENSITIVE:
            held = replace(self._hold(None), question=f"{service} on {entity_id} is a sensitive action. Confirm?")
            self._controls[owner] = (held, entity_id, service, dict(data or {}))
            return ControlOutcome("needs-confirmation", pending=held, message=held.question)
        return ControlOutcome("done", tuple(self.home.call_service(service, [entity_id], data)), message="Done.")

    def confirm_control(self, pending_id: str, *, pin: str | None = None, owner: str | None) -> ControlOutcome:
        entry = self._controls.get(owner)
        if entry is None or entry[0].id != pending_id or entry[0].expires_at <= time.time():
            return ControlOutcome("refused", error_code=ErrorCode.CONFIRM_NOT_PENDING.value, message="Not pending.")
        if self.pin is not None and pin != self.pin:
            return ControlOutcome("refused", error_code=ErrorCode.CONFIRM_WRONG_PIN.value, message="Wrong PIN.")
        _held, entity_id, service, data = self._controls.pop(owner)
        actions = self.home.call_service(service, [entity_id], data or None)
        return ControlOutcome("done", tuple(replace(a, confirmed_by_user=True) for a in actions), message="Done.")

    def cancel_control(self, pending_id: str, *, owner: str | None) -> None:
        entry = self._controls.get(owner)
        if entry is not None and entry[0].id == pending_id:
            self._controls.pop(owner)

    def describe(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.config.data_dir),
            "asr_model": "tiny.en",
            "asr_device": "cpu",
            "skills": ["lights"],
        }

    def ingest_default_knowledge(self) -> None:
        return None

    def close(self) -> None:
        self.db.close()


@pytest.fixture()
def fake_assistant(tmp_path: Path) -> Iterator[FakeAssistant]:
    """A fake assistant over a real SQLite store in a temp dir."""
    a = FakeAssistant(tmp_path / "data")
    yield a
    a.close()
