"""Skill test helpers: a fake streaming LLM (unit tests only), context builder, skill-source writers."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts.skills import SkillContext


class FakeChatLLM:
    """A scripted LanguageModel with chat(): streams the given pieces and records the messages."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = list(pieces)
        self.messages: list[Any] = []
        self.max_tokens: int | None = None

    def chat(self, messages: Sequence[Any], max_tokens: int | None = None) -> Iterator[str]:
        self.messages = list(messages)
        self.max_tokens = max_tokens
        yield from self.pieces

    def generate(
        self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        self.messages = [("prompt", prompt)]
        yield from self.pieces

    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        return [0.0 for _ in continuations]


def make_ctx(text: str = "", **kwargs: Any) -> SkillContext:
    """A SkillContext for tests."""
    return SkillContext(
        conversation_id=kwargs.pop("conversation_id", "test"), text=text, settings={}, state={}, **kwargs
    )


def write_module(path: Path, source: str) -> Path:
    """Write dedented Python source to a file (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.fixture()
def skills_folder(tmp_path: Path) -> Path:
    """An empty local skills folder."""
    folder = tmp_path / "skills"
    folder.mkdir()
    return folder
