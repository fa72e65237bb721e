"""Make arbitrary pipeline payloads safe for JSON columns and exports."""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

__all__ = ["jsonable"]

_MAX_DEPTH = 32


def jsonable(value: Any, _depth: int = 0) -> Any:
    """Recursively convert dataclasses, enums, mappings, sequences, numpy values and datetimes to strict JSON values.

    NaN and infinities become ``None`` (strict JSON has no such numbers); bytes become a size marker.
    """
    if _depth > _MAX_DEPTH:
        return repr(value)
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value, _depth + 1)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), _depth + 1) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(jsonable(k, _depth + 1)): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [jsonable(v, _depth + 1) for v in items]
    item = getattr(value, "tolist", None) or getattr(value, "item", None)
    if callable(item):  # numpy scalars and arrays
        try:
            return jsonable(item(), _depth + 1)
        except (TypeError, ValueError):
            pass
    return str(value)
