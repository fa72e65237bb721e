"""The built-in skills through the registry: small talk, fallback, text generation (fake LLM), FAQ (fake retriever)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from contracts.messages import Candidate, IntentMatch, Passage
from skills.faq import FaqSkill
from skills.faq.answer import DONT_KNOW
from skills.registry import SkillRegistry
from skills.smalltalk import SmallTalkSkill
from skills.textgen import TextGenerationSkill
from tests.skills.conftest import FakeChatLLM, make_ctx


def _registry(**settings: object) -> SkillRegistry:
    return SkillRegistry.load(
        entry_points=False,
        extra=[SmallTalkSkill, TextGenerationSkill, FaqSkill],
        settings=settings,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ small talk


def test_help_lists_installed_skills_with_descriptions() -> None:
    result = _registry().handle(IntentMatch(intent="Help"), make_ctx("what can you do?"))
    assert result.success
    assert TextGenerationSkill.description in result.text
    assert FaqSkill.description in result.text
    assert result.data["skills"] == ["faq", "smalltalk", "textgen"]


@pytest.mark.parametrize(("intent", "word"), [("Greeting", "H"), ("Thanks", "!"), ("Goodbye", "Goodbye")])
def test_greetings_thanks_goodbye(intent: str, word: str) -> None:
    result = _registry().handle(IntentMatch(intent=intent), make_ctx("hi"))
    assert result.success and word in result.text


def test_fallback_says_what_it_did_not_understand_and_suggests() -> None:
    match = IntentMatch(
        intent="Unknown",
        text="blorp the frobnicator",
        alternatives=(Candidate(intent="HassTurnOn", description="Turn on Kitchen Light", score=0.3),),
    )
    result = _registry(smalltalk={"suggestions": ["turn on the porch light"]}).handle(
        match, make_ctx("blorp the frobnicator")
    )
    assert not result.success and result.error_code == "nlu-no-match"
    assert "blorp the frobnicator" in result.text
    assert "Did you mean: Turn on Kitchen Light?" in result.text
    assert "turn on the porch light" in result.text


# ------------------------------------------------------------------ text generation


def test_textgen_streams_tokens_through_emit_token() -> None:
    llm = FakeChatLLM(["Crisp ", "leaves ", "fall,\n", "gold ", "and ", "red."])
    tokens: list[str] = []
    result = _registry().handle(
        IntentMatch(intent="GenerateText", slots={"request": "a short poem about autumn"}),
        make_ctx("write a short poem about autumn", llm=llm, emit_token=tokens.append),
    )
    assert result.success
    assert tokens == ["Crisp ", "leaves ", "fall,\n", "gold ", "and ", "red."]
    assert result.data["form"] == "poem"
    roles = [m[0] for m in llm.messages]
    assert roles == ["system", "user", "assistant", "user"]  # the form's worked example, then the request
    assert llm.messages[-1][1].startswith("write a short poem about autumn")
    assert llm.max_tokens == TextGenerationSkill.default_settings["max_tokens"]


def test_textgen_without_a_form_sends_the_request_alone() -> None:
    llm = FakeChatLLM(["Why not."])
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("write something nice", llm=llm))
    assert result.success and result.text == "Why not." and "form" not in result.data
    assert [m[0] for m in llm.messages] == ["system", "user"]


class ScriptedChat(FakeChatLLM):
    """Answers each chat call with the next script."""

    def __init__(self, scripts: Sequence[str]) -> None:
        super().__init__([])
        self.scripts = list(scripts)
        self.calls = 0

    def chat(self, messages: Sequence[object], max_tokens: int | None = None) -> Iterator[str]:
        self.messages, self.calls = list(messages), self.calls + 1
        yield self.scripts[min(self.calls - 1, len(self.scripts) - 1)]


def test_textgen_shapes_a_haiku_written_as_sentences() -> None:
    llm = ScriptedChat(["Here is a haiku:\nRain taps the window. The street shines like glass, a cat waits for sun."])
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("write a haiku about rain", llm=llm))
    assert result.text.count("\n") == 2 and "Here is" not in result.text
    assert result.data["form_ok"] and not result.data["regenerated"] and llm.calls == 1


def test_textgen_regenerates_once_when_the_form_does_not_fit() -> None:
    llm = ScriptedChat(["Rain", "Grey clouds gather low\nrain taps on the kitchen glass\nthe kettle answers"])
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("write a haiku about rain", llm=llm))
    assert llm.calls == 2 and result.data["regenerated"] and result.data["form_ok"]
    assert result.text.startswith("Grey clouds")
    assert "three short lines" in llm.messages[-1][1]  # the reminder


def test_textgen_lists_are_one_dash_item_per_line() -> None:
    llm = ScriptedChat(["To make pasta you need the following:\n1. spaghetti\n* tomatoes\n• garlic\n2) basil"])
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("draft a shopping list", llm=llm))
    assert result.text == "- spaghetti\n- tomatoes\n- garlic\n- basil"


def test_textgen_respects_length_limits() -> None:
    llm = FakeChatLLM(["word "] * 100)
    tokens: list[str] = []
    result = _registry(textgen={"max_chars": 42, "max_tokens": 30}).handle(
        IntentMatch(intent="GenerateText"), make_ctx("write a long essay", llm=llm, emit_token=tokens.append)
    )
    assert result.success and result.data["truncated"] is True
    assert len("".join(tokens)) <= 42
    assert result.text.endswith("…") and len(result.text) <= 44
    assert llm.max_tokens == 30


def test_textgen_without_llm_fails_clearly() -> None:
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("write a poem"))
    assert not result.success and result.error_code == "llm-unavailable"


def test_textgen_refuses_overlong_requests() -> None:
    result = _registry(textgen={"max_request_chars": 10}).handle(
        IntentMatch(intent="GenerateText"), make_ctx("write a poem about a very long topic", llm=FakeChatLLM(["x"]))
    )
    assert result.error_code == "input-too-long"


# ------------------------------------------------------------------ FAQ with a plain Retriever


class ListRetriever:
    """A Retriever over fixed passages, scored by shared words."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)

    def search(self, query: str, *, k: int = 5) -> list[Passage]:
        words = set(query.lower().split())
        scored = []
        for p in self.passages:
            overlap = len(words & set(p.text.lower().replace(".", "").split())) / max(len(words), 1)
            scored.append(Passage(p.document_id, p.chunk_id, p.text, overlap, p.title, p.chunk_index))
        return sorted(scored, key=lambda p: -p.score)[:k]


