"""Shared pieces of the fuzz tests: outcome checks and a fast deterministic embedder for ingestion-only fuzzing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from contracts.messages import AssistantError, ErrorCode, TurnResult

__all__ = ["STABLE_CODES", "HashEmbedder", "check_outcome", "run_turn"]

STABLE_CODES = frozenset(code.value for code in ErrorCode)
"""Every stable error code."""


class HashEmbedder:
    """Deterministic bag-of-hashed-words vectors (for fuzzing ingestion, where the model is not the subject)."""

    dim = 64

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised vectors, one per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split()[:2000]:
                digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


def run_turn(call: Any) -> TurnResult | AssistantError:
    """Run a turn; an AssistantError is a legitimate outcome (returned), anything else propagates (a crash)."""
    try:
        return call()  # type: ignore[no-any-return]
    except AssistantError as exc:
        return exc


def check_outcome(outcome: TurnResult | AssistantError, home: Any) -> None:
    """No crash: a TurnResult or an AssistantError with a stable code; never internal-error; no unconfirmed risk."""
    if isinstance(outcome, AssistantError):
        assert outcome.code.value in STABLE_CODES
        assert outcome.code is not ErrorCode.INTERNAL, outcome.message
        assert outcome.message
        return
    assert isinstance(outcome, TurnResult)
    assert outcome.error is None or outcome.error in STABLE_CODES, outcome.error
    assert outcome.error != ErrorCode.INTERNAL.value, outcome.reply
    assert isinstance(outcome.reply, str) and outcome.reply.strip()
    for action in outcome.actions:
        if action.success and not action.confirmed_by_user:
            assert str(home.risk(action.entity_id, action.service)) != "sensitive", action
