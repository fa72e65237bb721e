"""ASR/TTS benchmark: WER (human vs synthetic, with/without biasing), RTF, p50 latency, TTS time-to-first-audio.

Usage: ``python -m benchmarks.asr_bench [--eval-dir DIR] [--model tiny.en] [--modes none,prompt,hotwords]
[--variants fast,beam2] [--json]``. Variants are decoding settings run interleaved with the configured ones (A/B).
The work is done by ``assistant.asr.evaluate.run`` (also what ``assistant eval asr`` calls).

``--end-state`` runs only the spoken-command end-state evaluation (``assistant.asr.endstate``: every Speech-to-Phrase
clip through a real assistant on the set's fixture home, scored on intent and the home's end state, per speaker
source); ``assistant eval asr`` runs it after the WER figures and reports it as the ``end_state`` block.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.asr.evaluate import DEFAULT_EVAL_DIR
from assistant.asr.evaluate import run as _run
from assistant.config import AsrConfig

__all__ = ["VARIANTS", "main", "print_table", "run"]

VARIANTS: dict[str, dict[str, Any]] = {
    "greedy": {"temperature_fallback": False},
    "novad": {"vad_min_s": 10.0},
    "fast": {"temperature_fallback": False, "vad_min_s": 10.0},
    "beam2": {"beam_size": 2},
    "beam5": {"beam_size": 5},
    "legacy": {"grammar_rescoring": False, "window_s": 30.0},
    "norescore": {"grammar_rescoring": False},
    "w30": {"window_s": 30.0},
    "noprompt": {"bias_max_chars": 0},
    "nbest3": {"nbest": 3},
}
"""Named decoding settings for ``--variants`` (``AsrConfig`` changes)."""


def run(
    data_dir: Path = DEFAULT_EVAL_DIR, *, end_state: bool = True, quick: bool = False, **kwargs: Any
) -> dict[str, Any]:
    """Evaluate on the eval speech folder ``data_dir`` (see ``assistant.asr.evaluate.run``), then, with
    ``end_state``, play the spoken commands through the whole assistant (``assistant.asr.endstate.run``; ``quick``:
    the human clips only) and add its figures as ``end_state``."""
    report = _run(data_dir, **kwargs)
    if end_state:
        from assistant.asr.endstate import run as run_end_state

        cfg = kwargs.get("cfg")
        report["end_state"] = run_end_state(
            data_dir,
            asr=cfg if isinstance(cfg, AsrConfig) else None,
            sources=("human", "oov") if quick else (),
            progress=kwargs.get("progress"),
        )
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_table(report: dict[str, Any]) -> None:
    """A plain-text summary of ``run``'s report."""
    print(f"model {report['model']} on {report['device']}/{report['compute_type']} (load {report['load_s']} s)")
    header = (
        f"{'biasing/variant':18} {'human WER':>10} {'(n)':>5} {'synth WER':>10} {'(n)':>5} {'other WER':>10} "
        f"{'RTF':>7} {'cpuRTF':>7} {'p50 ms':>8} {'human+snap':>10} {'synth+snap':>10}"
    )
    print(header)
    print("-" * len(header))
    for mode, figures in report["modes"].items():
        human, synth, other = figures["human_commands"], figures["synthetic_commands"], figures["other_human"]
        rtf = figures["rtf_2_5s"]
        print(
            f"{mode:18} {_pct(human['wer']):>10} {human['utterances']:>5} {_pct(synth['wer']):>10} "
            f"{synth['utterances']:>5} {_pct(other['wer']):>10} {rtf if rtf is not None else '-':>7} "
            f"{figures.get('cpu_rtf_2_5s') or '-':>7} "
            f"{figures['p50_latency_2_5s_ms'] or '-':>8} "
            f"{_pct((figures.get('human_commands_corrected') or {}).get('wer')):>10} "
            f"{_pct((figures.get('synthetic_commands_corrected') or {}).get('wer')):>10}"
        )
    datasets = sorted({d for f in report["modes"].values() for d in f.get("by_dataset", {})})
    if datasets:
        print(f"{'WER by dataset':18} " + " ".join(f"{d[-22:]:>22}" for d in datasets) + f" {'grammar picks':>14}")
        for mode, figures in report["modes"].items():
            cells = [_pct((figures.get("by_dataset", {}).get(d) or {}).get("wer")) for d in datasets]
            print(f"{mode:18} " + " ".join(f"{c:>22}" for c in cells) + f" {figures.get('grammar_choices', 0):>14}")
    for mode, figures in report["modes"].items():
        for item in figures["items"]:
            if item["errors"]:
                print(f"  [{mode}] {item['source']:9} ref={item['reference']!r} hyp={item['hypothesis']!r}")
            if item.get("corrected", item["hypothesis"]) != item["hypothesis"]:
                print(f"  [{mode}] snapped {item['hypothesis']!r} -> {item['corrected']!r}")
        for oov in figures["out_of_vocabulary"]:
            print(f"  [{mode}] out-of-vocabulary {oov['id']}: {oov['hypothesis']!r} conf={oov['confidence']}")
    for engine, figures in (report.get("tts") or {}).items():
        if isinstance(figures, dict):
            print(f"TTS {engine}: {figures}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--modes", default="none,prompt,hotwords")
    parser.add_argument("--variants", default="", help=f"comma-separated, interleaved A/B: {', '.join(VARIANTS)}")
    parser.add_argument("--datasets", default="", help="comma-separated sub-folders (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where 'base' is joined (default: a temp dir)")
    parser.add_argument("--no-tts", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument(
        "--end-state",
        action="store_true",
        help="only the spoken-command end state: each Speech-to-Phrase clip through the whole assistant",
    )
    parser.add_argument("--area", default=None, help="--end-state: the satellite's area (default: the first one)")
    parser.add_argument(
        "--crosscheck",
        action="store_true",
        help="evaluate the espeak-ng cross-check set (default home's commands + open speech; rendered once)",
    )
    args = parser.parse_args(argv)
    if args.end_state:
        return _end_state_main(args)
    cfg = AsrConfig(model=args.model, device=args.device, cpu_threads=args.threads)
    cache = args.cache_dir or Path.home() / ".cache" / "assistant-bench"
    eval_dir = args.eval_dir
    if args.crosscheck:
        from assistant.asr.crosscheck import build

        eval_dir = build(cache / "crosscheck")
    report = run(
        eval_dir,
        cfg=cfg,
        cache_dir=cache,
        bias_modes=[m for m in args.modes.split(",") if m],
        datasets=[d for d in args.datasets.split(",") if d],
        tts=not args.no_tts,
        variants={name: VARIANTS[name] for name in args.variants.split(",") if name},
        end_state=False,  # --end-state runs it alone
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


def _end_state_main(args: argparse.Namespace) -> int:
    """``--end-state``: the configured assistant (its ASR settings, with --model/--device/--threads applied)."""
    from assistant.asr.endstate import print_report
    from assistant.asr.endstate import run as run_end_state
    from assistant.config import load_config

    changes: dict[str, Any] = {"model": args.model, "device": args.device}
    if args.threads:
        changes["cpu_threads"] = args.threads
    report = run_end_state(
        args.eval_dir,
        asr=load_config().asr.model_copy(update=changes),
        area=args.area,
        progress=lambda m: print(m, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
