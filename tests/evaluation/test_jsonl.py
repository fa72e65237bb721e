"""JSON Lines readers: a line ends at "\\n" only, so U+0085 (NEL), U+2028 and U+2029 inside JSON strings are data.

``str.splitlines()`` cut rows there and ``assistant eval sentiment`` crashed on valid files (issue 15).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.jsonl import jsonl_rows, read_jsonl

ODD = "great\u0085value\u2028really\u2029yes"
"""A text with every line separator ``splitlines`` knows beyond \\n and \\r that JSON allows unescaped."""


def _write(path: Path, rows: list[dict[str, object]], *, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((end.join(json.dumps(r, ensure_ascii=False) for r in rows) + end + end).encode("utf-8"))
    return path


@pytest.mark.parametrize("crlf", [False, True])
def test_rows_keep_unicode_line_separators_inside_strings(tmp_path: Path, crlf: bool) -> None:
    rows = [{"text": ODD, "label": 1}, {"text": "plain", "label": 0}]
    path = _write(tmp_path / "set.jsonl", rows, crlf=crlf)
    assert len(path.read_text(encoding="utf-8").splitlines()) > 4  # what broke the old readers
    assert read_jsonl(path) == rows


def test_a_bad_line_names_the_file_and_line() -> None:
    with pytest.raises(ValueError, match=r"x\.jsonl:3: not valid JSON"):
        jsonl_rows('{"a": 1}\n\n{"a": \n', source="x.jsonl")


def test_sentiment_sets_load_with_unicode_line_separators(tmp_path: Path) -> None:
    from benchmarks import sentiment_bench

    for file in sentiment_bench.SETS.values():
        _write(tmp_path / file, [{"text": ODD, "label": 1}, {"text": "awful", "label": 0}])
    sets = sentiment_bench.load_sets(tmp_path)
    assert {name: len(rows) for name, rows in sets.items()} == dict.fromkeys(sentiment_bench.SETS, 2)
    assert all(rows[0]["text"] == ODD for rows in sets.values())


def test_asr_manifest_rows_keep_unicode_line_separators(tmp_path: Path) -> None:
    from assistant.asr.evaluate import load_rows

    _write(
        tmp_path / "speech" / "manifest.jsonl",
        [{"id": "a", "audio": "a.wav", "reference_text": f"turn on {ODD}", "speaker_source": "human"}],
    )
    (row,) = load_rows(tmp_path)
    assert row.reference == f"turn on {ODD}"


def test_e2e_recorded_commands_keep_unicode_line_separators(tmp_path: Path) -> None:
    from benchmarks.e2e_bench import recorded_commands

    (tmp_path / "a.wav").write_bytes(b"RIFF")
    _write(
        tmp_path / "manifest.jsonl",
        [{"id": "a", "audio": "a.wav", "reference_text": ODD, "speaker_source": "human_recording"}],
    )
    (command,) = recorded_commands(tmp_path)
    assert command.text == ODD


def test_rag_bench_reader_keeps_unicode_line_separators(tmp_path: Path) -> None:
    from benchmarks import rag_bench

    path = _write(tmp_path / "squad_contexts.jsonl", [{"context_id": "c1", "text": ODD}])
    assert rag_bench._read_jsonl(path) == [{"context_id": "c1", "text": ODD}]


def test_no_data_reader_splits_files_with_splitlines() -> None:
    """A guard: reading a file's text and calling splitlines() on it is how the bug came in."""
    pattern = re.compile(r"read_text\([^)]*\)\s*\.splitlines\(")
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}"
        for folder in ("assistant", "benchmarks", "skills", "devices")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
