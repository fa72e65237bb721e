"""Turns that only make sense after the previous one: answers to a question, 'and the bedroom?', 'the fan too'."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from assistant.dialogue.state import DialogueState, Pending
from assistant.messages import IntentMatch, Tier
from assistant.nlu.catalog import HomeIndex, clean_name
from devices.api import HomeApi
from skills.home_control.services import READ_INTENTS, entity_supports

__all__ = ["answer_clarification", "follow_up", "is_follow_up"]

_FOLLOW = re.compile(
    r"^(and|what about|how about|also|same (?:for|in|with)|do the same (?:for|in|with)|now|then|plus)\b\s*(.*)$"
)
_TOO = re.compile(r"^(.*?)\s*\b(too|as well|also)$")
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "last": -1}

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
    """Apply the last command to a new target ('and the bedroom?' → same intent, same kind of device, new area)."""
    phrase = is_follow_up(text)
    if phrase is None or not state.last_intent or not state.last_targets:
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
