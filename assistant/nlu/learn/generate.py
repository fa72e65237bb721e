"""Labelled requests generated from Home Assistant's English sentence templates over many homes, with paraphrase noise.

A row is (request, home, gold action): a template of a device intent is walked at random (each optional part, each
alternative, the order of a permutation drawn), its ``{name}``/``{area}`` slots are filled from a chosen entity of the
home and its value lists (brightness, temperature, position, volume, colour) drawn from Home Assistant's own lists. The
entity's start state is set so that the action makes sense (off before 'turn on', playing before 'pause'). Noise then
rewrites the clean sentence the way people and speech recognisers do: fillers and politeness, synonyms from one list,
dropped articles, a moved area phrase, a misheard letter. Everything is drawn from one seeded ``random.Random``.

The homes are the Home Assistant intent fixture, the DEV homes of ``device_actions`` (their devices and names, never
their sentences) and randomly generated homes with varied names, areas and names shared across domains.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from hassil import Intents
from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    TextChunk,
)
from hassil.intents import RangeSlotList, TextSlotList

from assistant.nlu.templates import ha_intents_data
from contracts.home import Area, Entity, Floor
from devices.loader import make_entity

__all__ = ["GOLD_INTENTS", "Example", "SynthHome", "examples", "random_home", "template_ids"]

GOLD_INTENTS: tuple[str, ...] = (
    "HassTurnOn",
    "HassTurnOff",
    "HassLightSet",
    "HassClimateSetTemperature",
    "HassSetPosition",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassMediaPrevious",
    "HassSetVolume",
    "HassSetVolumeRelative",
    "HassVacuumStart",
    "HassVacuumReturnToBase",
)
"""Device intents whose templates name one entity (``{name}``) and are generated."""

_START: Mapping[tuple[str, str], str] = {
    ("HassTurnOn", "light"): "off", ("HassTurnOff", "light"): "on",
    ("HassTurnOn", "switch"): "off", ("HassTurnOff", "switch"): "on",
    ("HassTurnOn", "fan"): "off", ("HassTurnOff", "fan"): "on",
    ("HassTurnOn", "cover"): "closed", ("HassTurnOff", "cover"): "open",
    ("HassTurnOn", "valve"): "closed", ("HassTurnOff", "valve"): "open",
    ("HassTurnOn", "lock"): "unlocked", ("HassTurnOff", "lock"): "locked",
    ("HassTurnOn", "climate"): "off", ("HassTurnOff", "climate"): "heat",
    ("HassTurnOn", "media_player"): "off", ("HassTurnOff", "media_player"): "playing",
    ("HassLightSet", "light"): "on", ("HassClimateSetTemperature", "climate"): "heat",
    ("HassSetPosition", "cover"): "open", ("HassSetPosition", "valve"): "open",
    ("HassMediaPause", "media_player"): "playing", ("HassMediaUnpause", "media_player"): "paused",
    ("HassMediaNext", "media_player"): "playing", ("HassMediaPrevious", "media_player"): "playing",
    ("HassSetVolume", "media_player"): "playing", ("HassSetVolumeRelative", "media_player"): "playing",
    ("HassVacuumStart", "vacuum"): "docked", ("HassVacuumReturnToBase", "vacuum"): "cleaning",
}  # fmt: skip
"""The target's start state per (intent, domain): the state in which the request makes sense."""


@dataclass(frozen=True, slots=True)
class SynthHome:
    """A home for generation: entities (with states), areas and floors."""

    name: str
    """A name for splits ('ha-fixture', 'da:home3-us', 'rand-17')."""
    entities: tuple[Entity, ...]
    """Entities."""
    areas: tuple[Area, ...]
    """Areas."""
    floors: tuple[Floor, ...] = ()
    """Floors."""


