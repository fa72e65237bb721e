"""The engine's one stemmer (Snowball English), shared by retrieval and understanding."""

from __future__ import annotations

import threading

from assistant.stemming import stem


def test_inflections_share_a_stem() -> None:
    assert stem("heating") == stem("heat") == stem("heated")
    assert stem("Vacuuming") == stem("vacuum")
    assert stem("charging") == stem("charge") == stem("charged")
    assert stem("dimmed") == stem("dim")
    assert stem("batteries") == stem("battery")
    assert stem("lights") == "light"


def test_short_words_and_numbers_pass_unchanged() -> None:
    assert stem("wi") == "wi"
    assert stem("2024") == "2024"
    assert stem("glass") == "glass"


def test_threads_get_their_own_stemmer() -> None:
    words = [f"{w}{suffix}" for w in ("heat", "charg", "switch", "clean") for suffix in ("ing", "ed", "s", "er")]
    expected = {w: stem(w) for w in words}
    stem.cache_clear()
    results: list[dict[str, str]] = []

    def work() -> None:
        results.append({w: stem(w) for w in words})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)
