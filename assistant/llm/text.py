"""Text helpers shared by the LLM backends: stop strings over a stream, chat prompts for models without templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["ChatMessage", "StopScanner", "normalize_messages", "plain_chat_prompt"]

ChatMessage = Mapping[str, str]
"""{'role': 'system' | 'user' | 'assistant', 'content': '...'}."""

_PLAIN_EXAMPLE = (
    ("user", "What is the boiling point of water?"),
    ("assistant", "Water boils at 100 degrees Celsius at sea level."),
)


@dataclass
class StopScanner:
    """Feeds the full decoded text so far; releases only text that cannot be the start of a stop string."""

    stops: Sequence[str]
    emitted: int = 0
    stopped: bool = False
    _stops: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self._stops = tuple(s for s in self.stops if s)

    def feed(self, text: str, *, final: bool = False) -> str:
        """Return the newly releasable piece of ``text`` (the whole text decoded so far)."""
        if self.stopped:
            return ""
        cut = len(text)
        for stop in self._stops:
            at = text.find(stop, max(0, self.emitted - len(stop) + 1))
            if at != -1 and at < cut:
                cut = at
                self.stopped = True
        if not self.stopped and not final:
            # hold back a tail that might grow into a stop string
            for stop in self._stops:
                for k in range(min(len(stop) - 1, len(text) - self.emitted), 0, -1):
                    if text.endswith(stop[:k]):
                        cut = min(cut, len(text) - k)
                        break
            # hold back an incomplete multi-byte character
            while cut > self.emitted and text[cut - 1] == "\ufffd":
                cut -= 1
        piece = text[self.emitted : cut] if cut > self.emitted else ""
        self.emitted = max(self.emitted, cut)
        return piece


def normalize_messages(messages: Sequence[ChatMessage | tuple[str, str]]) -> list[dict[str, str]]:
    """Accept dicts or (role, content) pairs; return a list of {'role', 'content'} dicts."""
    out: list[dict[str, str]] = []
    for message in messages:
        if isinstance(message, tuple):
            role, content = message
        else:
            role, content = str(message.get("role", "user")), str(message.get("content", ""))
        out.append({"role": role, "content": content})
    return out


def plain_chat_prompt(messages: Sequence[ChatMessage | tuple[str, str]], *, example: bool = True) -> str:
    """A 'User:/Assistant:' transcript (with one short example exchange) for base models without a chat template."""
    lines: list[str] = []
    normalized = normalize_messages(messages)
    system = [m["content"] for m in normalized if m["role"] == "system"]
    if system:
        lines.append("\n".join(system).strip())
        lines.append("")
    turns = [m for m in normalized if m["role"] != "system"]
    if example:
        turns = [{"role": r, "content": c} for r, c in _PLAIN_EXAMPLE] + turns
    for message in turns:
        who = "Assistant" if message["role"] == "assistant" else "User"
        lines.append(f"{who}: {message['content'].strip()}")
    lines.append("Assistant:")
    return "\n".join(lines)
