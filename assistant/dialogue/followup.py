"""Turns that only make sense after the previous one: answers to a question, 'and the bedroom?', 'the fan too'."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from assistant.dialogue.state import DialogueState, Pending
from assistant.nlu.catalog import HomeIndex, clean_name
from contracts.home import HomeApi
from contracts.intents import READ_INTENTS, entity_supports
from contracts.messages import Candidate, IntentMatch, Tier

__all__ = ["answer_clarification", "follow_up", "is_follow_up"]

_FOLLOW = re.compile(
    r"^(and|what about|how about|also|same (?:for|in|with)|do the same (?:for|in|with)|now|then|plus)\b\s*(.*)$"
)
_TOO = re.compile(r"^(.*?)\s*\b(too|as well|also)$")
_OTHER = re.compile(
    r"^(?:no |not that one |i meant |i mean )*(?:the |that )?other(?: one| ones| (\w+(?: \w+)?))?(?: please)?$"
)
"""'the other one', 'no, the other light': the last action, on the other device of the same kind."""
_ADJUST = re.compile(
    r"^(?:(?:and |now |then )?(?:make it |a bit |a little |slightly |much |even )*)?(?:(\d+(?:\.\d)?) ?(degrees|%)? )?"
    r"(warmer|hotter|cooler|colder|brighter|dimmer|darker|louder|quieter|softer|higher|lower|faster|slower)"
    r"(?: (?:please|again|still))?$"
)
"""'two degrees warmer', 'a bit brighter', 'louder': the same kind of change on what the last command acted on."""
_COMPARATIVES: Mapping[str, tuple[int, frozenset[str]]] = {
    "warmer": (1, frozenset({"climate"})),
    "hotter": (1, frozenset({"climate"})),
    "cooler": (-1, frozenset({"climate"})),
    "colder": (-1, frozenset({"climate"})),
    "brighter": (1, frozenset({"light"})),
    "dimmer": (-1, frozenset({"light"})),
    "darker": (-1, frozenset({"light"})),
    "louder": (1, frozenset({"media_player"})),
    "quieter": (-1, frozenset({"media_player"})),
    "softer": (-1, frozenset({"media_player"})),
    "faster": (1, frozenset({"fan"})),
    "slower": (-1, frozenset({"fan"})),
    "higher": (1, frozenset({"climate", "light", "media_player", "fan", "cover"})),
    "lower": (-1, frozenset({"climate", "light", "media_player", "fan", "cover"})),
}
_ADJUST_INTENT: Mapping[str, tuple[str, str, float]] = {
    "climate": ("HassClimateSetTemperature", "temperature_delta", 1.0),
    "light": ("HassLightSet", "brightness_delta", 25.0),
    "media_player": ("HassSetVolume", "volume_delta", 20.0),
    "fan": ("HassFanSetSpeed", "percentage_delta", 25.0),
    "cover": ("HassSetPosition", "position_delta", 25.0),
}
"""Per domain: the intent of a relative change, its delta slot and the default step."""
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}

NameScorer = Callable[[str, str], float]
"""(normalised text, entity id) -> how well the text names the entity, 0..1."""


def is_follow_up(text: str) -> str | None:
    """The target phrase of an elliptical follow-up ('and the bedroom?' → 'the bedroom'), else None."""
    m = _FOLLOW.match(text)
    if m and m.group(2):
        return m.group(2)
    m = _TOO.match(text)
    if m and m.group(1) and len(m.group(1).split()) <= 5:
        return m.group(1)
    return None


def answer_clarification(text: str, pending: Pending, index: HomeIndex, score: NameScorer) -> IntentMatch | None:
    """Resolve an open question from the answer ('the kitchen one', 'the second', 'both'), or None."""
    options = pending.options
    if not options:
        return None
    chosen: list[int] = []
    if re.search(r"\b(both|all( of them)?|every one|each)\b", text):
        chosen = list(range(len(options)))
    else:
        for word, idx in _ORDINALS.items():
            if re.search(rf"\b{word}\b", text):
                chosen = [idx if idx >= 0 else len(options) - 1]
                break
    if not chosen:
        scores = []
        for k, opt in enumerate(options):
            best = 0.0
            for eid in opt.targets:
                best = max(best, score(text, eid), _area_score(text, index, eid))
            desc = clean_name(opt.description)
            if desc and desc in text:
                best = max(best, 1.0)
            scores.append((best, k))
        scores.sort(reverse=True)
        if scores and scores[0][0] >= 0.5 and (len(scores) == 1 or scores[0][0] - scores[1][0] >= 0.2):
            chosen = [scores[0][1]]
    if not chosen or any(c >= len(options) for c in chosen):
        return None
    targets = tuple(dict.fromkeys(t for c in chosen for t in options[c].targets))
    first = options[chosen[0]]
    slots = dict(first.slots)
    if len(chosen) > 1:
        slots.pop("name", None)
    return IntentMatch(
        intent=first.intent,
        slots=slots,
        targets=targets,
        tier=Tier.DIALOGUE,
        confidence=0.95,
        alternatives=(),
        skill_id=pending.match.skill_id,
        text=text,
    )


def _area_score(text: str, index: HomeIndex, entity_id: str) -> float:
    e = index.entities.get(entity_id)
    if e is None or not e.area_id or e.area_id not in index.areas:
        return 0.0
    a = index.areas[e.area_id]
    return 0.9 if any(re.search(rf"\b{re.escape(clean_name(n))}\b", text) for n in (a.name, *a.aliases)) else 0.0


def follow_up(
    text: str,
    state: DialogueState,
    index: HomeIndex,
    home: HomeApi,
    score: NameScorer,
    *,
    skill_id: str | None,
) -> IntentMatch | None:
    """Apply the last command to a new target ('and the bedroom?' → same intent, same kind of device, new area), to
    the other device of the same kind ('the other one'), or change what it acted on again ('two degrees warmer')."""
    if not state.last_intent or not state.last_targets:
        return None
    adjusted = _adjust(text, state, home, skill_id)
    if adjusted is not None:
        return adjusted
    other = _other(text, state, index, home, skill_id)
    if other is not None:
        return other
    phrase = is_follow_up(text)
    if phrase is None or _own_verb(phrase):
        return None
    intent = state.last_intent
    slots: dict[str, object] = {
        k: v for k, v in state.last_slots.items() if k not in ("name", "area", "floor", "domain", "device_class")
    }
    last_domains = {t.split(".", 1)[0] for t in state.last_targets}
    # a new area: same kind of device there
    area_id = _find(phrase, index.area_names)
    if area_id is not None:
        targets = tuple(
            sorted(
                i
                for i, e in index.entities.items()
                if e.area_id == area_id and e.domain in last_domains and _supports(home, intent, i, slots)
            )
        )
        if targets:
            domain = sorted(last_domains)[0]
            return _match(intent, {**slots, "area": index.areas[area_id].name, "domain": domain}, targets, text,
                          skill_id)  # fmt: skip
    # a named device
    ranked = sorted(((score(phrase, i), i) for i in index.entities), reverse=True)
    if ranked and ranked[0][0] >= 0.6:
        best_score, best = ranked[0]
        ties = [i for s, i in ranked if s >= best_score - 0.01 and _supports(home, intent, i, slots)]
        if len(ties) == 1 and _supports(home, intent, best, slots):
            return _match(intent, {**slots, "name": index.entities[best].name}, (best,), text, skill_id)
        if 1 < len(ties) <= 4:  # 'also the fan' with two fans: ask which, for the same action
            return _which(intent, slots, ties, index, text, skill_id)
    # a kind of device ('also the fan'): the one of that kind, or a question between a few
    from assistant.nlu.lexicon import device_mentions

    kinds = device_mentions(phrase)
    if len(kinds) == 1:
        pool = sorted(i for i, e in index.entities.items() if e.domain in kinds and _supports(home, intent, i, slots))
        if len(pool) == 1:
            return _match(intent, {**slots, "name": index.entities[pool[0]].name}, (pool[0],), text, skill_id)
        if 1 < len(pool) <= 4:
            return _which(intent, slots, pool, index, text, skill_id)
    return None


def _which(
    intent: str, slots: Mapping[str, object], ids: list[str], index: HomeIndex, text: str, skill_id: str | None
) -> IntentMatch:
    options = tuple(
        Candidate(intent, (i,), {**slots, "name": index.entities[i].name}, 0.5, _describe(index, i)) for i in ids
    )
    names = [o.description for o in options]
    question = "Which do you mean: " + ", ".join(names[:-1]) + f" or {names[-1]}?"
    return IntentMatch(intent=intent, slots=dict(slots), targets=(), tier=Tier.DIALOGUE, confidence=0.5,
                       alternatives=options, skill_id=skill_id, text=text, clarification=question)  # fmt: skip


def _describe(index: HomeIndex, entity_id: str) -> str:
    e = index.entities[entity_id]
    area = index.areas.get(e.area_id) if e.area_id else None
    return f"the {e.name}" + (f" in the {area.name}" if area else "")


def _own_verb(phrase: str) -> bool:
    """'and turn off the hall light': a full command of its own, not the last one on a new target."""
    from assistant.nlu.lexicon import action_evidence

    return max(action_evidence(phrase).values(), default=0.0) >= 0.9


def _adjust(text: str, state: DialogueState, home: HomeApi, skill_id: str | None) -> IntentMatch | None:
    m = _ADJUST.match(text)
    if m is None:
        return None
    amount, unit, word = m.group(1), m.group(2), m.group(3)
    sign, domains = _COMPARATIVES[word]
    targets = [t for t in state.last_targets if t.split(".", 1)[0] in domains]
    if not targets:
        return None
    domain = targets[0].split(".", 1)[0]
    targets = [t for t in targets if t.split(".", 1)[0] == domain]
    intent, key, step = _ADJUST_INTENT[domain]
    if amount is not None and (unit == "degrees") == (domain == "climate"):
        step = float(amount)
    slots: dict[str, object] = {key: sign * step}
    if domain == "climate":
        entity = home.entity(targets[0])
        if entity is None:
            return None
        current: Any = entity.attributes.get("temperature") or entity.attributes.get("current_temperature")
        try:
            slots["temperature"] = float(current) + sign * step
        except (TypeError, ValueError):
            return None
    if not all(_supports(home, intent, t, slots) for t in targets):
        return None
    return _match(intent, slots, tuple(targets), text, skill_id)


def _other(
    text: str, state: DialogueState, index: HomeIndex, home: HomeApi, skill_id: str | None
) -> IntentMatch | None:
    m = _OTHER.match(text)
    if m is None:
        return None
    last = [index.entities[t] for t in state.last_targets if t in index.entities]
    if not last:
        return None
    domains = {e.domain for e in last}
    names = {clean_name(e.name) for e in last}
    areas = {e.area_id for e in last}
    pool = [e for e in index.entities.values() if e.domain in domains and e.entity_id not in state.last_targets]
    if m.group(1):
        noun = m.group(1)
        pool = [e for e in pool if noun in clean_name(e.name) or noun.rstrip("s") in e.domain]
    slots = {k: v for k, v in state.last_slots.items() if k not in ("name", "area", "floor")}
    for narrowed in (
        [e for e in pool if clean_name(e.name) in names],
        [e for e in pool if e.area_id in areas],
        pool,
    ):
        fits = [e for e in narrowed if _supports(home, state.last_intent or "", e.entity_id, slots)]
        if len(fits) == 1:
            e = fits[0]
            return _match(state.last_intent or "", {**slots, "name": e.name}, (e.entity_id,), text, skill_id)
        if len(fits) > 1:
            return None
    return None


def _supports(home: HomeApi, intent: str, entity_id: str, slots: Mapping[str, object]) -> bool:
    e = home.entity(entity_id)
    return e is not None and (intent in READ_INTENTS or entity_supports(intent, e, slots))


def _find(text: str, names: Mapping[str, str]) -> str | None:
    for name, ident in sorted(names.items(), key=lambda kv: -len(kv[0])):
        if name and re.search(rf"\b{re.escape(name)}\b", text):
            return ident
    return None


def _match(intent: str, slots: Mapping[str, object], targets: tuple[str, ...], text: str, skill_id: str | None
           ) -> IntentMatch:  # fmt: skip
    return IntentMatch(
        intent=intent, slots=dict(slots), targets=targets, tier=Tier.DIALOGUE, confidence=0.9, skill_id=skill_id,
        text=text,
    )  # fmt: skip
