"""Spoken-command end state: each clip of the Speech-to-Phrase set through the whole assistant, scored on the home.

Every clip of ``speech_stp_en_commands/manifest.jsonl`` is played through ``Assistant.handle_audio`` of a real
assistant whose home is the set's fixture (``fixtures_en.json``, loaded by the project's home loader as
``assistant ask --home`` would), each in its own conversation, with a fixed satellite area (the fixture's first area,
also the area that stands for the manifest's ``CONTEXT_AREA`` slot). Between clips the simulated home is reset to the
fixture, then the clip's precondition is applied, so that success is visible (a light is off before "turn on", a TV
is playing before "pause"; the rules of ``data/eval/device_actions/README.md``).

What counts (per clip, against the manifest's ``intent`` and ``slots``):

- **intent**: the recognised intent equals the labelled one. Labels are Home Assistant's names, and the assistant
  uses them too (lock = HassTurnOn, unlock = HassTurnOff with a lock target, as upstream), so they are compared as
  they are, except for ``INTENT_EQUIVALENTS``: the assistant answers the weather by reading the weather entity
  (HassGetState) and has HassShoppingListAddItem beside HassListAddItem.
- **end state** of device-changing intents (HassTurnOn/Off, HassLightSet, media, list items, ...): every expected
  target reached the state the intent and slots ask for (brightness within 1 of round(N x 2.55), a colour within 20
  degrees of hue of the named colour, the next track, ...) and no other entity changed (state or any attribute).
  Targets are derived from the slots over the fixture: ``name`` (with ``domain``) names an entity; the fixture puts
  no entity in an area, so an ``area`` next to a name cannot be checked and does not filter; ``area`` + ``domain``
  without a name selects the entities of that domain in the area, as Home Assistant's ``requires_context: area:
  slot: true`` makes the satellite's area a constraint ("next track", "turn the lights off in here"). The fixture
  has no entity in any area, so such a command has no target: it passes when the intent is right and nothing
  changed.
- **sensitive** actions (the home's risk policy: unlock, open a garage door or other cover, ...) pass when the
  assistant asked for confirmation about the target and nothing changed ("asked" is the correct outcome).
- **questions** (HassGetState, HassGetWeather, HassClimateGetTemperature, time and date) and HassNevermind pass on
  the intent with no state change; **timer** intents pass on the intent (with no device change).
- **out-of-vocabulary** clips pass when nothing changed (no action).

Every clip ends in one outcome: ``pass``; ``wrong`` (something changed and it is not the expected end state: wrong
action, wrong value or another entity); ``asked`` (nothing changed, a confirmation or clarifying question was asked,
not a pass); ``declined`` (nothing changed, nothing asked, not a pass). Figures are reported per speaker source
(human, synthetic = Home Assistant Cloud TTS + noise, oov): intent accuracy, end-state pass rate, wrong-action rate,
``asked`` (turns that asked for a confirmation), ``clarified`` (turns that answered with a clarifying question or
"no such device"), and the share of transcripts equal to the reference after Whisper's normaliser, with the end-state
pass rate among those and among the rest.
"""

from __future__ import annotations

import colorsys
import contextlib
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.asr.normalizer import whisper_normalize
from assistant.config import AsrConfig, Config, load_config
from assistant.jsonl import read_jsonl
from contracts.messages import AssistantError

__all__ = [
    "CONTEXT_AREA",
    "DATASET",
    "INTENT_EQUIVALENTS",
    "QUESTION_INTENTS",
    "TIMER_INTENTS",
    "Clip",
    "Expectation",
    "expectation_for",
    "intent_matches",
    "load_clips",
    "print_report",
    "run",
    "summarize",
]

DATASET = "speech_stp_en_commands"
"""The eval sub-folder with the spoken commands and their fixture home."""

CONTEXT_AREA = "CONTEXT_AREA"
"""The manifest's slot value for 'the satellite's own area'."""

INTENT_EQUIVALENTS: Mapping[str, frozenset[str]] = {
    "HassGetWeather": frozenset({"HassGetWeather", "HassGetState"}),
    "HassListAddItem": frozenset({"HassListAddItem", "HassShoppingListAddItem"}),
    "HassShoppingListAddItem": frozenset({"HassListAddItem", "HassShoppingListAddItem"}),
}
"""Labelled intent -> recognised intents that count as the same request (the rest must be equal)."""

