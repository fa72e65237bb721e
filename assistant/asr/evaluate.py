"""Speech recognition evaluation: WER (human vs synthetic, with and without biasing), RTF, latency, TTS first audio.

The eval folder is ``<shared>/data/eval/speech``: every sub-folder with a ``manifest.jsonl`` (``id``, ``audio``,
``reference_text``, optional ``speaker_source``) is read; ``speech_stp_en_commands/fixtures_en.json`` supplies the
hotwords (entity and area names of the home the commands refer to). Rows whose reference is null are
out-of-vocabulary speech: reported separately (what was heard and at what confidence), never in the WER.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.asr.normalizer import normalize_text, whisper_normalize
from assistant.audio import decode_audio
from assistant.config import AsrConfig, TtsConfig
from assistant.jsonl import read_jsonl
from contracts.messages import AssistantError

__all__ = [
    "DEFAULT_EVAL_DIR",
    "EvalRow",
    "fixture_hotwords",
    "load_rows",
    "normalize_text",
    "run",
    "tts_first_audio",
    "word_errors",
]

DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval" / "speech"


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One eval utterance."""

    dataset: str
    """Sub-folder name."""
    id: str
    """Row id."""
    audio: Path
    """Audio file."""
    reference: str | None
    """Reference text; None = out of vocabulary."""
    source: str
    """'human' or 'synthetic'."""
    duration_s: float
    """Stated duration."""


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length) after Whisper's English normaliser on both sides."""
    ref = whisper_normalize(reference).split()
    hyp = whisper_normalize(hypothesis).split()
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1], len(ref)


def load_rows(eval_dir: Path) -> list[EvalRow]:
    """All manifest rows with a single-channel reference (or a null one = out of vocabulary)."""
    rows: list[EvalRow] = []
    for manifest in sorted(Path(eval_dir).glob("*/manifest.jsonl")):
        for item in read_jsonl(manifest):
            if "reference_text" not in item or (item["reference_text"] is None and not item.get("out_of_vocabulary")):
                continue
            speaker = str(item.get("speaker_source", "human"))
            rows.append(
                EvalRow(
                    dataset=manifest.parent.name,
                    id=str(item["id"]),
                    audio=manifest.parent / item["audio"],
                    reference=item["reference_text"],
                    source="synthetic" if speaker.startswith("tts") else "human",
                    duration_s=float(item.get("duration_s") or 0.0),
                )
            )
    return rows


def fixture_hotwords(eval_dir: Path) -> list[str]:
    """Entity and area names (and aliases) of the commands' home fixture (``hotwords.json`` when the folder has one)."""
    listed = Path(eval_dir) / "hotwords.json"
    if listed.is_file():
        return [str(n) for n in json.loads(listed.read_text(encoding="utf-8"))]
    path = Path(eval_dir) / "speech_stp_en_commands" / "fixtures_en.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for entity in data.get("entities", ()):
        names.append(entity["name"])
        names.extend(entity.get("aliases", ()))
    for area in data.get("areas", ()):
        names.append(area["name"])
        names.extend(area.get("aliases", ()))
    return names


