"""Leave-one-template-out (LOTO) evaluation of the whole understanding engine on Home Assistant's sentences.

The unit held out is one sentence template line of Home Assistant's English data ('HassTurnOn/3/1': intent, block,
line; see ``templates.template_units``). For each held-out line a fixed, seeded number of sentences is drawn from it
(each optional part, alternative and permutation order at random; ``{name}``/``{area}``/``{floor}`` from the fixture
home, honouring the block's required context; numbers and colours from Home Assistant's own lists). The gold
(intent, slots) is what hassil parses with that line alone. The engine, with the line removed from its template tier,
then recognises each sentence through the full text path (templates → semantic; the LLM as configured), and is scored
as the HA dev set is: the intent and every gold slot. Lines with a wildcard slot (free text) are not drawn.

A sentence can still be matched by another, overlapping template line: that share is reported (``by_template``) next
to the figure, because it is how the template tier generalises too.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hassil.expression import ListReference
from hassil.intents import RangeSlotList, SlotList, TextSlotList

from assistant.nlu.learn.generate import GOLD_INTENTS, _Walk
from assistant.nlu.templates import TemplateMatcher, ha_intents_data, template_units
from contracts.intents import WRITE_INTENTS

__all__ = ["LotoSample", "loto_samples", "loto_units", "slots_agree"]


@dataclass(frozen=True, slots=True)
class LotoSample:
    """One sentence drawn from a held-out template line, with its gold parse."""

    unit: str
    """The template line it was drawn from ('intent/block/line')."""
    text: str
    """The sentence."""
    intent: str
    """Gold intent."""
    slots: Mapping[str, Any]
    """Gold slots (what hassil parses with the line alone)."""
    area: str | None = None
    """The speaker's area (a name), when the line needs one."""


def loto_units(intents: Sequence[str] | None = None, *, language: str = "en") -> list[str]:
    """The template lines of Home Assistant's data for these intents (all when None)."""
    return template_units(ha_intents_data(language), intents)


class _HomeWalk(_Walk):
    """The generator's random walk, with slot values from the home's lists (names filtered by required context)."""

    def __init__(self, rng: random.Random, rules: Any, lists: Mapping[str, SlotList], names: Sequence[Any]) -> None:
        super().__init__(rng, rules, {})
        self.lists = lists
        self.names = names

    def _list(self, ref: ListReference, depth: int) -> str:
        self.used.add(ref.slot_name)
        lst = self.lists.get(ref.list_name)
        if isinstance(lst, RangeSlotList):
            number = self.rng.randrange(int(lst.start), int(lst.stop) + 1, max(1, int(lst.step)))
            return str(number)
        if isinstance(lst, TextSlotList):
            values = self.names if ref.list_name == "name" else lst.values
            if values:
                return self.text(self.rng.choice(values).text_in, depth + 1)
        self.ok = False  # a wildcard, an empty or an unknown list
        return ""


def _allowed(value: Any, block: Any) -> bool:
    context = value.context or {}
    for key, want in (block.requires_context or {}).items():
        if key not in ("domain", "device_class"):
            continue
        allowed = want if isinstance(want, list) else [want]
        if context.get(key) not in allowed:
            return False
    for key, unwanted in (block.excludes_context or {}).items():
        banned = unwanted if isinstance(unwanted, list) else [unwanted]
        if context.get(key) in banned:
            return False
    return True


def loto_samples(
    unit: str,
    index: Any,
    *,
    per_template: int,
    seed: int,
    attempts: int = 30,
    language: str = "en",
) -> list[LotoSample]:
    """Up to ``per_template`` distinct sentences of one template line over a home (``HomeIndex``), each parsed by
    hassil with that line alone; the same (unit, home, seed) gives the same sentences."""
    gold = TemplateMatcher(language=language, only=unit)
    gold.update_lists(index)
    intent_name = unit.split("/", 1)[0]
    intent = gold._intents.intents.get(intent_name)
    if intent is None or not intent.data or not intent.data[0].sentences:
        return []
    block = intent.data[0]
    sentence = block.sentences[0]
    lists: dict[str, SlotList] = {**gold._intents.slot_lists, **gold._lists}
    rules = {**gold._intents.expansion_rules, **(block.expansion_rules or {})}
    name_list = gold._lists.get("name")
    names = [v for v in name_list.values if _allowed(v, block)] if isinstance(name_list, TextSlotList) else []
    areas = sorted(a.name for a in index.areas.values())
    needs_area = "area" in (block.requires_context or {})
    canonical: dict[str, str] = {}
    for e in index.entities.values():
        for alias in e.aliases:
            canonical.setdefault(alias, e.name)
    rng = random.Random(f"{seed}/{unit}")
    out: list[LotoSample] = []
    seen: set[str] = set()
    for _ in range(attempts):
        if len(out) >= per_template:
            break
        walk = _HomeWalk(rng, rules, lists, names)
        text = " ".join(walk.text(sentence.expression).split())
        if not walk.ok or not text or text in seen:
            continue
        seen.add(text)
        area = rng.choice(areas) if needs_area and areas else None
        hit = gold.match(text, area_name=area)
        if hit is None or hit.intent != intent_name or hit.wildcards:
            continue
        slots = dict(hit.slots)
        said = slots.get("name")
        if isinstance(said, str) and said in canonical and canonical[said] != said:
            slots["name"] = [canonical[said], said]  # an alias: the entity's name or the alias as said
        out.append(LotoSample(unit, text, intent_name, slots, area))
    return out