@dataclass(frozen=True, slots=True)
class Example:
    """One generated request with its gold action."""

    text: str
    """The request as said (with noise)."""
    clean: str
    """The sentence as the template produced it."""
    home: SynthHome
    """The home, with the target in its start state."""
    intent: str
    """Gold intent."""
    targets: tuple[str, ...]
    """Gold entity ids (one when named; the kind in the area when only the area is said)."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """Gold value slots (brightness, temperature, position, volume_level, color)."""
    template: str = ""
    """Template id ('HassTurnOn/12/0'): leave-one-template-out splits group by it."""
    last_targets: tuple[str, ...] = ()
    """What the previous turn acted on (for requests that say 'it' instead of the name)."""


@lru_cache(maxsize=1)
def _intents() -> Intents:
    return Intents.from_dict(ha_intents_data("en"))


def template_ids() -> list[str]:
    """Every generated template's id ('intent/data index/sentence index')."""
    out = []
    for intent in GOLD_INTENTS:
        for k, data in enumerate(_intents().intents[intent].data):
            for j, _s in enumerate(data.sentences):
                out.append(f"{intent}/{k}/{j}")
    return out


class _Walk:
    def __init__(self, rng: random.Random, rules: Mapping[str, Sentence], fill: Mapping[str, str]) -> None:
        self.rng = rng
        self.rules = rules
        self.fill = fill
        self.slots: dict[str, Any] = {}
        self.ok = True
        self.used: set[str] = set()

    def text(self, expr: Expression, depth: int = 0) -> str:
        if depth > 40:
            self.ok = False
            return ""
        if isinstance(expr, TextChunk):
            return expr.text
        if isinstance(expr, Alternative):
            return self.text(self.rng.choice(expr.items), depth + 1)
        if isinstance(expr, Permutation):
            items = list(expr.items)
            self.rng.shuffle(items)
            return " ".join(self.text(i, depth + 1) for i in items)
        if isinstance(expr, Group):
            return "".join(self.text(i, depth + 1) for i in expr.items)
        if isinstance(expr, RuleReference):
            rule = self.rules.get(expr.rule_name)
            if rule is None:
                self.ok = False
                return ""
            return self.text(rule.expression, depth + 1)
        if isinstance(expr, ListReference):
            return self._list(expr, depth)
        self.ok = False
        return ""

    def _list(self, ref: ListReference, depth: int) -> str:
        slot = ref.slot_name
        self.used.add(slot)
        if slot in self.fill:
            return self.fill[slot]
        lst = _intents().slot_lists.get(ref.list_name)
        if isinstance(lst, RangeSlotList):
            lo, hi = max(10, lst.start), min(30, lst.stop)
            if slot != "temperature" or lo > hi:
                lo, hi = lst.start, lst.stop
            number = self.rng.randrange(int(lo), int(hi) + 1, max(1, int(lst.step)))
            self.slots[slot] = number
            return str(number)
        if isinstance(lst, TextSlotList) and lst.values:
            value = self.rng.choice(lst.values)
            self.slots[slot] = value.value_out
            return self.text(value.text_in, depth + 1)
        self.ok = False  # a wildcard or an unknown list
        return ""


_NATURAL: Mapping[str, str] = {
    "HassLightSet": "light", "HassClimateSetTemperature": "climate", "HassMediaPause": "media_player",
    "HassMediaUnpause": "media_player", "HassMediaNext": "media_player", "HassMediaPrevious": "media_player",
    "HassSetVolume": "media_player", "HassSetVolumeRelative": "media_player", "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum",
}  # fmt: skip
"""The domain of an intent whose sentence names no domain ('next track', 'pause')."""


def _fits(data: Any, entity: Entity, intent: str) -> bool:
    want = data.requires_context.get("domain") or data.slots.get("domain") or _NATURAL.get(intent)
    if want is None:
        return False
    domains = want if isinstance(want, list) else [want]
    if entity.domain not in domains or data.excludes_context:
        return False
    area = data.requires_context.get("area")
    if area and not (isinstance(area, dict) and area.get("slot")):
        return False  # a fixed area value; the speaker's area ('next track' said in the room) is fine
    dc = data.slots.get("device_class") or data.requires_context.get("device_class")
    if not dc:
        return True
    return (entity.device_class or entity.attributes.get("device_class")) in ([dc] if isinstance(dc, str) else dc)


