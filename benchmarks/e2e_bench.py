"""End-to-end benchmark: spoken command → device state changed, typed template commands, cold start, memory.

* Voice: synthetic commands (espeak-ng + sox, generated from the home's own switchable entities) and the recorded
  Speech-to-Phrase commands (human WAVs + their fixture home) go through ``Assistant.handle_audio``. Latency is
  end of speech (the whole clip is available) → the adapter's confirmation of the action (the first
  ``state-changed`` event of the turn; the skill-end time when the adapter reported success without a state change).
  Every device command is checked against the home: the target's state must actually have changed.
* Text: the same commands typed through ``handle_text``; template-tier p50.
* Cold start: ``assistant serve`` on a free port, from spawn until the page answers (model caches prepared).
* Memory: a separate process loads every embedded model (ASR, embedder, LLM), runs a turn, reports RSS.

Run: ``python -m benchmarks.e2e_bench [--quick] [--device cpu|cuda] [--data DIR] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.jsonl import read_jsonl
from benchmarks.common import current_rss_mb, machine_info, peak_rss_mb, start_server, summarize

__all__ = [
    "DEVICE_INTENTS",
    "MODELS_READY_LINE",
    "TARGETS",
    "VoiceCommand",
    "VoiceOutcome",
    "fresh_data_dir",
    "make_assistant",
    "measure_cold_start",
    "measure_rss",
    "measure_text",
    "measure_voice",
    "recorded_commands",
    "run",
    "synthesize",
    "synthetic_commands",
]

Progress = Callable[[str], None]

MODELS_READY_LINE = "Assistant models ready"
"""What ``assistant serve`` prints once the background model load is done."""

TARGETS: Mapping[str, float] = {
    "voice_p50_ms": 700.0,
    "voice_p50_ms_cuda": 150.0,
    "template_text_p50_ms": 20.0,
    "cold_start_s": 20.0,
    "rss_mb": 2560.0,
}
"""Targets from the issue: voice p50 ≤ 700 ms (tiny.en, 2 cores; ≤ 150 ms on CUDA), template text p50 ≤ 20 ms,
cold start ≤ 20 s, RSS ≤ 2.5 GB with all embedded models loaded."""

DEVICE_INTENTS = frozenset(
    {
        "HassTurnOn",
        "HassTurnOff",
        "HassToggle",
        "HassLightSet",
        "HassSetPosition",
        "HassClimateSetTemperature",
        "HassFanSetSpeed",
        "HassMediaNext",
        "HassMediaPrevious",
        "HassMediaPause",
        "HassMediaUnpause",
        "HassSetVolume",
        "HassVacuumStart",
        "HassVacuumReturnToBase",
        "HassListAddItem",
    }
)
"""Intents whose success means an adapter changed something in the home."""

_OPPOSITE = {
    "turn_on": "turn_off",
    "turn_off": "turn_on",
    "open_cover": "close_cover",
    "close_cover": "open_cover",
    "lock": "unlock",
    "unlock": "lock",
}


@dataclass(frozen=True, slots=True)
class VoiceCommand:
    """One spoken command and what it should do."""

    id: str
    """Stable id (file name or generated)."""
    text: str
    """What is said (the reference transcript)."""
    audio: Path
    """A 16 kHz mono WAV."""
    source: str
    """'synthetic' (espeak-ng), 'recorded' (human) or 'tts-noisy' (cloud TTS + noise)."""
    duration_s: float
    """Clip length."""
    expected_intent: str | None = None
    """The labelled intent, when known."""
    slots: Mapping[str, Any] = field(default_factory=dict)
    """The labelled slots, when known."""
    targets: tuple[str, ...] = ()
    """Entity ids the command should change (synthetic commands)."""
    expected_state: str | None = None
    """The state those targets should end in (synthetic commands)."""

    @property
    def device_command(self) -> bool:
        """True when success must show up as a changed device state."""
        return self.expected_intent in DEVICE_INTENTS


@dataclass(frozen=True, slots=True)
class VoiceOutcome:
    """What one spoken turn did."""

    id: str
    source: str
    text: str
    heard: str
    intent: str | None
    tier: str | None
    error: str | None
    device_command: bool
    changed: bool
    """True when a target's state differs after the turn (device commands)."""
    correct_state: bool | None
    """For synthetic commands: the target ended in the expected state."""
    action_ms: float | None
    """End of speech → adapter confirmation."""
    turn_ms: float
    """End of speech → TurnResult (includes reply and store write)."""
    stages: Mapping[str, float]
    """The turn's per-stage timings."""


