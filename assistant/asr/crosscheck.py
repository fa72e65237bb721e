"""A cross-check speech set nobody tuned on: espeak-ng renderings of commands over the default home, plus open speech.

``build(folder)`` writes ``crosscheck_commands`` (Home Assistant-style device, timer and question sentences over the
names of ``config/homes/default.yaml``; not the sentences of the human eval set) and ``crosscheck_open``
(questions, dictation, to-do items: speech the grammar must leave alone), each with a ``manifest.jsonl`` in the
layout ``assistant.asr.evaluate.load_rows`` reads, and ``hotwords.json`` (the default home's names and aliases, as
the pipeline passes them). Each sentence is rendered in one of several espeak-ng voices and speeds, converted to
16 kHz mono with sox, and mixed with white or pink noise at 15-25 dB SNR. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

__all__ = ["COMMAND_TEMPLATES", "OPEN_SENTENCES", "build", "default_home_names"]

HOME_FILE = Path(__file__).resolve().parents[2] / "config" / "homes" / "default.yaml"

COMMAND_TEMPLATES: tuple[str, ...] = (
    "turn on the {light}",
    "switch off the {light}",
    "turn the {light} off",
    "set the {light} brightness to {pct} percent",
    "dim the {light} to {pct} percent",
    "turn off the lights in the {area}",
    "turn on all the lights in the {area}",
    "what is the temperature in the {area}",
    "open the {cover}",
    "close the {cover}",
    "lock the {lock}",
    "is the {lock} locked",
    "set a timer for {n} minutes",
    "start a {n} minute timer",
    "cancel the timer",
    "pause the {media}",
    "next track on the {media}",
    "set the {light} to {color}",
    "what time is it",
    "turn on {script}",
)
"""HA-style command sentences (slots filled from the default home)."""

OPEN_SENTENCES: tuple[str, ...] = (
    "what is the capital of france",
    "how far away is the moon",
    "tell me a joke about cats",
    "remind me to call the dentist tomorrow morning",
    "add eggs and milk to my shopping list",
    "write a short poem about autumn leaves",
    "who wrote the lord of the rings",
    "take a note that the plumber comes on friday",
    "how do i make pancakes without eggs",
    "what should i cook for dinner tonight",
    "summarize the last meeting notes for me",
    "why is the sky blue",
)
"""Open speech: questions, dictation and to-do items."""

_VOICES = ("en-us", "en-us+f3", "en-gb", "en-us+m4", "en-029")
_SPEEDS = (135, 160, 185)
_COLORS = ("red", "blue", "green", "warm white")


def default_home_names(home_file: Path = HOME_FILE) -> dict[str, Any]:
    """Names and aliases of the default home's entities (with their domains) and areas."""
    data = yaml.safe_load(home_file.read_text(encoding="utf-8"))
    entities: list[tuple[str, str, list[str]]] = []
    for device in data.get("devices", ()):
        for entity in device.get("entities", ()):
            domain = str(entity.get("id", "")).split(".", 1)[0]
            entities.append((str(entity["name"]), domain, [str(a) for a in entity.get("aliases", ())]))
    for entity in data.get("entities", ()):
        domain = str(entity.get("id", "")).split(".", 1)[0]
        entities.append((str(entity["name"]), domain, [str(a) for a in entity.get("aliases", ())]))
    areas = [(str(a["name"]), [str(x) for x in a.get("aliases", ())]) for a in data.get("areas", ())]
    hotwords = [n for name, _d, aliases in entities for n in (name, *aliases)]
    hotwords += [n for name, aliases in areas for n in (name, *aliases)]
    return {"entities": entities, "areas": areas, "hotwords": hotwords}


def _sentences(rng: random.Random, home: dict[str, Any], per_template: int) -> list[str]:
    by_domain: dict[str, list[str]] = {}
    for name, domain, _aliases in home["entities"]:
        by_domain.setdefault(domain, []).append(name)
    slots = {
        "light": by_domain.get("light", ["Kitchen Light"]),
        "cover": by_domain.get("cover", ["Garage Door"]),
        "lock": by_domain.get("lock", ["Front Door"]),
        "media": by_domain.get("media_player", ["TV"]),
        "script": by_domain.get("script", []) + by_domain.get("scene", []) or ["Movie Night"],
        "area": [a for a, _x in home["areas"]],
    }
    out: list[str] = []
    for template in COMMAND_TEMPLATES:
        for _ in range(per_template):
            values = {key: rng.choice(options) for key, options in slots.items()}
            values.update(pct=rng.choice((10, 25, 40, 50, 75)), n=rng.choice((2, 5, 10, 15, 20)))
            values["color"] = rng.choice(_COLORS)
            out.append(template.format(**values))
    return list(dict.fromkeys(out))


def _render(text: str, out: Path, rng: random.Random, work: Path) -> float:
    raw, clean, noise = work / "raw.wav", work / "clean.wav", work / "noise.wav"
    voice, speed = rng.choice(_VOICES), rng.choice(_SPEEDS)
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(clean), "pad", "0.3", "0.4"], check=True)
    seconds = float(subprocess.run(["soxi", "-D", str(clean)], check=True, capture_output=True, text=True).stdout)
    snr_db = rng.choice((15, 20, 25))
    color = rng.choice(("whitenoise", "pinknoise"))
    # speech at about -20 dBFS RMS after espeak; noise level set for the chosen SNR
    gain = -20 - snr_db
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            str(noise),
            "synth",
            f"{seconds}",
            color,
            "gain",
            str(gain),
        ],
        check=True,
    )
    subprocess.run(["sox", "-m", str(clean), str(noise), str(out)], check=True)
    return seconds


def build(folder: Path, *, seed: int = 14, per_template: int = 2) -> Path:
    """Render the cross-check set into ``folder`` (skipped when its manifests exist); returns ``folder``."""
    folder = Path(folder)
    done = folder / "crosscheck_open" / "manifest.jsonl"
    if done.is_file() and (folder / "hotwords.json").is_file():
        return folder
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise RuntimeError("espeak-ng and sox are needed to render the cross-check set")
    rng = random.Random(seed)
    home = default_home_names()
    work = folder / ".work"
    work.mkdir(parents=True, exist_ok=True)
    sets = {
        "crosscheck_commands": _sentences(rng, home, per_template),
        "crosscheck_open": list(OPEN_SENTENCES),
    }
    for name, sentences in sets.items():
        target = folder / name
        (target / "audio").mkdir(parents=True, exist_ok=True)
        rows = []
        for i, text in enumerate(sentences):
            audio = target / "audio" / f"{i:03d}.wav"
            seconds = _render(text, audio, rng, work)
            rows.append(
                {
                    "id": f"{name}/{i:03d}",
                    "audio": f"audio/{i:03d}.wav",
                    "reference_text": text,
                    "speaker_source": "tts_espeak_ng_noise",
                    "duration_s": round(seconds, 3),
                    "split": "crosscheck",
                }
            )
        (target / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "hotwords.json").write_text(json.dumps(home["hotwords"]), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return folder