_FILLERS_BEFORE = (
    "please ", "could you ", "can you ", "hey, ", "ok ", "would you ", "i'd like you to ", "go ahead and ",
)  # fmt: skip
_FILLERS_AFTER = (" please", " for me", " now", " right now", " thanks", " if you can", " real quick")
_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("turn on", ("switch on", "power on", "put on")),
    ("turn off", ("switch off", "power off", "shut off")),
    ("open", ("raise",)),
    ("close", ("shut", "lower")),
    ("pause", ("hold",)),
    ("unpause", ("resume", "continue")),
    ("lights", ("lamps",)),
    ("light", ("lamp",)),
    ("set", ("put", "change")),
    ("volume", ("sound",)),
)
"""Synonyms used as noise: one list for every template."""


def _noise(text: str, rng: random.Random, area: str | None) -> str:
    out = text.lower()
    if rng.random() < 0.35:
        src, dst = rng.choice(_SYNONYMS)
        out = re.sub(rf"\b{re.escape(src)}\b", rng.choice(dst), out, count=1)
    if rng.random() < 0.3:
        out = re.sub(r"\b(the|my) ", "", out, count=1)
    if area and rng.random() < 0.2:
        a = area.lower()
        m = re.search(rf"\b(in|of) the {re.escape(a)}\b", out)
        if m:  # move the area phrase to the front
            out = f"in the {a} " + (out[: m.start()] + out[m.end() :]).strip()
    if rng.random() < 0.35:
        out = rng.choice(_FILLERS_BEFORE) + out
    if rng.random() < 0.3:
        out = out + rng.choice(_FILLERS_AFTER)
    if rng.random() < 0.1:  # a misheard letter in one longer word
        ws = out.split()
        long = [k for k, w in enumerate(ws) if len(w) >= 6 and w.isalpha()]
        if long:
            k = rng.choice(long)
            w = ws[k]
            p = rng.randrange(1, len(w) - 1)
            ws[k] = w[:p] + rng.choice("aeiourstnl") + w[p + 1 :]
            out = " ".join(ws)
    return re.sub(r"\s+", " ", out).strip()


def _with_state(home: SynthHome, target: str, intent: str, gold: Sequence[str] = ()) -> SynthHome:
    ents = []
    targets = {target, *gold}
    for e in home.entities:
        if intent in _MEDIA and e.domain == "media_player" and e.entity_id not in targets:
            e = replace(e, state="off")  # the one playing is the one meant
        if e.entity_id in targets:
            state = _START.get((intent, e.domain))
            if state is not None:
                attrs = dict(e.attributes)
                if e.domain == "light" and state == "on":
                    attrs.setdefault("brightness", 128)
                if e.domain == "media_player":
                    attrs.setdefault("volume_level", 0.5)
                e = replace(e, state=state, attributes=attrs)
        ents.append(e)
    return replace(home, entities=tuple(ents))


_GENERIC: Mapping[str, tuple[str, ...]] = {
    "light": ("light", "lights", "lamp"),
    "fan": ("fan",),
    "cover": ("blinds", "shades", "curtains"),
    "valve": ("sprinklers", "valve", "water"),
    "climate": ("thermostat", "heating", "heat"),
    "media_player": ("music", "speaker", "tv"),
    "vacuum": ("vacuum", "robot"),
    "lock": ("lock", "door"),
}
"""How people call a device by its kind when it is the only one ('turn on the sprinklers')."""
_MEDIA = frozenset(
    {
        "HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassSetVolume",
        "HassSetVolumeRelative",
    }
)  # fmt: skip
_VALUE_LISTS = frozenset({"brightness", "temperature", "position", "volume", "volume_level", "color", "percentage"})


