"""Text generation: free-form writing requests through the configured LLM, streamed token by token.

A request that names a form (haiku, limerick, poem, list, note, story) gets the form's instruction and one worked
example in the prompt; the text is then shaped (preamble and title dropped, list items unified, verse split into
lines) and checked (line count, layout, length), and regenerated once with a stricter reminder when it does not fit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from contracts.messages import ErrorCode, IntentMatch, SkillResult
from contracts.skills import Permission, Skill, SkillContext, intent
from skills.textgen.forms import Form, check, detect, missing_items, shape

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
        "forms": True,  # follow the asked form (few-shot prompt, shape, check, one regeneration)
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
        form = detect(request) if settings.get("forms", True) else None
        raw, truncated = _collect(
            self._stream(ctx, _messages(system, request, form), max_tokens), max_chars, ctx.emit_token
        )
        text = raw.strip()
        regenerated = False
        if form is not None and text and not truncated:
            text = shape(form, text)
            text = self._extend_list(ctx, form, _messages(system, request, form), text, max_tokens)
            if not check(form, text):
                reminder = f"{request}\n({form.instruction})"
                again, cut = _collect(
                    self._stream(ctx, _messages(system, reminder, form), max_tokens), max_chars, lambda _t: None
                )
                candidate = shape(form, again.strip())
                regenerated = True
                if check(form, candidate) or not text:
                    text, truncated = candidate, cut
        if not text:
            return SkillResult(
                text="Sorry, I couldn't come up with anything for that.",
                success=False,
                error_code=ErrorCode.SKILL_FAILED.value,
            )
        if truncated:
            text += " …"
        data: dict[str, Any] = {"truncated": truncated, "request": request, "chars": len(text)}
        if form is not None:
            data.update(form=form.name, form_ok=check(form, text), regenerated=regenerated)
        return SkillResult(text=text, data=data)

    @staticmethod
    def _extend_list(ctx: SkillContext, form: Form, messages: list[tuple[str, str]], text: str, max_tokens: int) -> str:
        """A list that stopped short is continued: the model's own chat prompt, the items so far and a new '- '.

        Only with a model that exposes its chat prompt (the local one); others keep the list as it is."""
        chat_prompt: Any = getattr(ctx.llm, "chat_prompt", None)
        generate: Any = getattr(ctx.llm, "generate", None)
        for _ in range(2):
            if not missing_items(form, text) or not (callable(chat_prompt) and callable(generate)):
                return text
            prompt, stops = chat_prompt(messages)
            more = "".join(generate(f"{prompt}{text}\n- ", max_tokens=max_tokens // 2, stop=(*stops, "\n\n")))
            extended = shape(form, f"{text}\n- {more.strip()}")
            if extended == text:
                return text
            text = extended
        return text

    @staticmethod
    def _stream(ctx: SkillContext, messages: list[tuple[str, str]], max_tokens: int) -> Iterator[str]:
        llm: Any = ctx.llm
        chat: Any = getattr(llm, "chat", None)
        if callable(chat):
            return iter(chat(messages, max_tokens))
        prompt = "\n\n".join(f"{'Request' if role == 'user' else 'Text'}: {content}" if role != "system" else content
                               for role, content in messages) + "\nText:"  # fmt: skip
        temperature = float(ctx.settings.get("temperature", 0.7))
        return iter(llm.generate(prompt, max_tokens=max_tokens, stop=("\nRequest:",), temperature=temperature))


def _messages(system: str, request: str, form: Form | None) -> list[tuple[str, str]]:
    """System prompt, the form's worked example as a prior exchange, then the request."""
    if form is None:
        return [("system", system), ("user", request)]
    return [
        ("system", f"{system} {form.instruction}"),
        ("user", form.example_request),
        ("assistant", form.example_text),
        ("user", request),
    ]


def _collect(stream: Iterator[str], max_chars: int, emit: Any) -> tuple[str, bool]:
    """Read a token stream up to ``max_chars`` (cut at a word), passing pieces to ``emit``; (text, truncated)."""
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
                    emit(cut)
                truncated = True
                break
            if piece:
                pieces.append(piece)
                length += len(piece)
                emit(piece)
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()
    return "".join(pieces), truncated
