"""A fake Assistant for the UI's unit tests: a real SQLite store, a tiny in-memory home, scripted turns."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_config
from assistant.messages import (
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
from devices.api import Area, Entity, Floor, RiskTier


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


class FakeAssistant:
    """Turns: 'turn on/off the kitchen light', 'unlock the front door' (asks to confirm), 'yes'/'no', anything else."""

    def __init__(self, data_dir: Path) -> None:
        from assistant.store import Database
        from skills.api import Permission, Skill, intent

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
        self._pending: dict[str, str] = {}
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

    def _turn(self, text: str, cid: str | None, area: str | None, transcript: Transcript | None = None) -> TurnResult:
        repo = self.db.conversations
        cid = repo.ensure_conversation(cid) if cid else repo.create_conversation()
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
        elif "unlock" in low:
            self._pending[cid] = "Unlock Front Door?"
            reply, needs = "Do you want me to unlock the Front Door?", True
            intent = IntentMatch("HassUnlock", targets=("lock.front_door",), tier=Tier.TEMPLATE, confidence=0.95)
        elif low in ("yes", "no") and cid in self._pending:
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
        self, text: str, conversation_id: str | None = None, area: str | None = None, *, speak: bool = False
    ) -> TurnResult:
        result = self._turn(text, conversation_id, area)
        return replace(result, audio=b"RIFF0000WAVEfmt " if speak else None)

    def handle_audio(
        self, audio: Any, conversation_id: str | None = None, area: str | None = None, **_: Any
    ) -> TurnResult:
        text = "turn off the kitchen light"  # a fake recognizer: every recording says the same
        return self._turn(text, conversation_id, area, Transcript(text=text, confidence=0.9, duration_s=1.0))

    def stream_text(self, text: str, conversation_id: str | None = None, area: str | None = None) -> Iterator[Any]:
        result = self._turn(text, conversation_id, area)
        for word in result.reply.split(" "):
            yield word + " "
        yield result

    def pending_confirmation(self, conversation_id: str) -> str | None:
        return self._pending.get(conversation_id)

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