def _group_for(
    home: SynthHome, entity: Entity, data: Any, intent: str, has_name: bool, has_area: bool
) -> tuple[str, ...] | None:
    """The gold targets of a sentence: the named entity; the entities of its kind in the area; or, with neither
    said, the only one of its kind (a media request goes to the one playing: the others are set off)."""
    if has_name:
        return (entity.entity_id,)
    same = [e for e in home.entities if e.domain == entity.domain and (intent, e.domain) in _START]
    if intent in _MEDIA:
        return (entity.entity_id,)  # the one playing (the others are set off)
    if has_area:
        return tuple(sorted(e.entity_id for e in same if e.area_id == entity.area_id))
    if intent in _MEDIA or len(same) == 1:
        return (entity.entity_id,)
    return None


def examples(
    homes: Sequence[SynthHome], *, per_home: int, seed: int, exclude_templates: frozenset[str] = frozenset(),
    only_templates: frozenset[str] | None = None, noise: float = 0.7,
) -> Iterator[Example]:  # fmt: skip
    """``per_home`` labelled requests per home (seeded). Template ids in ``exclude_templates`` are never used; with
    ``only_templates``, only those are."""
    intents = _intents()
    rng = random.Random(seed)
    for home in homes:
        areas = {a.id: a for a in home.areas}
        made = 0
        tries = 0
        while made < per_home and tries < per_home * 20:
            tries += 1
            intent = rng.choice(GOLD_INTENTS)
            entity = rng.choice(home.entities)
            if (intent, entity.domain) not in _START:
                continue
            options = []
            for k, data in enumerate(intents.intents[intent].data):
                if not _fits(data, entity, intent):
                    continue
                for j, sentence in enumerate(data.sentences):
                    lists = set(sentence.list_names(intents.expansion_rules)) - _VALUE_LISTS
                    if lists <= {"name", "area", "floor"} and "floor" not in lists:
                        options.append((f"{intent}/{k}/{j}", data, sentence, "name" in lists, "area" in lists))
            options = [o for o in options if o[0] not in exclude_templates]
            if only_templates is not None:
                options = [o for o in options if o[0] in only_templates]
            if not options:
                continue
            tid, data, sentence, has_name, has_area = rng.choice(options)
            area = areas.get(entity.area_id or "")
            if has_area and area is None:
                continue
            gold = _group_for(home, entity, data, intent, has_name, has_area)
            if not gold:
                continue
            fill = {"name": entity.name}
            if area is not None:
                fill["area"] = area.name
            walk = _Walk(rng, {**intents.expansion_rules, **data.expansion_rules}, fill)
            text = re.sub(r"\s+", " ", walk.text(sentence.expression)).strip()
            if not walk.ok or not text:
                continue
            slots = {**{k: v for k, v in data.slots.items() if k not in ("domain", "device_class")}, **walk.slots}
            if intent == "HassLightSet" and "temperature" in slots:
                continue  # colour temperature: not an action the candidates offer
            said = _noise(text, rng, area.name if area else None) if rng.random() < noise else text.lower()
            last: tuple[str, ...] = ()
            name = entity.name.lower()
            if has_name and rng.random() < 0.12 and name in said:  # 'turn it off' right after a turn on it
                said = re.sub(r"\b(the |my |our )?" + re.escape(name) + r"\b", "it", said, count=1)
                if area is not None:
                    said = re.sub(r"\s*\b(in|of|on|at) (the |my |our )?" + re.escape(area.name.lower()) + r"\b", "",
                                  said)  # fmt: skip
                last = (entity.entity_id,)
            elif has_name and name in said and entity.domain in _GENERIC and rng.random() < 0.25:
                same = [e for e in home.entities if e.domain == entity.domain]
                if len(same) == 1 or intent in _MEDIA:  # the only one of its kind: called by its kind
                    said = re.sub(re.escape(name), rng.choice(_GENERIC[entity.domain]), said, count=1)
            state = _with_state(home, entity.entity_id, intent, gold)
            if intent == "HassSetVolumeRelative":  # the candidates say it as a volume change ('volume_delta')
                intent = "HassSetVolume"
            made += 1
            yield Example(said, text, state, intent, gold, slots, tid, last)


# -- random homes ---------------------------------------------------------------------------------------------------

