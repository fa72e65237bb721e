"""Fault: a local plugin that raises or hangs gives skill-failed / skill-timeout, and the next turn works."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.helpers import build_assistant

pytestmark = pytest.mark.slow

FAULTY_SKILL = '''
"""Skills that fail on purpose (reliability test)."""

import time

from contracts.messages import SkillResult
from contracts.skills import Skill, intent


class FaultySkill(Skill):
    """Raises, or hangs past its timeout."""

    id = "faulty"
    description = "Fails on purpose."
    timeout_s = 1.0

    @intent("FaultyCrash", templates=("crash the flux capacitor",), examples=("crash the flux capacitor",))
    def crash(self, match, ctx):
        raise RuntimeError("the flux capacitor exploded")

    @intent("FaultyHang", templates=("freeze the flux capacitor",), examples=("freeze the flux capacitor",))
    def hang(self, match, ctx):
        time.sleep(6)
        return SkillResult(text="too late")

    @intent("FaultyOk", templates=("check the flux capacitor",), examples=("check the flux capacitor",))
    def fine(self, match, ctx):
        return SkillResult(text="The flux capacitor is fine.")
'''


@pytest.fixture
def assistant(tmp_path: Path) -> Iterator[Any]:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "faulty.py").write_text(FAULTY_SKILL, encoding="utf-8")
    a = build_assistant(
        tmp_path / "data", skills={"folder": str(folder)}, nlu={"semantic": False}, sentiment={"engine": "vader"}
    )
    try:
        assert "faulty" in a.skills.skills, a.skills.errors
        yield a
    finally:
        a.close()


def test_a_raising_skill_gives_skill_failed_and_the_next_turn_works(assistant: Any) -> None:
    before = assistant.home.states()
    conversation = assistant.db.conversations.create_conversation()
    crashed = assistant.handle_text("crash the flux capacitor", conversation_id=conversation)
    assert crashed.intent is not None and crashed.intent.intent == "FaultyCrash"
    assert crashed.error == "skill-failed"
    assert crashed.actions == ()
    assert "faulty" in crashed.reply and "fail" in crashed.reply.lower()  # the user is told which skill failed
    assert assistant.home.states() == before

    ok = assistant.handle_text("check the flux capacitor", conversation_id=conversation)
    assert ok.error is None and "The flux capacitor is fine." in ok.reply
    light = assistant.handle_text("turn on the kitchen light", conversation_id=conversation)
    assert light.error is None and assistant.home.states()["light.kitchen"]["state"] == "on"
    stored = assistant.db.conversations.turns(conversation)
    assert [t.error_code for t in stored] == ["skill-failed", None, None]


def test_a_hanging_skill_gives_skill_timeout_quickly_and_the_next_turn_works(assistant: Any) -> None:
    conversation = assistant.db.conversations.create_conversation()
    started = time.perf_counter()
    hung = assistant.handle_text("freeze the flux capacitor", conversation_id=conversation)
    waited = time.perf_counter() - started
    assert hung.error == "skill-timeout"
    assert waited < 5.0, f"the turn waited {waited:.1f} s for a skill whose timeout is 1 s"
    assert "too late" not in hung.reply

    started = time.perf_counter()
    light = assistant.handle_text("turn on the kitchen light", conversation_id=conversation)
    assert light.error is None and assistant.home.states()["light.kitchen"]["state"] == "on"
    assert time.perf_counter() - started < 3.0  # the hung handler does not block the next turn
    assert [t.error_code for t in assistant.db.conversations.turns(conversation)] == ["skill-timeout", None]
