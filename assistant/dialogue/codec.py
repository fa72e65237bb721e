"""JSON records of the dialogue's typed values (matches, candidates), for state kept in the store."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from contracts.messages import Candidate, IntentMatch, Tier

__all__ = ["candidate_to_dict", "jsonable", "match_from_dict", "match_to_dict"]


def jsonable(value: Any) -> Any:
    """A JSON-ready copy (enums by value, tuples as lists, unknown objects as strings)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def candidate_to_dict(c: Candidate) -> dict[str, Any]:
    """A candidate as a JSON record."""
    return {"intent": c.intent, "targets": list(c.targets), "slots": jsonable(c.slots), "score": c.score,
            "description": c.description}  # fmt: skip


def match_to_dict(m: IntentMatch) -> dict[str, Any]:
    """A match as a JSON record."""
    return {
        "intent": m.intent,
        "slots": jsonable(m.slots),
        "targets": list(m.targets),
        "tier": m.tier.value,
        "confidence": m.confidence,
        "alternatives": [candidate_to_dict(c) for c in m.alternatives],
        "skill_id": m.skill_id,
        "text": m.text,
        "clarification": m.clarification,
    }


def match_from_dict(d: Mapping[str, Any]) -> IntentMatch:
    """The match of a record written by ``match_to_dict``."""
    return IntentMatch(
        intent=str(d["intent"]),
        slots=dict(d.get("slots") or {}),
        targets=tuple(d.get("targets") or ()),
        tier=Tier(d.get("tier", Tier.NONE.value)),
        confidence=float(d.get("confidence", 0.0)),
        alternatives=tuple(
            Candidate(
                c["intent"],
                tuple(c.get("targets") or ()),
                dict(c.get("slots") or {}),
                float(c.get("score", 0)),
                str(c.get("description", "")),
            )
            for c in d.get("alternatives") or ()
        ),
        skill_id=d.get("skill_id"),
        text=str(d.get("text", "")),
        clarification=d.get("clarification"),
    )
