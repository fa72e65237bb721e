"""Wake-word benchmark: false accepts per hour on speech and noise that is not the wake word, false rejects on wake-word
clips at several speeds, voices and noise levels. Everything is generated here (espeak-ng + sox; Debian packages).

Usage: ``python -m benchmarks.wakeword [--engines micro,open] [--words okay_nabu] [--sensitivities 0.3,0.5,0.7]
[--json] [--keep DIR]``.

* Negatives: ~60 everyday sentences (home commands, questions, chatter) × 5 espeak-ng voices, 0.4-1.0 s apart,
  then white, pink and brown noise (sox) — about 17 minutes, streamed through one detector without resets.
  A detection anywhere is a false accept (2 s refractory, as the detectors use). Phrases that sound like the wake
  word ("okay, now what") are scored separately as *confusable*, not in the per-hour rate.
* Positives: the wake phrase × 5 voices × 5 speeds (120-200 words/min) × noise (clean, pink at 20/10/5 dB SNR,
  white at 10 dB SNR), 3 s apart in one stream; a clip is detected when a detection fires between its start and
  1.5 s after its end.

Each engine scores the audio once (``scores``); every sensitivity is then applied to the same probabilities.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.audio import SAMPLE_RATE, decode_audio
from assistant.interop.wakeword import create_wake_detector, threshold_for

__all__ = ["main", "run"]

FloatArray = npt.NDArray[np.float32]

VOICES = ("en-us", "en", "en+m3", "en-us+f3", "en-gb-x-rp")
SPEEDS = (120, 140, 160, 180, 200)
NOISES: tuple[tuple[str, float | None], ...] = (
    ("clean", None),
    ("pink", 20.0),
    ("pink", 10.0),
    ("pink", 5.0),
    ("white", 10.0),
)
PHRASES = {"okay_nabu": "okay nabu", "hey_jarvis": "hey jarvis", "alexa": "alexa", "hey_mycroft": "hey mycroft"}
CONFUSABLE = {
    "okay_nabu": ["okay, now what", "okay, no boo", "okay, Nadia", "hey, nabob", "okay nab you"],
    "hey_jarvis": ["hey, Travis", "hey Jarvie", "say, Marvis", "hey, jars of this"],
    "alexa": ["Alexis", "a lexicon", "Alex, uh", "elect a"],
    "hey_mycroft": ["hey, my craft", "hey Microsoft", "a mic raft"],
}
SENTENCES = [
    "turn on the kitchen light",
    "turn off the bedroom lamp",
    "set the living room to twenty one degrees",
    "is the front door locked",
    "open the garage door",
    "what's the temperature outside",
    "dim the hallway lights to fifty percent",
    "start the coffee maker",
    "close the blinds in the office",
    "what time is it",
    "set a timer for ten minutes",
    "remind me to call my mother tomorrow",
    "play some jazz in the kitchen",
    "how long does it take to boil an egg",
    "the weather looks nice today, doesn't it",
    "I think we should go for a walk later",
    "could you pass me the salt please",
    "we are out of milk and bread again",
    "the meeting was moved to three o'clock",
    "my phone battery is almost empty",
    "have you seen my keys anywhere",
    "dinner will be ready in about twenty minutes",
    "let's watch a movie tonight",
    "the kids are still at school",
    "please water the plants on the balcony",
    "I need to finish this report by Friday",
    "the train was late again this morning",
    "what's on the calendar for next week",
    "turn the volume down a little",
    "good morning, did you sleep well",
    "the dishwasher is making a strange noise",
    "can you check if the oven is still on",
    "our neighbours are having a party",
    "I'll be home around seven",
    "the package should arrive on Tuesday",
    "a nice cup of tea sounds perfect",
    "the football match starts at eight",
    "switch the fan to low speed",
    "lock the back door before bed",
    "how many grams are in a pound",
    "okay, let's get started",
    "hey, how are you doing",
    "a bowl of soup would be lovely",
    "the garden needs some attention this weekend",
    "don't forget to feed the cat",
    "the heating seems to be off",
    "I can't find the remote control",
    "maybe we should repaint the hallway",
    "the bus leaves in five minutes",
    "that was a really good book",
    "tell me a joke",
    "what's the capital of Australia",
    "the printer is out of paper",
    "my favourite colour is blue",
    "let me know when the laundry is done",
    "open the window in the bathroom",
    "it's getting dark outside already",
    "nobody answered the phone",
    "I'd like a glass of water",
    "the shop closes at six on Sundays",
]


@dataclass(frozen=True, slots=True)
class Clip:
    """A positive: where it sits in the stream and how it was made."""

    start: int
    end: int
    voice: str
    speed: int
    noise: str


def _speak(
    text: str, voice: str, speed: int, folder: Path, cache: dict[tuple[str, str, int], FloatArray]
) -> FloatArray:
    key = (text, voice, speed)
    if key not in cache:
        out = folder / f"s{len(cache)}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
        cache[key] = decode_audio(out).samples
    return cache[key]


def _sox_noise(kind: str, seconds: float, folder: Path, amplitude: float = 0.3) -> FloatArray:
    out = folder / f"{kind}-{seconds:.0f}.wav"
    if not out.exists():
        fmt = ["-r", str(SAMPLE_RATE), "-b", "16", "-c", "1"]
        subprocess.run(
            ["sox", "-n", *fmt, str(out), "synth", str(seconds), f"{kind}noise", "vol", str(amplitude)], check=True
        )
    return decode_audio(out).samples


def _mix(speech: FloatArray, noise: FloatArray, snr_db: float, offset: int) -> FloatArray:
    start = offset % max(1, len(noise) - len(speech))
    part = noise[start : start + len(speech)]
    speech_rms = float(np.sqrt(np.mean(speech[np.abs(speech) > 0.01] ** 2))) if np.any(np.abs(speech) > 0.01) else 0.1
    noise_rms = float(np.sqrt(np.mean(part**2))) or 1.0
    gain = speech_rms / (noise_rms * 10 ** (snr_db / 20))
    return np.clip(speech + gain * part, -1.0, 1.0).astype(np.float32)


def _silence(seconds: float) -> FloatArray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def _pcm(samples: FloatArray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def negatives(folder: Path, word: str) -> tuple[FloatArray, float, list[FloatArray]]:
    """(the negative stream, its speech seconds, the confusable clips)."""
    cache: dict[tuple[str, str, int], FloatArray] = {}
    rng = np.random.default_rng(7)
    parts: list[FloatArray] = []
    for voice in VOICES:
        for i, text in enumerate(SENTENCES):
            speed = int(SPEEDS[(i + len(voice)) % len(SPEEDS)])
            parts.append(_speak(text, voice, speed, folder, cache))
            parts.append(_silence(float(rng.uniform(0.4, 1.0))))
    speech_s = sum(len(p) for p in parts) / SAMPLE_RATE
    for kind in ("white", "pink", "brown"):
        parts.append(_sox_noise(kind, 60.0, folder, amplitude=0.2))
        parts.append(_silence(0.5))
    confusable = [
        np.concatenate([_silence(0.3), _speak(t, v, 160, folder, cache), _silence(1.5)])
        for t in CONFUSABLE.get(word, [])
        for v in VOICES
    ]
    return np.concatenate(parts), speech_s, confusable


def positives(folder: Path, word: str) -> tuple[FloatArray, list[Clip]]:
    """One stream of wake-word clips, 3 s apart, and where each one is."""
    cache: dict[tuple[str, str, int], FloatArray] = {}
    noise = {kind: _sox_noise(kind, 30.0, folder) for kind in ("pink", "white")}
    parts: list[FloatArray] = [_silence(1.0)]
    clips: list[Clip] = []
    at = len(parts[0])
    n = 0
    for voice in VOICES:
        for speed in SPEEDS:
            clean = _speak(PHRASES[word], voice, speed, folder, cache)
            for kind, snr in NOISES:
                clip = clean if snr is None else _mix(clean, noise[kind], snr, offset=n * 7919)
                label = "clean" if snr is None else f"{kind} {snr:.0f} dB"
                clips.append(Clip(at, at + len(clip), voice, speed, label))
                gap = _silence(3.0)
                if snr is not None:  # keep the noise floor going between clips, at the same level
                    speech_rms = float(np.sqrt(np.mean(clean[np.abs(clean) > 0.01] ** 2)))
                    seg = noise[kind][: len(gap)]
                    level = speech_rms / 10 ** (snr / 20) / (float(np.sqrt(np.mean(seg**2))) or 1.0)
                    gap = (seg * level).astype(np.float32)
                parts += [clip, gap]
                at += len(clip) + len(gap)
                n += 1
    return np.concatenate(parts), clips


def _scores(
    engine: str, word: str, samples: FloatArray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float]:
    detector: Any = create_wake_detector(word, engine=engine)  # type: ignore[arg-type]
    detector.reset()
    pcm = _pcm(samples)
    started = time.perf_counter()
    pos: list[int] = []
    prob: list[float] = []
    step = SAMPLE_RATE // 50 * 2  # 20 ms chunks, as a microphone would send them
    for i in range(0, len(pcm), step):
        for p, s in detector.scores(pcm[i : i + step]):
            pos.append(p)
            prob.append(s)
    return np.asarray(pos, dtype=np.int64), np.asarray(prob, dtype=np.float64), time.perf_counter() - started


def _detections(pos: npt.NDArray[np.int64], prob: npt.NDArray[np.float64], threshold: float) -> list[int]:
    refractory = 2 * SAMPLE_RATE
    out: list[int] = []
    quiet_until = -1
    for p in pos[prob > threshold]:
        if p >= quiet_until:
            out.append(int(p))
            quiet_until = int(p) + refractory
    return out


def _cutoff(engine: str, word: str) -> float:
    detector: Any = create_wake_detector(word, engine=engine, sensitivity=0.5)  # type: ignore[arg-type]
    return float(detector.threshold)


def run(
    *,
    engines: tuple[str, ...] = ("micro", "open"),
    words: tuple[str, ...] = ("okay_nabu",),
    sensitivities: tuple[float, ...] = (0.3, 0.5, 0.7),
    folder: Path | None = None,
) -> dict[str, Any]:
    """Generate the audio, score it with each engine and word, and count false accepts and rejects."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required (apt-get install espeak-ng sox)")
    work = folder or Path(tempfile.mkdtemp(prefix="wakeword-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"results": []}
    for word in words:
        neg, speech_s, confusable = negatives(work, word)
        pos, clips = positives(work, word)
        report["negative_minutes"] = round(len(neg) / SAMPLE_RATE / 60, 2)
        report["negative_speech_minutes"] = round(speech_s / 60, 2)
        report["positive_clips"] = len(clips)
        conf_stream = np.concatenate(confusable) if confusable else _silence(0.1)
        conf_bounds = np.cumsum([0] + [len(c) for c in confusable])
        for engine in engines:
            n_pos, n_prob, neg_s = _scores(engine, word, neg)
            p_pos, p_prob, pos_s = _scores(engine, word, pos)
            c_pos, c_prob, _ = _scores(engine, word, conf_stream)
            cutoff = _cutoff(engine, word)  # the model's own cut-off (sensitivity 0.5)
            for sensitivity in sensitivities:
                threshold = threshold_for(cutoff, sensitivity)
                false_accepts = len(_detections(n_pos, n_prob, threshold))
                hits = _detections(p_pos, p_prob, threshold)
                detected = [any(c.start <= h <= c.end + int(1.5 * SAMPLE_RATE) for h in hits) for c in clips]
                by_noise: dict[str, list[bool]] = {}
                by_speed: dict[str, list[bool]] = {}
                by_voice: dict[str, list[bool]] = {}
                for clip, ok in zip(clips, detected, strict=True):
                    by_noise.setdefault(clip.noise, []).append(ok)
                    by_speed.setdefault(str(clip.speed), []).append(ok)
                    by_voice.setdefault(clip.voice, []).append(ok)
                conf_hits = _detections(c_pos, c_prob, threshold)
                conf_triggered = sum(
                    any(conf_bounds[i] <= h < conf_bounds[i + 1] for h in conf_hits) for i in range(len(confusable))
                )

                def frr(values: list[bool]) -> float:
                    return round(100.0 * (1 - sum(values) / len(values)), 1)

                report["results"].append(
                    {
                        "engine": engine,
                        "word": word,
                        "sensitivity": sensitivity,
                        "threshold": round(threshold, 4),
                        "false_accepts": false_accepts,
                        "false_accepts_per_hour": round(false_accepts / (len(neg) / SAMPLE_RATE / 3600), 2),
                        "false_reject_pct": frr(detected),
                        "false_reject_pct_by_noise": {k: frr(v) for k, v in by_noise.items()},
                        "false_reject_pct_by_speed": {k: frr(v) for k, v in by_speed.items()},
                        "false_reject_pct_by_voice": {k: frr(v) for k, v in by_voice.items()},
                        "confusable_triggered": f"{conf_triggered}/{len(confusable)}",
                        "realtime_factor": round((neg_s + pos_s) / ((len(neg) + len(pos)) / SAMPLE_RATE), 4),
                    }
                )
    return report


def print_table(report: dict[str, Any]) -> None:
    """A plain-text summary."""
    print(
        f"negatives: {report['negative_minutes']} min ({report['negative_speech_minutes']} min espeak-ng speech, "
        f"3 min sox noise); positives: {report['positive_clips']} wake-word clips"
    )
    print(
        f"{'engine':6} {'word':10} {'sens':>5} {'thresh':>7} {'FA':>4} {'FA/h':>7} {'FRR':>7} "
        f"{'clean':>6} {'pink20':>7} {'pink10':>7} {'pink5':>6} {'white10':>8} {'confus.':>8} {'RTF':>7}"
    )
    for r in report["results"]:
        n = r["false_reject_pct_by_noise"]
        print(
            f"{r['engine']:6} {r['word']:10} {r['sensitivity']:5.2f} {r['threshold']:7.3f} {r['false_accepts']:4d} "
            f"{r['false_accepts_per_hour']:7.2f} {r['false_reject_pct']:6.1f}% {n.get('clean', 0):5.1f}% "
            f"{n.get('pink 20 dB', 0):6.1f}% {n.get('pink 10 dB', 0):6.1f}% {n.get('pink 5 dB', 0):5.1f}% "
            f"{n.get('white 10 dB', 0):7.1f}% {r['confusable_triggered']:>8} {r['realtime_factor']:7.4f}"
        )
    print("FRR by speed (words/min) and voice at each engine's default sensitivity:")
    for r in report["results"]:
        if r["sensitivity"] == 0.5:
            speeds = " ".join(f"{k}:{v:.0f}%" for k, v in r["false_reject_pct_by_speed"].items())
            voices = " ".join(f"{k}:{v:.0f}%" for k, v in r["false_reject_pct_by_voice"].items())
            print(f"  {r['engine']:6} {r['word']:10} speed {speeds} | voice {voices}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="micro,open")
    parser.add_argument("--words", default="okay_nabu")
    parser.add_argument("--sensitivities", default="0.3,0.5,0.7")
    parser.add_argument("--json", action="store_true", help="Print the JSON report.")
    parser.add_argument("--keep", type=Path, help="Keep the generated audio in this folder.")
    args = parser.parse_args(argv)
    report = run(
        engines=tuple(e for e in args.engines.split(",") if e),
        words=tuple(w for w in args.words.split(",") if w),
        sensitivities=tuple(float(s) for s in args.sensitivities.split(",") if s),
        folder=args.keep,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
