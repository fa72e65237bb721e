"""What a request said about its target, as slots in Home Assistant's form: the area or floor it named (or implied by
'in here'), the kind of device, and, for a state question, the state it asks about ('are any fans off' → off).

The semantic tier grounds a request to entities; these slots record how the request referred to them, so the match
reads as Home Assistant's own parse would (``{'area': 'Kitchen', 'domain': 'light'}`` for 'lights on in the kitchen'
rather than only the lamp it chose), the trace shows it, and a yes/no question gets a yes/no answer. The state words
come from Home Assistant's sentence data (its ``*_states`` lists and which domain each state question uses), not
from a list of ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from assistant.nlu.catalog import HomeIndex
from assistant.nlu.templates import ha_intents_data

__all__ = ["asked_state", "classes_said", "state_words", "where_said"]

_DETERMINER = r"(?:the|my|our|a|an|this|that|each|every|all|some|any)"


def _phrase_rx(phrase: str) -> str:
    """A hassil phrase ('[securely] locked', '(closed|shut)') as a regular expression."""
    out = phrase.strip().replace("(", "(?:")
    return re.sub(r"\[([^\]]+)\](\s*)", lambda m: f"(?:{m.group(1)}{' ' if m.group(2) else ''})?", out)


@lru_cache(maxsize=4)
def state_words(language: str = "en") -> Mapping[str, tuple[tuple[re.Pattern[str], str], ...]]:
    """Domain → (phrase pattern, state value) for the states Home Assistant's state questions ask about, read from
    its sentence data: the ``{<list>:state}`` of each HassGetState block and the domains that block is for."""
    data = ha_intents_data(language)
    lists = data.get("lists", {})
    out: dict[str, dict[str, tuple[re.Pattern[str], str]]] = {}
    for block in data.get("intents", {}).get("HassGetState", {}).get("data", []):
        domains = (block.get("requires_context") or {}).get("domain") or (block.get("slots") or {}).get("domain")
        used = {m for s in block.get("sentences", []) for m in re.findall(r"\{(\w+):state\}", s)}
        for list_name in sorted(used):
            for v in (lists.get(list_name) or {}).get("values") or []:
                if not isinstance(v, Mapping) or "in" not in v or "out" not in v:
                    continue
                rx = re.compile(rf"\b{_phrase_rx(str(v['in']))}\b")
                for domain in domains if isinstance(domains, list) else [domains] if domains else []:
                    out.setdefault(str(domain), {}).setdefault(rx.pattern, (rx, str(v["out"])))
    return {d: tuple(pairs.values()) for d, pairs in out.items()}


@lru_cache(maxsize=4)
def _class_words(language: str = "en") -> tuple[tuple[re.Pattern[str], str], ...]:
    """Home Assistant's words for kinds of cover ('blinds' → blind, 'garage door' → garage), from its lists."""
    values = (ha_intents_data(language).get("lists", {}).get("cover_classes") or {}).get("values") or []
    return tuple(
        (re.compile(rf"\b{_phrase_rx(str(v['in']))}\b"), str(v["out"]))
        for v in values
        if isinstance(v, Mapping) and "in" in v and "out" in v
    )


def classes_said(text: str) -> frozenset[str]:
    """The kinds of cover a request names, in Home Assistant's device classes; a longer phrase wins over one inside
    it ('garage door' is garage, not door)."""
    spans = [(m.start(), m.end(), value) for rx, value in _class_words() for m in rx.finditer(text)]
    return frozenset(v for a, b, v in spans if not any(x <= a and b <= y and (y - x) > (b - a) for x, y, _w in spans))


def asked_state(text: str, domain: str, area_names: Iterable[str] = ()) -> str | None:
    """The state a question asks about ('is the front door locked' → locked) for a target of this kind, in Home
    Assistant's values; None when it names none. The last state word said wins; 'on' followed by a determiner or a
    place ('on the porch', 'on Kitchen') is a preposition, not the state."""
    pairs = state_words().get(domain)
    if not pairs:
        return None
    places = "|".join(re.escape(n) for n in sorted(area_names, key=len, reverse=True) if n)
    after = rf"\s+(?:{_DETERMINER}|{places})\b" if places else rf"\s+{_DETERMINER}\b"
    best: tuple[int, int, str] | None = None
    for rx, value in pairs:
        for m in rx.finditer(text):
            if m.group(0) == "on" and re.match(after, text[m.end() :]):
                continue
            key = (m.start(), len(m.group(0)), value)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best else None


def where_said(
    text: str, index: HomeIndex, areas: Sequence[str], floors: Sequence[str], here: str | None
) -> dict[str, Any]:
    """The place slots a request said: the one floor it named, the one area it named (or the speaker's, for 'in
    here'); ids are the index's, values are the home's spelling of the names."""
    out: dict[str, Any] = {}
    if len(floors) == 1 and floors[0] in index.floors:
        out["floor"] = index.floors[floors[0]].name
    named = [a for a in areas if a in index.areas and not (floors and index.areas[a].name in out.get("floor", ""))]
    if len(named) == 1:
        out["area"] = index.areas[named[0]].name
    elif not named and here and here in index.areas and "floor" not in out:
        out["area"] = index.areas[here].name
    return out