def slots_agree(got: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """Every gold slot present with the same value (strings without regard to case; a list: any of its values);
    extra slots are allowed."""
    for key, value in want.items():
        have = got.get(key)
        options = value if isinstance(value, list) else [value]
        if not any(_same(have, v) for v in options):
            return False
    return True


def _same(have: Any, want: Any) -> bool:
    if have == want:
        return True
    return isinstance(have, str) and isinstance(want, str) and have.strip().lower() == want.strip().lower()


def evaluate_loto(
    engine: Any,
    index: Any,
    units: Sequence[str],
    *,
    per_template: int = 2,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    end_state: Callable[[LotoSample, Any], bool | None] | None = None,
    max_misses: int = 40,
) -> dict[str, Any]:
    """Hold out each unit in turn from ``engine``'s template tier and score its sentences; restores the engine.
    ``end_state(sample, match)``: whether executing the match leaves the home as the gold would (None: not an action);
    ``wrong_action_rate``: of those, the share where the engine acted (a write with targets, no question) and the home
    ends up other than the gold would leave it;
    Home Assistant's slots name a room where the engine may name the entity it grounded, so both are reported."""
    say = progress or (lambda _m: None)
    correct = intent_ok = n = by_template = 0
    end_ok = end_n = acted_wrong = 0
    skipped = 0
    per_intent: dict[str, list[int]] = {}
    tiers: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    try:
        for k, unit in enumerate(units):
            samples = loto_samples(unit, index, per_template=per_template, seed=seed)
            if not samples:
                skipped += 1
                continue
            engine.hold_out_templates([unit])
            for s in samples:
                match = engine.recognize(s.text, conversation_id=f"loto{k}-{n}", area=s.area)[0]
                ok = match.intent == s.intent and slots_agree(match.slots, s.slots)
                n += 1
                correct += ok
                intent_ok += match.intent == s.intent
                tiers[match.tier.value] += 1
                by_template += match.tier.value == "template"
                agrees = end_state(s, match) if end_state is not None else None
                if agrees is not None:
                    end_n += 1
                    end_ok += agrees
                    acted = bool(match.targets) and not match.clarification and match.intent in WRITE_INTENTS
                    acted_wrong += acted and not agrees
                counts = per_intent.setdefault(s.intent, [0, 0])
                counts[0] += ok
                counts[1] += 1
                if not ok and len(misses) < max_misses:
                    misses.append(
                        {"unit": unit, "text": s.text, "area": s.area, "want": [s.intent, dict(s.slots)],
                         "got": [match.intent, dict(match.slots)], "tier": match.tier.value, "end_state": agrees,
                         "confidence": round(match.confidence, 3)}
                    )  # fmt: skip
            if k % 50 == 0:
                say(f"loto: {k}/{len(units)} template lines, {n} sentences")
    finally:
        engine.hold_out_templates([])
    device = [v for k, v in per_intent.items() if k in GOLD_INTENTS]
    device_n = sum(v[1] for v in device)
    return {
        "unit": "one Home Assistant sentence template line (intent/block/line)",
        "templates": len(units) - skipped,
        "templates_not_drawn": skipped,
        "per_template": per_template,
        "seed": seed,
        "n": n,
        "intent_slot_accuracy": round(correct / max(1, n), 4),
        "intent_accuracy": round(intent_ok / max(1, n), 4),
        "by_template_share": round(by_template / max(1, n), 4),
        "end_state_agreement": round(end_ok / max(1, end_n), 4),
        "end_state_n": end_n,
        "wrong_action_rate": round(acted_wrong / max(1, end_n), 4),
        "tiers": dict(sorted(tiers.items())),
        "device_control": {
            "intents": list(GOLD_INTENTS),
            "n": device_n,
            "intent_slot_accuracy": round(sum(v[0] for v in device) / max(1, device_n), 4),
        },
        "per_intent": {
            k: {"n": v[1], "intent_slot_accuracy": round(v[0] / v[1], 4)} for k, v in sorted(per_intent.items())
        },
        "misses": misses,
    }
