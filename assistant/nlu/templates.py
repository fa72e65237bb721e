"""Tier 1: hassil with Home Assistant's English sentences plus skill templates; slot lists from the live registry."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hassil import Intents
from hassil.filter import filter_intents
from hassil.intents import SlotList, TextSlotList, TextSlotValue
from hassil.recognize import recognize_best

from assistant.nlu.catalog import HomeIndex
from contracts.skills import IntentSpec

__all__ = ["TemplateHit", "TemplateMatcher", "ha_intents_data", "select_templates", "template_units"]


@lru_cache(maxsize=2)
def _ha_data(language: str) -> dict[str, Any]:
    import home_assistant_intents

    data = home_assistant_intents.get_intents(language)
    if data is None:
        return {"language": language, "intents": {}, "lists": {}, "expansion_rules": {}, "skip_words": []}
    return dict(data)


def ha_intents_data(language: str = "en") -> dict[str, Any]:
    """A copy of Home Assistant's sentence data for a language (from the installed home-assistant-intents)."""
    return copy.deepcopy(_ha_data(language))


def template_units(data: Mapping[str, Any], intents: Sequence[str] | None = None) -> list[str]:
    """The id of every sentence template line of Home Assistant's data: 'intent/block index/line index', indices as
    in the YAML (before hassil sorts a block's sentences): the unit a leave-one-template-out split holds out."""
    return [
        f"{name}/{k}/{j}"
        for name, entry in data.get("intents", {}).items()
        if intents is None or name in intents
        for k, block in enumerate(entry.get("data", []))
        for j, _s in enumerate(block.get("sentences", []))
    ]


def select_templates(
    data: dict[str, Any], *, without: Sequence[str] | frozenset[str] = (), only: str | None = None
) -> dict[str, Any]:
    """``data`` with the template lines ``without`` removed, or with only the line ``only`` left (in place)."""
    drop = set(without)
    intents: dict[str, Any] = data.get("intents", {})
    for name in list(intents):
        blocks = intents[name].get("data", [])
        kept_blocks = []
        for k, block in enumerate(blocks):
            lines = [
                s
                for j, s in enumerate(block.get("sentences", []))
                if f"{name}/{k}/{j}" not in drop and (only is None or only == f"{name}/{k}/{j}")
            ]
            if lines:
                kept_blocks.append({**block, "sentences": lines})
        if kept_blocks:
            intents[name] = {**intents[name], "data": kept_blocks}
        else:
            del intents[name]
    return data


_SLOT_LISTS = {
    "text": {"wildcard": True},
    "number": {"range": {"from": 0, "to": 10000}},
}


def _merge_skill_templates(data: dict[str, Any], specs: Sequence[IntentSpec]) -> None:
    intents = data.setdefault("intents", {})
    lists = data.setdefault("lists", {})
    for spec in specs:
        if not spec.templates:
            continue
        entry = intents.setdefault(spec.name, {"data": []})
        entry["data"].append({"sentences": list(spec.templates), "metadata": {"skill_template": True}})
        for slot, kind in spec.slots.items():
            if slot in lists or slot in ("name", "area", "floor"):
                continue
            if kind in _SLOT_LISTS:
                lists[slot] = _SLOT_LISTS[kind]


@lru_cache(maxsize=8)
def _compile(
    language: str,
    key: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ...],
    without: frozenset[str] = frozenset(),
    only: str | None = None,
) -> tuple[Intents, tuple[str, ...]]:
    """Compile once per (language, skill templates, held-out lines); the compiled Intents is read-only during
    recognition."""
    data = ha_intents_data(language)
    if without or only is not None:
        select_templates(data, without=without, only=only)
    _merge_skill_templates(data, [IntentSpec(name, templates=t, slots=dict(sl)) for name, t, sl in key])
    return Intents.from_dict(data), tuple(data.get("skip_words", []))


@dataclass(frozen=True, slots=True)
class TemplateHit:
    """One template match."""

    intent: str
    """Intent name."""
    slots: Mapping[str, Any]
    """Slot values, as in Home Assistant's tests."""
    skill_template: bool = False
    """True when a skill's own template matched."""
    wildcards: int = 0
    """How many wildcard slots it used (fewer is more certain)."""


