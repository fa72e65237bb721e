"""The FAQ skill's text helpers: sentences, and terms that match the knowledge base's own index terms."""

from __future__ import annotations

import pytest

from assistant.rag.text import analyze
from skills.faq.text import sentences, terms


def test_sentences_split_headings_lists_and_ends() -> None:
    text = "# Wifi\nThe network is Home. The password is on the router!\n\n- first item\n- second item"
    assert sentences(text) == [
        "Wifi",
        "The network is Home.",
        "The password is on the router!",
        "first item",
        "second item",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "When are the bins collected?",
        "The boiler's pressure should be between 1 and 1.5 bar; don't let it drop.",
        "Heating, heated, heats: the radiators in the children's rooms",
        "Empty the robot vacuum's dust bin after every 3 runs.",
        "",
    ],
)
def test_terms_are_the_index_terms(text: str) -> None:
    """The skill ranks sentences with the same terms the knowledge base indexed the passage with."""
    assert terms(text) == analyze(text)
