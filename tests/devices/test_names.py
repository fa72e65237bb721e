"""The one name form (devices.names), shared by the registry and the understanding of requests."""

from __future__ import annotations

import pytest

from devices.names import fold_accents, normalize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café Lamp", "cafe lamp"),  # accents folded, not dropped ('caf lamp' before)
        ("Über-Lamp", "uber lamp"),
        ("Señor Frío", "senor frio"),
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁreplace", "fireplace"),  # compatibility forms
        ("Kid’s Room", "kid's room"),  # one kind of apostrophe, kept inside words
        ("Trader Joe`s", "trader joe's"),
        ("  The Kitchen-Light! ", "the kitchen light"),  # hyphens and punctuation to spaces, articles kept
        ("living_room", "living room"),
        ("St. James", "st james"),
        ("Bedroom 2", "bedroom 2"),  # digits kept
        ("Ambient Light #3", "ambient light 3"),
        ("Wi-Fi 2.4 GHz", "wi fi 2.4 ghz"),  # a decimal point is kept
        ("Lamp.", "lamp"),
        ("", ""),
        ("  ...  ", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_fold_accents_keeps_case_and_other_scripts() -> None:
    assert fold_accents("Café Crème") == "Cafe Creme"
    assert fold_accents("한국 램프") == "한국 램프"  # NFKD decomposes Hangul; NFC puts it back


def test_the_nlu_and_the_registry_share_it() -> None:
    from assistant.nlu.catalog import clean_name
    from assistant.nlu.normalize import normalize

    assert clean_name is normalize_name
    assert clean_name("Café Lamp") in normalize("Turn on the CAFÉ LAMP please")