def _summary(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    errors = sum(int(i["errors"]) for i in items)
    words = sum(int(i["words"]) for i in items)
    return {
        "utterances": len(items),
        "words": words,
        "errors": errors,
        "wer": round(errors / words, 4) if words else None,
        "sentence_errors": sum(1 for i in items if i["errors"]),
    }


def _mode_figures(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    in_vocab = [r for r in results if r["reference"] is not None]
    commands = [r for r in in_vocab if r["dataset"] == "speech_stp_en_commands"]
    human = [r for r in commands if r["source"] == "human"]
    synthetic = [r for r in commands if r["source"] == "synthetic"]
    short = [r for r in results if 2.0 <= r["audio_s"] <= 5.0]
    latencies = sorted(r["seconds"] for r in short)
    audio_total = sum(r["audio_s"] for r in short)
    return {
        "human_commands": _summary(human),
        "synthetic_commands": _summary(synthetic),
        "other_human": _summary([r for r in in_vocab if r["dataset"] != "speech_stp_en_commands"]),
        "human_commands_corrected": _summary([{**r, "errors": r["errors_corrected"]} for r in human]),
        "synthetic_commands_corrected": _summary([{**r, "errors": r["errors_corrected"]} for r in synthetic]),
        "by_dataset": {
            name: _summary([r for r in in_vocab if r["dataset"] == name])
            for name in sorted({r["dataset"] for r in in_vocab})
        },
        "grammar_choices": sum(1 for r in results if r.get("choice") == "grammar"),
        "out_of_vocabulary": [
            {"id": r["id"], "hypothesis": r["hypothesis"], "confidence": r["confidence"], "error": r["error"]}
            for r in results
            if r["reference"] is None
        ],
        "rtf_2_5s": round(sum(latencies) / audio_total, 4) if short else None,
        "p50_latency_2_5s_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "cpu_rtf_2_5s": round(sum(r["cpu_s"] for r in short) / audio_total, 4) if short else None,
        "items": list(results),
    }


def _transcribe(recognizer: Any, path: Path, hotwords: Sequence[str]) -> tuple[str, float, float, float, str | None]:
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        transcript = recognizer.transcribe(path, hotwords=hotwords)
        text, conf, error = transcript.text, transcript.confidence, None
    except AssistantError as exc:
        text, conf, error = "", 0.0, str(exc.code)
    return text, conf, time.perf_counter() - start, time.process_time() - cpu_start, error


def run(
    data_dir: Path = DEFAULT_EVAL_DIR,
    *,
    cfg: AsrConfig | None = None,
    cache_dir: Path | None = None,
    bias_modes: Iterable[str] = ("none", "prompt", "hotwords"),
    datasets: Sequence[str] = (),
    tts: bool = True,
    progress: Callable[[str], None] | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Evaluate the recognizer on the eval folder ``data_dir``; returns JSON-serialisable figures.

    ``rtf_2_5s`` is wall-clock time over audio time for 2-5 s clips; ``cpu_rtf_2_5s`` is process CPU time (all
    threads) over audio time, a figure that holds up when other work shares the machine.

    ``bias_modes``: 'none' (no hotwords) and any of ``asr.bias_mode``'s values. ``variants``: name → ``AsrConfig``
    changes (e.g. ``{"greedy": {"temperature_fallback": False}}``), each crossed with every mode as ``mode/name``.
    All combinations run interleaved row by row on one loaded model, so timings are an A/B under the same load.
    Each mode also reports WER after the vocabulary post-correction (``*_corrected``), from the same hypotheses.
    """
    from assistant.asr.whisper import WhisperRecognizer

    base_cfg = cfg or AsrConfig()
    rows = [r for r in load_rows(data_dir) if not datasets or r.dataset in datasets]
    hotwords = fixture_hotwords(data_dir)
    cache = cache_dir or Path(data_dir).parent / ".cache-asr-eval"
    report: dict[str, Any] = {
        "model": base_cfg.model,
        "eval_dir": str(data_dir),
        "hotwords": hotwords,
        "rows": len(rows),
        "modes": {},
    }
    load_start = time.perf_counter()
    recognizer = WhisperRecognizer(
        base_cfg.model_copy(update={"biasing": True, "vocab_correction": False}), data_dir=cache
    )
    recognizer.warmup()
    report["device"] = recognizer.device
    report["compute_type"] = recognizer.compute_type
    report["load_s"] = round(time.perf_counter() - load_start, 3)
    base_changes = {k: getattr(base_cfg, k) for k in {k for v in (variants or {}).values() for k in v}}
    combos: list[tuple[str, str, dict[str, Any]]] = []
    for mode in bias_modes:
        combos.append((mode, mode, dict(base_changes)))
        combos.extend(
            (f"{mode}/{name}", mode, {**base_changes, **changes}) for name, changes in (variants or {}).items()
        )
    results: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in combos}
    for row in rows:
        audio_s = row.duration_s or decode_audio(row.audio).duration_s
        for key, mode, changes in combos:
            biased = {"biasing": True, "bias_mode": mode} if mode != "none" else {}
            recognizer.update_config(**biased, **changes)  # same loaded model
            words = hotwords if mode != "none" else []
            text, conf, seconds, cpu_s, error = _transcribe(recognizer, row.audio, words)
            corrected = recognizer.snapper(words or hotwords).correct(text)[0] if text else text
            errors, count = word_errors(row.reference, text) if row.reference is not None else (0, 0)
            fixed = word_errors(row.reference, corrected)[0] if row.reference is not None else 0
            results[key].append(
                {
                    "dataset": row.dataset,
                    "id": row.id,
                    "source": row.source,
                    "reference": row.reference,
                    "hypothesis": text,
                    "corrected": corrected,
                    "choice": getattr(getattr(recognizer, "last_choice", None), "source", None) if not error else None,
                    "error": error,
                    "confidence": conf,
                    "errors": errors,
                    "errors_corrected": fixed,
                    "words": count,
                    "seconds": round(seconds, 4),
                    "cpu_s": round(cpu_s, 4),
                    "audio_s": audio_s,
                }
            )
            if progress:
                progress(f"[{key}] {row.id}: {text!r} ({errors}/{count})")
    for key, items in results.items():
        report["modes"][key] = _mode_figures(items)
    if tts:
        report["tts"] = tts_first_audio()
    return report


def tts_first_audio(
    text: str = "Okay, I turned on the kitchen light. It is now at fifty percent brightness. Anything else?",
    engines: Sequence[str] = ("espeak", "piper"),
) -> dict[str, Any]:
    """Time to the first sentence's WAV and to the whole reply, per available TTS engine (cold and cached)."""
    from assistant.tts import create_synthesizer, piper_available

    out: dict[str, Any] = {"text": text}
    for engine in engines:
        if engine == "piper" and not piper_available():
            out[engine] = {"available": False}
            continue
        try:
            synth = create_synthesizer(TtsConfig(engine=engine))  # type: ignore[arg-type]
            assert synth is not None
            if engine == "piper":
                synth.warmup()  # type: ignore[union-attr]
            start = time.perf_counter()
            stream = synth.synthesize(text)
            first = next(stream)
            first_s = time.perf_counter() - start
            rest = list(stream)
            total_s = time.perf_counter() - start
            start = time.perf_counter()
            next(synth.synthesize(text))
            cached_s = time.perf_counter() - start
            out[engine] = {
                "available": True,
                "first_audio_ms": round(first_s * 1000, 1),
                "total_ms": round(total_s * 1000, 1),
                "cached_first_audio_ms": round(cached_s * 1000, 2),
                "sentences": 1 + len(rest),
                "first_wav_bytes": len(first),
            }
        except AssistantError as exc:
            out[engine] = {"available": False, "error": str(exc.code)}
    return out