# ---------------------------------------------------------------------------------------------- set-up helpers


def fresh_data_dir(cache_dir: Path | None, parent: Path | None = None) -> Path:
    """A new empty data dir whose model caches (sub-folders of ``cache_dir``) are symlinked, so nothing reconverts."""
    path = Path(tempfile.mkdtemp(prefix="assistant-bench-", dir=str(parent) if parent else None))
    if cache_dir is not None and cache_dir.is_dir():
        for child in cache_dir.iterdir():
            if child.is_dir() and not child.name.startswith("assistant-bench-"):
                os.symlink(child.resolve(), path / child.name, target_is_directory=True)
    return path


def _device_overrides(device: str) -> dict[str, Any]:
    if device in ("", "auto"):
        return {}
    return {"asr": {"device": device}, "llm": {"device": device}, "embeddings": {"device": device}}


def make_assistant(
    data_dir: Path, *, home: Path | None = None, device: str = "auto", overrides: Mapping[str, Any] | None = None
) -> Any:
    """An Assistant over ``data_dir`` (which wins over $ASSISTANT_DATA_DIR) with device and config overrides."""
    from assistant.app import Assistant
    from assistant.config import load_config

    merged: dict[str, Any] = _device_overrides(device)
    for key, value in (overrides or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    cfg = load_config(None, **merged)
    if Path(cfg.data_dir) != data_dir:
        cfg = cfg.model_copy(update={"data_dir": data_dir})
    return Assistant.create(cfg, home=home)


def default_cache_dir() -> Path:
    """Where ``make models`` / ``assistant prepare`` cached the model conversions (the configured data dir)."""
    from assistant.config import load_config

    return Path(load_config().data_dir).expanduser()


def synthesize(text: str, out: Path, *, rate_wpm: int = 150, pad_s: tuple[float, float] = (0.3, 0.4)) -> float:
    """espeak-ng → sox 16 kHz mono 16-bit WAV with a little silence around it; returns the duration in seconds."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise RuntimeError("espeak-ng and sox are needed for synthetic commands (apt-get install espeak-ng sox)")
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(rate_wpm), "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", str(pad_s[0]), str(pad_s[1])],
        check=True,
    )
    raw.unlink(missing_ok=True)
    import wave

    with wave.open(str(out), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def synthetic_commands(home: Any, out_dir: Path, *, limit: int) -> list[VoiceCommand]:
    """On/off commands for the home's own switchable entities whose names resolve unambiguously."""
    out_dir.mkdir(parents=True, exist_ok=True)
    commands: list[VoiceCommand] = []
    for entity in sorted(home.entities(), key=lambda e: e.entity_id):
        if len(commands) >= limit:
            break
        domain = entity.domain
        if domain not in ("light", "switch", "fan"):
            continue
        if f"{domain}.turn_on" not in entity.services or f"{domain}.turn_off" not in entity.services:
            continue
        resolution = home.resolve(entity.name, domain=domain)
        if resolution.ambiguous or not resolution.candidates or resolution.candidates[0].entity_id != entity.entity_id:
            continue
        for verb, intent, state in (("turn on", "HassTurnOn", "on"), ("turn off", "HassTurnOff", "off")):
            text = f"{verb} the {entity.name}"
            wav = out_dir / f"{entity.entity_id}-{state}.wav"
            duration = synthesize(text, wav)
            commands.append(
                VoiceCommand(
                    id=wav.stem,
                    text=text,
                    audio=wav,
                    source="synthetic",
                    duration_s=duration,
                    expected_intent=intent,
                    slots={"name": entity.name},
                    targets=(entity.entity_id,),
                    expected_state=state,
                )
            )
    return commands[: max(limit, 0)]


def recorded_commands(speech_dir: Path, *, sources: Sequence[str] = ("human_recording",)) -> list[VoiceCommand]:
    """The Speech-to-Phrase commands of ``manifest.jsonl`` from the given speaker sources (OOV rows excluded)."""
    manifest = speech_dir / "manifest.jsonl"
    if not manifest.exists():
        return []
    commands: list[VoiceCommand] = []
    for row in read_jsonl(manifest):
        if row.get("out_of_vocabulary") or not row.get("reference_text"):
            continue
        source = str(row.get("speaker_source", ""))
        if source not in sources:
            continue
        audio = speech_dir / row["audio"]
        if not audio.exists():
            continue
        commands.append(
            VoiceCommand(
                id=str(row["id"]),
                text=str(row["reference_text"]),
                audio=audio,
                source="recorded" if source == "human_recording" else "tts-noisy",
                duration_s=float(row.get("duration_s", 0.0)),
                expected_intent=row.get("intent"),
                slots=dict(row.get("slots") or {}),
            )
        )
    return commands


# ---------------------------------------------------------------------------------------------- measurement


class _EventClock:
    """Records the perf_counter time of every state-changed event published on the assistant's bus."""

    def __init__(self, assistant: Any) -> None:
        self.changes: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._unsubscribe = assistant.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        if str(event.type) == "state-changed":
            with self._lock:
                self.changes.append((time.perf_counter(), str(event.data.get("entity_id", ""))))

    def reset(self) -> None:
        with self._lock:
            self.changes.clear()

    def first_change(self, entity_ids: set[str] | None = None) -> float | None:
        with self._lock:
            for at, entity_id in self.changes:
                if entity_ids is None or not entity_ids or entity_id in entity_ids:
                    return at
        return None

    def close(self) -> None:
        self._unsubscribe()


def _prepare_targets(home: Any, command: VoiceCommand) -> set[str]:
    """Put the command's targets in the opposite state so a success is visible; returns the prepared entity ids."""
    ids = list(command.targets) if command.targets else _labelled_targets(home, command)
    prepared: set[str] = set()
    for entity_id in ids:
        entity = home.entity(entity_id)
        if entity is None:
            continue
        domain = entity.domain
        service = _wanted_service(command, domain)
        if command.expected_intent == "HassLightSet" and f"{domain}.turn_on" in entity.services:
            wanted = command.slots.get("brightness")
            other = 10 if wanted is not None and float(wanted) > 50 else 100
            _call(home, f"{domain}.turn_on", [entity_id], {"brightness_pct": other})
            prepared.add(entity_id)
            continue
        if service is None:
            continue
        opposite = _OPPOSITE.get(service.split(".", 1)[1])
        if opposite and f"{domain}.{opposite}" in entity.services:
            _call(home, f"{domain}.{opposite}", [entity_id], None)
            prepared.add(entity_id)
    return prepared


def _wanted_service(command: VoiceCommand, domain: str) -> str | None:
    on = {"cover": "open_cover", "lock": "lock"}.get(domain, "turn_on")
    off = {"cover": "close_cover", "lock": "unlock"}.get(domain, "turn_off")
    if command.expected_intent == "HassTurnOn":
        return f"{domain}.{on}"
    if command.expected_intent == "HassTurnOff":
        return f"{domain}.{off}"
    return None


def _labelled_targets(home: Any, command: VoiceCommand) -> list[str]:
    """Entities the labelled slots name (name, or area + domain)."""
    name = command.slots.get("name")
    domain = command.slots.get("domain")
    area = command.slots.get("area")
    if isinstance(name, str) and name:
        resolution = home.resolve(name, domain=domain if isinstance(domain, str) else None)
        return [resolution.candidates[0].entity_id] if resolution.candidates and not resolution.ambiguous else []
    if isinstance(area, str) and area and area != "CONTEXT_AREA" and isinstance(domain, str):
        areas = {
            a.id for a in home.areas() if area.casefold() in {a.name.casefold(), *(x.casefold() for x in a.aliases)}
        }
        return [e.entity_id for e in home.entities() if e.domain == domain and e.area_id in areas]
    return []


def _call(home: Any, service: str, entity_ids: list[str], data: Mapping[str, Any] | None) -> None:
    with contextlib.suppress(Exception):  # preparing is best effort; the turn's own outcome is what is measured
        home.call_service(service, entity_ids, data)


def _stage_ms(result: Any) -> dict[str, float]:
    return {k: float(v) for k, v in dict(result.timings_ms or {}).items()}


def _skill_end_ms(result: Any) -> float | None:
    for event in result.events:
        if str(event.type) == "skill-end":
            return float(event.elapsed_ms)
    return None


def measure_voice(
    assistant: Any,
    commands: Sequence[VoiceCommand],
    *,
    area: str | None = None,
    progress: Progress | None = None,
) -> list[VoiceOutcome]:
    """Run each command through ``handle_audio`` (own conversation each) and check the home changed."""
    clock = _EventClock(assistant)
    outcomes: list[VoiceOutcome] = []
    try:
        for command in commands:
            prepared = _prepare_targets(assistant.home, command) if command.device_command else set()
            before = assistant.home.states()
            audio = command.audio.read_bytes()
            clock.reset()
            end_of_speech = time.perf_counter()
            result = assistant.handle_audio(audio, area=area)
            turn_ms = (time.perf_counter() - end_of_speech) * 1000.0
            after = assistant.home.states()
            action_ids = {a.entity_id for a in result.actions if a.success}
            watched = action_ids | prepared | set(command.targets)
            changed = any(before.get(e) != after.get(e) for e in watched)
            at = clock.first_change(watched)
            action_ms: float | None = None
            if at is not None:
                action_ms = (at - end_of_speech) * 1000.0
            elif action_ids:
                action_ms = _skill_end_ms(result)
            correct: bool | None = None
            if command.targets and command.expected_state is not None:
                correct = all(after.get(e, {}).get("state") == command.expected_state for e in command.targets)
            outcome = VoiceOutcome(
                id=command.id,
                source=command.source,
                text=command.text,
                heard=result.text,
                intent=result.intent.intent if result.intent else None,
                tier=str(result.intent.tier) if result.intent else None,
                error=result.error,
                device_command=command.device_command,
                changed=changed,
                correct_state=correct,
                action_ms=action_ms,
                turn_ms=turn_ms,
                stages=_stage_ms(result),
            )
            outcomes.append(outcome)
            if progress:
                progress(
                    f"  [{command.source}] {command.text!r} → heard {result.text!r}, {outcome.intent} "
                    f"({outcome.tier}), changed={changed}, action={_fmt(action_ms)} ms, turn={turn_ms:.0f} ms"
                )
    finally:
        clock.close()
    return outcomes


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def summarize_voice(outcomes: Sequence[VoiceOutcome]) -> dict[str, Any]:
    """Latency and success figures per source and overall."""

    def block(rows: Sequence[VoiceOutcome]) -> dict[str, Any]:
        device = [o for o in rows if o.device_command]
        actions = [o.action_ms for o in rows if o.action_ms is not None]
        stage_names = sorted({k for o in rows for k in o.stages})
        return {
            "commands": len(rows),
            "device_commands": len(device),
            "device_state_changed": sum(1 for o in device if o.changed),
            "expected_state_reached": sum(1 for o in rows if o.correct_state),
            "errors": sum(1 for o in rows if o.error),
            "end_of_speech_to_action_ms": summarize(actions).as_dict(),
            "end_of_speech_to_reply_ms": summarize([o.turn_ms for o in rows]).as_dict(),
            "stages_ms": {s: summarize([o.stages[s] for o in rows if s in o.stages]).as_dict() for s in stage_names},
        }

    sources = sorted({o.source for o in outcomes})
    return {
        "all": block(outcomes),
        **{source: block([o for o in outcomes if o.source == source]) for source in sources},
        "turns": [
            {
                "id": o.id,
                "source": o.source,
                "said": o.text,
                "heard": o.heard,
                "intent": o.intent,
                "tier": o.tier,
                "error": o.error,
                "device_command": o.device_command,
                "state_changed": o.changed,
                "action_ms": None if o.action_ms is None else round(o.action_ms, 1),
                "turn_ms": round(o.turn_ms, 1),
            }
            for o in outcomes
        ],
    }


def measure_text(assistant: Any, texts: Sequence[str], *, repeats: int = 1, area: str | None = None) -> dict[str, Any]:
    """Typed commands through ``handle_text``: latency per understanding tier, template-tier p50."""
    by_tier: dict[str, list[float]] = {}
    nlu_template: list[float] = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            result = assistant.handle_text(text, area=area)
            ms = (time.perf_counter() - started) * 1000.0
            tier = str(result.intent.tier) if result.intent else "none"
            by_tier.setdefault(tier, []).append(ms)
            if tier == "template" and "nlu" in result.timings_ms:
                nlu_template.append(float(result.timings_ms["nlu"]))
    total = sum(len(v) for v in by_tier.values())
    return {
        "turns": total,
        "tier_share": {t: round(len(v) / total, 3) for t, v in sorted(by_tier.items())} if total else {},
        "latency_ms_by_tier": {t: summarize(v).as_dict() for t, v in sorted(by_tier.items())},
        "template_turn_ms": summarize(by_tier.get("template", [])).as_dict(),
        "template_nlu_stage_ms": summarize(nlu_template).as_dict(),
    }


def measure_cold_start(cache_dir: Path | None, *, runs: int = 1, timeout_s: float = 120.0) -> dict[str, Any]:
    """Spawn ``assistant serve`` on a free port (fresh data dir, prepared model caches) until the page answers.

    ``ready_s`` is spawn → the page answers (the UI is usable; chat requests wait for the models);
    ``models_ready_s`` is spawn → the server reports its models loaded in the background (a typed request is then
    answered without waiting).
    """
    samples: list[float] = []
    models: list[float] = []
    failures: list[str] = []
    for _ in range(max(1, runs)):
        data_dir = fresh_data_dir(cache_dir)
        try:
            server = start_server(data_dir=data_dir, timeout_s=timeout_s)
        except RuntimeError as exc:
            failures.append(str(exc)[-1500:])
            shutil.rmtree(data_dir, ignore_errors=True)
            continue
        try:
            samples.append(server.ready_s)
            loaded = server.wait_for_log(MODELS_READY_LINE, timeout_s=timeout_s)
            if loaded is not None:
                models.append(loaded)
            else:
                failures.append(f"models did not report ready:\n{server.log_tail(1500)}")
        finally:
            server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "runs": len(samples),
        "ready_s": [round(s, 2) for s in samples],
        "ready_s_max": round(max(samples), 2) if samples else None,
        "models_ready_s": [round(s, 2) for s in models],
        "models_ready_s_max": round(max(models), 2) if models else None,
        "failures": failures,
    }


