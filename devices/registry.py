"""Resolve spoken names to entities, areas and floors: exact (normalised) first, then fuzzy; ambiguity is reported."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from contracts.home import Area, Entity, Floor, Resolution
from devices.names import normalize_name

__all__ = ["Registry"]

_ARTICLES = ("the ", "my ", "our ")
_FUZZY_MIN = 0.82
"""Below this (0..1) a fuzzy match is not a match."""
_TIE_MARGIN = 0.04
"""Fuzzy candidates this close to the best one make the result ambiguous."""


def _key(text: str) -> str:
    """The registry's lookup key: the shared name form without apostrophes and leading articles, so that 'the
    kids room' finds "Kid's Room" ('The Kitchen-Light!' → 'kitchen light', 'Café' → 'cafe')."""
    norm = normalize_name(text).replace("'", "")
    changed = True
    while changed:
        changed = False
        for art in _ARTICLES:
            if norm.startswith(art) and len(norm) > len(art):
                norm, changed = norm[len(art) :], True
    return norm


@dataclass(frozen=True, slots=True)
class _Named:
    key: str
    """Normalised name."""
    ref: str
    """Id of what it names."""


class Registry:
    """An immutable index of names over one snapshot of entities, areas and floors."""

    def __init__(self, entities: Sequence[Entity], areas: Sequence[Area], floors: Sequence[Floor]) -> None:
        self._entities = {e.entity_id: e for e in entities}
        self._areas = {a.id: a for a in areas}
        self._floors = {f.id: f for f in floors}
        self._entity_names = [
            _Named(key, e.entity_id) for e in entities for key in self._keys((e.name, *e.aliases)) if key
        ]
        self._area_names = [_Named(key, a.id) for a in areas for key in self._keys((a.name, *a.aliases, a.id))]
        self._floor_names = [_Named(key, f.id) for f in floors for key in self._keys((f.name, *f.aliases, f.id))]

    @staticmethod
    def _keys(names: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(k for k in (_key(n) for n in names) if k))

    # ---- areas and floors ---------------------------------------------------------------------------------------

    def find_area(self, phrase: str) -> Area | None:
        """The area with this id, name or alias (exact, then a close fuzzy match), or None."""
        if phrase in self._areas:
            return self._areas[phrase]
        ref = self._lookup(phrase, self._area_names)
        return self._areas.get(ref) if ref else None

    def find_floor(self, phrase: str) -> Floor | None:
        """The floor with this id, name or alias (exact, then a close fuzzy match), or None."""
        if phrase in self._floors:
            return self._floors[phrase]
        ref = self._lookup(phrase, self._floor_names)
        return self._floors.get(ref) if ref else None

    def _lookup(self, phrase: str, names: Sequence[_Named]) -> str | None:
        key = _key(phrase)
        if not key:
            return None
        exact = {n.ref for n in names if n.key == key}
        if len(exact) == 1:
            return exact.pop()
        if exact:
            return None
        scored = self._fuzzy(key, names)
        if not scored:
            return None
        best = scored[0]
        if len(scored) > 1 and best[1] - scored[1][1] < _TIE_MARGIN:
            return None
        return best[0]

    def entities_in_area(self, area_id: str, domain: str | None = None) -> list[Entity]:
        """Entities in an area (directly or through their device), optionally of one domain."""
        return [e for e in self._entities.values() if e.area_id == area_id and (domain is None or e.domain == domain)]

    def entities_on_floor(self, floor_id: str, domain: str | None = None) -> list[Entity]:
        """Entities in the areas of a floor, optionally of one domain."""
        area_ids = {a.id for a in self._areas.values() if a.floor_id == floor_id}
        return [e for e in self._entities.values() if e.area_id in area_ids and (domain is None or e.domain == domain)]

    # ---- entities -----------------------------------------------------------------------------------------------

    @staticmethod
    def _fuzzy(key: str, names: Sequence[_Named]) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for named in names:
            score = max(fuzz.ratio(key, named.key), fuzz.token_sort_ratio(key, named.key)) / 100.0
            if score >= _FUZZY_MIN and score > best.get(named.ref, 0.0):
                best[named.ref] = score
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))

    def resolve(self, phrase: str, *, domain: str | None = None, area: str | None = None) -> Resolution:
        """Resolve a name, alias or area to candidates: exact, then '<area> <name>', then area, then fuzzy."""
        key = _key(phrase)
        if not key:
            return Resolution(())
        area_filter: Area | None = None
        if area:
            area_filter = self.find_area(area)
            if area_filter is None:
                return Resolution(())

        def allowed(e: Entity) -> bool:
            return (domain is None or e.domain == domain) and (area_filter is None or e.area_id == area_filter.id)

        names = [n for n in self._entity_names if allowed(self._entities[n.ref])]
        exact = list(dict.fromkeys(n.ref for n in names if n.key == key))
        if exact:
            return self._result(exact, [1.0] * len(exact), ambiguous=len(exact) > 1)

        # "<area> <name>" / "<name> in <area>": strip an area from the phrase and look inside that area
        for area_named in sorted(self._area_names, key=lambda n: -len(n.key)):
            rest = self._strip_area(key, area_named.key)
            if rest is None or (area_filter is not None and area_named.ref != area_filter.id):
                continue
            inside = [n for n in names if self._entities[n.ref].area_id == area_named.ref]
            hits = list(dict.fromkeys(n.ref for n in inside if n.key == rest))
            if hits:
                return self._result(hits, [0.98] * len(hits), ambiguous=len(hits) > 1)

        area_hit = self._lookup_exact(key, self._area_names)
        if area_hit is not None:
            matched = self._areas[area_hit]
            members = [e.entity_id for e in self.entities_in_area(matched.id, domain)]
            return Resolution(
                tuple(self._entities[m] for m in members), tuple(1.0 for _ in members), False, matched_area=matched
            )

        scored = self._fuzzy(key, names)
        if not scored:
            return Resolution(())
        top = scored[0][1]
        close = [(ref, s) for ref, s in scored if top - s < _TIE_MARGIN]
        others = [(ref, s) for ref, s in scored if top - s >= _TIE_MARGIN]
        ordered = close + others
        return self._result([r for r, _ in ordered], [s for _, s in ordered], ambiguous=len(close) > 1)

    @staticmethod
    def _strip_area(key: str, area_key: str) -> str | None:
        for pattern in (f"{area_key} ", f"{area_key}s "):
            if key.startswith(pattern):
                rest = _key(key[len(pattern) :])
                return rest or None
        for sep in (" in the ", " in ", " on the ", " "):
            suffix = f"{sep}{area_key}"
            if key.endswith(suffix):
                rest = _key(key[: -len(suffix)])
                return rest or None
        return None

    @staticmethod
    def _lookup_exact(key: str, names: Sequence[_Named]) -> str | None:
        refs = {n.ref for n in names if n.key == key}
        return refs.pop() if len(refs) == 1 else None

    def _result(self, refs: Sequence[str], scores: Sequence[float], *, ambiguous: bool) -> Resolution:
        return Resolution(tuple(self._entities[r] for r in refs), tuple(scores), ambiguous)
