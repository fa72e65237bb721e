"""Skills' slot readers (``IntentSpec.read_slots``): the intent's slots in its canonical form, whichever tier matched.

The semantic tier matches a request by its likeness to example sentences and finds no slots; a template line with a
free-text wildcard may put a duration or an area in a ``name``. An intent that declares a reader gets its slots read
from the request after the engine's last guard, so the trace shows the slots the handler will get.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from contracts.messages import IntentMatch, Tier
from contracts.skills import SlotReader

__all__ = ["read_skill_slots", "slot_readers"]

_log = logging.getLogger(__name__)


def slot_readers(specs: Iterable[Any]) -> dict[str, SlotReader]:
    """Intent name → its declared reader, for the specs that declare one."""
    readers: dict[str, SlotReader] = {}
    for spec in specs:
        reader = getattr(spec, "read_slots", None)
        if callable(reader):
            readers[str(spec.name)] = reader
    return readers


def read_skill_slots(match: IntentMatch, readers: Mapping[str, SlotReader], areas: Sequence[str]) -> IntentMatch:
    """The match with its intent's reader applied to its slots; unchanged for an answer to a question of the
    assistant's (dialogue tier), a question back to the user, an intent without a reader, or a reader that fails."""
    reader = readers.get(match.intent)
    if reader is None or match.tier == Tier.DIALOGUE or match.clarification:
        return match
    try:
        slots = reader(match.text, dict(match.slots), tuple(areas))
    except Exception:  # a skill's bug must not break the turn: the tier's slots stand
        _log.warning(
            "slot reader of %s failed on %r; keeping the tier's slots", match.intent, match.text, exc_info=True
        )
        return match
    if not isinstance(slots, Mapping):
        _log.warning(
            "slot reader of %s returned %s, not a mapping; keeping the tier's slots", match.intent, type(slots)
        )
        return match
    read = dict(slots)
    return match if read == dict(match.slots) else replace(match, slots=read)
