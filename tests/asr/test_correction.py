"""Vocabulary-constrained post-correction: confident snaps only, known words never changed (no model)."""

from __future__ import annotations

import pytest

from assistant.asr.correction import VocabularySnapper, phonetic_key

NAMES = ["Bed Light", "Garage Door", "Shopping List", "Mood Lighting", "Kitchen", "Office"]
WORDS = ["set", "brightness", "turn", "on", "off", "the", "light", "lights", "start", "timer", "minute", "to"]


@pytest.fixture()
def snapper() -> VocabularySnapper:
    return VocabularySnapper(NAMES, WORDS)


def test_phonetic_key_merges_sound_alikes() -> None:
    assert phonetic_key("garaj") == phonetic_key("garage")
    assert phonetic_key("phone") == phonetic_key("fone")
    assert phonetic_key("light") != phonetic_key("night")


def test_near_misses_snap_to_the_vocabulary(snapper: VocabularySnapper) -> None:
    text, snaps = snapper.correct("Bed Light, Rightness, 50%")
    assert text == "Bed Light, Brightness, 50%"
    assert [(s.heard, s.entry) for s in snaps] == [("Rightness", "brightness")]
    assert snapper.correct("open the garaj door")[0] == "open the Garage Door"
    assert snapper.correct("add milk to the shoping list")[0] == "add milk to the Shopping List"


@pytest.mark.parametrize(
    "text",
    [
        "Turn on the bedroom light.",  # 'bedroom' is close to 'Bed Light' only loosely
        "Start a timer for five minutes.",  # an inflection ('minutes') and a dropped article must stay
        "What's the weather like in New York?",  # 'like' is not 'light'
        "Set Color of Lights to Green.",
        "Turn off all of the lights in the office.",
    ],
)
def test_correct_text_is_left_alone(snapper: VocabularySnapper, text: str) -> None:
    assert snapper.correct(text) == (text, [])


def test_ambiguous_or_short_words_are_not_snapped() -> None:
    snapper = VocabularySnapper(["Lamp", "Ramp"], [])
    assert snapper.correct("turn on the Damp")[1] == []  # equally close to two entries
    assert VocabularySnapper(["Tim"], []).correct("Tom")[1] == []  # too short to judge


def test_common_words_only_snap_with_their_neighbour() -> None:
    snapper = VocabularySnapper(["Bed Light"], ["cold", "brightness"], common=["could", "bad"])
    assert snapper.correct("He could wait no longer.") == ("He could wait no longer.", [])
    assert snapper.correct("Turn bad light on.")[0] == "Turn Bed Light on."
    assert snapper.correct("Bed Light, Rightness, 50%")[0] == "Bed Light, Brightness, 50%"