_AREAS = (
    "Kitchen", "Living Room", "Bedroom", "Master Bedroom", "Guest Room", "Office", "Study", "Bathroom", "Hallway",
    "Garage", "Basement", "Attic", "Dining Room", "Nursery", "Kids Room", "Laundry Room", "Porch", "Patio",
    "Garden", "Backyard", "Den", "Family Room", "Great Room", "Loft", "Sunroom", "Workshop", "Library", "Pantry",
    "Balcony", "Terrace", "Gym", "Cellar", "Front Yard", "Guest House", "Studio", "Playroom",
)  # fmt: skip
_KINDS: tuple[tuple[str, tuple[str, ...], Mapping[str, Any]], ...] = (
    ("light", ("Light", "Lamp", "Ceiling Light", "Lights", "Spotlights", "Floor Lamp", "Desk Lamp", "Pendant",
               "Chandelier", "Strip", "Sconce"), {"supported_color_modes": ["brightness"], "brightness": 128}),
    ("light", ("Color Bulb", "LED Strip", "Mood Light"), {"supported_color_modes": ["rgb"], "brightness": 128}),
    ("switch", ("Plug", "Smart Plug", "Outlet", "Kettle", "Coffee Maker", "Heater", "Dehumidifier", "Fireplace",
                "Fountain", "Charger", "Printer", "Dishwasher", "Washer", "Dryer"), {}),
    ("fan", ("Fan", "Ceiling Fan", "Exhaust Fan", "Tower Fan"), {"supported_features": 1, "percentage": 0}),
    ("cover", ("Blinds", "Shades", "Curtains", "Shutters", "Garage Door", "Awning"),
     {"supported_features": 15, "current_position": 0}),
    ("valve", ("Sprinkler", "Water Valve", "Irrigation", "Main Valve"), {"supported_features": 7}),
    ("lock", ("Lock", "Front Door", "Back Door", "Door Lock", "Gate Lock"), {}),
    ("climate", ("Thermostat", "Heat Pump", "AC", "Radiator"),
     {"supported_features": 1, "hvac_modes": ["off", "heat", "cool", "auto"], "temperature": 20, "min_temp": 7,
      "max_temp": 35}),
    ("media_player", ("Speaker", "TV", "Smart Speaker", "Sound Bar", "Stereo", "Radio"),
     {"supported_features": 0x1 | 0x4 | 0x10 | 0x20 | 0x80 | 0x100 | 0x4000 | 0x400, "volume_level": 0.5}),
    ("vacuum", ("Vacuum", "Robot Vacuum", "Roomba", "Roborock"), {"supported_features": 0x2000 | 0x10 | 0x1000}),
)  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def random_home(rng: random.Random, name: str) -> SynthHome:
    """A random home: 3-9 areas, 6-30 devices; names with and without the area, some shared across rooms and
    across domains ('Fireplace' a switch in one room and a light in another)."""
    area_names = rng.sample(_AREAS, rng.randint(3, 9))
    areas = tuple(Area(_slug(a), a) for a in area_names)
    entities: dict[str, Entity] = {}
    for _ in range(rng.randint(6, 30)):
        domain, nouns, attrs = rng.choice(_KINDS)
        area = rng.choice(areas)
        noun = rng.choice(nouns)
        r = rng.random()
        label = f"{area.name} {noun}" if r < 0.45 else noun if r < 0.8 else f"{rng.choice(area_names)} {noun}"
        base = f"{domain}.{_slug(label)}"
        eid, k = base, 2
        while eid in entities:
            eid, k = f"{base}_{k}", k + 1
        entities[eid] = make_entity(eid, label, attributes=dict(attrs), area_id=area.id)
    return SynthHome(name, tuple(entities.values()), areas)


def home_from_api(
    name: str, entities: Sequence[Entity], areas: Sequence[Area], floors: Sequence[Floor] = ()
) -> SynthHome:
    """A generation home from a loaded home's registry."""
    return SynthHome(name, tuple(entities), tuple(areas), tuple(floors))