QUESTION_INTENTS = frozenset(
    {"HassGetState", "HassGetWeather", "HassClimateGetTemperature", "HassGetCurrentTime", "HassGetCurrentDate"}
)
"""Intents that only read: pass on the intent with nothing changed."""

TIMER_INTENTS = frozenset(
    {
        "HassStartTimer",
        "HassCancelTimer",
        "HassCancelAllTimers",
        "HassPauseTimer",
        "HassUnpauseTimer",
        "HassTimerStatus",
        "HassIncreaseTimer",
        "HassDecreaseTimer",
    }
)
"""Timer intents: pass on the intent (no device may change)."""

NO_ACTION_INTENTS = frozenset({"HassNevermind"})
"""Intents that do nothing: pass on the intent with nothing changed."""

MEDIA_INTENTS = frozenset({"HassMediaNext", "HassMediaPrevious", "HassMediaPause", "HassMediaUnpause", "HassSetVolume"})
"""Media intents (their targets are media players)."""

_SOURCES = {"human_recording": "human"}
"""Manifest speaker_source -> reported source (anything else in-vocabulary is 'synthetic')."""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Clip:
    """One manifest row."""

    id: str
    audio: Path
    reference: str | None
    """None for out-of-vocabulary speech."""
    source: str
    """'human', 'synthetic' or 'oov'."""
    intent: str | None
    slots: Mapping[str, Any]
    split: str = ""


@dataclass(slots=True)
class Expectation:
    """What a clip should do to the home, derived from its intent and slots over the fixture."""

    kind: str
    """'device', 'question', 'timer', 'no-action' or 'oov'."""
    targets: tuple[str, ...] = ()
    """Entities the command should change ('device'; empty when the fixture has none that fit)."""
    setup: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    """Precondition service calls (service, entity id, data), applied after the reset."""
    want: dict[str, dict[str, Any]] = field(default_factory=dict)
    """entity id -> expected end state ('state', attribute values, 'color', 'item_added', 'changed')."""
    services: dict[str, str] = field(default_factory=dict)
    """entity id -> the service that carries the command out."""
    sensitive: bool = False
    """The action needs a confirmation: asking (and not acting) is the correct outcome."""
    note: str = ""


# ---------------------------------------------------------------------------------------------- data


def load_clips(speech_dir: Path, *, ids: Iterable[str] = (), sources: Iterable[str] = ()) -> list[Clip]:
    """The manifest's clips (all, or those with the given ids / reported sources) whose audio exists."""
    wanted, kinds = set(ids), set(sources)
    clips: list[Clip] = []
    for row in read_jsonl(Path(speech_dir) / "manifest.jsonl"):
        oov = bool(row.get("out_of_vocabulary")) or row.get("reference_text") is None
        source = "oov" if oov else _SOURCES.get(str(row.get("speaker_source", "")), "synthetic")
        clip = Clip(
            id=str(row["id"]),
            audio=Path(speech_dir) / str(row["audio"]),
            reference=None if oov else str(row["reference_text"]),
            source=source,
            intent=None if oov else row.get("intent"),
            slots=dict(row.get("slots") or {}),
            split=str(row.get("split", "")),
        )
        if (wanted and clip.id not in wanted) or (kinds and source not in kinds) or not clip.audio.is_file():
            continue
        clips.append(clip)
    return clips


def intent_matches(expected: str | None, got: str | None) -> bool:
    """The recognised intent is the labelled one (or an equivalent, ``INTENT_EQUIVALENTS``)."""
    if expected is None or got is None:
        return False
    return got in INTENT_EQUIVALENTS.get(expected, frozenset({expected}))


# ---------------------------------------------------------------------------------------------- expectations


def _names(entity: Any) -> set[str]:
    return {str(entity.name).casefold(), *(str(a).casefold() for a in getattr(entity, "aliases", ()))}


def _area_id(home: Any, name: str) -> str | None:
    key = name.casefold()
    for area in home.areas():
        if key in {area.name.casefold(), area.id.casefold(), *(a.casefold() for a in area.aliases)}:
            return str(area.id)
    return None