class TemplateMatcher:
    """Compiles the sentences once; slot lists are rebuilt only when the registry changes."""

    def __init__(
        self,
        specs: Sequence[IntentSpec] = (),
        *,
        language: str = "en",
        without: Sequence[str] | frozenset[str] = (),
        only: str | None = None,
    ) -> None:
        """Compile Home Assistant's sentences plus the skills' templates; ``without``: Home Assistant template lines
        held out (ids of ``template_units``); ``only``: keep just this line of Home Assistant's (an evaluation's gold
        parser)."""
        key = tuple((sp.name, sp.templates, tuple(sorted(sp.slots.items()))) for sp in specs if sp.templates)
        self._intents, skip = _compile(language, key, frozenset(without), only)
        self._skip = list(skip)
        self._lists: dict[str, SlotList] = {}
        self._active: Intents = self._intents
        self._domains: frozenset[str] = frozenset()
        self._signature: int | None = None
        self._entity_slots = {s for spec in specs for s, kind in spec.slots.items() if kind == "entity"}

    def update_lists(self, index: HomeIndex) -> None:
        """Fill the name, area and floor lists from the registry (names and aliases); no-op if unchanged."""
        if index.signature == self._signature:
            return
        names: list[tuple[str, Any, dict[str, Any]]] = []
        for e in index.entities.values():
            context: dict[str, Any] = {"domain": e.domain}
            device_class = e.device_class or e.attributes.get("device_class")
            if device_class:
                context["device_class"] = device_class
            for n in dict.fromkeys((e.name, *e.aliases)):
                names.append((_template_safe(n), n, context))
        areas = [(_template_safe(n), a.name) for a in index.areas.values() for n in dict.fromkeys((a.name, *a.aliases))]
        floors = [
            (_template_safe(n), f.name) for f in index.floors.values() for n in dict.fromkeys((f.name, *f.aliases))
        ]
        lists: dict[str, SlotList] = {
            "name": _text_list("name", names),
            "area": _text_list("area", areas),
            "floor": _text_list("floor", floors),
        }
        for slot in self._entity_slots:
            lists[slot] = _text_list(slot, [(t, v) for t, v, _c in names])
        self._lists = lists
        self._signature = index.signature
        domains = frozenset(e.domain for e in index.entities.values())
        if domains != self._domains:
            # only the sentences for domains this home has: fewer templates to try per request
            self._active = filter_intents(self._intents, domains=domains, keep_domainless=True)
            self._domains = domains

    def match(self, text: str, *, area_name: str | None = None) -> TemplateHit | None:
        """The best template match for a sentence, or None."""
        context: dict[str, Any] = {}
        if area_name:
            context["area"] = {"value": area_name, "text": area_name}
        result = recognize_best(
            text,
            self._active,
            slot_lists=self._lists,
            skip_words=self._skip,
            intent_context=context or None,
            language="en",
            best_metadata_key="skill_template",
            best_slot_name="name",
        )
        if result is None and not area_name:
            result = self._free_text_without_area(text)
        if result is None:
            return None
        slots: dict[str, Any] = {}
        wildcards = 0
        for ent in result.entities_list:
            value = ent.value
            if ent.is_wildcard:
                wildcards += 1
                value = ent.text_clean if isinstance(value, str) else value
            slots[ent.name] = value
        if slots.get("area") == _NO_AREA:
            del slots["area"]
        meta = result.intent_metadata or {}
        return TemplateHit(
            intent=result.intent.name,
            slots=slots,
            skill_template=bool(meta.get("skill_template")),
            wildcards=wildcards,
        )

    def _free_text_without_area(self, text: str) -> Any:
        """'Play The Office' from a device with no room: a free-text request whose sentence only needs the room to
        pick the player; the skill resolves (or asks for) the device. Other area-bound sentences stay unmatched."""
        result = recognize_best(
            text,
            self._active,
            slot_lists=self._lists,
            skip_words=self._skip,
            intent_context={"area": {"value": _NO_AREA, "text": _NO_AREA}},
            language="en",
            best_metadata_key="skill_template",
            best_slot_name="name",
        )
        if result is None or not any(e.is_wildcard for e in result.entities_list):
            return None
        area = result.entities.get("area")
        if area is not None and area.value != _NO_AREA:
            return None  # it named a room after all: the first pass would have matched it
        return result


_NO_AREA = "\u0000no-area"
"""A context area that matches no registry area: lets sentences that require the speaker's room match without one."""


def _template_safe(name: str) -> str:
    """Names are matched literally, except the optional-letter syntax some fixtures use ('Trader Joe[']s')."""
    return name.replace("(", " ").replace(")", " ").replace("|", " ").strip()


def _text_list(name: str, values: Sequence[tuple[Any, ...]]) -> TextSlotList:
    return TextSlotList(
        name=name,
        values=[TextSlotValue.from_tuple(v, allow_template="[" in v[0]) for v in values],  # type: ignore[arg-type]
    )
