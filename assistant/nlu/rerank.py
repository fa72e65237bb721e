"""Tier 3: the language model breaks ties among a few VALID candidates, so it can never output an invalid action."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from assistant.nlu.semantic import RankedCandidate
from contracts.engines import LanguageModel

__all__ = ["LlmReranker"]

_HEADER = "A smart home assistant maps each request to one action.\n"
_SHOTS = (
    "Request: it's too dark in the kitchen\nAction: Turn on the Kitchen Light.\n"
    "Request: kill the music\nAction: Pause the Living Room TV.\n"
)


_WARMUP = RankedCandidate("HassTurnOn", (), {}, 0.0, "Turn on the light.")


def _softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


class LlmReranker:
    """Scores verbalised candidates by calibrated likelihood (or asks the model for an index and validates it)."""

    def __init__(self, llm: LanguageModel, *, mode: str = "score", weight: float = 0.5) -> None:
        """``mode``: 'score' (likelihood of each candidate) or 'pick' (the model names an index; validated)."""
        self._llm = llm
        self._mode = mode
        self._weight = weight

    def warmup(self) -> None:
        """Load the model and score one request as a real turn does, so the first tie-break is not a cold start.

        A local backend keeps the KV cache of the prompts seen, so later turns only compute the request's tokens
        past the static instructions and examples, and never the calibration prompt again.
        """
        self._score("hello", [_WARMUP])

    def rerank(self, text: str, candidates: Sequence[RankedCandidate]) -> list[tuple[RankedCandidate, float]]:
        """(candidate, combined probability) best first; combined with the semantic scores."""
        if not candidates:
            return []
        sem = _softmax([c.score * 8.0 for c in candidates])
        llm_p = self._pick(text, candidates) if self._mode == "pick" else _softmax(self._score(text, candidates))
        combined = [(1 - self._weight) * s + self._weight * p for s, p in zip(sem, llm_p, strict=True)]
        order = sorted(range(len(candidates)), key=lambda k: -combined[k])
        return [(candidates[k], combined[k]) for k in order]

    def _score(self, text: str, candidates: Sequence[RankedCandidate]) -> list[float]:
        prompt = f"{_HEADER}{_SHOTS}Request: {text}\nAction:"
        null = f"{_HEADER}{_SHOTS}Request:\nAction:"
        conts = [" " + c.description for c in candidates]
        calibrated = getattr(self._llm, "score_calibrated", None)
        if callable(calibrated):
            return [float(v) for v in calibrated(prompt, conts, null_prompt=null)]
        with_req = self._llm.score(prompt, conts)
        without = self._llm.score(null, conts)
        return [a - b for a, b in zip(with_req, without, strict=True)]

    def _pick(self, text: str, candidates: Sequence[RankedCandidate]) -> list[float]:
        listing = "\n".join(f"{k + 1}. {c.description}" for k, c in enumerate(candidates))
        prompt = (
            f"{_HEADER}Options:\n{listing}\nRequest: {text}\nAnswer with the number of the best option only.\nNumber:"
        )
        out = "".join(self._llm.generate(prompt, max_tokens=4, stop=("\n",), temperature=0.0))
        m = re.search(r"\d+", out)
        uniform = [1.0 / len(candidates)] * len(candidates)
        if not m or not 1 <= int(m.group(0)) <= len(candidates):
            return uniform  # invalid output: no information, never an invalid action
        picked = int(m.group(0)) - 1
        return [0.8 if k == picked else 0.2 / max(1, len(candidates) - 1) for k in range(len(candidates))]
