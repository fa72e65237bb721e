"""The home grammar and n-best rescoring: text-level rules, then real espeak-ng speech through tiny.en."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.asr import WhisperRecognizer
from assistant.asr.evaluate import normalize_text, word_errors
from assistant.asr.grammar import HomeGrammar, grammar_tokens
from assistant.asr.rescoring import Hypothesis, choose

NAMES = ["Mood Lighting", "Bed Light", "Front Door", "Kitchen", "Office", "TV", "Garage Door"]


@pytest.fixture(scope="module")
def grammar() -> HomeGrammar:
    return HomeGrammar(NAMES)


def test_tokens() -> None:
    words = ["set", "bed", "light", "brightness", "to", "50", "percent"]
    assert grammar_tokens("Set Bed Light brightness to 50%.") == words
    assert grammar_tokens("Set a timer for five minutes!") == ["set", "a", "timer", "for", "5", "minutes"]


def test_in_grammar_sentences_cost_nothing(grammar: HomeGrammar) -> None:
    for text in ("Turn off all the lights in the office.", "is the front door unlocked", "Set a timer for 5 minutes"):
        match = grammar.nearest(text)
        assert match is not None and match.cost == 0.0, text
    match = grammar.nearest("turn on the tv in the kitchen")
    assert match is not None and match.text == "turn on the TV in the Kitchen" and match.intent == "HassTurnOn"


def test_near_misses_are_repaired_to_the_homes_names(grammar: HomeGrammar) -> None:
    match = grammar.nearest("activate wood lighting", max_cost=1.0)
    assert match is not None and match.text == "activate Mood Lighting"
    match = grammar.nearest("Turn bad light on.", max_cost=1.0)
    assert match is not None and match.text == "turn Bed Light on"
    match = grammar.nearest("said bed light brightness 50%", max_cost=1.5)
    assert match is not None and match.text.startswith("set Bed Light brightness")


def test_open_speech_is_far_from_the_grammar(grammar: HomeGrammar) -> None:
    for text in ("What is the capital of France?", "remind me to call mom tomorrow", "He could wait no longer."):
        assert grammar.nearest(text, max_cost=1.5) is None, text


def test_choose_prefers_a_command_reading_within_reach(grammar: HomeGrammar) -> None:
    hyps = [
        Hypothesis("We'll set it timer for five minutes.", -0.28),
        Hypothesis("I'll set it timer for five minutes.", -0.31),
        Hypothesis("Set a timer for five minutes.", -0.42),
    ]
    choice = choose(hyps, grammar)
    assert choice.source == "grammar" and choice.index == 2 and choice.text == "set a timer for 5 minutes"
    # too much less likely acoustically: the top hypothesis stands
    far = [Hypothesis("Tell me a joke about cats.", -0.2), Hypothesis("Turn on the TV.", -2.5)]
    assert choose(far, grammar).source == "open"
    open_speech = [Hypothesis("What is the capital of France?", -0.3)]
    choice = choose(open_speech, grammar)
    assert choice.source == "open" and choice.text == "What is the capital of France?"


# Real speech: espeak-ng renderings through the embedded tiny.en model (CPU, deterministic beam search).


@pytest.mark.slow
def test_spoken_command_is_written_as_the_homes_command(
    recognizer: WhisperRecognizer, speak: Callable[[str], Path]
) -> None:
    names = [*NAMES, "Hue Go lamp", "Living Room"]
    # tiny.en alone: 'Set, Bed Light, Right, Office, 50%'; a lower hypothesis is the home's command
    transcript = recognizer.transcribe(speak("set bed light brightness to fifty percent"), hotwords=names)
    assert recognizer.last_choice is not None and recognizer.last_choice.source == "grammar"
    assert transcript.text == "set Bed Light brightness to 50 percent"
    transcript = recognizer.transcribe(speak("activate mood lighting"), hotwords=names)
    assert transcript.text == "activate Mood Lighting"  # the home's spelling, no stray punctuation
    transcript = recognizer.transcribe(speak("set a timer for five minutes"), hotwords=names)
    assert normalize_text(transcript.text) == "set a timer for 5 minutes"


@pytest.mark.slow
def test_spoken_open_speech_is_left_as_heard(recognizer: WhisperRecognizer, speak: Callable[[str], Path]) -> None:
    sentence = "what is the capital of france"
    transcript = recognizer.transcribe(speak(sentence), hotwords=NAMES)
    assert recognizer.last_choice is not None and recognizer.last_choice.source == "open"
    assert word_errors(sentence, transcript.text)[0] <= 1, transcript.text


@pytest.mark.slow
def test_rescoring_off_and_full_window_still_transcribe(
    recognizer: WhisperRecognizer, speak: Callable[[str], Path]
) -> None:
    before = recognizer.config
    try:
        recognizer.update_config(grammar_rescoring=False)
        transcript = recognizer.transcribe(speak("turn on the kitchen light"), hotwords=NAMES)
        assert recognizer.last_choice is not None and recognizer.last_choice.source == "open"
        assert word_errors("turn on the kitchen light", transcript.text)[0] <= 1, transcript.text
        recognizer.update_config(window_s=30.0)
        transcript = recognizer.transcribe(speak("turn on the kitchen light"), hotwords=NAMES)
        assert recognizer.last_choice is None  # the plain faster-whisper path
        assert word_errors("turn on the kitchen light", transcript.text)[0] <= 1, transcript.text
    finally:
        recognizer.update_config(grammar_rescoring=before.grammar_rescoring, window_s=before.window_s)


def test_an_in_grammar_transcript_is_more_confident() -> None:
    from assistant.asr.rescoring import Choice
    from assistant.asr.whisper import _with_grammar

    assert _with_grammar(0.3, Choice("activate Mood Lighting", "grammar", 0, cost=0.0)) == 0.65
    assert _with_grammar(0.3, Choice("activate Mood Lighting", "grammar", 1, cost=1.2)) == 0.3  # repaired: no boost
    assert _with_grammar(0.3, Choice("what is a haiku", "open", 0)) == 0.3
    assert _with_grammar(0.3, None) == 0.3
