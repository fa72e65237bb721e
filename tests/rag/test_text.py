"""Tokenising, stemming and sentence splitting."""

from __future__ import annotations

from assistant.rag.text import analyze, stem


def test_stem_conflates_inflections() -> None:
    assert stem("heating") == stem("heat") == stem("heated")
    assert stem("bins") == stem("bin")
    assert stem("running") == stem("run")
    assert stem("batteries") == stem("battery")
    assert stem("glass") == "glass"


def test_analyze_drops_stop_words_and_possessives() -> None:
    assert analyze("What's the Wi-Fi password of the house's router?") == [
        "wi",
        "fi",
        "password",
        stem("house"),
        stem("router"),
    ]
