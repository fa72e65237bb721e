"""JSON Lines, read the way the format defines lines (evaluation data, exports, benchmark inputs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["jsonl_rows", "read_jsonl"]


def jsonl_rows(text: str, *, source: str = "<jsonl>") -> list[Any]:
    """The JSON values of JSON Lines text, one per non-blank line.

    Lines end at a line feed only (a carriage return before it is dropped), as JSON Lines defines them:
    ``str.splitlines`` would also cut at U+0085, U+2028 and U+2029, which JSON allows unescaped inside strings. A
    line that is not JSON raises ``ValueError`` naming ``source`` and the line number.
    """
    rows: list[Any] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}:{number}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
    return rows


def read_jsonl(path: Path | str) -> list[Any]:
    """The rows of a UTF-8 JSON Lines file (see ``jsonl_rows``)."""
    return jsonl_rows(Path(path).read_text(encoding="utf-8"), source=str(path))