def _targets(home: Any, intent: str, slots: Mapping[str, Any], area: str | None) -> tuple[list[Any], str]:
    """The entities the labelled slots select, and a note on how."""
    entities = sorted(home.entities(), key=lambda e: e.entity_id)
    domain = slots.get("domain")
    if intent == "HassLightSet":
        domain = domain or "light"
    elif intent in MEDIA_INTENTS:
        domain = domain or "media_player"
    elif intent in ("HassListAddItem", "HassShoppingListAddItem"):
        domain = domain or "todo"
    name = slots.get("name")
    if isinstance(name, str) and name:
        hits = [e for e in entities if name.casefold() in _names(e) and (not domain or e.domain == domain)]
        return hits, "by name" if hits else f"no entity named {name!r}"
    area_name = slots.get("area")
    if area_name == CONTEXT_AREA:
        area_name = area
    if isinstance(area_name, str) and area_name and domain:
        aid = _area_id(home, area_name)
        hits = [e for e in entities if e.domain == domain and aid is not None and e.area_id == aid]
        if hits:
            return hits, f"the {domain} entities in {area_name}"
        return [], f"no {domain} entity in {area_name} in the fixture"
    return [], "the slots select no entity"


def _service(entity: Any, intent: str) -> str | None:
    d = entity.domain
    on = intent == "HassTurnOn"
    if intent in ("HassTurnOn", "HassTurnOff"):
        if d in ("cover", "valve"):
            return f"{d}.{'open' if on else 'close'}_{d}"
        if d == "lock":
            return "lock.lock" if on else "lock.unlock"
        if d in ("button", "input_button"):
            return f"{d}.press" if on else None
        if d in ("scene", "script"):
            return f"{d}.turn_on" if on else (f"{d}.turn_off" if d == "script" else None)
        return f"{d}.turn_{'on' if on else 'off'}"
    return {
        "HassLightSet": "light.turn_on",
        "HassMediaNext": "media_player.media_next_track",
        "HassMediaPrevious": "media_player.media_previous_track",
        "HassMediaPause": "media_player.media_pause",
        "HassMediaUnpause": "media_player.media_play",
        "HassSetVolume": "media_player.volume_set",
        "HassListAddItem": "todo.add_item",
        "HassShoppingListAddItem": "todo.add_item",
        "HassClimateSetTemperature": "climate.set_temperature",
        "HassSetPosition": f"{d}.set_{d}_position",
        "HassToggle": f"{d}.toggle",
    }.get(intent)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


Calls = list[tuple[str, dict[str, Any] | None]]
"""Service calls (service, data) on one entity."""


def _plan(entity: Any, intent: str, slots: Mapping[str, Any]) -> tuple[Calls, dict[str, Any]]:
    """(precondition calls, expected end state) for one target, after the device_actions derivation rules."""
    d = entity.domain
    play: Calls = [("media_player.turn_on", None), ("media_player.media_play", None)]
    if intent in ("HassTurnOn", "HassTurnOff"):
        on = intent == "HassTurnOn"
        opposite: Calls
        if d in ("cover", "valve"):
            opposite = [(f"{d}.{'close' if on else 'open'}_{d}", None)]
            return opposite, {"state": "open" if on else "closed"}
        if d == "lock":
            opposite = [("lock.unlock" if on else "lock.lock", None)]
            return opposite, {"state": "locked" if on else "unlocked"}
        if d in ("scene", "script", "button", "input_button"):
            return [], {"changed": True}
        opposite = [(f"{d}.turn_{'off' if on else 'on'}", None)]
        if d in ("media_player", "climate"):
            return opposite, {"state": {"not": ["off", "unavailable"]}} if on else {"state": "off"}
        return opposite, {"state": "on" if on else "off"}
    if intent == "HassLightSet":
        data: dict[str, Any] = {}
        want: dict[str, Any] = {"state": "on"}
        level = _number(slots.get("brightness"))
        if level is not None:
            data["brightness_pct"] = 10 if level > 50 else 100
            want["brightness"] = round(level * 255 / 100)
        if isinstance(slots.get("color"), str):
            data["rgb_color"] = [255, 255, 255]
            want["color"] = str(slots["color"])
        return [("light.turn_on", data or None)], want
    if intent == "HassMediaPause":
        return play, {"state": "paused"}
    if intent == "HassMediaUnpause":
        return [*play, ("media_player.media_pause", None)], {"state": "playing"}
    if intent == "HassMediaNext":
        return play, {"media_track": +1}
    if intent == "HassMediaPrevious":
        skip: Calls = [("media_player.media_next_track", None)] * 3
        return [*play, *skip], {"media_track": -1}
    if intent == "HassSetVolume":
        level = _number(slots.get("volume_level"))
        if level is None:
            return play, {"changed": True}
        away = 0.1 if level > 50 else 0.9
        return [*play, ("media_player.volume_set", {"volume_level": away})], {"volume_level": level / 100}
    if intent in ("HassListAddItem", "HassShoppingListAddItem"):
        return [], {"item_added": str(slots.get("item", ""))}
    if intent == "HassClimateSetTemperature":
        level = _number(slots.get("temperature"))
        if level is None:
            return [], {"changed": True}
        return [("climate.set_temperature", {"temperature": level + 3})], {"temperature": level}
    if intent == "HassSetPosition":
        level = _number(slots.get("position"))
        if level is None:
            return [], {"changed": True}
        return [(f"{d}.set_{d}_position", {"position": 0 if level > 50 else 100})], {"current_position": level}
    return [], {"changed": True}