def measure_rss(
    cache_dir: Path | None, *, device: str = "auto", audio: Path | None = None, timeout_s: float = 600
) -> dict[str, Any]:
    """In a fresh process: load ASR, embedder and LLM, run a text and a voice turn, report RSS (MiB)."""
    data_dir = fresh_data_dir(cache_dir)
    cmd = [sys.executable, "-m", "benchmarks.e2e_bench", "--rss-probe", "--data-dir", str(data_dir), "--device", device]
    if audio is not None:
        cmd += ["--audio", str(audio)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, cwd=root)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    for line in reversed(proc.stdout.split("\n")):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"error": f"probe exited with {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}"}


def _rss_probe(data_dir: Path, device: str, audio: Path | None) -> dict[str, Any]:
    baseline = current_rss_mb()
    assistant = make_assistant(data_dir, device=device)
    try:
        started = time.perf_counter()
        assistant.warmup(asr=True)
        llm = assistant.llm  # builds the LLM (warm-up leaves it lazy)
        if llm is not None:
            "".join(llm.generate("Say hello.", max_tokens=4))
        load_s = time.perf_counter() - started
        assistant.handle_text("turn on the kitchen light")
        if audio is not None:
            assistant.handle_audio(audio.read_bytes())
        return {
            "baseline_rss_mb": round(baseline, 1),
            "rss_mb": round(current_rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "models_load_s": round(load_s, 2),
            "models": assistant.describe(),
            "llm_loaded": llm is not None,
        }
    finally:
        assistant.close()


@contextmanager
def _workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="assistant-e2e-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def _home_text_commands(home: Any, limit: int) -> list[str]:
    texts: list[str] = []
    for entity in sorted(home.entities(), key=lambda e: e.entity_id):
        if entity.domain in ("light", "switch", "fan") and f"{entity.domain}.turn_on" in entity.services:
            texts += [f"turn on the {entity.name}", f"turn off the {entity.name}"]
        if len(texts) >= limit:
            break
    return texts[:limit]


def run(
    data_dir: Path,
    *,
    quick: bool = False,
    device: str = "auto",
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    cold_start: bool = True,
    rss: bool = True,
) -> dict[str, Any]:
    """The whole end-to-end suite; ``data_dir`` is the eval data folder (speech/ holds the recorded commands)."""
    say = progress or (lambda _m: None)
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    speech_dir = Path(data_dir) / "speech" / "speech_stp_en_commands"
    report: dict[str, Any] = {
        "suite": "e2e",
        "device_requested": device,
        "quick": quick,
        "targets": dict(TARGETS),
        "machine": machine_info(),
    }
    with _workdir(keep=False) as work:
        # ---- default home: synthetic speech + typed commands
        home_dir = fresh_data_dir(cache, parent=work)
        assistant = make_assistant(home_dir, device=device)
        try:
            say("e2e: loading models (warm-up, not timed)")
            started = time.perf_counter()
            assistant.warmup(asr=True)
            report["warmup_s"] = round(time.perf_counter() - started, 2)
            commands = synthetic_commands(assistant.home, work / "synthetic", limit=4 if quick else 16)
            if commands:  # one untimed turn so lazy paths (hotwords, skill imports) are warm
                assistant.handle_audio(commands[0].audio.read_bytes())
            say(f"e2e: {len(commands)} synthetic voice commands")
            outcomes = measure_voice(assistant, commands, progress=say)
            texts = _home_text_commands(assistant.home, 8 if quick else 30)
            say(f"e2e: {len(texts)} typed commands")
            report["text"] = measure_text(assistant, texts, repeats=1 if quick else 3)
            report["models"] = assistant.describe()
        finally:
            assistant.close()
        # ---- recorded commands against their own fixture home
        fixture = speech_dir / "fixtures_en.json"
        sources = ("human_recording",) if quick else ("human_recording", "tts_ha_cloud_plus_background_noise")
        recorded = recorded_commands(speech_dir, sources=sources)
        if recorded and fixture.exists():
            stp_dir = fresh_data_dir(cache, parent=work)
            stp = make_assistant(stp_dir, home=fixture, device=device)
            try:
                stp.warmup(asr=True)
                stp.handle_audio(recorded[0].audio.read_bytes())  # untimed warm turn
                areas = stp.home.areas()
                say(f"e2e: {len(recorded)} recorded voice commands")
                outcomes += measure_voice(stp, recorded, area=areas[0].name if areas else None, progress=say)
                report["recorded_text"] = measure_text(stp, [c.text for c in recorded])
            finally:
                stp.close()
        else:
            report["recorded"] = "missing"
        report["voice"] = summarize_voice(outcomes)
    if cold_start:
        say("e2e: cold start of `assistant serve`")
        report["cold_start"] = measure_cold_start(cache, runs=1 if quick else 2)
    if rss:
        say("e2e: memory with all embedded models loaded (separate process)")
        probe_audio = next((c.audio for c in recorded_commands(speech_dir)), None)
        report["memory"] = measure_rss(cache, device=device, audio=probe_audio)
    report["summary"] = _summary(report)
    return report


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """Headline figures next to their targets."""
    voice = report.get("voice", {}).get("all", {})
    text = report.get("text", {})
    cold = report.get("cold_start", {})
    memory = report.get("memory", {})
    cuda = "cuda" in str(report.get("models", {}).get("asr_device", "")) or report.get("device_requested") == "cuda"
    voice_target = TARGETS["voice_p50_ms_cuda"] if cuda else TARGETS["voice_p50_ms"]
    rows = [
        ("voice end-of-speech → action p50 (ms)", voice.get("end_of_speech_to_action_ms", {}).get("p50"), voice_target),
        ("voice end-of-speech → action p95 (ms)", voice.get("end_of_speech_to_action_ms", {}).get("p95"), None),
        ("voice turns: ASR stage p50 (ms)", voice.get("stages_ms", {}).get("asr", {}).get("p50"), None),
        ("voice turns: NLU stage p50 (ms)", voice.get("stages_ms", {}).get("nlu", {}).get("p50"), None),
        (
            "template-tier text turn p50 (ms)",
            text.get("template_turn_ms", {}).get("p50"),
            TARGETS["template_text_p50_ms"],
        ),
        ("cold start to UI ready (s)", cold.get("ready_s_max"), TARGETS["cold_start_s"]),
        ("cold start to models ready (s)", cold.get("models_ready_s_max"), None),
        ("RSS, all embedded models loaded (MiB)", memory.get("rss_mb"), TARGETS["rss_mb"]),
    ]
    out: dict[str, Any] = {}
    for name, value, target in rows:
        ok: bool | None = None
        if isinstance(value, int | float) and not math.isnan(float(value)) and target is not None:
            ok = float(value) <= target
        out[name] = {"value": value, "target": None if target is None else f"≤ {target:g}", "met": ok}
    changed = voice.get("device_state_changed")
    total = voice.get("device_commands")
    out["device commands that changed the home"] = {"value": f"{changed}/{total}", "target": None, "met": None}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the suite (or the memory probe used by ``measure_rss``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None, help="eval data folder (default ../shared/data/eval)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--rss-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_probe:
        print(json.dumps(_rss_probe(args.data_dir, args.device, args.audio), default=str))
        return 0
    from assistant.config import PROJECT_ROOT

    data = args.data or PROJECT_ROOT.parent / "shared" / "data" / "eval"
    report = run(
        data,
        quick=args.quick,
        device=args.device,
        progress=lambda m: print(m, file=sys.stderr),
        cold_start=not args.no_cold_start,
        rss=not args.no_rss,
    )
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        for name, row in report["summary"].items():
            print(f"{name}: {row['value']} (target {row['target']}, met {row['met']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
