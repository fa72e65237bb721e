"""LLM benchmark: load time (cold GGUF conversion vs cached), tokens/s, score() latency for 5 candidates.

Run: ``python benchmarks/llm_bench.py [--model smollm2-135m-instruct|gemma3-270m] [--data-dir DIR] [--cold]``.
``--cold`` converts into a fresh temporary folder (the one-time cost users pay on first start).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.config import LlmConfig, default_cache_dir  # noqa: E402
from assistant.llm import TransformersLLM, create_llm, prepare_llm  # noqa: E402

__all__ = ["run"]

PROMPT = "Request: it's getting dark in the kitchen\nAction:"
NULL_PROMPT = "Request:\nAction:"
CANDIDATES = [
    " Turn on the kitchen light.",
    " Turn off the kitchen light.",
    " Open the kitchen blinds.",
    " Lock the front door.",
    " Set the kitchen light brightness to 100 percent.",
]


def _measure(model: str, data_dir: Path, *, device: str = "auto", repeats: int = 5) -> dict[str, Any]:
    cfg = LlmConfig.model_validate({"model": model, "device": device})
    started = time.perf_counter()
    prepare_llm(cfg, data_dir, progress=lambda m: print(f"  {m}", flush=True))
    prepare_s = time.perf_counter() - started
    llm = create_llm(cfg, data_dir=data_dir)
    assert isinstance(llm, TransformersLLM)
    started = time.perf_counter()
    llm.warmup()
    load_s = time.perf_counter() - started
    llm.score(PROMPT, CANDIDATES[:1])  # warm the kernels
    started = time.perf_counter()
    pieces = list(llm.chat([{"role": "user", "content": "Write two sentences about autumn."}], max_tokens=48))
    gen_s = time.perf_counter() - started
    tokens = len(llm._tokenizer("".join(pieces), add_special_tokens=False)["input_ids"])
    score_ms, calibrated_ms = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        llm.score(PROMPT, CANDIDATES)
        score_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        llm.score_calibrated(PROMPT, CANDIDATES, NULL_PROMPT)
        calibrated_ms.append((time.perf_counter() - t) * 1000)
    return {
        "model": model,
        "device": llm.device,
        "prepare_s": round(prepare_s, 2),
        "load_cached_s": round(load_s, 2),
        "generated_tokens": tokens,
        "tokens_per_s": round(tokens / gen_s, 1) if gen_s else None,
        "score5_ms_p50": round(statistics.median(score_ms), 1),
        "score5_calibrated_ms_p50": round(statistics.median(calibrated_ms), 1),
        "sample": "".join(pieces)[:120],
    }


def run(
    data_dir: Path | None = None,
    *,
    models: tuple[str, ...] = ("smollm2-135m-instruct",),
    cold: bool = False,
    device: str = "auto",
) -> dict[str, Any]:
    """Benchmark each model; ``cold`` converts in a fresh folder first (measures GGUF → cache)."""
    results: dict[str, Any] = {}
    for model in models:
        if cold:
            with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
                results[model] = _measure(model, Path(tmp), device=device)
                results[model]["cold"] = True
        else:
            results[model] = _measure(model, data_dir or default_cache_dir(), device=device)
    return results


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", action="append", help="model name (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    models = tuple(args.model or ["smollm2-135m-instruct"])
    for model, figures in run(args.data_dir, models=models, cold=args.cold, device=args.device).items():
        print(f"{model}: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k not in {"model", "sample"}))
        print(f"  sample: {figures['sample']!r}")


if __name__ == "__main__":
    main()
