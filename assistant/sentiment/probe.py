"""Optional LLM probe: a linear polarity read-out of one hidden layer of the embedded SmolLM2 (last-token state)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["PROBE_FILE", "HiddenStateProbe", "ProbeWeights", "fit_probe", "load_probe_weights", "save_probe_weights"]

log = logging.getLogger(__name__)

PROBE_FILE = Path(str(files("assistant.sentiment").joinpath("data").joinpath("llm_probe.npz")))
"""Probe weights for the embedded SmolLM2-135M-Instruct (regenerate: python -m assistant.sentiment.train --probe)."""
PROBE_MODEL = "smollm2-135m-instruct"
PROBE_LAYER = 24
"""Middle-upper layer: layers 16-30 all carried polarity linearly; 24 sits in that plateau."""
PROBE_LAMBDA = 1.0


@dataclass(frozen=True)
class ProbeWeights:
    """Standardisation + ridge weights over one layer's last-token hidden state."""

    layer: int
    mean: npt.NDArray[np.float32]
    scale: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]
    bias: float
    fingerprint: str
    """Hash of the training sentences, model and layer."""

    def predict(self, states: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Polarity estimates for hidden states of shape (n, dim)."""
        return (((states - self.mean) / self.scale) @ self.weights + self.bias).astype(np.float32)


def probe_fingerprint(sentences_text: str, model: str = PROBE_MODEL, layer: int = PROBE_LAYER) -> str:
    """Identifies the training data + model + layer + ridge strength."""
    digest = hashlib.sha256(sentences_text.encode("utf-8"))
    digest.update(f"{model}|{layer}|{PROBE_LAMBDA}".encode())
    return digest.hexdigest()[:16]


def fit_probe(
    states: npt.NDArray[np.float64], targets: npt.NDArray[np.float64], *, layer: int, fingerprint: str
) -> ProbeWeights:
    """Standardise (train statistics) and fit a ridge regression (numpy only)."""
    mean = states.mean(0)
    scale = (states.std(0) + 1e-6) * np.sqrt(states.shape[1])
    design = np.hstack([(states - mean) / scale, np.ones((len(states), 1))])
    solution = np.linalg.solve(design.T @ design + PROBE_LAMBDA * np.eye(design.shape[1]), design.T @ targets)
    return ProbeWeights(
        layer,
        mean.astype(np.float32),
        scale.astype(np.float32),
        solution[:-1].astype(np.float32),
        float(solution[-1]),
        fingerprint,
    )


def save_probe_weights(probe: ProbeWeights, path: Path) -> None:
    """Write probe weights as .npz."""
    np.savez(
        path,
        layer=np.int64(probe.layer),
        mean=probe.mean,
        scale=probe.scale,
        weights=probe.weights,
        bias=np.float32(probe.bias),
        fingerprint=np.array(probe.fingerprint),
    )


def load_probe_weights(path: Path = PROBE_FILE) -> ProbeWeights:
    """Read probe weights written by ``save_probe_weights``."""
    with np.load(path) as data:
        return ProbeWeights(
            int(data["layer"]),
            data["mean"].astype(np.float32),
            data["scale"].astype(np.float32),
            data["weights"].astype(np.float32),
            float(data["bias"]),
            str(data["fingerprint"]),
        )


def _embedded_model_folder() -> str:
    from assistant.config import default_cache_dir
    from assistant.llm.models import ensure_local_model, resolve_model_source

    return ensure_local_model(resolve_model_source(PROBE_MODEL), default_cache_dir(), progress=log.info)


StatesFn = Callable[[Sequence[str], int], "npt.NDArray[np.float32] | None"]
"""(texts, layer) → last-token hidden states (n, dim), or None when the model is busy serving someone else."""


class HiddenStateProbe:
    """Scores texts with the probe (only called for turns the lexicon leaves unsure).

    ``states`` reads hidden states from a model someone else holds (the assistant's own SmolLM2, shared); without
    it the probe loads its own copy of the embedded SmolLM2 on first use. A failing or mismatched model turns the
    probe off (logged once): sentiment then comes from the lexicon and the embedding head alone.
    """

    def __init__(
        self,
        weights: ProbeWeights | None = None,
        *,
        model_folder: Callable[[], str] | None = None,
        states: StatesFn | None = None,
    ) -> None:
        self._weights = weights
        if states is None:  # its own copy of the embedded SmolLM2, on the CPU as the probe was trained
            from assistant.llm.local import TransformersLLM

            own = TransformersLLM(model_folder or _embedded_model_folder, device="cpu", name=PROBE_MODEL)
            states = own.hidden_states
        self._states: StatesFn = states
        self.disabled: str | None = None
        """Why the probe stopped (None while it works)."""
        self.skipped = 0
        """Turns the probe sat out because the shared model was busy."""

    def hidden_states(self, texts: Sequence[str], layer: int) -> npt.NDArray[np.float32] | None:
        """Last-token hidden state of ``layer`` for each text (one unpadded forward per text); None when busy."""
        return self._states(texts, layer)

    def predict(self, text: str) -> float | None:
        """Polarity estimate (about -1..1) for one text; None when the probe is off or the model busy."""
        if self.disabled is not None:
            return None
        try:
            values = self.predict_many([text])
        except Exception as exc:  # the probe is an extra signal: never let it fail a turn
            self.disabled = f"{type(exc).__name__}: {exc}"
            log.warning("sentiment LLM probe turned off: %s", self.disabled)
            return None
        if values is None:
            self.skipped += 1
            return None
        return float(values[0])

    def predict_many(self, texts: Sequence[str]) -> npt.NDArray[np.float32] | None:
        """Polarity estimates for several texts (None when the shared model was busy)."""
        if self._weights is None:
            self._weights = load_probe_weights()
        states = self.hidden_states(texts, self._weights.layer)
        if states is None:
            return None
        if states.shape[-1] != self._weights.mean.shape[0]:
            raise ValueError(
                f"the model's hidden size {states.shape[-1]} does not match the probe's {self._weights.mean.shape[0]}"
            )
        return self._weights.predict(states)