def expectation_for(home: Any, clip: Clip, area: str | None) -> Expectation:
    """What ``clip`` should do in ``home`` (whose satellite area is ``area``)."""
    if clip.source == "oov" or clip.intent is None:
        return Expectation("oov", note="out of vocabulary: no action")
    intent = clip.intent
    if intent in QUESTION_INTENTS:
        return Expectation("question", note="a question: the intent, nothing changed")
    if intent in TIMER_INTENTS:
        return Expectation("timer", note="a timer: the intent, no device changed")
    if intent in NO_ACTION_INTENTS:
        return Expectation("no-action", note="nothing to do: the intent, nothing changed")
    entities, note = _targets(home, intent, clip.slots, area)
    out = Expectation("device", note=note)
    from contracts.home import RiskTier

    for entity in entities:
        service = _service(entity, intent)
        if service is None:
            continue
        setup, want = _plan(entity, intent, clip.slots)
        out.targets += (entity.entity_id,)
        out.services[entity.entity_id] = service
        out.want[entity.entity_id] = want
        out.setup += [(s, entity.entity_id, data) for s, data in setup if s in entity.services]
        with contextlib.suppress(Exception):  # an unknown service is simply not sensitive
            if home.risk(entity.entity_id, service) is RiskTier.SENSITIVE:
                out.sensitive = True
    if out.sensitive:
        out.note += "; sensitive: must ask, not act"
    return out


# ---------------------------------------------------------------------------------------------- checking


def _hue_sat(rgb: Sequence[Any]) -> tuple[float, float]:
    r, g, b = (float(v) / 255 for v in rgb[:3])
    h, s, _v = colorsys.rgb_to_hsv(r, g, b)
    return h * 360, s


def _color_ok(got: Any, name: str) -> bool:
    from contracts.features import COLOR_NAMES

    want = COLOR_NAMES.get(name.casefold().strip())
    if want is None or not isinstance(got, list | tuple) or len(got) < 3:
        return False
    gh, gs = _hue_sat(got)
    wh, ws = _hue_sat(want)
    hue_gap = min(abs(gh - wh), 360 - abs(gh - wh))
    return abs(gs - ws) <= 0.25 and (ws < 0.15 or hue_gap <= 20)


def _state_ok(got: str, want: Any) -> bool:
    if isinstance(want, Mapping):
        if "not" in want:
            return got not in want["not"]
        return got in want.get("in", ())
    return str(got).casefold() == str(want).casefold()