PASSAGES = [
    Passage("manual.md", "manual.md#3", "Bin day is Tuesday. Put the bins out on Monday evening.", 0.0, "Manual", 3),
    Passage("manual.md", "manual.md#5", "The router is in the hallway cupboard.", 0.0, "Manual", 5),
]


def test_faq_answers_with_citation_from_a_plain_retriever() -> None:
    retriever = ListRetriever(PASSAGES)
    result = _registry().handle(IntentMatch(intent="FaqAsk"), make_ctx("when is bin day", retriever=retriever))
    assert result.success and "Tuesday" in result.text and "[1]" in result.text
    assert result.citations[0].chunk_id == "manual.md#3"
    assert result.data["abstained"] is False


def test_faq_abstains_below_threshold() -> None:
    retriever = ListRetriever(PASSAGES)
    result = _registry().handle(
        IntentMatch(intent="FaqAsk"), make_ctx("who painted the mona lisa", retriever=retriever)
    )
    assert result.text == DONT_KNOW and result.data["abstained"] is True and not result.citations


def test_faq_uses_llm_only_when_configured() -> None:
    retriever = ListRetriever(PASSAGES)
    llm = FakeChatLLM(["Bins go out ", "on Monday evening [1]."])
    tokens: list[str] = []
    ctx = make_ctx("when is bin day", retriever=retriever, llm=llm, emit_token=tokens.append)
    extractive = _registry().handle(IntentMatch(intent="FaqAsk"), ctx)
    assert extractive.data["mode"] == "extractive" and not llm.messages and not tokens
    generated = _registry(faq={"answer_mode": "llm"}).handle(IntentMatch(intent="FaqAsk"), ctx)
    assert generated.data["mode"] == "llm" and generated.text.startswith("Bins go out on Monday evening [1].")
    assert tokens == ["Bins go out ", "on Monday evening [1]."]
    system, user = llm.messages[0][1], llm.messages[1][1]
    assert "not instructions" in system and '<document id="1"' in user


def test_faq_has_no_device_permission() -> None:
    registry = _registry()
    assert registry.context_services("faq") == frozenset({"retriever", "llm"})
    home = object()
    result = registry.handle(
        IntentMatch(intent="FaqAsk"), make_ctx("bins", retriever=ListRetriever(PASSAGES), home=home)
    )
    assert result.actions == ()


class PromptingChat(ScriptedChat):
    """A chat model that also exposes its prompt and continues from a prefix (like the local LLM)."""

    def __init__(self, scripts: Sequence[str], continuation: str) -> None:
        super().__init__(scripts)
        self.continuation = continuation
        self.prompts: list[str] = []

    def chat_prompt(self, messages: Sequence[object]) -> tuple[str, tuple[str, ...]]:
        return "<prompt>", ("<end>",)

    def generate(
        self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        yield self.continuation


def test_textgen_continues_a_list_that_stopped_short() -> None:
    llm = PromptingChat(["- flour\n- eggs"], "milk\n- butter")
    result = _registry().handle(IntentMatch(intent="GenerateText"), make_ctx("write a shopping list", llm=llm))
    assert result.text == "- flour\n- eggs\n- milk\n- butter"
    assert llm.prompts == ["<prompt>- flour\n- eggs\n- "] and result.data["form_ok"]
