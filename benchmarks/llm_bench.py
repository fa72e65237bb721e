"""LLM benchmark: load time (cold GGUF conversion vs cached), tokens/s, score() latency for 5 candidates, and the
understanding engine's tier 3 on real requests with the scoring strategies A/B in the same run.

Run: ``python benchmarks/llm_bench.py [--model smollm2-135m-instruct|gemma3-270m] [--data-dir DIR] [--cold]``.
``--cold`` converts into a fresh temporary folder (the one-time cost users pay on first start).
``--tier3 [--limit N]``: the LLM tier over the SLURP iot dev requests and our request set on the default home, with
tier 3 forced (semantic threshold above 1) wherever two or more close device candidates remain; every request runs
once per scoring variant, interleaved, and the figures compare them (latency and whether they chose alike).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.config import LlmConfig, default_cache_dir, load_config  # noqa: E402
from assistant.jsonl import read_jsonl  # noqa: E402
from assistant.llm import TransformersLLM, create_llm, prepare_llm  # noqa: E402
from benchmarks.common import percentile  # noqa: E402

__all__ = ["TIER3_VARIANTS", "run", "tier3"]

TIER3_VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {"packed_scoring": False, "prefix_cache_tokens": 0, "score_memo_size": 0},
    "prefix+packed": {"packed_scoring": True, "prefix_cache_tokens": 2048, "score_memo_size": 0},
    "prefix+packed+memo": {"packed_scoring": True, "prefix_cache_tokens": 2048, "score_memo_size": 4096},
}
"""Scoring strategies of the local backend: one prompt forward plus padded candidate batches per score call (the
previous implementation); prompt-prefix KV reuse with both prompts and all candidates as one trie per forward;
the same with memoised (prompt, candidate) scores (the calibration prompt's scores repeat across turns)."""

PROMPT = "Request: it's getting dark in the kitchen\nAction:"
NULL_PROMPT = "Request:\nAction:"
SCORING_PREFIX = (
    "A smart home assistant maps each request to one action.\n"
    "Request: it's too dark in the kitchen\nAction: Turn on the Kitchen Light.\n"
    "Request: kill the music\nAction: Pause the Living Room TV.\n"
)
"""Static instructions and examples, as tier 3 builds them (reused from the prefix cache across turns)."""
SCORING_NULL = f"{SCORING_PREFIX}Request:\nAction:"
REQUESTS = ["it's getting dark in the kitchen", "the kitchen is so gloomy", "lock up", "brighten the kitchen a lot"]
CHAT_SYSTEM = "You are a helpful home assistant. Write short, friendly text. Never mention devices you cannot see."
CANDIDATES = [
    " Turn on the kitchen light.",
    " Turn off the kitchen light.",
    " Open the kitchen blinds.",
    " Lock the front door.",
    " Set the kitchen light brightness to 100 percent.",
]


def _measure(model: str, data_dir: Path, *, device: str = "auto", repeats: int = 8) -> dict[str, Any]:
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
    names = list(TIER3_VARIANTS)
    calibrated_ms: dict[str, list[float]] = {n: [] for n in names}
    first_token_ms: dict[str, list[float]] = {"prefix_cache_off": [], "prefix_cache_on": []}
    for r in range(repeats):
        request = REQUESTS[r % len(REQUESTS)] + ("" if r < len(REQUESTS) else f" ({r})")
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate which variant runs first
            for key, value in TIER3_VARIANTS[name].items():
                setattr(llm, key, value)
            t = time.perf_counter()
            llm.score_calibrated(f"{SCORING_PREFIX}Request: {request}\nAction:", CANDIDATES, SCORING_NULL)
            calibrated_ms[name].append((time.perf_counter() - t) * 1000)
        for name, tokens_kept in (("prefix_cache_off", 0), ("prefix_cache_on", 2048))[:: 1 if r % 2 else -1]:
            llm.prefix_cache_tokens = tokens_kept
            messages = [("system", CHAT_SYSTEM), ("user", f"Write about {request}.")]
            t = time.perf_counter()
            for _piece in llm.chat(messages, max_tokens=4):
                break  # the first streamed piece; leaving the loop closes the stream (and frees the model lock)
            first_token_ms[name].append((time.perf_counter() - t) * 1000)
    for key, value in TIER3_VARIANTS["prefix+packed+memo"].items():
        setattr(llm, key, value)
    return {
        "model": model,
        "device": llm.device,
        "prepare_s": round(prepare_s, 2),
        "load_cached_s": round(load_s, 2),
        "generated_tokens": tokens,
        "tokens_per_s": round(tokens / gen_s, 1) if gen_s else None,
        **{f"score5_calibrated_ms_p50[{n}]": round(statistics.median(v), 1) for n, v in calibrated_ms.items()},
        **{f"chat_first_token_ms_p50[{n}]": round(statistics.median(v), 1) for n, v in first_token_ms.items()},
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


class _Counting:
    """Passes calls to the model and records how many candidates each scoring call had."""

    def __init__(self, llm: TransformersLLM) -> None:
        self.llm = llm
        self.sizes: list[int] = []

    def generate(self, prompt: str, **kwargs: Any) -> Any:
        return self.llm.generate(prompt, **kwargs)

    def score(self, prompt: str, continuations: Any) -> list[float]:
        self.sizes.append(len(continuations))
        return self.llm.score(prompt, continuations)

    def score_calibrated(self, prompt: str, continuations: Any, null_prompt: str = "") -> list[float]:
        self.sizes.append(len(continuations))
        return self.llm.score_calibrated(prompt, continuations, null_prompt)


def _tier3_texts(eval_dir: Path | None) -> list[str]:
    import yaml

    from benchmarks.intents_bench import DEFAULT_EVAL, REQUESTS, SLURP_MAP

    folder = eval_dir or DEFAULT_EVAL / "intents"
    rows = read_jsonl(folder / "slurp_test.dev.jsonl")
    texts = [r["text"] for r in rows if r["scenario"] == "iot" and r["action"] in SLURP_MAP]
    for case in yaml.safe_load(REQUESTS.read_text())["cases"]:
        say = case["say"]
        if isinstance(say, str):
            texts.append(say.split(" @")[0])
    return texts


def tier3(eval_dir: Path | None = None, *, limit: int | None = None) -> dict[str, Any]:
    """Tier 3 forced on real requests; each request once per variant (rotating order); LLM-stage ms per variant."""
    from assistant.embeddings import create_embedder
    from assistant.nlu import create_understanding
    from benchmarks.intents_bench import DEFAULT_HOME
    from devices import create_home

    cfg = load_config()
    llm = create_llm(cfg.llm, data_dir=Path(cfg.cache_dir).expanduser())
    assert isinstance(llm, TransformersLLM)
    counting = _Counting(llm)
    home = create_home(file=DEFAULT_HOME, adapter="simulated", data_dir=None, persist=False)
    nlu = cfg.nlu.model_copy(update={"llm": True, "semantic_threshold": 1.01})
    engine = create_understanding(nlu, home=home, intents=[], embedder=create_embedder(cfg.embeddings), llm=counting)
    warm = engine.warmup()
    names = list(TIER3_VARIANTS)
    llm_ms: dict[str, list[float]] = {n: [] for n in names}
    turn_ms: dict[str, list[float]] = {n: [] for n in names}
    choices: dict[str, list[tuple[str, tuple[str, ...]]]] = {n: [] for n in names}
    sizes: list[int] = []
    texts = _tier3_texts(eval_dir)
    for n, text in enumerate(texts[:limit] if limit else texts):
        order = names[n % len(names) :] + names[: n % len(names)]
        got: dict[str, tuple[float, float, tuple[str, tuple[str, ...]]]] = {}
        for name in order:
            for key, value in TIER3_VARIANTS[name].items():
                setattr(llm, key, value)
            counting.sizes.clear()
            cid = f"t3-{name}-{n}"
            started = time.perf_counter()
            match = engine.recognize(text, conversation_id=cid, area="living_room")[0]
            total = (time.perf_counter() - started) * 1000
            trace = engine.last_trace(cid)
            if trace is None or "llm" not in trace.timings_ms:
                break
            got[name] = (trace.timings_ms["llm"], total, (match.intent, tuple(match.targets)))
            sizes.append(max(counting.sizes, default=0))
        if len(got) == len(names):
            for name, (stage, total, choice) in got.items():
                llm_ms[name].append(stage)
                turn_ms[name].append(total)
                choices[name].append(choice)
    for key, value in TIER3_VARIANTS["prefix+packed+memo"].items():
        setattr(llm, key, value)
    base = choices["baseline"]
    return {
        "requests": len(texts[:limit] if limit else texts),
        "tier3_turns": len(base),
        "candidates_per_turn_p50": percentile([float(x) for x in sizes], 50) if sizes else 0,
        "warmup_ms": warm,
        "variants": {
            name: {
                "llm_stage_p50_ms": round(percentile(llm_ms[name], 50), 1),
                "llm_stage_p95_ms": round(percentile(llm_ms[name], 95), 1),
                "turn_p50_ms": round(percentile(turn_ms[name], 50), 1),
                "turn_p95_ms": round(percentile(turn_ms[name], 95), 1),
                "same_choice_as_baseline": round(
                    sum(a == b for a, b in zip(choices[name], base, strict=True)) / max(1, len(base)), 4
                ),
            }
            for name in names
        },
        "caches": llm.cache_stats(),
    }


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", action="append", help="model name (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--tier3", action="store_true", help="A/B the scoring variants on tier-3 turns")
    parser.add_argument("--eval-dir", type=Path, default=None, help="folder with slurp_test.dev.jsonl")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if args.tier3:
        print(json.dumps(tier3(args.eval_dir, limit=args.limit), indent=2))
        return
    models = tuple(args.model or ["smollm2-135m-instruct"])
    for model, figures in run(args.data_dir, models=models, cold=args.cold, device=args.device).items():
        print(f"{model}: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k not in {"model", "sample"}))
        print(f"  sample: {figures['sample']!r}")


if __name__ == "__main__":
    main()
