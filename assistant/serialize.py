"""Convert typed messages to JSON-ready dicts (for the CLI, the HTTP API and exports)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from contracts.messages import TurnResult

__all__ = ["to_jsonable", "turn_to_dict"]


def to_jsonable(value: Any) -> Any:
    """Recursively turn dataclasses, enums, mappings, tuples and bytes into JSON-ready values."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def turn_to_dict(result: TurnResult, *, include_events: bool = False) -> dict[str, Any]:
    """The stable JSON shape of a turn (keys documented in the README)."""
    intent = result.intent
    out: dict[str, Any] = {
        "turn_id": result.turn_id,
        "conversation_id": result.conversation_id,
        "text": result.text,
        "reply": result.reply,
        "intent": intent.intent if intent else None,
        "tier": intent.tier.value if intent else None,
        "confidence": round(intent.confidence, 4) if intent else None,
        "slots": to_jsonable(intent.slots) if intent else {},
        "targets": list(intent.targets) if intent else [],
        "alternatives": to_jsonable(intent.alternatives) if intent else [],
        "skill": result.skill_id,
        "sentiment": to_jsonable(result.sentiment) if result.sentiment else None,
        "transcript": to_jsonable(result.transcript) if result.transcript else None,
        "actions": to_jsonable(result.actions),
        "changes": to_jsonable(result.changes),
        "needs_confirmation": result.needs_confirmation,
        "citations": [
            {"document": p.document_id, "chunk": p.chunk_id, "title": p.title, "score": round(p.score, 4)}
            for p in result.citations
        ],
        "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
        "error": result.error,
    }
    if include_events:
        out["events"] = to_jsonable(result.events)
    return out
