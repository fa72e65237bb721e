"""Grounding by purpose: what each kind of device is for, embedded, so that a request that names an activity
('stop watering the backyard') goes to the device whose purpose fits, not to another device that shares a word of
its name (the Backyard Light).

One short description per domain, written once for the domain (never from requests), compared with the request by
the sentence embedder. Used as a guard: a device write whose kind fits the request clearly worse than another
candidate's kind, and which the request does not name exactly, loses part of its score.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from contracts.engines import Embedder

__all__ = ["PURPOSES", "PurposeFit", "clear_purpose", "misfits"]

PURPOSES: Mapping[str, str] = {
    "light": "a light or lamp: lighting, illuminating a room so you can see, brightness",
    "switch": "a switch or smart plug: power to an appliance plugged into it",
    "fan": "a fan: moving air, a breeze, ventilation, extracting steam",
    "cover": "blinds, curtains, shutters or a garage door: opening and closing a window or a door",
    "valve": "a valve, tap or sprinkler: water flow, watering the garden, the lawn and the plants, irrigation",
    "lock": "a door lock: locking and unlocking doors, security",
    "climate": "a thermostat: heating and air conditioning, warming or cooling the room",
    "media_player": "a tv, speaker or radio: music, shows, videos and sound",
    "vacuum": "a robot vacuum: cleaning the floors",
    "lawn_mower": "a robot lawn mower: mowing and cutting the grass",
    "humidifier": "a humidifier: moisture in the air",
    "alarm_control_panel": "a burglar alarm: arming and disarming home security",
    "todo": "a to-do or shopping list: things to buy or to do",
}
"""What each kind of device is for (domain → a short description)."""


class PurposeFit:
    """Cosine similarity of a request with each domain's purpose (nothing without an embedder)."""

    def __init__(self, embedder: Embedder | None) -> None:
        """Embed the purposes lazily, once."""
        self._embedder = embedder
        self._lock = threading.Lock()
        self._domains: list[str] = list(PURPOSES)
        self._vectors: npt.NDArray[np.float32] | None = None

    def scores(self, text: str, domains: Sequence[str]) -> dict[str, float]:
        """Similarity of ``text`` with the purpose of each of ``domains`` that has one ({} without an embedder)."""
        if self._embedder is None:
            return {}
        with self._lock:
            if self._vectors is None:
                self._vectors = self._embedder.embed([PURPOSES[d] for d in self._domains])
            vectors = self._vectors
        q = self._embedder.embed([text])[0]
        sims = vectors @ q
        wanted = set(domains)
        return {d: float(s) for d, s in zip(self._domains, sims, strict=True) if d in wanted}


def misfits(fit: Mapping[str, float], *, floor: float, margin: float) -> set[str]:
    """The domains whose purpose fits clearly worse than the best-fitting one, when the best fits at all."""
    if not fit:
        return set()
    best = max(fit.values())
    if best < floor:
        return set()
    return {d for d, s in fit.items() if s < best - margin}


def clear_purpose(fit: Mapping[str, float], *, floor: float, margin: float) -> str | None:
    """The one domain whose purpose the request names: it fits at least ``floor`` and every other by ``margin``."""
    ranked = sorted(fit.items(), key=lambda x: -x[1])
    if not ranked or ranked[0][1] < floor:
        return None
    if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - margin:
        return None
    return ranked[0][0]
