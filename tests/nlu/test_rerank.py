"""Tier 3 re-ranking can only choose among valid candidates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.nlu.rerank import LlmReranker
from assistant.nlu.semantic import RankedCandidate


class _FakeLLM:
    def __init__(self, favourite: str, pick: str = "2") -> None:
        self.favourite = favourite
        self.pick = pick

    def generate(self, prompt: str, *, max_tokens: int = 128, stop: Sequence[str] = (), temperature: float = 0.0
                 ) -> Iterator[str]:  # fmt: skip
        yield self.pick

    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        bonus = 5.0 if "Request: \n" not in prompt and not prompt.endswith("Request:\nAction:") else 0.0
        return [(bonus if self.favourite in c else 0.0) - len(c) * 0.01 for c in continuations]


CANDS = [
    RankedCandidate("HassTurnOn", ("light.a",), {}, 0.50, "Turn on the A."),
    RankedCandidate("HassTurnOn", ("fan.b",), {}, 0.49, "Turn on the B."),
]


def test_score_mode_prefers_the_llm_choice() -> None:
    ranked = LlmReranker(_FakeLLM("the B"), weight=0.7).rerank("some request", CANDS)
    assert ranked[0][0].targets == ("fan.b",)
    assert abs(sum(p for _c, p in ranked) - 1.0) < 1e-6


def test_pick_mode_validates_the_index() -> None:
    ranked = LlmReranker(_FakeLLM("", pick="2"), mode="pick", weight=0.7).rerank("x", CANDS)
    assert ranked[0][0].targets == ("fan.b",)
    invalid = LlmReranker(_FakeLLM("", pick="7"), mode="pick", weight=0.7).rerank("x", CANDS)
    assert invalid[0][0].targets == ("light.a",)  # out-of-range output carries no weight


class _RecordingLLM(_FakeLLM):
    def __init__(self) -> None:
        super().__init__("")
        self.prompts: list[str] = []

    def score(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        self.prompts.append(prompt)
        return super().score(prompt, continuations)


def test_warmup_scores_like_a_real_turn() -> None:
    llm = _RecordingLLM()
    reranker = LlmReranker(llm)
    reranker.warmup()
    warm = list(llm.prompts)
    llm.prompts.clear()
    reranker.rerank("some request", CANDS)
    # the calibration prompt is identical and the request prompt shares everything before the request text
    assert warm[1] == llm.prompts[1]
    assert warm[0].split("Request: hello")[0] == llm.prompts[0].split("Request: some request")[0]
