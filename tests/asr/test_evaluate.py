"""WER normalisation and eval manifest reading (no model)."""

from __future__ import annotations

from pathlib import Path

from assistant.asr.evaluate import fixture_hotwords, load_rows, normalize_text, word_errors
from assistant.asr.normalizer import whisper_normalize


def test_normalize_text() -> None:
    assert normalize_text("Set Bed Light brightness to 50%.") == "set bed light brightness to 50 percent"
    spoken = "Set a timer for one hour and twenty-five minutes!"
    assert normalize_text(spoken) == "set a timer for 1 hour and 25 minutes"
    assert normalize_text("What’s the T.V. volume?") == "what's the t v volume"
    assert normalize_text("two hundred and five, 1,000") == "205 1000"


def test_whisper_normalizer_on_both_sides() -> None:
    assert whisper_normalize("What’s the Office temp?") == "what is the office temp"
    assert whisper_normalize("Set a timer for five minutes.") == "set a timer for 5 minutes"
    assert whisper_normalize("set Bed Light brightness to 50 percent") == "set bed light brightness to 50%"
    assert whisper_normalize("to fifty percent") == whisper_normalize("to 50%")


def test_word_errors() -> None:
    assert word_errors("turn on the Kitchen lights", "Turn on the kitchen lights.") == (0, 5)
    # Whisper's normaliser expands "we'll" to "we will": 2 insertions + "it" for "a"
    assert word_errors("set a timer for 5 minutes", "We'll set it timer for five minutes.") == (3, 6)
    assert word_errors("what's the temperature", "What is the temperature?") == (0, 4)
    assert word_errors("a b", "") == (2, 2)


def test_manifest_rows_and_hotwords(tmp_path: Path) -> None:
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "manifest.jsonl").write_text(
        '{"id": "a", "audio": "a.wav", "reference_text": "next track", "speaker_source": "human_recording"}\n'
        '{"id": "b", "audio": "b.wav", "reference_text": null, "out_of_vocabulary": true}\n'
        '{"id": "c", "audio": "c.wav", "reference_text": "hi", "speaker_source": "tts_cloud"}\n'
        '{"id": "d", "audio": "d.wav", "reference_text": null}\n'
    )
    rows = load_rows(tmp_path)
    assert [(r.id, r.source, r.reference) for r in rows] == [
        ("a", "human", "next track"),
        ("b", "human", None),
        ("c", "synthetic", "hi"),
    ]
    (tmp_path / "speech_stp_en_commands").mkdir()
    (tmp_path / "speech_stp_en_commands" / "fixtures_en.json").write_text(
        '{"areas": [{"name": "Kitchen"}], "entities": [{"name": "Bed Light", "aliases": ["Bedside"]}]}'
    )
    assert fixture_hotwords(tmp_path) == ["Bed Light", "Bedside", "Kitchen"]
