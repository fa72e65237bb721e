"""Risk tiers: which actions run directly, which need a confirmation turn, which never run by voice.

Keys (config ``home.risk`` and built-in defaults), most specific first:

- ``<entity_id>:<service>`` (service as ``domain.service`` or just ``service``), e.g. ``cover.garage:cover.open_cover``
- ``<entity_id>``, e.g. ``light.porch``
- ``<domain>.<service>@<device_class>``, e.g. ``cover.open_cover@garage``
- ``<domain>@<device_class>``, e.g. ``cover@gate``
- ``<domain>.<service>``, e.g. ``lock.unlock``
- ``<domain>``, e.g. ``alarm_control_panel``

A per-entity ``risk`` in the home file (a tier, or ``{service: tier}``) sits between the config's entity keys and
its service keys. Config beats the home file, which beats the defaults.

Device classes. An entity may be described by several sources: the adapter (MQTT discovery, Home Assistant's
attributes) and the home file, which can disagree or be silent. The ``@<device_class>`` keys are looked up for every
class any source gives (``Home`` passes them all), and the most cautious tier among them wins (``blocked`` over
``sensitive`` over ``normal``): a garage door that one source calls a curtain is still a garage door.

Opening classes inferred from names. When no source gives a class (or only the domain's generic one, ``switch``)
for an entity of an opening-type domain (``cover``, ``valve``, ``switch``, ``button``, ``input_button``), classes
are inferred from the words of its name, aliases and object id: whole words (a trailing plural ``s`` allowed) map to
an opening class through ``OPENING_WORDS`` (``garage`` -> garage, ``gate`` -> gate, ``door`` -> door, ``lock`` /
``deadbolt`` -> lock, ``water`` with ``main``/``valve``/``supply``/``shutoff`` -> water, ``gas`` -> gas). Every class
found is a candidate (so "Garage Door" is garage and door). A name that also has a word from ``NOT_AN_OPENING``
(``light``, ``lamp``, ``bell``, ``sensor``, ``plug``...) says the entity is something else near the opening (the
garage light, the door bell) and infers nothing. The defaults make opening such a cover, and any state change of
such a switch or button (a relay or a push button driving the opener), ``sensitive``. Inference only ever adds
caution: it never lowers a tier a source's class gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from contracts.home import Entity, RiskTier
from contracts.messages import AssistantError, ErrorCode

__all__ = [
    "DEFAULT_RISK",
    "NOT_AN_OPENING",
    "OPENING_DOMAINS",
    "OPENING_WORDS",
    "RiskPolicy",
    "device_classes",
    "infer_opening_classes",
]

OPENING_DOMAINS = frozenset({"cover", "valve", "switch", "button", "input_button"})
"""Domains whose entities may open something (a garage door, a gate, a water main) without saying so by class."""
OPENING_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"garage"}), "garage"),
    (frozenset({"gate"}), "gate"),
    (frozenset({"door"}), "door"),
    (frozenset({"lock"}), "lock"),
    (frozenset({"deadbolt"}), "lock"),
    (frozenset({"water", "main"}), "water"),
    (frozenset({"water", "valve"}), "water"),
    (frozenset({"water", "supply"}), "water"),
    (frozenset({"water", "shutoff"}), "water"),
    (frozenset({"stopcock"}), "water"),
    (frozenset({"gas"}), "gas"),
)
"""(words that must all appear in one name, opening class): how a name says what an entity opens."""
NOT_AN_OPENING = frozenset(
    {"light", "lamp", "bulb", "led", "bell", "doorbell", "chime", "camera", "sensor", "plug", "outlet", "socket",
     "charger", "heater", "fan", "speaker"}
)  # fmt: skip
"""Words that name something else near an opening (the garage light, the door bell): no class is inferred."""
_GENERIC_CLASSES = frozenset({"switch"})
"""Classes that say nothing about what the entity drives (a switch's default class)."""

_OPENINGS = ("garage", "gate", "door")
_INFERRED = ("garage", "gate", "door", "lock", "water", "gas")
DEFAULT_RISK: dict[str, RiskTier] = {
    "lock.unlock": RiskTier.SENSITIVE,
    "lock.open": RiskTier.SENSITIVE,
    "alarm_control_panel.alarm_disarm": RiskTier.SENSITIVE,
    "valve.open_valve": RiskTier.SENSITIVE,
    "valve.set_valve_position": RiskTier.SENSITIVE,
    "valve.toggle": RiskTier.SENSITIVE,
    **{
        f"cover.{svc}@{cls}": RiskTier.SENSITIVE
        for svc in ("open_cover", "set_cover_position", "toggle")
        for cls in _OPENINGS
    },
    **{f"{domain}@{cls}": RiskTier.SENSITIVE for domain in ("switch", "button", "input_button") for cls in _INFERRED},
}
"""Built-in tiers: unlocking, disarming, opening water valves and garage doors/gates/doors are sensitive, and so is
any state change of a switch or button that drives a garage door, gate, door, lock, water or gas main."""

_ORDER = {RiskTier.NORMAL: 0, RiskTier.SENSITIVE: 1, RiskTier.BLOCKED: 2}
_WORD = re.compile(r"[a-z0-9]+")


def _words(name: str) -> set[str]:
    words = set(_WORD.findall(name.replace("_", " ").casefold()))
    return words | {w[:-1] for w in words if len(w) > 3 and w.endswith("s")}


def infer_opening_classes(domain: str, names: Iterable[str]) -> tuple[str, ...]:
    """The opening classes the names of an entity of ``domain`` suggest (see the module docstring); () if none.

    Each name is read on its own ("Garage Door" -> garage, door); a name with a ``NOT_AN_OPENING`` word gives nothing.
    """
    if domain not in OPENING_DOMAINS:
        return ()
    found: list[str] = []
    for name in names:
        words = _words(name)
        if not words or words & NOT_AN_OPENING:
            continue
        found += [cls for needed, cls in OPENING_WORDS if needed <= words]
    return tuple(dict.fromkeys(found))


def device_classes(entity: Entity, extra: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Every device class the sources give for ``entity`` (its field, its ``device_class`` attribute, ``extra``),
    or, when none does (or only a generic one), the opening classes inferred from its names."""
    given = [entity.device_class, entity.attributes.get("device_class"), *extra]
    classes = tuple(dict.fromkeys(str(c) for c in given if isinstance(c, str) and c))
    if any(c not in _GENERIC_CLASSES for c in classes):
        return classes
    object_id = entity.entity_id.split(".", 1)[-1]
    inferred = infer_opening_classes(entity.domain, (entity.name, *entity.aliases, object_id))
    return (*classes, *inferred)


def _parse(mapping: Mapping[str, str | RiskTier], what: str) -> dict[str, RiskTier]:
    out: dict[str, RiskTier] = {}
    for key, value in mapping.items():
        try:
            out[str(key)] = RiskTier(str(value))
        except ValueError as exc:
            raise AssistantError(
                ErrorCode.CONFIG_INVALID,
                f"{what} '{key}': '{value}' is not one of {', '.join(t.value for t in RiskTier)}",
                details={"key": f"home.risk.{key}"},
            ) from exc
    return out


class RiskPolicy:
    """Decides the tier of a service call on an entity."""

    def __init__(
        self,
        overrides: Mapping[str, str | RiskTier] | None = None,
        *,
        entity_risk: Mapping[str, RiskTier | Mapping[str, RiskTier]] | None = None,
        defaults: Mapping[str, RiskTier] | None = None,
    ) -> None:
        self._overrides = _parse(overrides or {}, "Risk override")
        self._entity_risk = dict(entity_risk or {})
        self._defaults = dict(DEFAULT_RISK if defaults is None else defaults)

    def set(self, key: str, tier: RiskTier | str) -> None:
        """Add or change an override at run time (same key syntax as the config)."""
        self._overrides.update(_parse({key: tier}, "Risk override"))

    def overrides(self) -> dict[str, RiskTier]:
        """The current overrides."""
        return dict(self._overrides)

    def tier(
        self,
        entity: Entity | None,
        service: str,
        *,
        entity_id: str | None = None,
        classes: Iterable[str | None] = (),
    ) -> RiskTier:
        """The tier of ``service`` ('domain.service') on ``entity`` (or an unknown ``entity_id``).

        ``classes``: device classes other sources give (the home file's when the adapter says otherwise). The
        class keys are looked up for each class of ``device_classes(entity, classes)``; the most cautious wins.
        """
        domain, _, short = service.partition(".")
        eid = entity.entity_id if entity is not None else entity_id
        if eid:
            for key in (f"{eid}:{service}", f"{eid}:{short}"):
                if key in self._overrides:
                    return self._overrides[key]
            file_risk = self._entity_risk.get(eid)
            if isinstance(file_risk, Mapping):
                for key in (service, short):
                    if key in file_risk:
                        return RiskTier(file_risk[key])
            if eid in self._overrides:
                return self._overrides[eid]
            if isinstance(file_risk, RiskTier | str) and not isinstance(file_risk, Mapping):
                return RiskTier(file_risk)
        candidates: tuple[str | None, ...] = (
            device_classes(entity, classes) if entity is not None else tuple(c for c in classes if c)
        ) or (None,)
        return max((self._class_tier(domain, service, c) for c in candidates), key=_ORDER.__getitem__)

    def _class_tier(self, domain: str, service: str, device_class: str | None) -> RiskTier:
        keys: list[str] = []
        if device_class:
            keys += [f"{service}@{device_class}", f"{domain}@{device_class}"]
        keys += [service, domain]
        for table in (self._overrides, self._defaults):
            for key in keys:
                if key in table:
                    return table[key]
        return RiskTier.NORMAL
