"""Tokenising, stemming and sentence splitting."""

from __future__ import annotations

from assistant.rag.text import analyze, sentences, stem


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


def test_sentences_split_headings_lists_and_ends() -> None:
    text = "# Wifi\nThe network is Home. The password is on the router!\n\n- first item\n- second item"
    assert sentences(text) == [
        "Wifi",
        "The network is Home.",
        "The password is on the router!",
        "first item",
        "second item",
    ]
