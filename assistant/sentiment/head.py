"""The embedding head: a ridge regression from sentence embeddings to polarity, trained on shipped labelled text."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from contracts.engines import Embedder

__all__ = ["HEAD_FILE", "PolarityHead", "load_or_train_head", "sentences_text", "train_head", "training_data"]

log = logging.getLogger(__name__)

_DATA = files("assistant.sentiment").joinpath("data")
HEAD_FILE = Path(str(_DATA.joinpath("head.npz")))
"""The head trained for the embedded all-MiniLM-L6-v2 (regenerate: python -m assistant.sentiment.train)."""

_LABELS = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}
LEXICON_WEIGHT = 0.05
"""Sample weight of single VADER lexicon words next to full sentences (weight 1)."""
RIDGE_LAMBDA = 1.0


@dataclass(frozen=True)
class PolarityHead:
    """Linear polarity regressor over L2-normalised embeddings."""

    weights: npt.NDArray[np.float32]
    """Shape (dim,)."""
    bias: float
    """Intercept."""
    fingerprint: str
    """Hash of the training data and model name it was trained for."""

    def predict(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Polarity estimates for embeddings of shape (n, dim)."""
        return (vectors @ self.weights + self.bias).astype(np.float32)


def sentences_text() -> str:
    """The shipped labelled sentences (YAML text)."""
    return _sentences_text()


def _sentences_text() -> str:
    return _DATA.joinpath("sentences.yaml").read_text(encoding="utf-8")


def _lexicon() -> list[tuple[str, float]]:
    import vaderSentiment

    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    out: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):  # splitlines() would also cut at U+0085, U+2028
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out.append((parts[0], float(parts[1]) / 4.0))
            except ValueError:
                continue
    return out


def training_data(*, lexicon: bool = True) -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Texts, polarity targets and sample weights: the shipped sentences (+ VADER lexicon words)."""
    raw = yaml.safe_load(_sentences_text()) or {}
    texts: list[str] = []
    targets: list[float] = []
    weights: list[float] = []
    for key, sentences in raw.items():
        label = _LABELS[str(key).split("_")[0]]
        for sentence in sentences or ():
            texts.append(str(sentence))
            targets.append(label)
            weights.append(1.0)
    if lexicon:
        for word, value in _lexicon():
            texts.append(word)
            targets.append(value)
            weights.append(LEXICON_WEIGHT)
    return texts, np.asarray(targets), np.asarray(weights)


def fingerprint(model_name: str, *, lexicon: bool = True) -> str:
    """Identifies the training data + embedding model + hyper-parameters."""
    digest = hashlib.sha256(_sentences_text().encode("utf-8"))
    digest.update(f"{model_name}|{lexicon}|{LEXICON_WEIGHT}|{RIDGE_LAMBDA}".encode())
    return digest.hexdigest()[:16]


def train_head(embedder: Embedder, model_name: str, *, lexicon: bool = True) -> PolarityHead:
    """Fit the weighted ridge regression (numpy only)."""
    texts, targets, weights = training_data(lexicon=lexicon)
    vectors = np.asarray(embedder.embed(texts), dtype=np.float64)
    design = np.hstack([vectors, np.ones((len(vectors), 1))])
    gram = design.T @ (design * weights[:, None]) + RIDGE_LAMBDA * np.eye(design.shape[1])
    solution = np.linalg.solve(gram, design.T @ (targets * weights))
    return PolarityHead(solution[:-1].astype(np.float32), float(solution[-1]), fingerprint(model_name, lexicon=lexicon))


def save_head(head: PolarityHead, path: Path) -> None:
    """Write a head as .npz."""
    np.savez(path, weights=head.weights, bias=np.float32(head.bias), fingerprint=np.array(head.fingerprint))


def load_or_train_head(embedder: Embedder, model_name: str) -> PolarityHead:
    """The shipped head when it matches the data and model; otherwise train one now (sentences only: fast)."""
    if HEAD_FILE.exists():
        with np.load(HEAD_FILE) as data:
            head = PolarityHead(data["weights"].astype(np.float32), float(data["bias"]), str(data["fingerprint"]))
        if head.fingerprint == fingerprint(model_name):
            return head
        log.info("Shipped sentiment head is stale or for another model; training one on the shipped sentences")
    return train_head(embedder, model_name, lexicon=False)