def _check_target(eid: str, want: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Why ``eid`` is not in the expected end state (empty when it is)."""
    now = after.get(eid)
    then = before.get(eid) or {}
    if now is None:
        return [f"{eid} missing"]
    state, attrs = str(now.get("state")), dict(now.get("attributes") or {})
    old_attrs = dict(then.get("attributes") or {})
    problems: list[str] = []
    for key, value in want.items():
        if key == "state":
            if not _state_ok(state, value):
                problems.append(f"{eid} is {state!r}, expected {value!r}")
        elif key == "changed":
            if now == then:
                problems.append(f"{eid} did not change")
        elif key == "color":
            if not _color_ok(attrs.get("rgb_color"), str(value)):
                problems.append(f"{eid} colour {attrs.get('rgb_color')!r}, expected {value}")
        elif key == "item_added":
            items = [str(i.get("summary", "")).casefold() for i in attrs.get("items", []) if isinstance(i, Mapping)]
            old = [str(i.get("summary", "")).casefold() for i in old_attrs.get("items", []) if isinstance(i, Mapping)]
            if len(items) != len(old) + 1 or str(value).casefold().strip() not in items:
                problems.append(f"{eid} items {items!r}, expected {value!r} added")
        elif key == "media_track":
            start = old_attrs.get("media_track")
            start = start if isinstance(start, int) else 1
            if attrs.get("media_track") != max(1, start + int(value)):
                problems.append(f"{eid} track {attrs.get('media_track')!r}, expected {max(1, start + int(value))}")
        else:
            got = _number(attrs.get(key))
            tolerance = 1.0 if key == "brightness" else 1e-3 + abs(float(value)) * 1e-3
            if got is None or abs(got - float(value)) > tolerance:
                problems.append(f"{eid}.{key} is {attrs.get(key)!r}, expected {value!r}")
    return problems


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, str]:
    """entity id -> 'old -> new' for every entity whose state or attributes differ."""
    out: dict[str, str] = {}
    for eid in sorted(set(before) | set(after)):
        old, new = before.get(eid) or {}, after.get(eid) or {}
        if old == new:
            continue
        parts = []
        if old.get("state") != new.get("state"):
            parts.append(f"{old.get('state')} -> {new.get('state')}")
        a, b = dict(old.get("attributes") or {}), dict(new.get("attributes") or {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key) and key not in ("last_triggered",):
                parts.append(f"{key}: {a.get(key)!r} -> {b.get(key)!r}")
        out[eid] = "; ".join(parts) or "attributes changed"
    return out


def _outcome(exp: Expectation, clip: Clip, result: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict:
    """Score one turn: ok, outcome, problems."""
    changed = _changes(before, after)
    match = getattr(result, "intent", None)
    intent = match.intent if match is not None else None
    confirm = bool(getattr(result, "needs_confirmation", False))
    clarified = not confirm and bool(match is not None and match.clarification)
    problems: list[str] = []
    if exp.kind == "device" and exp.sensitive:
        if changed:
            problems.append("a sensitive action ran without confirmation")
        if not confirm:
            problems.append("no confirmation was asked")
        elif match is not None and not set(exp.targets) <= set(match.targets):
            problems.append(f"asked about {list(match.targets)}, expected {list(exp.targets)}")
    elif exp.kind == "device":
        for eid, want in exp.want.items():
            problems += _check_target(eid, want, before, after)
        problems += [f"{eid} changed: {what}" for eid, what in changed.items() if eid not in exp.want]
        if not exp.targets:  # nothing to act on: the request understood, and nothing done
            if changed:
                problems.insert(0, "no target in the fixture, but the home changed")
            if not intent_matches(clip.intent, intent):
                problems.append(f"intent {intent}, expected {clip.intent}")
    else:
        if changed:
            problems.append("the home changed: " + "; ".join(f"{e}: {w}" for e, w in changed.items()))
        if exp.kind != "oov" and not intent_matches(clip.intent, intent):
            problems.append(f"intent {intent}, expected {clip.intent}")
    ok = not problems
    if ok:
        outcome = "pass"
    elif changed:
        outcome = "wrong"
    else:
        outcome = "asked" if confirm or clarified else "declined"
    return {
        "ok": ok,
        "outcome": outcome,
        "wrong": bool(changed) and not ok,
        "asked": confirm,
        "clarified": clarified,
        "changed": changed,
        "problems": problems,
    }


# ---------------------------------------------------------------------------------------------- running


def _snapshot(home: Any) -> dict[str, Any]:
    return {eid: {"state": s["state"], "attributes": dict(s["attributes"])} for eid, s in home.states().items()}


def _prepare(home: Any, exp: Expectation) -> None:
    """Reset the simulated home to the fixture, then apply the clip's precondition."""
    home.adapter.reset()
    for service, eid, data in exp.setup:
        with contextlib.suppress(AssistantError):  # a precondition the entity cannot take is skipped
            home.call_service(service, [eid], data)


def make_assistant(home_file: Path, data_dir: Path, *, asr: AsrConfig | None = None, device: str = "auto") -> Any:
    """A real assistant (the configured models) over ``home_file``, storing into ``data_dir``, home not persisted."""
    from assistant.app import Assistant

    base: Config = load_config()
    asr_cfg = asr or base.asr
    if device not in ("", "auto"):
        asr_cfg = asr_cfg.model_copy(update={"device": device})
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "asr": asr_cfg,
        "home": base.home.model_copy(update={"persist": False}),
    }
    if device not in ("", "auto"):
        update["llm"] = base.llm.model_copy(update={"device": device})
        update["embeddings"] = base.embeddings.model_copy(update={"device": device})
    return Assistant.create(base.model_copy(update=update), home=home_file)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarize(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Figures for one speaker source."""
    n = len(items)
    ok = sum(1 for i in items if i["ok"])
    out: dict[str, Any] = {
        "n": n,
        "end_state_pass": ok,
        "end_state_pass_rate": _rate(ok, n),
        "wrong_actions": sum(1 for i in items if i["wrong"]),
        "wrong_action_rate": _rate(sum(1 for i in items if i["wrong"]), n),
        "asked": sum(1 for i in items if i["asked"]),
        "clarified": sum(1 for i in items if i["clarified"]),
        "outcomes": dict(Counter(str(i["outcome"]) for i in items)),
    }
    if items and items[0]["source"] == "oov":
        out["no_action"] = ok
        out["intents"] = dict(Counter(str(i["intent"]) for i in items))
        return out
    intent_ok = sum(1 for i in items if i["intent_ok"])
    exact = [i for i in items if i["transcript_exact"]]
    other = [i for i in items if not i["transcript_exact"]]
    sensitive = [i for i in items if i["sensitive"]]
    out.update(
        {
            "intent_accuracy": _rate(intent_ok, n),
            "transcript_exact": len(exact),
            "transcript_exact_rate": _rate(len(exact), n),
            "end_state_pass_rate_exact_transcript": _rate(sum(1 for i in exact if i["ok"]), len(exact)),
            "end_state_pass_rate_other_transcript": _rate(sum(1 for i in other if i["ok"]), len(other)),
            "sensitive": len(sensitive),
            "sensitive_asked_correctly": sum(1 for i in sensitive if i["ok"]),
            "no_target_in_fixture": sum(1 for i in items if i["kind"] == "device" and not i["expected_targets"]),
            "by_kind": {
                kind: {
                    "n": len(sel),
                    "end_state_pass": sum(1 for i in sel if i["ok"]),
                    "intent_ok": sum(1 for i in sel if i["intent_ok"]),
                }
                for kind in sorted({str(i["kind"]) for i in items})
                for sel in [[i for i in items if i["kind"] == kind]]
            },
        }
    )
    return out


def run(
    speech_dir: Path,
    *,
    asr: AsrConfig | None = None,
    device: str = "auto",
    area: str | None = None,
    ids: Iterable[str] = (),
    sources: Iterable[str] = (),
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Play the set's clips through a real assistant on its fixture home; JSON-able figures and failures.

    ``speech_dir``: the eval speech folder or its ``speech_stp_en_commands`` sub-folder. ``area``: the satellite
    area (default: the fixture's first area). ``ids`` / ``sources`` ('human', 'synthetic', 'oov') select clips.
    """
    say = progress or (lambda _m: None)
    folder = Path(speech_dir)
    if not (folder / "manifest.jsonl").is_file() and (folder / DATASET / "manifest.jsonl").is_file():
        folder = folder / DATASET
    fixture = folder / "fixtures_en.json"
    if not fixture.is_file():
        return {"status": "missing", "error": f"{fixture} is not there"}
    clips = load_clips(folder, ids=ids, sources=sources)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="assistant-endstate-"))
    assistant = make_assistant(fixture, work, asr=asr, device=device)
    items: list[dict[str, Any]] = []
    home = assistant.home
    areas = home.areas()
    satellite = area if area is not None else (areas[0].name if areas else None)
    try:
        assistant.warmup(asr=True)
        load_s = time.perf_counter() - started
        say(f"end state: {len(clips)} clips through the assistant (area {satellite!r})")
        for n, clip in enumerate(clips):
            exp = expectation_for(home, clip, satellite)
            _prepare(home, exp)
            before = _snapshot(home)
            turn_started = time.perf_counter()
            try:
                result: Any = assistant.handle_audio(clip.audio, conversation_id=f"endstate-{n}", area=satellite)
                error = result.error
            except AssistantError as exc:  # a turn that fails outright: nothing recognised, nothing done
                result, error = None, str(exc.code)
            turn_ms = (time.perf_counter() - turn_started) * 1000
            after = _snapshot(home)
            scored = _outcome(exp, clip, result, before, after)
            match = getattr(result, "intent", None)
            transcript = str(getattr(result, "text", "") or "")
            heard = getattr(result, "transcript", None)
            confidence = round(float(heard.confidence), 3) if heard is not None else None
            exact = clip.reference is not None and whisper_normalize(transcript) == whisper_normalize(clip.reference)
            item = {
                "id": clip.id,
                "source": clip.source,
                "split": clip.split,
                "reference": clip.reference,
                "transcript": transcript,
                "transcript_exact": exact,
                "asr_confidence": confidence,
                "expected_intent": clip.intent,
                "expected_slots": dict(clip.slots),
                "intent": match.intent if match is not None else None,
                "intent_ok": intent_matches(clip.intent, match.intent if match is not None else None),
                "slots": dict(match.slots) if match is not None else {},
                "targets": list(match.targets) if match is not None else [],
                "kind": exp.kind,
                "expected_targets": list(exp.targets),
                "sensitive": exp.sensitive,
                "note": exp.note,
                **scored,
                "reply": str(getattr(result, "reply", "") or ""),
                "error": error,
                "turn_ms": round(turn_ms, 1),
            }
            items.append(item)
            say(
                f"  [{clip.source}] {clip.id}: heard {transcript!r} -> {item['intent']} "
                f"{item['outcome']}{' (' + '; '.join(scored['problems'][:2]) + ')' if scored['problems'] else ''}"
            )
    finally:
        assistant.close()
        shutil.rmtree(work, ignore_errors=True)
    by_source = {
        source: summarize([i for i in items if i["source"] == source])
        for source in ("human", "synthetic", "oov")
        if any(i["source"] == source for i in items)
    }
    return {
        "dataset": DATASET,
        "home": str(fixture),
        "area": satellite,
        "clips": len(items),
        "splits": dict(Counter(i["split"] for i in items)),
        "load_s": round(load_s, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "sources": by_source,
        "intent_equivalents": {k: sorted(v) for k, v in INTENT_EQUIVALENTS.items()},
        "failures": [
            {
                k: i[k]
                for k in (
                    "id",
                    "source",
                    "reference",
                    "transcript",
                    "asr_confidence",
                    "expected_intent",
                    "intent",
                    "outcome",
                    "changed",
                    "problems",
                    "reply",
                )
            }
            for i in items
            if not i["ok"] or (not i["intent_ok"] and i["source"] != "oov")
        ],
        "items": items,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_report(report: Mapping[str, Any], out: Callable[[str], None] = print) -> None:
    """A plain-text summary: one line per source, then the failures."""
    if report.get("status") == "missing":
        out(f"end state: {report.get('error')}")
        return
    out(f"end state: {report['clips']} clips, fixture home {report['home']}, satellite area {report['area']!r}")
    header = (
        f"{'source':10} {'n':>4} {'intent':>8} {'end state':>10} {'wrong':>7} {'asked':>6} {'clarif':>6} "
        f"{'transcript=ref':>15} {'end state|=ref':>15} {'end state|!=ref':>16}"
    )
    out(header)
    out("-" * len(header))
    for source, s in report["sources"].items():
        if source == "oov":
            out(
                f"{source:10} {s['n']:>4} {'-':>8} {_pct(s['end_state_pass_rate']):>10} "
                f"{_pct(s['wrong_action_rate']):>7} {s['asked']:>6} {s['clarified']:>6}   "
                f"(no action: {s['no_action']}/{s['n']})"
            )
            continue
        out(
            f"{source:10} {s['n']:>4} {_pct(s['intent_accuracy']):>8} {_pct(s['end_state_pass_rate']):>10} "
            f"{_pct(s['wrong_action_rate']):>7} {s['asked']:>6} {s['clarified']:>6} "
            f"{_pct(s['transcript_exact_rate']):>15} "
            f"{_pct(s['end_state_pass_rate_exact_transcript']):>15} "
            f"{_pct(s['end_state_pass_rate_other_transcript']):>16}"
        )
    for f in report["failures"]:
        out(
            f"  FAIL [{f['source']}] {f['id']!r}: heard {f['transcript']!r}; intent {f['intent']} "
            f"(want {f['expected_intent']}); {f['outcome']}; changed {f['changed'] or 'nothing'}; "
            f"{'; '.join(f['problems'])}"
        )
