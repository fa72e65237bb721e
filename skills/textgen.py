"""Text generation: free-form writing requests through the configured LLM, streamed token by token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from assistant.messages import ErrorCode, IntentMatch, SkillResult
from skills.api import Permission, Skill, SkillContext, intent

__all__ = ["TextGenerationSkill"]

_SYSTEM = (
    "You are a friendly home assistant. Write exactly what the user asks for: short, clear and complete. "
    "Do not add explanations before or after the text."
)


class TextGenerationSkill(Skill):
    """Writes short texts on request (poems, notes, messages, lists) with the language model."""

    id: ClassVar[str] = "textgen"
    description: ClassVar[str] = "Writes short texts for you: poems, notes, reminders, messages (e.g. 'write a haiku')."
    permissions: ClassVar[frozenset[Permission]] = frozenset({Permission.USE_LLM})
    default_settings: ClassVar[dict[str, Any]] = {
        "max_tokens": 160,  # generation budget per request
        "max_chars": 900,  # the reply is cut (at a word) beyond this
        "max_request_chars": 500,  # longer requests are refused
        "temperature": 0.7,  # for backends without a chat() method
        "system_prompt": _SYSTEM,
    }
    timeout_s: ClassVar[float] = 90.0

    @intent(
        "GenerateText",
        templates=(
            "(write|compose|draft|create|make up) [me|us] (a|an|some|the) {request}",
            "(write|compose|draft) [me|us] {request}",
            "(can|could|would) you (write|compose|draft) [me|us] (a|an|some) {request}",
            "tell me a (story|poem|joke|limerick|haiku) [about {request}]",
        ),
        examples=(
            "write a short poem about autumn",
            "draft a reminder note for the plumber visit",
            "compose a birthday message for my sister",
            "write a haiku about rain",
            "draft a shopping list for a pasta dinner",
            "write a thank you note to the neighbours",
            "tell me a short story about a cat",
            "compose a limerick about coffee",
        ),
        slots={"request": "text"},
    )
    def generate(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Generate the requested text, streaming pieces through ``ctx.emit_token``."""
        settings = ctx.settings
        request = (ctx.text or match.text or str(match.slots.get("request", ""))).strip()
        if ctx.llm is None:
            return SkillResult(
                text="I can't write texts right now: no language model is configured.",
                success=False,
                error_code=ErrorCode.LLM_UNAVAILABLE.value,
            )
        max_request = int(settings.get("max_request_chars", 500))
        if len(request) > max_request:
            return SkillResult(
                text=f"That request is too long for me; please keep it under {max_request} characters.",
                success=False,
                error_code=ErrorCode.INPUT_TOO_LONG.value,
            )
        max_tokens = int(settings.get("max_tokens", 160))
        max_chars = int(settings.get("max_chars", 900))
        system = str(settings.get("system_prompt", _SYSTEM))
        chat: Any = getattr(ctx.llm, "chat", None)
        stream: Iterator[str]
        if callable(chat):
            stream = iter(chat([("system", system), ("user", request)], max_tokens))
        else:
            prompt = f"{system}\n\nRequest: {request}\nText:"
            stream = iter(
                ctx.llm.generate(
                    prompt,
                    max_tokens=max_tokens,
                    stop=("\nRequest:",),
                    temperature=float(settings.get("temperature", 0.7)),
                )
            )
        pieces: list[str] = []
        length = 0
        truncated = False
        try:
            for piece in stream:
                if not pieces:
                    piece = piece.lstrip()
                if length + len(piece) > max_chars:
                    cut = piece[: max_chars - length]
                    if " " in cut:
                        cut = cut.rsplit(" ", 1)[0]
                    if cut:
                        pieces.append(cut)
                        ctx.emit_token(cut)
                    truncated = True
                    break
                if piece:
                    pieces.append(piece)
                    length += len(piece)
                    ctx.emit_token(piece)
        finally:
            close = getattr(stream, "close", None)
            if callable(close):
                close()
        text = "".join(pieces).strip()
        if not text:
            return SkillResult(
                text="Sorry, I couldn't come up with anything for that.",
                success=False,
                error_code=ErrorCode.SKILL_FAILED.value,
            )
        if truncated:
            text += " …"
        return SkillResult(text=text, data={"truncated": truncated, "request": request, "chars": len(text)})
