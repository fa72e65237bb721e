"""The chat's announcement inbox: a timer's 'done' reaches the chat of its own conversation only."""

from __future__ import annotations

from collections.abc import Callable

from assistant.events import EventBus
from contracts.messages import EventType, PipelineEvent
from ui.live import AnnouncementInbox


def _say(conversation_id: str | None, text: str) -> PipelineEvent:
    return PipelineEvent(type=EventType.ANNOUNCEMENT, conversation_id=conversation_id, data={"text": text})


def test_inbox_keeps_announcements_per_conversation_until_taken() -> None:
    bus = EventBus()
    inbox = AnnouncementInbox(per_conversation=2)
    subscribe: Callable[..., Callable[[], None]] = bus.subscribe
    inbox.attach(subscribe)
    bus.publish(_say("a", "The 5-minute timer is done."))
    bus.publish(_say("b", "The pasta timer is done."))
    bus.publish(PipelineEvent(type=EventType.STATE_CHANGED, data={"entity_id": "light.kitchen"}))
    bus.publish(_say(None, "to nobody"))
    bus.publish(_say("a", "   "))
    assert inbox.pending("a") and inbox.pending("b") and not inbox.pending("c")
    assert inbox.take("a") == ["The 5-minute timer is done."]
    assert inbox.take("a") == [] and not inbox.pending("a")
    for n in range(3):
        bus.publish(_say("b", f"#{n}"))
    assert inbox.take("b") == ["#1", "#2"]  # bounded: the oldest are dropped
    inbox.detach()
    bus.publish(_say("a", "after detach"))
    assert not inbox.pending("a")
