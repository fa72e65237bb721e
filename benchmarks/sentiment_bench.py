"""Sentiment benchmark: SST-2 and UCI dev accuracy (hybrid vs the VADER baseline), conversational set, latency.

Run: ``python benchmarks/sentiment_bench.py`` (or ``assistant eval sentiment``). Binary eval labels: a neutral
prediction counts by the sign of its score.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.config import EmbeddingsConfig, LlmConfig, SentimentConfig, default_cache_dir  # noqa: E402
from assistant.embeddings import create_embedder  # noqa: E402
from assistant.jsonl import read_jsonl  # noqa: E402
from assistant.llm import create_llm  # noqa: E402
from assistant.sentiment import VaderSentimentAnalyzer, create_analyzer  # noqa: E402
from contracts.engines import SentimentAnalyzer  # noqa: E402

__all__ = ["load_sets", "run"]

DEFAULT_EVAL = ROOT.parent / "shared" / "data" / "eval" / "sentiment"
CONVERSATIONAL = ROOT / "tests" / "sentiment" / "conversational.yaml"
SETS = {"sst2": "sst2.dev.jsonl", "uci": "uci_sentences.dev.jsonl"}


def _eval_dir(data_dir: Path | None) -> Path:
    for candidate in (
        data_dir,
        data_dir / "sentiment" if data_dir else None,
        data_dir / "eval" / "sentiment" if data_dir else None,
    ):
        if candidate is not None and (candidate / SETS["sst2"]).exists():
            return candidate
    return DEFAULT_EVAL


def _binary_accuracy(analyzer: SentimentAnalyzer, rows: list[dict[str, Any]]) -> float:
    right = 0
    for row in rows:
        predicted = 1 if analyzer.analyze(row["text"]).score > 0 else 0
        right += predicted == int(row["label"])
    return right / len(rows) if rows else 0.0


def _three_class(analyzer: SentimentAnalyzer) -> dict[str, Any]:
    data = yaml.safe_load(CONVERSATIONAL.read_text(encoding="utf-8"))
    per_label: dict[str, str] = {}
    total = right = 0
    errors: list[str] = []
    for label, texts in data.items():
        ok = 0
        for text in texts:
            got = analyzer.analyze(text).label.value
            ok += got == label
            if got != label:
                errors.append(f"{text!r}: {got} (want {label})")
        per_label[label] = f"{ok}/{len(texts)}"
        total += len(texts)
        right += ok
    return {"accuracy": right / total, "per_label": per_label, "errors": errors}


def _latency_ms(analyzer: SentimentAnalyzer, texts: list[str], *, warm: bool) -> dict[str, float]:
    samples = []
    for i, text in enumerate(texts):
        probe = text if warm else f"{text} ({i})"  # a fresh string misses the embedding cache
        started = time.perf_counter()
        analyzer.analyze(probe)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 2), "p95": round(samples[int(0.95 * (len(samples) - 1))], 2)}


def load_sets(folder: Path) -> dict[str, list[Any]]:
    """The rows of every labelled set in ``folder`` (JSON Lines: a row may hold U+0085 or U+2028 in its text)."""
    return {name: read_jsonl(folder / file) for name, file in SETS.items()}


def run(data_dir: Path | None = None) -> dict[str, Any]:
    """Measure and return the figures (also printed by ``main``)."""
    folder = _eval_dir(data_dir)
    rows = load_sets(folder)
    embedder = create_embedder(EmbeddingsConfig())
    # the product's path: the probe reads the assistant's own SmolLM2 (one shared model, as in Assistant)
    llm = create_llm(LlmConfig(), data_dir=default_cache_dir())
    read = getattr(llm, "hidden_states", None)

    def states(texts: Any, layer: int) -> Any:
        return read(texts, layer) if callable(read) else None

    hybrid = create_analyzer(SentimentConfig(), embedder=embedder, probe_states=states)
    always_embed = create_analyzer(SentimentConfig(fast_path=False), embedder=embedder, probe_states=states)
    no_probe = create_analyzer(SentimentConfig(llm_probe=False), embedder=embedder)
    vader = create_analyzer(SentimentConfig(engine="vader"), embedder=None)
    vader_raw = VaderSentimentAnalyzer(neutral_band=SentimentConfig().neutral_band, patterns=False)
    hybrid.analyze("the warm-up is not over")  # unsure: loads the LLM before timing
    no_probe.analyze("warm up")
    result: dict[str, Any] = {"eval_dir": str(folder), "engines": {}}
    conversational = yaml.safe_load(CONVERSATIONAL.read_text(encoding="utf-8"))
    turns = [t for texts in conversational.values() for t in texts]
    engines: tuple[tuple[str, SentimentAnalyzer], ...] = (
        ("hybrid", hybrid),
        ("hybrid, no fast path", always_embed),
        ("hybrid without llm probe", no_probe),
        ("vader+patterns", vader),
        ("vader (baseline)", vader_raw),
    )
    for name, analyzer in engines:
        figures: dict[str, Any] = {f"{k}_accuracy": round(_binary_accuracy(analyzer, v), 4) for k, v in rows.items()}
        figures["conversational"] = _three_class(analyzer)
        embedded_before = getattr(analyzer, "embedded_turns", None)
        figures["latency_ms_cold"] = _latency_ms(analyzer, turns, warm=False)
        if embedded_before is not None:  # share of uncached turns that needed the embedding (hybrid fast path)
            embedded = int(getattr(analyzer, "embedded_turns", 0)) - embedded_before
            figures["embedded_share_cold"] = round(embedded / len(turns), 3)
        figures["latency_ms_cached_embedding"] = _latency_ms(analyzer, turns, warm=True)
        result["engines"][name] = figures
    result["counts"] = {k: len(v) for k, v in rows.items()} | {"conversational": len(turns)}
    return result


def _share(figures: dict[str, Any]) -> str:
    share = figures.get("embedded_share_cold")
    return "-" if share is None else f"{share:.0%}"


def main() -> None:
    """Print the figures."""
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"eval data: {result['eval_dir']}  rows: {result['counts']}")
    print(
        f"{'engine':21} {'SST-2':>7} {'UCI':>7} {'conv3':>7} "
        f"{'ms p50 cold':>12} {'ms p95 cold':>12} {'ms p50 cached':>14} {'embedded':>9}"
    )
    for name, f in result["engines"].items():
        print(
            f"{name:21} {f['sst2_accuracy']:7.1%} {f['uci_accuracy']:7.1%} {f['conversational']['accuracy']:7.1%} "
            f"{f['latency_ms_cold']['p50']:12.2f} {f['latency_ms_cold']['p95']:12.2f} "
            f"{f['latency_ms_cached_embedding']['p50']:14.2f} {_share(f):>9}"
        )
    for name, f in result["engines"].items():
        print(f"{name} conversational per label: {f['conversational']['per_label']}")
        for line in f["conversational"]["errors"]:
            print(f"  {name} miss: {line}")


if __name__ == "__main__":
    main()
